# syntax=docker/dockerfile:1
# ingest: FastAPI POST /play(s) -> Kafka, under uvicorn (port 8000).
# Build from the repository root: docker build -f docker/ingest.Dockerfile -t topsongs/ingest .
# compose.yaml also runs the one-shot s3-init (docker/s3/create-bucket.py) with this image.

# ---- deps: only this image's dependencies, from its hashed export of the one workspace resolution
# docker/requirements/ingest.lock.txt (scripts/lock.sh, `make lock`) holds the dependency closure of
# this image's workspace member with the versions and hashes of requirements.lock.txt, nothing else.
# uv itself stays in this stage (runtime stages only bind-mount it).
FROM python:3.11-slim-bookworm AS deps
ARG UV_VERSION=0.13.9
ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
COPY docker/requirements/ingest.lock.txt /tmp/ingest.lock.txt
RUN --mount=type=cache,target=/root/.cache/uv \
    uv venv --python /usr/local/bin/python3.11 /opt/venv \
    && uv pip sync --require-hashes --python /opt/venv/bin/python /tmp/ingest.lock.txt

# ---- wheels: this image's workspace members, built without their dependencies ------------
FROM deps AS wheels
COPY core /src/core
COPY ingest /src/ingest
RUN --mount=type=cache,target=/root/.cache/uv \
    for member in core ingest; do uv build --wheel --out-dir /wheels "/src/$member"; done

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
USER topsongs
WORKDIR /home/topsongs
EXPOSE 8000
CMD ["uvicorn", "ingest.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
