import { useQuery } from "@tanstack/react-query";
import type { ChartEntry, ChartFinality, ChartStatus } from "../../api";
import { getDailyChart, getHourlyChart, getReconciliation, getTrend } from "../../api";
import { dayPeriod, type HistorySelection, isOpen, type Period, selectedPeriod } from "./period";

/**
 * Open periods and charts still to be computed are re-fetched this often; final ones change only
 * when late plays restate them, which is rare enough not to poll for.
 */
export const OPEN_PERIOD_POLL_MS = 30_000;

/** An hourly or daily chart: its top 10 and how final it is. */
export interface HistoryChart extends ChartFinality {
  entries: ChartEntry[];
}

/** True while the batch chart has yet to be (re)computed. */
const isUnsettled = (status: ChartStatus) => status === "open" || status === "pending";

const pollWhile = (unsettled: boolean) => (unsettled ? OPEN_PERIOD_POLL_MS : false);

/** Top 10 for the selected hour or day, polled while that period includes now or its chart is unsettled. */
export function useHistoryChart(selection: HistorySelection) {
  const { region, granularity, date } = selection;
  const period = selectedPeriod(selection);
  return useQuery({
    queryKey: ["top", granularity, region, granularity === "day" ? date : period.start.toISOString()],
    queryFn: (): Promise<HistoryChart> =>
      granularity === "day" ? getDailyChart(region, date) : getHourlyChart(region, period.start),
    refetchInterval: (query) =>
      pollWhile(isOpen(period, new Date()) || (query.state.data !== undefined && isUnsettled(query.state.data.status))),
    staleTime: isOpen(period, new Date()) ? 0 : 60_000,
  });
}

/** Hourly plays of one song over the selected UTC day, polled while some of its hours are not computed yet. */
export function useSongTrend(region: string, date: string, songId: string | null) {
  const period: Period = dayPeriod(date);
  return useQuery({
    queryKey: ["trend", region, date, songId],
    queryFn: () => getTrend(region, songId as string, period.start, period.end),
    enabled: songId !== null,
    refetchInterval: (query) =>
      pollWhile(isOpen(period, new Date()) || (query.state.data?.points.some((p) => p.plays === null) ?? false)),
  });
}

/**
 * Live against batch for the selected day, fetched once its chart is loaded. The chart's `as_of` is
 * part of the key because a recomputed chart has a new reconciliation; it polls while the chart does.
 */
export function useReconciliation(region: string, date: string, chart: HistoryChart | undefined) {
  return useQuery({
    queryKey: ["reconciliation", region, date, chart?.as_of ?? null],
    queryFn: () => getReconciliation(region, date),
    enabled: chart !== undefined,
    // While a recomputed chart's reconciliation loads, keep showing the same day's previous one.
    placeholderData: (previous, previousQuery) =>
      previousQuery?.queryKey[1] === region && previousQuery.queryKey[2] === date ? previous : undefined,
    refetchInterval: () => pollWhile(chart !== undefined && isUnsettled(chart.status)),
  });
}
