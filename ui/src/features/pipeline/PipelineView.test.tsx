import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Pipeline, PipelineStage } from "../../api";
import { json, renderAt, serve } from "../../test/dashboardApi";
import { PipelineView } from "./PipelineView";
import { sparkPoints } from "./Sparkline";
import { formatAge, formatFigure } from "./StageCard";

const stage = (id: string, fields: Partial<PipelineStage> = {}): PipelineStage => ({
  id,
  title: id,
  health: "up",
  job: id,
  rate: 2.5,
  rate_unit: "plays/s",
  lag_records: null,
  lag_seconds: null,
  freshness_seconds: null,
  push_latency_seconds: null,
  freshness: [],
  series: [`${id}_rate`],
  ...fields,
});

const pipeline = (fields: Partial<Pipeline> = {}): Pipeline => ({
  prometheus: { status: "up", detail: null },
  stages: [
    stage("ingest", { freshness: [{ stage: "ingest", newest_seconds: 3, last_success_seconds: 3 }] }),
    stage("airflow", {
      freshness: [
        { stage: "hourly", newest_seconds: 5400, last_success_seconds: 600 },
        { stage: "daily", newest_seconds: null, last_success_seconds: null },
      ],
    }),
    stage("api", { rate_unit: "", push_latency_seconds: 0.42 }),
    stage("live", { health: "down", lag_records: 1200, lag_seconds: 42, series: ["live_rate", "live_lag_records"] }),
  ],
  alerts: [],
  as_of: "2026-12-07T00:00:00Z",
  ...fields,
});

const servePipeline = (body: Pipeline) =>
  serve({
    "/api/pipeline": () => json(body),
    "/api/pipeline/series": () => json({ name: "x", step_seconds: 15, points: [], prometheus: body.prometheus }),
  });

describe("PipelineView", () => {
  it("shows each stage's numbers and names the stages that are down", async () => {
    servePipeline(
      pipeline({
        alerts: [
          {
            name: "TargetDown",
            state: "firing",
            severity: "page",
            summary: "streams does not answer",
            active_at: null,
          },
        ],
      }),
    );
    renderAt("/pipeline", <PipelineView />);
    const live = await screen.findByTestId("stage-live");
    expect(live).toHaveAttribute("data-health", "down");
    expect(within(live).getByTestId("stage-lag")).toHaveTextContent("1,200 msgs · 42 s");
    expect(within(screen.getByTestId("stage-ingest")).getByTestId("stage-rate")).toHaveTextContent("2.5 plays/s");
    expect(screen.getByTestId("stages-down")).toHaveTextContent("Down: live");
    expect(screen.getByTestId("stage-freshness-ingest")).toHaveTextContent("Newest play3 s old · moved 3 s ago");
    expect(screen.getByTestId("stage-freshness-hourly")).toHaveTextContent("Hourly chart90 min old · moved 10 min ago");
    expect(screen.getByTestId("stage-freshness-daily")).toHaveTextContent("Daily chart— old");
    expect(screen.getByTestId("stage-push-latency")).toHaveTextContent("0.4 s");
    expect(screen.getByTestId("alerts")).toHaveTextContent("TargetDown");
  });

  it("says Prometheus is down instead of calling every stage down", async () => {
    servePipeline(
      pipeline({
        prometheus: { status: "down", detail: "http://127.0.0.1:9190 does not answer (ConnectError)" },
        stages: [stage("ingest", { health: "unknown", rate: null })],
      }),
    );
    renderAt("/pipeline", <PipelineView />);
    expect(await screen.findByTestId("prometheus-down")).toHaveTextContent("9190 does not answer");
    expect(screen.getByTestId("stage-ingest")).toHaveAttribute("data-health", "unknown");
    expect(screen.getByTestId("stage-rate")).toHaveTextContent("—");
    expect(screen.queryByTestId("stages-down")).toBeNull();
  });
});

describe("sparkPoints and formatFigure", () => {
  it("scales a series into the box and formats figures", () => {
    expect(
      sparkPoints([
        [0, 0],
        [15, 10],
      ]),
    ).toBe("0.0,27.0 120.0,1.0");
    expect(sparkPoints([[0, 3]])).toBe("");
    expect(formatFigure(null)).toBe("—");
    expect(formatFigure(1234.56, "msgs")).toBe("1,235 msgs");
    expect([formatAge(null), formatAge(42.4), formatAge(600), formatAge(3 * 3600)]).toEqual([
      "—",
      "42 s",
      "10 min",
      "3 h",
    ]);
  });
});
