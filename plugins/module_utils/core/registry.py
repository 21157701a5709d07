# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check model shared by every validation in the collection, and the shape of one result.

A check result is ``{id, requirement, target, status, summary, details, remediation, runbook}`` with
``status`` one of pass | warn | fail | error | skip. Families of checks (pre-workshop, state backend, security
baseline ...) register their catalog entries here so ids stay unique and every id has a runbook.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

STATUSES = ("pass", "warn", "fail", "error", "skip")
# Worst first: used to order reports and to combine per-item verdicts into one.
SEVERITY = {"fail": 4, "error": 3, "warn": 2, "pass": 1, "skip": 0}
RUNBOOK_DIR = "docs/runbooks"

CATALOG = {}


def register(check_id, requirement, title, remediation):
    """Add a check to the catalog. ``remediation`` is the default fix text; a judge may give a sharper one."""
    if check_id in CATALOG:
        raise ValueError("duplicate check id %s" % check_id)
    CATALOG[check_id] = {"id": check_id, "requirement": requirement, "title": title, "remediation": remediation,
                         "runbook": "%s/%s.md" % (RUNBOOK_DIR, check_id)}
    return check_id


def result(check_id, target, status, summary, details=None, remediation=None):
    """Build one check result of the common shape. Remediation is omitted for pass/skip (nothing to do)."""
    if status not in STATUSES:
        raise ValueError("unknown status %r for %s" % (status, check_id))
    entry = CATALOG[check_id]
    needs_action = status in ("fail", "warn", "error")
    return {
        "id": check_id,
        "requirement": entry["requirement"],
        "target": target,
        "status": status,
        "summary": summary,
        "details": details or {},
        "remediation": (remediation or entry["remediation"]) if needs_action else "",
        "runbook": entry["runbook"],
    }


def error_result(check_id, target, cause, details=None):
    """The verdict when a dependency could not be read: says why, never guesses."""
    return result(check_id, target, "error", "could not evaluate: %s" % cause, details,
                  remediation="Restore access to the dependency named in the summary, then re-run the gate.")


def gather_failure(facts, what="facts"):
    """Why a gather task's result cannot be judged at all, or None. A module that itself failed (bad parameters,
    a crash) leaves ``failed``/``msg`` in its registered result instead of per-section ``errors``."""
    if not isinstance(facts, dict):
        return "no %s were gathered" % what
    if facts.get("failed") or ("errors" not in facts and facts.get("msg")):
        return facts.get("msg") or "the gather task failed"
    return None


def worst(statuses):
    statuses = list(statuses)
    return max(statuses, key=lambda s: SEVERITY[s]) if statuses else "pass"


def summarize(results):
    counts = dict((status, 0) for status in STATUSES)
    for item in results:
        counts[item["status"]] += 1
    return counts


def sort_key(item):
    """Report order: by check id, global before regions. Independent of the catalog, which a report module's
    process may not have loaded."""
    return (item["id"], item["target"] != "global", item["target"])
