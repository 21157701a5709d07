# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn check results into the report files (JSON, Markdown, JUnit XML) and the console table.

Redaction is a second line of defence: modules already keep secrets out of their results (``no_log``, stripped
API fields), and the report writer still replaces every known secret value before anything is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import SEVERITY, sort_key, summarize

REDACTED = "********"
STATUS_LABEL = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "error": "ERROR", "skip": "SKIP"}


def redact(value, secrets):
    """Replace each secret (strings of 4+ characters) wherever it appears, in any nested structure."""
    secrets = sorted((s for s in secrets or [] if isinstance(s, str) and len(s) >= 4), key=len, reverse=True)
    if not secrets:
        return value

    def walk(item):
        if isinstance(item, str):
            for secret in secrets:
                item = item.replace(secret, REDACTED)
            return item
        if isinstance(item, dict):
            return dict((walk(k), walk(v)) for k, v in item.items())
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    return walk(value)


def build_report(name, checks, inputs, generated_at, duration_s):
    ordered = sorted(checks, key=sort_key)
    return {"name": name, "generated_at": generated_at, "duration_s": round(duration_s, 2), "inputs": inputs,
            "summary": summarize(ordered), "checks": ordered}


def overall_status(report):
    counts = report["summary"]
    for status in sorted(SEVERITY, key=SEVERITY.get, reverse=True):
        if counts.get(status):
            return status
    return "pass"


def to_json(report):
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def table_lines(report, width=110):
    """A fixed-width table a facilitator can read in a terminal, worst first, then the counts."""
    rows = sorted(report["checks"], key=lambda c: (-SEVERITY[c["status"]],) + sort_key(c))
    id_w = max([len(c["id"]) for c in rows] + [5])
    target_w = max([len(c["target"]) for c in rows] + [6])
    lines = ["%-6s %-*s %-*s %s" % ("STATUS", id_w, "CHECK", target_w, "TARGET", "SUMMARY")]
    for check in rows:
        summary = check["summary"]
        room = max(width - 9 - id_w - target_w, 30)  # 9 = status column and three separators
        if len(summary) > room:
            summary = summary[:room - 3] + "..."
        lines.append("%-6s %-*s %-*s %s" % (
            STATUS_LABEL[check["status"]], id_w, check["id"], target_w, check["target"], summary))
    counts = report["summary"]
    lines.append("")
    lines.append("%s: %d pass, %d warn, %d fail, %d error, %d skip in %.1fs" % (
        overall_status(report).upper(), counts["pass"], counts["warn"], counts["fail"], counts["error"],
        counts["skip"], report["duration_s"]))
    return lines


def to_markdown(report):
    counts = report["summary"]
    out = ["# %s report" % report["name"], "",
           "Generated %s in %.1fs. Overall: **%s** (%d pass, %d warn, %d fail, %d error, %d skip)." % (
               report["generated_at"], report["duration_s"], overall_status(report).upper(), counts["pass"],
               counts["warn"], counts["fail"], counts["error"], counts["skip"]), "", "## Inputs", ""]
    for key in sorted(report["inputs"]):
        out.append("- `%s`: %s" % (key, _md(json.dumps(report["inputs"][key]))))
    out += ["", "## Checks", "", "| status | check | target | requirement | summary |", "|---|---|---|---|---|"]
    for check in report["checks"]:
        out.append("| %s | `%s` | %s | %s | %s |" % (
            STATUS_LABEL[check["status"]], check["id"], check["target"], check["requirement"],
            _md(check["summary"])))
    actions = [c for c in report["checks"] if c["status"] in ("fail", "error", "warn")]
    if actions:
        out += ["", "## What to do", ""]
        for check in sorted(actions, key=lambda c: (-SEVERITY[c["status"]],) + sort_key(c)):
            out.append("- **%s `%s` @ %s**: %s Runbook: [%s](%s)" % (
                STATUS_LABEL[check["status"]], check["id"], check["target"], _md(check["remediation"]),
                check["runbook"], check["runbook"]))
    return "\n".join(out) + "\n"


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_junit(report):
    """One testsuite, one testcase per check and target; warn passes with its summary in system-out."""
    counts = report["summary"]
    cases = []
    for check in report["checks"]:
        name = "%s [%s]" % (check["id"], check["target"])
        body = ""
        message = quoteattr(check["summary"])
        detail = escape("%s\nremediation: %s\nrunbook: %s" % (
            check["summary"], check["remediation"], check["runbook"]))
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
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name=%s tests="%d" failures="%d" errors="%d" skipped="%d" time="%.2f">' % (
            quoteattr(report["name"]), len(report["checks"]), counts["fail"], counts["error"], counts["skip"],
            report["duration_s"]),
        '  <testsuite name=%s tests="%d" failures="%d" errors="%d" skipped="%d" time="%.2f" timestamp=%s>' % (
            quoteattr(report["name"]), len(report["checks"]), counts["fail"], counts["error"], counts["skip"],
            report["duration_s"], quoteattr(report["generated_at"])),
    ] + cases + ["  </testsuite>", "</testsuites>", ""])
