/** Types mirroring docs/api.md (dashboard-api). Timestamps are ISO 8601 UTC strings. */

export type LiveWindow = "5m" | "60m" | "hour";
export const LIVE_WINDOWS: readonly LiveWindow[] = ["5m", "60m", "hour"];

export type Movement = "up" | "down" | "same" | "new";

export interface LiveEntry {
  rank: number;
  song_id: string;
  title: string;
  artist: string;
  plays: number;
  prev_rank: number | null;
  movement: Movement;
}

export interface LiveChart {
  seq: number;
  region: string;
  window: LiveWindow;
  window_start: string;
  window_end: string;
  late_dropped: number;
  generated_at: string;
  entries: LiveEntry[];
}

export type LiveMessage =
  | ({ type: "snapshot" } & LiveChart)
  | ({ type: "update" } & LiveChart)
  | { type: "heartbeat"; seq: number };

export interface RegionsResponse {
  regions: string[];
}

export interface ChartEntry {
  rank: number;
  song_id: string;
  song: string;
  artist: string;
  plays: number;
}

export interface HourlyChart {
  region: string;
  hour: string;
  entries: ChartEntry[];
}

export interface DailyChart {
  region: string;
  date: string;
  entries: ChartEntry[];
}

export interface TrendPoint {
  hour: string;
  plays: number;
}

export interface Trend {
  region: string;
  song_id: string;
  points: TrendPoint[];
}

/** One item of FastAPI's 422 `detail` list. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type?: string;
}
