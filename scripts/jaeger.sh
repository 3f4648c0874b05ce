#!/usr/bin/env bash
# Jaeger v2 for the trace tests (tests/jaeger): github.com/jaegertracing/jaeger/cmd/jaeger at the
# version tools/jaeger/go.mod pins (with its go.sum), built with Go from the module proxy, once,
# into the build cache that scripts/test.sh shares with later runs and clones on this machine.
#
#   bash scripts/jaeger.sh build   build unless cached; print the binary's path on stdout
#   bash scripts/jaeger.sh path    print where the binary is (or will be)
#
# A failed build exits non-zero with go's own error (it names the module that failed) on stderr.
# GOMAXPROCS=1 builds on one core (go's -p defaults to it).
# SKVM_BUILD_CACHE=DIR as in scripts/test.sh (default: ~/.cache/skvm-shim-build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODULE_DIR="$ROOT/tools/jaeger"
VERSION=$(awk '$1 == "github.com/jaegertracing/jaeger" { print $2 }' "$MODULE_DIR/go.mod")
BUILD_CACHE=${SKVM_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/skvm-shim-build}
DIR="$BUILD_CACHE/jaeger-$VERSION"
BIN="$DIR/jaeger"

build() {
  if [[ -x "$BIN" ]]; then
    echo "  jaeger $VERSION reused from $DIR" >&2
    echo "$BIN"
    return
  fi
  if ! command -v go >/dev/null; then
    echo "go is not installed: cannot build jaeger $VERSION" >&2
    return 1
  fi
  echo "  building jaeger $VERSION ($(go version | cut -d' ' -f3)) into $DIR; once" >&2
  mkdir -p "$BUILD_CACHE"
  local tmp; tmp=$(mktemp -d "$BUILD_CACHE/.build.XXXXXX")
  # -mod=readonly: the go.sum in the repository is the whole truth; nothing is re-resolved.
  if ! (cd "$MODULE_DIR" && GOFLAGS="-mod=readonly -buildvcs=false" \
        go build -trimpath -o "$tmp/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger) >&2; then
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$DIR" && mv "$tmp" "$DIR"
  echo "$BIN"
}

case "${1:-}" in
  build) build ;;
  path) echo "$BIN" ;;
  *) echo "usage: $0 build|path" >&2; exit 2 ;;
esac
