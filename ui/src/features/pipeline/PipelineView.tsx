import { ApiError, type PipelineStage } from "../../api";
import { StageCard } from "./StageCard";
import { usePipeline } from "./usePipeline";

// The flow's rows: the live and lake consumers read Kafka side by side.
const FLOW: string[][] = [["ingest"], ["kafka"], ["live", "lake"], ["airflow"], ["postgres"], ["api"]];

/** The pipeline as stages from ingest to the API, with their numbers and the alerts firing. */
export function PipelineView() {
  const { data, error, isPending } = usePipeline();
  if (isPending) return <p className="state">Loading…</p>;
  if (error instanceof ApiError && error.status === 403) {
    return (
      <p className="state state--error" role="alert" data-testid="operators-only">
        The pipeline page is for operators: {error.message}
      </p>
    );
  }
  if (!data) {
    return (
      <p className="state state--error" role="alert">
        dashboard-api did not answer: {error?.message}
      </p>
    );
  }
  const byId = new Map<string, PipelineStage>(data.stages.map((stage) => [stage.id, stage]));
  const prometheusDown = data.prometheus.status === "down";
  const down = data.stages.filter((stage) => stage.health === "down");
  return (
    <section className="panel" aria-labelledby="pipeline-heading">
      <header className="panel__header">
        <h2 id="pipeline-heading">Pipeline</h2>
        <span className="muted" data-testid="pipeline-as-of">
          as of {new Date(data.as_of).toLocaleTimeString()}
        </span>
      </header>
      {prometheusDown && (
        <p className="state state--error" role="alert" data-testid="prometheus-down">
          Prometheus is down, so no stage can be measured: {data.prometheus.detail}
        </p>
      )}
      {!prometheusDown && down.length > 0 && (
        <p className="state state--error" role="alert" data-testid="stages-down">
          Down: {down.map((stage) => stage.title).join(", ")}
        </p>
      )}
      <ol className="flow" aria-label="Stages, from ingest to the API">
        {FLOW.map((row) => (
          <li key={row.join("-")} className="flow__step">
            {row.map((id) => {
              const stage = byId.get(id);
              return stage && <StageCard key={id} stage={stage} prometheusDown={prometheusDown} />;
            })}
          </li>
        ))}
      </ol>
      <h3 className="subheading">Alerts</h3>
      {data.alerts.length === 0 ? (
        <p className="muted" data-testid="alerts-none">
          {prometheusDown ? "Unknown while Prometheus is down." : "None firing."}
        </p>
      ) : (
        <ul className="alerts" data-testid="alerts">
          {data.alerts.map((alert) => (
            <li key={`${alert.name}-${alert.summary}`} className={`alert alert--${alert.state}`}>
              <strong>{alert.name}</strong> <span className="badge">{alert.state}</span>
              {alert.severity && <span className="muted"> {alert.severity}</span>}
              {alert.summary && <div>{alert.summary}</div>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
