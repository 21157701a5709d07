"""dr_snapshot against the sandbox, through ansible-playbook as a DR coordinator runs it (playbooks/dr_snapshot.yml),
with boto3 on the same moto proving what changed: converge makes a tagged snapshot of coder-db in us-east-2 and its
copy in us-west-2 under the DR region's customer managed key; a second run changes nothing; --check changes nothing
even when a new snapshot is due; prune: true deletes only its own older snapshots - a person's manual snapshot and
RDS's automated one survive."""

import json
import time

import boto3
import pytest

pytestmark = pytest.mark.sandbox

PRIMARY, DR = "us-east-2", "us-west-2"
TAG_MANAGED, TAG_SOURCE, TAG_COPY_OF = ("coder.ai_platform/dr-snapshot", "coder.ai_platform/source-arn",
                                        "coder.ai_platform/copy-of")


@pytest.fixture(scope="module")
def sandbox(sandbox_factory):
    return sandbox_factory("healthy")


def aws(sandbox, service, region=PRIMARY):
    e = sandbox.endpoints["aws"]
    return boto3.client(service, region_name=region, endpoint_url=e["endpoint_url"],
                        aws_access_key_id=e["access_key"], aws_secret_access_key=e["secret_key"])


@pytest.fixture(scope="module")
def dr_key(sandbox):
    kms = aws(sandbox, "kms", DR)
    arn = kms.create_key(Description="DR copies of the Coder database")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/coder-dr", TargetKeyId=arn)
    return arn


def run(sandbox, tmp_path, *args, **variables):
    extra = dict({"dr_kms_key_id": "alias/coder-dr", "dr_snapshot_poll_interval": 1}, **variables)
    result = sandbox.playbook("dr_snapshot.yml", tmp_path, "-e", json.dumps(extra), *args)
    assert "PLAY RECAP" in result.output, result.output[-3000:]
    return result


def changed_count(result):
    recap = result.output.split("PLAY RECAP", 1)[1]
    return int(recap.split("changed=", 1)[1].split()[0])


def snapshots(sandbox, region):
    found = aws(sandbox, "rds", region).describe_db_cluster_snapshots()["DBClusterSnapshots"]
    return dict((s["DBClusterSnapshotIdentifier"], dict(s, Tags=dict((t["Key"], t["Value"]) for t in s["TagList"])))
                for s in found)


def test_converge_then_a_second_run_changes_nothing(sandbox, dr_key, tmp_path):
    cluster_arn = aws(sandbox, "rds").describe_db_clusters(DBClusterIdentifier="coder-db")["DBClusters"][0][
        "DBClusterArn"]
    before = snapshots(sandbox, PRIMARY)
    first = run(sandbox, tmp_path)
    assert first.returncode == 0 and changed_count(first) == 1, first.output[-3000:]
    primary, dr = snapshots(sandbox, PRIMARY), snapshots(sandbox, DR)
    made = sorted(set(primary) - set(before))
    assert len(made) == 1 and list(dr) == made
    snap, copy = primary[made[0]], dr[made[0]]
    assert snap["Tags"][TAG_MANAGED] == copy["Tags"][TAG_MANAGED] == "true"
    assert snap["Tags"][TAG_SOURCE] == copy["Tags"][TAG_SOURCE] == cluster_arn
    assert copy["Tags"][TAG_COPY_OF] == snap["DBClusterSnapshotArn"]
    assert copy["StorageEncrypted"] and copy["KmsKeyId"] == dr_key

    second = run(sandbox, tmp_path)
    assert second.returncode == 0 and changed_count(second) == 0, second.output[-3000:]
    assert snapshots(sandbox, PRIMARY).keys() == primary.keys() and snapshots(sandbox, DR).keys() == dr.keys()


def test_check_mode_changes_nothing_even_when_a_snapshot_is_due(sandbox, dr_key, tmp_path):
    # the world the first test converged (--dist loadfile keeps this file's tests in order, in one worker)
    before = (snapshots(sandbox, PRIMARY).keys(), snapshots(sandbox, DR).keys())
    fresh = run(sandbox, tmp_path, "--check", "--diff")
    assert fresh.returncode == 0 and changed_count(fresh) == 0, fresh.output[-3000:]
    time.sleep(1.1)
    due = run(sandbox, tmp_path, "--check", "--diff", dr_snapshot_max_age="1s", dr_snapshot_keep=1,
              dr_snapshot_prune=True)
    assert due.returncode == 0 and changed_count(due) == 1, due.output[-3000:]
    assert "+++ after" in due.output  # --diff shows the snapshot ids that would be, per region
    assert (snapshots(sandbox, PRIMARY).keys(), snapshots(sandbox, DR).keys()) == before


def test_prune_removes_only_its_own_snapshots_and_a_manual_one_survives(sandbox, dr_key, tmp_path):
    rds = aws(sandbox, "rds")
    rds.create_db_cluster_snapshot(DBClusterIdentifier="coder-db", DBClusterSnapshotIdentifier="before-upgrade")
    time.sleep(1.1)
    run(sandbox, tmp_path, dr_snapshot_max_age="1s")  # a second pair of ours, next to the first test's
    primary = snapshots(sandbox, PRIMARY)
    ours = sorted(i for i, s in primary.items() if s["Tags"].get(TAG_MANAGED) == "true")
    others = sorted(i for i, s in primary.items() if s["Tags"].get(TAG_MANAGED) != "true")
    assert len(ours) >= 2 and "before-upgrade" in others
    assert any(primary[i]["SnapshotType"] == "automated" for i in others)

    kept = run(sandbox, tmp_path, dr_snapshot_keep=1)  # without prune nothing is deleted
    assert changed_count(kept) == 0 and sorted(snapshots(sandbox, PRIMARY)) == sorted(primary)

    pruned = run(sandbox, tmp_path, dr_snapshot_keep=1, dr_snapshot_prune=True)
    assert pruned.returncode == 0 and changed_count(pruned) == 1, pruned.output[-3000:]
    after_primary, after_dr = snapshots(sandbox, PRIMARY), snapshots(sandbox, DR)
    assert sorted(after_primary) == sorted([ours[-1]] + others)  # the newest of ours, and every one of others
    assert sorted(after_dr) == [ours[-1]]
    again = run(sandbox, tmp_path, dr_snapshot_keep=1, dr_snapshot_prune=True)
    assert changed_count(again) == 0


def test_a_missing_key_is_refused_naming_it_and_nothing_changes(sandbox, dr_key, tmp_path):
    before = (snapshots(sandbox, PRIMARY).keys(), snapshots(sandbox, DR).keys())
    refused = run(sandbox, tmp_path, dr_kms_key_id="alias/not-there", dr_snapshot_max_age="1s")
    assert refused.returncode != 0 and "dr_kms_key_id alias/not-there does not exist in us-west-2" in refused.output
    assert (snapshots(sandbox, PRIMARY).keys(), snapshots(sandbox, DR).keys()) == before
    unset = sandbox.playbook("dr_snapshot.yml", tmp_path)
    assert unset.returncode != 0 and "Give -e dr_kms_key_id=" in unset.output
