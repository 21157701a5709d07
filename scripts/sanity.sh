#!/usr/bin/env bash
# ansible-test sanity, offline: copy the committed tree under ansible_collections/coder/ai_platform (ansible-test
# requires that layout), put the dependency collections beside it, and stand in for the get-pip download.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python="$repo/.venv/bin/python"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dest="$work/ansible_collections/coder/ai_platform"
mkdir -p "$dest"
# Sanity tests what is committed (plus new files not ignored), never the venv, caches or reports.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dest")
(cd "$dest" && git init -q && git add -A)  # ansible-test finds the files of a collection through git

site=$("$python" -c "import ansible_collections.amazon.aws as m; print(list(m.__path__)[0].rsplit('/ansible_collections/', 1)[0] + '/ansible_collections')")
for dep in amazon/aws community/aws kubernetes/core; do
  mkdir -p "$work/ansible_collections/${dep%/*}"
  cp -r "$site/$dep" "$work/ansible_collections/$dep"
done

pip_version=$("$python" -c 'import re, ansible_test._internal.python_requirements as m, inspect; print(re.search(r"pip=.([0-9.]+)", inspect.getsource(m.get_venv_packages)).group(1))')
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
cp "$repo/scripts/ansible-test-get-pip.py" "$cache"

cd "$dest"
PATH="$repo/.venv/bin:$PATH" ansible-test sanity --venv --python 3.11 --color no "$@"
