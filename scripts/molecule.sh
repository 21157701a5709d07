#!/usr/bin/env bash
# Every molecule scenario under molecule/ (create = start the sandbox, destroy = stop it by PID).
#   scripts/molecule.sh [scenario ...]     all scenarios when none is named
# MOLECULE_JOBS (default 2) scenarios run at once: each has its own ephemeral directory, so its own sandbox (own
# state dir, random loopback ports) and its own reports. Each scenario's output is printed whole when it ends.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export PATH="$repo/.venv/bin:$PATH" ANSIBLE_CONFIG="$repo/ansible.cfg"
# molecule 26 looks under extensions/molecule in a collection; this collection keeps the top-level molecule/.
# (molecule logs "CRITICAL molecule/default/molecule.yml glob failed" while probing for an optional default
# scenario, then carries on: it is not an error.)
export MOLECULE_GLOB="molecule/*/molecule.yml"
if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' \
    | xargs -n1 basename | sort)
fi
[ ${#scenarios[@]} -gt 0 ] || { echo "no molecule scenarios found" >&2; exit 1; }
jobs=${MOLECULE_JOBS:-2}
logs=$(mktemp -d "${TMPDIR:-/tmp}/molecule-logs.XXXXXX")
trap 'rm -rf "$logs"' EXIT

one() {  # run one scenario, keep its output, print it whole, record its result
  local name=$1 start=$SECONDS status=0
  molecule test -s "$name" >"$logs/$name.log" 2>&1 || status=$?
  {
    echo "--- molecule test -s $name"
    cat "$logs/$name.log"
    local verdict="passed"
    [ "$status" -eq 0 ] || verdict="FAILED (exit $status)"
    echo "--- molecule test -s $name: $verdict in $((SECONDS - start))s"
  } | flock "$logs/.print" cat
  echo "$status" >"$logs/$name.status"
}
export -f one
export logs

# shellcheck disable=SC2016  # $1 is meant for the child bash, not this one
printf '%s\n' "${scenarios[@]}" | xargs -P "$jobs" -I{} bash -c 'one "$1"' _ {}

failed=()
for name in "${scenarios[@]}"; do
  [ "$(cat "$logs/$name.status" 2>/dev/null)" = 0 ] || failed+=("$name")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "molecule FAILED: ${failed[*]}"
  exit 1
fi
echo "molecule passed: ${scenarios[*]}"
