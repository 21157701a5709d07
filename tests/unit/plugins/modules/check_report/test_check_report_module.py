"""check_report's argument handling as Ansible runs it: what it requires, which types it refuses (by name), and
that the values given in `redact` never reach its output. What it writes and how it judges belong to the report's
own tests (tests/unit/plugins/module_utils/core/)."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.coder.ai_platform.plugins.modules import check_report as module

SECRET = "sk-0123456789abcdefSECRET"


def a_result(**overrides):
    result = {"id": "coder.health", "requirement": "8.1", "target": "global", "status": "pass",
              "summary": "Coder answers", "details": {}, "remediation": "", "runbook": "docs/runbooks/coder.health.md"}
    result.update(overrides)
    return result


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result, out


def test_checks_is_required(capsys, tmp_path):
    result, dummy_out = run({"report_dir": str(tmp_path)}, capsys)
    assert result["failed"] and "missing required arguments: checks" in result["msg"]
    assert list(tmp_path.iterdir()) == []


def test_checks_must_be_a_list_of_dicts(capsys, tmp_path):
    result, dummy_out = run({"checks": ["coder.health"], "report_dir": str(tmp_path)}, capsys)
    assert result["failed"] and "checks" in result["msg"] and "dict" in result["msg"], result["msg"]
    assert list(tmp_path.iterdir()) == []


def test_started_at_must_be_a_number(capsys, tmp_path):
    result, dummy_out = run({"checks": [a_result()], "report_dir": str(tmp_path), "started_at": "yesterday"}, capsys)
    assert result["failed"] and "started_at" in result["msg"] and "float" in result["msg"], result["msg"]


def test_inputs_must_be_a_dict(capsys, tmp_path):
    result, dummy_out = run({"checks": [a_result()], "report_dir": str(tmp_path), "inputs": ["users"]}, capsys)
    assert result["failed"] and "inputs" in result["msg"], result["msg"]


def test_an_unknown_option_is_refused_by_name(capsys, tmp_path):
    result, dummy_out = run({"checks": [a_result()], "report_dir": str(tmp_path), "format": "sarif2"}, capsys)
    assert result["failed"] and "Unsupported parameters" in result["msg"] and "format" in result["msg"]


def test_the_redacted_values_are_no_log_and_never_reach_the_output(capsys, tmp_path):
    checks = [a_result(status="error", summary="could not evaluate: HTTP 401 for token %s" % SECRET)]
    result, out = run({"checks": checks, "report_dir": str(tmp_path), "redact": [SECRET]}, capsys)
    assert "failed" not in result, result
    assert SECRET not in out
    # ... and the invocation shows the redact list masked, as no_log does for any secret parameter.
    assert result["invocation"]["module_args"]["redact"] != [SECRET]


def test_a_valid_call_succeeds_with_the_documented_defaults(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, dummy_out = run({"checks": [a_result()]}, capsys)
    assert "failed" not in result, result
    args = result["invocation"]["module_args"]
    assert args["name"] == "pre_workshop" and args["report_dir"] == "./reports" and args["inputs"] == {}
    assert args["started_at"] is None


def test_report_dir_is_a_path_with_the_user_expanded(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    result, dummy_out = run({"checks": [a_result()], "report_dir": "~/gate", "_ansible_check_mode": True}, capsys)
    assert "failed" not in result, result
    assert result["invocation"]["module_args"]["report_dir"] == str(tmp_path / "gate")
