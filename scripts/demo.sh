#!/usr/bin/env bash
# make demo [SCENARIO=<name>] (make help lists the scenarios): start the sandbox, run the pre-workshop gate against
# it, print the table and where the reports are, stop the sandbox, and exit with the gate's own exit code.
set -uo pipefail
scenario=${1:-sept2024}
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${CODER_AI_SANDBOX_DIR:-$repo/.sandbox}
python="$repo/.venv/bin/python"
cd "$repo" || exit 1

"$python" tests/sandbox/launcher.py start --scenario "$scenario" --state-dir "$state" || exit 1
trap '"$python" tests/sandbox/launcher.py stop --state-dir "$state" >/dev/null' EXIT

CODER_AI_SANDBOX_DIR="$state" "$repo/.venv/bin/ansible-playbook" playbooks/pre_workshop.yml -i inventories/sandbox
rc=$?
echo
echo "make demo (scenario $scenario): the gate exited $rc; reports: $repo/reports/pre_workshop.{json,md,junit.xml,sarif}"
echo "(each run also keeps its own copy in $repo/reports/pre_workshop-<UTC time>/)"
exit $rc
