# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Terraform state backend checks (requirement 1): pure functions from gathered facts to check results.

``facts`` is what ``terraform_state_backend_info`` returns::

    {"region", "account_id",
     "bucket": <bucket state, see state_backend.py> + {"kms_key": <key state> | None},
     "state_object": {key, sse_algorithm, kms_key_id, version_id, versions} | None,
     "lock_table": <table state> + {"kms_key": <key state> | None} | None,
     "replicas": [{"rule": <replication rule>, "bucket": <bucket state> + {"kms_key"}}],
     "backend_config": {bucket, key, ..., use_lockfile} | None,
     "errors": {"bucket" | "state_object" | "lock_table" | "replicas" | "backend_config": "why it could not be read"}}

``settings``: ``{"locking": "dynamodb" | "lockfile" | "both"}`` (default dynamodb, what requirement 1.2 names).
``target`` is the primary region's name (for example us-east-2); every result carries it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import (
    declare, error_result, gather_failure, judge_checks, result, worst,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.planners.state_backend import (
    LOCK_HASH_KEY, current_version_expiring_rules, uses_dynamodb, uses_lockfile,
)

FAMILY = "state_backend"
ENCRYPTED = "state_backend.encrypted"
VERSIONED = "state_backend.versioned"
LOCKING = "state_backend.locking"
REPLICATED = "state_backend.replicated"

DEFAULT_LOCKING = "dynamodb"


def _cause(facts, section):
    return gather_failure(facts, "state backend facts") or (facts.get("errors") or {}).get(section)


def _missing_bucket(check_id, target, bucket):
    """fail when the state bucket is absent or not ours; None when it can be judged."""
    if bucket.get("owner") == "other":
        return result(check_id, target, "fail", "state bucket %s belongs to another AWS account (or denies this one)"
                      % bucket.get("name"), {"bucket": bucket.get("name")})
    if not bucket.get("exists"):
        return result(check_id, target, "fail", "state bucket %s does not exist" % bucket.get("name"),
                      {"bucket": bucket.get("name")})
    return None


def _key_problem(key, what):
    """Why ``key`` (a key state, or None) is not a usable customer managed key, or None."""
    if not key:
        return "%s: its KMS key could not be found" % what
    if key.get("error"):
        return "%s: KMS key unreadable: %s" % (what, key["error"])
    if not key.get("exists"):
        return "%s: its KMS key does not exist" % what
    if key.get("key_manager") != "CUSTOMER":
        return "%s uses the AWS managed key %s, not a customer managed key" % (what, key.get("arn"))
    if key.get("key_state") != "Enabled":
        return "%s uses KMS key %s in state %s" % (what, key.get("arn"), key.get("key_state"))
    return None


def _bucket_encryption_problem(bucket):
    encryption = bucket.get("encryption")
    name = "bucket %s" % bucket.get("name")
    if not encryption:
        return "%s has no default encryption (S3 falls back to SSE-S3, not KMS)" % name
    if encryption.get("sse_algorithm") != "aws:kms":
        return "%s default encryption is %s, not SSE-KMS" % (name, encryption.get("sse_algorithm"))
    if not encryption.get("kms_key_id"):
        return "%s uses SSE-KMS with the AWS managed key aws/s3, not a customer managed key" % name
    return _key_problem(bucket.get("kms_key"), name)


# --- state_backend.encrypted -----------------------------------------------------------------------------------------
def check_encrypted(facts, target, settings):
    cause = _cause(facts, "bucket")
    if cause:
        return error_result(ENCRYPTED, target, cause)
    bucket = facts.get("bucket") or {}
    missing = _missing_bucket(ENCRYPTED, target, bucket)
    if missing:
        return missing
    encryption = bucket.get("encryption") or {}
    key = bucket.get("kms_key") or {}
    details = {"bucket": bucket.get("name"), "sse_algorithm": encryption.get("sse_algorithm"),
               "kms_key_arn": key.get("arn") or encryption.get("kms_key_id"),
               "bucket_key_enabled": encryption.get("bucket_key_enabled")}
    problems = []
    problem = _bucket_encryption_problem(bucket)
    if problem:
        problems.append(problem)
    table_cause = None
    if uses_dynamodb(settings.get("locking") or DEFAULT_LOCKING):
        table_cause = _cause(facts, "lock_table")
        table = facts.get("lock_table") or {}
        if not table_cause and table.get("exists"):
            sse = table.get("sse") or {}
            details["lock_table_sse"] = sse or None
            if not sse or sse.get("sse_type") != "KMS":
                problems.append("lock table %s is encrypted with the AWS owned key, not a customer managed key"
                                % table.get("name"))
            else:
                problem = _key_problem(table.get("kms_key"), "lock table %s" % table.get("name"))
                if problem:
                    problems.append(problem)
    state = facts.get("state_object")
    state_cause = _cause(facts, "state_object")
    if state and not state_cause:
        details["state_object"] = state
        if state.get("sse_algorithm") != "aws:kms":
            problems.append("state object %s is stored with %s, not SSE-KMS (written before default encryption?)"
                            % (state.get("key"), state.get("sse_algorithm") or "no encryption"))
    if problems:
        return result(ENCRYPTED, target, "fail", "; ".join(problems), details)
    if table_cause or state_cause:
        return error_result(ENCRYPTED, target, table_cause or state_cause, details)
    if not key.get("rotation_enabled"):
        return result(ENCRYPTED, target, "warn", "bucket %s uses customer managed key %s, but its automatic "
                      "rotation is off" % (bucket.get("name"), key.get("arn")), details,
                      remediation="Turn on rotation: `aws kms enable-key-rotation --key-id <key arn>`.")
    return result(ENCRYPTED, target, "pass", "bucket %s: SSE-KMS with customer managed key %s (rotation on)%s" % (
        bucket.get("name"), key.get("arn"), ", lock table too" if details.get("lock_table_sse") else ""), details)


# --- state_backend.versioned -----------------------------------------------------------------------------------------
def check_versioned(facts, target):
    cause = _cause(facts, "bucket")
    if cause:
        return error_result(VERSIONED, target, cause)
    bucket = facts.get("bucket") or {}
    missing = _missing_bucket(VERSIONED, target, bucket)
    if missing:
        return missing
    status = bucket.get("versioning")
    expiring = current_version_expiring_rules(bucket.get("lifecycle"))
    details = {"bucket": bucket.get("name"), "versioning": status, "current_version_expiring_rules": expiring}
    if status == "Suspended":
        return result(VERSIONED, target, "fail", "bucket %s has versioning Suspended: new state writes overwrite the "
                      "previous state without history" % bucket.get("name"), details)
    if status != "Enabled":
        return result(VERSIONED, target, "fail", "bucket %s has never had versioning enabled" % bucket.get("name"),
                      details)
    if expiring:
        return result(VERSIONED, target, "fail", "bucket %s is versioned, but lifecycle rule(s) %s expire the current "
                      "state version" % (bucket.get("name"), ", ".join(expiring)), details)
    state = facts.get("state_object") or {}
    if state.get("versions"):
        details["state_versions"] = state["versions"]
    return result(VERSIONED, target, "pass", "bucket %s: versioning Enabled%s" % (
        bucket.get("name"), " (%d versions of %s)" % (state["versions"], state.get("key"))
        if state.get("versions") else ""), details)


# --- state_backend.locking -------------------------------------------------------------------------------------------
def _dynamodb_verdict(facts):
    """(status, summary, details) for the DynamoDB lock table."""
    cause = _cause(facts, "lock_table")
    if cause:
        return "error", "lock table: %s" % cause, {}
    table = facts.get("lock_table")
    if not table or not table.get("name"):
        return "error", "no lock table name was given to the gather task", {}
    name = table["name"]
    details = {"lock_table": name, "key_schema": table.get("key_schema"), "status": table.get("status"),
               "pitr": table.get("pitr"), "deletion_protection": table.get("deletion_protection")}
    if not table.get("exists"):
        return "fail", "lock table %s does not exist" % name, details
    if table.get("key_schema") != [{"AttributeName": LOCK_HASH_KEY, "KeyType": "HASH"}] or \
            (table.get("attribute_types") or {}).get(LOCK_HASH_KEY) != "S":
        return "fail", "lock table %s does not have the string hash key %s Terraform needs" % (
            name, LOCK_HASH_KEY), details
    if table.get("status") != "ACTIVE":
        return "fail", "lock table %s is %s, not ACTIVE" % (name, table.get("status")), details
    if not table.get("pitr"):
        return "fail", "lock table %s has point-in-time recovery off" % name, details
    if not table.get("deletion_protection"):
        return "warn", "lock table %s works, but deletion protection is off" % name, details
    return "pass", "lock table %s (LockID, point-in-time recovery, deletion protection)" % name, details


def _lockfile_verdict(facts):
    cause = _cause(facts, "bucket") or _cause(facts, "backend_config")
    if cause:
        return "error", "S3 lockfile locking: %s" % cause, {}
    bucket = facts.get("bucket") or {}
    if not bucket.get("exists") or bucket.get("owner") == "other":
        return "fail", "S3 lockfile locking needs the state bucket %s, which is missing or not ours" % (
            bucket.get("name")), {}
    config = facts.get("backend_config")
    if config is None:
        return "pass", "S3 lockfile locking (use_lockfile) on bucket %s; backend.hcl not inspected" % (
            bucket.get("name")), {"use_lockfile": None}
    if config.get("use_lockfile") is not True:
        return "fail", "backend.hcl does not set use_lockfile = true", {"use_lockfile": config.get("use_lockfile")}
    return "pass", "S3 lockfile locking: backend.hcl sets use_lockfile = true", {"use_lockfile": True}


def check_locking(facts, target, settings):
    locking = settings.get("locking") or DEFAULT_LOCKING
    failure = gather_failure(facts, "state backend facts")
    if failure:
        return error_result(LOCKING, target, failure)
    verdicts = []
    if uses_dynamodb(locking):
        verdicts.append(_dynamodb_verdict(facts))
    if uses_lockfile(locking):
        verdicts.append(_lockfile_verdict(facts))
    if not verdicts:
        return error_result(LOCKING, target, "unknown locking mode %r (dynamodb, lockfile or both)" % locking)
    status = worst(v[0] for v in verdicts)
    details = {"locking": locking}
    for verdict in verdicts:
        details.update(verdict[2])
    # The summary names what decided the verdict: the worst verdicts only (all of them when everything passed).
    summary = "; ".join(v[1] for v in verdicts if v[0] == status)
    if status == "error":
        return error_result(LOCKING, target, summary, details)
    return result(LOCKING, target, status, summary, details)


# --- state_backend.replicated ----------------------------------------------------------------------------------------
def _replica_problems(rule, replica, primary_region):
    problems = []
    criteria = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}
    if criteria.get("Status") != "Enabled":
        problems.append("rule %s does not replicate SSE-KMS objects (SourceSelectionCriteria SseKmsEncryptedObjects)"
                        % rule.get("ID"))
    if not ((rule.get("Destination") or {}).get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"):
        problems.append("rule %s has no ReplicaKmsKeyID" % rule.get("ID"))
    name = replica.get("name")
    if replica.get("owner") == "other":
        problems.append("replica bucket %s belongs to another account (not verifiable)" % name)
    elif not replica.get("exists"):
        problems.append("replica bucket %s does not exist" % name)
    else:
        if replica.get("region") == primary_region:
            problems.append("replica bucket %s is in the primary region %s" % (name, primary_region))
        if replica.get("versioning") != "Enabled":
            problems.append("replica bucket %s is not versioned (%s)" % (name, replica.get("versioning")))
        problem = _bucket_encryption_problem(replica)
        if problem:
            problems.append(problem.replace("bucket", "replica bucket", 1))
    return problems


def check_replicated(facts, target):
    cause = _cause(facts, "bucket")
    if cause:
        return error_result(REPLICATED, target, cause)
    bucket = facts.get("bucket") or {}
    missing = _missing_bucket(REPLICATED, target, bucket)
    if missing:
        return missing
    config = bucket.get("replication")
    if not config or not config.get("Rules"):
        return result(REPLICATED, target, "fail", "bucket %s has no replication configuration" % bucket.get("name"),
                      {"bucket": bucket.get("name")})
    cause = _cause(facts, "replicas")
    if cause:
        return error_result(REPLICATED, target, cause)
    replicas = [r for r in facts.get("replicas") or [] if (r.get("rule") or {}).get("Status") == "Enabled"]
    if not replicas:
        return result(REPLICATED, target, "fail", "bucket %s has replication rules, none enabled" % bucket.get("name"),
                      {"bucket": bucket.get("name"), "rules": [r.get("ID") for r in config["Rules"]]})
    primary_region = bucket.get("region") or facts.get("region") or target
    evaluated = []
    for replica in replicas:
        destination = replica.get("bucket") or {}
        evaluated.append({"rule": replica["rule"].get("ID"), "replica_bucket": destination.get("name"),
                          "replica_region": destination.get("region"),
                          "problems": _replica_problems(replica["rule"], destination, primary_region)})
    details = {"bucket": bucket.get("name"), "role": config.get("Role"), "destinations": evaluated}
    good = [e for e in evaluated if not e["problems"]]
    if good:
        return result(REPLICATED, target, "pass", "bucket %s replicates to %s in %s (versioned, SSE-KMS with a "
                      "customer managed key)" % (bucket.get("name"), good[0]["replica_bucket"],
                                                 good[0]["replica_region"]), details)
    return result(REPLICATED, target, "fail", "; ".join(evaluated[0]["problems"]), details)


# --- declarations ----------------------------------------------------------------------------------------------
def _settings(ctx):
    return {"locking": ctx.settings.get("state_backend_locking") or DEFAULT_LOCKING}


def _judge_encrypted(ctx):
    return check_encrypted(ctx.facts["state_backend"], ctx.target, _settings(ctx))


def _judge_versioned(ctx):
    return check_versioned(ctx.facts["state_backend"], ctx.target)


def _judge_locking(ctx):
    return check_locking(ctx.facts["state_backend"], ctx.target, _settings(ctx))


def _judge_replicated(ctx):
    return check_replicated(ctx.facts["state_backend"], ctx.target)


declare(
    ENCRYPTED, FAMILY, "1.5", ("SEC08-BP01", "SEC08-BP02"), "high", ("state_backend.bucket",), "control_plane",
    "Terraform state is encrypted at rest with a customer managed KMS key",
    "Run playbooks/bootstrap_state_backend.yml: it sets SSE-KMS with the backend's customer managed key (bucket key "
    "on) as the bucket's default encryption and the same key on the lock table; then re-write old state objects "
    "(`terraform state push` or `aws s3 cp s3://<bucket>/<key> s3://<bucket>/<key> --sse aws:kms --sse-kms-key-id "
    "<key arn>`).",
    _judge_encrypted,
    fails_when="the bucket, state object or lock table is not encrypted with a customer-managed KMS key")
declare(
    VERSIONED, FAMILY, "1.1", ("REL09-BP01", "REL09-BP03"), "high", ("state_backend.bucket",), "control_plane",
    "The state bucket keeps every version of the state",
    "Enable versioning on the state bucket (`aws s3api put-bucket-versioning --bucket <bucket> "
    "--versioning-configuration Status=Enabled`) and remove lifecycle rules that expire current versions.",
    _judge_versioned,
    fails_when="versioning is off or suspended, or a lifecycle rule expires current versions")
declare(
    LOCKING, FAMILY, "1.2", ("OPS05-BP01", "REL08-BP05"), "high", ("state_backend",), "control_plane",
    "Terraform state locking is in place",
    "Run playbooks/bootstrap_state_backend.yml (it creates the LockID table with point-in-time recovery, and/or "
    "writes use_lockfile = true into backend.hcl), then `terraform init -reconfigure -backend-config=backend.hcl`.",
    _judge_locking,
    fails_when="no DynamoDB lock table with LockID (and PITR), or no S3 lockfile in backend.hcl, as `locking` asks")
declare(
    REPLICATED, FAMILY, "1.4", ("REL09-BP03", "REL13-BP02"), "medium", ("state_backend.bucket",), "control_plane",
    "Terraform state is replicated to a versioned, encrypted bucket in another region",
    "Run playbooks/bootstrap_state_backend.yml with state_backend_dr_region set: it creates the replica bucket, the "
    "replication role (decrypt with the source key, encrypt with the replica key) and the replication rule.",
    _judge_replicated,
    fails_when="no replication rule to a versioned, KMS-encrypted bucket in another region")

CHECK_IDS = (ENCRYPTED, VERSIONED, LOCKING, REPLICATED)


def judge_state_backend(facts, target, settings=None):
    """Every state backend check for one primary region's gathered facts."""
    facts = facts if isinstance(facts, dict) else {"failed": True, "msg": "no state backend facts were gathered"}
    gate = {"state_backend": facts, "regions": [{"name": target, "role": "control_plane"}],
            "settings": {"state_backend_locking": (settings or {}).get("locking")}}
    return judge_checks(gate, [FAMILY])
