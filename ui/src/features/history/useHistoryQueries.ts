import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import type { ChartEntry } from "../../api/types";
import { dayPeriod, isOpen, selectedPeriod, type HistorySelection, type Period } from "./period";

/** Open periods are re-fetched this often; closed ones never change, so they are not polled. */
export const OPEN_PERIOD_POLL_MS = 30_000;

const pollWhileOpen = (period: Period) => () => (isOpen(period, new Date()) ? OPEN_PERIOD_POLL_MS : false);

/** Top 10 for the selected hour or day, polled only while that period includes now. */
export function useHistoryChart(selection: HistorySelection) {
  const { region, granularity, date } = selection;
  const period = selectedPeriod(selection);
  return useQuery({
    queryKey: ["top", granularity, region, granularity === "day" ? date : period.start.toISOString()],
    queryFn: async (): Promise<ChartEntry[]> => {
      const chart = granularity === "day" ? await api.topDaily(region, date) : await api.topHourly(region, period.start);
      return chart.entries;
    },
    refetchInterval: pollWhileOpen(period),
    staleTime: isOpen(period, new Date()) ? 0 : 60_000,
  });
}

/** Hourly plays of one song over the selected UTC day. */
export function useSongTrend(region: string, date: string, songId: string | null) {
  const period = dayPeriod(date);
  return useQuery({
    queryKey: ["trend", region, date, songId],
    queryFn: () => api.trend(region, songId as string, period.start, period.end),
    enabled: songId !== null,
    refetchInterval: pollWhileOpen(period),
  });
}
