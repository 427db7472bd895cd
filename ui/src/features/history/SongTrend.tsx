import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TrendPoint } from "../../api/types";
import { formatUtcClock } from "../../utcTime";
import { dayPeriod } from "./period";
import { useSongTrend } from "./useHistoryQueries";

const HOUR_MS = 3_600_000;

/** One point per UTC hour of the day up to now; hours the API left out had no plays. */
export function hourlySeries(date: string, points: TrendPoint[], now: Date): { hour: string; plays: number }[] {
  const { start, end } = dayPeriod(date);
  const plays = new Map(points.map((p) => [new Date(p.hour).getTime(), p.plays]));
  const series = [];
  for (let t = start.getTime(); t < end.getTime() && t <= now.getTime(); t += HOUR_MS) {
    series.push({ hour: formatUtcClock(new Date(t)), plays: plays.get(t) ?? 0 });
  }
  return series;
}

interface SongTrendProps {
  region: string;
  date: string;
  songId: string;
  title: string;
}

/** Hourly plays of the selected song across the selected UTC day. */
export function SongTrend({ region, date, songId, title }: SongTrendProps) {
  const trend = useSongTrend(region, date, songId);
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
            <LineChart
              data={hourlySeries(date, trend.data.points, new Date())}
              margin={{ top: 8, right: 16, bottom: 8, left: 0 }}
            >
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="hour" interval="preserveStartEnd" minTickGap={16} />
              <YAxis allowDecimals={false} width={40} />
              <Tooltip formatter={(value) => [value, "plays"]} />
              <Line
                type="linear"
                dataKey="plays"
                stroke="var(--accent-strong)"
                strokeWidth={2}
                dot={{ r: 2 }}
                isAnimationActive={false}
              />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
}
