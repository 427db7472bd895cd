import { type ReactNode, useEffect, useState } from "react";
import { type Session, startSession } from "./session";

type GateState = { kind: "starting" } | { kind: "ready"; session: Session } | { kind: "failed"; message: string };

/** Renders the app once the user is signed in (at once while sign-in is off), with who is signed in. */
export function SignInGate({ children }: { children: (session: Session) => ReactNode }) {
  const [state, setState] = useState<GateState>({ kind: "starting" });
  useEffect(() => {
    let current = true;
    startSession().then(
      (session) => current && setState({ kind: "ready", session }),
      (error: unknown) =>
        current && setState({ kind: "failed", message: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      current = false;
    };
  }, []);
  if (state.kind === "starting") return <p className="state">Signing in…</p>;
  if (state.kind === "failed") {
    return (
      <p className="state state--error" role="alert" data-testid="sign-in-failed">
        Sign-in failed: {state.message}
      </p>
    );
  }
  return <>{children(state.session)}</>;
}

/** Who is signed in, and a way out; nothing while sign-in is off. */
export function SignedInAs({ session }: { session: Session }) {
  if (session.name === null) return null;
  return (
    <div className="signed-in" data-testid="signed-in">
      <span className="signed-in__name">{session.name}</span>
      <button type="button" className="signed-in__out" onClick={() => void session.signOut()}>
        Sign out
      </button>
    </div>
  );
}
