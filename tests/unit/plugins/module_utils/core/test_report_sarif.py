# -*- coding: utf-8 -*-
"""The SARIF 2.1.0 report, validated against the official OASIS schema kept in tests/data/sarif (see SOURCE.txt)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import jsonschema
import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.core import report as rp

from test_report import CHECKS, NASTY, REPO, check, linked, sept2024

SCHEMA_PATH = REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json") and schema["$schema"].startswith(
        "http://json-schema.org/draft-04/")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def sarif_of(checks, **kwargs):
    report = rp.build_report("pre_workshop", checks, {}, "2026-11-25T10:00:00Z", 3.0)
    return json.loads(rp.to_sarif(report, **kwargs))


def errors_of(validator, log):
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message) for e in validator.iter_errors(log)]


def test_the_schema_rejects_what_sarif_forbids(validator):
    """The validator really checks: a wrong level, a missing message and an unknown top-level key all fail."""
    log = sarif_of(sept2024())
    assert errors_of(validator, log) == []
    bad = json.loads(json.dumps(log))
    bad["runs"][0]["results"][0]["level"] = "fatal"
    del bad["runs"][0]["results"][1]["message"]
    bad["verdict"] = "fail"
    found = errors_of(validator, bad)
    assert len(found) == 3, found


@pytest.mark.parametrize("checks", [
    sept2024(),
    CHECKS,
    sept2024() + [linked("coder.health", "us-east-2", "error", "could not evaluate: cannot reach https://coder")],
    [check("coder.health", "global", "pass")],
    [],
], ids=["sept2024", "without-registry-keys", "with-errors", "all-pass", "empty"])
def test_every_report_validates_against_the_official_schema(validator, checks):
    log = sarif_of(checks, runbook_root=str(REPO), started_at="2026-11-25T09:59:57Z")
    assert errors_of(validator, log) == []
    assert log["version"] == "2.1.0"


def test_levels_rules_and_logical_locations():
    checks = sept2024() + [linked("coder.health", "us-east-2", "error", "could not evaluate: cannot reach coder"),
                           linked("templates.ready", "global", "skip", "no templates asked for")]
    run = sarif_of(checks, runbook_root=str(REPO))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_id = dict((rule["id"], rule) for rule in rules)
    levels = dict(((r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]), r["level"]) for r in run["results"])
    assert levels[("images.mirror_current", "us-west-2")] == "error"  # fail -> error
    assert levels[("litellm.capacity", "us-east-2")] == "warning"  # warn -> warning
    assert ("images.mirror_current", "us-east-2") not in levels  # a pass is no finding
    assert all(r["kind"] == "fail" for r in run["results"]) and len(run["results"]) == 9
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        where = result["locations"][0]["logicalLocations"][0]
        assert run["logicalLocations"][where["index"]]["name"] == where["name"]
    assert [loc["name"] for loc in run["logicalLocations"]] == ["global", "eu-west-2", "us-east-2", "us-west-2"]
    assert run["logicalLocations"][0]["kind"] == "global" and run["logicalLocations"][1]["kind"] == "region"
    proxy = [r for r in run["results"] if r["ruleId"] == "proxies.version_match"][0]
    assert proxy["properties"]["causedBy"] == "images.running_match @ %s" % proxy["properties"]["target"]
    rule = by_id["images.mirror_current"]
    assert rule["shortDescription"]["text"] == "Title of images.mirror_current"
    assert rule["help"]["text"] == "do x" and rule["properties"]["tags"] == ["preflight", "REL09-BP03"]
    assert rule["properties"]["severity"] == "high" and rule["properties"]["security-severity"] == "8.0"
    assert by_id["proxies.version_match"]["relationships"][0]["target"] == {
        "id": "images.running_match", "index": rules.index(by_id["images.running_match"])}
    for rule in rules:  # every helpUri is a file URL of a runbook that exists
        url = urlparse(rule["helpUri"])
        assert url.scheme == "file" and Path(unquote(url.path)).is_file(), rule["helpUri"]


def test_a_check_that_could_not_run_is_a_tool_execution_notification():
    run = sarif_of([linked("coder.health", "us-east-2", "error", "could not evaluate: cannot reach coder"),
                    linked("images.mirror_current", "us-west-2", "pass")])["runs"][0]
    invocation = run["invocations"][0]
    assert run["results"] == [] and invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["message"]["text"] == (
        "coder.health @ us-east-2 could not be evaluated: cannot reach coder")
    assert run["tool"]["driver"]["rules"][note["associatedRule"]["index"]]["id"] == "coder.health"
    assert run["tool"]["driver"]["notifications"][note["descriptor"]["index"]]["id"] == note["descriptor"]["id"]
    assert note["locations"][0]["logicalLocations"][0]["name"] == "us-east-2"
    assert run["properties"]["verdict"] == "incomplete"
    assert sarif_of(sept2024())["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_control_characters_stay_valid_sarif(validator):
    log = sarif_of([check("coder.health", "us-east-2", "fail", NASTY, {"body": NASTY})])
    assert errors_of(validator, log) == []
    assert "\x1b" not in json.dumps(log, ensure_ascii=False)
