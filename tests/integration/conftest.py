"""Fixtures that start the sandbox and run playbooks against it, as a user would from the command line.

Parallel runs (pytest-xdist, ``-n 2 --dist loadfile`` in scripts/test.sh): every worker is its own pytest session, so
each sandbox it starts has its own state dir (under the worker's basetemp) and its own random loopback ports; nothing
here is shared between workers. ``--dist loadfile`` keeps a file's tests in one worker, in file order, so module
fixtures start once and tests that read what earlier ones did still see it.

- ``sandbox_factory(scenario)``: a fresh sandbox, for a test or module fixture that changes the world; it stops when
  the test file that started it is done.
- ``shared_sandbox(scenario)``: one sandbox per scenario and worker, for tests that only read it, or that change
  something and put it back before they return (stop a component, then start it again, in a ``finally``); it stops
  at the end of the session.

Timeouts (pytest-timeout): pytest.ini gives every test a default; here, tests marked ``sandbox`` get
SANDBOX_TIMEOUT_S and tests marked ``slow`` SLOW_TIMEOUT_S, unless they carry their own ``pytest.mark.timeout``.
"""

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LAUNCHER = REPO / "tests" / "sandbox" / "launcher.py"
SANDBOX_TIMEOUT_S = 300  # a module fixture's setup counts towards its first test
SLOW_TIMEOUT_S = 900


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))
        elif item.get_closest_marker("sandbox") is not None:
            item.add_marker(pytest.mark.timeout(SANDBOX_TIMEOUT_S))


class Sandbox:
    def __init__(self, scenario, state_dir):
        self.scenario = scenario
        self.state_dir = Path(state_dir)

    def start(self):
        subprocess.run([sys.executable, str(LAUNCHER), "start", "--scenario", self.scenario, "--state-dir",
                        str(self.state_dir)], check=True, capture_output=True, text=True, timeout=90)
        self.endpoints = json.loads((self.state_dir / "endpoints.json").read_text())
        return self

    def stop(self):
        subprocess.run([sys.executable, str(LAUNCHER), "stop", "--state-dir", str(self.state_dir)],
                       check=False, capture_output=True, timeout=60)

    def component(self, action, name):
        request = urllib.request.Request("%s/components/%s/%s" % (self.endpoints["control"]["url"], name, action),
                                         method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def fault(self, name, mode, **params):
        """Make one component misbehave: ``mode`` hang (accepts, never answers), status (``status=429, count=2,
        retry_after=1``: that many answers with that status, then normal; ``count=0``: every answer) or none
        (clear). See tests/sandbox/httpserver.py."""
        query = urllib.parse.urlencode(dict(params, mode=mode))
        request = urllib.request.Request("%s/components/%s/fault?%s" % (self.endpoints["control"]["url"], name, query),
                                         method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def set_failure_rate(self, rate):
        """The share of builds the Coder fake fails (the scenario's own rate until changed)."""
        request = urllib.request.Request("%s/coder/failure_rate?value=%s" % (self.endpoints["control"]["url"], rate),
                                         method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def request_counts(self):
        with urllib.request.urlopen(self.endpoints["control"]["url"] + "/requests", timeout=10) as response:
            return json.load(response)

    @property
    def secrets(self):
        """Every credential the sandbox generated. The AWS access key ID is left out on purpose: it is an
        identifier that AWS itself logs (CloudTrail), not a secret, and amazon.aws does not mask it either."""
        e = self.endpoints
        return {"coder token": e["coder"]["token"], "LiteLLM master key": e["litellm"]["master_key"],
                "LiteLLM workshop key": e["litellm"]["workshop_key"], "AWS secret key": e["aws"]["secret_key"],
                **dict(("kube token %s" % r, t) for r, t in e["kube"]["tokens"].items())}

    def env(self, tmp_path):
        env = dict(os.environ)
        env.update({"PATH": "%s:%s" % (VENV_BIN, env.get("PATH", "")), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                    "CODER_AI_SANDBOX_DIR": str(self.state_dir), "TMPDIR": str(tmp_path),
                    "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"), "ANSIBLE_NOCOLOR": "1"})
        return env

    def playbook(self, playbook, tmp_path, *args, inventory=None, timeout=300):
        command = [str(VENV_BIN / "ansible-playbook"), str(REPO / "playbooks" / playbook),
                   "-i", str(inventory or REPO / "inventories" / "sandbox")] + list(args)
        run = subprocess.run(command, cwd=str(REPO), env=self.env(tmp_path), capture_output=True, text=True,
                             timeout=timeout, check=False)
        run.output = run.stdout + run.stderr
        return run


_RUNNING = {"module": None, "owned": {}}  # the test file being run; the sandboxes each file started


def stop_all(sandboxes):
    """Stop them at once: a sandbox takes seconds to exit (its interpreter tears down moto's state)."""
    with ThreadPoolExecutor(max_workers=max(1, len(sandboxes))) as pool:
        list(pool.map(Sandbox.stop, sandboxes))


def pytest_runtest_setup(item):
    _RUNNING["module"] = str(item.path)  # runs before the item's fixtures, module fixtures included


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A file's own sandboxes stop when its last test is done (its module fixtures are gone by then), so a worker
    holds only the shared ones and the current file's."""
    yield
    if nextitem is None or nextitem.path != item.path:
        stop_all(_RUNNING["owned"].pop(str(item.path), []))


@pytest.fixture(scope="session")
def sandbox_factory(tmp_path_factory):
    """``sandbox_factory(scenario)``: a fresh sandbox, stopped when the test file that started it ends."""
    started = []

    def start(scenario, shared=False):
        sandbox = Sandbox(scenario, tmp_path_factory.mktemp("sandbox-%s" % scenario)).start()
        started.append(sandbox)
        if not shared:
            _RUNNING["owned"].setdefault(_RUNNING["module"], []).append(sandbox)
        return sandbox
    yield start
    stop_all(started)  # stopping one twice is harmless: the launcher finds it stopped


@pytest.fixture(scope="session")
def shared_sandbox(sandbox_factory):
    """``shared_sandbox(scenario)``: this worker's one sandbox of that scenario, started on first use and stopped at
    the end of the session. A test that uses it must leave it as it found it."""
    shared = {}

    def get(scenario):
        if scenario not in shared:
            shared[scenario] = sandbox_factory(scenario, shared=True)
        return shared[scenario]
    return get


def run_gate(sandbox, tmp_path, *args, **kwargs):
    """Run pre_workshop.yml; return (process, report dict or None)."""
    report_dir = tmp_path / "reports"
    run = sandbox.playbook("pre_workshop.yml", tmp_path, "-e", "report_dir=%s" % report_dir, *args, **kwargs)
    path = report_dir / "pre_workshop.json"
    report = json.loads(path.read_text()) if path.exists() else None
    return run, report


def statuses(report):
    return dict(((c["id"], c["target"]), c["status"]) for c in report["checks"])
