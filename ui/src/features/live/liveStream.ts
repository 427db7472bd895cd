import type { LiveChart, LiveMessage, LiveWindow } from "../../api";

/** `connecting` only before the first snapshot of a (region, window) pair. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/**
 * What the hook must do with the socket: keep one `open`, `retry` after a delay (the backoff
 * attempt, or null for at once), or stay `stopped` because retrying cannot help.
 */
type SocketPhase = { kind: "open" } | { kind: "retry"; backoffAttempt: number | null } | { kind: "stopped" };

/** The live stream of one (region, window): what the UI shows plus what the next transition needs. */
export interface LiveStream {
  region: string;
  window: LiveWindow;
  chart: LiveChart | null;
  connection: ConnectionState;
  /** Why the connection is not live, in words; null while live. */
  error: string | null;
  /** Reconnects caused by a gap in `seq`; useful for diagnostics and tests. */
  seqGaps: number;
  /** Seq of the last snapshot or update applied on the current socket; null before its snapshot. */
  lastSeq: number | null;
  /** Consecutive failed attempts; a snapshot resets it. */
  failedAttempts: number;
  /** Consecutive failed attempts after which the indicator says offline (retries go on). */
  offlineAfterAttempts: number;
  /** Identifies the current socket; events of an older one are ignored. */
  socketId: number;
  phase: SocketPhase;
}

/** What one socket reports (a message, its close, a failed open, or silence past the timeout). */
export type SocketEvent =
  | { type: "message"; message: LiveMessage }
  | { type: "closed"; code: number; reason: string }
  | { type: "openFailed"; reason: string }
  | { type: "silent" };

/** Something that happened to the stream; socket events carry the id of the socket they came from. */
export type LiveEvent =
  | { type: "subscribe"; region: string; window: LiveWindow; offlineAfterAttempts: number }
  | { type: "retry" }
  | { type: "socket"; socketId: number; event: SocketEvent };

// Close codes from docs/api.md: retrying cannot fix bad parameters or a rejected Origin.
const FATAL_CLOSE_CODES = new Set([4400, 4403]);
// docs/api.md: the live feed cannot read Kafka; clients retry with backoff.
const LIVE_OFFLINE_CLOSE_CODE = 4503;

/** A fresh stream for (region, window): its first socket is to be opened. */
export function subscribed(
  region: string,
  window: LiveWindow,
  offlineAfterAttempts: number,
  previousSocketId = 0,
): LiveStream {
  return {
    region,
    window,
    chart: null,
    connection: "connecting",
    error: null,
    seqGaps: 0,
    lastSeq: null,
    failedAttempts: 0,
    offlineAfterAttempts,
    socketId: previousSocketId + 1,
    phase: { kind: "open" },
  };
}

/** The stream after `event`; pure, so every transition is testable without a socket or timers. */
export function liveReducer(state: LiveStream, event: LiveEvent): LiveStream {
  switch (event.type) {
    case "subscribe":
      return subscribed(event.region, event.window, event.offlineAfterAttempts, state.socketId);
    case "retry":
      if (state.phase.kind !== "retry") return state;
      return { ...state, lastSeq: null, socketId: state.socketId + 1, phase: { kind: "open" } };
    case "socket":
      // An older socket's last words, or one that is already being closed, change nothing.
      if (event.socketId !== state.socketId || state.phase.kind !== "open") return state;
      return onSocketEvent(state, event.event);
  }
}

function onSocketEvent(state: LiveStream, event: SocketEvent): LiveStream {
  switch (event.type) {
    case "message":
      return onMessage(state, event.message);
    case "silent":
      return failed(state, "no message or heartbeat from the server");
    case "openFailed":
      return failed(state, event.reason);
    case "closed":
      if (FATAL_CLOSE_CODES.has(event.code)) {
        const detail = `${event.code}${event.reason ? `: ${event.reason}` : ""}`;
        return {
          ...state,
          connection: "offline",
          error: `server refused the stream (${detail})`,
          phase: { kind: "stopped" },
        };
      }
      if (event.code === LIVE_OFFLINE_CLOSE_CODE) {
        // The server itself says its feed is down: offline now, while the retries go on.
        return { ...failed(state, event.reason || "live feed offline"), connection: "offline" };
      }
      return failed(state, event.code === 1000 ? "server closed the stream" : `connection lost (code ${event.code})`);
  }
}

function onMessage(state: LiveStream, message: LiveMessage): LiveStream {
  if (message.type === "snapshot") {
    return { ...state, ...shown(message), lastSeq: message.seq, failedAttempts: 0 };
  }
  if (state.lastSeq === null) return gap(state, 0, message.seq);
  if (message.type === "heartbeat") {
    return message.seq === state.lastSeq ? state : gap(state, state.lastSeq, message.seq);
  }
  if (message.seq <= state.lastSeq) return state; // duplicate or stale: already reflected
  if (message.seq !== state.lastSeq + 1) return gap(state, state.lastSeq + 1, message.seq);
  return { ...state, ...shown(message), lastSeq: message.seq };
}

function shown({ type: _type, ...chart }: Exclude<LiveMessage, { type: "heartbeat" }>) {
  return { chart, connection: "live", error: null } as const;
}

/** Missed updates can't be replayed; a fresh connection starts with a full snapshot, at once. */
function gap(state: LiveStream, expected: number, got: number): LiveStream {
  return {
    ...state,
    connection: "reconnecting",
    error: `missed updates (expected seq ${expected}, got ${got})`,
    seqGaps: state.seqGaps + 1,
    phase: { kind: "retry", backoffAttempt: null },
  };
}

function failed(state: LiveStream, reason: string): LiveStream {
  const failedAttempts = state.failedAttempts + 1;
  return {
    ...state,
    connection: failedAttempts >= state.offlineAfterAttempts ? "offline" : "reconnecting",
    error: reason,
    failedAttempts,
    phase: { kind: "retry", backoffAttempt: state.failedAttempts },
  };
}
