# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VPC flow logs (requirement 2.4): what a compliant flow log is, and what ``vpc_flow_logs`` must do for one VPC.

``flow_log_problem`` is the baseline's rule - the ``vpc.flow_logs`` judge (checks/baseline.py) and the converger
(``vpc_flow_logs`` with ``accept_compliant``) both ask it, on the shape ``normalize_flow_log`` makes of an EC2 flow
log (the shape ``data_protection_info`` returns).

A flow log is *ours* when it belongs to the VPC and delivers to the wanted CloudWatch log group. Flow logs are
immutable, so an ours flow log whose settings differ is deleted and a new one created; flow logs to any other
destination are never touched. With ``accept`` (``accept_compliant``), a VPC that already has a compliant flow log -
made by anyone, with any role, interval or format - is left exactly as it is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict, compare_aws_tags

DEFAULT_AGGREGATION_INTERVAL = 600
CLOUDWATCH = "cloud-watch-logs"


# --- the baseline's rule -------------------------------------------------------------------------------------------
def normalize_flow_log(flow_log):
    """The fields the rule reads, from one DescribeFlowLogs entry."""
    return {
        "flow_log_id": flow_log.get("FlowLogId"), "resource_id": flow_log.get("ResourceId"),
        "flow_log_status": flow_log.get("FlowLogStatus"), "deliver_logs_status": flow_log.get("DeliverLogsStatus"),
        "deliver_logs_error": flow_log.get("DeliverLogsErrorMessage"), "traffic_type": flow_log.get("TrafficType"),
        "log_destination_type": flow_log.get("LogDestinationType") or CLOUDWATCH,
        "log_group_name": flow_log.get("LogGroupName"), "log_destination": flow_log.get("LogDestination"),
        "deliver_logs_permission_arn": flow_log.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
    }


def log_group_state(group):
    """{exists, arn, kms_key_id, retention_in_days, error} from one DescribeLogGroups entry (None: no such group)."""
    if not group:
        return {"exists": False, "arn": None, "kms_key_id": None, "retention_in_days": None, "error": None}
    return {"exists": True, "arn": group.get("arn"), "kms_key_id": group.get("kmsKeyId"),
            "retention_in_days": group.get("retentionInDays"), "error": None}


def flow_log_setting_problem(flow_log, traffic_type):
    """What is wrong with the flow log itself (not its log group), or None."""
    if flow_log.get("flow_log_status") != "ACTIVE":
        return "flow log %s is %s" % (flow_log.get("flow_log_id"), flow_log.get("flow_log_status"))
    if flow_log.get("deliver_logs_status") == "FAILED":
        cause = flow_log.get("deliver_logs_error") or "delivery failed"
        return "flow log %s cannot deliver: %s" % (flow_log.get("flow_log_id"), cause)
    if traffic_type and flow_log.get("traffic_type") != traffic_type:
        return "flow log %s captures %s traffic, not %s" % (flow_log.get("flow_log_id"),
                                                            flow_log.get("traffic_type"), traffic_type)
    if flow_log.get("log_destination_type") != CLOUDWATCH:
        return "flow log %s goes to %s, not a CloudWatch log group" % (flow_log.get("flow_log_id"),
                                                                       flow_log.get("log_destination_type"))
    return None


def log_group_problem(name, group, min_retention):
    """What is wrong with the log group a flow log delivers to, or None."""
    group = group or {}
    if group.get("error"):
        return "log group %s unreadable: %s" % (name, group["error"])
    if not group.get("exists"):
        return "log group %s does not exist" % name
    if not group.get("kms_key_id"):
        return "log group %s is not encrypted with a KMS key" % name
    if not group.get("retention_in_days"):
        return "log group %s keeps logs forever (no retention)" % name
    if group["retention_in_days"] < (min_retention or 0):
        return "log group %s keeps logs %d days, less than %d" % (name, group["retention_in_days"], min_retention)
    return None


def flow_log_problem(flow_log, log_groups, traffic_type, min_retention):
    """None when the flow log meets the baseline (active, delivering, ``traffic_type`` traffic, to a CloudWatch log
    group that is KMS-encrypted and keeps logs at least ``min_retention`` days), else what is wrong with it."""
    problem = flow_log_setting_problem(flow_log, traffic_type)
    if problem:
        return problem
    name = flow_log.get("log_group_name")
    return log_group_problem(name, (log_groups or {}).get(name), min_retention)


def desired_flow_log(params):
    return {
        "log_group_name": params["log_group_name"],
        "deliver_logs_permission_arn": params.get("deliver_logs_permission_arn"),
        "traffic_type": params.get("traffic_type") or "ALL",
        "max_aggregation_interval": params.get("max_aggregation_interval") or DEFAULT_AGGREGATION_INTERVAL,
        "log_format": params.get("log_format"),
        "tags": None if params.get("tags") is None else dict((k, str(v)) for k, v in params["tags"].items()),
    }


def is_ours(flow_log, vpc_id, desired):
    return (flow_log.get("ResourceId") == vpc_id
            and (flow_log.get("LogDestinationType") or CLOUDWATCH) == CLOUDWATCH
            and flow_log.get("LogGroupName") == desired["log_group_name"])


def matches(flow_log, desired):
    if flow_log.get("TrafficType") != desired["traffic_type"]:
        return False
    if flow_log.get("DeliverLogsPermissionArn") != desired["deliver_logs_permission_arn"]:
        return False
    if (flow_log.get("MaxAggregationInterval") or DEFAULT_AGGREGATION_INTERVAL) != desired["max_aggregation_interval"]:
        return False
    return not desired["log_format"] or flow_log.get("LogFormat") == desired["log_format"]


def describe(settings):
    """One line for the diff, from an EC2 flow log or from the desired settings."""
    if "TrafficType" in settings:
        settings = {"flow_log_id": settings.get("FlowLogId"), "traffic_type": settings.get("TrafficType"),
                    "log_group_name": settings.get("LogGroupName"),
                    "deliver_logs_permission_arn": settings.get("DeliverLogsPermissionArn"),
                    "max_aggregation_interval": settings.get("MaxAggregationInterval") or DEFAULT_AGGREGATION_INTERVAL}
    return "%s%s traffic to %s via %s, every %ss" % (
        "%s: " % settings["flow_log_id"] if settings.get("flow_log_id") else "", settings["traffic_type"],
        settings["log_group_name"], settings["deliver_logs_permission_arn"], settings["max_aggregation_interval"])


def tag_changes(flow_log, desired, purge_tags=True):
    """(tags to set, keys to remove) with amazon.aws's semantics: desired tags None leaves the tags alone."""
    if desired.get("tags") is None:
        return {}, []
    have = boto3_tag_list_to_ansible_dict(flow_log.get("Tags") or [])
    return compare_aws_tags(have, desired["tags"], purge_tags)


def accepted_flow_log(vpc_id, flow_logs, desired, accept):
    """The id of a flow log of the VPC that already meets the baseline, or None. A flow log to the wanted log group
    is judged on its own settings only - the group is the caller's to converge (role security_baseline does it);
    a flow log to any other group is judged with that group as ``accept["log_groups"]`` describes it."""
    for flow_log in sorted((f for f in flow_logs if f.get("ResourceId") == vpc_id),
                           key=lambda f: f.get("FlowLogId") or ""):
        normal = normalize_flow_log(flow_log)
        if normal["log_group_name"] == desired["log_group_name"] and normal["log_destination_type"] == CLOUDWATCH:
            problem = flow_log_setting_problem(normal, accept.get("traffic_type"))
        else:
            problem = flow_log_problem(normal, accept.get("log_groups"), accept.get("traffic_type"),
                                       accept.get("min_retention_days"))
        if problem is None:
            return normal["flow_log_id"]
    return None


def plan_vpc(vpc_id, flow_logs, desired, state="present", accept=None, purge_tags=True):
    """{vpc_id, action, create, delete, tags, untag, flow_log_id, accepted, replaced, other_flow_logs, before,
    after}. ``accept`` ({traffic_type, min_retention_days, log_groups}) leaves a VPC with a compliant flow log as
    it is."""
    mine = sorted((f for f in flow_logs if is_ours(f, vpc_id, desired)), key=lambda f: f.get("FlowLogId") or "")
    others = sorted(f.get("FlowLogId") for f in flow_logs
                    if f.get("ResourceId") == vpc_id and not is_ours(f, vpc_id, desired))
    plan = {"vpc_id": vpc_id, "action": "none", "create": False, "delete": [], "tags": {}, "untag": [],
            "flow_log_id": None, "accepted": None, "replaced": [], "other_flow_logs": others,
            "before": [describe(f) for f in mine], "after": []}
    if state == "absent":
        plan["delete"] = [f.get("FlowLogId") for f in mine]
        plan["action"] = "deleted" if mine else "none"
        return plan
    good = [f for f in mine if matches(f, desired)]
    accepted = accepted_flow_log(vpc_id, flow_logs, desired, accept) if accept is not None else None
    if accepted and not good:
        plan.update(flow_log_id=accepted, accepted=accepted, after=list(plan["before"]))
        return plan
    if good:
        keep = good[0]
        plan["flow_log_id"] = keep.get("FlowLogId")
        plan["accepted"] = accepted
        plan["delete"] = [] if accepted else [f.get("FlowLogId") for f in mine if f is not keep]
        plan["tags"], plan["untag"] = tag_changes(keep, desired, purge_tags)
        plan["after"] = list(plan["before"]) if accepted else [describe(keep)]
        if plan["delete"]:
            plan["action"] = "deleted"
        elif plan["tags"] or plan["untag"]:
            plan["action"] = "tagged"
        return plan
    plan["create"] = True
    plan["delete"] = [f.get("FlowLogId") for f in mine]
    plan["replaced"] = list(plan["delete"])
    plan["action"] = "replaced" if mine else "created"
    plan["after"] = [describe(desired)]
    return plan
