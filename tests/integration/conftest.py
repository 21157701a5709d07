"""Fixtures that start the sandbox and run playbooks against it, as a user would from the command line."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LAUNCHER = REPO / "tests" / "sandbox" / "launcher.py"


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


@pytest.fixture(scope="session")
def sandbox_factory(tmp_path_factory):
    started = []

    def start(scenario):
        sandbox = Sandbox(scenario, tmp_path_factory.mktemp("sandbox-%s" % scenario)).start()
        started.append(sandbox)
        return sandbox
    yield start
    for sandbox in started:
        sandbox.stop()


def run_gate(sandbox, tmp_path, *args, **kwargs):
    """Run pre_workshop.yml; return (process, report dict or None)."""
    report_dir = tmp_path / "reports"
    run = sandbox.playbook("pre_workshop.yml", tmp_path, "-e", "report_dir=%s" % report_dir, *args, **kwargs)
    path = report_dir / "pre_workshop.json"
    report = json.loads(path.read_text()) if path.exists() else None
    return run, report


def statuses(report):
    return dict(((c["id"], c["target"]), c["status"]) for c in report["checks"])
