import type { PipelineStage } from "../../api";
import { Sparkline } from "./Sparkline";

/** A figure for people: "—" when Prometheus has no series for it. */
export function formatFigure(value: number | null, unit = ""): string {
  if (value === null) return "—";
  const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toLocaleString(undefined, { maximumFractionDigits: digits })}${unit ? ` ${unit}` : ""}`;
}

const HEALTH_LABEL: Record<PipelineStage["health"], string> = {
  up: "up",
  down: "down",
  unknown: "not monitored",
};

/** One stage: its health, rate, lag and freshness, and a sparkline of its first series. */
export function StageCard({ stage, prometheusDown }: { stage: PipelineStage; prometheusDown: boolean }) {
  const health = prometheusDown ? "unknown" : stage.health;
  const spark = stage.series[0];
  // Only consumers (the live worker, the lake job) have a lag: the monitor measures them.
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
      </dl>
      {spark && <Sparkline name={spark} label={`${stage.title} ${stage.rate_unit}`} />}
    </article>
  );
}
