#!/usr/bin/env python
"""Benchmark one 100-user rehearsal (ansible-playbook playbooks/rehearsal.yml) against the sandbox at the default
time scale, on the incident's 6 provisioners and on the plan's count (not a timed test: numbers for people)."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kubernetes import config as k8s_config
from kubernetes.client import AppsV1Api

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / ".cache" / "collections"))
from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.plan import plan_workshop  # noqa: E402

USERS = int(os.environ.get("BENCH_REHEARSAL_USERS", "100"))


def rehearse(state, tmp, label):
    env = dict(os.environ, PATH="%s:%s" % (BIN, os.environ.get("PATH", "")), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               CODER_AI_SANDBOX_DIR=str(state), TMPDIR=str(tmp), ANSIBLE_NOCOLOR="1")
    reports = tmp / label
    start = time.monotonic()
    subprocess.run([str(BIN / "ansible-playbook"), "playbooks/rehearsal.yml", "-i", "inventories/sandbox",
                    "-e", "rehearsal_users=%d" % USERS, "-e", "report_dir=%s" % reports], cwd=str(REPO), env=env,
                   capture_output=True, check=False)
    wall = time.monotonic() - start
    report = json.loads((reports / "rehearsal.json").read_text())
    return wall, report


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        state = tmp / "sandbox"
        launcher = [sys.executable, str(REPO / "tests/sandbox/launcher.py")]
        subprocess.run(launcher + ["start", "--scenario", "sept2024", "--state-dir", str(state)], check=True,
                       capture_output=True)
        try:
            endpoints = json.loads((state / "endpoints.json").read_text())
            rows = [("6 provisioners (the incident's)",) + rehearse(state, tmp, "six")]
            need = plan_workshop(USERS)["provisioners"]["need"]
            apps = AppsV1Api(k8s_config.new_client_from_config(config_file=endpoints["kube"]["kubeconfig"],
                                                               context="sandbox-us-east-2"))
            apps.patch_namespaced_deployment_scale("coder-provisioner-default", "coder", {"spec": {"replicas": need}})
            rows.append(("%d provisioners (the plan's)" % need,) + rehearse(state, tmp, "planned"))
        finally:
            subprocess.run(launcher + ["stop", "--state-dir", str(state)], check=False, capture_output=True)
    print("one rehearsal of %d users against the sandbox (time scale %g: 60 s builds take 0.6 s)"
          % (USERS, endpoints["time_scale"]))
    columns = ("provisioners", "wall_s", "p50_s", "p95_s", "max_s", "success", "retries", "api_calls", "left")
    print("  %-32s %7s %7s %7s %7s %8s %8s %10s %5s" % columns)
    for label, wall, report in rows:
        print("  %-32s %7.1f %7s %7s %7s %8.3f %8d %10d %5d" % (
            label, wall, report["p50_s"], report["p95_s"], report["max_s"], report["success_rate"],
            report["retries"], report["api_calls"], report["cleanup"]["left"]))


if __name__ == "__main__":
    main()
