# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Terraform state backend (requirement 1): what it must look like, and what differs from that.

Pure functions first (desired bucket policy, lifecycle, replication configuration, IAM policies, backend.hcl, the
per-resource plans and refusals), then thin readers that take a boto3 client and return the plain dicts the pure
functions work on. Both ``terraform_state_backend`` (which changes things) and ``terraform_state_backend_info``
(which only reads, for the gate) use the same readers, so the module and the checks see the world the same way.

Resource states are plain dicts:

- key: ``{exists, key_id, arn, key_state, key_manager, rotation_enabled, tags}``
- bucket: ``{name, exists, owner ("self" | "other" | None), region, versioning ("Enabled" | "Suspended" | None),
  encryption ({sse_algorithm, kms_key_id, kms_key_arn, bucket_key_enabled} | None), public_access_block (dict | None),
  ownership (str | None), policy (dict | None), lifecycle (list | None), replication (dict | None), tags (dict)}``
- table: ``{name, exists, arn, status, key_schema, attribute_types, billing_mode, sse ({status, sse_type,
  kms_key_arn} | None), deletion_protection, pitr, tags}``
- role: ``{name, exists, arn, trust_policy, inline_policy, tags}``

A plan is a list of ``(section, before, after)`` changes, in the order they must be applied.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

try:
    from botocore.exceptions import ClientError
except ImportError:  # the modules report a missing botocore through AnsibleAWSModule
    ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict, compare_aws_tags

from ansible_collections.coder.ai_platform.plugins.module_utils.aws.policy import (  # noqa: F401 (re-exported)
    TLS_STATEMENT_SID, bucket_arn, denies_insecure_transport, policies_equal, statements_of, tls_deny_statement,
)

LOCKING_MODES = ("dynamodb", "lockfile", "both")
LIFECYCLE_RULE_ID = "terraform-state-noncurrent-versions"
REPLICATION_RULE_ID = "terraform-state-dr"
REPLICATION_POLICY_NAME = "terraform-state-replication"
LOCK_HASH_KEY = "LockID"
OWNERSHIP = "BucketOwnerEnforced"
ABORT_MULTIPART_DAYS = 7
POLICY_VERSION = "2012-10-17"
PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
ROLE_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")


def uses_dynamodb(locking):
    return locking in ("dynamodb", "both")


def uses_lockfile(locking):
    return locking in ("lockfile", "both")


def partition_of(region):
    if (region or "").startswith("cn-"):
        return "aws-cn"
    if (region or "").startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def s3_service_principal(region):
    """The ``kms:ViaService`` value of S3 in a region."""
    suffix = "amazonaws.com.cn" if partition_of(region) == "aws-cn" else "amazonaws.com"
    return "s3.%s.%s" % (region, suffix)


def default_replica_bucket(bucket, dr_region):
    return ("%s-%s" % (bucket, dr_region))[:63].rstrip("-.")


def default_role_name(bucket):
    return ("%s-replication" % bucket)[:64]


# --- parameters --------------------------------------------------------------------------------------------------
def parameter_errors(params):
    """Every problem with the module's parameters, before any API call. ``params`` has the module's option names
    plus ``region`` (the primary region)."""
    errors = []
    if not params.get("region"):
        errors.append("region is required (the primary region of the state bucket, e.g. us-east-2)")
    names = [("bucket", params.get("bucket"))]
    if params.get("replication"):
        names.append(("replica_bucket", params.get("replica_bucket")))
    for option, name in names:
        if not name or not BUCKET_NAME.match(name) or ".." in name:
            errors.append("%s %r is not a valid S3 bucket name (3-63 lowercase letters, digits, '.', '-')"
                          % (option, name))
    if params.get("replication"):
        if params.get("replica_bucket") == params.get("bucket"):
            errors.append("replica_bucket must differ from bucket")
        if not params.get("dr_region") or params.get("dr_region") == params.get("region"):
            errors.append("dr_region %r must be a region other than the primary region %r"
                          % (params.get("dr_region"), params.get("region")))
        role = params.get("replication_role_name")
        if not role or not ROLE_NAME.match(role):
            errors.append("replication_role_name %r is not a valid IAM role name (1-64 characters)" % role)
    alias = params.get("kms_alias") or ""
    if not alias.startswith("alias/") or alias.startswith("alias/aws/") or len(alias) <= len("alias/"):
        errors.append("kms_alias %r must look like alias/<name> and not use the reserved alias/aws/ prefix" % alias)
    if params.get("locking") not in LOCKING_MODES:
        errors.append("locking must be one of %s" % ", ".join(LOCKING_MODES))
    if uses_dynamodb(params.get("locking")):
        table = params.get("lock_table")
        if not table or not TABLE_NAME.match(table):
            errors.append("lock_table %r is not a valid DynamoDB table name (locking %s needs one)"
                          % (table, params.get("locking")))
    days = params.get("noncurrent_days")
    if not isinstance(days, int) or days < 1:
        errors.append("noncurrent_days must be a whole number of days, at least 1 (got %r)" % (days,))
    key = params.get("state_key") or ""
    if not key or key.startswith("/") or key.endswith("/"):
        errors.append("state_key %r must be an object key such as platform/terraform.tfstate" % key)
    return errors


# --- IAM policy documents ----------------------------------------------------------------------------------------
def parse_policy(document):
    """IAM returns policy documents URL-decoded as dicts through boto3, S3 as a JSON string."""
    if document is None or isinstance(document, dict):
        return document
    return json.loads(document)


# --- the state bucket ----------------------------------------------------------------------------------------------
def desired_bucket_policy(current, bucket, partition="aws"):
    """(policy, changed): the current policy with a TLS-only deny added; every other statement is kept."""
    if denies_insecure_transport(current, bucket, partition):
        return current, False
    statements = [s for s in statements_of(current) if s.get("Sid") != TLS_STATEMENT_SID]
    statements.append(tls_deny_statement(bucket, partition))
    policy = {"Version": (current or {}).get("Version") or POLICY_VERSION, "Statement": statements}
    if (current or {}).get("Id"):
        policy["Id"] = current["Id"]
    return policy, True


def lifecycle_rule(noncurrent_days, legacy=False):
    """Expire noncurrent versions after N days; never the current version (no Expiration Days/Date). Also removes
    delete markers left without versions and abandoned multipart uploads. ``legacy`` writes the rule-level Prefix
    instead of a Filter, for configurations whose other rules use that older form (S3 refuses mixing them)."""
    rule = {"ID": LIFECYCLE_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS}}
    if legacy:
        del rule["Filter"]
        rule["Prefix"] = ""
    return rule


def _whole_bucket(rule):
    """A rule with no filter, an empty filter or an empty prefix applies to every object."""
    if rule.get("Prefix"):
        return False
    rule_filter = rule.get("Filter")
    return not rule_filter or rule_filter == {"Prefix": ""}


def lifecycle_rule_matches(rule, noncurrent_days):
    return (rule.get("Status") == "Enabled" and _whole_bucket(rule)
            and (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays") == noncurrent_days
            and not (rule.get("NoncurrentVersionExpiration") or {}).get("NewerNoncurrentVersions")
            and rule.get("Expiration") == {"ExpiredObjectDeleteMarker": True}
            and rule.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": ABORT_MULTIPART_DAYS})


def desired_lifecycle(current_rules, noncurrent_days):
    """(rules, changed): our rule (by ID) set to the desired one; every other rule is kept as it is."""
    rules = list(current_rules or [])
    ours = [rule for rule in rules if rule.get("ID") == LIFECYCLE_RULE_ID]
    if len(ours) == 1 and lifecycle_rule_matches(ours[0], noncurrent_days):
        return rules, False
    others = [rule for rule in rules if rule.get("ID") != LIFECYCLE_RULE_ID]
    legacy = any("Prefix" in rule and "Filter" not in rule for rule in others)
    return others + [lifecycle_rule(noncurrent_days, legacy)], True


def current_version_expiring_rules(rules):
    """IDs of enabled lifecycle rules that expire current object versions (which would delete live state)."""
    found = []
    for rule in rules or []:
        expiration = rule.get("Expiration") or {}
        if rule.get("Status") == "Enabled" and (expiration.get("Days") or expiration.get("Date")):
            found.append(rule.get("ID") or "(no id)")
    return found


def encryption_config(key_arn):
    return {"sse_algorithm": "aws:kms", "kms_key_id": key_arn, "bucket_key_enabled": True}


def encryption_matches(current, key_arn):
    """SSE-KMS with exactly this key (compared by resolved ARN) and the S3 Bucket Key on."""
    if not current or current.get("sse_algorithm") != "aws:kms" or not current.get("bucket_key_enabled"):
        return False
    return key_arn in (current.get("kms_key_arn"), current.get("kms_key_id"))


def encryption_request(key_arn):
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                       "BucketKeyEnabled": True}]}


def tag_plan(current, desired, purge_tags=False):
    """(tags, changed): the tags a resource carries after the run, with amazon.aws's semantics - ``desired`` None
    leaves the tags alone; otherwise missing or different tags are set and, with ``purge_tags``, every other tag is
    removed (never the reserved ``aws:`` ones)."""
    current = dict(current or {})
    if desired is None:
        return current, False
    to_set, to_unset = compare_aws_tags(current, desired, purge_tags)
    after = dict((k, v) for k, v in current.items() if k not in to_unset)
    after.update(to_set)
    return after, bool(to_set or to_unset)


def tag_updates(before, after):
    """(tags to set as a dict, keys to remove) that turn ``before`` into ``after``."""
    return compare_aws_tags(dict(before or {}), dict(after or {}), purge_tags=True)


# --- replication ---------------------------------------------------------------------------------------------------
def replication_trust_policy():
    return {"Version": POLICY_VERSION, "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}


def replication_role_policy(bucket, replica_bucket, source_key_arn, replica_key_arn, region, dr_region):
    """What S3 needs to replicate SSE-KMS objects: read the source versions, write the replicas, decrypt with the
    source key and encrypt with the replica key - each key only through S3 in its region and only for these buckets.

    The encryption context is the object ARN without an S3 Bucket Key, but the *bucket* ARN with one (both buckets
    here have it on), so both are allowed: listing only ``bucket/*`` is the usual reason SSE-KMS replication fails.
    ``kms:GenerateDataKey`` on the replica key is what S3 calls when the destination uses a Bucket Key."""
    partition = partition_of(region)
    source, replica = bucket_arn(bucket, partition), bucket_arn(replica_bucket, partition)
    return {"Version": POLICY_VERSION, "Statement": [
        {"Sid": "ReadSourceReplicationConfiguration", "Effect": "Allow",
         "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": [source]},
        {"Sid": "ReadSourceObjectVersions", "Effect": "Allow",
         "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
         "Resource": [source + "/*"]},
        {"Sid": "WriteReplicas", "Effect": "Allow",
         "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], "Resource": [replica + "/*"]},
        {"Sid": "DecryptWithSourceKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [source_key_arn],
         "Condition": {"StringLike": {"kms:ViaService": s3_service_principal(region),
                                      "kms:EncryptionContext:aws:s3:arn": [source, source + "/*"]}}},
        {"Sid": "EncryptWithReplicaKey", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
         "Resource": [replica_key_arn],
         "Condition": {"StringLike": {"kms:ViaService": s3_service_principal(dr_region),
                                      "kms:EncryptionContext:aws:s3:arn": [replica, replica + "/*"]}}},
    ]}


def replication_rule(replica_bucket, replica_key_arn, partition="aws", priority=1):
    return {"ID": REPLICATION_RULE_ID, "Priority": priority, "Status": "Enabled", "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "Destination": {"Bucket": bucket_arn(replica_bucket, partition),
                            "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key_arn}}}


def replication_rule_matches(rule, replica_bucket, replica_key_arn, partition="aws"):
    destination = rule.get("Destination") or {}
    criteria = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}
    return (rule.get("Status") == "Enabled" and _whole_bucket(rule)
            and (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Disabled"
            and criteria.get("Status") == "Enabled"
            and destination.get("Bucket") == bucket_arn(replica_bucket, partition)
            and (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID") == replica_key_arn)


def desired_replication(current, role_arn, replica_bucket, replica_key_arn, partition="aws"):
    """(configuration, changed): our rule (by ID) and our role; other rules are kept (they then replicate with our
    role, since a bucket has one replication role)."""
    current = current or {}
    rules = list(current.get("Rules") or [])
    ours = [rule for rule in rules if rule.get("ID") == REPLICATION_RULE_ID]
    if (current.get("Role") == role_arn and len(ours) == 1
            and replication_rule_matches(ours[0], replica_bucket, replica_key_arn, partition)):
        return current, False
    others = [rule for rule in rules if rule.get("ID") != REPLICATION_RULE_ID]
    taken = set(rule.get("Priority") for rule in others)
    priority = ours[0].get("Priority", 1) if ours else 1
    while priority in taken:
        priority += 1
    rule = replication_rule(replica_bucket, replica_key_arn, partition, priority)
    return {"Role": role_arn, "Rules": others + [rule]}, True


# --- plans: what must change, per resource -------------------------------------------------------------------------
def absent_key():
    return {"exists": False, "key_id": None, "arn": None, "key_state": None, "key_manager": None,
            "rotation_enabled": None, "tags": {}}


def absent_bucket(name):
    return {"name": name, "exists": False, "owner": None, "region": None, "versioning": None, "encryption": None,
            "public_access_block": None, "ownership": None, "policy": None, "lifecycle": None, "replication": None,
            "tags": {}}


def absent_table(name):
    return {"name": name, "exists": False, "arn": None, "status": None, "key_schema": None, "attribute_types": {},
            "billing_mode": None, "sse": None, "deletion_protection": None, "pitr": None, "tags": {}}


def absent_role(name):
    return {"name": name, "exists": False, "arn": None, "trust_policy": None, "inline_policy": None, "tags": {}}


def key_refusal(current, alias, region):
    if not current.get("exists"):
        return None
    if current.get("key_manager") != "CUSTOMER":
        return "KMS alias %s in %s points to an AWS managed key; the state needs a customer managed key" % (
            alias, region)
    if current.get("key_state") != "Enabled":
        return ("KMS alias %s in %s points to key %s in state %s; refusing to use it (enable it, cancel its deletion, "
                "or choose another kms_alias)" % (alias, region, current.get("key_id"), current.get("key_state")))
    return None


def plan_key(current, alias, tags, purge_tags=False):
    if not current.get("exists"):
        return [("key", None, {"alias": alias, "key_spec": "SYMMETRIC_DEFAULT", "rotation_enabled": True,
                               "tags": dict(tags or {})})]
    changes = []
    if not current.get("rotation_enabled"):
        changes.append(("rotation", current.get("rotation_enabled"), True))
    merged, changed = tag_plan(current.get("tags"), tags, purge_tags)
    if changed:
        changes.append(("tags", current.get("tags"), merged))
    return changes


def bucket_refusal(current, region, purpose):
    """Why an existing bucket must not be touched, or None. ``purpose`` names it in the message."""
    name = current["name"]
    if current.get("owner") == "other":
        return ("%s %s exists but belongs to another AWS account (S3 answered 403 to ExpectedBucketOwner); refusing "
                "to touch it - choose another bucket name" % (purpose, name))
    if not current.get("exists"):
        return None
    if current.get("versioning") == "Suspended":
        return ("%s %s has versioning Suspended: objects written meanwhile have no history; refusing to adopt it. "
                "Investigate, then re-enable versioning yourself (aws s3api put-bucket-versioning "
                "--versioning-configuration Status=Enabled) or choose another bucket" % (purpose, name))
    if current.get("region") and current["region"] != region:
        return "%s %s is in %s, not %s; refusing to use it - choose another bucket name or region" % (
            purpose, name, current["region"], region)
    return None


def plan_bucket(current, spec):
    """Changes that make the bucket what ``spec`` says: ``{region, key_arn, noncurrent_days, tags, partition,
    replication ({role_arn, replica_bucket, replica_key_arn}) or None}``. Check mode may give placeholder ARNs."""
    partition = spec.get("partition", "aws")
    changes = []
    if not current.get("exists"):
        changes.append(("bucket", None, {"name": current["name"], "region": spec["region"],
                                         "object_ownership": OWNERSHIP}))
    if current.get("versioning") != "Enabled":
        changes.append(("versioning", current.get("versioning"), "Enabled"))
    if not encryption_matches(current.get("encryption"), spec["key_arn"]):
        changes.append(("encryption", current.get("encryption"), encryption_config(spec["key_arn"])))
    if current.get("public_access_block") != PUBLIC_ACCESS_BLOCK:
        changes.append(("public_access_block", current.get("public_access_block"), dict(PUBLIC_ACCESS_BLOCK)))
    if current.get("ownership") != OWNERSHIP and current.get("exists"):
        changes.append(("ownership", current.get("ownership"), OWNERSHIP))
    policy, changed = desired_bucket_policy(current.get("policy"), current["name"], partition)
    if changed:
        changes.append(("policy", current.get("policy"), policy))
    rules, changed = desired_lifecycle(current.get("lifecycle"), spec["noncurrent_days"])
    if changed:
        changes.append(("lifecycle", current.get("lifecycle"), rules))
    tags, changed = tag_plan(current.get("tags"), spec.get("tags"), spec.get("purge_tags", False))
    if changed:
        changes.append(("tags", current.get("tags"), tags))
    replication = spec.get("replication")
    if replication:
        config, changed = desired_replication(current.get("replication"), replication["role_arn"],
                                              replication["replica_bucket"], replication["replica_key_arn"], partition)
        if changed:
            changes.append(("replication", current.get("replication"), config))
    return changes


def table_refusal(current):
    if not current.get("exists"):
        return None
    schema = current.get("key_schema") or []
    if schema != [{"AttributeName": LOCK_HASH_KEY, "KeyType": "HASH"}] or \
            current.get("attribute_types", {}).get(LOCK_HASH_KEY) != "S":
        return ("DynamoDB table %s exists with key schema %s; Terraform needs exactly a string hash key %s. A key "
                "schema cannot be changed in place: refusing (choose another lock_table)"
                % (current["name"], json.dumps(schema), LOCK_HASH_KEY))
    return None


def table_sse_matches(current, key_arn):
    sse = current.get("sse") or {}
    return sse.get("status") in ("ENABLED", "ENABLING", "UPDATING") and sse.get("sse_type") == "KMS" and \
        sse.get("kms_key_arn") == key_arn


def plan_table(current, key_arn, tags, purge_tags=False):
    if not current.get("exists"):
        return [("table", None, {"name": current["name"], "hash_key": LOCK_HASH_KEY, "billing_mode": "PAY_PER_REQUEST",
                                 "sse": {"sse_type": "KMS", "kms_key_arn": key_arn}, "deletion_protection": True,
                                 "tags": dict(tags or {})}),
                ("pitr", None, True)]
    changes = []
    if current.get("billing_mode") != "PAY_PER_REQUEST":
        changes.append(("billing_mode", current.get("billing_mode"), "PAY_PER_REQUEST"))
    if not table_sse_matches(current, key_arn):
        changes.append(("sse", current.get("sse"), {"status": "ENABLED", "sse_type": "KMS", "kms_key_arn": key_arn}))
    if current.get("deletion_protection") is not True:
        changes.append(("deletion_protection", current.get("deletion_protection"), True))
    if current.get("pitr") is not True:
        changes.append(("pitr", current.get("pitr"), True))
    merged, changed = tag_plan(current.get("tags"), tags, purge_tags)
    if changed:
        changes.append(("tags", current.get("tags"), merged))
    return changes


def plan_role(current, trust_policy, inline_policy, tags, purge_tags=False):
    changes = []
    if not current.get("exists"):
        changes.append(("role", None, {"name": current["name"], "trust_policy": trust_policy, "tags": dict(tags or {})}))
    elif not policies_equal(current.get("trust_policy"), trust_policy):
        changes.append(("trust_policy", current.get("trust_policy"), trust_policy))
    if not policies_equal(current.get("inline_policy"), inline_policy):
        changes.append(("inline_policy", current.get("inline_policy"), inline_policy))
    if current.get("exists"):
        merged, changed = tag_plan(current.get("tags"), tags, purge_tags)
        if changed:
            changes.append(("tags", current.get("tags"), merged))
    return changes


def diff_of(plans):
    """Ansible's diff from ``[(resource label, changes)]``: only the sections that change, before and after."""
    before, after = {}, {}
    for label, changes in plans:
        for section, old, new in changes:
            before.setdefault(label, {})[section] = copy.deepcopy(old)
            after.setdefault(label, {})[section] = copy.deepcopy(new)
    return {"before": before, "after": after}


CREATE_SECTIONS = ("key", "bucket", "table", "role", "file")


def describe_changes(plans):
    """One line per change, for the result and the logs."""
    lines = []
    for label, changes in plans:
        for section, old, new in changes:
            if section in CREATE_SECTIONS and old is None:
                lines.append("%s: create" % label)
            elif isinstance(new, (dict, list)) or isinstance(old, (dict, list)) or section == "file":
                lines.append("%s: update %s" % (label, section))
            else:
                lines.append("%s: %s %s -> %s" % (label, section, old, new))
    return lines


# --- the backend configuration --------------------------------------------------------------------------------------
HCL_ORDER = ("bucket", "key", "region", "encrypt", "kms_key_id", "dynamodb_table", "use_lockfile")


def backend_settings(bucket, state_key, region, kms_key_arn, locking, lock_table):
    settings = {"bucket": bucket, "key": state_key, "region": region, "encrypt": True, "kms_key_id": kms_key_arn}
    if uses_dynamodb(locking):
        settings["dynamodb_table"] = lock_table
    if uses_lockfile(locking):
        settings["use_lockfile"] = True
    return settings


def _hcl_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def backend_hcl(settings):
    """A partial backend configuration for ``terraform init -backend-config=backend.hcl``."""
    keys = [key for key in HCL_ORDER if key in settings] + sorted(k for k in settings if k not in HCL_ORDER)
    width = max(len(key) for key in keys)
    lines = ["# Terraform S3 backend - written by coder.ai_platform.terraform_state_backend.",
             "# terraform init -backend-config=<this file>"]
    lines.extend("%s = %s" % (key.ljust(width), _hcl_value(settings[key])) for key in keys)
    return "\n".join(lines) + "\n"


_HCL_LINE = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$')


def parse_backend_hcl(text):
    """The flat ``key = value`` attributes of a backend.hcl (strings, booleans, numbers). Comments and blank lines
    are skipped; anything else (blocks, maps) raises ValueError, naming the line."""
    settings = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        match = _HCL_LINE.match(stripped)
        if not match:
            raise ValueError("line %d is not a key = value attribute: %s" % (number, stripped))
        key, raw = match.group(1), match.group(2)
        if raw in ("true", "false"):
            settings[key] = raw == "true"
        elif re.match(r"^-?[0-9]+$", raw):
            settings[key] = int(raw)
        elif raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            settings[key] = json.loads(raw)
        else:
            raise ValueError("line %d: unsupported value for %s: %s" % (number, key, raw))
    return settings


# --- readers: a boto3 client (wrapped with AWSRetry by the modules) in, a plain dict out ----------------------------
def error_code(err):
    return (getattr(err, "response", None) or {}).get("Error", {}).get("Code")


def _status(err):
    return (getattr(err, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")


def _optional(call, missing_codes, default=None):
    """Call; the codes that mean "not configured" give ``default``, every other error propagates."""
    try:
        return call()
    except ClientError as err:
        if error_code(err) in missing_codes:
            return default
        raise


def read_key(kms, key_ref):
    """The key an alias, key id or ARN names, with rotation and tags (AWS managed keys: no rotation/tag reads)."""
    try:
        meta = kms.describe_key(aws_retry=True, KeyId=key_ref)["KeyMetadata"]
    except ClientError as err:
        if error_code(err) == "NotFoundException":
            return absent_key()
        raise
    key = {"exists": True, "key_id": meta["KeyId"], "arn": meta["Arn"], "key_state": meta.get("KeyState"),
           "key_manager": meta.get("KeyManager"), "rotation_enabled": None, "tags": {}}
    if key["key_manager"] == "CUSTOMER" and key["key_state"] == "Enabled":
        key["rotation_enabled"] = kms.get_key_rotation_status(aws_retry=True, KeyId=meta["KeyId"])["KeyRotationEnabled"]
        tags = kms.list_resource_tags(aws_retry=True, KeyId=meta["KeyId"]).get("Tags") or []
        key["tags"] = boto3_tag_list_to_ansible_dict(tags, "TagKey", "TagValue")
    return key


def read_bucket(s3, name, account_id):
    """Everything about the bucket this collection manages. Every call carries ExpectedBucketOwner, so a bucket of
    another account is reported as ``owner: other`` and never read or written."""
    bucket = absent_bucket(name)
    owner = {"Bucket": name, "ExpectedBucketOwner": account_id}
    try:
        s3.head_bucket(aws_retry=True, **owner)
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchBucket") or _status(err) == 404:
            return bucket
        if error_code(err) in ("403", "AccessDenied") or _status(err) == 403:
            bucket["owner"] = "other"
            return bucket
        raise
    bucket.update(exists=True, owner="self")
    bucket["region"] = s3.get_bucket_location(aws_retry=True, **owner).get("LocationConstraint") or "us-east-1"
    bucket["versioning"] = s3.get_bucket_versioning(aws_retry=True, **owner).get("Status")
    rules = _optional(lambda: s3.get_bucket_encryption(aws_retry=True, **owner)["ServerSideEncryptionConfiguration"]
                      ["Rules"], ("ServerSideEncryptionConfigurationNotFoundError",), [])
    if rules:
        default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
        bucket["encryption"] = {"sse_algorithm": default.get("SSEAlgorithm"),
                                "kms_key_id": default.get("KMSMasterKeyID"), "kms_key_arn": None,
                                "bucket_key_enabled": bool(rules[0].get("BucketKeyEnabled"))}
    bucket["public_access_block"] = _optional(
        lambda: s3.get_public_access_block(aws_retry=True, **owner)["PublicAccessBlockConfiguration"],
        ("NoSuchPublicAccessBlockConfiguration",))
    ownership = _optional(lambda: s3.get_bucket_ownership_controls(aws_retry=True, **owner)["OwnershipControls"],
                          ("OwnershipControlsNotFoundError",))
    bucket["ownership"] = ((ownership or {}).get("Rules") or [{}])[0].get("ObjectOwnership")
    bucket["policy"] = parse_policy(_optional(lambda: s3.get_bucket_policy(aws_retry=True, **owner)["Policy"],
                                              ("NoSuchBucketPolicy",)))
    bucket["lifecycle"] = _optional(lambda: s3.get_bucket_lifecycle_configuration(aws_retry=True, **owner)["Rules"],
                                    ("NoSuchLifecycleConfiguration",))
    replication = _optional(lambda: s3.get_bucket_replication(aws_retry=True, **owner)["ReplicationConfiguration"],
                            ("ReplicationConfigurationNotFoundError",))
    bucket["replication"] = replication
    tags = _optional(lambda: s3.get_bucket_tagging(aws_retry=True, **owner)["TagSet"], ("NoSuchTagSet",), [])
    bucket["tags"] = boto3_tag_list_to_ansible_dict(tags)
    return bucket


def read_table(dynamodb, name):
    try:
        table = dynamodb.describe_table(aws_retry=True, TableName=name)["Table"]
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return absent_table(name)
        raise
    sse = table.get("SSEDescription")
    state = {"name": name, "exists": True, "arn": table.get("TableArn"), "status": table.get("TableStatus"),
             "key_schema": table.get("KeySchema"),
             "attribute_types": dict((a["AttributeName"], a["AttributeType"])
                                     for a in table.get("AttributeDefinitions") or []),
             "billing_mode": (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED",
             "sse": {"status": sse.get("Status"), "sse_type": sse.get("SSEType"),
                     "kms_key_arn": sse.get("KMSMasterKeyArn")} if sse else None,
             "deletion_protection": bool(table.get("DeletionProtectionEnabled")), "pitr": None, "tags": {}}
    backups = dynamodb.describe_continuous_backups(aws_retry=True, TableName=name)["ContinuousBackupsDescription"]
    state["pitr"] = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus") == "ENABLED"
    tags = dynamodb.list_tags_of_resource(aws_retry=True, ResourceArn=state["arn"]).get("Tags") or []
    state["tags"] = boto3_tag_list_to_ansible_dict(tags)
    return state


def read_role(iam, name):
    try:
        role = iam.get_role(aws_retry=True, RoleName=name)["Role"]
    except ClientError as err:
        if error_code(err) == "NoSuchEntity":
            return absent_role(name)
        raise
    inline = _optional(lambda: iam.get_role_policy(aws_retry=True, RoleName=name,
                                                   PolicyName=REPLICATION_POLICY_NAME)["PolicyDocument"],
                       ("NoSuchEntity",))
    tags = iam.list_role_tags(aws_retry=True, RoleName=name).get("Tags") or []
    return {"name": name, "exists": True, "arn": role["Arn"], "trust_policy": parse_policy(
        role.get("AssumeRolePolicyDocument")), "inline_policy": parse_policy(inline),
        "tags": boto3_tag_list_to_ansible_dict(tags)}


def read_state_object(s3, bucket, key, account_id):
    """The state object's encryption and version history (None when there is no state yet)."""
    try:
        head = s3.head_object(aws_retry=True, Bucket=bucket, Key=key, ExpectedBucketOwner=account_id)
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchKey", "NotFound") or _status(err) == 404:
            return None
        raise
    versions = paginated_query_with_retries(s3, "list_object_versions", Bucket=bucket, Prefix=key,
                                            ExpectedBucketOwner=account_id).get("Versions") or []
    return {"key": key, "sse_algorithm": head.get("ServerSideEncryption"), "kms_key_id": head.get("SSEKMSKeyId"),
            "version_id": head.get("VersionId"),
            "versions": len([v for v in versions if v.get("Key") == key])}
