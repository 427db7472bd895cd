# syntax=docker/dockerfile:1
# spark: the spark Structured Streaming job (`python -m spark.job`), Spark in local
# mode inside the container (LAKE_SPARK_MASTER_URL points it at a cluster instead). PySpark needs a
# Java 17 runtime, and the connector jars PySpark lacks (Kafka source, hadoop-aws + AWS SDK) are
# resolved with Maven from spark/maven/pom.xml, as devstack does, into LAKE_JARS_DIR.
# Build from the repository root: docker build -f docker/spark.Dockerfile -t topsongs/spark .

# ---- deps: only this image's dependencies, from its hashed export of the one workspace resolution
# docker/requirements/spark.lock.txt (scripts/lock.sh, `make lock`) holds the dependency closure of
# this image's workspace member with the versions and hashes of requirements.lock.txt, nothing else.
# uv itself stays in this stage (runtime stages only bind-mount it).
FROM python:3.11-slim-bookworm AS deps
ARG UV_VERSION=0.13.9
ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
COPY docker/requirements/spark.lock.txt /tmp/spark.lock.txt
RUN --mount=type=cache,target=/root/.cache/uv \
    uv venv --python /usr/local/bin/python3.11 /opt/venv \
    && uv pip sync --require-hashes --python /opt/venv/bin/python /tmp/spark.lock.txt

# ---- wheels: this image's workspace members, built without their dependencies ------------
FROM deps AS wheels
COPY core /src/core
COPY spark /src/spark
RUN --mount=type=cache,target=/root/.cache/uv \
    for member in core spark; do uv build --wheel --out-dir /wheels "/src/$member"; done

# ---- jars: spark/maven/pom.xml's runtime dependencies ------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS jars
COPY spark/maven/pom.xml /build/pom.xml
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -f /build/pom.xml dependency:copy-dependencies \
        -DoutputDirectory=/jars -DincludeScope=runtime

# ---- runtime: this image's venv, its workspace members, a non-root user ------------------------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 topsongs \
    && useradd --system --uid 10001 --gid topsongs --create-home --home-dir /home/topsongs \
       --shell /usr/sbin/nologin topsongs
COPY --from=deps /opt/venv /opt/venv
RUN --mount=type=bind,from=wheels,source=/wheels,target=/tmp/wheels \
    --mount=type=bind,from=deps,source=/usr/local/bin/uv,target=/usr/local/bin/uv \
    uv pip install --no-deps --offline --no-cache --compile-bytecode \
       --python /opt/venv/bin/python /tmp/wheels/*.whl
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Java 17 for the Spark driver; procps because Spark's launch scripts call `ps`.
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
    && rm -rf /var/lib/apt/lists/*
COPY --from=jars /jars /opt/spark/jars
USER topsongs
WORKDIR /home/topsongs
ENV LAKE_JARS_DIR=/opt/spark/jars
# Spark UI (healthcheck: /api/v1/applications)
EXPOSE 4040
CMD ["python", "-m", "spark.job"]
