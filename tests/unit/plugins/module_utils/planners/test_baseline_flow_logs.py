# -*- coding: utf-8 -*-
"""Every branch of what vpc_flow_logs decides per VPC (plugins/module_utils/planners/flow_logs.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import flow_logs as fl

ROLE = "arn:aws:iam::123456789012:role/coder-vpc-flow-logs"


def desired(**overrides):
    params = {"log_group_name": "/coder/vpc-flow-logs", "deliver_logs_permission_arn": ROLE, "traffic_type": "ALL",
              "max_aggregation_interval": 600, "log_format": None, "tags": {"ManagedBy": "coder"}}
    params.update(overrides)
    return fl.desired_flow_log(params)


def flow_log(fid="fl-1", vpc="vpc-1", group="/coder/vpc-flow-logs", traffic="ALL", role=ROLE, interval=600,
             destination="cloud-watch-logs", tags=None, log_format=None):
    entry = {"FlowLogId": fid, "ResourceId": vpc, "LogGroupName": group, "TrafficType": traffic,
             "DeliverLogsPermissionArn": role, "MaxAggregationInterval": interval, "LogDestinationType": destination,
             "Tags": [{"Key": k, "Value": v} for k, v in (tags or {"ManagedBy": "coder"}).items()]}
    if log_format:
        entry["LogFormat"] = log_format
    return entry


def test_desired_defaults_and_string_tags():
    wanted = fl.desired_flow_log({"log_group_name": "/g", "tags": {"n": 1}})
    assert wanted == {"log_group_name": "/g", "deliver_logs_permission_arn": None, "traffic_type": "ALL",
                      "max_aggregation_interval": 600, "log_format": None, "tags": {"n": "1"}}
    assert fl.desired_flow_log({"log_group_name": "/g"})["tags"] is None


def test_no_flow_log_is_created():
    plan = fl.plan_vpc("vpc-1", [], desired())
    assert (plan["action"], plan["create"], plan["delete"]) == ("created", True, [])
    assert plan["before"] == [] and plan["after"] == [
        "ALL traffic to /coder/vpc-flow-logs via %s, every 600s" % ROLE]


def test_matching_flow_log_is_left_alone():
    plan = fl.plan_vpc("vpc-1", [flow_log()], desired())
    assert (plan["action"], plan["create"], plan["delete"], plan["flow_log_id"]) == ("none", False, [], "fl-1")
    assert plan["before"] == plan["after"]


def test_interval_missing_means_the_aws_default():
    existing = flow_log()
    existing.pop("MaxAggregationInterval")
    assert fl.plan_vpc("vpc-1", [existing], desired())["action"] == "none"


@pytest.mark.parametrize("existing,wanted", [
    # Each comparison on its own: every other setting of the existing flow log is what is wanted.
    (dict(traffic="REJECT"), {}),
    (dict(role="arn:aws:iam::123456789012:role/other"), {}),
    (dict(interval=60), {}),
    (dict(log_format="${srcaddr}"), dict(log_format="${version} ${srcaddr}")),
], ids=["traffic type", "role", "interval", "log format"])
def test_each_differing_setting_replaces_the_flow_log(existing, wanted):
    assert fl.matches(flow_log(**dict((k, v) for k, v in existing.items() if k == "log_format")),
                      desired(**dict((k, v) for k, v in existing.items() if k == "log_format")))
    plan = fl.plan_vpc("vpc-1", [flow_log(**existing)], desired(**wanted))
    assert plan["action"] == "replaced" and plan["create"] and plan["delete"] == ["fl-1"]
    assert plan["replaced"] == ["fl-1"]
    # The same flow log with that one setting as wanted is kept.
    assert fl.plan_vpc("vpc-1", [flow_log(**dict((k, v) for k, v in wanted.items()))], desired(**wanted))[
        "action"] == "none"


def test_custom_format_matches_when_equal():
    plan = fl.plan_vpc("vpc-1", [flow_log(log_format="${srcaddr}")], desired(log_format="${srcaddr}"))
    assert plan["action"] == "none"


def test_other_destinations_are_never_touched():
    others = [flow_log("fl-s3", destination="s3", group=None), flow_log("fl-other", group="/other"),
              flow_log("fl-vpc2", vpc="vpc-2")]
    plan = fl.plan_vpc("vpc-1", others, desired())
    assert plan["action"] == "created" and plan["delete"] == []
    assert plan["other_flow_logs"] == ["fl-other", "fl-s3"]


def test_extra_flow_logs_to_the_same_group_are_deleted_and_tags_set():
    plan = fl.plan_vpc("vpc-1", [flow_log("fl-2", traffic="ACCEPT"), flow_log("fl-1", tags={"x": "y"})], desired())
    assert (plan["action"], plan["flow_log_id"], plan["delete"]) == ("deleted", "fl-1", ["fl-2"])
    assert plan["tags"] == {"ManagedBy": "coder"} and plan["untag"] == ["x"]  # purge_tags, as amazon.aws
    kept = fl.plan_vpc("vpc-1", [flow_log(tags={"ManagedBy": "coder", "x": "y"})], desired(), purge_tags=False)
    assert (kept["action"], kept["tags"], kept["untag"]) == ("none", {}, [])
    tagged = fl.plan_vpc("vpc-1", [flow_log(tags={"ManagedBy": "someone"})], desired())
    assert (tagged["action"], tagged["tags"]) == ("tagged", {"ManagedBy": "coder"})
    untouched = fl.plan_vpc("vpc-1", [flow_log(tags={"ManagedBy": "someone"})], desired(tags=None))
    assert (untouched["action"], untouched["tags"], untouched["untag"]) == ("none", {}, [])


# --- accept_compliant: a compliant flow log made by someone else is left alone ------------------------------------
GOOD_GROUP = {"exists": True, "kms_key_id": "arn:aws:kms:us-east-2:123456789012:key/k", "retention_in_days": 30,
              "error": None}


def accept(**groups):
    return {"traffic_type": "ALL", "min_retention_days": 7, "log_groups": groups}


def active(**kwargs):
    entry = flow_log(**kwargs)
    entry.update(FlowLogStatus="ACTIVE", DeliverLogsStatus="SUCCESS")
    return entry


def test_a_compliant_flow_log_of_another_role_interval_and_format_is_accepted():
    theirs = active(role="arn:aws:iam::123456789012:role/theirs", interval=60, log_format="${srcaddr}",
                    tags={"Owner": "them"})
    plan = fl.plan_vpc("vpc-1", [theirs], desired(), accept=accept())
    assert (plan["action"], plan["create"], plan["delete"], plan["accepted"]) == ("none", False, [], "fl-1")
    assert (plan["tags"], plan["untag"]) == ({}, [])  # not ours to tag
    assert plan["before"] == plan["after"]
    # Without accept_compliant the same flow log is replaced: the module's exact mode.
    assert fl.plan_vpc("vpc-1", [theirs], desired())["action"] == "replaced"


def test_a_compliant_flow_log_to_another_group_is_accepted_when_that_group_is_compliant():
    theirs = active(fid="fl-9", group="/theirs", role="arn:aws:iam::123456789012:role/theirs")
    assert fl.plan_vpc("vpc-1", [theirs], desired(), accept=accept(**{"/theirs": GOOD_GROUP}))["action"] == "none"
    for group in (dict(GOOD_GROUP, kms_key_id=None), dict(GOOD_GROUP, retention_in_days=None),
                  dict(GOOD_GROUP, retention_in_days=3), dict(GOOD_GROUP, exists=False), None):
        plan = fl.plan_vpc("vpc-1", [theirs], desired(), accept=accept(**{"/theirs": group}))
        assert (plan["action"], plan["delete"], plan["other_flow_logs"]) == ("created", [], ["fl-9"]), group


@pytest.mark.parametrize("change", [
    dict(traffic="REJECT"), dict(destination="s3", group=None)], ids=["traffic type", "destination"])
def test_a_non_compliant_flow_log_is_not_accepted(change):
    plan = fl.plan_vpc("vpc-1", [active(role="arn:other", **change)], desired(), accept=accept())
    assert plan["action"] in ("replaced", "created") and plan["create"]


def test_an_inactive_or_failing_flow_log_is_not_accepted():
    failing = active(role="arn:other")
    failing["DeliverLogsStatus"] = "FAILED"
    inactive = active(role="arn:other")
    inactive["FlowLogStatus"] = "INACTIVE"
    for existing in (failing, inactive):
        assert fl.plan_vpc("vpc-1", [existing], desired(), accept=accept())["action"] == "replaced"


def test_an_exact_flow_log_next_to_an_accepted_one_is_kept_and_nothing_deleted():
    theirs = active(fid="fl-0", role="arn:other")
    ours = active(fid="fl-1", tags={"Owner": "them"})
    plan = fl.plan_vpc("vpc-1", [theirs, ours], desired(), accept=accept())
    assert (plan["action"], plan["delete"], plan["flow_log_id"], plan["accepted"]) == (
        "tagged", [], "fl-1", "fl-0")


# --- the baseline's rule, shared with the vpc.flow_logs judge -----------------------------------------------------
def normal(**changes):
    entry = {"flow_log_id": "fl-1", "flow_log_status": "ACTIVE", "deliver_logs_status": "SUCCESS",
             "traffic_type": "ALL", "log_destination_type": "cloud-watch-logs", "log_group_name": "/g"}
    entry.update(changes)
    return entry


@pytest.mark.parametrize("changes,group,fragment", [
    ({}, GOOD_GROUP, None),
    ({"flow_log_status": "INACTIVE"}, GOOD_GROUP, "is INACTIVE"),
    ({"deliver_logs_status": "FAILED", "deliver_logs_error": "Access error"}, GOOD_GROUP, "cannot deliver: Access"),
    ({"deliver_logs_status": "FAILED"}, GOOD_GROUP, "delivery failed"),
    ({"traffic_type": "REJECT"}, GOOD_GROUP, "captures REJECT traffic, not ALL"),
    ({"log_destination_type": "s3"}, GOOD_GROUP, "goes to s3"),
    ({}, {"error": "boom"}, "unreadable: boom"),
    ({}, {"exists": False}, "does not exist"),
    ({}, dict(GOOD_GROUP, kms_key_id=None), "not encrypted with a KMS key"),
    ({}, dict(GOOD_GROUP, retention_in_days=None), "keeps logs forever"),
    ({}, dict(GOOD_GROUP, retention_in_days=5), "keeps logs 5 days, less than 7"),
])
def test_flow_log_problem(changes, group, fragment):
    problem = fl.flow_log_problem(normal(**changes), {"/g": group}, "ALL", 7)
    assert (problem is None) if fragment is None else (fragment in problem), problem


def test_normalize_flow_log_and_log_group_state():
    entry = fl.normalize_flow_log({"FlowLogId": "fl-1", "ResourceId": "vpc-1", "TrafficType": "ALL"})
    assert entry["log_destination_type"] == "cloud-watch-logs" and entry["resource_id"] == "vpc-1"
    assert fl.log_group_state(None)["exists"] is False
    assert fl.log_group_state({"arn": "a", "kmsKeyId": "k", "retentionInDays": 30}) == {
        "exists": True, "arn": "a", "kms_key_id": "k", "retention_in_days": 30, "error": None}


def test_absent_deletes_only_ours():
    plan = fl.plan_vpc("vpc-1", [flow_log(), flow_log("fl-s3", destination="s3")], desired(), state="absent")
    assert (plan["action"], plan["delete"], plan["after"]) == ("deleted", ["fl-1"], [])
    assert fl.plan_vpc("vpc-1", [], desired(), state="absent")["action"] == "none"
