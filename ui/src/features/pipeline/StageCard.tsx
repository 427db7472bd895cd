import type { PipelineStage } from "../../api";
import { Sparkline } from "./Sparkline";

/** A figure for people: "—" when Prometheus has no series for it. */
export function formatFigure(value: number | null, unit = ""): string {
  if (value === null) return "—";
  const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toLocaleString(undefined, { maximumFractionDigits: digits })}${unit ? ` ${unit}` : ""}`;
}

/** An age for people: "42 s", "12 min", "3.5 h"; "—" when unknown. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 120) return formatFigure(Math.max(Math.round(seconds), 0), "s");
  if (seconds < 7200) return formatFigure(Math.round(seconds / 60), "min");
  return formatFigure(Math.round(seconds / 360) / 10, "h");
}

// What each of the monitor's freshness stages holds (docs/observability.md).
const FRESH_LABEL: Record<string, string> = {
  ingest: "Newest play",
  live: "Newest counted",
  lake: "Newest in lake",
  hourly: "Hourly chart",
  daily: "Daily chart",
};

const HEALTH_LABEL: Record<PipelineStage["health"], string> = {
  up: "up",
  down: "down",
  unknown: "not monitored",
};

/** One stage: its health, rate, lag, event-time freshness and (the API) push latency, and a sparkline
 * of its first series. */
export function StageCard({ stage, prometheusDown }: { stage: PipelineStage; prometheusDown: boolean }) {
  const health = prometheusDown ? "unknown" : stage.health;
  const spark = stage.series[0];
  // Only consumers (the live worker, the lake job, the API's live feed) have a lag: the monitor measures them.
  const consumer = stage.series.some((name) => name.endsWith("_lag_records"));
  return (
    <article className="stage" data-testid={`stage-${stage.id}`} data-health={health}>
      <header className="stage__header">
        <h3>{stage.title}</h3>
        <span className={`stage__health stage__health--${health}`} data-testid="stage-health">
          {prometheusDown ? "no data" : HEALTH_LABEL[health]}
        </span>
      </header>
      <dl className="stage__figures">
        {stage.rate_unit && (
          <div>
            <dt>Rate</dt>
            <dd data-testid="stage-rate">{formatFigure(stage.rate, stage.rate_unit)}</dd>
          </div>
        )}
        {consumer && (
          <>
            <div>
              <dt>Lag</dt>
              <dd data-testid="stage-lag">
                {formatFigure(stage.lag_records, "msgs")} · {formatFigure(stage.lag_seconds, "s")}
              </dd>
            </div>
            <div title="When the lag monitor last measured this consumer">
              <dt>Measured</dt>
              <dd>{stage.freshness_seconds === null ? "—" : `${formatFigure(stage.freshness_seconds)} s ago`}</dd>
            </div>
          </>
        )}
        {stage.freshness.map((fresh) => (
          <div
            key={fresh.stage}
            data-testid={`stage-freshness-${fresh.stage}`}
            title="Age of the newest play this stage holds (charts: the end of the newest final one); the stage last moved it forward at the second time"
          >
            <dt>{FRESH_LABEL[fresh.stage] ?? fresh.stage}</dt>
            <dd>
              {formatAge(fresh.newest_seconds)} old
              {fresh.last_success_seconds !== null && (
                <span className="muted"> · moved {formatAge(fresh.last_success_seconds)} ago</span>
              )}
            </dd>
          </div>
        ))}
        {stage.push_latency_seconds !== null && (
          <div title="95th percentile over 5 minutes of a play's way from ingest to a pushed live update">
            <dt>Push p95</dt>
            <dd data-testid="stage-push-latency">{formatFigure(stage.push_latency_seconds, "s")}</dd>
          </div>
        )}
      </dl>
      {spark && <Sparkline name={spark} label={`${stage.title} ${stage.rate_unit}`} />}
    </article>
  );
}
