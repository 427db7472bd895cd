# syntax=docker/dockerfile:1
# dashboard-api: WebSocket live charts, REST history, and the built UI at / (port 8080).
# The UI is built from ui/ with npm ci (ui/package-lock.json) in its own stage.
# Build from the repository root: docker build -f docker/dashboard-api.Dockerfile -t topsongs/dashboard-api .

# ---- deps: only this image's dependencies, from its hashed export of the one workspace resolution
# docker/requirements/dashboard-api.lock.txt (scripts/lock.sh, `make lock`) holds the dependency closure of
# this image's workspace member with the versions and hashes of requirements.lock.txt, nothing else.
# uv itself stays in this stage (runtime stages only bind-mount it).
FROM python:3.11-slim-bookworm AS deps
ARG UV_VERSION=0.13.9
ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
COPY docker/requirements/dashboard-api.lock.txt /tmp/dashboard-api.lock.txt
RUN --mount=type=cache,target=/root/.cache/uv \
    uv venv --python /usr/local/bin/python3.11 /opt/venv \
    && uv pip sync --require-hashes --python /opt/venv/bin/python /tmp/dashboard-api.lock.txt

# ---- wheels: this image's workspace members, built without their dependencies ------------
FROM deps AS wheels
COPY core /src/core
COPY dashboard-api /src/dashboard-api
RUN --mount=type=cache,target=/root/.cache/uv \
    for member in core dashboard-api; do uv build --wheel --out-dir /wheels "/src/$member"; done

# ---- ui: the React app's static build (ui/dist) ------------------------------------------------
FROM node:20-bookworm-slim AS ui
WORKDIR /ui
COPY ui/package.json ui/package-lock.json ui/.npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --loglevel=error
COPY ui/ ./
RUN npm run build

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
COPY --from=ui /ui/dist /opt/topsongs/ui/dist
USER topsongs
WORKDIR /home/topsongs
ENV DASHBOARD_UI_DIST=/opt/topsongs/ui/dist
EXPOSE 8080
CMD ["uvicorn", "dashboard_api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8080", "--no-access-log"]
