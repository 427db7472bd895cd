import { useEffect, useReducer } from "react";
import {
  accessToken,
  type LiveChart,
  type LiveMessage,
  type LiveWindow,
  liveSocketUrl,
  socketProtocols,
  tokenRefused,
} from "../../api";
import { type ConnectionState, liveReducer, type SocketEvent, subscribed } from "./liveStream";

/** The slice of the browser WebSocket the hook relies on, so tests can inject a fake. */
export interface LiveSocket {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

type LiveSocketFactory = (url: string) => LiveSocket;

export interface LiveChartOptions {
  socketFactory?: LiveSocketFactory;
  /** First retry delay; doubles per failed attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Heartbeats come every 15 s; silence this long means the connection is dead. */
  silenceTimeoutMs?: number;
  /** Consecutive failed attempts after which the indicator says offline (retries go on). */
  offlineAfterAttempts?: number;
}

interface LiveChartState {
  chart: LiveChart | null;
  connection: ConnectionState;
  /** Why the connection is not live, in words; null while live. */
  error: string | null;
  /** Reconnects caused by a gap in `seq`; useful for diagnostics and tests. */
  seqGaps: number;
}

// With sign-in on, the access token travels as a subprotocol (browsers set no headers on sockets).
const browserSocket: LiveSocketFactory = (url) => new WebSocket(url, socketProtocols()) as unknown as LiveSocket;
// dashboard-api's close code for a missing, invalid or expired token.
const SIGN_IN_REQUIRED = 4401;

/** Delay before reconnect attempt number `attempt` (0-based), with up to 20% jitter. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** attempt);
  return Math.round(base * (1 - 0.2 * random()));
}

function parseMessage(data: unknown): LiveMessage | null {
  if (typeof data !== "string") return null;
  try {
    const message = JSON.parse(data) as LiveMessage;
    return typeof message.seq === "number" ? message : null;
  } catch {
    return null;
  }
}

/** Subscribes to `/ws/live` for one region/window and keeps the latest top 10. */
export function useLiveChart(region: string, window: LiveWindow, options: LiveChartOptions = {}): LiveChartState {
  const {
    socketFactory = browserSocket,
    initialBackoffMs = 500,
    maxBackoffMs = 30_000,
    silenceTimeoutMs = 40_000,
    offlineAfterAttempts = 4,
  } = options;

  const [state, dispatch] = useReducer(liveReducer, undefined, () => subscribed(region, window, offlineAfterAttempts));
  // A new (region, window) starts over during this render, so no effect ever sees the old stream.
  if (state.region !== region || state.window !== window || state.offlineAfterAttempts !== offlineAfterAttempts) {
    dispatch({ type: "subscribe", region, window, offlineAfterAttempts });
  }

  const openSocketId = state.phase.kind === "open" ? state.socketId : null;
  useEffect(() => {
    if (openSocketId === null) return;
    const send = (event: SocketEvent) => dispatch({ type: "socket", socketId: openSocketId, event });
    let silence: ReturnType<typeof setTimeout> | undefined;
    const armSilence = () => {
      clearTimeout(silence);
      silence = setTimeout(() => send({ type: "silent" }), silenceTimeoutMs);
    };
    let socket: LiveSocket;
    // A socket opened with a token that a renewal has replaced since is ended at that token's
    // expiry (4401): it reconnects with the new one instead of signing in again.
    const openedWith = accessToken();
    try {
      socket = socketFactory(liveSocketUrl(region, window));
    } catch (err) {
      send({ type: "openFailed", reason: err instanceof Error ? err.message : "could not open the WebSocket" });
      return;
    }
    socket.onopen = armSilence;
    socket.onmessage = (event) => {
      const message = parseMessage(event.data);
      if (!message) return;
      armSilence();
      send({ type: "message", message });
    };
    socket.onerror = () => {
      // The close event that follows carries the code; the reducer decides there.
    };
    socket.onclose = (event) => {
      if (event.code === SIGN_IN_REQUIRED) tokenRefused(openedWith);
      send({ type: "closed", code: event.code, reason: event.reason });
    };
    return () => {
      clearTimeout(silence);
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
    };
  }, [openSocketId, region, window, socketFactory, silenceTimeoutMs]);

  const retryAttempt = state.phase.kind === "retry" ? state.phase.backoffAttempt : undefined;
  const retrySocketId = state.phase.kind === "retry" ? state.socketId : null;
  useEffect(() => {
    if (retrySocketId === null || retryAttempt === undefined) return;
    const delay = retryAttempt === null ? 0 : backoffDelay(retryAttempt, initialBackoffMs, maxBackoffMs);
    const timer = setTimeout(() => dispatch({ type: "retry" }), delay);
    return () => clearTimeout(timer);
  }, [retrySocketId, retryAttempt, initialBackoffMs, maxBackoffMs]);

  const { chart, connection, error, seqGaps } = state;
  return { chart, connection, error, seqGaps };
}
