#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dr_snapshot
short_description: Ensure a fresh snapshot of an Aurora cluster or RDS instance and its encrypted copy in the DR region
version_added: 0.1.0
description:
  - The verified, atomic "fresh and copied" step of requirement 7, for an Aurora cluster (O(db_cluster_identifier))
    or a standalone RDS instance (O(db_instance_identifier)).
  - In the primary region (O(region)) it uses the newest snapshot of the source that it made itself when that one is
    younger than O(max_age), and otherwise creates one named O(snapshot_prefix)C(-YYYYMMDD-HHMMSS).
  - It copies that snapshot to O(dr_region), re-encrypted with O(dr_kms_key_id), a customer managed KMS key of that
    region (an AWS managed key, a disabled key or a key of another region is refused before anything changes).
  - Both snapshots carry the tags C(coder.ai_platform/dr-snapshot=true), C(coder.ai_platform/source-arn) (the
    cluster's or instance's ARN), C(coder.ai_platform/created-at) (the time of the data, the same on the copy) and
    C(coder.ai_platform/purpose) (O(purpose)); the copy also C(coder.ai_platform/copy-of) (the primary snapshot's
    ARN), plus O(tags) on both.
  - It waits until the snapshot and then the copy are C(available), all within one O(wait_timeout); the task fails
    when the time runs out, saying what was done.
  - It keeps O(keep) snapshots per region. With O(prune=true), and only then, it deletes the older snapshots of this
    source that carry its tags, after the fresh copy is verified; automated snapshots and snapshots made by anyone
    else are never touched. Without O(prune), the result lists what would be deleted (RV(prunable)).
  - Idempotent - a second run within O(max_age) changes nothing - with full check mode and diff.
  - The copy is made with C(CopyDBClusterSnapshot) / C(CopyDBSnapshot) directly, not through
    amazon.aws.rds_cluster_snapshot / amazon.aws.rds_instance_snapshot - those (amazon.aws 10.x) have no KMS key
    option, and a cross-region copy of an encrypted snapshot needs C(KmsKeyId) of the destination region. The
    snapshot listings reuse amazon.aws's paginated, retrying RDS helpers.
author:
  - Coder platform team (@coder)
options:
  db_cluster_identifier:
    description: The Aurora cluster to snapshot. Exactly one of O(db_cluster_identifier) and O(db_instance_identifier)
      is required.
    type: str
  db_instance_identifier:
    description: The standalone RDS instance to snapshot (not an Aurora cluster member - snapshot its cluster).
    type: str
  dr_region:
    description: The disaster-recovery region the snapshot is copied to; must differ from O(region).
    type: str
    default: us-west-2
  dr_kms_key_id:
    description: The customer managed KMS key of O(dr_region) the copy is encrypted with - key id, alias
      (C(alias/...)) or ARN.
    type: str
    required: true
  max_age:
    description: A snapshot of ours younger than this is fresh enough and is used instead of making a new one. A whole
      number with a unit C(s), C(m), C(h), C(d) or C(w) (C(24h), C(90m)); seconds when there is no unit. Keep it
      below the RPO target.
    type: str
    default: 24h
  keep:
    description: How many of its snapshots of this source to keep in each region (the one this run uses counts).
    type: int
    default: 7
  prune:
    description: Delete this source's snapshots beyond O(keep) that carry the module's tags, in both regions. Nothing is
      deleted unless this is true.
    type: bool
    default: false
  snapshot_prefix:
    description: The start of the snapshot identifiers. Defaults to C(dr-) plus the source's identifier.
    type: str
  purpose:
    description: The value of the C(coder.ai_platform/purpose) tag.
    type: str
    default: disaster-recovery
  tags:
    description: More tags for both snapshots (the module's own C(coder.ai_platform/*) tags win on a clash).
    type: dict
  wait_timeout:
    description: Seconds the whole run may wait for the snapshot and the copy to become available.
    type: int
    default: 3600
  poll_interval:
    description: Seconds between two looks at a snapshot that is being made.
    type: int
    default: 15
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads everything and plans every change; creates, copies and deletes nothing.
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: full
    details: The identifiers of this source's DR snapshots per region, before and after.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
notes:
  - Needs C(rds:DescribeDBClusters) or C(rds:DescribeDBInstances), C(rds:DescribeDBClusterSnapshots) /
    C(rds:DescribeDBSnapshots), C(rds:CreateDBClusterSnapshot) / C(rds:CreateDBSnapshot), C(rds:AddTagsToResource),
    C(rds:CopyDBClusterSnapshot) / C(rds:CopyDBSnapshot) in O(dr_region), C(kms:DescribeKey), C(kms:CreateGrant) and
    C(kms:Decrypt) on the source key and C(kms:Encrypt)/C(kms:GenerateDataKey*)/C(kms:CreateGrant) on
    O(dr_kms_key_id); with O(prune) also C(rds:DeleteDBClusterSnapshot) / C(rds:DeleteDBSnapshot).
  - The copy is an incremental snapshot copy in AWS after the first; the first copy of a large database takes long -
    size O(wait_timeout) after it.
"""

EXAMPLES = r"""
- name: A fresh Coder database snapshot, copied to us-west-2 under the DR key; keep a week of them
  coder.ai_platform.dr_snapshot:
    region: us-east-2
    db_cluster_identifier: coder-db
    dr_region: us-west-2
    dr_kms_key_id: alias/coder-dr
    max_age: 12h
    keep: 7
    prune: true
    wait_timeout: 7200
  register: dr

- name: Show the copy
  ansible.builtin.debug:
    msg: "{{ dr.dr_copy.arn }} holds data of {{ dr.snapshot.data_time }}"
"""

RETURN = r"""
source:
  description: The cluster or instance - C(kind) (cluster or instance), C(id), C(arn), C(status).
  returned: always
  type: dict
snapshot:
  description: The primary-region snapshot this run uses or made - C(id), C(arn), C(data_time), C(age_seconds),
    C(status), C(kms_key_id). Only C(id) is known in check mode for one still to be made.
  returned: always
  type: dict
dr_copy:
  description: The copy in O(dr_region) - C(id), C(arn), C(data_time), C(age_seconds), C(status), C(kms_key_id).
    Only C(id) is known in check mode for one still to be made.
  returned: always
  type: dict
created:
  description: Whether a new snapshot was (or, in check mode, would be) made.
  returned: always
  type: bool
copied:
  description: Whether the snapshot was (or would be) copied to O(dr_region).
  returned: always
  type: bool
pruned:
  description: Snapshot ids deleted (or that would be) per region role, C(primary) and C(dr).
  returned: always
  type: dict
prunable:
  description: With O(prune=false), the snapshot ids of ours beyond O(keep) that O(prune=true) would delete.
  returned: always
  type: dict
dr_kms_key_arn:
  description: The ARN of O(dr_kms_key_id).
  returned: always
  type: str
changes:
  description: One line per change made (or, in check mode, that would be made).
  returned: always
  type: list
  elements: str
refused:
  description: True when the module refused (the task fails, nothing changed).
  returned: failure
  type: bool
"""

import time

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.coder.ai_platform.plugins.module_utils.aws import dr_snapshot as readers
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import utcnow
from ansible_collections.coder.ai_platform.plugins.module_utils.planners import dr_snapshot as planner


def _aws_errors():
    return (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, AnsibleAWSError)


class Run(object):
    def __init__(self, module):
        self.module = module
        p = module.params
        self.kind = "cluster" if p["db_cluster_identifier"] else "instance"
        self.ident = p["db_cluster_identifier"] or p["db_instance_identifier"]
        self.region, self.dr_region = p["region"], p["dr_region"]
        retry = AWSRetry.jittered_backoff()
        self.rds = module.client("rds", retry_decorator=retry)
        self.rds_dr = module.client("rds", retry_decorator=retry, region=self.dr_region)
        self.kms_dr = module.client("kms", retry_decorator=retry, region=self.dr_region)
        self.started = time.monotonic()
        self.changes = []
        self.result = {"changed": False, "created": False, "copied": False, "changes": self.changes,
                       "pruned": {"primary": [], "dr": []}, "prunable": {"primary": [], "dr": []},
                       "snapshot": None, "dr_copy": None}

    def fail(self, msg, err=None, **extra):
        self.result.update(extra)
        if err is not None and not isinstance(err, AnsibleAWSError):
            self.module.fail_json_aws(err, msg=msg, **self.result)
        self.module.fail_json(msg="%s: %s" % (msg, err) if err is not None else msg, **self.result)

    def read(self):
        p = self.module.params
        try:
            self.source = readers.read_source(self.rds, self.kind, self.ident)
            if not self.source["exists"]:
                self.fail("%s %s was not found in %s (db_%s_identifier)" % (
                    self.kind, self.ident, self.region, self.kind), refused=True)
            self.result["source"] = dict((k, self.source.get(k)) for k in ("kind", "id", "arn", "status"))
            if self.kind == "instance" and self.source.get("cluster_member"):
                self.fail("instance %s is a member of Aurora cluster %s: set db_cluster_identifier=%s instead "
                          "(an Aurora instance has no snapshots of its own)" % (
                              self.ident, self.source["cluster_member"], self.source["cluster_member"]), refused=True)
            key = readers.read_key(self.kms_dr, p["dr_kms_key_id"])
            self.primary = readers.list_snapshots(self.rds, self.kind, self.region, source_id=self.ident)
            self.dr = readers.list_snapshots(self.rds_dr, self.kind, self.dr_region, source_id=self.ident,
                                             source_arn=self.source["arn"])
        except _aws_errors() as err:
            self.fail("could not read %s %s and its snapshots" % (self.kind, self.ident), err)
        problem = None
        if not key["exists"]:
            problem = "dr_kms_key_id %s does not exist in %s" % (p["dr_kms_key_id"], self.dr_region)
        elif key.get("key_manager") != "CUSTOMER":
            problem = "dr_kms_key_id %s is an AWS managed key; the copy needs a customer managed key of %s" % (
                p["dr_kms_key_id"], self.dr_region)
        elif key.get("key_state") != "Enabled":
            problem = "dr_kms_key_id %s is %s, not Enabled" % (p["dr_kms_key_id"], key.get("key_state"))
        if problem:
            self.fail("refusing to change anything: " + problem, refused=True)
        self.key_arn = key["arn"]
        self.result["dr_kms_key_arn"] = self.key_arn

    # --- waiting -------------------------------------------------------------------------------------------------
    def wait_available(self, rds, region, ident, what):
        """Poll until the snapshot is available, within what is left of wait_timeout (one budget for the run)."""
        p = self.module.params
        while True:
            try:
                found = readers.list_snapshots(rds, self.kind, region, snapshot_id=ident)
            except _aws_errors() as err:
                self.fail("could not read %s %s while waiting for it" % (what, ident), err)
            status = found[0]["status"] if found else None
            if status == planner.READY:
                return found[0]
            if found and status not in planner.USABLE:
                self.fail("%s %s in %s went to status %s" % (what, ident, region, status))
            left = p["wait_timeout"] - (time.monotonic() - self.started)
            if left <= 0:
                self.fail("%s %s in %s is still %s after wait_timeout %ds; it goes on in AWS - re-run later and it "
                          "is picked up" % (what, ident, region, status or "not listed", p["wait_timeout"]))
            time.sleep(max(0.0, min(p["poll_interval"], left)))

    # --- apply ---------------------------------------------------------------------------------------------------
    def create(self, request):
        tags = ansible_dict_to_boto3_tag_list(request["tags"])
        if self.kind == "cluster":
            self.rds.create_db_cluster_snapshot(aws_retry=True, DBClusterIdentifier=self.ident,
                                                DBClusterSnapshotIdentifier=request["id"], Tags=tags)
        else:
            self.rds.create_db_snapshot(aws_retry=True, DBInstanceIdentifier=self.ident,
                                        DBSnapshotIdentifier=request["id"], Tags=tags)

    def copy(self, request, source_arn):
        """A cross-region copy: called in the DR region with the source ARN and SourceRegion (boto3 then signs the
        PreSignedUrl AWS needs for an encrypted source), re-encrypted with the DR key."""
        tags = ansible_dict_to_boto3_tag_list(request["tags"])
        if self.kind == "cluster":
            self.rds_dr.copy_db_cluster_snapshot(
                aws_retry=True, SourceDBClusterSnapshotIdentifier=source_arn,
                TargetDBClusterSnapshotIdentifier=request["target_id"], KmsKeyId=request["kms_key_arn"],
                SourceRegion=self.region, Tags=tags)
        else:
            self.rds_dr.copy_db_snapshot(
                aws_retry=True, SourceDBSnapshotIdentifier=source_arn, TargetDBSnapshotIdentifier=request["target_id"],
                KmsKeyId=request["kms_key_arn"], SourceRegion=self.region, Tags=tags)

    def delete(self, rds, ident):
        try:
            if self.kind == "cluster":
                rds.delete_db_cluster_snapshot(aws_retry=True, DBClusterSnapshotIdentifier=ident)
            else:
                rds.delete_db_snapshot(aws_retry=True, DBSnapshotIdentifier=ident)
        except is_boto3_error_code(["DBClusterSnapshotNotFoundFault", "DBSnapshotNotFound"]):
            pass  # gone already (another run, or a person): what prune wanted

    def run(self):
        p = self.module.params
        now = utcnow()
        params = {"max_age": planner.parse_duration(p["max_age"]), "keep": p["keep"], "prune": p["prune"],
                  "purpose": p["purpose"], "prefix": p["snapshot_prefix"] or planner.default_prefix(self.ident),
                  "dr_kms_key_arn": self.key_arn, "tags": p["tags"]}
        plan = planner.plan(self.source, self.primary, self.dr, params, now)
        if plan["refusal"]:
            self.fail("refusing to change anything: " + plan["refusal"], refused=True)
        self.changes.extend(plan["changes"])
        self.result.update(created=plan["create"] is not None, copied=plan["copy_request"] is not None,
                           pruned=plan["prune"], prunable=plan["prunable"], changed=bool(plan["changes"]))
        before = {"primary": sorted(s["id"] for s in planner.own_snapshots(self.primary, self.source["arn"])),
                  "dr": sorted(s["id"] for s in planner.own_snapshots(self.dr, self.source["arn"]))}
        after = {"primary": sorted(set(before["primary"] + ([plan["create"]["id"]] if plan["create"] else []))
                                   - set(plan["prune"]["primary"])),
                 "dr": sorted(set(before["dr"] + ([plan["copy_request"]["target_id"]] if plan["copy_request"] else []))
                              - set(plan["prune"]["dr"]))}
        if self.module._diff:
            self.result["diff"] = {"before": before, "after": after}
        snapshot, copy = plan["snapshot"], plan["copy"]
        if self.module.check_mode:
            self.result["snapshot"] = planner.freshness(snapshot, now) or {"id": plan["create"]["id"]}
            self.result["dr_copy"] = planner.freshness(copy, now) or {"id": plan["copy_request"]["target_id"]}
            return self.result
        try:
            if plan["create"]:
                self.create(plan["create"])
                snapshot = self.wait_available(self.rds, self.region, plan["create"]["id"], "snapshot")
            elif snapshot["status"] != planner.READY:
                snapshot = self.wait_available(self.rds, self.region, snapshot["id"], "snapshot")
            self.result["snapshot"] = planner.freshness(snapshot, now)
            if plan["copy_request"]:
                request = dict(plan["copy_request"], tags=planner.copy_tags(snapshot, p["purpose"], p["tags"]))
                self.copy(request, snapshot["arn"])
                copy = self.wait_available(self.rds_dr, self.dr_region, plan["copy_request"]["target_id"], "copy")
            elif copy["status"] != planner.READY:
                copy = self.wait_available(self.rds_dr, self.dr_region, copy["id"], "copy")
            if copy.get("kms_key_id") != self.key_arn:
                self.fail("copy %s in %s is encrypted with %s, not %s" % (
                    copy["id"], self.dr_region, copy.get("kms_key_id"), self.key_arn))
            self.result["dr_copy"] = planner.freshness(copy, now)
            for ident in plan["prune"]["primary"]:
                self.delete(self.rds, ident)
            for ident in plan["prune"]["dr"]:
                self.delete(self.rds_dr, ident)
        except _aws_errors() as err:
            self.fail("could not finish the DR snapshot of %s %s" % (self.kind, self.ident), err)
        return self.result


def main():
    argument_spec = dict(
        db_cluster_identifier=dict(type="str"),
        db_instance_identifier=dict(type="str"),
        dr_region=dict(type="str", default="us-west-2"),
        dr_kms_key_id=dict(type="str", required=True),
        max_age=dict(type="str", default="24h"),
        keep=dict(type="int", default=7),
        prune=dict(type="bool", default=False),
        snapshot_prefix=dict(type="str"),
        purpose=dict(type="str", default=planner.DEFAULT_PURPOSE),
        tags=dict(type="dict"),
        wait_timeout=dict(type="int", default=3600),
        poll_interval=dict(type="int", default=15),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("db_cluster_identifier", "db_instance_identifier")],
        required_one_of=[("db_cluster_identifier", "db_instance_identifier")],
    )
    errors = planner.parameter_errors(module.params)
    if module.params["poll_interval"] < 1:
        errors.append("poll_interval must be at least 1 second (got %d)" % module.params["poll_interval"])
    if errors:
        module.fail_json(msg="; ".join(errors), errors=errors)
    run = Run(module)
    run.read()
    module.exit_json(**run.run())


if __name__ == "__main__":
    main()
