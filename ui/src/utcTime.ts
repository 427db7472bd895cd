/** Wall-clock formatting in UTC: every chart in the pipeline is bucketed by UTC hours. */

const pad = (n: number) => String(n).padStart(2, "0");

/** `14:05` for an ISO instant or Date, in UTC. */
export function formatUtcClock(value: string | Date): string {
  const date = typeof value === "string" ? new Date(value) : value;
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

/** `YYYY-MM-DD` of a Date, in UTC. */
export function formatUtcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** `2025-04-23 14:00–14:05 UTC` (the date is repeated only when the range crosses midnight). */
export function formatUtcRange(start: string, end: string): string {
  const from = new Date(start);
  const to = new Date(end);
  const endsNextDay = formatUtcDate(to) !== formatUtcDate(from) && to.getTime() - from.getTime() > 0;
  const toLabel =
    endsNextDay && formatUtcClock(to) !== "00:00" ? `${formatUtcDate(to)} ${formatUtcClock(to)}` : formatUtcClock(to);
  return `${formatUtcDate(from)} ${formatUtcClock(from)}–${toLabel} UTC`;
}

/** `2025-04-23 14:05 UTC` for an ISO instant. */
export function formatUtcInstant(value: string): string {
  const date = new Date(value);
  return `${formatUtcDate(date)} ${formatUtcClock(date)} UTC`;
}
