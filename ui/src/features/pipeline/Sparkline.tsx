import { usePipelineSeries } from "./usePipeline";

const WIDTH = 120;
const HEIGHT = 28;

/** SVG polyline points of `[time, value]` pairs scaled into the box (a flat line for constant values). */
export function sparkPoints(points: [number, number][]): string {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || points.length < 2) return "";
  const [t0, t1] = [first[0], last[0]];
  const values = points.map(([, v]) => v);
  const [low, high] = [Math.min(...values), Math.max(...values)];
  const x = (t: number) => ((t - t0) / (t1 - t0 || 1)) * WIDTH;
  // Leave a pixel at the top and bottom so the stroke is not clipped.
  const y = (v: number) => (high === low ? HEIGHT / 2 : HEIGHT - 1 - ((v - low) / (high - low)) * (HEIGHT - 2));
  return points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
}

/** The last 15 minutes of one allow-listed series as a small line. */
export function Sparkline({ name, label }: { name: string; label: string }) {
  const { data } = usePipelineSeries(name);
  const points = sparkPoints(data?.points ?? []);
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`${label}, last 15 minutes`}
      data-testid={`spark-${name}`}
      data-points={data?.points.length ?? 0}
    >
      {points && <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />}
    </svg>
  );
}
