import { useEffect, useState } from "react";
import type { LiveChart } from "../../api";

/** Plays per second over the part of the window that has passed (a window still open counts to now). */
export function playsPerSecond(chart: Pick<LiveChart, "plays" | "window_start" | "window_end">, now: number): number {
  const start = Date.parse(chart.window_start);
  const elapsed = (Math.min(now, Date.parse(chart.window_end)) - start) / 1000;
  return elapsed > 0 ? chart.plays / elapsed : 0;
}

/** Whole seconds since the newest counted play, or null when the board has none. */
export function newestPlayAge(newestPlayAt: string | null, now: number): number | null {
  return newestPlayAt === null ? null : Math.max(0, Math.floor((now - Date.parse(newestPlayAt)) / 1000));
}

/** "12 s", "4 min 5 s", "2 h 3 min": short enough for a phone. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** The time now, re-read every second, so an age keeps growing while no frame arrives. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** How fresh the live board is: the region's plays per second and the age of the newest counted play. */
export function LiveFreshness({ chart }: { chart: LiveChart }) {
  const now = useNow();
  const age = newestPlayAge(chart.newest_play_at, now);
  return (
    <>
      <div title="Plays counted in this window, per second of it so far">
        <dt>Plays/s</dt>
        <dd data-testid="plays-per-second">
          {playsPerSecond(chart, now).toLocaleString(undefined, { maximumFractionDigits: 1 })}
        </dd>
      </div>
      <div title="Age of the newest play the live worker counted in this region; it grows when the worker stalls">
        <dt>Newest play</dt>
        <dd data-testid="newest-play-age" data-seconds={age ?? ""}>
          {age === null ? "none yet" : `${formatAge(age)} ago`}
        </dd>
      </div>
    </>
  );
}
