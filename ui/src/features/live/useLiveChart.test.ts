import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LiveWindow } from "../../api";
import { liveChart } from "../../test/liveChart";
import { backoffDelay, type LiveSocket, useLiveChart } from "./useLiveChart";

/** Stands in for the browser WebSocket; the test plays the server. */
class FakeSocket implements LiveSocket {
  static opened: FakeSocket[] = [];
  onopen: LiveSocket["onopen"] = null;
  onmessage: LiveSocket["onmessage"] = null;
  onclose: LiveSocket["onclose"] = null;
  onerror: LiveSocket["onerror"] = null;
  closed = false;

  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }

  close() {
    this.closed = true;
  }

  open() {
    act(() => this.onopen?.({}));
  }

  send(message: object) {
    act(() => this.onmessage?.({ data: JSON.stringify(message) }));
  }

  serverClose(code: number, reason = "") {
    act(() => this.onclose?.({ code, reason }));
  }
}

const socketFactory = (url: string) => new FakeSocket(url);
const latest = () => FakeSocket.opened[FakeSocket.opened.length - 1]!;

function renderLive(region = "US", window: LiveWindow = "5m") {
  return renderHook(({ r, w }) => useLiveChart(r, w, { socketFactory, initialBackoffMs: 100 }), {
    initialProps: { r: region, w: window },
  });
}

beforeEach(() => {
  FakeSocket.opened = [];
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("useLiveChart", () => {
  it("connects to /ws/live for the region and window and shows the snapshot", () => {
    const { result } = renderLive("GB", "hour");
    expect(latest().url).toBe("ws://localhost:3000/ws/live?region=GB&window=hour&rate=20");
    expect(result.current.connection).toBe("connecting");

    latest().open();
    latest().send({ type: "snapshot", ...liveChart(17) });
    expect(result.current.connection).toBe("live");
    expect(result.current.chart?.seq).toBe(17);
  });

  it("applies consecutive updates and accepts matching heartbeats", () => {
    const { result } = renderLive();
    latest().send({ type: "snapshot", ...liveChart(5) });
    latest().send({ type: "update", ...liveChart(6, ["s-002", "s-001"]) });
    latest().send({ type: "heartbeat", seq: 6 });
    expect(result.current.chart?.entries.map((e) => e.song_id)).toEqual(["s-002", "s-001"]);
    expect(result.current.seqGaps).toBe(0);
    expect(FakeSocket.opened).toHaveLength(1);
  });

  it("reconnects for a fresh snapshot when an update skips a seq", () => {
    const { result } = renderLive();
    const first = latest();
    first.send({ type: "snapshot", ...liveChart(5) });
    first.send({ type: "update", ...liveChart(7, ["s-009"]) });

    expect(first.closed).toBe(true);
    expect(result.current.seqGaps).toBe(1);
    expect(result.current.connection).toBe("reconnecting");
    expect(result.current.chart?.seq).toBe(5); // the gapped update was not applied

    act(() => vi.advanceTimersByTime(0));
    expect(FakeSocket.opened).toHaveLength(2);
    latest().send({ type: "snapshot", ...liveChart(12) });
    expect(result.current.connection).toBe("live");
    expect(result.current.chart?.seq).toBe(12);
  });

  it("treats a heartbeat ahead of the last seq as a gap", () => {
    const { result } = renderLive();
    latest().send({ type: "snapshot", ...liveChart(5) });
    latest().send({ type: "heartbeat", seq: 6 });
    expect(result.current.seqGaps).toBe(1);
    act(() => vi.advanceTimersByTime(0));
    expect(FakeSocket.opened).toHaveLength(2);
  });

  it("treats an update before any snapshot as a gap and ignores duplicates", () => {
    const { result } = renderLive();
    latest().send({ type: "update", ...liveChart(3) });
    expect(result.current.seqGaps).toBe(1);
    act(() => vi.advanceTimersByTime(0));
    latest().send({ type: "snapshot", ...liveChart(9) });
    latest().send({ type: "update", ...liveChart(9, ["s-dup"]) });
    expect(result.current.seqGaps).toBe(1);
    expect(result.current.chart?.entries[0]?.song_id).toBe("s-001");
  });

  it("backs off exponentially after drops and goes offline after repeated failures", () => {
    const { result } = renderLive();
    latest().serverClose(1006);
    expect(result.current.connection).toBe("reconnecting");
    // 100 ms * 2^n, minus up to 20 % jitter: nothing before 80 % of the delay.
    for (const delay of [100, 200, 400]) {
      const count = FakeSocket.opened.length;
      act(() => vi.advanceTimersByTime(delay * 0.8 - 1));
      expect(FakeSocket.opened).toHaveLength(count);
      act(() => vi.advanceTimersByTime(delay * 0.2 + 1));
      expect(FakeSocket.opened).toHaveLength(count + 1);
      latest().serverClose(1006);
    }
    expect(result.current.connection).toBe("offline");
    expect(result.current.error).toMatch(/1006/);
  });

  it("does not retry when the server rejects the parameters", () => {
    const { result } = renderLive();
    latest().serverClose(4400, "window");
    act(() => vi.advanceTimersByTime(60_000));
    expect(FakeSocket.opened).toHaveLength(1);
    expect(result.current.connection).toBe("offline");
    expect(result.current.error).toContain("window");
  });

  it("reconnects when the server goes silent", () => {
    renderLive();
    latest().send({ type: "snapshot", ...liveChart(1) });
    act(() => vi.advanceTimersByTime(40_000));
    expect(FakeSocket.opened[0]!.closed).toBe(true);
    act(() => vi.advanceTimersByTime(100));
    expect(FakeSocket.opened).toHaveLength(2);
  });

  it("opens a new stream when region or window change and closes the old one", () => {
    const { result, rerender } = renderLive();
    const first = latest();
    first.send({ type: "snapshot", ...liveChart(1) });
    rerender({ r: "GB", w: "60m" });
    expect(first.closed).toBe(true);
    expect(latest().url).toContain("region=GB&window=60m");
    expect(result.current.chart).toBeNull();
    // Late messages from the old socket must not leak into the new stream.
    first.onmessage?.({ data: JSON.stringify({ type: "snapshot", ...liveChart(99) }) });
    expect(result.current.chart).toBeNull();
  });
});

describe("backoffDelay", () => {
  it("doubles up to the cap", () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 4000, noJitter))).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});
