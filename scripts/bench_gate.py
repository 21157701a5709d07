#!/usr/bin/env python
"""Benchmark the pre-workshop gate against the sandbox (not a timed test: numbers for people).

From one invocation, on the sept2024 world (all 3 regions, all checks), sandbox start excluded:
  - the floor: scripts/bench_floor.yml over the same inventory and sandbox - one trivial Python module per host plus
    one run_once module, i.e. what Ansible itself costs for a play shaped like the gate;
  - the gate: `ansible-playbook playbooks/pre_workshop.yml`;
  - the gate/floor ratio (the acceptance bound is <= 2). Floor and gate runs alternate, BENCH_RUNS rounds (default
    3) after one warm-up of each, and the ratio is of the medians, so a load change on a shared machine hits both;
  - where the gate's time goes (the slowest tasks of one run, and the gather's per-source seconds);
  - API calls of one gate run per component.
Set BENCH_SCENARIO to bench another scenario.
"""

import json
import os
import re
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
SCENARIO = os.environ.get("BENCH_SCENARIO", "sept2024")
BOUND = 2.0
TASK_LINE = re.compile(r"^(?P<task>.+?) -+ (?P<seconds>[0-9.]+)s$")


def env(state_dir, tmp, profile=False):
    e = dict(os.environ, PATH="%s:%s" % (BIN, os.environ.get("PATH", "")), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
             CODER_AI_SANDBOX_DIR=str(state_dir), TMPDIR=str(tmp), ANSIBLE_NOCOLOR="1")
    if profile:
        e["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
        e["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "12"
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


def slowest_tasks(output):
    """The profile_tasks recap: [(seconds, task)], slowest first."""
    recap = output.split("TASKS RECAP", 1)[-1]
    found = []
    for line in recap.splitlines():
        match = TASK_LINE.match(line.strip())
        if match:
            found.append((float(match.group("seconds")), match.group("task")))
    return sorted(found, reverse=True)


def gather_timings(output):
    """The gather module's per-source seconds, from a -v run's output (the `timings` of its result)."""
    block = output.split("timings:", 1)
    if len(block) < 2:
        return {}
    out = {}
    for line in block[1].splitlines()[1:]:
        match = re.match(r"^\s+([\w./-]+): ([0-9.]+)$", line)
        if not match:
            break
        out[match.group(1)] = float(match.group(2))
    return out


def _seconds(values):
    return ", ".join("%.2f" % value for value in values)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        state = tmp / "sandbox"
        subprocess.run([sys.executable, str(REPO / "tests/sandbox/launcher.py"), "start", "--scenario", SCENARIO,
                        "--state-dir", str(state)], check=True, capture_output=True)
        try:
            control = json.loads((state / "endpoints.json").read_text())["control"]["url"]
            environment = env(state, tmp)
            gate = [str(BIN / "ansible-playbook"), "playbooks/pre_workshop.yml", "-i", "inventories/sandbox",
                    "-e", "report_dir=%s" % (tmp / "reports")]
            floor = [str(BIN / "ansible-playbook"), "scripts/bench_floor.yml", "-i", "inventories/sandbox"]
            # Warm-up: module payloads built and cached, .pyc files written, the sandbox's first-request costs paid.
            timed(floor, environment)
            before = counts(control)
            dummy_wall, profiled = timed(gate + ["-v"], env(state, tmp, profile=True))
            if "PLAY RECAP" not in profiled.stdout:
                sys.exit("gate did not run:\n" + profiled.stdout[-2000:] + profiled.stderr[-2000:])
            calls = diff(counts(control), before)
            floor_walls, gate_walls, durations = [], [], []
            for dummy_round in range(RUNS):
                wall, run = timed(floor, environment)
                if run.returncode != 0:
                    sys.exit("floor playbook failed:\n" + run.stdout[-2000:] + run.stderr[-2000:])
                floor_walls.append(wall)
                wall, run = timed(gate, environment)
                if "PLAY RECAP" not in run.stdout:
                    sys.exit("gate did not run:\n" + run.stdout[-2000:] + run.stderr[-2000:])
                gate_walls.append(wall)
                durations.append(json.loads((tmp / "reports/pre_workshop.json").read_text())["duration_s"])
        finally:
            subprocess.run([sys.executable, str(REPO / "tests/sandbox/launcher.py"), "stop", "--state-dir",
                            str(state)], check=False, capture_output=True)
    gate_median, floor_median = statistics.median(gate_walls), statistics.median(floor_walls)
    ratio = gate_median / floor_median
    print("pre-workshop gate, %s sandbox, 3 regions, %d alternating rounds (sandbox start excluded)" % (
        SCENARIO, RUNS))
    print("  gate wall time         median %.2fs  (runs: %s)" % (gate_median, _seconds(gate_walls)))
    print("  floor wall time        median %.2fs  (runs: %s)" % (floor_median, _seconds(floor_walls)))
    print("  gate / floor           %.2f  (bound %.1f: %s)" % (ratio, BOUND, "ok" if ratio <= BOUND else "OVER"))
    print("  per round              %s" % ", ".join("%.2f" % (g / f) for g, f in zip(gate_walls, floor_walls)))
    print("  report duration_s      median %.1fs" % statistics.median(durations))
    print("  slowest tasks of one gate run (profile_tasks):")
    for seconds, task in slowest_tasks(profiled.stdout)[:8]:
        print("    %5.2fs  %s" % (seconds, task[:100]))
    timings = gather_timings(profiled.stdout)
    if timings:
        print("  gather, seconds per source (they run at once):")
        for name in sorted(timings, key=timings.get, reverse=True):
            print("    %5.2fs  %s" % (timings[name], name))
    print("  API calls of one run:")
    for name in sorted(calls):
        print("    %-22s %d" % (name, calls[name]))


if __name__ == "__main__":
    main()
