import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TrendPoint } from "../../api";
import { formatUtcClock } from "../../utcTime";
import { dayPeriod } from "./period";
import { useSongTrend } from "./useHistoryQueries";

const HOUR_MS = 3_600_000;

/** One hour of the trend; `plays` is null while the hour is not computed yet (pending), never 0. */
export interface TrendHour {
  index: number;
  hour: string;
  plays: number | null;
}

/**
 * One point per UTC hour of the day up to now. Hours the API left out had no plays once closed;
 * the hour still running, or any the API marks open/pending, has no figure yet.
 */
export function hourlySeries(date: string, points: TrendPoint[], now: Date): TrendHour[] {
  const { start, end } = dayPeriod(date);
  const byHour = new Map(points.map((p) => [new Date(p.hour).getTime(), p]));
  const series: TrendHour[] = [];
  for (let t = start.getTime(); t < end.getTime() && t <= now.getTime(); t += HOUR_MS) {
    const point = byHour.get(t);
    const closed = t + HOUR_MS <= now.getTime();
    const plays = point
      ? point.status === "open" || point.status === "pending"
        ? null
        : point.plays
      : closed
        ? 0
        : null;
    series.push({ index: series.length, hour: formatUtcClock(new Date(t)), plays });
  }
  return series;
}

/** Runs of consecutive pending hours, as [first, last] indexes. */
export function pendingRuns(series: TrendHour[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const { index, plays } of series) {
    const last = runs[runs.length - 1];
    if (plays !== null) continue;
    if (last && last[1] === index - 1) last[1] = index;
    else runs.push([index, index]);
  }
  return runs;
}

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

interface SongTrendProps {
  region: string;
  date: string;
  songId: string;
  title: string;
}

/** Hourly plays of the selected song across the selected UTC day; hours not computed yet are shaded "pending". */
export function SongTrend({ region, date, songId, title }: SongTrendProps) {
  const trend = useSongTrend(region, date, songId);
  const series = trend.data ? hourlySeries(date, trend.data.points, new Date()) : [];
  const pending = pendingRuns(series);
  const hourLabel = (index: number) => series[index]?.hour ?? "";
  const dayStart = dayPeriod(date).start.getTime();
  const runLabel = ([first, last]: [number, number]) =>
    `${hourLabel(first)}–${formatUtcClock(new Date(dayStart + (last + 1) * HOUR_MS))}`;
  return (
    <section className="trend" data-testid="trend" aria-labelledby="trend-heading">
      <h3 id="trend-heading">
        {title} <span className="muted">— plays per hour, {date} (UTC)</span>
      </h3>
      {trend.isPending && <p className="state">Loading trend…</p>}
      {trend.isError && (
        <p className="state state--error" role="alert">
          Couldn't load the trend for {title}: {trend.error.message}
        </p>
      )}
      {trend.data && (
        <div className="trend__plot" data-testid="trend-chart">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={series} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="index"
                type="number"
                domain={[-0.5, Math.max(series.length, 1) - 0.5]}
                ticks={series.map((h) => h.index)}
                tickFormatter={hourLabel}
                interval="preserveStartEnd"
                minTickGap={16}
              />
              <YAxis allowDecimals={false} width={56} tickFormatter={(value: number) => compact.format(value)} />
              <Tooltip
                labelFormatter={(index) => hourLabel(Number(index))}
                formatter={(value) => [
                  value === null || value === undefined ? "pending" : Number(value).toLocaleString("en-US"),
                  "plays",
                ]}
              />
              {pending.map(([first, last]) => (
                <ReferenceArea
                  key={first}
                  x1={first - 0.5}
                  x2={last + 0.5}
                  fill="var(--pending)"
                  fillOpacity={1}
                  label={{ value: "pending", position: "insideTop", fill: "var(--muted)", fontSize: 11 }}
                />
              ))}
              <Line
                type="linear"
                dataKey="plays"
                stroke="var(--accent-strong)"
                strokeWidth={2}
                dot={{ r: 2 }}
                connectNulls={false}
                isAnimationActive={false}
              />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
      {pending.length > 0 && (
        <p className="muted hint" data-testid="trend-pending">
          Pending (not computed yet, not zero): {pending.map(runLabel).join(", ")} UTC
        </p>
      )}
    </section>
  );
}
