# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``vpc_flow_logs`` must do for one VPC, as a pure function of the flow logs EC2 describes (requirement 2.4).

A flow log is *ours* when it belongs to the VPC and delivers to the wanted CloudWatch log group. Flow logs are
immutable, so an ours flow log whose settings differ is deleted and a new one created; flow logs to any other
destination are never touched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DEFAULT_AGGREGATION_INTERVAL = 600


def desired_flow_log(params):
    return {
        "log_group_name": params["log_group_name"],
        "deliver_logs_permission_arn": params.get("deliver_logs_permission_arn"),
        "traffic_type": params.get("traffic_type") or "ALL",
        "max_aggregation_interval": params.get("max_aggregation_interval") or DEFAULT_AGGREGATION_INTERVAL,
        "log_format": params.get("log_format"),
        "tags": dict((k, str(v)) for k, v in (params.get("tags") or {}).items()),
    }


def is_ours(flow_log, vpc_id, desired):
    return (flow_log.get("ResourceId") == vpc_id
            and (flow_log.get("LogDestinationType") or "cloud-watch-logs") == "cloud-watch-logs"
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


def missing_tags(flow_log, desired):
    have = dict((t.get("Key"), t.get("Value")) for t in flow_log.get("Tags") or [])
    return dict((k, v) for k, v in desired["tags"].items() if have.get(k) != v)


def plan_vpc(vpc_id, flow_logs, desired, state="present"):
    """{vpc_id, action, create, delete, tags, flow_log_id, replaced, other_flow_logs, before, after}."""
    mine = sorted((f for f in flow_logs if is_ours(f, vpc_id, desired)), key=lambda f: f.get("FlowLogId") or "")
    others = sorted(f.get("FlowLogId") for f in flow_logs
                    if f.get("ResourceId") == vpc_id and not is_ours(f, vpc_id, desired))
    plan = {"vpc_id": vpc_id, "action": "none", "create": False, "delete": [], "tags": {}, "flow_log_id": None,
            "replaced": [], "other_flow_logs": others, "before": [describe(f) for f in mine], "after": []}
    if state == "absent":
        plan["delete"] = [f.get("FlowLogId") for f in mine]
        plan["action"] = "deleted" if mine else "none"
        return plan
    good = [f for f in mine if matches(f, desired)]
    if good:
        keep = good[0]
        plan["flow_log_id"] = keep.get("FlowLogId")
        plan["delete"] = [f.get("FlowLogId") for f in mine if f is not keep]
        plan["tags"] = missing_tags(keep, desired)
        plan["after"] = [describe(keep)]
        if plan["delete"]:
            plan["action"] = "deleted"
        elif plan["tags"]:
            plan["action"] = "tagged"
        return plan
    plan["create"] = True
    plan["delete"] = [f.get("FlowLogId") for f in mine]
    plan["replaced"] = list(plan["delete"])
    plan["action"] = "replaced" if mine else "created"
    plan["after"] = [describe(desired)]
    return plan
