#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: terraform_state_backend
short_description: Bootstrap a Terraform S3 state backend with KMS, versioning, locking and cross-region replication
version_added: 0.1.0
description:
  - Makes the Terraform state backend of requirement 1 exist and stay as it should, in one idempotent step.
  - A customer managed KMS key (rotation on) behind O(kms_alias), in the primary region and, with O(replication), in
    O(dr_region).
  - The state bucket - versioning C(Enabled), default encryption SSE-KMS with that key and the S3 Bucket Key on, all
    four public access blocks, object ownership C(BucketOwnerEnforced), a bucket policy statement that denies every
    request made without TLS (C(aws:SecureTransport) false), and a lifecycle rule that expires noncurrent versions after
    O(noncurrent_days) and never the current version.
  - With O(locking) C(dynamodb) or C(both), the DynamoDB lock table - string hash key C(LockID), on-demand, SSE with
    the customer managed key, point-in-time recovery and deletion protection on. C(lockfile) uses Terraform's S3 lock
    file (C(use_lockfile), Terraform 1.10 and later) and needs no table. See docs/state-backend.md for which to pick.
  - With O(replication), a replica bucket in O(dr_region) (versioned, SSE-KMS with the DR key, same protections), an
    IAM role S3 assumes to replicate (decrypt with the source key, encrypt with the replica key, both only through S3
    and only for these buckets), and a replication rule that includes SSE-KMS objects.
  - Returns the backend settings and, with O(backend_hcl_path), writes the C(backend.hcl) that
    C(terraform init -backend-config=backend.hcl) takes.
  - Never deletes or replaces a bucket, table, key or role, and never suspends versioning; bucket policy statements,
    lifecycle rules and replication rules it did not write are kept; tags follow O(tags) and O(purge_tags).
  - Refuses, with nothing changed, when a bucket of that name belongs to another account, an existing bucket has
    versioning suspended or lives in another region, an existing table has another key schema, or the alias points
    to a key that is disabled or pending deletion. Every check is made before the first change.
author:
  - Coder platform team (@coder)
options:
  bucket:
    description: Name of the state bucket, in the module's O(region). S3 bucket names are global; include something
      unique such as the account ID.
    type: str
    required: true
  state_key:
    description: The object key of the state (the backend's C(key)), for example C(platform/terraform.tfstate).
    type: str
    default: terraform.tfstate
  kms_alias:
    description: Alias of the customer managed KMS key (C(alias/...)); the same alias names the key in each region.
      Created with a new key when it does not exist.
    type: str
    default: alias/terraform-state
  locking:
    description:
      - How Terraform locks the state. C(dynamodb) - the DynamoDB table O(lock_table) (deprecated by Terraform from
        1.10, still supported); C(lockfile) - Terraform's S3 lock file next to the state (C(use_lockfile), Terraform
        1.10 and later); C(both) - both locks at once, the migration path HashiCorp recommends.
    type: str
    choices: [dynamodb, lockfile, both]
    default: both
  lock_table:
    description: Name of the DynamoDB lock table (used when O(locking) is C(dynamodb) or C(both)).
    type: str
    default: terraform-state-locks
  replication:
    description: Replicate the state bucket to O(replica_bucket) in O(dr_region). When false, nothing in the DR region
      is created and an existing replication configuration is left alone.
    type: bool
    default: true
  dr_region:
    description: The disaster-recovery region of the replica bucket and its KMS key; must differ from O(region).
    type: str
    default: us-west-2
  replica_bucket:
    description: Name of the replica bucket in O(dr_region). Defaults to O(bucket) plus C(-) plus O(dr_region).
    type: str
  replication_role_name:
    description: Name of the IAM role S3 assumes to replicate. Defaults to O(bucket) plus C(-replication).
    type: str
  noncurrent_days:
    description: Days after which a noncurrent (replaced or deleted) state version expires, in both buckets. The
      current version never expires.
    type: int
    default: 90
  backend_hcl_path:
    description: Where to write the backend configuration for C(terraform init -backend-config=...). Not written
      when omitted. Idempotent; check mode reports the change without writing.
    type: path
  tags:
    description:
      - Tags the key(s), buckets, table and role carry. Missing or different tags are set on new and existing
        resources. When omitted, new resources get no tags and the tags of existing ones are left as they are.
    type: dict
  purge_tags:
    description:
      - With O(tags) given, remove the tags not named there (never the reserved C(aws:) ones), as amazon.aws's
        modules do. Set it to false to keep tags that others put on the resources.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads everything, plans every change, changes nothing. ARNs of keys that do not exist yet are shown as
      placeholders.
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: full
    details: Before and after of every section that changes, per resource.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
notes:
  - Needs C(sts:GetCallerIdentity) and the S3, KMS, DynamoDB and IAM permissions to read and create the resources;
    the bucket calls carry C(ExpectedBucketOwner) so a bucket of another account is never read or written.
"""

EXAMPLES = r"""
- name: Bootstrap the state backend and write backend.hcl
  coder.ai_platform.terraform_state_backend:
    region: us-east-2
    bucket: ai-coder-tfstate-123456789012
    state_key: platform/terraform.tfstate
    kms_alias: alias/ai-coder-terraform-state
    locking: both
    lock_table: ai-coder-terraform-locks
    dr_region: us-west-2
    backend_hcl_path: "{{ playbook_dir }}/../terraform/backend.hcl"
  register: backend

- name: Show how to use it
  ansible.builtin.debug:
    msg: "terraform init -backend-config={{ backend.backend_hcl_path }}"
"""

RETURN = r"""
backend:
  description: The S3 backend settings (what backend.hcl holds). C(kms_key_id) is a placeholder in check mode while
    the key does not exist yet.
  returned: always
  type: dict
  sample: {"bucket": "ai-coder-tfstate", "key": "platform/terraform.tfstate", "region": "us-east-2",
           "encrypt": true, "kms_key_id": "arn:aws:kms:us-east-2:123456789012:key/1a2b...",
           "dynamodb_table": "terraform-state-locks", "use_lockfile": true}
backend_hcl:
  description: The text of backend.hcl.
  returned: always
  type: str
backend_hcl_path:
  description: Where backend.hcl was written (null when O(backend_hcl_path) was not given).
  returned: always
  type: str
kms_keys:
  description: The customer managed key per role - C(primary), and C(dr) with replication - each C(alias),
    C(region), C(arn).
  returned: always
  type: dict
replica:
  description: The replica bucket C(name), C(region) and the C(replication_role_arn); null without replication.
  returned: always
  type: dict
changes:
  description: One line per change made (or, in check mode, that would be made).
  returned: always
  type: list
  elements: str
  sample: ["bucket ai-coder-tfstate: create", "bucket ai-coder-tfstate: versioning None -> Enabled"]
refused:
  description: True when the module refused to touch an existing resource (the task fails, nothing changed).
  returned: failure
  type: bool
"""

import json
import os
import tempfile

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import state_backend as sb


class Backend(object):
    """One run: read everything, refuse or plan, apply in dependency order."""

    def __init__(self, module, params):
        self.module = module
        self.params = params
        self.region = params["region"]
        self.partition = sb.partition_of(self.region)
        self.check = module.check_mode
        self.plans = []
        retry = AWSRetry.jittered_backoff()
        self.sts = module.client("sts", retry_decorator=retry)
        self.s3 = module.client("s3", retry_decorator=retry)
        self.kms = module.client("kms", retry_decorator=retry)
        self.dynamodb = module.client("dynamodb", retry_decorator=retry)
        if params["replication"]:
            self.s3_dr = module.client("s3", retry_decorator=retry, region=params["dr_region"])
            self.kms_dr = module.client("kms", retry_decorator=retry, region=params["dr_region"])
            self.iam = module.client("iam", retry_decorator=retry)
        self.account = None

    def fail(self, err, msg):
        self.module.fail_json_aws(err, msg=msg, changes=sb.describe_changes(self.plans))

    # --- read and refuse -------------------------------------------------------------------------------------------
    def read(self):
        p = self.params
        try:
            self.account = self.sts.get_caller_identity(aws_retry=True)["Account"]
            self.key = sb.read_key(self.kms, p["kms_alias"])
            self.bucket = sb.read_bucket(self.s3, p["bucket"], self.account)
            self.table = sb.read_table(self.dynamodb, p["lock_table"]) if sb.uses_dynamodb(p["locking"]) else None
            if p["replication"]:
                self.dr_key = sb.read_key(self.kms_dr, p["kms_alias"])
                self.replica = sb.read_bucket(self.s3_dr, p["replica_bucket"], self.account)
                self.role = sb.read_role(self.iam, p["replication_role_name"])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            self.fail(err, "could not read the current state backend")
        reasons = [sb.key_refusal(self.key, p["kms_alias"], self.region), sb.bucket_refusal(
            self.bucket, self.region, "state bucket"), sb.table_refusal(self.table) if self.table else None]
        if p["replication"]:
            reasons += [sb.key_refusal(self.dr_key, p["kms_alias"], p["dr_region"]),
                        sb.bucket_refusal(self.replica, p["dr_region"], "replica bucket")]
        reasons = [reason for reason in reasons if reason]
        if reasons:
            self.module.fail_json(msg="refusing to change anything: " + "; ".join(reasons), refused=True,
                                  changed=False, reasons=reasons)
        try:
            for bucket, kms in [(self.bucket, self.kms)] + ([(self.replica, self.kms_dr)] if p["replication"] else []):
                self.resolve_encryption_key(bucket, kms)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            self.fail(err, "could not read the bucket encryption keys")

    @staticmethod
    def resolve_encryption_key(bucket, kms):
        encryption = bucket.get("encryption")
        if not encryption or not encryption.get("kms_key_id"):
            return
        key_id = encryption["kms_key_id"]
        if key_id.startswith("arn:") and ":key/" in key_id:
            encryption["kms_key_arn"] = key_id
        else:
            encryption["kms_key_arn"] = sb.read_key(kms, key_id).get("arn")

    # --- apply -----------------------------------------------------------------------------------------------------
    def record(self, label, changes):
        if changes:
            self.plans.append((label, changes))
        return changes

    def ensure_key(self, kms, current, region):
        alias, tags = self.params["kms_alias"], self.params["tags"]
        changes = self.record("kms key %s (%s)" % (alias, region),
                              sb.plan_key(current, alias, tags, self.params["purge_tags"]))
        if not current["exists"] and self.check:
            return "arn:%s:kms:%s:%s:key/(new key for %s)" % (self.partition, region, self.account, alias)
        key_id, arn = current.get("key_id"), current.get("arn")
        for section, before, after in [] if self.check else changes:
            if section == "key":
                meta = kms.create_key(aws_retry=True, Description="Terraform state (coder.ai_platform %s)" % alias,
                                      KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT",
                                      Tags=ansible_dict_to_boto3_tag_list(after["tags"], "TagKey", "TagValue")
                                      )["KeyMetadata"]
                key_id, arn = meta["KeyId"], meta["Arn"]
                kms.create_alias(aws_retry=True, AliasName=alias, TargetKeyId=key_id)
                kms.enable_key_rotation(aws_retry=True, KeyId=key_id)
            elif section == "rotation":
                kms.enable_key_rotation(aws_retry=True, KeyId=key_id)
            elif section == "tags":
                to_set, to_unset = sb.tag_updates(before, after)
                if to_unset:
                    kms.untag_resource(aws_retry=True, KeyId=key_id, TagKeys=to_unset)
                if to_set:
                    kms.tag_resource(aws_retry=True, KeyId=key_id,
                                     Tags=ansible_dict_to_boto3_tag_list(to_set, "TagKey", "TagValue"))
        return arn

    def ensure_bucket(self, s3, current, label, spec):
        changes = self.record("%s %s" % (label, current["name"]), sb.plan_bucket(current, spec))
        if self.check:
            return
        name, owner = current["name"], {"Bucket": current["name"], "ExpectedBucketOwner": self.account}
        for section, dummy_before, after in changes:
            if section == "bucket":
                request = {"Bucket": name, "ObjectOwnership": sb.OWNERSHIP}
                if spec["region"] != "us-east-1":
                    request["CreateBucketConfiguration"] = {"LocationConstraint": spec["region"]}
                try:
                    s3.create_bucket(aws_retry=True, **request)
                except is_boto3_error_code("BucketAlreadyExists"):
                    self.module.fail_json(msg="bucket %s was just taken by another account; nothing else changed "
                                              "in it - choose another name" % name, refused=True,
                                          changes=sb.describe_changes(self.plans))
                except is_boto3_error_code("BucketAlreadyOwnedByYou"):  # pylint: disable=duplicate-except
                    pass  # created by a concurrent run of ours a moment ago: carry on configuring it
                s3.get_waiter("bucket_exists").wait(**owner)
            elif section == "versioning":
                s3.put_bucket_versioning(aws_retry=True, VersioningConfiguration={"Status": "Enabled"}, **owner)
            elif section == "encryption":
                s3.put_bucket_encryption(aws_retry=True, **dict(
                    owner, ServerSideEncryptionConfiguration=sb.encryption_request(after["kms_key_id"])))
            elif section == "public_access_block":
                s3.put_public_access_block(aws_retry=True, PublicAccessBlockConfiguration=after, **owner)
            elif section == "ownership":
                s3.put_bucket_ownership_controls(aws_retry=True, OwnershipControls={
                    "Rules": [{"ObjectOwnership": after}]}, **owner)
            elif section == "policy":
                s3.put_bucket_policy(aws_retry=True, Policy=json.dumps(after), **owner)
            elif section == "lifecycle":
                s3.put_bucket_lifecycle_configuration(aws_retry=True, LifecycleConfiguration={"Rules": after},
                                                      **owner)
            elif section == "tags" and after:
                s3.put_bucket_tagging(aws_retry=True, Tagging={"TagSet": ansible_dict_to_boto3_tag_list(after)},
                                      **owner)
            elif section == "tags":
                s3.delete_bucket_tagging(aws_retry=True, **owner)
            elif section == "replication":
                # A role created moments ago may not be assumable yet: S3 answers InvalidRequest until IAM catches up.
                put = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["InvalidRequest"])(
                    s3.put_bucket_replication) if self.role_created else s3.put_bucket_replication
                put(ReplicationConfiguration=after, **owner)

    def ensure_role(self, trust, inline):
        current, tags = self.role, self.params["tags"]
        changes = self.record("replication role %s" % current["name"],
                              sb.plan_role(current, trust, inline, tags, self.params["purge_tags"]))
        self.role_created = any(section == "role" for section, dummy_b, dummy_a in changes) and not self.check
        arn = current.get("arn") or "arn:%s:iam::%s:role/%s" % (self.partition, self.account, current["name"])
        if self.check:
            return arn
        for section, before, after in changes:
            if section == "role":
                arn = self.iam.create_role(
                    aws_retry=True, RoleName=current["name"], AssumeRolePolicyDocument=json.dumps(trust),
                    Description="S3 replication of the Terraform state bucket %s" % self.params["bucket"],
                    Tags=ansible_dict_to_boto3_tag_list(after["tags"]))["Role"]["Arn"]
            elif section == "trust_policy":
                self.iam.update_assume_role_policy(aws_retry=True, RoleName=current["name"],
                                                   PolicyDocument=json.dumps(trust))
            elif section == "inline_policy":
                self.iam.put_role_policy(aws_retry=True, RoleName=current["name"],
                                         PolicyName=sb.REPLICATION_POLICY_NAME, PolicyDocument=json.dumps(inline))
            elif section == "tags":
                to_set, to_unset = sb.tag_updates(before, after)
                if to_unset:
                    self.iam.untag_role(aws_retry=True, RoleName=current["name"], TagKeys=to_unset)
                if to_set:
                    self.iam.tag_role(aws_retry=True, RoleName=current["name"],
                                      Tags=ansible_dict_to_boto3_tag_list(to_set))
        return arn

    def ensure_table(self, key_arn):
        current, name = self.table, self.params["lock_table"]
        plan = sb.plan_table(current, key_arn, self.params["tags"], self.params["purge_tags"])
        changes = self.record("lock table %s" % name, plan)
        if self.check:
            return
        ddb = self.dynamodb
        arn = current.get("arn")
        for section, before, after in changes:
            if section == "table":
                arn = ddb.create_table(
                    aws_retry=True, TableName=name, BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": sb.LOCK_HASH_KEY, "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": sb.LOCK_HASH_KEY, "KeyType": "HASH"}],
                    SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
                    DeletionProtectionEnabled=True,
                    **({"Tags": ansible_dict_to_boto3_tag_list(after["tags"])} if after["tags"] else {})
                )["TableDescription"]["TableArn"]
            elif section == "billing_mode":
                ddb.update_table(aws_retry=True, TableName=name, BillingMode="PAY_PER_REQUEST")
            elif section == "sse":
                ddb.update_table(aws_retry=True, TableName=name, SSESpecification={
                    "Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn})
            elif section == "deletion_protection":
                ddb.update_table(aws_retry=True, TableName=name, DeletionProtectionEnabled=True)
            elif section == "pitr":
                ddb.update_continuous_backups(aws_retry=True, TableName=name, PointInTimeRecoverySpecification={
                    "PointInTimeRecoveryEnabled": True})
            elif section == "tags":
                to_set, to_unset = sb.tag_updates(before, after)
                if to_unset:
                    ddb.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=to_unset)
                if to_set:
                    ddb.tag_resource(aws_retry=True, ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
            # DynamoDB takes one table update at a time: wait until it is ACTIVE again.
            ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 150})

    def ensure_backend_hcl(self, text):
        path = self.params["backend_hcl_path"]
        if not path:
            return
        current = None
        if os.path.exists(path):
            with open(path, "rb") as handle:
                current = handle.read().decode("utf-8", errors="replace")
        if current == text:
            return
        self.record("backend.hcl %s" % path, [("file", current, text)])
        if self.check:
            return
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            self.module.fail_json(msg="directory of backend_hcl_path does not exist: %s" % directory,
                                  changes=sb.describe_changes(self.plans))
        handle, temp = tempfile.mkstemp(dir=directory, prefix=".backend.hcl.")
        with os.fdopen(handle, "wb") as out:
            out.write(to_bytes(text))
        os.chmod(temp, 0o644)
        self.module.atomic_move(temp, path)

    def run(self):
        p = self.params
        self.read()
        self.role_created = False
        try:
            key_arn = self.ensure_key(self.kms, self.key, self.region)
            spec = {"region": self.region, "key_arn": key_arn, "noncurrent_days": p["noncurrent_days"],
                    "tags": p["tags"], "purge_tags": p["purge_tags"], "partition": self.partition,
                    "replication": None}
            replica = None
            kms_keys = {"primary": {"alias": p["kms_alias"], "region": self.region, "arn": key_arn}}
            if p["replication"]:
                dr_key_arn = self.ensure_key(self.kms_dr, self.dr_key, p["dr_region"])
                kms_keys["dr"] = {"alias": p["kms_alias"], "region": p["dr_region"], "arn": dr_key_arn}
                self.ensure_bucket(self.s3_dr, self.replica, "replica bucket",
                                   dict(spec, region=p["dr_region"], key_arn=dr_key_arn))
                role_arn = self.ensure_role(sb.replication_trust_policy(), sb.replication_role_policy(
                    p["bucket"], p["replica_bucket"], key_arn, dr_key_arn, self.region, p["dr_region"]))
                spec["replication"] = {"role_arn": role_arn, "replica_bucket": p["replica_bucket"],
                                       "replica_key_arn": dr_key_arn}
                replica = {"name": p["replica_bucket"], "region": p["dr_region"], "replication_role_arn": role_arn}
            self.ensure_bucket(self.s3, self.bucket, "bucket", spec)
            if self.table is not None:
                self.ensure_table(key_arn)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError,
                botocore.exceptions.WaiterError) as err:
            self.fail(err, "could not bring the state backend to the desired state")
        settings = sb.backend_settings(p["bucket"], p["state_key"], self.region, key_arn, p["locking"],
                                       p["lock_table"])
        text = sb.backend_hcl(settings)
        try:
            self.ensure_backend_hcl(text)
        except (IOError, OSError) as err:
            self.module.fail_json(msg="could not write %s: %s" % (p["backend_hcl_path"], to_native(err)),
                                  changes=sb.describe_changes(self.plans))
        for rule_id in sb.current_version_expiring_rules((self.bucket.get("lifecycle") or [])):
            self.module.warn("lifecycle rule %s of bucket %s expires current object versions, which deletes live "
                             "state; it was left as it is" % (rule_id, p["bucket"]))
        result = dict(changed=bool(self.plans), backend=settings, backend_hcl=text,
                      backend_hcl_path=p["backend_hcl_path"], kms_keys=kms_keys, replica=replica,
                      changes=sb.describe_changes(self.plans))
        if self.module._diff:
            result["diff"] = sb.diff_of(self.plans)
        self.module.exit_json(**result)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            state_key=dict(type="str", default="terraform.tfstate", no_log=False),
            kms_alias=dict(type="str", default="alias/terraform-state"),
            locking=dict(type="str", choices=["dynamodb", "lockfile", "both"], default="both"),
            lock_table=dict(type="str", default="terraform-state-locks"),
            replication=dict(type="bool", default=True),
            dr_region=dict(type="str", default="us-west-2"),
            replica_bucket=dict(type="str"),
            replication_role_name=dict(type="str"),
            noncurrent_days=dict(type="int", default=90),
            backend_hcl_path=dict(type="path"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = dict(module.params)
    params["region"] = module.region
    params["replica_bucket"] = params["replica_bucket"] or sb.default_replica_bucket(params["bucket"],
                                                                                     params["dr_region"])
    params["replication_role_name"] = params["replication_role_name"] or sb.default_role_name(params["bucket"])
    if params["tags"] is not None:
        params["tags"] = dict((str(k), str(v)) for k, v in params["tags"].items())
    errors = sb.parameter_errors(params)
    if errors:
        module.fail_json(msg="; ".join(errors))
    Backend(module, params).run()


if __name__ == "__main__":
    main()
