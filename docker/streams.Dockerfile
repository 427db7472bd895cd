# syntax=docker/dockerfile:1
# streams: the Faust live-chart worker (`python -m streams worker`), no HTTP port of its own;
# STREAMS_METRICS_PORT serves Prometheus metrics on 127.0.0.1 inside the container (healthcheck).
# Build from the repository root: docker build -f docker/streams.Dockerfile -t topsongs/streams .

# ---- deps: only this image's dependencies, from its hashed export of the one workspace resolution
# docker/requirements/streams.lock.txt (scripts/lock.sh, `make lock`) holds the dependency closure of
# this image's workspace member with the versions and hashes of requirements.lock.txt, nothing else.
# uv itself stays in this stage (runtime stages only bind-mount it).
FROM python:3.11-slim-bookworm AS deps
ARG UV_VERSION=0.13.9
ARG TARGETARCH
ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# faust-streaming publishes x86_64 wheels only; elsewhere its sdist needs a C compiler.
RUN if [ "${TARGETARCH:-amd64}" != "amd64" ]; then \
      apt-get update && apt-get install -y --no-install-recommends build-essential \
      && rm -rf /var/lib/apt/lists/*; \
    fi
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
COPY docker/requirements/streams.lock.txt /tmp/streams.lock.txt
RUN --mount=type=cache,target=/root/.cache/uv \
    uv venv --python /usr/local/bin/python3.11 /opt/venv \
    && uv pip sync --require-hashes --python /opt/venv/bin/python /tmp/streams.lock.txt

# ---- wheels: this image's workspace members, built without their dependencies ------------
FROM deps AS wheels
COPY core /src/core
COPY streams /src/streams
RUN --mount=type=cache,target=/root/.cache/uv \
    for member in core streams; do uv build --wheel --out-dir /wheels "/src/$member"; done

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
# Faust's data dir; a named volume mounted here inherits this ownership.
RUN mkdir -p /var/lib/topsongs/streams && chown topsongs:topsongs /var/lib/topsongs/streams
USER topsongs
WORKDIR /home/topsongs
ENV STREAMS_METRICS_PORT=9102
CMD ["python", "-m", "streams", "--datadir", "/var/lib/topsongs/streams", "worker", "-l", "info", "--without-web"]
