#!/usr/bin/env bash
# make bench: numbers for people (not timed tests): the gate, the capacity model's runtime, a 100-user rehearsal.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
python="$repo/.venv/bin/python"
"$python" scripts/bench_gate.py
echo
"$python" scripts/bench_capacity_model.py
echo
"$python" scripts/bench_rehearsal.py
