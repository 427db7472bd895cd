import { useQuery } from "@tanstack/react-query";
import { getRegions } from "../../api";

const FALLBACK_REGIONS = ["US"];

/** Regions from dashboard-api, falling back to US (with the error) when they can't be loaded. */
export function useRegions(): { regions: string[]; error: Error | null; isLoading: boolean } {
  const query = useQuery({
    queryKey: ["regions"],
    queryFn: getRegions,
    staleTime: 5 * 60_000,
  });
  const regions = query.data?.regions.length ? query.data.regions : FALLBACK_REGIONS;
  return { regions, error: query.error, isLoading: query.isLoading };
}
