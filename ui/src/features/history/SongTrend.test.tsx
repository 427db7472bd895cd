import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { TrendPoint } from "../../api";
import { FINAL, json, renderAt, serve } from "../../test/dashboardApi";
import { HistoryView } from "./HistoryView";
import { hourlySeries, pendingRuns } from "./SongTrend";

const at = (h: number) => `2025-04-23T${String(h).padStart(2, "0")}:00:00Z`;
const final = (h: number, plays: number): TrendPoint => ({ hour: at(h), plays, status: "final" });
const notYet = (h: number, status: "open" | "pending" = "pending"): TrendPoint => ({
  hour: at(h),
  plays: null,
  status,
});

describe("hourlySeries", () => {
  it("keeps hours that are not computed yet as null, never 0", () => {
    const points = [
      final(0, 5),
      { hour: at(1), plays: 2, status: "restated" as const },
      notYet(3),
      notYet(4),
      final(5, 10_000),
    ];
    const series = hourlySeries("2025-04-23", points, new Date("2025-04-24T06:00:00Z"));

    expect(series).toHaveLength(24);
    expect(series.slice(0, 6).map((h) => [h.hour, h.plays])).toEqual([
      ["00:00", 5],
      ["01:00", 2],
      ["02:00", 0], // closed and left out by the API: no plays
      ["03:00", null],
      ["04:00", null],
      ["05:00", 10_000],
    ]);
    expect(pendingRuns(series)).toEqual([[3, 4]]);
  });

  it("trusts the status over a figure and counts the running hour as pending", () => {
    const points = [final(0, 5), { hour: at(1), plays: 0, status: "pending" as const }];
    const series = hourlySeries("2025-04-23", points, new Date("2025-04-23T02:30:00Z"));

    expect(series.map((h) => h.plays)).toEqual([5, null, null]);
    expect(pendingRuns(series)).toEqual([[1, 2]]);
  });
});

const entries = [{ rank: 1, song_id: "s-1", title: "Blue Hour", artist: "X", plays: 9 }];

function serveTrend(points: TrendPoint[]) {
  serve({
    "/api/regions": () => json({ regions: ["US"] }),
    "/api/top/hourly": () => json({ region: "US", hour: at(14), entries, ...FINAL }),
    "/api/top/daily": () => json({ region: "US", date: "2025-04-23", entries, ...FINAL }),
    "/api/trend": () => json({ region: "US", song_id: "s-1", points }),
  });
}

describe("SongTrend", () => {
  it("names the pending hours under the chart instead of drawing them as 0", async () => {
    serveTrend([final(13, 4), notYet(14), notYet(15), final(16, 2), notYet(20, "open")]);
    renderAt("/history?region=US&date=2025-04-23&hour=14", <HistoryView />);

    await userEvent.click(await screen.findByRole("button", { name: /Blue Hour/ }));
    expect(await screen.findByTestId("trend-pending")).toHaveTextContent(
      "Pending (not computed yet, not zero): 14:00–16:00, 20:00–21:00 UTC",
    );
  });

  it("shows no pending note when every hour is computed", async () => {
    serveTrend([final(13, 4)]);
    renderAt("/history?region=US&granularity=day&date=2025-04-23&song=s-1", <HistoryView />);

    expect(await screen.findByTestId("trend-chart")).toBeInTheDocument();
    expect(screen.queryByTestId("trend-pending")).not.toBeInTheDocument();
  });
});
