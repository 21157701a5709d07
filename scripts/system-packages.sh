#!/usr/bin/env bash
# System programs the tests drive for real. Installed with apt-get when missing (CI runs as root on Debian);
# anywhere else, say what is missing and stop, so no test silently skips for want of a tool.
set -euo pipefail
declare -A package_of=(
  [shellcheck]=shellcheck   # ansible-test sanity's shellcheck test
)
missing=()
for program in "${!package_of[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${package_of[$program]}")
done
# The DB password rotation test starts a real PostgreSQL; Debian's package keeps initdb off PATH, in
# /usr/lib/postgresql/<version>/bin, where the test also looks.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  apt-get install -y -q "${missing[@]}" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
else
  echo "missing system packages: ${missing[*]} (install them as root with apt-get, then re-run)" >&2
  exit 1
fi
