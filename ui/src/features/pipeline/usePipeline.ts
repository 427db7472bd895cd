import { useQuery } from "@tanstack/react-query";
import { getPipeline, getPipelineSeries } from "../../api";

/** dashboard-api caches Prometheus' answers for a few seconds; polling faster would show nothing new. */
const PIPELINE_POLL_MS = 5_000;
/** A series has a point every 15 s: polling at that pace keeps the sparkline current. */
const SERIES_POLL_MS = 15_000;

/** The stages and alerts, polled every few seconds (also while Prometheus is down, to see it return). */
export function usePipeline() {
  return useQuery({ queryKey: ["pipeline"], queryFn: getPipeline, refetchInterval: PIPELINE_POLL_MS });
}

/** The last 15 minutes of one allow-listed series. */
export function usePipelineSeries(name: string) {
  return useQuery({
    queryKey: ["pipeline-series", name],
    queryFn: () => getPipelineSeries(name),
    refetchInterval: SERIES_POLL_MS,
  });
}
