import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { LiveEntry } from "../../api";
import { LiveList, ROW_HEIGHT } from "./LiveList";

const entry = (over: Partial<LiveEntry> & Pick<LiveEntry, "song_id" | "rank" | "plays">): LiveEntry => ({
  title: `Title ${over.song_id}`,
  artist: "Artist",
  prev_rank: over.rank,
  movement: "same",
  ...over,
});

/** Rows in the order a person sees them (by their vertical offset). */
function visualOrder(): HTMLElement[] {
  const offset = (row: HTMLElement) => Number(/translateY\((\d+)px\)/.exec(row.style.transform)?.[1]);
  return screen.getAllByTestId("live-row").sort((a, b) => offset(a) - offset(b));
}

describe("LiveList", () => {
  const entries: LiveEntry[] = [
    entry({ song_id: "s-003", rank: 3, plays: 10, prev_rank: null, movement: "new" }),
    entry({ song_id: "s-001", rank: 1, plays: 40, prev_rank: 2, movement: "up" }),
    entry({ song_id: "s-002", rank: 2, plays: 25, prev_rank: 1, movement: "down" }),
    entry({ song_id: "s-004", rank: 4, plays: 5, prev_rank: 4, movement: "same" }),
  ];

  it("places rows by rank, one row height apart", () => {
    render(<LiveList entries={entries} />);
    const rows = visualOrder();
    expect(rows.map((r) => r.dataset.songId)).toEqual(["s-001", "s-002", "s-003", "s-004"]);
    expect(rows.map((r) => r.style.transform)).toEqual([0, 1, 2, 3].map((i) => `translateY(${i * ROW_HEIGHT}px)`));
    expect(rows.map((r) => r.getAttribute("aria-posinset"))).toEqual(["1", "2", "3", "4"]);
  });

  it("keeps DOM order by song_id so a rank change moves a row without remounting it", () => {
    const { rerender } = render(<LiveList entries={entries} />);
    const before = screen.getAllByTestId("live-row");
    const swapped = entries.map((e) =>
      e.song_id === "s-004"
        ? { ...e, rank: 1, prev_rank: 4, movement: "up" as const, plays: 50 }
        : e.song_id === "s-001"
          ? { ...e, rank: 4, prev_rank: 1, movement: "down" as const }
          : e,
    );
    rerender(<LiveList entries={swapped} />);
    const after = screen.getAllByTestId("live-row");
    expect(after).toEqual(before); // same DOM nodes, same order
    expect(visualOrder()[0]?.dataset.songId).toBe("s-004");
  });

  it("draws bars relative to the most played song", () => {
    const { container } = render(<LiveList entries={entries} />);
    const widths = [...container.querySelectorAll<HTMLElement>(".live-row__bar")].map((bar) => bar.style.width);
    expect(widths).toEqual(["100%", "62.5%", "25%", "12.5%"]);
  });

  it("marks movement up, down, new and same", () => {
    render(<LiveList entries={entries} />);
    const marker = (songId: string) =>
      within(screen.getAllByTestId("live-row").find((r) => r.dataset.songId === songId)!).getByTestId("movement");
    expect(marker("s-001")).toHaveClass("movement--up");
    expect(marker("s-001")).toHaveAccessibleName("moved up 1 (was #2)");
    expect(marker("s-002")).toHaveClass("movement--down");
    expect(marker("s-002")).toHaveTextContent("▼1");
    expect(marker("s-003")).toHaveTextContent("NEW");
    expect(marker("s-003")).toHaveAccessibleName("new entry");
    expect(marker("s-004")).toHaveAccessibleName("no change");
  });

  it("shows titles, artists and play counts", () => {
    render(<LiveList entries={entries} />);
    const first = visualOrder()[0]!;
    expect(within(first).getByTestId("live-title")).toHaveTextContent("Title s-001");
    expect(within(first).getByLabelText("40 plays")).toBeInTheDocument();
  });
});
