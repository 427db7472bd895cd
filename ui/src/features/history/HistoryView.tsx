import { useSearchParams } from "react-router";
import type { ChartStatus } from "../../api";
import { ApiError } from "../../api";
import { Field, SelectField } from "../../components/Field";
import { RegionSelect } from "../regions/RegionSelect";
import { ChartStatusBadge } from "./ChartStatusBadge";
import {
  defaultSelection,
  describePeriod,
  type Granularity,
  type HistorySelection,
  isFuture,
  isOpen,
  selectedPeriod,
} from "./period";
import { ReconciliationLine } from "./ReconciliationLine";
import { SongTrend } from "./SongTrend";
import { TopTenBars } from "./TopTenBars";
import { OPEN_PERIOD_POLL_MS, useHistoryChart } from "./useHistoryQueries";

const HOURS = Array.from({ length: 24 }, (_, hour) => ({ value: hour, label: `${String(hour).padStart(2, "0")}:00` }));
const GRANULARITIES: { value: Granularity; label: string }[] = [
  { value: "hour", label: "Hourly" },
  { value: "day", label: "Daily" },
];

function readSelection(params: URLSearchParams, now: Date): HistorySelection {
  const fallback = defaultSelection(now);
  const hour = Number(params.get("hour"));
  const date = params.get("date");
  return {
    region: params.get("region") ?? fallback.region,
    granularity: params.get("granularity") === "day" ? "day" : "hour",
    date: date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : fallback.date,
    hour: params.has("hour") && Number.isInteger(hour) && hour >= 0 && hour < 24 ? hour : fallback.hour,
  };
}

function EmptyState({ selection, status, now }: { selection: HistorySelection; status: ChartStatus; now: Date }) {
  const period = selectedPeriod(selection);
  const what = `${selection.region}, ${describePeriod(selection)}`;
  let why: string;
  if (isFuture(period, now)) {
    why = `that ${selection.granularity} hasn't started yet`;
  } else if (status === "pending") {
    why = `the ${selection.granularity} is over but the lake is not complete yet, so its chart is not computed (checking again every ${OPEN_PERIOD_POLL_MS / 1000} s)`;
  } else if (selection.granularity === "hour") {
    why = isOpen(period, now)
      ? `the hourly job runs after the hour closes (checking again every ${OPEN_PERIOD_POLL_MS / 1000} s)`
      : "the hourly job runs after the hour closes; if it closed a while ago, no plays were recorded";
  } else {
    why = isOpen(period, now)
      ? `the hourly job runs after each hour closes, so the day fills in as its hours close (checking again every ${OPEN_PERIOD_POLL_MS / 1000} s)`
      : "the hourly job runs after each hour closes; no hourly chart was written for this day";
  }
  return (
    <p className="state state--empty" data-testid="history-empty">
      No chart yet for {what} — {why}.
    </p>
  );
}

function ErrorState({ error, what, onRetry }: { error: Error; what: string; onRetry: () => void }) {
  const reason =
    error instanceof ApiError && error.status === 0
      ? "dashboard-api can't be reached"
      : error instanceof ApiError && error.status === 422
        ? `the server rejected the request (${error.message})`
        : error.message;
  return (
    <div className="state state--error" role="alert" data-testid="history-error">
      <p>
        Couldn't load the chart for {what}: {reason}.
      </p>
      <button type="button" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}

/** Authoritative hourly/daily charts from PostgreSQL, with a per-song trend. */
export function HistoryView() {
  const [params, setParams] = useSearchParams();
  const now = new Date();
  const selection = readSelection(params, now);
  const songId = params.get("song");
  const chart = useHistoryChart(selection);

  const update = (changes: Record<string, string | null>) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        // Pin the implicit defaults so the URL stays put while the clock moves on.
        next.set("date", selection.date);
        next.set("hour", String(selection.hour));
        for (const [key, value] of Object.entries(changes)) {
          if (value === null) next.delete(key);
          else next.set(key, value);
        }
        return next;
      },
      { replace: true },
    );

  const what = `${selection.region}, ${describePeriod(selection)}`;
  const selectedEntry = chart.data?.entries.find((entry) => entry.song_id === songId);

  return (
    <section className="panel" aria-labelledby="history-heading">
      <header className="panel__header">
        <h2 id="history-heading">History</h2>
        {chart.isFetching && <span className="muted">updating…</span>}
      </header>

      <div className="controls">
        <RegionSelect value={selection.region} onChange={(region) => update({ region })} />
        <SelectField
          id="granularity-select"
          label="Chart"
          value={selection.granularity}
          options={GRANULARITIES}
          onChange={(granularity) => update({ granularity })}
        />
        <Field id="date-input" label="Date (UTC)">
          <input
            id="date-input"
            data-testid="date-input"
            type="date"
            value={selection.date}
            onChange={(event) => event.target.value && update({ date: event.target.value })}
          />
        </Field>
        <SelectField
          id="hour-input"
          label="Hour (UTC)"
          value={selection.hour}
          options={HOURS}
          disabled={selection.granularity === "day"}
          onChange={(hour) => update({ hour })}
        />
      </div>

      <h3 className="subheading">
        Top 10 — {what}
        {chart.data && <ChartStatusBadge finality={chart.data} />}
      </h3>

      {chart.isPending && <p className="state">Loading chart…</p>}
      {chart.isError && <ErrorState error={chart.error} what={what} onRetry={() => void chart.refetch()} />}
      {chart.data && chart.data.entries.length === 0 && (
        <EmptyState selection={selection} status={chart.data.status} now={now} />
      )}
      {chart.data && chart.data.entries.length > 0 && (
        <TopTenBars entries={chart.data.entries} selectedSongId={songId} onSelect={(song) => update({ song })} />
      )}
      {chart.data && <ReconciliationLine selection={selection} chart={chart.data} />}

      {songId ? (
        <SongTrend
          region={selection.region}
          date={selection.date}
          songId={songId}
          title={selectedEntry ? `${selectedEntry.title} — ${selectedEntry.artist}` : songId}
        />
      ) : (
        chart.data &&
        chart.data.entries.length > 0 && (
          <p className="muted hint">Pick a song (bar or list row) to see its plays per hour.</p>
        )
      )}
    </section>
  );
}
