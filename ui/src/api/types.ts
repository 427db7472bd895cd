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
  title: string;
  artist: string;
  plays: number;
}

/**
 * How final a batch chart is: `open` (its interval is not over), `pending` (closed, but the lake is
 * not complete so the chart is not computed yet), `final`, or `restated` (recomputed after late plays).
 */
export type ChartStatus = "open" | "pending" | "final" | "restated";

/** Finality fields shared by the hourly and daily chart answers. */
export interface ChartFinality {
  status: ChartStatus;
  /** When the chart was last computed; null when never. */
  as_of: string | null;
  /** Recomputations that changed the chart. */
  restatements: number;
  /** Plays added after the first final chart. */
  late_plays: number;
}

export interface HourlyChart extends ChartFinality {
  region: string;
  hour: string;
  entries: ChartEntry[];
}

export interface DailyChart extends ChartFinality {
  region: string;
  date: string;
  entries: ChartEntry[];
}

export interface TrendPoint {
  hour: string;
  /** Null while the hour is `open` or `pending`: not computed yet, which is not zero plays. */
  plays: number | null;
  status: ChartStatus;
}

export interface Trend {
  region: string;
  song_id: string;
  points: TrendPoint[];
}

/**
 * One hour of live against batch: `agree` (totals and top 10 identical), `explained` (they differ
 * only by the plays the live board dropped as late), `unexplained`, or `pending` (batch chart not
 * final yet, or no final live record for the hour; the numbers may then be null).
 */
export type ReconciliationStatus = "agree" | "explained" | "unexplained" | "pending";

export interface SongPlays {
  song_id: string;
  plays: number;
}

export interface ReconciledHour {
  hour: string;
  status: ReconciliationStatus;
  live_plays: number | null;
  batch_plays: number | null;
  /** batch_plays − live_plays. */
  difference: number | null;
  late_dropped: number | null;
  /** difference − late_dropped (0 when explained). */
  unexplained: number | null;
  live_top: SongPlays[];
  batch_top: SongPlays[];
}

export interface Reconciliation {
  region: string;
  date: string;
  /** The day's plays that the late drops do not explain. */
  unexplained: number;
  hours: ReconciledHour[];
}

/** One item of FastAPI's 422 `detail` list. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type?: string;
}
