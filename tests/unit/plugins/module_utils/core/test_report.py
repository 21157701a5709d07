# -*- coding: utf-8 -*-
"""Report files and table: shape, ordering, redaction, JUnit validity."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import xml.etree.ElementTree as ET

from ansible_collections.coder.ai_platform.plugins.module_utils.core import report as rp

SECRET = "sk-live-9f8e7d6c5b4a"


def check(check_id, target, status, summary="s", details=None):
    return {"id": check_id, "requirement": "3.1", "target": target, "status": status, "summary": summary,
            "details": details or {}, "remediation": "do x" if status != "pass" else "",
            "runbook": "docs/runbooks/%s.md" % check_id}


CHECKS = [check("images.running_match", "us-west-2", "pass"), check("coder.health", "us-east-2", "warn"),
          check("images.mirror_current", "us-west-2", "fail", "stale <mirror> & \"quoted\""),
          check("templates.ready", "global", "error", "down"), check("templates.ready", "global", "skip"),
          check("images.mirror_current", "eu-west-2", "fail"), check("images.mirror_current", "global", "pass")]


def build():
    return rp.build_report("pre_workshop", CHECKS, {"expected_users": 25}, "2026-11-25T10:00:00Z", 7.256)


def test_build_report_shape_and_order():
    report = build()
    assert set(report) == {"name", "generated_at", "duration_s", "inputs", "summary", "checks"}
    assert report["duration_s"] == 7.26
    assert report["summary"] == {"pass": 2, "warn": 1, "fail": 2, "error": 1, "skip": 1}
    order = [(c["id"], c["target"]) for c in report["checks"]]
    assert order[:4] == [("coder.health", "us-east-2"), ("images.mirror_current", "global"),
                         ("images.mirror_current", "eu-west-2"), ("images.mirror_current", "us-west-2")]
    assert rp.overall_status(report) == "fail"
    assert json.loads(rp.to_json(report)) == report


def test_table_is_worst_first_with_counts_and_truncation():
    long = check("storage.ephemeral_headroom", "us-east-2", "warn", "x" * 300)
    report = rp.build_report("pre_workshop", CHECKS + [long], {}, "t", 1.0)
    lines = rp.table_lines(report, width=110)
    assert lines[0].startswith("STATUS CHECK")
    assert [line.split()[0] for line in lines[1:4]] == ["FAIL", "FAIL", "ERROR"]
    assert all(len(line) <= 110 for line in lines)
    assert lines[-1] == "FAIL: 2 pass, 2 warn, 2 fail, 1 error, 1 skip in 1.0s"


def test_markdown_lists_actions_with_runbooks_and_escapes_pipes():
    report = rp.build_report("pre_workshop", CHECKS + [check("coder.health", "x", "fail", "a | b")], {"k": 1},
                             "t", 1.0)
    text = rp.to_markdown(report)
    assert "## What to do" in text and "(docs/runbooks/images.mirror_current.md)" in text
    assert "a \\| b" in text and "| PASS | `images.running_match` | us-west-2 |" in text


def test_junit_is_valid_xml_with_failures_errors_and_skips():
    root = ET.fromstring(rp.to_junit(build()))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("7", "2", "1", "1")
    failure = root.find(".//testcase[@name='images.mirror_current [us-west-2]']/failure")
    assert failure.get("message") == 'stale <mirror> & "quoted"'
    assert root.find(".//testcase[@name='templates.ready [global]']/error") is not None


def test_redact_replaces_secrets_everywhere_and_ignores_short_values():
    report = rp.build_report("pre_workshop", [check("coder.health", "us-east-2", "fail",
                                                    "token %s refused" % SECRET, {SECRET: [SECRET, 1]})],
                             {"key": SECRET}, "t", 1.0)
    clean = rp.redact(report, [SECRET, "", None, "abc"])
    text = rp.to_json(clean) + rp.to_markdown(clean) + rp.to_junit(clean)
    assert SECRET not in text and rp.REDACTED in text
    assert rp.redact({"a": "abc"}, ["abc"]) == {"a": "abc"}  # too short to be a credential; would shred words
