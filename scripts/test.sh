#!/usr/bin/env bash
# The project's test command (README, CI). Creates the virtual environments it needs under
# .venvs/ from pinned versions (scripts/constraints.txt), then runs, in order:
#
#   1. lint + types, and the main test suite                  (.venvs/main); its Jaeger tier
#      (tests/jaeger) runs a real Jaeger v2, built with Go once into the build cache
#      (scripts/jaeger.sh)
#   2. the SDK matrix: each supported openai/anthropic major, pinned, in its own environment
#   3. the newest releases: the newest openai 2.x/3.x and anthropic 1.x/2.x of the day and the
#      newest of everything else, unpinned; a failure here is a compatibility bug to fix
#   4. the local-model tier: llama.cpp built portable (no -march=native) once, cached, and the
#      real SmolLM2 model
#
#   bash scripts/test.sh            everything
#   bash scripts/test.sh --quick    lint, types and the main suite only
#   PYTEST_ARGS="-k wire" bash scripts/test.sh --quick
#
# Environment:
#   SKVM_SKIP_NEWEST=1        skip tier 3 (says so)
#   SKVM_SKIP_LOCAL_MODEL=1   skip tier 4 (says so)
#   SKVM_SKIP_JAEGER=1        do not build Jaeger; tests/jaeger is skipped (says so)
#   SKVM_LLAMA_NATIVE=1       build llama.cpp for this CPU only (-march=native), cached separately
#   SKVM_BUILD_CACHE=DIR      where slow builds are kept between runs and clones
#                             (default: ~/.cache/skvm-shim-build)
# scripts/lock.sh re-resolves scripts/constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
CONSTRAINTS="$ROOT/scripts/constraints.txt"
BUILD_CACHE=${SKVM_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/skvm-shim-build}
# The SDK versions each pinned environment tests (constraints.txt pins everything else).
SDK_MAIN=(openai==3.63.0 anthropic==2.17.0)
declare -A MATRIX=(
  [openai2]="openai==2.24.0"
  [openai3]="openai==3.63.0"
  [anthropic1]="anthropic==1.17.0"
  [anthropic2]="anthropic==2.17.0"
)
LLAMA_VERSION=0.3.36
TIMINGS=()
START=$SECONDS

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
timed() {  # timed LABEL COMMAND...: run, and remember how long it took
  local label=$1 t0=$SECONDS; shift
  "$@"
  TIMINGS+=("$(printf '%-44s %5ds' "$label" $((SECONDS - t0)))")
}
summary() {
  log "time per step (total $((SECONDS - START))s)"
  printf '  %s\n' "${TIMINGS[@]}"
}
trap summary EXIT

new_venv() {  # new_venv NAME: create .venvs/NAME once
  local dir="$ROOT/.venvs/$1"
  if [[ ! -x "$dir/bin/python" ]]; then
    "$PY" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip >/dev/null
  fi
}

pinned_venv() {  # pinned_venv NAME PIP-ARGS...: an environment from the pinned versions
  local name=$1; shift
  new_venv "$name"
  "$ROOT/.venvs/$name/bin/python" -m pip install -q -c "$CONSTRAINTS" "$@"
}

newest_venv() {  # newest_venv NAME PIP-ARGS...: an environment of the newest releases today
  local name=$1; shift
  new_venv "$name"
  "$ROOT/.venvs/$name/bin/python" -m pip install -q --upgrade --upgrade-strategy eager "$@"
}

versions() {  # versions NAME: the SDK versions an environment really has
  "$ROOT/.venvs/$1/bin/python" -m pip list 2>/dev/null \
    | grep -Ei '^(openai|anthropic|openai-agents|httpx2?|llama.cpp.python) ' | tr -s ' ' | paste -sd ',' -
}

log "main environment (.venvs/main, pinned)"
timed "install .venvs/main" pinned_venv main -e ".[dev]" "${SDK_MAIN[@]}"
MAIN="$ROOT/.venvs/main/bin"
echo "  $(versions main)"

log "ruff"
timed "ruff" bash -c "'$MAIN/ruff' format --check skvm_shim adapters compiler tests examples \
  && '$MAIN/ruff' check skvm_shim adapters compiler tests examples"

log "mypy"
timed "mypy" "$MAIN/mypy"

# Jaeger v2 for tests/jaeger, built from the Go module tools/jaeger pins (go.sum included) into
# the build cache, once (about 10 minutes on one core the first time). A failed build does not
# stop the run: tests/jaeger is skipped and every skipped test prints go's error.
build_jaeger() {
  if [[ -n "${SKVM_SKIP_JAEGER:-}" ]]; then
    export SKVM_JAEGER_UNAVAILABLE="SKVM_SKIP_JAEGER is set"
    echo "  SKIPPED (SKVM_SKIP_JAEGER is set)"
    return
  fi
  local err bin
  err=$(mktemp)
  if bin=$(SKVM_BUILD_CACHE="$BUILD_CACHE" bash "$ROOT/scripts/jaeger.sh" build 2>"$err"); then
    cat "$err"
    export SKVM_JAEGER_BIN="$bin"
  else
    cat "$err"
    SKVM_JAEGER_UNAVAILABLE="the Go build failed: $(grep -v '^  building' "$err" | tail -n 5 \
      | tr '\n' ' ')"
    export SKVM_JAEGER_UNAVAILABLE
    echo "  Jaeger build FAILED; tests/jaeger will be skipped with: $SKVM_JAEGER_UNAVAILABLE"
  fi
  rm -f "$err"
}
log "Jaeger for tests/jaeger (built once into $BUILD_CACHE)"
timed "build jaeger (cached)" build_jaeger

log "main test suite"
# shellcheck disable=SC2086
timed "main test suite" "$MAIN/python" -m pytest ${PYTEST_ARGS:-}

if [[ $QUICK == 1 ]]; then
  exit 0
fi

# Each SDK major in its own environment: the shim must work with whatever the harness pins.
for name in openai2 openai3 anthropic1 anthropic2; do
  log "SDK matrix, pinned: $name (${MATRIX[$name]})"
  timed "install sdk-$name" pinned_venv "sdk-$name" -e ".[test]" "${MATRIX[$name]}"
  echo "  $(versions "sdk-$name")"
  timed "SDK matrix $name" env SKVM_SDK_MATRIX="$name" \
    "$ROOT/.venvs/sdk-$name/bin/python" -m pytest -m sdk -q tests/sdk
done

# The newest release of each supported SDK major, and of everything else, as a user installing
# today gets them, running what the pinned tiers run: two environments because openai 2.x and 3.x
# (and anthropic 1.x and 2.x) cannot share one. The current majors also run the tests of the
# scripted upstream and the proxy with real SDK clients (written for those majors, as in main).
if [[ -n "${SKVM_SKIP_NEWEST:-}" ]]; then
  log "newest releases: SKIPPED (SKVM_SKIP_NEWEST is set)"
else
  CURRENT_TESTS="tests/sdk tests/testing/test_upstream_sdk_openai.py \
    tests/testing/test_upstream_sdk_anthropic.py tests/proxy/test_proxy_sdk.py"
  for spec in "newest|.[dev]|openai>=3,<4 anthropic>=2,<3|$CURRENT_TESTS" \
              "newest-older-majors|.[test]|openai>=2,<3 anthropic>=1,<2|-m sdk tests/sdk"; do
    IFS='|' read -r name extras sdks tests <<< "$spec"
    read -r -a sdks <<< "$sdks"
    read -r -a tests <<< "$tests"
    log "newest releases: $name (${sdks[*]}, nothing pinned)"
    timed "install $name" newest_venv "$name" -e "$extras" "${sdks[@]}"
    echo "  $(versions "$name")"
    timed "newest releases: $name" env SKVM_SDK_MATRIX="$name" \
      "$ROOT/.venvs/$name/bin/python" -m pytest -q -p no:cacheprovider "${tests[@]}"
  done
fi

if [[ -n "${SKVM_SKIP_LOCAL_MODEL:-}" ]]; then
  log "local model tier: SKIPPED (SKVM_SKIP_LOCAL_MODEL is set)"
  exit 0
fi

# llama-cpp-python builds llama.cpp from source. pip's own wheel cache ignores CMAKE_ARGS, so the
# wheel is built here, once per version and flavour, into a cache of ours that later runs (and
# later clones on this machine) reuse. Portable by default: -march=native would use every
# instruction this CPU advertises, and a virtual machine may advertise some (AMX, AVX-512) that it
# cannot run, which kills the server with SIGILL on its first request.
build_llama_wheel() {
  local flavour=portable cmake_args="-DGGML_NATIVE=OFF"
  if [[ -n "${SKVM_LLAMA_NATIVE:-}" ]]; then
    flavour="native-$(uname -m)-$(grep -m1 -o 'model name.*' /proc/cpuinfo 2>/dev/null | md5sum | cut -c1-8)"
    cmake_args="-DGGML_NATIVE=ON"
  fi
  LLAMA_WHEELS="$BUILD_CACHE/llama-cpp-python-$LLAMA_VERSION-$flavour"
  if compgen -G "$LLAMA_WHEELS/llama_cpp_python-*.whl" >/dev/null; then
    echo "  llama-cpp-python $LLAMA_VERSION ($flavour) reused from $LLAMA_WHEELS"
    return
  fi
  echo "  building llama-cpp-python $LLAMA_VERSION ($flavour, CMAKE_ARGS=$cmake_args) into"
  echo "  $LLAMA_WHEELS; this takes about 10 minutes on 2 cores, once"
  mkdir -p "$BUILD_CACHE"
  local tmp; tmp=$(mktemp -d "$BUILD_CACHE/.build.XXXXXX")
  CMAKE_ARGS="$cmake_args" "$ROOT/.venvs/local/bin/python" -m pip wheel -q --no-deps \
    --no-cache-dir --no-binary llama-cpp-python -w "$tmp" "llama-cpp-python==$LLAMA_VERSION"
  rm -rf "$LLAMA_WHEELS" && mv "$tmp" "$LLAMA_WHEELS"
}

log "local model tier (.venvs/local; llama.cpp built once into $BUILD_CACHE)"
new_venv local
timed "build llama-cpp-python (cached)" build_llama_wheel
timed "install .venvs/local" pinned_venv local "$LLAMA_WHEELS"/llama_cpp_python-*.whl \
  -e ".[local,test,openai]" "${SDK_MAIN[0]}"
echo "  $(versions local)"
timed "local model tier" "$ROOT/.venvs/local/bin/python" -m pytest -q tests/local_model
