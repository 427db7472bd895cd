import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import { afterEach, vi } from "vitest";

type Route = (url: URL) => Response | Promise<Response>;

/** A JSON answer as dashboard-api sends it. */
export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** Answers fetch like dashboard-api would, per path (404 for the rest); records the requested URLs. */
export function serve(routes: Record<string, Route>) {
  const requested: URL[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string) => {
      const url = new URL(input, "http://localhost");
      requested.push(url);
      const route = routes[url.pathname];
      return route ? route(url) : json({ detail: "Not Found" }, 404);
    }),
  );
  return requested;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Renders `element` at a router path with a fresh query client that does not retry. */
export function renderAt(path: string, element: ReactElement) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>{element}</MemoryRouter>
    </QueryClientProvider>,
  );
}

/** Finality fields of a chart computed once from a complete lake. */
export const FINAL = { status: "final", as_of: "2025-04-23T15:05:00Z", restatements: 0, late_plays: 0 } as const;
