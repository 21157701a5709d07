#!/usr/bin/env bash
# ansible-lint with the production profile, offline (Galaxy is unreachable; dependencies come with `ansible`).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
PATH="$repo/.venv/bin:$PATH" ansible-lint --offline --profile production "$@"
