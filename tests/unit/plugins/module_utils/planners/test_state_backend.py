# -*- coding: utf-8 -*-
"""Every branch of plugins/module_utils/planners/state_backend.py: desired documents, plans, refusals, backend.hcl, readers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import state_backend as sb

KEY = "arn:aws:kms:us-east-2:123456789012:key/1111"
DR_KEY = "arn:aws:kms:us-west-2:123456789012:key/2222"
ROLE = "arn:aws:iam::123456789012:role/tfstate-replication"


def params(**overrides):
    base = {"region": "us-east-2", "bucket": "tfstate", "replica_bucket": "tfstate-us-west-2", "replication": True,
            "dr_region": "us-west-2", "replication_role_name": "tfstate-replication", "kms_alias": "alias/tfstate",
            "locking": "both", "lock_table": "tf-locks", "noncurrent_days": 90, "state_key": "platform/terraform.tfstate"}
    base.update(overrides)
    return base


def compliant_bucket(name="tfstate", key=KEY, replication=True):
    bucket = sb.absent_bucket(name)
    bucket.update(exists=True, owner="self", region="us-east-2", versioning="Enabled",
                  encryption={"sse_algorithm": "aws:kms", "kms_key_id": key, "kms_key_arn": key,
                              "bucket_key_enabled": True},
                  public_access_block=dict(sb.PUBLIC_ACCESS_BLOCK), ownership=sb.OWNERSHIP,
                  policy={"Version": "2012-10-17", "Statement": [sb.tls_deny_statement(name)]},
                  lifecycle=[sb.lifecycle_rule(90)], tags={"team": "platform"})
    if replication:
        bucket["replication"] = {"Role": ROLE, "Rules": [sb.replication_rule("tfstate-us-west-2", DR_KEY)]}
    return bucket


def spec(replication=True, **overrides):
    base = {"region": "us-east-2", "key_arn": KEY, "noncurrent_days": 90, "tags": {"team": "platform"},
            "partition": "aws", "replication": {"role_arn": ROLE, "replica_bucket": "tfstate-us-west-2",
                                                "replica_key_arn": DR_KEY} if replication else None}
    base.update(overrides)
    return base


def sections(changes):
    return [section for section, dummy_before, dummy_after in changes]


# --- small helpers ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("locking,dynamodb,lockfile", [
    ("dynamodb", True, False), ("lockfile", False, True), ("both", True, True)])
def test_locking_modes(locking, dynamodb, lockfile):
    assert sb.uses_dynamodb(locking) is dynamodb
    assert sb.uses_lockfile(locking) is lockfile


@pytest.mark.parametrize("region,partition", [
    ("us-east-2", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), (None, "aws")])
def test_partition_of(region, partition):
    assert sb.partition_of(region) == partition


def test_arns_and_service_principals():
    assert sb.bucket_arn("b") == "arn:aws:s3:::b"
    assert sb.s3_service_principal("eu-west-2") == "s3.eu-west-2.amazonaws.com"
    assert sb.s3_service_principal("cn-north-1") == "s3.cn-north-1.amazonaws.com.cn"


def test_default_names_fit_aws_limits():
    assert sb.default_replica_bucket("tfstate", "us-west-2") == "tfstate-us-west-2"
    long_name = "a" * 60
    assert len(sb.default_replica_bucket(long_name, "us-west-2")) <= 63
    assert sb.default_role_name("tfstate") == "tfstate-replication"
    assert len(sb.default_role_name(long_name)) == 64


# --- parameters -----------------------------------------------------------------------------------------------------
def test_valid_parameters_have_no_errors():
    assert sb.parameter_errors(params()) == []
    assert sb.parameter_errors(params(locking="lockfile", lock_table=None)) == []
    assert sb.parameter_errors(params(replication=False, replica_bucket=None, dr_region=None)) == []


@pytest.mark.parametrize("overrides,fragment", [
    ({"region": None}, "region is required"),
    ({"bucket": "Bad_Bucket"}, "bucket 'Bad_Bucket' is not a valid"),
    ({"bucket": "a..b"}, "is not a valid S3 bucket name"),
    ({"replica_bucket": "x"}, "replica_bucket 'x'"),
    ({"replica_bucket": "tfstate"}, "replica_bucket must differ"),
    ({"dr_region": "us-east-2"}, "must be a region other than"),
    ({"replication_role_name": "x" * 65}, "replication_role_name"),
    ({"kms_alias": "tfstate"}, "kms_alias"),
    ({"kms_alias": "alias/aws/s3"}, "reserved alias/aws/"),
    ({"kms_alias": "alias/"}, "kms_alias"),
    ({"locking": "consul"}, "locking must be one of"),
    ({"lock_table": None}, "lock_table None"),
    ({"lock_table": "a b"}, "not a valid DynamoDB table name"),
    ({"noncurrent_days": 0}, "noncurrent_days"),
    ({"noncurrent_days": "90"}, "noncurrent_days"),
    ({"state_key": "/abs"}, "state_key"),
    ({"state_key": "dir/"}, "state_key"),
    ({"state_key": ""}, "state_key"),
])
def test_each_parameter_error(overrides, fragment):
    errors = sb.parameter_errors(params(**overrides))
    assert any(fragment in error for error in errors), errors


# --- policies -------------------------------------------------------------------------------------------------------
def test_policies_compare_semantically():
    left = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
                                                   "Resource": ["b", "a"], "Principal": "*",
                                                   "Condition": {"Bool": {"aws:SecureTransport": False}}}}
    right = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
                                                     "Resource": ["a", "b"], "Principal": {"AWS": "*"},
                                                     "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}}]}
    assert sb.policies_equal(left, right)
    assert not sb.policies_equal(left, None)
    assert sb.policies_equal(None, None)


def test_a_root_arn_and_its_account_id_are_the_same_principal():
    """amazon.aws's compare_policies: the hand-written comparison called these two different."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
    same = copy.deepcopy(trust)
    same["Statement"][0]["Principal"]["AWS"] = "123456789012"
    other = copy.deepcopy(trust)
    other["Statement"][0]["Principal"]["AWS"] = "210987654321"
    assert sb.policies_equal(trust, same)
    assert not sb.policies_equal(trust, other)
    role = dict(sb.absent_role("r"), exists=True, trust_policy=same, inline_policy={"Statement": []}, tags={})
    assert sections(sb.plan_role(role, trust, {"Statement": []}, None)) == []
    assert sections(sb.plan_role(role, other, {"Statement": []}, None)) == ["trust_policy"]


def test_parse_policy_accepts_dicts_strings_and_none():
    assert sb.parse_policy(None) is None
    assert sb.parse_policy({"a": 1}) == {"a": 1}
    assert sb.parse_policy('{"a": 1}') == {"a": 1}


def test_tls_deny_is_added_and_other_statements_are_kept():
    other = {"Sid": "AllowCi", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/ci"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::tfstate/*"}
    policy, changed = sb.desired_bucket_policy({"Version": "2012-10-17", "Id": "p1", "Statement": [other]}, "tfstate")
    assert changed
    assert policy["Id"] == "p1"
    assert policy["Statement"][0] == other
    assert policy["Statement"][1] == sb.tls_deny_statement("tfstate")
    again, changed = sb.desired_bucket_policy(policy, "tfstate")
    assert not changed and again is policy


def test_tls_deny_replaces_a_stale_statement_of_ours():
    stale = dict(sb.tls_deny_statement("tfstate"), Resource="arn:aws:s3:::elsewhere/*")
    policy, changed = sb.desired_bucket_policy({"Statement": [stale]}, "tfstate")
    assert changed and policy["Statement"] == [sb.tls_deny_statement("tfstate")]
    assert policy["Version"] == "2012-10-17"


def test_a_hand_written_tls_deny_under_another_sid_counts():
    hand = {"Sid": "ForceTLS", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}
    assert sb.denies_insecure_transport({"Statement": hand}, "tfstate")
    assert sb.desired_bucket_policy({"Statement": [hand]}, "tfstate")[1] is False


@pytest.mark.parametrize("change", [
    {"Effect": "Allow"}, {"Principal": {"AWS": "arn:aws:iam::1:root"}}, {"Action": "s3:GetObject"},
    {"Resource": ["arn:aws:s3:::tfstate"]}, {"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    {"Condition": {"StringEquals": {"aws:SecureTransport": "false"}}},
])
def test_near_misses_do_not_count_as_tls_deny(change):
    statement = dict(sb.tls_deny_statement("tfstate"), **change)
    assert not sb.denies_insecure_transport({"Statement": [statement]}, "tfstate")


# --- lifecycle --------------------------------------------------------------------------------------------------------
def test_lifecycle_rule_never_expires_current_versions():
    rule = sb.lifecycle_rule(30)
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert "Days" not in rule["Expiration"] and "Date" not in rule["Expiration"]
    assert sb.current_version_expiring_rules([rule]) == []


def test_lifecycle_rule_follows_the_older_prefix_form_of_other_rules():
    legacy = {"ID": "old", "Status": "Enabled", "Prefix": "logs/", "Expiration": {"Days": 3650}}
    rules, changed = sb.desired_lifecycle([legacy], 90)
    assert changed and rules[1]["Prefix"] == "" and "Filter" not in rules[1]
    assert sb.lifecycle_rule_matches(rules[1], 90)


def test_lifecycle_keeps_other_rules_and_replaces_ours():
    other = {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
             "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}
    rules, changed = sb.desired_lifecycle([other, sb.lifecycle_rule(30)], 90)
    assert changed and rules == [other, sb.lifecycle_rule(90)]
    same, changed = sb.desired_lifecycle(rules, 90)
    assert not changed and same == rules
    rules, changed = sb.desired_lifecycle(None, 90)
    assert changed and rules == [sb.lifecycle_rule(90)]


@pytest.mark.parametrize("change,matches", [
    ({}, True), ({"Filter": {}}, True), ({"Filter": None}, True), ({"Status": "Disabled"}, False),
    ({"Filter": {"Prefix": "env/"}}, False), ({"Prefix": "env/"}, False),
    ({"NoncurrentVersionExpiration": {"NoncurrentDays": 90, "NewerNoncurrentVersions": 3}}, False),
    ({"Expiration": {"Days": 30}}, False), ({"AbortIncompleteMultipartUpload": None}, False),
])
def test_lifecycle_rule_matching(change, matches):
    rule = dict(sb.lifecycle_rule(90), **change)
    assert sb.lifecycle_rule_matches(rule, 90) is matches


def test_current_version_expiring_rules_are_named():
    rules = [{"ID": "purge", "Status": "Enabled", "Expiration": {"Days": 30}},
             {"Status": "Enabled", "Expiration": {"Date": "2027-01-01T00:00:00Z"}},
             {"ID": "off", "Status": "Disabled", "Expiration": {"Days": 1}},
             {"ID": "markers", "Status": "Enabled", "Expiration": {"ExpiredObjectDeleteMarker": True}}]
    assert sb.current_version_expiring_rules(rules) == ["purge", "(no id)"]
    assert sb.current_version_expiring_rules(None) == []


# --- encryption, tags --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("current,matches", [
    (None, False),
    ({"sse_algorithm": "AES256", "bucket_key_enabled": True}, False),
    ({"sse_algorithm": "aws:kms", "kms_key_arn": KEY, "bucket_key_enabled": False}, False),
    ({"sse_algorithm": "aws:kms", "kms_key_id": "alias/x", "kms_key_arn": DR_KEY, "bucket_key_enabled": True}, False),
    ({"sse_algorithm": "aws:kms", "kms_key_id": "alias/x", "kms_key_arn": KEY, "bucket_key_enabled": True}, True),
    ({"sse_algorithm": "aws:kms", "kms_key_id": KEY, "bucket_key_enabled": True}, True),
])
def test_encryption_matches(current, matches):
    assert sb.encryption_matches(current, KEY) is matches


def test_encryption_request_has_bucket_key():
    rule = sb.encryption_request(KEY)["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}
    assert rule["BucketKeyEnabled"] is True


def test_tag_plan_follows_amazon_aws_purge_tags():
    assert sb.tag_plan({"a": "1"}, {"b": "2"}) == ({"a": "1", "b": "2"}, True)
    assert sb.tag_plan({"a": "1"}, {"a": "1"}) == ({"a": "1"}, False)
    assert sb.tag_plan({"a": "1"}, {"a": "2"}) == ({"a": "2"}, True)
    assert sb.tag_plan(None, None) == ({}, False)
    # None leaves the tags alone, purge or not; {} with purge removes every tag but the reserved aws: ones.
    assert sb.tag_plan({"a": "1"}, None, purge_tags=True) == ({"a": "1"}, False)
    assert sb.tag_plan({"a": "1", "aws:cloudformation:stack": "s"}, {}, purge_tags=True) == (
        {"aws:cloudformation:stack": "s"}, True)
    assert sb.tag_plan({"a": "1", "c": "3"}, {"b": "2"}, purge_tags=True) == ({"b": "2"}, True)
    assert sb.tag_plan({"a": "1"}, {}, purge_tags=False) == ({"a": "1"}, False)


def test_tag_updates_names_what_to_set_and_remove():
    to_set, to_unset = sb.tag_updates({"a": "1", "c": "3"}, {"a": "2", "b": "2"})
    assert to_set == {"a": "2", "b": "2"} and sorted(to_unset) == ["c"]
    assert sb.tag_updates(None, {}) == ({}, [])


def test_plans_change_no_tags_when_none_are_asked_for():
    key = dict(sb.absent_key(), exists=True, rotation_enabled=True, tags={"owner": "someone"})
    assert sb.plan_key(key, "alias/x", None) == []
    assert sb.plan_key(key, "alias/x", {}) == []
    assert sections(sb.plan_key(key, "alias/x", {}, purge_tags=True)) == ["tags"]
    assert sb.plan_bucket(compliant_bucket(), spec(tags=None)) == []


# --- replication --------------------------------------------------------------------------------------------------------
def test_replication_role_may_decrypt_with_source_and_encrypt_with_replica_key():
    policy = sb.replication_role_policy("tfstate", "tfstate-us-west-2", KEY, DR_KEY, "us-east-2", "us-west-2")
    by_sid = dict((s["Sid"], s) for s in policy["Statement"])
    decrypt, encrypt = by_sid["DecryptWithSourceKey"], by_sid["EncryptWithReplicaKey"]
    assert decrypt["Action"] == ["kms:Decrypt"] and decrypt["Resource"] == [KEY]
    assert decrypt["Condition"]["StringLike"]["kms:ViaService"] == "s3.us-east-2.amazonaws.com"
    # Bucket Key on: the encryption context is the bucket ARN, not the object ARN - both must be allowed.
    assert decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        "arn:aws:s3:::tfstate", "arn:aws:s3:::tfstate/*"]
    assert set(encrypt["Action"]) == {"kms:Encrypt", "kms:GenerateDataKey"} and encrypt["Resource"] == [DR_KEY]
    assert encrypt["Condition"]["StringLike"]["kms:ViaService"] == "s3.us-west-2.amazonaws.com"
    assert encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        "arn:aws:s3:::tfstate-us-west-2", "arn:aws:s3:::tfstate-us-west-2/*"]
    assert by_sid["WriteReplicas"]["Resource"] == ["arn:aws:s3:::tfstate-us-west-2/*"]
    assert "s3:GetObjectVersionForReplication" in by_sid["ReadSourceObjectVersions"]["Action"]
    assert sb.replication_trust_policy()["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}


def test_replication_rule_includes_kms_objects_and_replica_key():
    rule = sb.replication_rule("tfstate-us-west-2", DR_KEY)
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert rule["Destination"]["EncryptionConfiguration"] == {"ReplicaKmsKeyID": DR_KEY}
    assert sb.replication_rule_matches(rule, "tfstate-us-west-2", DR_KEY)


@pytest.mark.parametrize("path,value", [
    (("Status",), "Disabled"), (("DeleteMarkerReplication",), {"Status": "Enabled"}),
    (("SourceSelectionCriteria",), {}), (("Destination", "Bucket"), "arn:aws:s3:::other"),
    (("Destination", "EncryptionConfiguration"), {}), (("Filter",), {"Prefix": "env/"}),
])
def test_replication_rule_mismatches(path, value):
    rule = sb.replication_rule("tfstate-us-west-2", DR_KEY)
    target = rule
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert not sb.replication_rule_matches(rule, "tfstate-us-west-2", DR_KEY)


def test_desired_replication_adds_keeps_and_fixes():
    config, changed = sb.desired_replication(None, ROLE, "tfstate-us-west-2", DR_KEY)
    assert changed and config == {"Role": ROLE, "Rules": [sb.replication_rule("tfstate-us-west-2", DR_KEY)]}
    same, changed = sb.desired_replication(config, ROLE, "tfstate-us-west-2", DR_KEY)
    assert not changed and same is config
    other = {"ID": "logs", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "logs/"},
             "Destination": {"Bucket": "arn:aws:s3:::logs"}}
    config, changed = sb.desired_replication({"Role": "arn:aws:iam::1:role/old", "Rules": [other]}, ROLE,
                                             "tfstate-us-west-2", DR_KEY)
    assert changed and config["Role"] == ROLE and config["Rules"][0] == other
    assert config["Rules"][1]["Priority"] == 2  # priorities must stay unique
    stale = dict(sb.replication_rule("tfstate-us-west-2", "arn:old", priority=5))
    config, changed = sb.desired_replication({"Role": ROLE, "Rules": [stale]}, ROLE, "tfstate-us-west-2", DR_KEY)
    assert changed and config["Rules"] == [sb.replication_rule("tfstate-us-west-2", DR_KEY, priority=5)]


# --- plans and refusals ----------------------------------------------------------------------------------------------
def test_plan_key_creates_rotates_and_tags():
    assert sections(sb.plan_key(sb.absent_key(), "alias/tfstate", {"a": "b"})) == ["key"]
    current = {"exists": True, "key_id": "1", "arn": KEY, "key_state": "Enabled", "key_manager": "CUSTOMER",
               "rotation_enabled": False, "tags": {}}
    assert sections(sb.plan_key(current, "alias/tfstate", {"a": "b"})) == ["rotation", "tags"]
    current.update(rotation_enabled=True, tags={"a": "b"})
    assert sb.plan_key(current, "alias/tfstate", {"a": "b"}) == []


def test_key_refusals():
    assert sb.key_refusal(sb.absent_key(), "alias/x", "us-east-2") is None
    good = {"exists": True, "key_manager": "CUSTOMER", "key_state": "Enabled"}
    assert sb.key_refusal(good, "alias/x", "us-east-2") is None
    assert "AWS managed" in sb.key_refusal(dict(good, key_manager="AWS"), "alias/x", "us-east-2")
    assert "PendingDeletion" in sb.key_refusal(dict(good, key_state="PendingDeletion"), "alias/x", "us-east-2")


def test_bucket_refusals():
    assert sb.bucket_refusal(sb.absent_bucket("b"), "us-east-2", "state bucket") is None
    foreign = dict(sb.absent_bucket("b"), owner="other")
    assert "belongs to another AWS account" in sb.bucket_refusal(foreign, "us-east-2", "state bucket")
    suspended = dict(compliant_bucket(), versioning="Suspended")
    assert "versioning Suspended" in sb.bucket_refusal(suspended, "us-east-2", "state bucket")
    moved = dict(compliant_bucket(), region="eu-west-1")
    assert "is in eu-west-1, not us-east-2" in sb.bucket_refusal(moved, "us-east-2", "state bucket")
    assert sb.bucket_refusal(compliant_bucket(), "us-east-2", "state bucket") is None
    assert sb.bucket_refusal(dict(compliant_bucket(), versioning=None), "us-east-2", "state bucket") is None


def test_plan_for_a_new_bucket_sets_everything():
    changes = sb.plan_bucket(sb.absent_bucket("tfstate"), spec())
    assert sections(changes) == ["bucket", "versioning", "encryption", "public_access_block", "policy", "lifecycle",
                                 "tags", "replication"]
    assert changes[0][2] == {"name": "tfstate", "region": "us-east-2", "object_ownership": sb.OWNERSHIP}


def test_plan_for_a_compliant_bucket_is_empty():
    assert sb.plan_bucket(compliant_bucket(), spec()) == []
    assert sb.plan_bucket(compliant_bucket(replication=False), spec(replication=False)) == []


def test_plan_fixes_each_drifted_section_of_an_existing_bucket():
    bucket = compliant_bucket()
    bucket.update(versioning=None, encryption={"sse_algorithm": "AES256"}, public_access_block=None,
                  ownership="ObjectWriter", policy=None, lifecycle=[], tags={}, replication=None)
    changes = sb.plan_bucket(bucket, spec())
    assert sections(changes) == ["versioning", "encryption", "public_access_block", "ownership", "policy",
                                 "lifecycle", "tags", "replication"]
    assert dict((s, a) for s, dummy_b, a in changes)["versioning"] == "Enabled"  # never Suspended


def test_table_refusal_and_plans():
    assert sb.table_refusal(sb.absent_table("t")) is None
    table = {"name": "t", "exists": True, "key_schema": [{"AttributeName": "LockID", "KeyType": "HASH"}],
             "attribute_types": {"LockID": "S"}, "billing_mode": "PAY_PER_REQUEST",
             "sse": {"status": "ENABLED", "sse_type": "KMS", "kms_key_arn": KEY}, "deletion_protection": True,
             "pitr": True, "tags": {"a": "b"}}
    assert sb.table_refusal(table) is None
    assert "key schema" in sb.table_refusal(dict(table, key_schema=[{"AttributeName": "id", "KeyType": "HASH"}]))
    assert "key schema" in sb.table_refusal(dict(table, attribute_types={"LockID": "N"}))
    assert sections(sb.plan_table(sb.absent_table("t"), KEY, {})) == ["table", "pitr"]
    assert sb.plan_table(table, KEY, {"a": "b"}) == []
    drifted = dict(table, billing_mode="PROVISIONED", sse=None, deletion_protection=False, pitr=False, tags={})
    assert sections(sb.plan_table(drifted, KEY, {"a": "b"})) == [
        "billing_mode", "sse", "deletion_protection", "pitr", "tags"]
    assert sections(sb.plan_table(dict(table, sse={"status": "ENABLED", "sse_type": "KMS", "kms_key_arn": DR_KEY}),
                                  KEY, {})) == ["sse"]


def test_role_plans():
    trust = sb.replication_trust_policy()
    inline = sb.replication_role_policy("tfstate", "tfstate-us-west-2", KEY, DR_KEY, "us-east-2", "us-west-2")
    assert sections(sb.plan_role(sb.absent_role("r"), trust, inline, {})) == ["role", "inline_policy"]
    current = {"name": "r", "exists": True, "arn": ROLE, "trust_policy": copy.deepcopy(trust),
               "inline_policy": copy.deepcopy(inline), "tags": {}}
    assert sb.plan_role(current, trust, inline, {}) == []
    drifted = dict(current, trust_policy={"Statement": []}, inline_policy=None)
    assert sections(sb.plan_role(drifted, trust, inline, {"a": "b"})) == ["trust_policy", "inline_policy", "tags"]


def test_diff_and_descriptions():
    plans = [("bucket tfstate", [("bucket", None, {"name": "tfstate"}), ("versioning", None, "Enabled"),
                                 ("policy", {"Statement": []}, {"Statement": [1]})]),
             ("lock table t", [("deletion_protection", False, True)]),
             ("backend.hcl /x", [("file", "old", "new")])]
    diff = sb.diff_of(plans)
    assert diff["before"]["bucket tfstate"]["versioning"] is None
    assert diff["after"]["bucket tfstate"]["versioning"] == "Enabled"
    assert diff["after"]["backend.hcl /x"]["file"] == "new"
    assert sb.describe_changes(plans) == [
        "bucket tfstate: create", "bucket tfstate: versioning None -> Enabled", "bucket tfstate: update policy",
        "lock table t: deletion_protection False -> True", "backend.hcl /x: update file"]


# --- backend.hcl ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("locking,table,lockfile", [
    ("dynamodb", "t", None), ("lockfile", None, True), ("both", "t", True)])
def test_backend_settings_per_locking_mode(locking, table, lockfile):
    settings = sb.backend_settings("b", "k/terraform.tfstate", "us-east-2", KEY, locking, "t")
    assert settings["encrypt"] is True and settings["kms_key_id"] == KEY
    assert settings.get("dynamodb_table") == table
    assert settings.get("use_lockfile") == lockfile


def test_backend_hcl_round_trips():
    settings = sb.backend_settings("b", "k/terraform.tfstate", "us-east-2", KEY, "both", "t")
    settings["max_retries"] = 5
    text = sb.backend_hcl(settings)
    assert text.splitlines()[2].startswith("bucket ")
    assert 'use_lockfile   = true' in text
    assert sb.parse_backend_hcl(text + "\n// comment\n") == settings


@pytest.mark.parametrize("text", ["endpoints {\n", 'x = {s3 = "y"}', "x = maybe"])
def test_backend_hcl_parser_rejects_what_it_cannot_read(text):
    with pytest.raises(ValueError):
        sb.parse_backend_hcl(text)


def test_backend_hcl_parser_reads_false():
    assert sb.parse_backend_hcl("encrypt = false\nretries = -1") == {"encrypt": False, "retries": -1}


# --- readers, against a fake boto3 client -------------------------------------------------------------------------------
def client_error(code, status=400):
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "Op")


class FakeClient(object):
    """Answers each method from a dict: a value, or an exception to raise. Records the calls."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __getattr__(self, name):
        def method(**kwargs):
            kwargs.pop("aws_retry", None)
            self.calls.append((name, kwargs))
            answer = self.answers[name]
            if isinstance(answer, Exception):
                raise answer
            return copy.deepcopy(answer(**kwargs) if callable(answer) else answer)
        return method


def test_read_key_present_absent_and_aws_managed():
    kms = FakeClient({"describe_key": {"KeyMetadata": {"KeyId": "1", "Arn": KEY, "KeyState": "Enabled",
                                                       "KeyManager": "CUSTOMER"}},
                      "get_key_rotation_status": {"KeyRotationEnabled": True},
                      "list_resource_tags": {"Tags": [{"TagKey": "a", "TagValue": "b"}]}})
    assert sb.read_key(kms, "alias/x") == {"exists": True, "key_id": "1", "arn": KEY, "key_state": "Enabled",
                                           "key_manager": "CUSTOMER", "rotation_enabled": True, "tags": {"a": "b"}}
    kms.answers["describe_key"]["KeyMetadata"]["KeyManager"] = "AWS"
    assert sb.read_key(kms, "alias/aws/s3")["rotation_enabled"] is None
    assert sb.read_key(FakeClient({"describe_key": client_error("NotFoundException")}), "alias/x") == sb.absent_key()
    with pytest.raises(ClientError):
        sb.read_key(FakeClient({"describe_key": client_error("AccessDeniedException")}), "alias/x")


BUCKET_ANSWERS = {
    "head_bucket": {}, "get_bucket_location": {"LocationConstraint": None},
    "get_bucket_versioning": {"Status": "Enabled"},
    "get_bucket_encryption": {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY},
         "BucketKeyEnabled": True}]}},
    "get_public_access_block": {"PublicAccessBlockConfiguration": sb.PUBLIC_ACCESS_BLOCK},
    "get_bucket_ownership_controls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": sb.OWNERSHIP}]}},
    "get_bucket_policy": {"Policy": json.dumps({"Statement": [sb.tls_deny_statement("b")]})},
    "get_bucket_lifecycle_configuration": {"Rules": [sb.lifecycle_rule(90)]},
    "get_bucket_replication": {"ReplicationConfiguration": {"Role": ROLE, "Rules": []}},
    "get_bucket_tagging": {"TagSet": [{"Key": "a", "Value": "b"}]},
}


def test_read_bucket_reads_every_section_with_expected_owner():
    s3 = FakeClient(dict(BUCKET_ANSWERS))
    bucket = sb.read_bucket(s3, "b", "123456789012")
    assert bucket["exists"] and bucket["owner"] == "self" and bucket["region"] == "us-east-1"
    assert bucket["encryption"] == {"sse_algorithm": "aws:kms", "kms_key_id": KEY, "kms_key_arn": None,
                                    "bucket_key_enabled": True}
    assert bucket["policy"]["Statement"][0]["Sid"] == sb.TLS_STATEMENT_SID
    assert bucket["ownership"] == sb.OWNERSHIP and bucket["tags"] == {"a": "b"}
    assert all(kwargs["ExpectedBucketOwner"] == "123456789012" for dummy_name, kwargs in s3.calls)


def test_read_bucket_with_nothing_configured():
    answers = dict(BUCKET_ANSWERS, get_bucket_location={"LocationConstraint": "us-east-2"},
                   get_bucket_versioning={},
                   get_bucket_encryption=client_error("ServerSideEncryptionConfigurationNotFoundError"),
                   get_public_access_block=client_error("NoSuchPublicAccessBlockConfiguration"),
                   get_bucket_ownership_controls=client_error("OwnershipControlsNotFoundError"),
                   get_bucket_policy=client_error("NoSuchBucketPolicy"),
                   get_bucket_lifecycle_configuration=client_error("NoSuchLifecycleConfiguration"),
                   get_bucket_replication=client_error("ReplicationConfigurationNotFoundError"),
                   get_bucket_tagging=client_error("NoSuchTagSet"))
    bucket = sb.read_bucket(FakeClient(answers), "b", "1")
    assert bucket["region"] == "us-east-2" and bucket["versioning"] is None
    for section in ("encryption", "public_access_block", "ownership", "policy", "lifecycle", "replication"):
        assert bucket[section] is None, section
    assert bucket["tags"] == {}


def test_read_bucket_missing_foreign_and_broken():
    assert sb.read_bucket(FakeClient({"head_bucket": client_error("404", 404)}), "b", "1") == sb.absent_bucket("b")
    foreign = sb.read_bucket(FakeClient({"head_bucket": client_error("403", 403)}), "b", "1")
    assert foreign["owner"] == "other" and not foreign["exists"]
    with pytest.raises(ClientError):
        sb.read_bucket(FakeClient({"head_bucket": client_error("InternalError", 500)}), "b", "1")
    with pytest.raises(ClientError):
        sb.read_bucket(FakeClient(dict(BUCKET_ANSWERS, get_bucket_policy=client_error("AccessDenied", 403))), "b",
                       "1")


def test_read_table_present_and_absent():
    ddb = FakeClient({
        "describe_table": {"Table": {"TableArn": "arn:t", "TableStatus": "ACTIVE", "KeySchema": [
            {"AttributeName": "LockID", "KeyType": "HASH"}], "AttributeDefinitions": [
            {"AttributeName": "LockID", "AttributeType": "S"}], "BillingModeSummary": {
            "BillingMode": "PAY_PER_REQUEST"}, "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS",
                                                                  "KMSMasterKeyArn": KEY},
            "DeletionProtectionEnabled": True}},
        "describe_continuous_backups": {"ContinuousBackupsDescription": {
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}}},
        "list_tags_of_resource": {"Tags": [{"Key": "a", "Value": "b"}]}})
    table = sb.read_table(ddb, "t")
    assert table["pitr"] is True and table["billing_mode"] == "PAY_PER_REQUEST" and table["tags"] == {"a": "b"}
    assert table["sse"] == {"status": "ENABLED", "sse_type": "KMS", "kms_key_arn": KEY}
    assert table["attribute_types"] == {"LockID": "S"}
    del ddb.answers["describe_table"]["Table"]["SSEDescription"]
    del ddb.answers["describe_table"]["Table"]["BillingModeSummary"]
    table = sb.read_table(ddb, "t")
    assert table["sse"] is None and table["billing_mode"] == "PROVISIONED"
    assert sb.read_table(FakeClient({"describe_table": client_error("ResourceNotFoundException")}), "t") == \
        sb.absent_table("t")
    with pytest.raises(ClientError):
        sb.read_table(FakeClient({"describe_table": client_error("AccessDeniedException")}), "t")


def test_read_role_present_and_absent():
    trust = sb.replication_trust_policy()
    iam = FakeClient({"get_role": {"Role": {"Arn": ROLE, "AssumeRolePolicyDocument": trust}},
                      "get_role_policy": client_error("NoSuchEntity", 404), "list_role_tags": {"Tags": []}})
    role = sb.read_role(iam, "r")
    assert role["exists"] and role["trust_policy"] == trust and role["inline_policy"] is None
    assert sb.read_role(FakeClient({"get_role": client_error("NoSuchEntity", 404)}), "r") == sb.absent_role("r")
    with pytest.raises(ClientError):
        sb.read_role(FakeClient({"get_role": client_error("AccessDenied", 403)}), "r")


def stubbed_s3():
    """A real botocore S3 client behind Stubber, wrapped with AWSRetry as AnsibleAWSModule.client() wraps it."""
    import boto3
    from botocore.stub import Stubber
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
    client = boto3.client("s3", region_name="us-east-2", aws_access_key_id="AKIDEXAMPLE",
                          aws_secret_access_key="not-a-secret")
    return RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff()), Stubber(client)


def test_read_state_object_counts_every_version_across_pages():
    """list_object_versions answers 1000 versions a page: the reader follows the paginator to the end."""
    s3, stub = stubbed_s3()
    owner = {"Bucket": "b", "ExpectedBucketOwner": "1"}
    stub.add_response("head_object", {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY, "VersionId": "v2"},
                      dict(owner, Key="k"))
    page = [{"Key": "k", "VersionId": "v%d" % n} for n in range(1000)]
    stub.add_response("list_object_versions", {"IsTruncated": True, "Versions": page, "NextKeyMarker": "k",
                                               "NextVersionIdMarker": "v999"}, dict(owner, Prefix="k"))
    stub.add_response("list_object_versions", {"IsTruncated": False, "Versions": [
        {"Key": "k", "VersionId": "v1000"}, {"Key": "k.tflock", "VersionId": "x"}]},
        dict(owner, Prefix="k", KeyMarker="k", VersionIdMarker="v999"))
    with stub:
        assert sb.read_state_object(s3, "b", "k", "1") == {
            "key": "k", "sse_algorithm": "aws:kms", "kms_key_id": KEY, "version_id": "v2", "versions": 1001}
    stub.assert_no_pending_responses()


def test_read_state_object():
    assert sb.read_state_object(FakeClient({"head_object": client_error("404", 404)}), "b", "k", "1") is None
    with pytest.raises(ClientError):
        sb.read_state_object(FakeClient({"head_object": client_error("403", 403)}), "b", "k", "1")


def test_error_code_of_anything():
    assert sb.error_code(ValueError("x")) is None
    assert sb.error_code(client_error("Boom")) == "Boom"
