// Generated from docs/schemas/live-message.schema.json by ui/codegen/generate.mjs (npm run generate); do not edit.

export type LiveMessage = LiveSnapshot | LiveUpdate | LiveHeartbeat;

/**
 * First WebSocket frame (and ``GET /api/live``): the current chart.
 */
export interface LiveSnapshot {
  /**
   * The exact top N: plays desc, then song_id asc.
   */
  entries: LiveEntry[];
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  generated_at: string;
  /**
   * Plays of the window dropped as later than allowed.
   */
  late_dropped: number;
  /**
   * Event time of the newest counted play of the region; null when none since the workers started. Its age tells whether the live worker keeps up.
   */
  newest_play_at: string | null;
  /**
   * Plays counted in the window, all songs (plays/s: over its length).
   */
  plays: number;
  /**
   * Region code (TOPSONGS_REGIONS).
   */
  region: string;
  /**
   * Grows by exactly 1 per update of this (region, window).
   */
  seq: number;
  type: "snapshot";
  /**
   * Chart window (LIVE_ROLLING_MINUTES + hour).
   */
  window: string;
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  window_end: string;
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  window_start: string;
}
/**
 * One row of a live chart: rank, song, plays and how it moved since the previous frame.
 */
export interface LiveEntry {
  artist: string;
  movement: "new" | "up" | "down" | "same";
  plays: number;
  /**
   * Rank in the previous frame; null when new.
   */
  prev_rank: number | null;
  rank: number;
  song_id: string;
  title: string;
}
/**
 * A WebSocket frame with the whole new chart; its ``seq`` is the previous frame's plus 1.
 */
export interface LiveUpdate {
  /**
   * The exact top N: plays desc, then song_id asc.
   */
  entries: LiveEntry[];
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  generated_at: string;
  /**
   * Plays of the window dropped as later than allowed.
   */
  late_dropped: number;
  /**
   * Event time of the newest counted play of the region; null when none since the workers started. Its age tells whether the live worker keeps up.
   */
  newest_play_at: string | null;
  /**
   * Plays counted in the window, all songs (plays/s: over its length).
   */
  plays: number;
  /**
   * Region code (TOPSONGS_REGIONS).
   */
  region: string;
  /**
   * Grows by exactly 1 per update of this (region, window).
   */
  seq: number;
  type: "update";
  /**
   * Chart window (LIVE_ROLLING_MINUTES + hour).
   */
  window: string;
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  window_end: string;
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  window_start: string;
}
/**
 * A WebSocket frame sent when a chart did not change for a while; repeats the last ``seq``.
 */
export interface LiveHeartbeat {
  /**
   * Grows by exactly 1 per update of this (region, window).
   */
  seq: number;
  type: "heartbeat";
}
