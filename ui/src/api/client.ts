import type { paths } from "./generated/dashboard-api";
import type { LiveWindow, ValidationIssue } from "./index";
import { accessToken, authHeaders, tokenRefused } from "./token";

/** A non-2xx answer (or unreachable server) from dashboard-api, with a readable message. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The JSON GET paths of dashboard-api's OpenAPI document, their query and their 200 body. */
type GetPath = {
  [P in keyof paths]: paths[P]["get"] extends { responses: { 200: { content: { "application/json": unknown } } } }
    ? P
    : never;
}[keyof paths];
type QueryOf<P extends GetPath> = NonNullable<paths[P]["get"]["parameters"]["query"]>;
// Parameter names are checked; values are plain strings because they come from the URL and
// GET /api/regions at run time, and the server answers 422 for a value outside its enum.
type Query<P extends GetPath> = [QueryOf<P>] extends [never]
  ? Record<string, never>
  : { [K in keyof QueryOf<P>]: string };
type Ok<P extends GetPath> = paths[P]["get"]["responses"][200]["content"]["application/json"];

function describeDetail(detail: unknown): string | null {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return (detail as ValidationIssue[])
      .map((issue) => `${issue.loc.filter((p) => p !== "query").join(".")}: ${issue.msg}`)
      .join("; ");
  }
  return null;
}

async function getJson<P extends GetPath>(path: P, params: Query<P>): Promise<Ok<P>> {
  const query = new URLSearchParams(params as Record<string, string>).toString();
  const url = query ? `${path}?${query}` : path;
  let response: Response;
  const sent = accessToken();
  try {
    response = await fetch(url, { headers: { Accept: "application/json", ...authHeaders() } });
  } catch {
    throw new ApiError(0, "dashboard-api is unreachable");
  }
  if (response.status === 401 && path !== "/api/auth/config") tokenRefused(sent);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`.trim();
    try {
      const body = (await response.json()) as { detail?: unknown };
      message = describeDetail(body.detail) ?? message;
    } catch {
      // Body was not JSON (e.g. a proxy error page); the status line says enough.
    }
    throw new ApiError(response.status, message);
  }
  return (await response.json()) as Ok<P>;
}

/** Formats a Date as the API's minute-precision UTC instant, e.g. `2025-04-23T14:00Z`. */
function toApiHour(date: Date): string {
  return `${date.toISOString().slice(0, 16)}Z`;
}

// One exported function per call, so knip reports a call nothing uses any more.

/** Whether this deployment requires sign-in, and through which OpenID Connect provider. */
export const getAuthConfig = () => getJson("/api/auth/config", {});

/** Regions the pipeline knows about. */
export const getRegions = () => getJson("/api/regions", {});

/** Authoritative top 10 for one closed (or still open) UTC hour. */
export const getHourlyChart = (region: string, hour: Date) =>
  getJson("/api/top/hourly", { region, hour: toApiHour(hour) });

/** Authoritative top 10 for one UTC day (`YYYY-MM-DD`). */
export const getDailyChart = (region: string, date: string) => getJson("/api/top/daily", { region, date });

/** Hourly plays of one song between two instants; null plays for hours not computed yet. */
export const getTrend = (region: string, songId: string, from: Date, to: Date) =>
  getJson("/api/trend", { region, song_id: songId, from: toApiHour(from), to: toApiHour(to) });

/** Live board against batch charts, hour by hour, for one UTC day (`YYYY-MM-DD`). */
export const getReconciliation = (region: string, date: string) => getJson("/api/reconciliation", { region, date });

/** Every pipeline stage's rate, lag, freshness and health, and the alerts firing, from Prometheus. */
export const getPipeline = () => getJson("/api/pipeline", {});

/** One allow-listed pipeline series (a stage's `series` name) over the last 15 minutes. */
export const getPipelineSeries = (name: string) => getJson("/api/pipeline/series", { name });

/** The board's push rate (updates/s, at most the server's DASHBOARD_LIVE_MAX_RATE_HZ): every change as it comes. */
const LIVE_RATE_HZ = 20;

/** Builds the live WebSocket URL relative to the page's own host (`rate`: updates/s; a wall display asks for 1). */
export function liveSocketUrl(
  region: string,
  window: LiveWindow,
  rate: number = LIVE_RATE_HZ,
  location: Location = globalThis.location,
): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = new URLSearchParams({ region, window, rate: String(rate) }).toString();
  return `${scheme}//${location.host}/ws/live?${query}`;
}
