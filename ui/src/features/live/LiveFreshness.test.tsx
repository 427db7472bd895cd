import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { liveChart } from "../../test/liveChart";
import { formatAge, LiveFreshness, newestPlayAge, playsPerSecond } from "./LiveFreshness";

const window = { window_start: "2025-04-23T14:00:00Z", window_end: "2025-04-23T14:05:00Z" };

afterEach(() => {
  vi.useRealTimers();
});

describe("LiveFreshness", () => {
  it("counts plays per second over the part of the window that has passed", () => {
    expect(playsPerSecond({ ...window, plays: 600 }, Date.parse("2025-04-23T14:10:00Z"))).toBe(2);
    expect(playsPerSecond({ ...window, plays: 60 }, Date.parse("2025-04-23T14:00:30Z"))).toBe(2);
    expect(playsPerSecond({ ...window, plays: 5 }, Date.parse("2025-04-23T14:00:00Z"))).toBe(0);
  });

  it("ages the newest play and says when there is none", () => {
    expect(newestPlayAge("2025-04-23T14:04:58Z", Date.parse("2025-04-23T14:05:10.5Z"))).toBe(12);
    expect(newestPlayAge(null, Date.now())).toBeNull();
    expect([formatAge(9), formatAge(245), formatAge(7380)]).toEqual(["9 s", "4 min 5 s", "2 h 3 min"]);
  });

  it("keeps the age growing while no new chart arrives", () => {
    vi.useFakeTimers({ now: Date.parse("2025-04-23T14:05:00Z") });
    render(
      <dl>
        <LiveFreshness chart={liveChart(1)} />
      </dl>,
    );
    expect(screen.getByTestId("newest-play-age")).toHaveTextContent("2 s ago");
    act(() => {
      vi.advanceTimersByTime(5000);
    });
    expect(screen.getByTestId("newest-play-age")).toHaveTextContent("7 s ago");
  });
});
