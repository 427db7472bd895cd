/** The UI's names for the generated API types (docs/openapi, docs/schemas), and the REST client. */
import type { components, paths } from "./generated/dashboard-api";
import type { LiveEntry, LiveMessage, LiveSnapshot } from "./generated/live-message";

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
export type Pipeline = Schemas["Pipeline"];
export type PipelineStage = Schemas["StageView"];
/** Whether sign-in is on, the provider and the UI's client there (GET /api/auth/config). */
export type AuthConfig = Schemas["AuthConfig"];
/** One item of the 422 answer's `detail` list. */
export type ValidationIssue = NonNullable<
  paths["/api/top/hourly"]["get"]["responses"][422]["content"]["application/json"]["detail"]
>[number];

/** A live window dashboard-api offers: the `window` enum of GET /api/live (from its settings). */
export type LiveWindow = NonNullable<paths["/api/live"]["get"]["parameters"]["query"]>["window"];
/** A whole live chart, as a snapshot or an update frame carries it. */
export type LiveChart = Omit<LiveSnapshot, "type">;
export type Movement = LiveEntry["movement"];

export {
  ApiError,
  getAuthConfig,
  getDailyChart,
  getHourlyChart,
  getPipeline,
  getPipelineSeries,
  getReconciliation,
  getRegions,
  getTrend,
  liveSocketUrl,
} from "./client";
export { accessToken, setAccessToken, socketProtocols, tokenRefused } from "./token";
export type { LiveEntry, LiveMessage };
