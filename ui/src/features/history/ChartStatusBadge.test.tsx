import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ChartFinality } from "../../api";
import { json, renderAt, serve } from "../../test/dashboardApi";
import { HistoryView } from "./HistoryView";

const entries = [{ rank: 1, song_id: "s-1", title: "Blue Hour", artist: "X", plays: 9 }];

function serveChart(finality: ChartFinality) {
  serve({
    "/api/regions": () => json({ regions: ["US"] }),
    "/api/top/hourly": () => json({ region: "US", hour: "2025-04-23T14:00:00Z", entries, ...finality }),
    "/api/top/daily": () => json({ region: "US", date: "2025-04-23", entries, ...finality }),
  });
}

describe("chart status badge", () => {
  it.each<[ChartFinality, string]>([
    [
      { status: "final", as_of: "2025-04-23T15:05:00Z", restatements: 0, late_plays: 0 },
      "as of 2025-04-23 15:05 UTC, 0 restatements, 0 late plays",
    ],
    [
      { status: "restated", as_of: "2025-04-23T18:40:00Z", restatements: 2, late_plays: 1234 },
      "as of 2025-04-23 18:40 UTC, 2 restatements, 1,234 late plays",
    ],
    [
      { status: "restated", as_of: "2025-04-24T00:10:00Z", restatements: 1, late_plays: 1 },
      "as of 2025-04-24 00:10 UTC, 1 restatement, 1 late play",
    ],
    [
      { status: "pending", as_of: null, restatements: 0, late_plays: 0 },
      "never computed, 0 restatements, 0 late plays",
    ],
    [
      { status: "open", as_of: "2025-04-23T14:30:00Z", restatements: 0, late_plays: 0 },
      "as of 2025-04-23 14:30 UTC, 0 restatements, 0 late plays",
    ],
  ])("shows %o next to the hourly chart's title, figures in its tooltip", async (finality, figures) => {
    serveChart(finality);
    renderAt("/history?region=US&date=2025-04-23&hour=14", <HistoryView />);

    const badge = await screen.findByTestId("chart-status");
    expect(badge).toHaveAttribute("data-status", finality.status);
    expect(badge).toHaveClass(`badge--${finality.status}`);
    expect(badge.title.startsWith(`${figures} — `)).toBe(true);
    // Screen readers get the figures as text; sighted users see only the status word.
    expect(badge).toHaveTextContent(`${finality.status}: ${figures}`);
    expect(screen.getByRole("heading", { name: /Top 10 — US, 2025-04-23 14:00 UTC/ })).toContainElement(badge);
  });

  it("shows the daily chart's own status", async () => {
    serveChart({ status: "restated", as_of: "2025-04-24T02:00:00Z", restatements: 3, late_plays: 12 });
    renderAt("/history?region=US&granularity=day&date=2025-04-23", <HistoryView />);

    const badge = await screen.findByTestId("chart-status");
    expect(badge).toHaveAttribute("data-status", "restated");
    expect(badge.title).toMatch(
      /^as of 2025-04-24 02:00 UTC, 3 restatements, 12 late plays — recomputed after late plays arrived$/,
    );
  });
});
