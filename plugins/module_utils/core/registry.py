# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check model shared by every validation in the collection: the registry, one result's shape, and the one
generic judge that runs every registered check.

A check is declared once, with ``declare()`` (metadata plus one pure judge function). The declaration is the single
source of the check's id, seed requirement, AWS Well-Architected best practices, severity, the fact sections it reads,
its scope, title and remediation. ``judge_checks()`` runs every declared check of the selected families over the
gathered facts; the docs, the README tables, the gather section lists and the expected ids in tests all come from
``CATALOG``.

A result is ``{id, family, title, requirement, wa, severity, caused_by, target, status, summary, details,
remediation, runbook}`` with ``status`` one of pass | warn | fail | error | skip.

Facts (the judge's input) are one dict: global sources at the top (``coder``, ``litellm``, ``plan``,
``state_backend`` ...), ``regions`` a list of ``{name, role, proxy_name, ...}`` dicts carrying the regional sources
(``images``, ``cluster``, ``protection`` ...; or given per source as ``by_region: {source: {region: facts}}``),
plus ``now`` (ISO 8601), ``settings`` and ``region_names`` (every
region of the play, including any whose facts were lost). A source is a gather module's result: a module that failed
leaves ``failed``/``msg``; a section it could not read is named in its ``errors`` dict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

STATUSES = ("pass", "warn", "fail", "error", "skip")
# Worst first: used to order reports and to combine per-item verdicts into one.
SEVERITY = {"fail": 4, "error": 3, "warn": 2, "pass": 1, "skip": 0}
STATUS_RANK = SEVERITY
IMPACTS = ("critical", "high", "medium", "low")
SCOPES = ("global", "region", "control_plane", "proxy")
SCOPE_LABEL = {"global": "global", "region": "each region", "control_plane": "control plane",
               "proxy": "proxy regions"}
GLOBAL = "global"
RESULT_KEYS = ("id", "family", "title", "requirement", "wa", "severity", "caused_by", "target", "status", "summary",
               "details", "remediation", "runbook")
RUNBOOK_DIR = "docs/runbooks"
WA_ID = re.compile(r"^(OPS|SEC|REL|PERF|COST|SUS)[0-9]{2}-BP[0-9]{2}$")
CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
READ = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
WARN_ADVICE = ("Not a blocker: the workshop can run, with less margin. {remediation}")
ERROR_ADVICE = "Restore access to the dependency named in the summary, then re-run the gate."

CATALOG = {}


def declare(check_id, family, requirement, wa, severity, reads, scope, title, remediation, judge,
            warn_remediation=None, caused_by=(), fails_when=None):
    """Add a check to the catalog and return its id.

    ``wa``: AWS Well-Architected best-practice ids (e.g. ``REL09-BP03``). ``reads``: the fact sections the judge
    needs, as ``source`` or ``source.section``; the generic judge reports ``error`` with the cause when one is missing
    or failed, so a judge only sees readable facts. ``scope``: global | region | control_plane | proxy.
    ``judge(ctx)`` returns one result (``ctx.result(status, summary, details, remediation)``).
    ``warn_remediation``: the advice for a warn (defaults to the remediation, framed as not blocking).
    ``caused_by``: check ids whose failure causes this one (reports group them, cause first).
    ``fails_when``: one line for the docs' tables (defaults to the title)."""
    problems = []
    if not CHECK_ID.match(check_id or ""):
        problems.append("id must look like family.name")
    if check_id in CATALOG:
        problems.append("duplicate check id")
    if not wa or any(not WA_ID.match(item) for item in wa):
        problems.append("wa must list Well-Architected best-practice ids like REL09-BP03, got %r" % (wa,))
    if severity not in IMPACTS:
        problems.append("severity must be one of %s" % ", ".join(IMPACTS))
    if scope not in SCOPES:
        problems.append("scope must be one of %s" % ", ".join(SCOPES))
    if any(not READ.match(item) for item in reads):
        problems.append("reads must be source or source.section, got %r" % (reads,))
    if not callable(judge):
        problems.append("judge must be a function")
    if not (title and remediation and requirement and family):
        problems.append("family, requirement, title and remediation are required")
    if problems:
        raise ValueError("check %s: %s" % (check_id, "; ".join(problems)))
    CATALOG[check_id] = {
        "id": check_id, "family": family, "requirement": requirement, "wa": list(wa), "severity": severity,
        "reads": list(reads), "scope": scope, "title": title, "remediation": remediation,
        "warn_remediation": warn_remediation or WARN_ADVICE.format(remediation=remediation),
        "caused_by": list(caused_by), "fails_when": fails_when or title, "judge": judge,
        "runbook": "%s/%s.md" % (RUNBOOK_DIR, check_id),
    }
    return check_id


def result(check_id, target, status, summary, details=None, remediation=None):
    """Build one check result of the common shape. Remediation is omitted for pass/skip (nothing to do); a warn
    gets the check's warn advice unless the judge gives a sharper one."""
    if status not in STATUSES:
        raise ValueError("unknown status %r for %s" % (status, check_id))
    entry = CATALOG[check_id]
    if status == "warn":
        advice = remediation or entry["warn_remediation"]
    elif status in ("fail", "error"):
        advice = remediation or entry["remediation"]
    else:
        advice = ""
    return {
        "id": check_id,
        "family": entry["family"],
        "title": entry["title"],
        "requirement": entry["requirement"],
        "wa": list(entry["wa"]),
        "severity": entry["severity"],
        "caused_by": list(entry["caused_by"]),
        "target": target,
        "status": status,
        "summary": summary,
        "details": details or {},
        "remediation": advice,
        "runbook": entry["runbook"],
    }


def error_result(check_id, target, cause, details=None):
    """The verdict when a dependency could not be read: says why, never guesses."""
    return result(check_id, target, "error", "could not evaluate: %s" % cause, details, remediation=ERROR_ADVICE)


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


def verdict(results):
    """fail when any check failed; incomplete when none failed but one could not be evaluated; else pass."""
    statuses = set(item["status"] for item in results)
    if "fail" in statuses:
        return "fail"
    if "error" in statuses:
        return "incomplete"
    return "pass"


def sort_key(item):
    """Report order: by check id, global before regions. Independent of the catalog, which a report module's
    process may not have loaded."""
    return (item["id"], item["target"] != "global", item["target"])


# --- the generic judge ---------------------------------------------------------------------------------------------
class Context(object):
    """What a judge sees for one target: the facts, the settings, the target's region, and a per-run memo for
    values every target shares (for example the control plane's image digest)."""

    def __init__(self, check_id, facts, settings, target, region, memo):
        self.check_id = check_id
        self.facts = facts
        self.settings = settings
        self.target = target
        self.region = region
        self.regions = facts.get("regions") or []
        self.now = facts.get("now")
        self._memo = memo

    def source(self, name):
        """A source's facts: the region's own when it has it, else the global one (None when not gathered)."""
        if self.region is not None and name in self.region:
            return self.region.get(name)
        return self.facts.get(name)

    def memo(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def result(self, status, summary, details=None, remediation=None):
        return result(self.check_id, self.target, status, summary, details, remediation)


def families():
    return sorted(set(entry["family"] for entry in CATALOG.values()))


def checks_of(selected=None):
    """Catalog entries of the selected families (all when None), by family, in declaration order within each."""
    wanted = None if selected is None else set(selected)
    unknown = sorted((wanted or set()) - set(families()))
    if unknown:
        raise ValueError("unknown check families: %s (known: %s)" % (", ".join(unknown), ", ".join(families())))
    # By family name, then in declaration order within the family: the same whichever family was imported first.
    order = dict((check_id, index) for index, check_id in enumerate(CATALOG))
    return sorted((entry for entry in CATALOG.values() if wanted is None or entry["family"] in wanted),
                  key=lambda entry: (entry["family"], order[entry["id"]]))


def expected_targets(entry, regions):
    """The targets a check is judged at, for region dicts ``{name, role, proxy_name}``."""
    scope = entry["scope"]
    if scope == "global":
        return [GLOBAL]
    if scope == "region":
        return [r["name"] for r in regions]
    if scope == "control_plane":
        return [r["name"] for r in regions if r.get("role") == "control_plane"]
    return [r["name"] for r in regions if r.get("proxy_name")]


def _merge_regional_sources(facts):
    """``by_region: {source: {region: facts}}`` (what per-host gather tasks leave) joins each region's dict."""
    regions = [dict(r) for r in facts.get("regions") or []]
    for source, per_region in sorted((facts.get("by_region") or {}).items()):
        for region in regions:
            if region["name"] in (per_region or {}):
                region[source] = per_region[region["name"]]
    return regions


def _with_lost_regions(facts):
    """Regions whose facts never arrived (the host dropped out of the play) are judged too: as error."""
    regions = list(facts.get("regions") or [])
    gathered = set(r["name"] for r in regions)
    for name in facts.get("region_names") or []:
        if name not in gathered:
            regions.append({"name": name, "role": "unknown", "lost": True,
                            "lost_cause": "no facts were gathered for %s (its tasks failed; see the play output)"
                            % name})
    return regions


def _read_problem(ctx, reads):
    """Why the facts a check reads cannot be judged, or None."""
    if ctx.region is not None and ctx.region.get("lost"):
        return ctx.region["lost_cause"]
    for item in reads:
        name, dummy_dot, section = item.partition(".")
        if ctx.target == GLOBAL and ctx.region is None and name not in ctx.facts:
            continue  # a regional source in a global check: the judge picks the region that holds it
        facts = ctx.source(name)
        if facts is None:
            return "no %s facts were gathered" % name
        cause = gather_failure(facts, "%s facts" % name)
        if cause:
            return cause
        if section and (facts.get("errors") or {}).get(section):
            return facts["errors"][section]
    return None


def judge_checks(facts, selected=None, settings=None):
    """Every result of every registered check of the selected families (all when None) over the facts.

    A missing or failed section becomes ``error`` with its cause, and a judge that raises becomes ``error`` naming
    the exception, so one broken check never hides the others."""
    settings = dict(settings if settings is not None else facts.get("settings") or {})
    settings.setdefault("now", facts.get("now"))
    facts = dict(facts)
    facts["regions"] = _merge_regional_sources(facts)
    regions = _with_lost_regions(facts)
    facts["regions"] = [r for r in regions if not r.get("lost")]
    by_name = dict((r["name"], r) for r in regions)
    memo = {}
    results = []
    for entry in checks_of(selected):
        for target in expected_targets(entry, regions):
            ctx = Context(entry["id"], facts, settings, target, by_name.get(target), memo)
            cause = _read_problem(ctx, entry["reads"])
            if cause:
                results.append(error_result(entry["id"], target, cause))
                continue
            try:
                outcome = entry["judge"](ctx)
            except (KeyError, ValueError, TypeError, AttributeError) as err:
                outcome = error_result(entry["id"], target, "the judge could not read the facts (%s: %s)"
                                       % (type(err).__name__, err))
            results.append(outcome)
    return results


def _gathered_on(scope, role):
    """Whether a host of this role gathers for a check of this scope: global checks read their regional sources
    from the control plane (S3, say, is listed once)."""
    if role is None or scope == "region":
        return True
    if scope == "proxy":
        return role == "proxy"
    return role == "control_plane"


def sections_read(source, selected=None, role=None):
    """The sections of one source that the selected checks read: what a gather task must ask for. With ``role``
    (control_plane | proxy), only the sections a host of that role must gather."""
    found = set()
    for entry in checks_of(selected):
        if not _gathered_on(entry["scope"], role):
            continue
        for item in entry["reads"]:
            name, dummy_dot, section = item.partition(".")
            if name == source and section:
                found.add(section)
    return sorted(found)


def catalog_rows(selected=None):
    """The catalog without the judges: what docs, tables and tests read."""
    return [dict((k, v) for k, v in entry.items() if k != "judge") for entry in checks_of(selected)]
