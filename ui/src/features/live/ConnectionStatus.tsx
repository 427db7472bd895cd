import type { ConnectionState } from "./liveStream";

const LABEL: Record<ConnectionState, string> = {
  connecting: "connecting",
  live: "live",
  reconnecting: "reconnecting",
  offline: "offline",
};

/** Dot + word for the WebSocket state; the reason shows as a tooltip and to screen readers. */
export function ConnectionStatus({ state, error }: { state: ConnectionState; error: string | null }) {
  return (
    <span
      className={`connection connection--${state}`}
      data-testid="connection-status"
      data-state={state}
      role="status"
      title={error ?? undefined}
    >
      <span className="connection__dot" aria-hidden="true" />
      {LABEL[state]}
      {error && state !== "live" && <span className="visually-hidden">: {error}</span>}
    </span>
  );
}
