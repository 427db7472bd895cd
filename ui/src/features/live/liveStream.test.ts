import { describe, expect, it } from "vitest";
import type { LiveMessage } from "../../api";
import { liveChart } from "../../test/liveChart";
import { type LiveEvent, type LiveStream, liveReducer, type SocketEvent, subscribed } from "./liveStream";

const chart = (seq: number, songId?: string) => liveChart(seq, songId ? [songId] : undefined);

const snapshot = (seq: number): LiveMessage => ({ type: "snapshot", ...chart(seq) });
const update = (seq: number, songId?: string): LiveMessage => ({ type: "update", ...chart(seq, songId) });
const heartbeat = (seq: number): LiveMessage => ({ type: "heartbeat", seq });

/** Applies socket events as if they came from the stream's current socket. */
function run(state: LiveStream, ...events: (SocketEvent | LiveEvent)[]): LiveStream {
  return events.reduce<LiveStream>((s, event) => {
    const isSocketEvent = ["message", "closed", "openFailed", "silent"].includes(event.type);
    return liveReducer(
      s,
      isSocketEvent ? { type: "socket", socketId: s.socketId, event: event as SocketEvent } : (event as LiveEvent),
    );
  }, state);
}

const message = (m: LiveMessage): SocketEvent => ({ type: "message", message: m });
const start = () => subscribed("US", "5m", 3);
const live = () => run(start(), message(snapshot(5)));

describe("liveReducer", () => {
  it("connect: a subscription wants its first socket open and shows connecting", () => {
    const state = start();
    expect(state).toMatchObject({ connection: "connecting", chart: null, phase: { kind: "open" }, socketId: 1 });
    const other = liveReducer(live(), { type: "subscribe", region: "GB", window: "hour", offlineAfterAttempts: 3 });
    expect(other).toMatchObject({ region: "GB", window: "hour", chart: null, connection: "connecting", socketId: 2 });
  });

  it("snapshot: shows the chart and goes live", () => {
    const state = live();
    expect(state).toMatchObject({ connection: "live", error: null, lastSeq: 5, failedAttempts: 0 });
    expect(state.chart).toEqual(chart(5));
  });

  it("update: applies the next seq, ignores duplicates and matching heartbeats", () => {
    const state = run(live(), message(update(6, "s-002")));
    expect(state.chart?.entries[0]?.song_id).toBe("s-002");
    expect(state.lastSeq).toBe(6);
    expect(run(state, message(update(6, "s-dup")))).toBe(state);
    expect(run(state, message(update(4, "s-old")))).toBe(state);
    expect(run(state, message(heartbeat(6)))).toBe(state);
  });

  it("gap → resync: a skipped seq keeps the chart and asks for a new socket at once", () => {
    const state = run(live(), message(update(7, "s-009")));
    expect(state).toMatchObject({
      connection: "reconnecting",
      error: "missed updates (expected seq 6, got 7)",
      seqGaps: 1,
      phase: { kind: "retry", backoffAttempt: null },
    });
    expect(state.chart?.seq).toBe(5);
    const resynced = run(state, { type: "retry" });
    expect(resynced).toMatchObject({ phase: { kind: "open" }, socketId: 2, lastSeq: null });
    expect(run(resynced, message(snapshot(12)))).toMatchObject({ connection: "live", lastSeq: 12, seqGaps: 1 });
  });

  it("gap → resync: a heartbeat ahead of the last seq, or anything before a snapshot", () => {
    expect(run(live(), message(heartbeat(6))).error).toBe("missed updates (expected seq 5, got 6)");
    expect(run(start(), message(update(3))).error).toBe("missed updates (expected seq 0, got 3)");
    expect(run(start(), message(heartbeat(3))).seqGaps).toBe(1);
  });

  it("heartbeat timeout: silence counts as a failed attempt with backoff", () => {
    const state = run(live(), { type: "silent" });
    expect(state).toMatchObject({
      connection: "reconnecting",
      error: "no message or heartbeat from the server",
      failedAttempts: 1,
      phase: { kind: "retry", backoffAttempt: 0 },
    });
    expect(state.chart?.seq).toBe(5);
  });

  it("offline: after the configured number of failed attempts, retries go on", () => {
    let state = start();
    const attempts: (number | null)[] = [];
    for (let i = 0; i < 3; i++) {
      state = run(state, { type: "closed", code: 1006, reason: "" });
      attempts.push(state.phase.kind === "retry" ? state.phase.backoffAttempt : -1);
      if (i < 2) expect(state.connection).toBe("reconnecting");
      state = run(state, { type: "retry" });
    }
    expect(attempts).toEqual([0, 1, 2]);
    expect(state).toMatchObject({
      connection: "offline",
      error: "connection lost (code 1006)",
      phase: { kind: "open" },
    });
    expect(run(start(), { type: "openFailed", reason: "bad URL" })).toMatchObject({
      error: "bad URL",
      failedAttempts: 1,
    });
    expect(run(start(), { type: "closed", code: 1000, reason: "" }).error).toBe("server closed the stream");
  });

  it("offline: a refused stream (4400, 4403) stops retrying", () => {
    const state = run(live(), { type: "closed", code: 4400, reason: "window" });
    expect(state).toMatchObject({ connection: "offline", error: "server refused the stream (4400: window)" });
    expect(state.phase).toEqual({ kind: "stopped" });
    expect(run(state, { type: "retry" })).toBe(state);
    expect(run(live(), { type: "closed", code: 4403, reason: "" }).error).toBe("server refused the stream (4403)");
  });

  it("offline: a live feed the server reports offline (4503) shows offline at once and is retried", () => {
    const state = run(live(), { type: "closed", code: 4503, reason: "live feed offline; retry later" });
    expect(state).toMatchObject({
      connection: "offline",
      error: "live feed offline; retry later",
      phase: { kind: "retry", backoffAttempt: 0 },
    });
    expect(run(state, { type: "retry" }, message(snapshot(6)))).toMatchObject({ connection: "live", error: null });
  });

  it("reconnect: the next snapshot after offline goes live and resets the backoff", () => {
    let state = start();
    for (let i = 0; i < 3; i++) state = run(state, { type: "closed", code: 1006, reason: "" }, { type: "retry" });
    expect(state.connection).toBe("offline");
    state = run(state, message(snapshot(40)));
    expect(state).toMatchObject({ connection: "live", error: null, failedAttempts: 0, chart: chart(40) });
    expect(run(state, { type: "silent" }).phase).toEqual({ kind: "retry", backoffAttempt: 0 });
  });

  it("ignores events from an older socket and socket events while waiting to retry", () => {
    const waiting = run(live(), { type: "closed", code: 1006, reason: "" });
    expect(run(waiting, message(snapshot(9)))).toBe(waiting);
    const reopened = run(waiting, { type: "retry" });
    const stale = liveReducer(reopened, { type: "socket", socketId: 1, event: message(snapshot(99)) });
    expect(stale).toBe(reopened);
  });
});
