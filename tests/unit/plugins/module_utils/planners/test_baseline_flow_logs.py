# -*- coding: utf-8 -*-
"""Every branch of what vpc_flow_logs decides per VPC (plugins/module_utils/planners/flow_logs.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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


def test_differing_settings_replace_the_flow_log():
    for existing in (flow_log(traffic="REJECT"), flow_log(role="arn:other"), flow_log(interval=60),
                     flow_log(log_format="${srcaddr}")):
        plan = fl.plan_vpc("vpc-1", [existing], desired(log_format="${version} ${srcaddr}"))
        assert plan["action"] == "replaced" and plan["create"] and plan["delete"] == ["fl-1"]
        assert plan["replaced"] == ["fl-1"]


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
    assert plan["tags"] == {"ManagedBy": "coder"}
    tagged = fl.plan_vpc("vpc-1", [flow_log(tags={"ManagedBy": "someone"})], desired())
    assert (tagged["action"], tagged["tags"]) == ("tagged", {"ManagedBy": "coder"})


def test_absent_deletes_only_ours():
    plan = fl.plan_vpc("vpc-1", [flow_log(), flow_log("fl-s3", destination="s3")], desired(), state="absent")
    assert (plan["action"], plan["delete"], plan["after"]) == ("deleted", ["fl-1"], [])
    assert fl.plan_vpc("vpc-1", [], desired(), state="absent")["action"] == "none"
