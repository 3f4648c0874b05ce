#!/usr/bin/env bash
# The project's test command (README, CI). Creates the virtual environments it needs under
# .venvs/, then runs: lint + types, the main test suite, and the SDK matrix (each supported
# openai/anthropic major in a virtual environment of its own).
#
#   bash scripts/test.sh            everything
#   bash scripts/test.sh --quick    lint, types and the main suite only
#
# The local-model tier builds llama-cpp-python from source the first time (about 5 minutes on
# 2 cores) into .venvs/local and runs the real SmolLM2 model; SKVM_SKIP_LOCAL_MODEL=1 skips it
# (with a message).
#   PYTEST_ARGS="-k wire" bash scripts/test.sh --quick
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

make_venv() {  # make_venv NAME PIP-ARGS...
  local dir="$ROOT/.venvs/$1"; shift
  if [[ ! -x "$dir/bin/python" ]]; then
    "$PY" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip >/dev/null
  fi
  "$dir/bin/python" -m pip install -q "$@"
}

log "main environment (.venvs/main)"
make_venv main -e ".[dev]"
MAIN="$ROOT/.venvs/main/bin"

log "ruff"
"$MAIN/ruff" format --check skvm_shim adapters compiler tests examples
"$MAIN/ruff" check skvm_shim adapters compiler tests examples

log "mypy"
"$MAIN/mypy"

log "main test suite"
# shellcheck disable=SC2086
"$MAIN/python" -m pytest ${PYTEST_ARGS:-}

if [[ $QUICK == 1 ]]; then
  exit 0
fi

# Each SDK major in its own environment: the shim must work with whatever the harness pins.
declare -A MATRIX=(
  [openai2]="openai==2.24.0"
  [openai3]="openai>=3,<4"
  [anthropic1]="anthropic>=1,<2"
  [anthropic2]="anthropic>=2,<3"
)
for name in openai2 openai3 anthropic1 anthropic2; do
  log "SDK matrix: $name (${MATRIX[$name]})"
  make_venv "sdk-$name" -e ".[test]" "${MATRIX[$name]}"
  "$ROOT/.venvs/sdk-$name/bin/python" -m pip list 2>/dev/null | grep -Ei '^(openai|anthropic|httpx2?) ' || true
  SKVM_SDK_MATRIX="$name" "$ROOT/.venvs/sdk-$name/bin/python" -m pytest -m sdk -q tests/sdk
done

if [[ -n "${SKVM_SKIP_LOCAL_MODEL:-}" ]]; then
  log "local model tier: SKIPPED (SKVM_SKIP_LOCAL_MODEL is set)"
  exit 0
fi
log "local model tier (.venvs/local; llama.cpp is built from source the first time)"
make_venv local -e ".[local,test,openai]"
"$ROOT/.venvs/local/bin/python" -m pytest -q tests/local_model
