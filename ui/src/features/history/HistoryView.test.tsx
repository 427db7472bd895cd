import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FINAL, json, renderAt, serve } from "../../test/dashboardApi";
import { HistoryView } from "./HistoryView";

const renderHistory = (search: string) => renderAt(`/history${search}`, <HistoryView />);

const regions = () => json({ regions: ["US", "GB"] });

describe("HistoryView", () => {
  it("explains an empty closed hour: the hourly job runs after the hour closes", async () => {
    const requested = serve({
      "/api/regions": regions,
      "/api/top/hourly": (url) =>
        json({ region: url.searchParams.get("region"), hour: "2025-04-23T14:00:00Z", entries: [], ...FINAL }),
    });
    renderHistory("?region=GB&granularity=hour&date=2025-04-23&hour=14");

    const empty = await screen.findByTestId("history-empty");
    expect(empty).toHaveTextContent(
      "No chart yet for GB, 2025-04-23 14:00 UTC — the hourly job runs after the hour closes",
    );
    const hourly = requested.find((u) => u.pathname === "/api/top/hourly")!;
    expect(hourly.searchParams.get("hour")).toBe("2025-04-23T14:00Z");
    expect(hourly.searchParams.get("region")).toBe("GB");
  });

  it("explains an empty pending hour: the lake is not complete yet", async () => {
    serve({
      "/api/regions": regions,
      "/api/top/hourly": () =>
        json({
          region: "US",
          hour: "2025-04-23T14:00:00Z",
          entries: [],
          status: "pending",
          as_of: null,
          restatements: 0,
          late_plays: 0,
        }),
    });
    renderHistory("?region=US&date=2025-04-23&hour=14");
    expect(await screen.findByTestId("history-empty")).toHaveTextContent(
      "No chart yet for US, 2025-04-23 14:00 UTC — the hour is over but the lake is not complete yet, so its chart is not computed (checking again every 30 s).",
    );
    expect(screen.getByTestId("chart-status")).toHaveAttribute("data-status", "pending");
  });

  it("explains an empty daily chart", async () => {
    serve({
      "/api/regions": regions,
      "/api/top/daily": () => json({ region: "US", date: "2025-04-23", entries: [], ...FINAL }),
    });
    renderHistory("?region=US&granularity=day&date=2025-04-23");
    expect(await screen.findByTestId("history-empty")).toHaveTextContent(
      /No chart yet for US, 2025-04-23 — the hourly job runs after each hour closes/,
    );
  });

  it("says a future hour hasn't started", async () => {
    serve({
      "/api/regions": regions,
      "/api/top/hourly": () => json({ region: "US", hour: "2999-01-01T00:00:00Z", entries: [], ...FINAL }),
    });
    renderHistory("?region=US&date=2999-01-01&hour=0");
    expect(await screen.findByTestId("history-empty")).toHaveTextContent("that hour hasn't started yet");
  });

  it("shows the server's error and retries on request", async () => {
    let fail = true;
    serve({
      "/api/regions": regions,
      "/api/top/hourly": () =>
        fail
          ? json({ detail: "database unavailable" }, 503)
          : json({
              region: "US",
              hour: "2025-04-23T14:00:00Z",
              entries: [{ rank: 1, song_id: "s-1", title: "Blue Hour", artist: "X", plays: 3 }],
              ...FINAL,
            }),
    });
    renderHistory("?region=US&date=2025-04-23&hour=14");

    const error = await screen.findByTestId("history-error");
    expect(error).toHaveTextContent("Couldn't load the chart for US, 2025-04-23 14:00 UTC: database unavailable.");

    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("history-list")).toHaveTextContent("Blue Hour");
    expect(screen.queryByTestId("history-error")).not.toBeInTheDocument();
  });

  it("names validation failures and unreachable servers", async () => {
    serve({
      "/api/regions": () => Promise.reject(new TypeError("Failed to fetch")),
      "/api/top/hourly": () =>
        json({ detail: [{ loc: ["query", "region"], msg: "Input should be 'US' or 'GB'", type: "enum" }] }, 422),
    });
    renderHistory("?region=XX&date=2025-04-23&hour=14");
    expect(await screen.findByTestId("history-error")).toHaveTextContent(
      "the server rejected the request (region: Input should be 'US' or 'GB')",
    );
    expect(await screen.findByTestId("regions-error")).toHaveTextContent(
      "Couldn't load regions (dashboard-api is unreachable); showing US only.",
    );
  });

  it("lists the top 10 and selecting a song asks for its trend over the day", async () => {
    const requested = serve({
      "/api/regions": regions,
      "/api/top/hourly": () =>
        json({
          region: "US",
          hour: "2025-04-23T14:00:00Z",
          entries: [
            { rank: 1, song_id: "s-1", title: "Blue Hour", artist: "X", plays: 9 },
            { rank: 2, song_id: "s-2", title: "Red Line", artist: "Y", plays: 4 },
          ],
          ...FINAL,
        }),
      "/api/trend": () =>
        json({ region: "US", song_id: "s-2", points: [{ hour: "2025-04-23T14:00:00Z", plays: 4, status: "final" }] }),
    });
    renderHistory("?region=US&date=2025-04-23&hour=14");

    await userEvent.click(await screen.findByRole("button", { name: /Red Line/ }));
    expect(await screen.findByTestId("trend")).toHaveTextContent("Red Line — Y");
    const trend = requested.find((u) => u.pathname === "/api/trend")!;
    expect(Object.fromEntries(trend.searchParams)).toEqual({
      region: "US",
      song_id: "s-2",
      from: "2025-04-23T00:00Z",
      to: "2025-04-24T00:00Z",
    });
  });
});
