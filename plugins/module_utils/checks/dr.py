# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The disaster-recovery checks (requirement 7): pure functions from ``dr_snapshot_info``'s result to check results.

``facts`` is what ``dr_snapshot_info`` returns (the ``dr`` source of the gate's facts)::

    {"region", "dr_region", "now",
     "sources": [{kind, id, exists, arn, backup_retention_days, tags, primary_snapshots: [snapshot],
                  dr_snapshots: [snapshot]}],
     "dr_keys": {kms key id: {exists, arn, region, key_manager, key_state}},
     "lock_table": {name, exists, arn, pitr, tags} | None,
     "backup_plans_found": [{id, name, rules: [{name, vault, copy_to}], selections: [...]}] | None,
     "drill": {parameter, exists, record: {passed_at, ...}} | None,
     "errors": {section: why}}

(a snapshot is described in planners/dr_snapshot.py). Settings: ``dr_min_retention_days`` (default 7),
``dr_rpo_target_minutes`` (default 1440), ``dr_drill_max_age_days`` (default 30), and ``now`` (ISO; the facts'
``now`` when absent). Every check is judged once, at the control plane (the primary region).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import declare, judge_checks
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import parse_timestamp
from ansible_collections.coder.ai_platform.plugins.module_utils.planners.dr_snapshot import READY, age_seconds

FAMILY = "dr"
PITR = "dr.pitr_enabled"
FRESH = "dr.snapshot_fresh"
COPY = "dr.cross_region_copy"
PLAN = "dr.backup_plan"
DRILL = "dr.drill_recent"
CHECK_IDS = (PITR, FRESH, COPY, PLAN, DRILL)
DEFAULTS = {"dr_min_retention_days": 7, "dr_rpo_target_minutes": 1440, "dr_drill_max_age_days": 30}


def setting(settings, name):
    value = settings.get(name)
    return DEFAULTS[name] if value in (None, "") else int(value)


def _now(ctx_now, facts):
    return parse_timestamp(ctx_now or facts.get("now"))


def _label(source):
    return "%s %s" % (source.get("kind"), source.get("id"))


def _missing_sources(ctx, facts):
    """A result when there is nothing to judge (no database named, or a named one is gone), else None."""
    sources = facts.get("sources") or []
    if not sources:
        return ctx.result("error", "could not evaluate: no database was named to dr_snapshot_info "
                                   "(db_cluster_identifiers / db_instance_identifiers)")
    unknown = [s for s in sources if s.get("exists") is None]
    if unknown:
        return ctx.result("error", "could not evaluate: %s could not be read" % ", ".join(_label(s) for s in unknown))
    gone = [s for s in sources if not s.get("exists")]
    if gone:
        return ctx.result("fail", "%s not found in %s" % (", ".join(_label(s) for s in gone), facts.get("region")),
                          {"missing": [s.get("id") for s in gone]})
    return None


def _minutes(seconds):
    return int(round(seconds / 60.0))


# --- dr.pitr_enabled -------------------------------------------------------------------------------------------------
def judge_pitr(ctx):
    facts = ctx.source("dr")
    minimum = setting(ctx.settings, "dr_min_retention_days")
    missing = _missing_sources(ctx, facts)
    if missing:
        return missing
    problems, details = [], {"min_retention_days": minimum, "databases": {}}
    for source in facts["sources"]:
        days = source.get("backup_retention_days") or 0
        details["databases"][source["id"]] = days
        if days < minimum:
            problems.append("%s keeps backups %d day(s), below dr_min_retention_days %d%s" % (
                _label(source), days, minimum, " (0: automated backups and point-in-time recovery are off)"
                if not days else ""))
    table = facts.get("lock_table")
    if table is None:
        return ctx.result("error", "could not evaluate: the Terraform lock table was not read (dr_snapshot_info "
                                   "lock_table)", details)
    details["lock_table"] = {"name": table.get("name"), "exists": table.get("exists"), "pitr": table.get("pitr")}
    if not table.get("exists"):
        problems.append("lock table %s does not exist" % table.get("name"))
    elif not table.get("pitr"):
        problems.append("lock table %s has point-in-time recovery off" % table.get("name"))
    if problems:
        return ctx.result("fail", "; ".join(problems), details)
    return ctx.result("pass", "backups kept %s (at least %d days); lock table %s has point-in-time recovery" % (
        ", ".join("%s %dd" % (k, v) for k, v in sorted(details["databases"].items())), minimum, table["name"]),
        details)


# --- dr.snapshot_fresh -----------------------------------------------------------------------------------------------
def _newest_ready(snapshots):
    ready = [s for s in snapshots or [] if s.get("status") == READY and s.get("data_time")]
    return max(ready, key=lambda s: s["data_time"]) if ready else None


def judge_fresh(ctx):
    facts = ctx.source("dr")
    missing = _missing_sources(ctx, facts)
    if missing:
        return missing
    now = _now(ctx.settings.get("now"), facts)
    target = setting(ctx.settings, "dr_rpo_target_minutes")
    problems, details = [], {"rpo_target_minutes": target, "newest": {}}
    for source in facts["sources"]:
        newest = _newest_ready(source.get("primary_snapshots"))
        if newest is None:
            problems.append("%s has no available snapshot in %s" % (_label(source), facts.get("region")))
            details["newest"][source["id"]] = None
            continue
        age = age_seconds(newest, now)
        details["newest"][source["id"]] = {"id": newest["id"], "type": newest.get("snapshot_type"),
                                           "data_time": newest["data_time"], "age_minutes": _minutes(age)}
        if age > target * 60:
            problems.append("%s: newest snapshot %s is %d minutes old, over the RPO target of %d" % (
                _label(source), newest["id"], _minutes(age), target))
    if problems:
        return ctx.result("fail", "; ".join(problems), details)
    return ctx.result("pass", "; ".join("%s: %s, %d minutes old" % (ident, n["id"], n["age_minutes"])
                                        for ident, n in sorted(details["newest"].items())) +
                      " (RPO target %d minutes)" % target, details)


# --- dr.cross_region_copy --------------------------------------------------------------------------------------------
def _copy_problem(snapshot, keys, dr_region):
    """Why a DR snapshot is not a usable copy under a key of the DR region, or None."""
    if snapshot.get("status") != READY:
        return "%s is %s" % (snapshot["id"], snapshot.get("status"))
    if not snapshot.get("encrypted") or not snapshot.get("kms_key_id"):
        return "%s is not encrypted" % snapshot["id"]
    key = keys.get(snapshot["kms_key_id"])
    if not key or not key.get("exists"):
        return "%s: its KMS key %s could not be found" % (snapshot["id"], snapshot["kms_key_id"])
    if key.get("region") != dr_region:
        return "%s is encrypted with a key of %s, not of %s" % (snapshot["id"], key.get("region"), dr_region)
    if key.get("key_manager") != "CUSTOMER":
        return "%s is encrypted with the AWS managed key %s, not a customer managed key" % (
            snapshot["id"], key.get("arn"))
    if key.get("key_state") != "Enabled":
        return "%s: its key %s is %s (the copy cannot be restored)" % (
            snapshot["id"], key.get("arn"), key.get("key_state"))
    return None


def judge_copy(ctx):
    facts = ctx.source("dr")
    missing = _missing_sources(ctx, facts)
    if missing:
        return missing
    now = _now(ctx.settings.get("now"), facts)
    target = setting(ctx.settings, "dr_rpo_target_minutes")
    dr_region = facts.get("dr_region")
    keys = facts.get("dr_keys") or {}
    problems, details = [], {"dr_region": dr_region, "rpo_target_minutes": target, "copies": {}}
    for source in facts["sources"]:
        usable, rejected = [], []
        for snap in source.get("dr_snapshots") or []:
            problem = _copy_problem(snap, keys, dr_region)
            (rejected if problem else usable).append(problem or snap)
        newest = max(usable, key=lambda s: s.get("data_time") or "") if usable else None
        if newest is None:
            problems.append("%s has no copy in %s encrypted with a customer managed key of that region%s" % (
                _label(source), dr_region, " (%s)" % "; ".join(rejected[:3]) if rejected else ""))
            details["copies"][source["id"]] = {"newest": None, "rejected": rejected}
            continue
        age = age_seconds(newest, now)
        details["copies"][source["id"]] = {"newest": newest["id"], "data_time": newest.get("data_time"),
                                           "age_minutes": _minutes(age), "kms_key_id": newest["kms_key_id"],
                                           "rejected": rejected}
        if age > target * 60:
            problems.append("%s: the newest copy in %s, %s, holds data %d minutes old, over the RPO target of %d" % (
                _label(source), dr_region, newest["id"], _minutes(age), target))
    if problems:
        return ctx.result("fail", "; ".join(problems), details)
    return ctx.result("pass", "; ".join("%s: %s in %s, %d minutes old" % (
        ident, c["newest"], dr_region, c["age_minutes"]) for ident, c in sorted(details["copies"].items())) +
        " (customer managed key of %s; RPO target %d minutes)" % (dr_region, target), details)


# --- dr.backup_plan --------------------------------------------------------------------------------------------------
def _matches(pattern, arn):
    return pattern == "*" or fnmatch.fnmatchcase(arn or "", pattern)


def selection_covers(selection, arn, tags):
    """Whether an AWS Backup selection picks the resource (by ARN pattern, or by tags), and does not exclude it."""
    if any(_matches(p, arn) for p in selection.get("not_resources") or []):
        return False
    if any(_matches(p, arn) for p in selection.get("resources") or []):
        return True
    tags = tags or {}
    if any(tags.get(t["key"]) == t["value"] for t in selection.get("tags") or []):
        return True
    conditions = selection.get("all_tags") or []
    return bool(conditions) and all(tags.get(c["key"]) == c["value"] for c in conditions)


def judge_plan(ctx):
    facts = ctx.source("dr")
    missing = _missing_sources(ctx, facts)
    if missing:
        return missing
    plans = facts.get("backup_plans_found")
    if plans is None:
        return ctx.result("error", "could not evaluate: the AWS Backup plans were not read (dr_snapshot_info "
                                   "backup_plans)")
    dr_region = facts.get("dr_region")
    critical = [(_label(s), s.get("arn"), s.get("tags")) for s in facts["sources"]]
    table = facts.get("lock_table")
    if table and table.get("exists"):
        critical.append(("lock table %s" % table["name"], table.get("arn"), table.get("tags")))
    copying = []
    for plan in plans:
        rules = [r for r in plan.get("rules") or [] if any(
            (dest or "").split(":")[3:4] == [dr_region] for dest in r.get("copy_to") or [])]
        if rules:
            copying.append((plan, rules))
    details = {"dr_region": dr_region, "plans": [p.get("name") for p in plans],
               "copying_plans": [p.get("name") for p, dummy_rules in copying]}
    if not copying:
        return ctx.result("fail", "no AWS Backup plan in %s has a rule that copies to a vault in %s%s" % (
            facts.get("region"), dr_region, "" if plans else " (there is no backup plan at all)"), details)
    uncovered = []
    for label, arn, tags in critical:
        if not any(selection_covers(sel, arn, tags) for plan, dummy_rules in copying
                   for sel in plan.get("selections") or []):
            uncovered.append(label)
    details["uncovered"] = uncovered
    if uncovered:
        return ctx.result("fail", "the backup plan(s) %s copy to %s but select none of: %s" % (
            ", ".join(details["copying_plans"]), dr_region, ", ".join(uncovered)), details)
    return ctx.result("pass", "backup plan %s copies %s to %s" % (
        ", ".join(details["copying_plans"]), ", ".join(label for label, dummy_arn, dummy_tags in critical),
        dr_region), details)


# --- dr.drill_recent -------------------------------------------------------------------------------------------------
def judge_drill(ctx):
    facts = ctx.source("dr")
    drill = facts.get("drill")
    max_days = setting(ctx.settings, "dr_drill_max_age_days")
    if drill is None:
        return ctx.result("error", "could not evaluate: the drill record was not read (dr_snapshot_info "
                                   "drill_parameter)")
    details = {"parameter": drill.get("parameter"), "max_age_days": max_days, "record": drill.get("record")}
    if not drill.get("exists"):
        return ctx.result("warn", "no DR drill has ever recorded a pass (SSM parameter %s is absent)"
                          % drill.get("parameter"), details)
    record = drill.get("record") or {}
    try:
        passed = parse_timestamp(record.get("passed_at"))
    except ValueError:
        return ctx.result("warn", "the drill record in %s has no readable passed_at (%r)" % (
            drill.get("parameter"), record.get("passed_at")), details)
    days = (_now(ctx.settings.get("now"), facts) - passed).total_seconds() / 86400.0
    details["age_days"] = round(days, 1)
    if days > max_days:
        return ctx.result("warn", "the last DR drill passed %.0f days ago, more than dr_drill_max_age_days %d" % (
            days, max_days), details)
    return ctx.result("pass", "a DR drill passed %.0f day(s) ago (at most %d)%s" % (
        days, max_days, "; RTO %ss, RPO %ss" % (record.get("rto_seconds"), record.get("rpo_seconds"))
        if "rto_seconds" in record else ""), details)


# --- declarations ----------------------------------------------------------------------------------------------
declare(
    PITR, FAMILY, "7.4", ("REL09-BP02", "REL09-BP04"), "high", ("dr.sources", "dr.lock_table"), "control_plane",
    "Automated backups with point-in-time recovery cover the database and the Terraform lock table",
    "Set the Aurora cluster's backup retention to at least dr_min_retention_days (`aws rds modify-db-cluster "
    "--db-cluster-identifier <id> --backup-retention-period 7 --apply-immediately`) and turn on the lock table's "
    "point-in-time recovery (playbooks/bootstrap_state_backend.yml does).",
    judge_pitr,
    fails_when="Aurora backup retention is below `dr_min_retention_days`, or the DynamoDB lock table has no PITR")
declare(
    FRESH, FAMILY, "7.3", ("REL09-BP03",), "high", ("dr.sources",), "control_plane",
    "The newest snapshot in the primary region is within the RPO target",
    "Run playbooks/dr_snapshot.yml (coder.ai_platform.dr_snapshot): it makes a snapshot when the newest of its own "
    "is older than dr_snapshot_max_age and copies it to the DR region; schedule it more often than the RPO target.",
    judge_fresh,
    fails_when="the newest snapshot in the primary region is older than the RPO target")
declare(
    COPY, FAMILY, "7.1", ("REL09-BP03", "REL13-BP02", "SEC08-BP01"), "high",
    ("dr.sources", "dr.dr_snapshots", "dr.dr_keys"), "control_plane",
    "A copy of the database, encrypted with a key of the DR region, is within the RPO target",
    "Run playbooks/dr_snapshot.yml with dr_kms_key_id set to a customer managed key of the DR region: it copies the "
    "fresh snapshot there, re-encrypted with that key, and waits until the copy is available.",
    judge_copy, caused_by=(FRESH,),
    fails_when="no copy in the DR region, encrypted with a key of that region, is newer than the RPO target")
declare(
    PLAN, FAMILY, "7.1", ("REL09-BP03", "REL09-BP02"), "medium", ("dr.sources", "dr.backup_plans"), "control_plane",
    "An AWS Backup plan copies the critical resources to the DR region",
    "Create (or fix) the AWS Backup plan: a vault per region under a customer managed key, a rule with a copy action "
    "to the DR region's vault, and a selection (by tag) of the Aurora cluster and the DynamoDB lock table.",
    judge_plan,
    fails_when="no backup plan with a cross-region copy rule covers the critical resources")
declare(
    DRILL, FAMILY, "7.2", ("REL13-BP03", "REL09-BP04"), "medium", ("dr.drill",), "control_plane",
    "A DR drill passed recently",
    "Run the DR drill (restore the newest copy in the DR region, verify the data, measure RTO and RPO); a drill that "
    "passes records itself where the gate reads it.",
    judge_drill,
    fails_when="warn: no drill has passed within `dr_drill_max_age_days`")


def judge_dr(facts, target, settings=None):
    """Every DR check for one primary region's ``dr_snapshot_info`` result."""
    facts = facts if isinstance(facts, dict) else {"failed": True, "msg": "no DR facts were gathered"}
    gate = {"dr": facts, "regions": [{"name": target, "role": "control_plane"}], "settings": dict(settings or {})}
    return judge_checks(gate, [FAMILY])
