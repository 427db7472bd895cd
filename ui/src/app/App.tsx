import { lazy, Suspense } from "react";
import { Navigate, NavLink, Route, Routes, useSearchParams } from "react-router";
import { SignedInAs, SignInGate } from "../features/auth/SignInGate";
import type { Session } from "../features/auth/session";
import { LiveBoard } from "../features/live/LiveBoard";
import { PipelineView } from "../features/pipeline/PipelineView";

// Recharts is only needed by the history view; keep it out of the live board's bundle.
const HistoryView = lazy(() =>
  import("../features/history/HistoryView").then((module) => ({ default: module.HistoryView })),
);

/** Carries the chosen region across views. */
function useRegionQuery(): string {
  const [params] = useSearchParams();
  const region = params.get("region");
  return region ? `?region=${encodeURIComponent(region)}` : "";
}

export function App() {
  return <SignInGate>{(session) => <Views session={session} />}</SignInGate>;
}

function Views({ session }: { session: Session }) {
  const regionQuery = useRegionQuery();
  return (
    <div className="app">
      <header className="app__header">
        <h1 className="app__title">Top Songs</h1>
        <nav className="tabs" aria-label="Views">
          <NavLink to={`/${regionQuery}`} end className="tabs__link" data-testid="nav-live">
            Live
          </NavLink>
          <NavLink to={`/history${regionQuery}`} className="tabs__link" data-testid="nav-history">
            History
          </NavLink>
          <NavLink to="/pipeline" className="tabs__link" data-testid="nav-pipeline">
            Pipeline
          </NavLink>
        </nav>
        <SignedInAs session={session} />
      </header>
      <main className="app__main">
        <Routes>
          <Route path="/" element={<LiveBoard />} />
          <Route
            path="/history"
            element={
              <Suspense fallback={<p className="state">Loading…</p>}>
                <HistoryView />
              </Suspense>
            }
          />
          <Route path="/pipeline" element={<PipelineView />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </main>
    </div>
  );
}
