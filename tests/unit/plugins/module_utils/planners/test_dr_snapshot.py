"""The DR snapshot planner, branch by branch: parameters, normalizing what RDS describes, when a snapshot is made,
when it is copied, refusals, and what prune may delete (only ours, only beyond keep, never the one in use)."""

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import dr_snapshot as dr

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=timezone.utc)
SOURCE = {"kind": "cluster", "id": "coder-db", "arn": "arn:aws:rds:us-east-2:123456789012:cluster:coder-db",
          "region": "us-east-2"}
KEY = "arn:aws:kms:us-west-2:123456789012:key/dr"
OTHER_KEY = "arn:aws:kms:us-west-2:123456789012:key/old"
PARAMS = {"max_age": 86400, "keep": 3, "prune": False, "purpose": "disaster-recovery", "prefix": "dr-coder-db",
          "dr_kms_key_arn": KEY, "tags": None}


def iso(hours_ago):
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def snap(ident, hours_ago, region="us-east-2", ours=True, status="available", source_arn=SOURCE["arn"], copy_of=None,
         key=None):
    return {"id": ident, "arn": "arn:aws:rds:%s:123456789012:cluster-snapshot:%s" % (region, ident),
            "kind": "cluster", "region": region, "status": status, "snapshot_type": "manual", "source_id": "coder-db",
            "created_at": iso(hours_ago), "data_time": iso(hours_ago), "encrypted": True, "kms_key_id": key,
            "tags": {}, "ours": ours, "source_arn": source_arn if ours else None, "copy_of": copy_of}


def copy_of(primary, key=KEY, status="available", ident=None):
    """A DR copy: made now, holding the primary's data (its created-at tag)."""
    copy = snap(ident or primary["id"], 0, region="us-west-2", status=status, copy_of=primary["arn"], key=key)
    copy["data_time"] = primary["data_time"]
    return copy


def plan(primary, dr_snaps, **overrides):
    return dr.plan(SOURCE, primary, dr_snaps, dict(PARAMS, **overrides), NOW)


# --- parameters ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,seconds", [("24h", 86400), ("90m", 5400), ("3600", 3600), ("7d", 604800),
                                          ("1w", 604800), ("30s", 30), (" 2h ", 7200)])
def test_durations(text, seconds):
    assert dr.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "0h", "-1h", "1y", "", None, "1.5h"])
def test_bad_durations_name_the_value(text):
    with pytest.raises(ValueError) as raised:
        dr.parse_duration(text)
    assert repr(text) in str(raised.value)


GOOD = {"region": "us-east-2", "dr_region": "us-west-2", "dr_kms_key_id": "alias/coder-dr", "max_age": "24h",
        "keep": 7, "snapshot_prefix": None, "wait_timeout": 3600}


def test_good_parameters_have_no_errors():
    assert dr.parameter_errors(GOOD) == []
    assert dr.parameter_errors(dict(GOOD, dr_kms_key_id=KEY)) == []


@pytest.mark.parametrize("change,word", [
    ({"region": None}, "region is required"),
    ({"dr_region": "us-east-2"}, "dr_region 'us-east-2' must be a region other than"),
    ({"dr_kms_key_id": None}, "dr_kms_key_id is required"),
    ({"dr_kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/x"}, "is a key of eu-west-1, not of dr_region"),
    ({"max_age": "often"}, "max_age:"),
    ({"keep": 0}, "keep must be a whole number, at least 1"),
    ({"snapshot_prefix": "1db"}, "snapshot_prefix '1db' must start with a letter"),
    ({"snapshot_prefix": "db--x"}, "must start with a letter"),
    ({"snapshot_prefix": "db-"}, "must start with a letter"),
    ({"snapshot_prefix": "d" * 48}, "is too long"),
    ({"wait_timeout": 0}, "wait_timeout must be"),
])
def test_each_bad_parameter_is_named(change, word):
    errors = dr.parameter_errors(dict(GOOD, **change))
    assert len(errors) == 1 and word in errors[0], errors


def test_identifiers():
    assert dr.snapshot_identifier("Dr-Coder-DB", NOW) == "dr-coder-db-20261204-120000"
    assert dr.default_prefix("coder-db") == "dr-coder-db"
    assert len(dr.default_prefix("x" * 80)) + len("-20261204-120000") == dr.SNAPSHOT_ID_MAX
    assert dr.arn_region(KEY) == "us-west-2" and dr.arn_region("alias/x") is None


# --- normalizing -----------------------------------------------------------------------------------------------------
def test_normalize_a_cluster_snapshot_reads_our_tags_and_the_data_time():
    raw = {"DBClusterSnapshotIdentifier": "s1", "DBClusterSnapshotArn": "arn:s1", "DBClusterIdentifier": "coder-db",
           "SnapshotCreateTime": NOW, "Status": "available", "SnapshotType": "manual", "StorageEncrypted": True,
           "KmsKeyId": KEY, "TagList": [{"Key": dr.TAG_MANAGED, "Value": "true"},
                                        {"Key": dr.TAG_SOURCE, "Value": SOURCE["arn"]},
                                        {"Key": dr.TAG_CREATED_AT, "Value": iso(5)},
                                        {"Key": dr.TAG_COPY_OF, "Value": "arn:src"}]}
    got = dr.normalize_snapshot(raw, "cluster", "us-west-2")
    assert got["ours"] and got["source_arn"] == SOURCE["arn"] and got["copy_of"] == "arn:src"
    assert got["created_at"] == "2026-12-04T12:00:00Z" and got["data_time"] == iso(5)  # the copy's data is older
    assert got["encrypted"] and got["kms_key_id"] == KEY and got["region"] == "us-west-2"


def test_normalize_an_instance_snapshot_falls_back_to_the_original_create_time():
    raw = {"DBSnapshotIdentifier": "i1", "DBSnapshotArn": "arn:i1", "DBInstanceIdentifier": "legacy",
           "SnapshotCreateTime": NOW, "OriginalSnapshotCreateTime": NOW - timedelta(hours=2), "Encrypted": False,
           "Status": "available", "TagList": [{"Key": dr.TAG_CREATED_AT, "Value": "garbage"}]}
    got = dr.normalize_snapshot(raw, "instance", "us-east-2")
    assert not got["ours"] and got["source_id"] == "legacy" and got["data_time"] == iso(2)
    assert got["encrypted"] is False


def test_normalize_without_times_or_tags():
    got = dr.normalize_snapshot({"DBClusterSnapshotIdentifier": "s"}, "cluster", "r", tags={})
    assert got["created_at"] is None and got["data_time"] is None and got["ours"] is False
    assert dr.age_seconds(got, NOW) is None and dr.freshness(None, NOW) is None


# --- making and copying ------------------------------------------------------------------------------------------
def test_nothing_of_ours_yet_creates_and_copies():
    automated = snap("rds:coder-db-2026-12-04", 1, ours=False)
    out = plan([automated], [])
    assert out["refusal"] is None and out["snapshot"] is None
    assert out["create"]["id"] == "dr-coder-db-20261204-120000"
    tags = out["create"]["tags"]
    assert tags == {dr.TAG_MANAGED: "true", dr.TAG_SOURCE: SOURCE["arn"], dr.TAG_CREATED_AT: "2026-12-04T12:00:00Z",
                    dr.TAG_PURPOSE: "disaster-recovery"}
    request = out["copy_request"]
    assert request["target_id"] == out["create"]["id"] and request["kms_key_arn"] == KEY
    assert dr.TAG_COPY_OF not in request["tags"]  # no ARN yet: the module adds it
    assert out["changes"][0].startswith("cluster coder-db: create snapshot dr-coder-db-20261204-120000 (none of ours")
    assert len(out["changes"]) == 2


def test_a_fresh_snapshot_with_its_copy_changes_nothing():
    primary = snap("dr-coder-db-a", 2)
    out = plan([primary], [copy_of(primary)])
    assert out["create"] is None and out["copy_request"] is None and out["changes"] == []
    assert out["snapshot"]["id"] == "dr-coder-db-a" and out["copy"]["id"] == "dr-coder-db-a"


def test_a_stale_snapshot_makes_a_new_one_and_says_how_old():
    primary = snap("dr-coder-db-a", 30)
    out = plan([primary], [copy_of(primary)])
    assert out["create"] and "is 108000s old > max_age 86400s" in out["changes"][0]


def test_user_tags_do_not_override_ours():
    out = plan([], [], tags={"team": "platform", dr.TAG_MANAGED: "no"})
    assert out["create"]["tags"]["team"] == "platform" and out["create"]["tags"][dr.TAG_MANAGED] == "true"


def test_snapshots_of_others_or_of_another_source_are_not_used():
    manual = snap("before-upgrade", 1, ours=False)
    other = snap("dr-other-db-a", 1, source_arn="arn:aws:rds:us-east-2:123456789012:cluster:other")
    out = plan([manual, other], [])
    assert out["create"] is not None


def test_a_failed_snapshot_is_ignored_and_one_being_made_is_used():
    assert plan([snap("dr-coder-db-a", 1, status="failed")], [])["create"] is not None
    making = snap("dr-coder-db-b", 0, status="creating")
    out = plan([making], [copy_of(making, status="copying")])
    assert out["create"] is None and out["snapshot"]["status"] == "creating" and out["copy"]["status"] == "copying"


def test_a_fresh_snapshot_without_a_copy_is_copied():
    primary = snap("dr-coder-db-a", 2)
    out = plan([primary], [])
    assert out["create"] is None and out["copy_request"]["source_arn"] == primary["arn"]
    assert out["copy_request"]["tags"][dr.TAG_COPY_OF] == primary["arn"]
    assert out["copy_request"]["tags"][dr.TAG_CREATED_AT] == primary["data_time"]


def test_a_copy_under_another_key_or_failed_does_not_count_and_its_name_clash_refuses():
    primary = snap("dr-coder-db-a", 2)
    out = plan([primary], [copy_of(primary, key=OTHER_KEY)])
    assert out["refusal"].startswith("snapshot dr-coder-db-a already exists in the DR region but is not a usable copy")
    assert OTHER_KEY in out["refusal"] and out["changes"] == []
    out = plan([primary], [copy_of(primary, status="failed")])
    assert out["refusal"] and "status failed" in out["refusal"]


def test_a_copy_under_another_name_is_found_by_its_copy_of_tag():
    primary = snap("dr-coder-db-a", 2)
    out = plan([primary], [copy_of(primary, ident="renamed-copy")])
    assert out["copy"]["id"] == "renamed-copy" and out["copy_request"] is None


def test_a_stranger_in_the_dr_region_with_the_target_name_refuses():
    primary = snap("dr-coder-db-a", 2)
    stranger = snap("dr-coder-db-a", 1, region="us-west-2", ours=False)
    out = plan([primary], [stranger])
    assert out["refusal"] and "not made by dr_snapshot" in out["refusal"]


def test_a_new_name_already_taken_in_the_primary_region_refuses():
    taken = snap("dr-coder-db-20261204-120000", 1, ours=False)
    out = plan([taken], [])
    assert out["refusal"].startswith("a snapshot named dr-coder-db-20261204-120000 already exists in us-east-2")


# --- prune ---------------------------------------------------------------------------------------------------------
def world(count, hours_step=24, first=0):
    primary = [snap("dr-coder-db-%d" % i, first + i * hours_step) for i in range(count)]
    return primary, [copy_of(p) for p in primary]


def test_prune_off_lists_and_deletes_nothing():
    primary, dr_snaps = world(5)
    out = plan(primary, dr_snaps)
    assert out["prune"] == {"primary": [], "dr": []}
    assert out["prunable"]["primary"] == ["dr-coder-db-3", "dr-coder-db-4"]
    assert out["changes"] == []


def test_prune_keeps_the_newest_n_in_each_region():
    primary, dr_snaps = world(5)
    out = plan(primary, dr_snaps, prune=True)
    assert out["prune"] == {"primary": ["dr-coder-db-3", "dr-coder-db-4"], "dr": ["dr-coder-db-3", "dr-coder-db-4"]}
    assert len(out["changes"]) == 4 and out["prunable"] == {"primary": [], "dr": []}


def test_a_snapshot_about_to_be_made_counts_as_the_newest():
    primary, dr_snaps = world(4, first=30)  # every one older than max_age: a new one is made
    out = plan(primary, dr_snaps, prune=True)
    assert out["create"] is not None
    assert out["prune"]["primary"] == ["dr-coder-db-2", "dr-coder-db-3"]  # the new one plus 0 and 1 make keep 3
    assert out["prune"]["dr"] == ["dr-coder-db-2", "dr-coder-db-3"]


def test_keep_one_leaves_only_the_one_in_use():
    primary, dr_snaps = world(3)
    out = plan(primary, dr_snaps, prune=True, keep=1)
    assert out["prune"]["primary"] == ["dr-coder-db-1", "dr-coder-db-2"]


def test_the_snapshot_in_use_is_never_pruned_even_when_older_ones_are_newer_by_name():
    primary = [snap("dr-coder-db-z", 1), snap("dr-coder-db-y", 50), snap("dr-coder-db-x", 60)]
    out = plan(primary, [copy_of(primary[0])], prune=True, keep=1)
    assert out["snapshot"]["id"] == "dr-coder-db-z" and "dr-coder-db-z" not in out["prune"]["primary"]


def test_prune_never_touches_others_or_snapshots_still_being_made():
    primary, dr_snaps = world(2)
    primary += [snap("before-upgrade", 400, ours=False), snap("rds:auto", 300, ours=False),
                snap("dr-other-db", 500, source_arn="arn:other"), snap("dr-coder-db-busy", 600, status="creating")]
    out = plan(primary, dr_snaps, prune=True, keep=1)
    assert out["prune"]["primary"] == ["dr-coder-db-1"]


def test_freshness_summary():
    got = dr.freshness(snap("s", 2, key=KEY), NOW)
    assert got == {"id": "s", "arn": "arn:aws:rds:us-east-2:123456789012:cluster-snapshot:s", "data_time": iso(2),
                   "age_seconds": 7200, "status": "available", "kms_key_id": KEY}
