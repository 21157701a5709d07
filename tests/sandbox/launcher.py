#!/usr/bin/env python
"""Start and stop the sandbox (see README.md). Used by make, the tests and molecule alike.

    launcher.py start --scenario sept2024 [--state-dir DIR]     background process, waits until it is ready
    launcher.py stop [--state-dir DIR]                          by the recorded PID
    launcher.py status [--state-dir DIR]
    launcher.py component stop|start coder [--state-dir DIR]    one component's port refuses / answers again
    launcher.py list                                            every scenario, one line each

start validates the scenario against the format (scenario.py, README.md) and hands server.py the expanded scenario,
written to <state-dir>/scenario.yml.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import scenario as scenario_format  # noqa: E402

DEFAULT_STATE_DIR = os.environ.get("CODER_AI_SANDBOX_DIR") or os.path.join(REPO, ".sandbox")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


def load_scenario(name):
    """The validated, expanded scenario; a bad one stops the start with a message naming the key."""
    try:
        return scenario_format.load(name)
    except scenario_format.ScenarioError as err:
        raise SystemExit(str(err)) from None


def _pid(state_dir):
    try:
        with open(os.path.join(state_dir, "sandbox.pid")) as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def start(scenario, state_dir):
    expanded = load_scenario(scenario)
    if _alive(_pid(state_dir)):
        stop(state_dir)  # one sandbox per state dir: restarting beats two servers fighting over one endpoints file
    os.makedirs(state_dir, exist_ok=True)
    endpoints = os.path.join(state_dir, "endpoints.json")
    if os.path.exists(endpoints):
        os.remove(endpoints)
    path = os.path.join(state_dir, "scenario.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(expanded, handle, sort_keys=False)
    log = open(os.path.join(state_dir, "sandbox.log"), "w")
    process = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "server.py"), "--scenario", path, "--state-dir", state_dir],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO)
    with open(os.path.join(state_dir, "sandbox.pid"), "w") as handle:
        handle.write(str(process.pid))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("sandbox exited during start (code %s); see %s" % (process.returncode, log.name))
        if os.path.exists(endpoints):
            print("sandbox %s up (pid %d), state in %s" % (scenario, process.pid, state_dir))
            return json.load(open(endpoints))
        time.sleep(0.1)
    stop(state_dir)
    raise SystemExit("sandbox not ready within %ds; see %s" % (START_TIMEOUT_S, log.name))


def stop(state_dir):
    pid = _pid(state_dir)
    if not _alive(pid):
        print("sandbox not running (state dir %s)" % state_dir)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(pid) and time.monotonic() < deadline:
        try:  # reap it when it is our child (tests start and stop in one process)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    for name in ("sandbox.pid", "endpoints.json"):
        try:
            os.remove(os.path.join(state_dir, name))
        except OSError:
            pass
    print("sandbox stopped (pid %d)" % pid)


def component(state_dir, action, name):
    with open(os.path.join(state_dir, "endpoints.json")) as handle:
        control = json.load(handle)["control"]["url"]
    request = urllib.request.Request("%s/components/%s/%s" % (control, name, action), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        print(response.read().decode())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status", "component", "list"])
    parser.add_argument("args", nargs="*", help="for component: stop|start NAME")
    parser.add_argument("--scenario", default="sept2024")
    parser.add_argument("--state-dir", default=DEFAULT_STATE_DIR)
    options = parser.parse_args()
    state_dir = os.path.abspath(options.state_dir)
    if options.command == "list":
        for name in scenario_format.names():
            print("%-14s %s" % (name, scenario_format.summary(name)))
    elif options.command == "start":
        start(options.scenario, state_dir)
    elif options.command == "stop":
        stop(state_dir)
    elif options.command == "status":
        pid = _pid(state_dir)
        print("running (pid %d)" % pid if _alive(pid) else "not running")
    else:
        if len(options.args) != 2 or options.args[0] not in ("stop", "start"):
            parser.error("usage: component stop|start NAME")
        component(state_dir, options.args[0], options.args[1])


if __name__ == "__main__":
    main()
