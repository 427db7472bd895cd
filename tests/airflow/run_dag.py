"""Run one DAG with ``dag.test()``: ``python run_dag.py DAG_ID RUN_AFTER INTERVAL_START`` (exit 0 on success).

The tests start it as a subprocess so that Airflow's configuration (read from the environment at
import) stays private to each run.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

from airflow.dag_processing.dagbag import DagBag


def main() -> int:
    """Load the DAG folder, test-run one DAG for one data interval, report its state."""
    dag_id, run_after, start = sys.argv[1], *map(datetime.fromisoformat, sys.argv[2:4])
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        print(f"import errors: {bag.import_errors}")
        return 2
    # A manual run covers the last whole data interval before its logical date.
    run = bag.dags[dag_id].test(logical_date=run_after)
    print(f"dag run {dag_id} {run.data_interval_start}..{run.data_interval_end}: {run.state}")
    if run.data_interval_start != start:
        print(f"expected the interval to start at {start}")
        return 3
    return 0 if run.state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
