# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn check results of any family into the report files (JSON, Markdown, JUnit XML, SARIF 2.1.0) and the console
table, with one verdict and the failures grouped by cause in the order to fix them.

Redaction is a second line of defence: modules already keep secrets out of their results (``no_log``, stripped
API fields), and the report writer still replaces every known secret value before anything is written.

Every string of a report passes through ``safe_text`` when the report is built: characters XML 1.0 forbids, other
control characters and ANSI escapes (an API error body can carry them) become visible text such as ``\\x1b[31m``, so
every format parses and a terminal never interprets them.

Results may lack the keys the registry added later (``family``, ``title``, ``wa``, ``severity``, ``caused_by``):
every reader here uses ``.get`` with a neutral default.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import re
import tempfile
import textwrap
from xml.sax.saxutils import escape, quoteattr

try:
    from urllib.request import pathname2url
except ImportError:  # pragma: no cover - Python 2 controller, never used here
    from urllib import pathname2url

from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import (
    SEVERITY, sort_key, summarize, verdict,
)

REDACTED = "********"
STATUS_LABEL = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "error": "ERROR", "skip": "SKIP"}
ACTIONABLE = ("fail", "error", "warn")
# A cause groups its effects only when it is known to be wrong: a cause that could not be evaluated (error) says
# nothing about its effects, so they stay their own groups.
CAUSING = ("fail", "warn")
IMPACT_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
NOT_EVALUATED_PREFIX = "could not evaluate: "
FORMATS = ("json", "markdown", "junit", "sarif")
SUFFIX = {"json": ".json", "markdown": ".md", "junit": ".junit.xml", "sarif": ".sarif"}

# XML 1.0 forbids C0 controls but tab, newline and carriage return, lone surrogates and U+FFFE/U+FFFF; DEL and the C1
# controls (U+0080-U+009F, where U+009B is the 8-bit ANSI CSI) are allowed by XML but act on terminals.
_UNSAFE = re.compile(u"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _visible(match):
    code = ord(match.group(0))
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def safe_text(text):
    """``text`` with every character XML forbids or a terminal would act on replaced by its visible escape."""
    return _UNSAFE.sub(_visible, text)


def _walk_strings(value, change):
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return dict((_walk_strings(k, change), _walk_strings(v, change)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_walk_strings(v, change) for v in value]
    return value


def sanitize(value):
    """``safe_text`` over every string (keys included) of a nested structure."""
    return _walk_strings(value, safe_text)


def redact(value, secrets):
    """Replace each secret (strings of 4+ characters) wherever it appears, in any nested structure."""
    secrets = sorted((s for s in secrets or [] if isinstance(s, str) and len(s) >= 4), key=len, reverse=True)
    if not secrets:
        return value

    def hide(item):
        for secret in secrets:
            item = item.replace(secret, REDACTED)
        return item

    return _walk_strings(value, hide)


def verdict_of(checks):
    """The report's verdict: fail if any check failed, else incomplete if any could not be evaluated, else pass
    (the registry's one rule)."""
    return verdict(checks)


def label(check):
    return "%s @ %s" % (check["id"], check["target"])


def sentence(text):
    """``text`` ending like a sentence, so a following "Fix: ..." reads as a new one."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?" else text + "."


def cause_of_error(check):
    """Why an ``error`` row could not be evaluated (its summary without the common prefix)."""
    summary = check["summary"]
    return summary[len(NOT_EVALUATED_PREFIX):] if summary.startswith(NOT_EVALUATED_PREFIX) else summary


# --- grouping by cause --------------------------------------------------------------------------------------------
def _row_key(check):
    return (-SEVERITY[check["status"]], IMPACT_RANK.get(check.get("severity"), 4)) + sort_key(check)


def _parent(check, by_id):
    """The result this one is listed under: the first of its ``caused_by`` ids that is failing at the same target,
    or at any target when that cause is global."""
    for cause_id in check.get("caused_by") or []:
        candidates = [c for c in by_id.get(cause_id, []) if c["status"] in CAUSING and c is not check]
        for candidate in candidates:
            if candidate["target"] == check["target"]:
                return candidate
        for candidate in candidates:
            if candidate["target"] == "global":
                return candidate
    return None


def fix_groups(checks):
    """The actionable results (fail, error, warn) as groups in the order to fix them: ``[[(depth, result), ...]]``.

    A result whose cause is failing is listed under that cause, after it (depth + 1), so a chain such as stale mirror
    -> pods on the old digest -> proxy version mismatch is one group, cause first. A result without a failing cause
    starts its own group. Groups come worst first (fail, error, warn), then by impact, then by id and target."""
    actionable = [c for c in checks if c["status"] in ACTIONABLE]
    by_id = {}
    for check in actionable:
        by_id.setdefault(check["id"], []).append(check)
    parents = dict((id(c), _parent(c, by_id)) for c in actionable)
    for check in actionable:  # a cycle in caused_by (a declaration mistake) must not hide rows: cut it at check
        seen, node = set([id(check)]), parents[id(check)]
        while node is not None:
            if id(node) in seen:
                parents[id(check)] = None
                break
            seen.add(id(node))
            node = parents[id(node)]
    children = {}
    for check in actionable:
        parent = parents[id(check)]
        if parent is not None:
            children.setdefault(id(parent), []).append(check)

    def flatten(check, depth):
        rows = [(depth, check)]
        for child in sorted(children.get(id(check), []), key=_row_key):
            rows.extend(flatten(child, depth + 1))
        return rows

    groups = [flatten(root, 0) for root in actionable if parents[id(root)] is None]
    return sorted(groups, key=lambda g: (min(_row_key(c)[:2] for dummy_depth, c in g),) + _row_key(g[0][1]))


def caused_under(checks):
    """``{id(result): "id @ target" of the cause it is listed under}`` for every grouped effect."""
    under = {}
    for group in fix_groups(checks):
        stack = []
        for depth, check in group:
            del stack[depth:]
            if stack:
                under[id(check)] = label(stack[-1])
            stack.append(check)
    return under


def fix_order(checks):
    """``fix_groups`` as lists of ``id @ target`` (what the JSON report and scripts read)."""
    return [[label(c) for dummy_depth, c in group] for group in fix_groups(checks)]


# --- the report ---------------------------------------------------------------------------------------------------
def build_report(name, checks, inputs, generated_at, duration_s):
    ordered = sorted(sanitize(list(checks)), key=sort_key)
    return {"name": safe_text(name), "generated_at": generated_at, "duration_s": round(duration_s, 2),
            "verdict": verdict_of(ordered), "inputs": sanitize(inputs), "summary": summarize(ordered),
            "fix_order": fix_order(ordered), "checks": ordered}


def overall_status(report):
    """The worst status present (fail > error > warn > pass > skip); the verdict is what decides the run."""
    counts = report["summary"]
    for status in sorted(SEVERITY, key=SEVERITY.get, reverse=True):
        if counts.get(status):
            return status
    return "pass"


def counts_line(report):
    counts = report["summary"]
    return "%s: %d pass, %d warn, %d fail, %d error, %d skip in %.1fs" % (
        report["verdict"].upper(), counts["pass"], counts["warn"], counts["fail"], counts["error"], counts["skip"],
        report["duration_s"])


def to_json(report):
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def table_lines(report, width=110):
    """A fixed-width table for a terminal or AWX's output, then the verdict and counts.

    Rows needing action come first, grouped and in the order to fix them; a row indented under another is caused by
    it. Their summaries are wrapped in full (they name the pods, nodes and keys to act on); passes and skips keep one
    line. 110 columns leave room for the 8 spaces the YAML callback indents a debug message by in a 120-column
    terminal."""
    groups = fix_groups(report["checks"])
    rows = [(depth, check) for group in groups for depth, check in group]
    rows += [(0, c) for c in sorted(report["checks"], key=lambda c: (-SEVERITY[c["status"]],) + sort_key(c))
             if c["status"] not in ACTIONABLE]
    id_w = max([len(c["id"]) + 2 * depth for depth, c in rows] + [5])
    target_w = max([len(c["target"]) for dummy_depth, c in rows] + [6])
    room = max(width - 9 - id_w - target_w, 30)  # 9 = status column and three separators
    indent = " " * (width - room)
    lines = ["%-6s %-*s %-*s %s" % ("STATUS", id_w, "CHECK", target_w, "TARGET", "SUMMARY")]
    for depth, check in rows:
        summary = " ".join(check["summary"].split())
        if check["status"] in ACTIONABLE:
            parts = textwrap.wrap(summary, room, break_on_hyphens=False) or [""]
        else:
            parts = [summary if len(summary) <= room else summary[:room - 3] + "..."]
        lines.append("%-6s %-*s %-*s %s" % (
            STATUS_LABEL[check["status"]], id_w, "  " * depth + check["id"], target_w, check["target"], parts[0]))
        lines.extend(indent + part for part in parts[1:])
    lines.append("")
    if any(depth for depth, dummy_check in rows):
        lines.append("An indented check is caused by the one above it: fix that first.")
    lines.append(counts_line(report))
    return lines


# --- Markdown -----------------------------------------------------------------------------------------------------
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_MD_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("*", "\\*"), ("|", "\\|"))


def _md(text, table=False):
    """Text for a Markdown line: no line breaks; outside code spans, HTML and emphasis characters are escaped (a
    summary such as ``stale <mirror>`` stays visible); in a table cell pipes are escaped inside code spans too."""
    out = []
    for part in _CODE_SPAN.split(" ".join(str(text).split())):
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(part.replace("|", "\\|") if table else part)
        else:
            for char, escaped in _MD_ESCAPES:
                part = part.replace(char, escaped)
            out.append(part)
    return "".join(out)


def runbook_link(runbook, markdown_dir=None, runbook_root=None):
    """The link target of a runbook, as seen from the Markdown file's folder, or None when the file is not there.

    ``runbook`` is relative to ``runbook_root`` (the collection's root, where ``docs/runbooks`` lives). When the
    Markdown file sits inside that root (``<repo>/reports``), the link is relative, so it survives moving the checkout
    and renders on a Git host; elsewhere (``/tmp/x``, an AWX artifact folder) a relative path would climb out of
    the report folder and break when it is copied, so the link is the runbook's absolute ``file://`` URL."""
    target = runbook_path(runbook, runbook_root)
    if target is None or not markdown_dir:
        return None
    root = os.path.realpath(runbook_root)
    here = os.path.realpath(markdown_dir)
    if here == root or here.startswith(root.rstrip(os.sep) + os.sep):
        return pathname2url(os.path.relpath(target, here))
    return file_url(target)


def runbook_path(runbook, runbook_root):
    """The runbook's real absolute path, or None when it is not a file under ``runbook_root``."""
    if not runbook or not runbook_root:
        return None
    target = os.path.realpath(os.path.join(runbook_root, runbook))
    return target if os.path.isfile(target) else None


def file_url(path):
    return "file://" + pathname2url(os.path.abspath(path))


def _runbook_md(check, markdown_dir, runbook_root):
    target = runbook_link(check.get("runbook"), markdown_dir, runbook_root)
    if target is None:
        return "Runbook: `%s`" % check.get("runbook", "")
    return "Runbook: [%s](%s)" % (_md(check["runbook"]), target)


def _label_words(key):
    words = str(key).replace("_", " ").strip()
    words = re.sub(r"\burls?\b", lambda m: m.group(0).upper(), words)
    return words[:1].upper() + words[1:]


def plan_summary(plan):
    """One line for a capacity plan (the workshop_capacity_plan module's ``plan``), or None when it is not one."""
    if not isinstance(plan, dict) or not isinstance(plan.get("provisioners"), dict):
        return None
    prov = plan["provisioners"]
    parts = []
    if prov.get("need") is not None:
        extra = []
        if prov.get("current") is not None:
            extra.append("%s now" % prov["current"])
        if prov.get("predicted_p95_s") is not None:
            target = (plan.get("workload") or {}).get("target_p95_s")
            extra.append("predicted p95 %.0f s%s" % (
                float(prov["predicted_p95_s"]), " vs target %.0f s" % float(target) if target is not None else ""))
        parts.append("%s provisioners%s" % (prov["need"], " (%s)" % ", ".join(extra) if extra else ""))
    litellm = plan.get("litellm_replicas") or {}
    if litellm.get("need") is not None:
        parts.append("%s LiteLLM replicas" % litellm["need"])
    total = plan.get("total") or {}
    if total:
        size = " / ".join(text for text in (
            "%s vCPU" % total["vcpu"] if "vcpu" in total else "",
            "%s GiB memory" % total["memory_gib"] if "memory_gib" in total else "",
            "%s GiB ephemeral" % total["ephemeral_gib"] if "ephemeral_gib" in total else "") if text)
        if plan.get("headroom_pct") is not None:
            size += " with %s%% headroom" % plan["headroom_pct"]
        parts.append(size)
    prefix = "for %s users: " % plan["expected_users"] if plan.get("expected_users") is not None else ""
    return prefix + ", ".join(parts)


def input_value(value, limit=160):
    """One short line for an input value; long or nested values point to the JSON report."""
    summary = plan_summary(value)
    if summary is not None:
        text = summary
    elif value is None or value == "" or value == [] or value == {}:
        text = "none"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, (list, tuple)) and all(not isinstance(v, (dict, list, tuple)) for v in value):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict) and all(not isinstance(v, (dict, list, tuple)) for v in value.values()):
        text = ", ".join("%s: %s" % (k, v) for k, v in value.items())
    elif isinstance(value, (dict, list, tuple)):
        return "%d item(s), in the JSON report" % len(value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def to_markdown(report, markdown_dir=None, runbook_root=None):
    """The report for a person. ``markdown_dir`` is the folder the file is written to and ``runbook_root`` the
    collection root the runbook paths are relative to; together they make the runbook links resolve."""
    counts = report["summary"]
    outcome = report.get("verdict") or verdict_of(report["checks"])
    out = ["# %s report" % _md(report["name"]), "",
           "Generated %s in %.1fs. Verdict: **%s** - %d failed, %d could not be evaluated (%d pass, %d warn, "
           "%d fail, %d error, %d skip)." % (
               report["generated_at"], report["duration_s"], outcome.upper(), counts["fail"], counts["error"],
               counts["pass"], counts["warn"], counts["fail"], counts["error"], counts["skip"]),
           "", "## Inputs", ""]
    for key, value in report["inputs"].items():
        out.append("- %s: %s" % (_md(_label_words(key)), _md(input_value(value))))
    if not report["inputs"]:
        out.append("- none recorded")
    out += ["", "Every input in full: `%s.json`." % report["name"]]
    groups = fix_groups(report["checks"])
    if groups:
        out += ["", "## What to do", "",
                "In this order. A check listed under another is caused by it and usually clears once that is fixed."
                " A check that could not be evaluated needs its dependency back before this run can say go.", ""]
        for number, group in enumerate(groups, 1):
            for depth, check in group:
                lead = "%d. " % number if depth == 0 else " " * (3 + 2 * (depth - 1)) + "- "
                title = check.get("title")
                out.append("%s**%s `%s` @ %s**%s: %s %s%s" % (
                    lead, STATUS_LABEL[check["status"]], check["id"], _md(check["target"]),
                    " (%s)" % _md(title) if title else "", _md(sentence(check["summary"])),
                    "Fix: %s " % _md(sentence(check["remediation"])) if check.get("remediation") else "",
                    _runbook_md(check, markdown_dir, runbook_root)))
    out += ["", "## Checks", "", "| status | check | target | requirement | summary |", "|---|---|---|---|---|"]
    for check in report["checks"]:
        out.append("| %s | `%s` | %s | %s | %s |" % (
            STATUS_LABEL[check["status"]], check["id"], _md(check["target"], True), _md(check["requirement"], True),
            _md(check["summary"], True)))
    return "\n".join(out) + "\n"


# --- JUnit --------------------------------------------------------------------------------------------------------
def to_junit(report):
    """One testsuite, one testcase per check and target; warn passes with its summary in system-out."""
    counts = report["summary"]
    under = caused_under(report["checks"])
    cases = []
    for check in report["checks"]:
        name = "%s [%s]" % (check["id"], check["target"])
        body = ""
        message = quoteattr(check["summary"])
        detail = "%s\nremediation: %s\nrunbook: %s" % (check["summary"], check["remediation"], check["runbook"])
        if id(check) in under:
            detail += "\ncaused by: %s (fix it first)" % under[id(check)]
        detail = escape(detail)
        if check["status"] == "fail":
            body = "<failure message=%s type=\"fail\">%s</failure>" % (message, detail)
        elif check["status"] == "error":
            body = "<error message=%s type=\"error\">%s</error>" % (message, detail)
        elif check["status"] == "skip":
            body = "<skipped message=%s/>" % message
        elif check["status"] == "warn":
            body = "<system-out>%s</system-out>" % escape("WARN: " + check["summary"])
        cases.append("    <testcase classname=%s name=%s time=\"0\">%s</testcase>" % (
            quoteattr("%s.%s" % (report["name"], check["id"])), quoteattr(name), body))
    outcome = report.get("verdict") or verdict_of(report["checks"])
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name=%s tests="%d" failures="%d" errors="%d" skipped="%d" time="%.2f">' % (
            quoteattr(report["name"]), len(report["checks"]), counts["fail"], counts["error"], counts["skip"],
            report["duration_s"]),
        '  <testsuite name=%s tests="%d" failures="%d" errors="%d" skipped="%d" time="%.2f" timestamp=%s>' % (
            quoteattr(report["name"]), len(report["checks"]), counts["fail"], counts["error"], counts["skip"],
            report["duration_s"], quoteattr(report["generated_at"])),
        '    <properties><property name="verdict" value=%s/></properties>' % quoteattr(outcome),
    ] + cases + ["  </testsuite>", "</testsuites>", ""])


# --- SARIF 2.1.0 --------------------------------------------------------------------------------------------------
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVEL = {"fail": "error", "warn": "warning"}
# GitHub code scanning reads properties["security-severity"] (a CVSS-like score) to rank rules.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
NOT_EVALUATED_ID = "check-not-evaluated"
TOOL_NAME = "coder.ai_platform"
TOOL_URI = "https://github.com/coder/ai.coder.com"


def _location(target, index):
    return {"logicalLocations": [{"name": target, "fullyQualifiedName": target, "index": index}]}


def _rules(checks, runbook_root):
    rules, index = [], {}
    for check in checks:
        if check["id"] in index:
            continue
        index[check["id"]] = len(rules)
        same = [c for c in checks if c["id"] == check["id"]]
        advice = next((c["remediation"] for c in same if c["status"] == "fail" and c.get("remediation")), "") or \
            next((c["remediation"] for c in same if c.get("remediation")), "")
        title = check.get("title") or check["id"]
        wa = list(check.get("wa") or [])
        rule = {
            "id": check["id"],
            "shortDescription": {"text": title},
            "fullDescription": {"text": "%s (requirement %s)" % (title, check["requirement"])},
            "defaultConfiguration": {"level": "error"},
            "properties": {"requirement": check["requirement"], "runbook": check["runbook"],
                           "tags": [t for t in [check.get("family")] if t] + wa, "wellArchitected": wa},
        }
        if advice:
            rule["help"] = {"text": advice, "markdown": "%s\n\nRunbook: `%s`" % (advice, check["runbook"])}
        if check.get("severity"):
            rule["properties"]["severity"] = check["severity"]
            if check["severity"] in SECURITY_SEVERITY:
                rule["properties"]["security-severity"] = SECURITY_SEVERITY[check["severity"]]
        target = runbook_path(check["runbook"], runbook_root)
        if target:
            rule["helpUri"] = file_url(target)
        rules.append(rule)
    for rule in rules:
        causes = [cid for cid in next((c.get("caused_by") or [] for c in checks if c["id"] == rule["id"]), [])
                  if cid in index]
        if causes:
            rule["relationships"] = [{"target": {"id": cid, "index": index[cid]}, "kinds": ["relevant"],
                                      "description": {"text": "a failure of %s causes this one" % cid}}
                                     for cid in causes]
    return rules, index


def to_sarif(report, runbook_root=None, started_at=None):
    """The report as a SARIF 2.1.0 log: one run, one rule per check id, a result per warn or fail.

    Mapping: fail -> result level ``error``, warn -> ``warning``. A pass or skip is not a result: SARIF consumers
    (code scanning, DefectDojo) raise every result as an alert, and the JSON report holds the passes. A check that
    could not be evaluated (``error``) is not a finding about the platform, so it is not a result either: SARIF
    3.58.1 keeps "conditions relevant to the operation of the tool" in notifications, and 3.20.21 says an
    ``error``-level ``toolExecutionNotifications`` entry means the run failed and its results "SHALL NOT" be assumed
    complete - exactly the ``incomplete`` verdict. So each one is such a notification, tied to its rule by
    ``associatedRule``, and ``executionSuccessful`` is false then (3.20.14). Targets (a region or ``global``) are
    logical locations; a platform has no source file to point at."""
    checks = report["checks"]
    rules, rule_index = _rules(checks, runbook_root)
    targets = sorted(set(c["target"] for c in checks), key=lambda t: (t != "global", t))
    where = dict((t, i) for i, t in enumerate(targets))
    under = caused_under(checks)
    results, notifications = [], []
    for check in checks:
        text = check["summary"]
        if check["status"] == "error":
            why = "%s could not be evaluated: %s" % (label(check), cause_of_error(check))
            notifications.append({
                "level": "error", "message": {"text": why},
                "descriptor": {"id": NOT_EVALUATED_ID, "index": 0},
                "associatedRule": {"id": check["id"], "index": rule_index[check["id"]]},
                "locations": [_location(check["target"], where[check["target"]])],
            })
            continue
        if check["status"] not in SARIF_LEVEL:
            continue
        if check.get("remediation"):
            text = "%s Fix: %s" % (sentence(text), check["remediation"])
        properties = {"status": check["status"], "target": check["target"], "details": check.get("details") or {}}
        if id(check) in under:
            properties["causedBy"] = under[id(check)]
        results.append({
            "ruleId": check["id"], "ruleIndex": rule_index[check["id"]], "kind": "fail",
            "level": SARIF_LEVEL[check["status"]], "message": {"text": text},
            "locations": [_location(check["target"], where[check["target"]])],
            "partialFingerprints": {"checkTarget/v1": label(check)},
            "properties": properties,
        })
    invocation = {"executionSuccessful": not notifications, "endTimeUtc": report["generated_at"],
                  "toolExecutionNotifications": notifications}
    if started_at:
        invocation["startTimeUtc"] = started_at
    return json.dumps({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME, "fullName": "%s %s checks" % (TOOL_NAME, report["name"]),
                "informationUri": TOOL_URI, "rules": rules,
                "notifications": [{"id": NOT_EVALUATED_ID, "shortDescription": {
                    "text": "A check could not be evaluated: a dependency it reads was unreachable or failed."}}],
            }},
            "automationDetails": {"id": "%s/%s" % (report["name"], report["generated_at"])},
            "invocations": [invocation],
            "logicalLocations": [{"name": t, "fullyQualifiedName": t, "kind": "global" if t == "global" else "region"}
                                 for t in targets],
            "results": results,
            "properties": {"verdict": report.get("verdict") or verdict_of(checks), "summary": report["summary"]},
        }],
    }, indent=2) + "\n"


# --- files --------------------------------------------------------------------------------------------------------
def run_stamp(generated_at):
    """``2026-11-25T10:00:00Z`` -> ``20261125T100000Z`` (a folder name that sorts by time)."""
    return re.sub(r"[^0-9TZ]", "", generated_at) or "run"


def make_run_dir(report_dir, name, generated_at):
    """Create ``report_dir/<name>-<UTC timestamp>`` for this run; a second run in the same second gets ``-2``, ``-3``
    ... (``mkdir`` fails when the folder exists, so two runs never share one, even at once)."""
    base = os.path.join(report_dir, "%s-%s" % (name, run_stamp(generated_at)))
    for attempt in range(1, 1000):
        path = base if attempt == 1 else "%s-%d" % (base, attempt)
        try:
            os.mkdir(path)
            return path
        except OSError as err:
            if err.errno != errno.EEXIST:
                raise
    raise OSError(errno.EEXIST, "too many report folders for one second", base)


def render(report, fmt, folder, runbook_root=None, started_at=None):
    if fmt == "json":
        return to_json(report)
    if fmt == "markdown":
        return to_markdown(report, folder, runbook_root)
    if fmt == "junit":
        return to_junit(report)
    return to_sarif(report, runbook_root, started_at)


def _write(path, text):
    """Write through a temporary file in the same folder and rename it into place, so a reader (or a concurrent
    run) never sees half a report."""
    handle, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_reports(report, report_dir, runbook_root=None, started_at=None):
    """Write this run's files into its own timestamped folder, then the same reports at the stable paths
    ``report_dir/<name>.<ext>`` (the newest run's, for scripts and AWX artifacts). Returns ``(run_dir, run_paths,
    paths)``. The Markdown is rendered for each folder, so its runbook links resolve from where it sits."""
    if not os.path.isdir(report_dir):
        os.makedirs(report_dir)
    run_dir = make_run_dir(report_dir, report["name"], report["generated_at"])
    run_paths, paths = {}, {}
    for fmt in FORMATS:
        run_paths[fmt] = os.path.join(run_dir, report["name"] + SUFFIX[fmt])
        _write(run_paths[fmt], render(report, fmt, run_dir, runbook_root, started_at))
    for fmt in FORMATS:
        paths[fmt] = os.path.join(report_dir, report["name"] + SUFFIX[fmt])
        _write(paths[fmt], render(report, fmt, report_dir, runbook_root, started_at))
    return run_dir, run_paths, paths
