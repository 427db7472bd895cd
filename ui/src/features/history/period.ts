import { formatUtcDate } from "../../utcTime";

export type Granularity = "hour" | "day";

/** What the history view shows; `date` is a UTC `YYYY-MM-DD`, `hour` a UTC hour 0–23. */
export interface HistorySelection {
  region: string;
  granularity: Granularity;
  date: string;
  hour: number;
}

export interface Period {
  start: Date;
  end: Date;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Start of the UTC day `YYYY-MM-DD`. */
function dayStart(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

/** The UTC day containing the selection, whatever its granularity (the trend's range). */
export function dayPeriod(date: string): Period {
  const start = dayStart(date);
  return { start, end: new Date(start.getTime() + DAY_MS) };
}

/** Half-open [start, end) interval the selected chart covers. */
export function selectedPeriod(selection: Pick<HistorySelection, "granularity" | "date" | "hour">): Period {
  if (selection.granularity === "day") return dayPeriod(selection.date);
  const start = new Date(dayStart(selection.date).getTime() + selection.hour * HOUR_MS);
  return { start, end: new Date(start.getTime() + HOUR_MS) };
}

/** True while `now` falls inside the period: its chart can still change. */
export function isOpen(period: Period, now: Date): boolean {
  return period.start <= now && now < period.end;
}

export function isFuture(period: Period, now: Date): boolean {
  return now < period.start;
}

/** The most recent closed UTC hour: the newest hourly chart that can exist. */
export function defaultSelection(now: Date, region = "US"): HistorySelection {
  const lastHour = new Date(now.getTime() - HOUR_MS);
  return { region, granularity: "hour", date: formatUtcDate(lastHour), hour: lastHour.getUTCHours() };
}

/** `2025-04-23 14:00 UTC` or `2025-04-23`. */
export function describePeriod(selection: Pick<HistorySelection, "granularity" | "date" | "hour">): string {
  if (selection.granularity === "day") return selection.date;
  return `${selection.date} ${String(selection.hour).padStart(2, "0")}:00 UTC`;
}
