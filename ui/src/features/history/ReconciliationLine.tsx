import type { ReactNode } from "react";
import type { HourReconciliation, Reconciliation, ReconciliationStatus, TopEntry } from "../../api";
import { formatUtcClock } from "../../utcTime";
import { type HistorySelection, selectedPeriod } from "./period";
import { type HistoryChart, useReconciliation } from "./useHistoryQueries";

const number = (n: number) => n.toLocaleString("en-US");
const signed = (n: number) => (n > 0 ? `+${number(n)}` : n < 0 ? `−${number(-n)}` : "0");
const plays = (n: number) => `${n === 1 || n === -1 ? "play" : "plays"}`;
const hours = (n: number) => `${n} ${n === 1 ? "hour" : "hours"}`;

/** Songs whose plays differ between the two top 10s (a song missing from one side counts). */
function differingSongs(live: TopEntry[], batch: TopEntry[]): number {
  const livePlays = new Map(live.map((s) => [s.song_id, s.plays]));
  const batchPlays = new Map(batch.map((s) => [s.song_id, s.plays]));
  const songs = new Set([...livePlays.keys(), ...batchPlays.keys()]);
  return [...songs].filter((song) => livePlays.get(song) !== batchPlays.get(song)).length;
}

/** The reconciliation sentence for one hour. */
function describeHour(hour: HourReconciliation): string {
  switch (hour.status) {
    case "agree":
      return "live and batch agree";
    case "explained": {
      const dropped = hour.late_dropped ?? 0;
      return `explained difference: ${signed(dropped)} ${plays(dropped)} dropped late by the live board`;
    }
    case "unexplained": {
      const unexplained = hour.unexplained ?? 0;
      if (unexplained === 0) {
        const songs = differingSongs(hour.live_top, hour.batch_top);
        return `unexplained difference: same total plays, but ${songs} ${songs === 1 ? "song differs" : "songs differ"} between the top 10s`;
      }
      const figures = `batch ${number(hour.batch_plays ?? 0)}, live ${number(hour.live_plays ?? 0)}, ${number(hour.late_dropped ?? 0)} dropped late`;
      return `unexplained difference: ${signed(unexplained)} ${plays(unexplained)} (${figures})`;
    }
    case "pending":
      return "pending: the batch chart is not final yet or the live board has no final record for this hour";
  }
}

/** One sentence for the whole day, and the state it adds up to (worst first: unexplained, pending, explained). */
function summarizeDay(reconciliation: Reconciliation): { state: ReconciliationStatus; text: string } {
  const { hours: all } = reconciliation;
  const agree = all.filter((h) => h.status === "agree");
  const explained = all.filter((h) => h.status === "explained");
  const unexplained = all.filter((h) => h.status === "unexplained");
  const pending = all.filter((h) => h.status === "pending");
  if (all.length === 0) return { state: "pending", text: "pending: no hour of this day to reconcile yet" };
  if (agree.length === all.length) return { state: "agree", text: `live and batch agree (${hours(all.length)})` };
  const parts: string[] = [];
  if (agree.length) parts.push(`${hours(agree.length)} ${agree.length === 1 ? "agrees" : "agree"}`);
  if (explained.length) {
    const dropped = explained.reduce((sum, h) => sum + (h.late_dropped ?? 0), 0);
    parts.push(
      `explained difference: ${signed(dropped)} ${plays(dropped)} dropped late by the live board (${hours(explained.length)})`,
    );
  }
  if (unexplained.length) {
    parts.push(
      `unexplained difference: ${signed(reconciliation.unexplained)} ${plays(reconciliation.unexplained)} (${hours(unexplained.length)})`,
    );
  }
  if (pending.length) parts.push(`${hours(pending.length)} pending`);
  const state = unexplained.length ? "unexplained" : pending.length ? "pending" : "explained";
  return { state, text: parts.join(" · ") };
}

interface ReconciliationLineProps {
  selection: HistorySelection;
  chart: HistoryChart;
}

/** Whether the live board and the batch chart agree for the selected hour, or hour by hour for the day. */
export function ReconciliationLine({ selection, chart }: ReconciliationLineProps) {
  const reconciliation = useReconciliation(selection.region, selection.date, chart);
  const line = (state: string, body: ReactNode, title?: string) => (
    <div
      className={`reconciliation reconciliation--${state}`}
      data-testid="reconciliation"
      data-state={state}
      title={title}
    >
      <span className="reconciliation__label">Reconciliation:</span> {body}
    </div>
  );

  if (!reconciliation.data) {
    return reconciliation.isError
      ? line("unavailable", "reconciliation unavailable", reconciliation.error.message)
      : line("loading", "checking…");
  }

  // While dashboard-api cannot read the live side, hours it had not read yet stay pending: say why.
  const liveNote =
    reconciliation.data.live === "unavailable" ? " · live side unavailable (Kafka cannot be read now)" : "";
  if (selection.granularity === "hour") {
    const start = selectedPeriod(selection).start.getTime();
    const hour = reconciliation.data.hours.find((h) => new Date(h.hour).getTime() === start);
    if (!hour) return line("pending", `pending: this hour is not reconciled yet${liveNote}`);
    return line(hour.status, `${describeHour(hour)}${hour.status === "pending" ? liveNote : ""}`);
  }

  const summary = summarizeDay(reconciliation.data);
  const state = summary.state;
  const text = state === "pending" ? `${summary.text}${liveNote}` : summary.text;
  const differing = reconciliation.data.hours.filter((h) => h.status === "explained" || h.status === "unexplained");
  return line(
    state,
    <>
      {text}
      {differing.length > 0 && (
        <ul className="reconciliation__hours">
          {differing.map((hour) => (
            <li key={hour.hour} data-hour={formatUtcClock(hour.hour)} data-status={hour.status}>
              {formatUtcClock(hour.hour)} UTC — {describeHour(hour)}
            </li>
          ))}
        </ul>
      )}
    </>,
  );
}
