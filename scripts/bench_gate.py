#!/usr/bin/env python
"""Benchmark the pre-workshop gate against the sandbox (not a timed test: numbers for people).

Reports, over several runs on the sept2024 world (all 3 regions, all checks), excluding sandbox start:
  - wall time of `ansible-playbook playbooks/pre_workshop.yml` and the report's own duration_s,
  - wall time of a no-op playbook with the same tasks per host, i.e. what Ansible itself costs,
  - API calls of one gate run per component, and AWS calls per region.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RUNS = int(os.environ.get("BENCH_RUNS", "3"))

NOOP_PLAYBOOK = """
- name: No-op twin of the gate (same hosts, same number of tasks per host)
  hosts: control_plane:proxy_regions
  gather_facts: false
  tasks:
%s
"""


def env(state_dir, tmp):
    e = dict(os.environ, PATH="%s:%s" % (BIN, os.environ.get("PATH", "")), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
             CODER_AI_SANDBOX_DIR=str(state_dir), TMPDIR=str(tmp), ANSIBLE_NOCOLOR="1")
    return e


def timed(command, environment):
    start = time.monotonic()
    run = subprocess.run(command, cwd=str(REPO), env=environment, capture_output=True, text=True, check=False)
    return time.monotonic() - start, run


def counts(control):
    with urllib.request.urlopen(control + "/requests", timeout=10) as response:
        return json.load(response)


def diff(after, before):
    out = {}
    for component, per_key in after.items():
        for key, value in per_key.items():
            delta = value - before.get(component, {}).get(key, 0)
            if delta:
                out["%s%s" % (component, "" if key == "all" else " " + key)] = delta
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        state = tmp / "sandbox"
        subprocess.run([sys.executable, str(REPO / "tests/sandbox/launcher.py"), "start", "--scenario", "sept2024",
                        "--state-dir", str(state)], check=True, capture_output=True)
        try:
            control = json.loads((state / "endpoints.json").read_text())["control"]["url"]
            environment = env(state, tmp)
            gate = [str(BIN / "ansible-playbook"), "playbooks/pre_workshop.yml", "-i", "inventories/sandbox",
                    "-e", "report_dir=%s" % (tmp / "reports")]
            walls, durations, calls = [], [], None
            for index in range(RUNS):
                before = counts(control)
                wall, run = timed(gate, environment)
                if "PLAY RECAP" not in run.stdout:
                    sys.exit("gate did not run:\n" + run.stdout[-2000:] + run.stderr[-2000:])
                walls.append(wall)
                durations.append(json.loads((tmp / "reports/pre_workshop.json").read_text())["duration_s"])
                if index == 0:
                    calls = diff(counts(control), before)
            # The gate runs 12 tasks on the control plane host (incl. argument validation); mirror that.
            tasks = "\n".join("    - name: task %d\n      ansible.builtin.debug:\n        msg: noop\n"
                              "      changed_when: false" % i for i in range(12))
            noop = tmp / "noop.yml"
            noop.write_text(NOOP_PLAYBOOK % tasks)
            noop_walls = [timed([str(BIN / "ansible-playbook"), str(noop), "-i", "inventories/sandbox"],
                                environment)[0] for dummy in range(RUNS)]
        finally:
            subprocess.run([sys.executable, str(REPO / "tests/sandbox/launcher.py"), "stop", "--state-dir",
                            str(state)], check=False, capture_output=True)
    print("pre-workshop gate, sept2024 sandbox, 3 regions, %d runs (sandbox start excluded)" % RUNS)
    print("  gate wall time        median %.1fs  (min %.1f, max %.1f)" % (
        statistics.median(walls), min(walls), max(walls)))
    print("  report duration_s     median %.1fs" % statistics.median(durations))
    print("  no-op twin, 12 tasks  median %.1fs  (what Ansible itself costs)" % statistics.median(noop_walls))
    print("  API calls of one run:")
    for name in sorted(calls):
        print("    %-22s %d" % (name, calls[name]))


if __name__ == "__main__":
    main()
