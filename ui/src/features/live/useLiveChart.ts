import { useEffect, useState } from "react";
import { liveSocketUrl } from "../../api";
import type { LiveChart, LiveMessage, LiveWindow } from "../../api";

/** `connecting` only before the first snapshot of a (region, window) pair. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** The slice of the browser WebSocket the hook relies on, so tests can inject a fake. */
export interface LiveSocket {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type LiveSocketFactory = (url: string) => LiveSocket;

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

export interface LiveChartState {
  chart: LiveChart | null;
  connection: ConnectionState;
  /** Why the connection is not live, in words; null while live. */
  error: string | null;
  /** Reconnects caused by a gap in `seq`; useful for diagnostics and tests. */
  seqGaps: number;
}

const browserSocket: LiveSocketFactory = (url) => new WebSocket(url) as unknown as LiveSocket;

// Close codes from docs/api.md: retrying cannot fix bad parameters or a rejected Origin.
const FATAL_CLOSE_CODES = new Set([4400, 4403]);

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

  const [state, setState] = useState<LiveChartState>({
    chart: null,
    connection: "connecting",
    error: null,
    seqGaps: 0,
  });

  useEffect(() => {
    let socket: LiveSocket | null = null;
    let lastSeq: number | null = null;
    let failedAttempts = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let silenceTimer: ReturnType<typeof setTimeout> | undefined;
    let disposed = false;

    setState({ chart: null, connection: "connecting", error: null, seqGaps: 0 });

    const detach = () => {
      clearTimeout(silenceTimer);
      if (!socket) return;
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
      socket = null;
    };

    const scheduleReconnect = (reason: string) => {
      detach();
      if (disposed) return;
      const delay = backoffDelay(failedAttempts, initialBackoffMs, maxBackoffMs);
      failedAttempts += 1;
      const connection: ConnectionState = failedAttempts >= offlineAfterAttempts ? "offline" : "reconnecting";
      setState((s) => ({ ...s, connection, error: reason }));
      retryTimer = setTimeout(connect, delay);
    };

    const resetSilenceTimer = () => {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(() => scheduleReconnect("no message or heartbeat from the server"), silenceTimeoutMs);
    };

    const onGap = (expected: number, got: number) => {
      // Missed updates can't be replayed; a fresh connection starts with a full snapshot.
      detach();
      setState((s) => ({
        ...s,
        connection: "reconnecting",
        error: `missed updates (expected seq ${expected}, got ${got})`,
        seqGaps: s.seqGaps + 1,
      }));
      retryTimer = setTimeout(connect, 0);
    };

    const handleMessage = (message: LiveMessage) => {
      resetSilenceTimer();
      if (message.type === "snapshot") {
        lastSeq = message.seq;
        failedAttempts = 0;
        const { type: _type, ...chart } = message;
        setState((s) => ({ ...s, chart, connection: "live", error: null }));
        return;
      }
      if (lastSeq === null) {
        onGap(0, message.seq);
        return;
      }
      if (message.type === "heartbeat") {
        if (message.seq !== lastSeq) onGap(lastSeq, message.seq);
        return;
      }
      if (message.seq <= lastSeq) return; // duplicate or stale: already reflected
      if (message.seq !== lastSeq + 1) {
        onGap(lastSeq + 1, message.seq);
        return;
      }
      lastSeq = message.seq;
      const { type: _type, ...chart } = message;
      setState((s) => ({ ...s, chart, connection: "live", error: null }));
    };

    function connect() {
      if (disposed) return;
      lastSeq = null;
      let opened: LiveSocket;
      try {
        opened = socketFactory(liveSocketUrl(region, window));
      } catch (err) {
        scheduleReconnect(err instanceof Error ? err.message : "could not open the WebSocket");
        return;
      }
      socket = opened;
      opened.onopen = resetSilenceTimer;
      opened.onmessage = (event) => {
        const message = parseMessage(event.data);
        if (message) handleMessage(message);
      };
      opened.onerror = () => {
        // The close event that follows carries the code; reconnect happens there.
      };
      opened.onclose = (event) => {
        if (FATAL_CLOSE_CODES.has(event.code)) {
          detach();
          setState((s) => ({
            ...s,
            connection: "offline",
            error: `server refused the stream (${event.code}${event.reason ? `: ${event.reason}` : ""})`,
          }));
          return;
        }
        scheduleReconnect(event.code === 1000 ? "server closed the stream" : `connection lost (code ${event.code})`);
      };
    }

    connect();
    return () => {
      disposed = true;
      clearTimeout(retryTimer);
      detach();
    };
  }, [region, window, socketFactory, initialBackoffMs, maxBackoffMs, silenceTimeoutMs, offlineAfterAttempts]);

  return state;
}
