"""The pre-workshop gate against the sandbox: the acceptance points of the gate issue, end to end."""

import shutil

import pytest
import yaml

from conftest import REPO, run_gate, statuses

from ansible_collections.coder.ai_platform.plugins.module_utils.checks.catalog import catalog_rows
from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import expected_targets

pytestmark = pytest.mark.sandbox

SEPT2024_FAILS = {
    ("images.mirror_current", "us-west-2"), ("images.mirror_current", "eu-west-2"),
    ("images.running_match", "us-west-2"), ("images.running_match", "eu-west-2"),
    ("proxies.version_match", "us-west-2"), ("proxies.version_match", "eu-west-2"),
    ("provisioners.capacity", "us-east-2"), ("storage.ephemeral_headroom", "us-east-2"),
    ("litellm.key_expiry", "us-east-2"), ("litellm.rotation_window", "us-east-2"),
    ("karpenter.capacity", "us-east-2"),
}
# What the gate must judge, from the catalog (no magic totals): the sandbox inventory's regions and roles.
SANDBOX_REGIONS = [{"name": "us-east-2", "role": "control_plane"},
                   {"name": "us-west-2", "role": "proxy", "proxy_name": "us-west-2"},
                   {"name": "eu-west-2", "role": "proxy", "proxy_name": "eu-west-2"}]
GATE_ROWS = set((entry["id"], target) for entry in catalog_rows(["preflight", "state_backend", "baseline"])
                for target in expected_targets(entry, SANDBOX_REGIONS))
CODER_CHECKS = set(entry["id"] for entry in catalog_rows() if any(r.startswith("coder.") for r in entry["reads"]))


@pytest.fixture(scope="module")
def sept2024(shared_sandbox, tmp_path_factory):
    sandbox = shared_sandbox("sept2024")
    tmp_path = tmp_path_factory.mktemp("gate-sept2024")
    run, report = run_gate(sandbox, tmp_path, "-vvv")  # most verbose: the secret test reads this output
    return sandbox, run, report, tmp_path


def test_sept2024_fails_exactly_the_incident_checks(sept2024):
    run, report = sept2024[1:3]
    assert run.returncode != 0, run.output[-3000:]
    found = statuses(report)
    failed = set(key for key, status in found.items() if status == "fail")
    assert failed == SEPT2024_FAILS
    assert [key for key, status in found.items() if status == "error"] == []
    assert found[("litellm.capacity", "us-east-2")] == "warn"  # 4 replicas, the plan needs more: a warning only
    assert report["summary"]["fail"] == len(SEPT2024_FAILS)


def test_report_has_the_documented_shape_and_twins(sept2024):
    run, report, tmp_path = sept2024[1:]
    assert set(report) >= {"generated_at", "duration_s", "inputs", "summary", "checks"}
    assert report["duration_s"] > 0
    assert report["inputs"]["expected_users"] == 25
    for check in report["checks"]:
        assert set(check) >= {"id", "requirement", "target", "status", "summary", "details", "remediation", "runbook"}
        assert (REPO / check["runbook"]).is_file()
    assert (tmp_path / "reports" / "pre_workshop.md").read_text().startswith("# pre_workshop report")
    junit = (tmp_path / "reports" / "pre_workshop.junit.xml").read_text()
    assert 'failures="%d"' % len(SEPT2024_FAILS) in junit
    assert "FAIL   images.mirror_current" in run.output  # the table is printed


def test_no_secret_reaches_the_console_or_any_report(sept2024):
    sandbox, run, tmp_path = sept2024[0], sept2024[1], sept2024[3]
    texts = {"console (-vvv)": run.output}
    for path in sorted((tmp_path / "reports").rglob("*")):
        if path.is_file():  # the newest run's four reports, and the same four in this run's own folder
            texts[str(path.relative_to(tmp_path))] = path.read_text()
    assert len(texts) == 9
    for what, secret in sandbox.secrets.items():
        assert len(secret) >= 16
        for where, text in texts.items():
            assert secret not in text, "%s leaked into %s" % (what, where)


def test_healthy_passes_every_check(shared_sandbox, tmp_path):
    run, report = run_gate(shared_sandbox("healthy"), tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert report["summary"]["fail"] == report["summary"]["warn"] == report["summary"]["error"] == 0
    assert set((c["id"], c["target"]) for c in report["checks"]) == GATE_ROWS
    assert report["summary"]["pass"] == len(report["checks"]) == len(GATE_ROWS)
    ids = set(c["id"] for c in report["checks"])
    assert {"state_backend.versioned", "rds.encryption_cmk", "security_groups.least_privilege",
            "vpc.flow_logs", "tls.s3_deny_insecure"} <= ids


def test_coder_down_errors_only_the_coder_checks_and_prints_no_traceback(shared_sandbox, tmp_path):
    sandbox = shared_sandbox("healthy")
    sandbox.component("stop", "coder")
    try:
        run, report = run_gate(sandbox, tmp_path)
    finally:
        sandbox.component("start", "coder")
    assert report is not None, run.output[-3000:]
    assert "Traceback" not in run.output
    found = statuses(report)
    errored = set(key for key, status in found.items() if status == "error")
    assert set(key[0] for key in errored) == CODER_CHECKS
    for check in report["checks"]:
        if check["status"] == "error":
            assert "cannot reach" in check["summary"] and sandbox.endpoints["coder"]["url"] in check["summary"]
        else:
            assert check["status"] == "pass", check  # every other check was still evaluated
    assert run.returncode != 0 and report["verdict"] == "incomplete"  # a gate that could not look never says go
    assert "INCOMPLETE: %d check(s) could not be evaluated" % len(errored) in run.output


def _assert_stopped_before_any_api_call(sandbox, before, run, report, words):
    assert run.returncode != 0
    assert report is None
    assert words in run.output, run.output[-3000:]
    assert sandbox.request_counts() == before
    assert "Read the Coder deployment" not in run.output
    for what, secret in sandbox.secrets.items():  # the argument-spec failure dumps the spec: never values
        assert secret not in run.output, what


@pytest.mark.parametrize("override, words", [
    ("expected_users=-3", "expected_users must be a whole number from 1 to 5000"),
    ("expected_users=many", "expected_users"),
    ("workshop_start=tomorrowish", "workshop_start must be an ISO 8601 date-time"),
    ("workshop_start=2020-01-01T09:00:00Z", "workshop_start 2020-01-01T09:00:00Z is in the past"),
    ("coder_url=coder.example.com", "coder_url must be an http:// or https:// URL"),
    ("litellm_url=127.0.0.1:4000", "litellm_url must be an http:// or https:// URL"),
    ('{"preflight_baseline_settings": {"allowed_public_ports": [22], "secret_tag": {}}}',
     "preflight_baseline_settings has unknown key(s) secret_tag"),
])
def test_bad_input_stops_the_play_before_any_api_call(shared_sandbox, tmp_path, override, words):
    sandbox = shared_sandbox("healthy")
    before = sandbox.request_counts()
    run, report = run_gate(sandbox, tmp_path, "-e", override)
    _assert_stopped_before_any_api_call(sandbox, before, run, report, words)


def test_region_without_aws_region_stops_the_play_before_any_api_call(shared_sandbox, tmp_path):
    sandbox = shared_sandbox("healthy")
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", inventory)
    host_vars = inventory / "host_vars" / "eu-west-2.yml"
    data = yaml.safe_load(host_vars.read_text())
    del data["aws_region"]
    host_vars.write_text(yaml.safe_dump(data))
    before = sandbox.request_counts()
    run, report = run_gate(sandbox, tmp_path, inventory=inventory)
    _assert_stopped_before_any_api_call(sandbox, before, run, report, "aws_region")
    assert "eu-west-2" in run.output


def test_data_protection_gaps_fail_exactly_their_checks(shared_sandbox, tmp_path):
    """An unversioned, unreplicated state bucket, a database on the AWS-managed key and SSH open to the world."""
    run, report = run_gate(shared_sandbox("baseline_gaps"), tmp_path)
    assert run.returncode != 0
    failed = set(key for key, status in statuses(report).items() if status != "pass")
    assert failed == {("state_backend.versioned", "us-east-2"), ("state_backend.replicated", "us-east-2"),
                      ("rds.encryption_cmk", "us-east-2"), ("security_groups.least_privilege", "us-east-2")}
    assert all(statuses(report)[key] == "fail" for key in failed)
