#!/usr/bin/env bash
# The Docker path on this kind of machine (docs/docker.md), safe to rerun:
#   - Debian's Docker engine (docker.io) when no engine answers, started as root when not running;
#   - the compose and buildx CLI plugins, built once with Go into .cache/docker when missing;
#   - the Debian base image: DEBIAN_IMAGE when it is set and present or pullable, otherwise
#     topsongs/debian-rootfs:bookworm, a bookworm root filesystem made by mmdebstrap from Debian's
#     packages (the apt sources of this host) and imported. Prints the base image's name last.
# One run at a time (a lock in .cache/docker): `make test` starts one in the background, and the
# tests that need Docker wait for it. DOCKERD_NICE: the niceness a dockerd started here runs at
# (its builds and containers inherit it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
cache="$PWD/.cache/docker"
mkdir -p "$cache/cli-plugins" "$cache/state"
exec 9>"$cache/setup.lock"
flock 9
COMPOSE_VERSION="${COMPOSE_VERSION:-v5.6.0}"
BUILDX_VERSION="${BUILDX_VERSION:-v0.38.2}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

log() { echo "[docker] $*" >&2; }

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then
    log "installing Debian's docker.io and mmdebstrap"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker.io mmdebstrap >/dev/null
  fi
  if ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd (log: $cache/state/dockerd.log)"
    # 9>&-: the daemon must not inherit this script's lock, or it would hold it for ever
    $SUDO bash -c "nohup nice -n '${DOCKERD_NICE:-0}' dockerd >'$cache/state/dockerd.log' 2>&1 9>&- &"
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "the Docker engine did not answer; see $cache/state/dockerd.log"; exit 1; }
fi

# go build of a Go module's command (its go.mod has replace/exclude lines, so not `go install`)
build_plugin() {
  local module="$1" version="$2" pkg="$3" out="$4" ldflags="$5" dir
  [ -x "$out.$version" ] && return 0
  command -v go >/dev/null 2>&1 || { log "Go is needed to build $module"; exit 1; }
  log "building $module $version with Go (first run only, a few minutes)"
  dir="$(cd /tmp && go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
  (cd "$dir" && GOFLAGS="-buildvcs=false -mod=mod" go build -trimpath -ldflags "-s -w $ldflags" -o "$out.$version" "$pkg")
}
build_plugin github.com/docker/compose/v5 "$COMPOSE_VERSION" ./cmd "$cache/cli-plugins/docker-compose" \
  "-X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION"
build_plugin github.com/docker/buildx "$BUILDX_VERSION" ./cmd/buildx "$cache/cli-plugins/docker-buildx" \
  "-X github.com/docker/buildx/version.Version=$BUILDX_VERSION"
# The Docker client looks for plugins here when root (~/.docker/cli-plugins otherwise).
plugins=/usr/local/lib/docker/cli-plugins
[ "$(id -u)" -eq 0 ] || plugins="$HOME/.docker/cli-plugins"
mkdir -p "$plugins"
for plugin in compose:"$COMPOSE_VERSION" buildx:"$BUILDX_VERSION"; do
  ln -sf "$cache/cli-plugins/docker-${plugin%%:*}.${plugin#*:}" "$plugins/docker-${plugin%%:*}"
done

base="${DEBIAN_IMAGE:-}"
if [ -n "$base" ] && { docker image inspect "$base" >/dev/null 2>&1 || timeout 60 docker pull -q "$base" >/dev/null 2>&1; }; then
  echo "$base"
  exit 0
fi
base=topsongs/debian-rootfs:bookworm
if ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v mmdebstrap >/dev/null 2>&1 || {
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mmdebstrap >/dev/null
  }
  sources=/etc/apt/sources.list.d/debian.sources
  [ -f "$sources" ] || sources=/etc/apt/sources.list
  log "making $base with mmdebstrap from $sources (about a minute)"
  tar="$cache/state/rootfs.tar"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$tar" "$sources"
  docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$tar" "$base" >/dev/null
  rm -f "$tar"
fi
echo "$base"
