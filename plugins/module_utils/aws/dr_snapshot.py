# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers for the DR snapshots (requirement 7): the database, its snapshots in the primary and DR regions, the KMS
keys of the copies, the lock table's point-in-time recovery, AWS Backup plans and the last drill.

Every reader takes a boto3 client (made by AnsibleAWSModule.client with AWSRetry.jittered_backoff, so calls carry
``aws_retry=True``) and returns plain dicts; AWS errors propagate to the caller, which reports them (``dr_snapshot``
fails, ``dr_snapshot_info`` records them per section). The snapshot listings reuse amazon.aws's paginated, retrying
``describe_db_cluster_snapshots`` / ``describe_db_snapshots`` helpers (module_utils/rds.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.rds import (
    describe_db_cluster_snapshots, describe_db_snapshots,
)

from ansible_collections.coder.ai_platform.plugins.module_utils.planners.dr_snapshot import (
    TAG_SOURCE, arn_region, normalize_snapshot,
)

DRILL_PARAMETER = "/coder-ai-platform/dr/last-drill"


def read_source(rds, kind, ident):
    """``{kind, id, exists, arn, status, engine, backup_retention_days, encrypted, kms_key_id}`` of a cluster or an
    instance (``exists`` false when RDS does not know it)."""
    base = {"kind": kind, "id": ident, "exists": False}
    try:
        if kind == "cluster":
            found = rds.describe_db_clusters(aws_retry=True, DBClusterIdentifier=ident)["DBClusters"]
        else:
            found = rds.describe_db_instances(aws_retry=True, DBInstanceIdentifier=ident)["DBInstances"]
    except is_boto3_error_code(["DBClusterNotFoundFault", "DBInstanceNotFound"]):
        return base
    if not found:
        return base
    raw = found[0]
    base.update({
        "exists": True, "arn": raw.get("DBClusterArn") if kind == "cluster" else raw.get("DBInstanceArn"),
        "status": raw.get("Status") if kind == "cluster" else raw.get("DBInstanceStatus"),
        "engine": raw.get("Engine"), "backup_retention_days": raw.get("BackupRetentionPeriod"),
        "encrypted": bool(raw.get("StorageEncrypted")), "kms_key_id": raw.get("KmsKeyId"),
        "cluster_member": raw.get("DBClusterIdentifier") if kind == "instance" else None,
        "tags": dict((t["Key"], t["Value"]) for t in raw.get("TagList") or []),
    })
    return base


def list_snapshots(rds, kind, region, source_id=None, source_arn=None, snapshot_id=None):
    """The normalized snapshots of one region: with ``snapshot_id``, that one (or none); with ``source_id``, those
    RDS lists for that cluster or instance; with ``source_arn`` too, also any snapshot tagged as ours for that source
    (a copy keeps its source's identifier, the tag makes sure). Newest data first is left to the planner."""
    if snapshot_id:
        raw = describe_db_cluster_snapshots(rds, DBClusterSnapshotIdentifier=snapshot_id) if kind == "cluster" \
            else describe_db_snapshots(rds, DBSnapshotIdentifier=snapshot_id)
        return [normalize_snapshot(item, kind, region) for item in raw or []]
    if kind == "cluster":
        raw = describe_db_cluster_snapshots(rds) if source_arn else describe_db_cluster_snapshots(
            rds, DBClusterIdentifier=source_id)
    else:
        raw = describe_db_snapshots(rds) if source_arn else describe_db_snapshots(rds, DBInstanceIdentifier=source_id)
    snapshots = [normalize_snapshot(item, kind, region) for item in raw or []]
    if source_arn:
        snapshots = [s for s in snapshots if s["source_id"] == source_id or s["tags"].get(TAG_SOURCE) == source_arn]
    return snapshots


def read_key(kms, key_id):
    """``{exists, arn, key_id, region, key_manager, key_state}`` of a KMS key id, alias or ARN."""
    try:
        meta = kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        return {"exists": False, "requested": key_id}
    return {"exists": True, "requested": key_id, "arn": meta.get("Arn"), "key_id": meta.get("KeyId"),
            "region": arn_region(meta.get("Arn")), "key_manager": meta.get("KeyManager"),
            "key_state": meta.get("KeyState")}


def read_lock_table(dynamodb, name):
    """``{name, exists, arn, pitr, tags}`` of the Terraform lock table."""
    try:
        arn = dynamodb.describe_table(aws_retry=True, TableName=name)["Table"]["TableArn"]
        backups = dynamodb.describe_continuous_backups(aws_retry=True, TableName=name)["ContinuousBackupsDescription"]
    except is_boto3_error_code(["TableNotFoundException", "ResourceNotFoundException"]):
        return {"name": name, "exists": False, "arn": None, "pitr": False, "tags": {}}
    status = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
    tags = dynamodb.list_tags_of_resource(aws_retry=True, ResourceArn=arn).get("Tags") or []
    return {"name": name, "exists": True, "arn": arn, "pitr": status == "ENABLED",
            "tags": dict((t["Key"], t["Value"]) for t in tags)}


def read_backup_plans(backup):
    """Every AWS Backup plan of the region with its rules' copy destinations and its selections:
    ``[{id, name, rules: [{name, vault, copy_to: [vault ARN]}], selections: [{name, resources, not_resources,
    tags (ListOfTags: any one matches), all_tags (Conditions StringEquals: all must match)}]}]``."""
    plans = []
    listed = backup.list_backup_plans(aws_retry=True).get("BackupPlansList") or []
    for item in listed:
        plan_id = item["BackupPlanId"]
        body = backup.get_backup_plan(aws_retry=True, BackupPlanId=plan_id).get("BackupPlan") or {}
        rules = [{"name": rule.get("RuleName"), "vault": rule.get("TargetBackupVaultName"),
                  "copy_to": [action.get("DestinationBackupVaultArn") for action in rule.get("CopyActions") or []]}
                 for rule in body.get("Rules") or []]
        selections = []
        for selection in backup.list_backup_selections(aws_retry=True, BackupPlanId=plan_id).get(
                "BackupSelectionsList") or []:
            detail = backup.get_backup_selection(aws_retry=True, BackupPlanId=plan_id,
                                                 SelectionId=selection["SelectionId"]).get("BackupSelection") or {}
            conditions = (detail.get("Conditions") or {}).get("StringEquals") or []
            selections.append({
                "name": detail.get("SelectionName"), "resources": detail.get("Resources") or [],
                "not_resources": detail.get("NotResources") or [],
                "tags": [{"key": t.get("ConditionKey"), "value": t.get("ConditionValue")}
                         for t in detail.get("ListOfTags") or [] if t.get("ConditionType") in (None, "STRINGEQUALS")],
                "all_tags": [{"key": c.get("ConditionKey", "").replace("aws:ResourceTag/", ""),
                              "value": c.get("ConditionValue")} for c in conditions]})
        plans.append({"id": plan_id, "name": item.get("BackupPlanName"), "rules": rules, "selections": selections})
    return plans


def read_drill(ssm, name=DRILL_PARAMETER):
    """The last drill that passed, as the drill records it in an SSM parameter (a JSON document with at least
    ``passed_at``): ``{parameter, exists, record}``."""
    try:
        value = ssm.get_parameter(aws_retry=True, Name=name)["Parameter"]["Value"]
    except is_boto3_error_code("ParameterNotFound"):
        return {"parameter": name, "exists": False, "record": None}
    try:
        record = json.loads(value)
    except ValueError:
        record = {"unparsed": value}
    return {"parameter": name, "exists": True, "record": record if isinstance(record, dict) else {"unparsed": value}}
