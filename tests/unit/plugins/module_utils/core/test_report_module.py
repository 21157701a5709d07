# -*- coding: utf-8 -*-
"""check_report as Ansible runs it: the verdict and counts it returns, changed=false always (writing a report
changes nothing on the platform), reports written in check mode too, and a warning when incomplete is accepted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from unittest import mock

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.coder.ai_platform.plugins.modules import check_report as module

from test_report import REPO, linked, sept2024


def run(args, capsys):
    # A test that loaded controller code earlier in this process makes module warnings go to the controller's
    # display instead of the result (ansible.module_utils._internal.is_controller): run as a module does.
    with patch_module_args(args), mock.patch.object(_internal, "is_controller", False):
        with pytest.raises(SystemExit) as raised:
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert raised.value.code == 0, result
    return result


@pytest.mark.parametrize("check_mode", [False, True])
def test_writes_the_reports_and_never_reports_changed(capsys, tmp_path, check_mode):
    args = {"checks": sept2024(), "report_dir": str(tmp_path), "runbook_root": str(REPO), "started_at": 1.0,
            "_ansible_check_mode": check_mode}
    result = run(args, capsys)
    assert result["changed"] is False and result["written"] is True
    assert result["verdict"] == "fail" and result["failed_count"] == 8 and result["not_evaluated_count"] == 0
    assert result["failed_checks"][:3] == ["images.mirror_current @ eu-west-2", "images.running_match @ eu-west-2",
                                           "proxies.version_match @ eu-west-2"]
    assert sorted(result["paths"]) == ["json", "junit", "markdown", "sarif"]
    for fmt in ("json", "junit", "markdown", "sarif"):
        assert os.path.isfile(result["paths"][fmt]) and os.path.isfile(result["run_paths"][fmt])
        assert os.path.dirname(result["run_paths"][fmt]) == result["run_dir"]
    assert json.loads(open(result["paths"]["json"]).read())["verdict"] == "fail"
    assert result["duration_s"] > 0 and result["table"][-1].startswith("FAIL: ")
    # The second run, as a re-run would be: still not changed, its own folder, the first one kept.
    again = run(args, capsys)
    assert again["changed"] is False and again["run_dir"] != result["run_dir"]
    assert os.path.isdir(result["run_dir"])


def test_incomplete_returns_each_cause_and_warns_only_when_accepted(capsys, tmp_path):
    checks = [linked("coder.health", "us-east-2", "error", "could not evaluate: cannot reach https://coder: refused"),
              linked("templates.ready", "global", "pass")]
    result = run({"checks": checks, "report_dir": str(tmp_path)}, capsys)
    assert result["verdict"] == "incomplete" and result["failed_count"] == 0 and result["not_evaluated_count"] == 1
    assert result["not_evaluated"] == ["coder.health @ us-east-2: cannot reach https://coder: refused"]
    assert not result.get("warnings")
    accepted = run({"checks": checks, "report_dir": str(tmp_path), "errors_fatal": False}, capsys)
    assert accepted["verdict"] == "incomplete"
    warnings = json.dumps(accepted["warnings"])  # ansible-core 2.19 returns them as structured events
    assert "verdict incomplete, accepted on purpose (errors_fatal=false)" in warnings
    assert "coder.health @ us-east-2: cannot reach https://coder: refused" in warnings
    assert json.loads(open(accepted["paths"]["json"]).read())["errors_fatal"] is False


def test_an_unwritable_report_dir_fails_naming_it(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with patch_module_args({"checks": sept2024(), "report_dir": str(blocker / "reports")}):
        with pytest.raises(SystemExit):
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and "report_dir" in result["msg"] and str(blocker) in result["msg"]
