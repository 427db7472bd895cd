import type { LiveChart } from "../api";

/** A US 5-minute live chart at `seq`, one entry per song id, ranked in the given order. */
export function liveChart(seq: number, songIds: string[] = ["s-001"]): LiveChart {
  return {
    seq,
    region: "US",
    window: "5m",
    window_start: "2025-04-23T14:00:00Z",
    window_end: "2025-04-23T14:05:00Z",
    late_dropped: 0,
    plays: 10 * songIds.length,
    newest_play_at: "2025-04-23T14:04:58Z",
    generated_at: "2025-04-23T14:04:59.812Z",
    entries: songIds.map((song_id, i) => ({
      rank: i + 1,
      song_id,
      title: song_id,
      artist: "a",
      plays: 10 - i,
      prev_rank: null,
      movement: "new",
    })),
  };
}
