#!/usr/bin/env bash
# make test: every test, from fast to real. Each stage runs even if an earlier one failed, so one CI run shows
# every problem; the script fails if any stage failed.
#   scripts/test.sh          pytest (unit + sandbox integration), ansible-lint, ansible-test sanity, molecule
#   scripts/test.sh --fast   make test-fast: the unit tests and ansible-lint only (the inner loop, under 2 min)
# pytest runs in PYTEST_WORKERS (default 2) pytest-xdist processes, a file's tests in one worker and in file order
# (--dist loadfile: module fixtures start their sandbox once), and prints the 25 slowest tests at the end.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
export PATH="$repo/.venv/bin:$PATH"
fast=false
if [ "${1:-}" = "--fast" ]; then
  fast=true
elif [ $# -gt 0 ]; then
  echo "usage: scripts/test.sh [--fast]" >&2
  exit 2
fi
failed=()

stage() {
  local name=$1; shift
  echo "=== $name: $*"
  local start=$SECONDS
  if "$@"; then
    echo "=== $name passed in $((SECONDS - start))s"
  else
    echo "=== $name FAILED (exit $?) after $((SECONDS - start))s"
    failed+=("$name")
  fi
}

pytest_args=(-q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" --dist loadfile --durations=25)
# pytest exits 5 when it collects no tests: any non-zero exit fails the stage, so an empty run fails here.
if $fast; then
  stage pytest python -m pytest "${pytest_args[@]}" tests/unit
  stage ansible-lint scripts/lint.sh
else
  stage pytest python -m pytest "${pytest_args[@]}"
  stage ansible-lint scripts/lint.sh
  stage sanity scripts/sanity.sh
  stage molecule scripts/molecule.sh
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "make test$($fast && echo -fast) FAILED: ${failed[*]}"
  exit 1
fi
echo "make test$($fast && echo -fast) passed"
