/** The UI's names for the generated API types (docs/openapi, docs/schemas), and the REST client. */
import type { components, paths } from "./generated/dashboard-api";

type Schemas = components["schemas"];

export type ChartEntry = Schemas["ChartEntry"];
/** How final a batch chart is: open, pending (lake not complete), final, or restated. */
export type ChartStatus = Schemas["HourlyChart"]["status"];
/** The finality fields the hourly and daily answers share. */
export type ChartFinality = Pick<Schemas["HourlyChart"], "status" | "as_of" | "restatements" | "late_plays">;
export type TrendPoint = Schemas["TrendPoint"];
export type Reconciliation = Schemas["Reconciliation"];
export type HourReconciliation = Schemas["HourReconciliation"];
export type ReconciliationStatus = HourReconciliation["status"];
export type TopEntry = Schemas["TopEntry"];
/** One item of the 422 answer's `detail` list. */
export type ValidationIssue = NonNullable<
  paths["/api/top/hourly"]["get"]["responses"][422]["content"]["application/json"]["detail"]
>[number];

// The WebSocket frames have no generated types until docs/schemas/live-message.schema.json exists.
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

export { ApiError, api, liveSocketUrl } from "./client";
