import { useSearchParams } from "react-router";
import type { LiveWindow } from "../../api";
import { SelectField } from "../../components/Field";
import { formatUtcRange } from "../../utcTime";
import { RegionSelect } from "../regions/RegionSelect";
import { ConnectionStatus } from "./ConnectionStatus";
import { LiveFreshness } from "./LiveFreshness";
import { LiveList } from "./LiveList";
import { type LiveChartOptions, useLiveChart } from "./useLiveChart";

const WINDOW_LABEL: Record<LiveWindow, string> = {
  "5m": "Last 5 minutes",
  "60m": "Last 60 minutes",
  hour: "This hour",
};
// Typed by the generated enum, so a window added to dashboard-api's settings fails tsc until labelled.
const LIVE_WINDOWS = Object.keys(WINDOW_LABEL) as LiveWindow[];

function asWindow(value: string | null): LiveWindow {
  return LIVE_WINDOWS.find((w) => w === value) ?? "5m";
}

/** Live top 10 for the region/window in the URL, streamed over the WebSocket. */
export function LiveBoard({ liveOptions }: { liveOptions?: LiveChartOptions }) {
  const [params, setParams] = useSearchParams();
  const region = params.get("region") ?? "US";
  const window = asWindow(params.get("window"));
  const { chart, connection, error } = useLiveChart(region, window, liveOptions);

  const update = (key: "region" | "window", value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.set(key, value);
        return next;
      },
      { replace: true },
    );

  return (
    <section className="panel" aria-labelledby="live-heading">
      <header className="panel__header">
        <h2 id="live-heading">Live top 10</h2>
        <ConnectionStatus state={connection} error={error} />
      </header>

      <div className="controls">
        <RegionSelect value={region} onChange={(value) => update("region", value)} />
        <SelectField
          id="window-select"
          label="Window"
          value={window}
          options={LIVE_WINDOWS.map((w) => ({ value: w, label: WINDOW_LABEL[w] }))}
          onChange={(value) => update("window", value)}
        />
      </div>

      {chart ? (
        <>
          <dl className="meta">
            <div>
              <dt>Window</dt>
              <dd data-testid="window-range">{formatUtcRange(chart.window_start, chart.window_end)}</dd>
            </div>
            <LiveFreshness chart={chart} />
            <div
              title={
                "Plays that reached the live board after their minute's allowed lateness (for example " +
                "a backfill of past hours) are not counted here; the history charts count every one of them."
              }
            >
              <dt>Late plays (history only)</dt>
              <dd data-testid="late-dropped">{chart.late_dropped.toLocaleString()}</dd>
            </div>
          </dl>
          {chart.entries.length > 0 ? (
            <LiveList entries={chart.entries} />
          ) : (
            <p className="state state--empty" data-testid="live-empty">
              No plays in {region} for this window yet.
            </p>
          )}
        </>
      ) : (
        <p className="state" data-testid="live-waiting">
          {connection === "offline" && error
            ? `No live chart for ${region}: ${error}.`
            : `Waiting for the first snapshot for ${region}…`}
        </p>
      )}
    </section>
  );
}
