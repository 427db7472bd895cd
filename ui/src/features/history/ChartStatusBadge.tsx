import type { ChartFinality, ChartStatus } from "../../api";
import { formatUtcInstant } from "../../utcTime";

const MEANING: Record<ChartStatus, string> = {
  open: "the period is not over yet, so the chart still changes",
  pending: "the period is closed but the lake is not complete, so the batch chart is not computed yet",
  final: "computed from the complete lake",
  restated: "recomputed after late plays arrived",
};

const count = (n: number, noun: string) => `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;

/** `as of 2025-04-23 15:05 UTC, 2 restatements, 37 late plays`. */
function describeFinality({ as_of, restatements, late_plays }: ChartFinality): string {
  const when = as_of === null ? "never computed" : `as of ${formatUtcInstant(as_of)}`;
  return `${when}, ${count(restatements, "restatement")}, ${count(late_plays, "late play")}`;
}

/** How final the shown chart is, with its figures as a tooltip (and as text for screen readers). */
export function ChartStatusBadge({ finality }: { finality: ChartFinality }) {
  const figures = describeFinality(finality);
  return (
    <span
      className={`badge badge--${finality.status}`}
      data-testid="chart-status"
      data-status={finality.status}
      title={`${figures} — ${MEANING[finality.status]}`}
    >
      {finality.status}
      <span className="visually-hidden">: {figures}</span>
    </span>
  );
}
