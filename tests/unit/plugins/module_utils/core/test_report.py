# -*- coding: utf-8 -*-
"""Report files and table: shape, verdict, grouping by cause, wrapping, runbook links, run folders, redaction,
characters XML forbids. SARIF has its own file (test_report_sarif.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.core import report as rp

REPO = Path(__file__).resolve().parents[5]
SECRET = "sk-live-9f8e7d6c5b4a"
# What an API error body can carry into a summary: an ANSI colour, a bell, NUL, a form feed, a C1 CSI, U+FFFF.
NASTY = "\x1b[31mdenied\x1b[0m \x07\x00\x0c\x9b2J \uffff end"
CHAIN = {"images.running_match": ["images.mirror_current"], "proxies.version_match": ["images.running_match"],
         "provisioners.version_match": ["images.running_match"]}


def check(check_id, target, status, summary="s", details=None, **extra):
    result = {"id": check_id, "requirement": "3.1", "target": target, "status": status, "summary": summary,
              "details": details or {}, "remediation": "do x" if status != "pass" else "",
              "runbook": "docs/runbooks/%s.md" % check_id}
    result.update(extra)
    return result


def linked(check_id, target, status, summary="s", **extra):
    """A result as the registry now builds it: with title, wa, severity and caused_by."""
    return check(check_id, target, status, summary, family="preflight", title="Title of %s" % check_id,
                 wa=["REL09-BP03"], severity="high", caused_by=CHAIN.get(check_id, []), **extra)


CHECKS = [check("images.running_match", "us-west-2", "pass"), check("coder.health", "us-east-2", "warn"),
          check("images.mirror_current", "us-west-2", "fail", "stale <mirror> & \"quoted\""),
          check("templates.ready", "global", "error", "could not evaluate: down"),
          check("templates.ready", "global", "skip"),
          check("images.mirror_current", "eu-west-2", "fail"), check("images.mirror_current", "global", "pass")]


def sept2024():
    """The incident's shape: in each proxy region the stale mirror causes pods on the old digest, which cause the
    proxy version mismatch; the control plane is healthy; other failures have no cause."""
    results = []
    for region in ("us-west-2", "eu-west-2"):
        results += [linked("proxies.version_match", region, "fail", "proxy %s runs v2.26.0+1a2b" % region),
                    linked("images.running_match", region, "fail", "2 of 2 pods differ: proxy coder-%s-a, "
                           "proxy coder-%s-b" % (region, region)),
                    linked("images.mirror_current", region, "fail", "ECR holds sha256:1a7a, upstream sha256:ebe2")]
    results += [linked("images.mirror_current", "us-east-2", "pass"),
                linked("images.running_match", "us-east-2", "pass"),
                linked("provisioners.capacity", "us-east-2", "fail", "6 online provisioners, 25 users need 20"),
                linked("storage.ephemeral_headroom", "us-east-2", "fail", "nodes at or above 85%: ip-10-0-1-11 88%"),
                linked("litellm.capacity", "us-east-2", "warn", "4 ready LiteLLM replicas, the plan needs 7")]
    return results


PLAN = {"expected_users": 25, "provisioners": {"need": 20, "current": 6, "predicted_p95_s": 109.7,
                                               "reasoning": ["long"] * 40},
        "litellm_replicas": {"need": 7}, "total": {"vcpu": 172, "memory_gib": 331, "ephemeral_gib": 650},
        "headroom_pct": 30, "workload": {"target_p95_s": 120.0}, "reasoning": ["x" * 200] * 12}
INPUTS = {"expected_users": 25, "workshop_start": "2026-11-27T09:00:00Z", "workshop_duration_hours": 8,
          "workshop_templates": ["ai-workshop"], "regions": ["us-east-2", "us-west-2", "eu-west-2"],
          "coder_url": "https://ai.coder.com", "plan": PLAN}


def build(checks=None, inputs=None):
    return rp.build_report("pre_workshop", CHECKS if checks is None else checks,
                           {"expected_users": 25} if inputs is None else inputs, "2026-11-25T10:00:00Z", 7.256)


def test_build_report_shape_and_order():
    report = build()
    assert set(report) == {"name", "generated_at", "duration_s", "verdict", "inputs", "summary", "fix_order", "checks"}
    assert report["duration_s"] == 7.26
    assert report["summary"] == {"pass": 2, "warn": 1, "fail": 2, "error": 1, "skip": 1}
    order = [(c["id"], c["target"]) for c in report["checks"]]
    assert order[:4] == [("coder.health", "us-east-2"), ("images.mirror_current", "global"),
                         ("images.mirror_current", "eu-west-2"), ("images.mirror_current", "us-west-2")]
    assert rp.overall_status(report) == "fail"
    assert json.loads(rp.to_json(report)) == report


@pytest.mark.parametrize("statuses, verdict", [
    (["pass", "warn", "fail", "error"], "fail"),
    (["pass", "error", "warn"], "incomplete"),
    (["pass", "warn", "skip"], "pass"),
    (["skip"], "pass"),
    ([], "pass"),
])
def test_verdict_fail_beats_incomplete_beats_pass(statuses, verdict):
    report = build([check("c.x%d" % i, "global", s) for i, s in enumerate(statuses)])
    assert report["verdict"] == verdict
    assert rp.counts_line(report).startswith(verdict.upper() + ":")
    assert "Verdict: **%s**" % verdict.upper() in rp.to_markdown(report)
    assert ET.fromstring(rp.to_junit(report)).find(".//property[@name='verdict']").get("value") == verdict


def test_one_cause_is_one_group_in_fix_order():
    groups = rp.fix_order(sept2024())
    assert groups[:2] == [
        ["images.mirror_current @ eu-west-2", "images.running_match @ eu-west-2", "proxies.version_match @ eu-west-2"],
        ["images.mirror_current @ us-west-2", "images.running_match @ us-west-2", "proxies.version_match @ us-west-2"]]
    # Results without a failing cause are their own groups, fails before warns; nothing is lost or repeated.
    assert groups[2:] == [["provisioners.capacity @ us-east-2"], ["storage.ephemeral_headroom @ us-east-2"],
                          ["litellm.capacity @ us-east-2"]]
    depths = [depth for depth, dummy_check in rp.fix_groups(sept2024())[0]]
    assert depths == [0, 1, 2]


def test_a_cause_groups_only_at_its_own_target_unless_it_is_global():
    # The mirror is stale in us-west-2 only: pods on an old digest in eu-west-2 have another cause.
    results = [linked("images.mirror_current", "us-west-2", "fail"),
               linked("images.running_match", "eu-west-2", "fail"), linked("images.running_match", "us-west-2", "fail")]
    assert rp.fix_order(results) == [["images.mirror_current @ us-west-2", "images.running_match @ us-west-2"],
                                     ["images.running_match @ eu-west-2"]]
    # A global cause explains its effects at every target.
    results = [linked("images.mirror_current", "global", "fail"), linked("images.running_match", "eu-west-2", "fail"),
               linked("images.running_match", "us-west-2", "fail")]
    assert rp.fix_order(results) == [["images.mirror_current @ global", "images.running_match @ eu-west-2",
                                      "images.running_match @ us-west-2"]]


def test_a_cause_that_passed_or_could_not_be_evaluated_groups_nothing():
    for status in ("pass", "error"):
        results = [linked("images.mirror_current", "us-west-2", status, "could not evaluate: registry down"),
                   linked("images.running_match", "us-west-2", "fail")]
        assert ["images.running_match @ us-west-2"] in rp.fix_order(results), status


def test_grouping_survives_results_without_caused_by_and_a_cycle():
    assert rp.fix_order(CHECKS) == [["images.mirror_current @ eu-west-2"], ["images.mirror_current @ us-west-2"],
                                    ["templates.ready @ global"], ["coder.health @ us-east-2"]]
    loop = [check("a.one", "global", "fail", caused_by=["a.two"]),
            check("a.two", "global", "fail", caused_by=["a.one"])]
    flat = [item for group in rp.fix_order(loop) for item in group]
    assert sorted(flat) == ["a.one @ global", "a.two @ global"]


def test_table_wraps_the_culprits_and_indents_effects_under_their_cause():
    pods = ", ".join("proxy coder-b91d06f81a-%05d (sha256:1a7a3324481c)" % i for i in range(6))
    results = sept2024() + [linked("images.running_match", "ap-south-1", "fail", "6 of 6 pods differ: " + pods),
                            linked("tls.s3_deny_insecure", "global", "pass", "y" * 300)]
    report = build(results)
    lines = rp.table_lines(report, width=110)
    assert lines[0].startswith("STATUS CHECK")
    assert all(len(line) <= 110 for line in lines)
    text = " ".join(" ".join(line.split()) for line in lines)
    assert pods in text  # every pod name, none cut off
    assert "proxy coder-us-west-2-a, proxy coder-us-west-2-b" in text
    assert any(line.startswith("FAIL   images.mirror_current") for line in lines)
    assert any(line.startswith("FAIL     images.running_match ") for line in lines)
    assert any(line.startswith("FAIL       proxies.version_match ") for line in lines)
    pass_rows = [line for line in lines if line.startswith("PASS   tls.s3_deny_insecure")]
    assert len(pass_rows) == 1 and pass_rows[0].endswith("...")  # a pass keeps one line
    statuses = [line.split()[0] for line in lines[1:] if line[:1].strip()]
    assert statuses.index("WARN") > max(i for i, s in enumerate(statuses) if s == "FAIL")
    assert lines[-1] == "FAIL: 3 pass, 1 warn, 9 fail, 0 error, 0 skip in 7.3s"
    assert lines[-2] == "An indented check is caused by the one above it: fix that first."


def test_table_without_groups_has_no_grouping_note():
    lines = rp.table_lines(build())
    assert [line.split()[0] for line in lines[1:4]] == ["FAIL", "FAIL", "ERROR"]
    assert lines[-1] == "FAIL: 2 pass, 1 warn, 2 fail, 1 error, 1 skip in 7.3s"
    assert "indented" not in lines[-2]


def test_markdown_lists_actions_grouped_with_escapes():
    report = build(sept2024() + [check("coder.health", "x", "fail", "a | b <script> *x*")])
    text = rp.to_markdown(report)
    assert "## What to do" in text
    start = text.index("## What to do")
    mirror = text.index("**FAIL `images.mirror_current` @ eu-west-2**", start)
    running = text.index("   - **FAIL `images.running_match` @ eu-west-2**", start)
    proxy = text.index("     - **FAIL `proxies.version_match` @ eu-west-2**", start)
    assert mirror < running < proxy < text.index("`images.mirror_current` @ us-west-2", start)
    assert "(Title of images.mirror_current)" in text
    assert "a \\| b &lt;script&gt; \\*x\\*" in text and "<script>" not in text
    assert "| PASS | `images.mirror_current` | us-east-2 |" in text


def test_markdown_inputs_are_short_lines_with_a_plan_summary():
    report = build(inputs=INPUTS)
    text = rp.to_markdown(report)
    block = text[text.index("## Inputs"):text.index("## What to do")]
    assert "- Expected users: 25" in block and "- Workshop start: 2026-11-27T09:00:00Z" in block
    assert "- Workshop templates: ai-workshop" in block and "- Regions: us-east-2, us-west-2, eu-west-2" in block
    assert "- Coder URL: https://ai.coder.com" in block and "- Workshop duration hours: 8" in block
    assert ("- Plan: for 25 users: 20 provisioners (6 now, predicted p95 110 s vs target 120 s), 7 LiteLLM replicas, "
            "172 vCPU / 331 GiB memory / 650 GiB ephemeral with 30% headroom") in block
    assert "{" not in block and len(block) < 900
    assert json.loads(rp.to_json(report))["inputs"]["plan"]["reasoning"] == PLAN["reasoning"]  # the JSON keeps all


@pytest.mark.parametrize("value, shown", [
    (None, "none"), ([], "none"), (True, "yes"), ({"a": 1, "b": "x"}, "a: 1, b: x"),
    ({"deep": {"x": 1}}, "1 item(s), in the JSON report"), ("z" * 300, "z" * 157 + "..."), ({}, "none"),
])
def test_input_values_stay_on_one_short_line(value, shown):
    assert rp.input_value(value) == shown


def _links(markdown):
    return re.findall(r"Runbook: \[[^\]]*\]\(([^)]*)\)", markdown)


def _resolve(link, folder):
    if link.startswith("file://"):
        return Path(unquote(urlparse(link).path))
    return Path(os.path.normpath(os.path.join(str(folder), unquote(link))))


def test_runbook_links_resolve_from_the_collection_reports_folder_relatively():
    """The real collection: a report in <repo>/reports links ../docs/runbooks/<id>.md, and each link exists."""
    folder = REPO / "reports"
    text = rp.to_markdown(build(sept2024()), str(folder), str(REPO))
    links = _links(text)
    assert len(links) == 9 and all(link.startswith("../docs/runbooks/") for link in links)
    assert all(_resolve(link, folder).is_file() for link in links)


def test_runbook_links_resolve_from_any_report_dir(tmp_path):
    root = tmp_path / "collection"
    (root / "docs" / "runbooks").mkdir(parents=True)
    for check_id in ("images.mirror_current", "templates.ready"):
        (root / "docs" / "runbooks" / ("%s.md" % check_id)).write_text("# %s\n" % check_id)
    report = build()
    for report_dir in (root / "reports", tmp_path / "elsewhere" / "x"):
        dummy_dir, run_paths, paths = rp.write_reports(report, str(report_dir), str(root))
        inside = str(report_dir).startswith(str(root))
        for path in (run_paths["markdown"], paths["markdown"]):
            links = _links(Path(path).read_text())
            assert len(links) == 3, path  # two mirror rows and the error row; coder.health has no runbook file
            for link in links:
                assert _resolve(link, os.path.dirname(path)).is_file(), (path, link)
            assert all(link.startswith("file://") != inside for link in links), (path, links)
    text = rp.to_markdown(report, str(root / "reports"), str(root))
    assert "Runbook: `docs/runbooks/coder.health.md`" in text  # missing file: named, never a broken link
    assert _links(rp.to_markdown(report)) == []  # no root given: nothing to resolve against


def test_each_run_keeps_its_own_folder_and_the_stable_paths_hold_the_newest(tmp_path):
    first = build()
    second = build([check("coder.health", "us-east-2", "pass")])
    assert first["generated_at"] == second["generated_at"]  # two runs in the same second
    dir1, run1, paths1 = rp.write_reports(first, str(tmp_path / "r"))
    dir2, run2, paths2 = rp.write_reports(second, str(tmp_path / "r"))
    assert os.path.basename(dir1) == "pre_workshop-20261125T100000Z"
    assert os.path.basename(dir2) == "pre_workshop-20261125T100000Z-2"
    assert paths1 == paths2 == dict((fmt, str(tmp_path / "r" / ("pre_workshop" + rp.SUFFIX[fmt])))
                                    for fmt in rp.FORMATS)
    assert sorted(os.listdir(dir1)) == sorted(os.listdir(dir2)) == [
        "pre_workshop.json", "pre_workshop.junit.xml", "pre_workshop.md", "pre_workshop.sarif"]
    assert json.loads(Path(run1["json"]).read_text())["verdict"] == "fail"  # the first run is kept intact
    assert json.loads(Path(run2["json"]).read_text())["verdict"] == "pass"
    for fmt in ("json", "junit", "sarif"):
        assert Path(paths2[fmt]).read_text() == Path(run2[fmt]).read_text()
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "pre_workshop-20261125T100000Z", "pre_workshop-20261125T100000Z-2", "pre_workshop.json",
        "pre_workshop.junit.xml", "pre_workshop.md", "pre_workshop.sarif"]  # no temporary file left behind


def test_junit_is_valid_xml_with_failures_errors_skips_and_causes():
    root = ET.fromstring(rp.to_junit(build(CHECKS + sept2024())))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "18", "10", "1", "1")
    failure = root.find(".//testcase[@name='images.mirror_current [us-west-2]']/failure")
    assert failure.get("message") == 'stale <mirror> & "quoted"'
    assert root.find(".//testcase[@name='templates.ready [global]']/error") is not None
    proxy = root.find(".//testcase[@name='proxies.version_match [eu-west-2]']/failure")
    assert "caused by: images.running_match @ eu-west-2" in proxy.text


def test_results_without_the_registry_keys_work_in_every_format():
    report = build()
    assert "Title of" not in rp.to_markdown(report)
    sarif = json.loads(rp.to_sarif(report))
    assert [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]] == [
        "coder.health", "images.mirror_current", "images.running_match", "templates.ready"]


def test_control_characters_and_ansi_escapes_survive_every_format_as_visible_text(tmp_path):
    checks = [check("coder.health", "us-east-2", "error", "could not evaluate: HTTP 502: " + NASTY,
                    {"body": NASTY, NASTY: [NASTY]}),
              check("images.mirror_current", "us-west-2", "fail", NASTY),
              check("images.running_match", "us-west-2", "warn", NASTY)]
    report = rp.build_report("pre_workshop", checks, {"note": NASTY}, "2026-11-25T10:00:00Z", 1.0)
    dummy_dir, dummy_run, paths = rp.write_reports(report, str(tmp_path), str(REPO))
    texts = dict((fmt, Path(path).read_text()) for fmt, path in paths.items())
    texts["table"] = "\n".join(rp.table_lines(report))
    for fmt, text in texts.items():
        assert not re.search(u"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]", text), fmt
    assert json.loads(texts["json"])["checks"][1]["summary"].startswith("\\x1b[31mdenied\\x1b[0m \\x07\\x00")
    assert json.loads(texts["sarif"])["runs"][0]["results"][0]["message"]["text"].startswith("\\x1b[31m")
    junit = ET.fromstring(texts["junit"].encode("utf-8"))  # an XML parser, not a regex
    assert junit.find(".//failure").get("message") == rp.safe_text(NASTY)
    assert "\\x1b[31mdenied" in texts["markdown"] and "\\x1b[31mdenied" in texts["table"]
    assert rp.safe_text(NASTY) == "\\x1b[31mdenied\\x1b[0m \\x07\\x00\\x0c\\x9b2J \\uffff end"
    assert rp.safe_text("tab\tnew\nline\r ok é ✓") == "tab\tnew\nline\r ok é ✓"


def test_redact_replaces_secrets_everywhere_and_ignores_short_values(tmp_path):
    report = rp.build_report("pre_workshop", [check("coder.health", "us-east-2", "fail",
                                                    "token %s refused" % SECRET, {SECRET: [SECRET, 1]})],
                             {"key": SECRET}, "t", 1.0)
    clean = rp.redact(report, [SECRET, "", None, "abc"])
    text = rp.to_json(clean) + rp.to_markdown(clean) + rp.to_junit(clean) + rp.to_sarif(clean) + "\n".join(
        rp.table_lines(clean))
    assert SECRET not in text and rp.REDACTED in text
    assert rp.redact({"a": "abc"}, ["abc"]) == {"a": "abc"}  # too short to be a credential; would shred words
