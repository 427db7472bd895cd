import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { HourReconciliation, ReconciliationStatus } from "../../api";
import { FINAL, json, renderAt, serve } from "../../test/dashboardApi";
import { HistoryView } from "./HistoryView";

const entries = [{ rank: 1, song_id: "s-1", title: "Blue Hour", artist: "X", plays: 9 }];

/** A reconciled hour of 2025-04-23 whose two sides agree unless `fields` say otherwise. */
const hour = (
  h: number,
  status: ReconciliationStatus,
  fields: Partial<HourReconciliation> = {},
): HourReconciliation => ({
  hour: `2025-04-23T${String(h).padStart(2, "0")}:00:00Z`,
  status,
  live_plays: 100,
  batch_plays: 100,
  difference: 0,
  late_dropped: 0,
  unexplained: 0,
  live_top: [{ song_id: "s-1", plays: 9 }],
  batch_top: [{ song_id: "s-1", plays: 9 }],
  ...fields,
});

const explained = (h: number) => hour(h, "explained", { live_plays: 97, difference: 3, late_dropped: 3 });
const unexplained = (h: number) =>
  hour(h, "unexplained", { live_plays: 90, difference: 10, late_dropped: 3, unexplained: 7 });
const pending = (h: number) =>
  hour(h, "pending", { live_plays: null, batch_plays: null, difference: null, late_dropped: null, unexplained: null });

function serveDay(hours: HourReconciliation[], unexplainedPlays = 0, live: "available" | "unavailable" = "available") {
  return serve({
    "/api/regions": () => json({ regions: ["US", "GB"] }),
    "/api/top/hourly": () => json({ region: "GB", hour: "2025-04-23T14:00:00Z", entries, ...FINAL }),
    "/api/top/daily": () => json({ region: "GB", date: "2025-04-23", entries, ...FINAL }),
    "/api/reconciliation": () => json({ region: "GB", date: "2025-04-23", unexplained: unexplainedPlays, hours, live }),
  });
}

const openHour = () => renderAt("/history?region=GB&date=2025-04-23&hour=14", <HistoryView />);
const openDay = () => renderAt("/history?region=GB&granularity=day&date=2025-04-23", <HistoryView />);

async function reconciliationOnceLoaded() {
  const line = await screen.findByTestId("reconciliation");
  await waitFor(() => expect(line).not.toHaveAttribute("data-state", "loading"));
  return line;
}

describe("reconciliation line, hourly view", () => {
  it("asks for the selected region's day and says when live and batch agree", async () => {
    const requested = serveDay([hour(13, "unexplained"), hour(14, "agree")]);
    openHour();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "agree");
    expect(line).toHaveTextContent(/^Reconciliation: live and batch agree$/);
    const asked = requested.find((u) => u.pathname === "/api/reconciliation")!;
    expect(Object.fromEntries(asked.searchParams)).toEqual({ region: "GB", date: "2025-04-23" });
  });

  it("names the plays the live board dropped late when they explain the difference", async () => {
    serveDay([explained(14)]);
    openHour();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "explained");
    expect(line).toHaveTextContent("explained difference: +3 plays dropped late by the live board");
  });

  it("gives the unexplained plays with both totals", async () => {
    serveDay([unexplained(14)]);
    openHour();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "unexplained");
    expect(line).toHaveTextContent("unexplained difference: +7 plays (batch 100, live 90, 3 dropped late)");
  });

  it("says the top 10s differ when the totals agree", async () => {
    serveDay([
      hour(14, "unexplained", {
        live_top: [
          { song_id: "s-1", plays: 9 },
          { song_id: "s-2", plays: 4 },
        ],
        batch_top: [
          { song_id: "s-1", plays: 8 },
          { song_id: "s-3", plays: 5 },
        ],
      }),
    ]);
    openHour();

    expect(await reconciliationOnceLoaded()).toHaveTextContent(
      "unexplained difference: same total plays, but 3 songs differ between the top 10s",
    );
  });

  it("shows a pending hour as pending, not as a difference", async () => {
    serveDay([pending(14)]);
    openHour();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "pending");
    expect(line).toHaveTextContent("pending: the batch chart is not final yet or the live board has no final record");
    expect(line).not.toHaveTextContent("difference");
  });

  it("says the live side is unavailable when that keeps an hour pending", async () => {
    serveDay([pending(14)], 0, "unavailable");
    openHour();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "pending");
    expect(line).toHaveTextContent("live side unavailable (Kafka cannot be read now)");
  });

  it.each([404, 500])("stays quiet when the endpoint answers %i, and the chart still shows", async (status) => {
    serve({
      "/api/regions": () => json({ regions: ["US", "GB"] }),
      "/api/top/hourly": () => json({ region: "GB", hour: "2025-04-23T14:00:00Z", entries, ...FINAL }),
      "/api/reconciliation": () => json({ detail: "boom" }, status),
    });
    openHour();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "unavailable");
    expect(line).toHaveTextContent(/^Reconciliation: reconciliation unavailable$/);
    expect(line).toHaveClass("reconciliation--unavailable");
    expect(screen.getByTestId("history-list")).toHaveTextContent("Blue Hour");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

describe("reconciliation line, daily view", () => {
  it("says the whole day agrees", async () => {
    serveDay(Array.from({ length: 24 }, (_, h) => hour(h, "agree")));
    openDay();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "agree");
    expect(line).toHaveTextContent(/^Reconciliation: live and batch agree \(24 hours\)$/);
  });

  it("sums the day up and lists each hour that differs", async () => {
    serveDay([hour(0, "agree"), hour(1, "agree"), explained(5), explained(6), unexplained(9), pending(23)], 7);
    openDay();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "unexplained");
    expect(line).toHaveTextContent(
      "2 hours agree · explained difference: +6 plays dropped late by the live board (2 hours) · " +
        "unexplained difference: +7 plays (1 hour) · 1 hour pending",
    );
    const differing = within(line).getAllByRole("listitem");
    expect(differing.map((item) => [item.dataset.hour, item.dataset.status])).toEqual([
      ["05:00", "explained"],
      ["06:00", "explained"],
      ["09:00", "unexplained"],
    ]);
    expect(differing[2]).toHaveTextContent(
      "09:00 UTC — unexplained difference: +7 plays (batch 100, live 90, 3 dropped late)",
    );
  });

  it("is pending while some hours are, even if the others are explained", async () => {
    serveDay([hour(0, "agree"), explained(1), pending(2)]);
    openDay();

    const line = await reconciliationOnceLoaded();
    expect(line).toHaveAttribute("data-state", "pending");
    expect(line).toHaveTextContent(
      "1 hour agrees · explained difference: +3 plays dropped late by the live board (1 hour) · 1 hour pending",
    );
  });
});
