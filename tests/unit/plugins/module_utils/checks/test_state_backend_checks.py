# -*- coding: utf-8 -*-
"""Every branch of every state backend check (plugins/module_utils/checks/state_backend.py), without any server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import state_backend as sb
from ansible_collections.coder.ai_platform.plugins.module_utils.checks import state_backend as sbc
from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import CATALOG, RESULT_KEYS

TARGET = "us-east-2"
KEY = "arn:aws:kms:us-east-2:123456789012:key/1111"
DR_KEY = "arn:aws:kms:us-west-2:123456789012:key/2222"
ROLE = "arn:aws:iam::123456789012:role/tfstate-replication"


def cmk(arn=KEY, **overrides):
    key = {"exists": True, "key_id": arn.rsplit("/", 1)[-1], "arn": arn, "key_state": "Enabled",
           "key_manager": "CUSTOMER", "rotation_enabled": True, "tags": {}}
    key.update(overrides)
    return key


def bucket_state(name, region, key_arn, replication=None):
    bucket = sb.absent_bucket(name)
    bucket.update(exists=True, owner="self", region=region, versioning="Enabled",
                  encryption={"sse_algorithm": "aws:kms", "kms_key_id": key_arn, "kms_key_arn": key_arn,
                              "bucket_key_enabled": True},
                  public_access_block=dict(sb.PUBLIC_ACCESS_BLOCK), ownership=sb.OWNERSHIP,
                  policy={"Statement": [sb.tls_deny_statement(name)]}, lifecycle=[sb.lifecycle_rule(90)],
                  replication=replication, kms_key=cmk(key_arn))
    return bucket


def healthy_facts():
    rule = sb.replication_rule("tfstate-us-west-2", DR_KEY)
    table = sb.absent_table("tf-locks")
    table.update(exists=True, arn="arn:t", status="ACTIVE", key_schema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                 attribute_types={"LockID": "S"}, billing_mode="PAY_PER_REQUEST",
                 sse={"status": "ENABLED", "sse_type": "KMS", "kms_key_arn": KEY}, deletion_protection=True,
                 pitr=True, kms_key=cmk())
    return {
        "region": TARGET, "account_id": "123456789012",
        "bucket": bucket_state("tfstate", TARGET, KEY, {"Role": ROLE, "Rules": [rule]}),
        "state_object": {"key": "platform/terraform.tfstate", "sse_algorithm": "aws:kms", "kms_key_id": KEY,
                         "version_id": "v3", "versions": 3},
        "lock_table": table,
        "replicas": [{"rule": rule, "bucket": bucket_state("tfstate-us-west-2", "us-west-2", DR_KEY)}],
        "backend_config": {"bucket": "tfstate", "use_lockfile": True},
        "errors": {},
    }


def by_id(results):
    return dict((r["id"], r) for r in results)


def judge(facts, locking="both"):
    return by_id(sbc.judge_state_backend(facts, TARGET, {"locking": locking}))


def test_catalog_entries_and_result_shape():
    for check_id, requirement in (("state_backend.encrypted", "1.5"), ("state_backend.versioned", "1.1"),
                                  ("state_backend.locking", "1.2"), ("state_backend.replicated", "1.4")):
        assert CATALOG[check_id]["requirement"] == requirement
    results = sbc.judge_state_backend(healthy_facts(), TARGET, {"locking": "both"})
    assert [r["id"] for r in results] == [sbc.ENCRYPTED, sbc.VERSIONED, sbc.LOCKING, sbc.REPLICATED]
    for item in results:
        assert item["status"] == "pass", item
        assert item["target"] == TARGET
        assert set(item) == set(RESULT_KEYS)


def test_healthy_summaries_say_what_was_verified():
    results = judge(healthy_facts())
    assert "customer managed key %s (rotation on), lock table too" % KEY in results[sbc.ENCRYPTED]["summary"]
    assert "(3 versions of platform/terraform.tfstate)" in results[sbc.VERSIONED]["summary"]
    assert "lock table tf-locks" in results[sbc.LOCKING]["summary"]
    assert "use_lockfile = true" in results[sbc.LOCKING]["summary"]
    assert "replicates to tfstate-us-west-2 in us-west-2" in results[sbc.REPLICATED]["summary"]


# --- gather failures and section errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("facts", [None, "oops", {"failed": True, "msg": "boto3 missing"}, {"msg": "crashed"}])
def test_a_failed_gather_makes_every_check_error(facts):
    for item in sbc.judge_state_backend(facts, TARGET, None):
        assert item["status"] == "error", item
        assert item["summary"].startswith("could not evaluate: ")


def test_failed_gather_without_message():
    assert judge({"failed": True})[sbc.VERSIONED]["summary"] == "could not evaluate: the gather task failed"


def test_bucket_unreadable_errors_bucket_checks_only_with_dynamodb_locking():
    facts = healthy_facts()
    facts["errors"] = {"bucket": "S3 bucket tfstate: AccessDenied"}
    results = judge(facts, locking="dynamodb")
    for check_id in (sbc.ENCRYPTED, sbc.VERSIONED, sbc.REPLICATED):
        assert results[check_id]["status"] == "error"
        assert "AccessDenied" in results[check_id]["summary"]
    assert results[sbc.LOCKING]["status"] == "pass"
    assert judge(facts, locking="lockfile")[sbc.LOCKING]["status"] == "error"


# --- missing or foreign bucket -------------------------------------------------------------------------------------------
def test_missing_bucket_fails_bucket_checks():
    facts = healthy_facts()
    facts["bucket"] = sb.absent_bucket("tfstate")
    results = judge(facts)
    for check_id in (sbc.ENCRYPTED, sbc.VERSIONED, sbc.REPLICATED, sbc.LOCKING):
        assert results[check_id]["status"] == "fail", check_id
    assert results[sbc.VERSIONED]["summary"] == "state bucket tfstate does not exist"
    assert "missing or not ours" in results[sbc.LOCKING]["summary"]


def test_foreign_bucket_fails_bucket_checks():
    facts = healthy_facts()
    facts["bucket"] = dict(sb.absent_bucket("tfstate"), owner="other")
    results = judge(facts, locking="dynamodb")
    for check_id in (sbc.ENCRYPTED, sbc.VERSIONED, sbc.REPLICATED):
        assert "belongs to another AWS account" in results[check_id]["summary"]


# --- state_backend.encrypted --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("encryption,key,fragment", [
    (None, None, "has no default encryption"),
    ({"sse_algorithm": "AES256"}, None, "default encryption is AES256, not SSE-KMS"),
    ({"sse_algorithm": "aws:kms", "kms_key_id": None}, None, "AWS managed key aws/s3"),
    ({"sse_algorithm": "aws:kms", "kms_key_id": "alias/x"}, None, "its KMS key could not be found"),
    ({"sse_algorithm": "aws:kms", "kms_key_id": "alias/x"}, {"error": "AccessDeniedException"}, "KMS key unreadable"),
    ({"sse_algorithm": "aws:kms", "kms_key_id": "alias/x"}, sb.absent_key(), "its KMS key does not exist"),
    ({"sse_algorithm": "aws:kms", "kms_key_id": KEY}, cmk(key_manager="AWS"), "uses the AWS managed key"),
    ({"sse_algorithm": "aws:kms", "kms_key_id": KEY}, cmk(key_state="PendingDeletion"), "in state PendingDeletion"),
])
def test_bucket_encryption_failures(encryption, key, fragment):
    facts = healthy_facts()
    facts["bucket"].update(encryption=encryption, kms_key=key)
    found = judge(facts)[sbc.ENCRYPTED]
    assert found["status"] == "fail" and fragment in found["summary"], found["summary"]
    assert found["remediation"]


def test_lock_table_with_aws_owned_or_managed_key_fails():
    facts = healthy_facts()
    facts["lock_table"]["sse"] = None
    assert "AWS owned key" in judge(facts)[sbc.ENCRYPTED]["summary"]
    facts["lock_table"].update(sse={"status": "ENABLED", "sse_type": "KMS", "kms_key_arn": "arn:aws-managed"},
                               kms_key=cmk("arn:aws-managed", key_manager="AWS"))
    found = judge(facts)[sbc.ENCRYPTED]
    assert found["status"] == "fail" and "lock table tf-locks uses the AWS managed key" in found["summary"]


def test_lock_table_is_not_judged_for_encryption_in_lockfile_mode_or_when_absent():
    facts = healthy_facts()
    facts["lock_table"]["sse"] = None
    assert judge(facts, locking="lockfile")[sbc.ENCRYPTED]["status"] == "pass"
    facts["lock_table"] = sb.absent_table("tf-locks")
    result = judge(facts, locking="dynamodb")[sbc.ENCRYPTED]
    assert result["status"] == "pass" and "lock table too" not in result["summary"]


def test_unencrypted_state_object_fails():
    facts = healthy_facts()
    facts["state_object"]["sse_algorithm"] = "AES256"
    assert "stored with AES256, not SSE-KMS" in judge(facts)[sbc.ENCRYPTED]["summary"]
    facts["state_object"]["sse_algorithm"] = None
    assert "stored with no encryption" in judge(facts)[sbc.ENCRYPTED]["summary"]


def test_no_state_object_yet_is_fine():
    facts = healthy_facts()
    facts["state_object"] = None
    assert judge(facts)[sbc.ENCRYPTED]["status"] == "pass"
    assert "versions of" not in judge(facts)[sbc.VERSIONED]["summary"]


def test_unreadable_table_or_state_object_errors_when_nothing_else_failed():
    facts = healthy_facts()
    facts["errors"] = {"lock_table": "DynamoDB: AccessDeniedException"}
    found = judge(facts)[sbc.ENCRYPTED]
    assert found["status"] == "error" and "DynamoDB: AccessDeniedException" in found["summary"]
    facts["errors"] = {"state_object": "S3 object: AccessDenied"}
    assert judge(facts)[sbc.ENCRYPTED]["status"] == "error"
    facts["bucket"]["encryption"] = None  # a real failure wins over an unreadable side
    assert judge(facts)[sbc.ENCRYPTED]["status"] == "fail"


def test_rotation_off_warns():
    facts = healthy_facts()
    facts["bucket"]["kms_key"]["rotation_enabled"] = False
    found = judge(facts)[sbc.ENCRYPTED]
    assert found["status"] == "warn" and "rotation is off" in found["summary"]
    assert "enable-key-rotation" in found["remediation"]


# --- state_backend.versioned ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status,fragment", [("Suspended", "versioning Suspended"), (None, "never had versioning")])
def test_versioning_not_enabled_fails(status, fragment):
    facts = healthy_facts()
    facts["bucket"]["versioning"] = status
    found = judge(facts)[sbc.VERSIONED]
    assert found["status"] == "fail" and fragment in found["summary"]


def test_lifecycle_expiring_current_versions_fails():
    facts = healthy_facts()
    facts["bucket"]["lifecycle"].append({"ID": "purge", "Status": "Enabled", "Expiration": {"Days": 30}})
    found = judge(facts)[sbc.VERSIONED]
    assert found["status"] == "fail" and "purge expire the current state version" in found["summary"]


# --- state_backend.locking ---------------------------------------------------------------------------------------------------
def table_with(**changes):
    facts = healthy_facts()
    facts["lock_table"].update(changes)
    return judge(facts, locking="dynamodb")[sbc.LOCKING]


@pytest.mark.parametrize("changes,status,fragment", [
    ({"exists": False}, "fail", "does not exist"),
    ({"key_schema": [{"AttributeName": "id", "KeyType": "HASH"}]}, "fail", "string hash key LockID"),
    ({"attribute_types": {"LockID": "N"}}, "fail", "string hash key LockID"),
    ({"status": "CREATING"}, "fail", "is CREATING, not ACTIVE"),
    ({"pitr": False}, "fail", "point-in-time recovery off"),
    ({"deletion_protection": False}, "warn", "deletion protection is off"),
    ({}, "pass", "lock table tf-locks (LockID"),
])
def test_dynamodb_locking(changes, status, fragment):
    found = table_with(**changes)
    assert found["status"] == status and fragment in found["summary"], found


def test_dynamodb_locking_without_table_facts_errors():
    facts = healthy_facts()
    facts["lock_table"] = None
    found = judge(facts, locking="dynamodb")[sbc.LOCKING]
    assert found["status"] == "error" and "no lock table name" in found["summary"]
    facts = healthy_facts()
    facts["errors"] = {"lock_table": "DynamoDB timeout"}
    found = judge(facts, locking="dynamodb")[sbc.LOCKING]
    assert found["summary"] == "could not evaluate: lock table: DynamoDB timeout"


def test_lockfile_locking():
    facts = healthy_facts()
    assert judge(facts, locking="lockfile")[sbc.LOCKING]["status"] == "pass"
    facts["backend_config"] = {"use_lockfile": False}
    found = judge(facts, locking="lockfile")[sbc.LOCKING]
    assert found["status"] == "fail" and "does not set use_lockfile" in found["summary"]
    facts["backend_config"] = None
    found = judge(facts, locking="lockfile")[sbc.LOCKING]
    assert found["status"] == "pass" and "backend.hcl not inspected" in found["summary"]
    facts["errors"] = {"backend_config": "backend.hcl: no such file"}
    assert judge(facts, locking="lockfile")[sbc.LOCKING]["status"] == "error"


def test_both_locking_reports_the_worst_side():
    facts = healthy_facts()
    facts["lock_table"]["pitr"] = False
    found = judge(facts, locking="both")[sbc.LOCKING]
    assert found["status"] == "fail" and found["summary"] == "lock table tf-locks has point-in-time recovery off"
    assert found["details"]["locking"] == "both" and found["details"]["use_lockfile"] is True


def test_default_locking_is_dynamodb_and_unknown_mode_errors():
    facts = healthy_facts()
    facts["lock_table"]["pitr"] = False
    assert by_id(sbc.judge_state_backend(facts, TARGET))[sbc.LOCKING]["status"] == "fail"
    found = judge(healthy_facts(), locking="consul")[sbc.LOCKING]
    assert found["status"] == "error" and "unknown locking mode" in found["summary"]


# --- state_backend.replicated ------------------------------------------------------------------------------------------------
def test_no_replication_configuration_fails():
    facts = healthy_facts()
    facts["bucket"]["replication"] = None
    found = judge(facts)[sbc.REPLICATED]
    assert found["status"] == "fail" and "no replication configuration" in found["summary"]


def test_replicas_unreadable_errors():
    facts = healthy_facts()
    facts["errors"] = {"replicas": "replication destination: timeout"}
    assert judge(facts)[sbc.REPLICATED]["status"] == "error"


def test_no_enabled_rule_fails():
    facts = healthy_facts()
    facts["replicas"][0]["rule"]["Status"] = "Disabled"
    found = judge(facts)[sbc.REPLICATED]
    assert found["status"] == "fail" and "none enabled" in found["summary"]


def replica_with(rule_changes=None, bucket_changes=None):
    facts = healthy_facts()
    facts["replicas"][0]["rule"].update(rule_changes or {})
    facts["replicas"][0]["bucket"].update(bucket_changes or {})
    return judge(facts)[sbc.REPLICATED]


@pytest.mark.parametrize("rule_changes,bucket_changes,fragment", [
    ({"SourceSelectionCriteria": {}}, None, "does not replicate SSE-KMS objects"),
    ({"Destination": {"Bucket": "arn:aws:s3:::tfstate-us-west-2"}}, None, "has no ReplicaKmsKeyID"),
    (None, {"owner": "other", "exists": False}, "belongs to another account"),
    (None, {"exists": False}, "replica bucket tfstate-us-west-2 does not exist"),
    (None, {"region": TARGET}, "is in the primary region us-east-2"),
    (None, {"versioning": "Suspended"}, "is not versioned (Suspended)"),
    (None, {"encryption": {"sse_algorithm": "AES256"}}, "replica bucket tfstate-us-west-2 default encryption is AES256"),
])
def test_each_replica_problem_fails(rule_changes, bucket_changes, fragment):
    found = replica_with(rule_changes, bucket_changes)
    assert found["status"] == "fail" and fragment in found["summary"], found["summary"]


def test_one_good_destination_among_several_passes():
    facts = healthy_facts()
    bad = copy.deepcopy(facts["replicas"][0])
    bad["rule"]["ID"] = "stale"
    bad["bucket"]["versioning"] = None
    facts["replicas"].insert(0, bad)
    found = judge(facts)[sbc.REPLICATED]
    assert found["status"] == "pass"
    assert [d["rule"] for d in found["details"]["destinations"]] == ["stale", sb.REPLICATION_RULE_ID]


def test_check_functions_called_directly_without_facts_error():
    assert sbc.check_versioned(None, TARGET)["summary"] == "could not evaluate: no state backend facts were gathered"
