#!/usr/bin/env bash
# make test: every test, from fast to real. Each stage runs even if an earlier one failed, so one CI run shows
# every problem; the script fails if any stage failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
export PATH="$repo/.venv/bin:$PATH"
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

# pytest exits 5 when it collects no tests, so an empty run fails here instead of passing.
stage pytest python -m pytest -q -p no:cacheprovider
stage ansible-lint scripts/lint.sh
stage sanity scripts/sanity.sh
stage molecule scripts/molecule.sh

if [ ${#failed[@]} -gt 0 ]; then
  echo "make test FAILED: ${failed[*]}"
  exit 1
fi
echo "make test passed"
