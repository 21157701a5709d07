# -*- coding: utf-8 -*-
"""Every branch of every DR check (plugins/module_utils/checks/dr.py) on the dict shape dr_snapshot_info returns,
without any server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.checks import dr
from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import CATALOG, RESULT_KEYS

TARGET = "us-east-2"
NOW = "2026-12-04T12:00:00Z"
CLUSTER_ARN = "arn:aws:rds:us-east-2:123456789012:cluster:coder-db"
TABLE_ARN = "arn:aws:dynamodb:us-east-2:123456789012:table/locks"
DR_KEY = "arn:aws:kms:us-west-2:123456789012:key/dr"
DR_VAULT = "arn:aws:backup:us-west-2:123456789012:backup-vault:coder-dr"


def snapshot(ident, data_time, region="us-east-2", status="available", key=None, kind="automated"):
    return {"id": ident, "arn": "arn:aws:rds:%s:123456789012:cluster-snapshot:%s" % (region, ident),
            "kind": "cluster", "region": region, "status": status, "snapshot_type": kind, "source_id": "coder-db",
            "created_at": data_time, "data_time": data_time, "encrypted": key is not None or region == "us-east-2",
            "kms_key_id": key, "tags": {}, "ours": False, "source_arn": None, "copy_of": None}


def healthy():
    return {
        "changed": False, "region": "us-east-2", "dr_region": "us-west-2", "now": NOW,
        "sources": [{"kind": "cluster", "id": "coder-db", "exists": True, "arn": CLUSTER_ARN,
                     "backup_retention_days": 7, "tags": {"backup": "dr"},
                     "primary_snapshots": [snapshot("rds:coder-db-1", "2026-12-04T03:00:00Z"),
                                           snapshot("old", "2026-11-01T03:00:00Z")],
                     "dr_snapshots": [snapshot("dr-coder-db-1", "2026-12-04T03:00:00Z", "us-west-2", key=DR_KEY,
                                               kind="manual")]}],
        "dr_keys": {DR_KEY: {"exists": True, "arn": DR_KEY, "region": "us-west-2", "key_manager": "CUSTOMER",
                             "key_state": "Enabled"}},
        "lock_table": {"name": "locks", "exists": True, "arn": TABLE_ARN, "pitr": True, "tags": {"backup": "dr"}},
        "backup_plans_found": [{"id": "p1", "name": "coder-dr", "rules": [
            {"name": "daily", "vault": "coder", "copy_to": [DR_VAULT]}],
            "selections": [{"name": "by-tag", "resources": [], "not_resources": [],
                            "tags": [{"key": "backup", "value": "dr"}], "all_tags": []}]}],
        "drill": {"parameter": "/coder-ai-platform/dr/last-drill", "exists": True,
                  "record": {"passed_at": "2026-11-20T10:00:00Z", "rto_seconds": 420, "rpo_seconds": 61}},
        "errors": {},
    }


def judge(facts, settings=None):
    return dict((r["id"], r) for r in dr.judge_dr(facts, TARGET, dict({"now": NOW}, **(settings or {}))))


def one(facts, check_id, settings=None):
    return judge(facts, settings)[check_id]


def test_the_healthy_world_passes_every_check_in_the_common_shape():
    results = judge(healthy())
    assert sorted(results) == sorted(dr.CHECK_IDS)
    for check_id, res in results.items():
        assert res["status"] == "pass", res
        assert all(key in res for key in RESULT_KEYS) and res["target"] == TARGET
        assert res["runbook"] == "docs/runbooks/%s.md" % check_id and CATALOG[check_id]["family"] == "dr"
    assert "coder-db 7d" in results[dr.PITR]["summary"]
    assert results[dr.FRESH]["details"]["newest"]["coder-db"]["age_minutes"] == 540
    assert results[dr.COPY]["details"]["copies"]["coder-db"]["newest"] == "dr-coder-db-1"
    assert "RTO 420s, RPO 61s" in results[dr.DRILL]["summary"]


def test_a_failed_gather_or_a_failed_section_is_error_for_the_checks_that_read_it():
    results = judge({"failed": True, "msg": "boom"})
    assert all(r["status"] == "error" and "boom" in r["summary"] for r in results.values())
    facts = healthy()
    facts["errors"] = {"dr_keys": "KMS DescribeKey in us-west-2: AccessDenied"}
    results = judge(facts)
    assert results[dr.COPY]["status"] == "error" and "AccessDenied" in results[dr.COPY]["summary"]
    assert results[dr.FRESH]["status"] == "pass"
    assert dr.judge_dr(None, TARGET)[0]["status"] == "error"


# --- shared: the databases --------------------------------------------------------------------------------------
def test_no_database_named_is_an_error_and_an_unreadable_one_too():
    facts = healthy()
    facts["sources"] = []
    for check_id in (dr.PITR, dr.FRESH, dr.COPY, dr.PLAN):
        assert one(facts, check_id)["status"] == "error", check_id
    facts = healthy()
    facts["sources"][0]["exists"] = None
    assert one(facts, dr.FRESH)["status"] == "error" and "could not be read" in one(facts, dr.FRESH)["summary"]


def test_a_database_that_is_gone_fails():
    facts = healthy()
    facts["sources"][0]["exists"] = False
    res = one(facts, dr.PITR)
    assert res["status"] == "fail" and res["summary"] == "cluster coder-db not found in us-east-2"


# --- dr.pitr_enabled -------------------------------------------------------------------------------------------------
def test_retention_below_the_minimum_fails_and_zero_says_backups_are_off():
    facts = healthy()
    facts["sources"][0]["backup_retention_days"] = 3
    res = one(facts, dr.PITR)
    assert res["status"] == "fail" and "keeps backups 3 day(s), below dr_min_retention_days 7" in res["summary"]
    assert one(facts, dr.PITR, {"dr_min_retention_days": 3})["status"] == "pass"
    facts["sources"][0]["backup_retention_days"] = 0
    assert "automated backups and point-in-time recovery are off" in one(facts, dr.PITR)["summary"]


def test_the_lock_table_without_pitr_or_missing_fails_and_unread_is_error():
    facts = healthy()
    facts["lock_table"]["pitr"] = False
    assert one(facts, dr.PITR)["summary"] == "lock table locks has point-in-time recovery off"
    facts["lock_table"]["exists"] = False
    assert one(facts, dr.PITR)["summary"] == "lock table locks does not exist"
    facts["lock_table"] = None
    assert one(facts, dr.PITR)["status"] == "error"


# --- dr.snapshot_fresh -----------------------------------------------------------------------------------------------
def test_a_stale_newest_snapshot_fails_with_its_age():
    facts = healthy()
    res = one(facts, dr.FRESH, {"dr_rpo_target_minutes": 60})
    assert res["status"] == "fail" and "newest snapshot rds:coder-db-1 is 540 minutes old, over the RPO target " \
        "of 60" in res["summary"]


def test_no_available_snapshot_fails_and_one_being_made_does_not_count():
    facts = healthy()
    facts["sources"][0]["primary_snapshots"] = [snapshot("making", "2026-12-04T11:59:00Z", status="creating")]
    res = one(facts, dr.FRESH)
    assert res["status"] == "fail" and "has no available snapshot in us-east-2" in res["summary"]


# --- dr.cross_region_copy --------------------------------------------------------------------------------------------
def test_no_copy_fails():
    facts = healthy()
    facts["sources"][0]["dr_snapshots"] = []
    res = one(facts, dr.COPY)
    assert res["status"] == "fail" and "has no copy in us-west-2" in res["summary"]
    assert CATALOG[dr.COPY]["caused_by"] == [dr.FRESH]


@pytest.mark.parametrize("change,why", [
    ({"status": "copying"}, "dr-coder-db-1 is copying"),
    ({"encrypted": False, "kms_key_id": None}, "dr-coder-db-1 is not encrypted"),
    ({"kms_key_id": "arn:aws:kms:us-west-2:123456789012:key/unknown"}, "its KMS key"),
])
def test_an_unusable_copy_is_rejected_naming_why(change, why):
    facts = healthy()
    facts["sources"][0]["dr_snapshots"][0].update(change)
    res = one(facts, dr.COPY)
    assert res["status"] == "fail" and why in res["summary"], res["summary"]


@pytest.mark.parametrize("key_change,why", [
    ({"region": "us-east-2"}, "encrypted with a key of us-east-2, not of us-west-2"),
    ({"key_manager": "AWS"}, "AWS managed key"),
    ({"key_state": "PendingDeletion"}, "is PendingDeletion"),
    ({"exists": False}, "could not be found"),
])
def test_a_copy_under_the_wrong_key_is_rejected(key_change, why):
    facts = healthy()
    facts["dr_keys"][DR_KEY].update(key_change)
    res = one(facts, dr.COPY)
    assert res["status"] == "fail" and why in res["summary"], res["summary"]


def test_an_old_copy_fails_and_the_newest_usable_one_is_judged():
    facts = healthy()
    res = one(facts, dr.COPY, {"dr_rpo_target_minutes": 120})
    assert res["status"] == "fail" and "holds data 540 minutes old, over the RPO target of 120" in res["summary"]
    facts["sources"][0]["dr_snapshots"].append(snapshot("newer-but-unencrypted", "2026-12-04T11:30:00Z",
                                                        "us-west-2"))
    res = one(facts, dr.COPY, {"dr_rpo_target_minutes": 120})
    assert res["status"] == "fail" and res["details"]["copies"]["coder-db"]["rejected"] == [
        "newer-but-unencrypted is not encrypted"]


# --- dr.backup_plan --------------------------------------------------------------------------------------------------
def test_backup_plans_not_read_is_error_and_none_at_all_fails():
    facts = healthy()
    facts["backup_plans_found"] = None
    assert one(facts, dr.PLAN)["status"] == "error"
    facts["backup_plans_found"] = []
    res = one(facts, dr.PLAN)
    assert res["status"] == "fail" and "(there is no backup plan at all)" in res["summary"]


def test_a_plan_without_a_copy_to_the_dr_region_fails():
    facts = healthy()
    facts["backup_plans_found"][0]["rules"][0]["copy_to"] = ["arn:aws:backup:eu-west-2:123456789012:backup-vault:x"]
    res = one(facts, dr.PLAN)
    assert res["status"] == "fail" and "has a rule that copies to a vault in us-west-2" in res["summary"]


def test_a_plan_that_selects_neither_critical_resource_fails_naming_them():
    facts = healthy()
    facts["sources"][0]["tags"] = {}
    res = one(facts, dr.PLAN)
    assert res["status"] == "fail" and res["details"]["uncovered"] == ["cluster coder-db"]
    facts["lock_table"]["tags"] = {}
    assert one(facts, dr.PLAN)["details"]["uncovered"] == ["cluster coder-db", "lock table locks"]


@pytest.mark.parametrize("selection,covered", [
    ({"resources": [CLUSTER_ARN]}, True),
    ({"resources": ["arn:aws:rds:*:*:cluster:*"]}, True),
    ({"resources": ["*"]}, True),
    ({"resources": ["*"], "not_resources": ["arn:aws:rds:*:*:cluster:coder-*"]}, False),
    ({"tags": [{"key": "backup", "value": "dr"}]}, True),
    ({"tags": [{"key": "backup", "value": "weekly"}]}, False),
    ({"all_tags": [{"key": "backup", "value": "dr"}, {"key": "env", "value": "prod"}]}, False),
    ({"all_tags": [{"key": "backup", "value": "dr"}]}, True),
    ({}, False),
])
def test_selection_coverage(selection, covered):
    assert dr.selection_covers(selection, CLUSTER_ARN, {"backup": "dr"}) is covered


# --- dr.drill_recent -------------------------------------------------------------------------------------------------
def test_drill_branches():
    facts = healthy()
    assert one(facts, dr.DRILL, {"dr_drill_max_age_days": 7})["status"] == "warn"
    assert "passed 14 days ago, more than dr_drill_max_age_days 7" in one(
        facts, dr.DRILL, {"dr_drill_max_age_days": 7})["summary"]
    no_numbers = copy.deepcopy(facts)
    no_numbers["drill"]["record"] = {"passed_at": "2026-12-01T00:00:00Z"}
    assert one(no_numbers, dr.DRILL)["summary"] == "a DR drill passed 4 day(s) ago (at most 30)"
    facts["drill"]["record"] = {"passed_at": "yesterday"}
    assert one(facts, dr.DRILL)["status"] == "warn" and "no readable passed_at" in one(facts, dr.DRILL)["summary"]
    facts["drill"] = {"parameter": "/p", "exists": False, "record": None}
    res = one(facts, dr.DRILL)
    assert res["status"] == "warn" and "no DR drill has ever recorded a pass" in res["summary"] and res["remediation"]
    facts["drill"] = None
    assert one(facts, dr.DRILL)["status"] == "error"


def test_settings_given_as_strings_or_empty_use_the_value_or_the_default():
    facts = healthy()
    assert one(facts, dr.FRESH, {"dr_rpo_target_minutes": "60"})["status"] == "fail"
    assert one(facts, dr.FRESH, {"dr_rpo_target_minutes": ""})["status"] == "pass"
