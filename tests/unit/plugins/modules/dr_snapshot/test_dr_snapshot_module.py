"""dr_snapshot and dr_snapshot_info as Ansible runs them, against moto's in-process RDS and KMS (moto.mock_aws):
argument handling before any call, refusals that change nothing, converge / second run / check mode, tags on both
snapshots, prune that leaves a person's manual snapshot and an automated one alone, and the info twin's shape."""

import json
import time
from datetime import datetime, timedelta, timezone

import boto3
import botocore.loaders
import pytest
from ansible.module_utils.testing import patch_module_args
from moto import mock_aws

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import dr_snapshot as planner
from ansible_collections.coder.ai_platform.plugins.modules import dr_snapshot as module
from ansible_collections.coder.ai_platform.plugins.modules import dr_snapshot_info as info_module

PRIMARY, DR = "us-east-2", "us-west-2"


_MODELS = {}


@pytest.fixture(scope="module", autouse=True)
def botocore_models_parsed_once():
    """Every module run builds a new boto3 session that parses botocore's JSON models again (seconds per run on a
    busy machine); botocore shares one parsed model per session anyway, so the tests share one per process."""
    original = botocore.loaders.JSONFileLoader.load_file

    def load_file(self, file_path):
        if file_path not in _MODELS:
            _MODELS[file_path] = original(self, file_path)
        return _MODELS[file_path]
    botocore.loaders.JSONFileLoader.load_file = load_file
    yield
    botocore.loaders.JSONFileLoader.load_file = original


@pytest.fixture(autouse=True)
def moto_world(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "EC2_REGION",
                 "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def client(service, region=PRIMARY):
    return boto3.client(service, region_name=region)


def seed_cluster(ident="coder-db"):
    return client("rds").create_db_cluster(DBClusterIdentifier=ident, Engine="aurora-postgresql",
                                           MasterUsername="coder", MasterUserPassword="not-a-secret-1",
                                           StorageEncrypted=True, BackupRetentionPeriod=7)["DBCluster"]


def seed_instance(ident="legacy-db"):
    return client("rds").create_db_instance(DBInstanceIdentifier=ident, Engine="postgres",
                                            DBInstanceClass="db.t3.micro",
                                            MasterUsername="coder", MasterUserPassword="not-a-secret-1",
                                            AllocatedStorage=20)["DBInstance"]


def dr_key(alias="alias/coder-dr"):
    kms = client("kms", DR)
    arn = kms.create_key(Description="DR")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    return arn


def run(mod, args, capsys):
    with patch_module_args(dict({"region": PRIMARY}, **args)):
        with pytest.raises(SystemExit) as raised:
            mod.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result


def cluster_snapshots(region):
    found = client("rds", region).describe_db_cluster_snapshots()["DBClusterSnapshots"]
    return dict((s["DBClusterSnapshotIdentifier"], s) for s in found)


def tags_of(snapshot):
    return dict((t["Key"], t["Value"]) for t in snapshot.get("TagList") or [])


ARGS = {"db_cluster_identifier": "coder-db", "dr_kms_key_id": "alias/coder-dr", "poll_interval": 1,
        "wait_timeout": 30}


# --- arguments -----------------------------------------------------------------------------------------------------
def test_cluster_or_instance_is_required_and_not_both(capsys):
    result = run(module, {"dr_kms_key_id": "alias/k"}, capsys)
    assert result["failed"] and "one of the following is required" in result["msg"]
    result = run(module, {"dr_kms_key_id": "alias/k", "db_cluster_identifier": "a", "db_instance_identifier": "b"},
                 capsys)
    assert result["failed"] and "mutually exclusive" in result["msg"]


def test_bad_parameters_are_named_before_any_call(capsys):
    seed_cluster()
    before = cluster_snapshots(PRIMARY)
    result = run(module, dict(ARGS, dr_region=PRIMARY, max_age="soon", keep=0, poll_interval=0,
                              dr_kms_key_id="arn:aws:kms:eu-west-1:123456789012:key/abc"), capsys)
    assert result["failed"]
    for word in ("dr_region", "max_age", "keep", "poll_interval", "dr_kms_key_id"):
        assert word in result["msg"], (word, result["msg"])
    assert cluster_snapshots(PRIMARY) == before


def test_an_unknown_cluster_is_refused(capsys):
    dr_key()
    result = run(module, ARGS, capsys)
    assert result["failed"] and result["refused"] and "coder-db was not found in us-east-2" in result["msg"]


def test_a_missing_or_disabled_dr_key_is_refused_and_nothing_changes(capsys):
    seed_cluster()
    before = cluster_snapshots(PRIMARY)
    result = run(module, dict(ARGS, dr_kms_key_id="alias/nowhere"), capsys)
    assert result["failed"] and result["refused"] and "does not exist in us-west-2" in result["msg"]
    client("kms", DR).disable_key(KeyId=dr_key().split("/")[-1])
    result = run(module, ARGS, capsys)
    assert result["failed"] and result["refused"] and "is Disabled, not Enabled" in result["msg"]
    assert cluster_snapshots(PRIMARY) == before and cluster_snapshots(DR) == {}


def test_an_aws_managed_dr_key_is_refused(capsys):
    from moto.kms.models import kms_backends
    seed_cluster()
    key_id = dr_key().split("/")[-1]
    kms_backends["123456789012"][DR].keys[key_id].key_manager = "AWS"  # as behind alias/aws/rds
    result = run(module, ARGS, capsys)
    assert result["failed"] and result["refused"] and "is an AWS managed key" in result["msg"]
    assert cluster_snapshots(DR) == {}


def test_an_aurora_member_instance_is_refused_naming_its_cluster(capsys):
    seed_cluster()
    dr_key()
    client("rds").create_db_instance(DBInstanceIdentifier="coder-db-1", DBClusterIdentifier="coder-db",
                                     Engine="aurora-postgresql", DBInstanceClass="db.r6g.large")
    result = run(module, {"db_instance_identifier": "coder-db-1", "dr_kms_key_id": "alias/coder-dr"}, capsys)
    assert result["failed"] and result["refused"] and "set db_cluster_identifier=coder-db instead" in result["msg"]


def stuck(monkeypatch, status):
    """Every look at one snapshot by id sees it in ``status`` (RDS still making it, or given up)."""
    original = module.readers.list_snapshots

    def list_snapshots(rds, kind, region, source_id=None, source_arn=None, snapshot_id=None):
        found = original(rds, kind, region, source_id=source_id, source_arn=source_arn, snapshot_id=snapshot_id)
        return [dict(s, status=status) for s in found] if snapshot_id else found
    monkeypatch.setattr(module.readers, "list_snapshots", list_snapshots)


def test_a_wait_is_bounded_by_wait_timeout_and_says_what_was_started(capsys, monkeypatch):
    seed_cluster()
    dr_key()
    stuck(monkeypatch, "creating")
    started = time.monotonic()
    result = run(module, dict(ARGS, wait_timeout=2, poll_interval=1), capsys)
    assert time.monotonic() - started < 30
    assert result["failed"] and "is still creating after wait_timeout 2s" in result["msg"]
    assert result["created"] and result["changes"][0].startswith("cluster coder-db: create snapshot")
    assert cluster_snapshots(DR) == {}  # nothing was copied from a snapshot that never became available


def test_a_snapshot_that_fails_stops_the_run(capsys, monkeypatch):
    seed_cluster()
    dr_key()
    stuck(monkeypatch, "failed")
    result = run(module, ARGS, capsys)
    assert result["failed"] and "went to status failed" in result["msg"]


# --- converge ------------------------------------------------------------------------------------------------------
def test_converge_makes_a_tagged_snapshot_and_a_copy_under_the_dr_key_then_changes_nothing(capsys):
    cluster = seed_cluster()
    key_arn = dr_key()
    automated = set(cluster_snapshots(PRIMARY))
    first = run(module, ARGS, capsys)
    assert first["changed"] and first["created"] and first["copied"], first
    primary, dr = cluster_snapshots(PRIMARY), cluster_snapshots(DR)
    assert set(primary) == automated | {first["snapshot"]["id"]} and list(dr) == [first["dr_copy"]["id"]]
    snap, copy = primary[first["snapshot"]["id"]], dr[first["dr_copy"]["id"]]
    assert copy["KmsKeyId"] == key_arn == first["dr_kms_key_arn"] == first["dr_copy"]["kms_key_id"]
    assert copy["StorageEncrypted"]
    for tags in (tags_of(snap), tags_of(copy)):
        assert tags[planner.TAG_MANAGED] == "true" and tags[planner.TAG_SOURCE] == cluster["DBClusterArn"]
        assert tags[planner.TAG_PURPOSE] == "disaster-recovery"
    assert tags_of(copy)[planner.TAG_CREATED_AT] == tags_of(snap)[planner.TAG_CREATED_AT]
    assert tags_of(copy)[planner.TAG_COPY_OF] == snap["DBClusterSnapshotArn"]
    assert first["snapshot"]["id"].startswith("dr-coder-db-")

    second = run(module, ARGS, capsys)
    assert second["changed"] is False and second["changes"] == []
    assert second["snapshot"]["id"] == first["snapshot"]["id"] and second["dr_copy"]["id"] == first["dr_copy"]["id"]
    assert cluster_snapshots(PRIMARY).keys() == primary.keys() and cluster_snapshots(DR).keys() == dr.keys()


def test_check_mode_reports_the_change_and_makes_nothing(capsys):
    seed_cluster()
    dr_key()
    before = cluster_snapshots(PRIMARY)
    result = run(module, dict(ARGS, _ansible_check_mode=True, _ansible_diff=True), capsys)
    assert result["changed"] and result["created"] and result["copied"]
    assert result["diff"]["before"] == {"primary": [], "dr": []}
    assert result["diff"]["after"]["primary"] == [result["snapshot"]["id"]]
    assert result["diff"]["after"]["dr"] == [result["dr_copy"]["id"]]
    assert cluster_snapshots(PRIMARY) == before and cluster_snapshots(DR) == {}


def test_a_standalone_instance_is_snapshotted_and_copied(capsys):
    seed_instance()
    key_arn = dr_key()
    args = {"db_instance_identifier": "legacy-db", "dr_kms_key_id": key_arn, "poll_interval": 1}
    first = run(module, args, capsys)
    assert first["changed"] and first["source"]["kind"] == "instance"
    copies = client("rds", DR).describe_db_snapshots()["DBSnapshots"]
    assert [(c["DBSnapshotIdentifier"], c["KmsKeyId"]) for c in copies] == [(first["dr_copy"]["id"], key_arn)]
    assert run(module, args, capsys)["changed"] is False


def seed_own(ident, source_arn, days_ago, key_arn, source_id="coder-db"):
    """A snapshot pair as dr_snapshot leaves it, with data ``days_ago`` old."""
    stamp = (datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tags = {planner.TAG_MANAGED: "true", planner.TAG_SOURCE: source_arn, planner.TAG_CREATED_AT: stamp,
            planner.TAG_PURPOSE: "disaster-recovery"}
    arn = client("rds").create_db_cluster_snapshot(
        DBClusterIdentifier=source_id, DBClusterSnapshotIdentifier=ident,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()])["DBClusterSnapshot"]["DBClusterSnapshotArn"]
    tags[planner.TAG_COPY_OF] = arn
    client("rds", DR).copy_db_cluster_snapshot(
        SourceDBClusterSnapshotIdentifier=arn, TargetDBClusterSnapshotIdentifier=ident, KmsKeyId=key_arn,
        SourceRegion=PRIMARY, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def test_prune_deletes_only_its_own_old_snapshots(capsys):
    cluster = seed_cluster()
    other = seed_cluster("other-db")
    key_arn = dr_key()
    client("rds").create_db_cluster_snapshot(DBClusterIdentifier="coder-db",
                                             DBClusterSnapshotIdentifier="before-upgrade")
    seed_own("dr-coder-db-old1", cluster["DBClusterArn"], 3, key_arn)
    seed_own("dr-coder-db-old2", cluster["DBClusterArn"], 2, key_arn)
    seed_own("dr-other-db-old", other["DBClusterArn"], 9, key_arn, source_id="other-db")
    automated = [i for i in cluster_snapshots(PRIMARY) if i.startswith("rds:")]
    assert automated  # RDS made one with each cluster: it must survive too

    first = run(module, dict(ARGS, keep=2), capsys)  # no prune: the old one is only listed
    assert first["created"] and first["prunable"] == {"primary": ["dr-coder-db-old1"], "dr": ["dr-coder-db-old1"]}
    assert first["pruned"] == {"primary": [], "dr": []}
    assert {"dr-coder-db-old1", "dr-coder-db-old2"} <= set(cluster_snapshots(PRIMARY))

    pruned = run(module, dict(ARGS, keep=2, prune=True, _ansible_diff=True), capsys)
    assert pruned["changed"] and not pruned["created"] and not pruned["copied"]
    assert pruned["pruned"] == {"primary": ["dr-coder-db-old1"], "dr": ["dr-coder-db-old1"]}
    assert "dr-coder-db-old1" in pruned["diff"]["before"]["primary"]
    assert "dr-coder-db-old1" not in pruned["diff"]["after"]["primary"]
    new = first["snapshot"]["id"]
    assert set(cluster_snapshots(PRIMARY)) == {new, "dr-coder-db-old2", "before-upgrade", "dr-other-db-old",
                                               *automated}
    assert set(cluster_snapshots(DR)) == {new, "dr-coder-db-old2", "dr-other-db-old"}
    assert run(module, dict(ARGS, keep=2, prune=True), capsys)["changed"] is False


# --- dr_snapshot_info ----------------------------------------------------------------------------------------------
def test_info_reads_sources_snapshots_copies_and_keys_and_never_changes(capsys):
    cluster = seed_cluster()
    key_arn = dr_key()
    made = run(module, ARGS, capsys)
    info = run(info_module, {"db_cluster_identifiers": ["coder-db", "gone-db"], "_ansible_check_mode": True}, capsys)
    assert info["changed"] is False and info["errors"] == {} and info["region"] == PRIMARY and info["dr_region"] == DR
    coder, gone = info["sources"]
    assert coder["exists"] and coder["arn"] == cluster["DBClusterArn"] and coder["backup_retention_days"] == 7
    assert gone == {"kind": "cluster", "id": "gone-db", "exists": False, "primary_snapshots": [], "dr_snapshots": []}
    ours = [s for s in coder["primary_snapshots"] if s["ours"]]
    assert [s["id"] for s in ours] == [made["snapshot"]["id"]]
    assert any(s["snapshot_type"] == "automated" for s in coder["primary_snapshots"])
    assert [(s["id"], s["kms_key_id"], s["copy_of"]) for s in coder["dr_snapshots"]] == [
        (made["dr_copy"]["id"], key_arn, ours[0]["arn"])]
    assert info["dr_keys"][key_arn]["region"] == DR and info["dr_keys"][key_arn]["key_manager"] == "CUSTOMER"
    assert info["lock_table"] is None and info["drill"] is None and info["backup_plans_found"] is None


def test_info_reads_the_lock_table_and_the_drill_record_and_names_what_it_could_not_read(capsys):
    ddb = client("dynamodb")
    ddb.create_table(TableName="locks", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}])
    client("ssm").put_parameter(Name="/dr/last", Type="String", Value='{"passed_at": "2026-12-01T10:00:00Z"}')
    info = run(info_module, {"lock_table": "locks", "drill_parameter": "/dr/last"}, capsys)
    table_arn = ddb.describe_table(TableName="locks")["Table"]["TableArn"]
    assert info["lock_table"] == {"name": "locks", "exists": True, "arn": table_arn, "pitr": False, "tags": {}}
    assert info["drill"]["record"] == {"passed_at": "2026-12-01T10:00:00Z"}
    info = run(info_module, {"lock_table": "nope", "drill_parameter": "/dr/none"}, capsys)
    assert info["lock_table"] == {"name": "nope", "exists": False, "arn": None, "pitr": False, "tags": {}}
    assert info["drill"] == {"parameter": "/dr/none", "exists": False, "record": None}


def test_info_reports_an_unreachable_section_instead_of_failing(capsys):
    info = run(info_module, {"db_cluster_identifiers": ["coder-db"], "endpoint_url": "http://127.0.0.1:9",
                             "lock_table": "locks"}, capsys)
    assert "failed" not in info and info["changed"] is False
    assert info["errors"]["sources"].startswith("RDS cluster coder-db in us-east-2: ")
    assert info["errors"]["lock_table"].startswith("DynamoDB DescribeContinuousBackups locks in us-east-2: ")
    assert info["sources"][0]["exists"] is None


class FakeBackup:
    """AWS Backup's answers for one plan with a copy rule and two selections (moto 5.2 has no selections)."""

    def list_backup_plans(self, **dummy):
        return {"BackupPlansList": [{"BackupPlanId": "p1", "BackupPlanName": "coder-dr"}]}

    def get_backup_plan(self, **dummy):
        return {"BackupPlan": {"Rules": [{"RuleName": "daily", "TargetBackupVaultName": "coder", "CopyActions": [
            {"DestinationBackupVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:coder-dr"}]}]}}

    def list_backup_selections(self, **dummy):
        return {"BackupSelectionsList": [{"SelectionId": "s1"}, {"SelectionId": "s2"}]}

    def get_backup_selection(self, SelectionId, **dummy):  # pylint: disable=invalid-name
        if SelectionId == "s1":
            return {"BackupSelection": {"SelectionName": "by-tag", "ListOfTags": [
                {"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "dr"}]}}
        return {"BackupSelection": {"SelectionName": "by-arn", "Resources": ["arn:aws:rds:*:*:cluster:*"],
                                    "NotResources": ["arn:aws:rds:*:*:cluster:scratch-*"],
                                    "Conditions": {"StringEquals": [
                                        {"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "prod"}]}}}


def test_the_backup_plan_reader_keeps_copy_destinations_and_selections():
    from ansible_collections.coder.ai_platform.plugins.module_utils.aws import dr_snapshot as readers
    plans = readers.read_backup_plans(FakeBackup())
    assert plans == [{"id": "p1", "name": "coder-dr", "rules": [
        {"name": "daily", "vault": "coder",
         "copy_to": ["arn:aws:backup:us-west-2:123456789012:backup-vault:coder-dr"]}],
        "selections": [
            {"name": "by-tag", "resources": [], "not_resources": [], "tags": [{"key": "backup", "value": "dr"}],
             "all_tags": []},
            {"name": "by-arn", "resources": ["arn:aws:rds:*:*:cluster:*"],
             "not_resources": ["arn:aws:rds:*:*:cluster:scratch-*"], "tags": [],
             "all_tags": [{"key": "env", "value": "prod"}]}]}]
