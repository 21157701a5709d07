#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: vpc_flow_logs
short_description: Ensure every VPC of a region has a flow log to a CloudWatch log group
version_added: 0.1.0
description:
  - Ensures one VPC flow log per VPC (every VPC of the region unless O(vpc_ids) names some) delivering to the
    CloudWatch Logs group O(log_group_name) through the IAM role O(deliver_logs_permission_arn).
  - Flow logs cannot be modified. A flow log of the VPC to the same log group whose traffic type, role, aggregation
    interval or format differ is deleted and created anew (that deletes no log data). Flow logs to other
    destinations are left alone and returned in RV(vpcs).
  - With O(accept_compliant), a VPC that already has a flow log meeting the data-protection baseline (check
    C(vpc.flow_logs) - active, delivering, capturing O(traffic_type), to a CloudWatch log group) is left exactly as it
    is, whoever made it and whatever its role, interval or format. A flow log to O(log_group_name) is judged on its
    own settings (that group is the caller's to converge); one to another group also needs that group KMS-encrypted
    with at least O(min_retention_days) of retention.
  - Create the log group (KMS-encrypted, with retention) and the delivery role first, for example with
    M(amazon.aws.cloudwatchlogs_log_group) and M(amazon.aws.iam_role); role C(coder.ai_platform.security_baseline)
    does all of it.
  - With O(state=absent) it deletes this module's flow logs (those of the VPCs to O(log_group_name)) and nothing else.
author:
  - Coder platform team (@coder)
options:
  state:
    description: Whether the flow logs should exist.
    type: str
    choices: [present, absent]
    default: present
  vpc_ids:
    description: The VPCs to cover. Empty means every VPC of the region.
    type: list
    elements: str
    default: []
  log_group_name:
    description: The CloudWatch Logs group that receives the flow logs.
    type: str
    required: true
  deliver_logs_permission_arn:
    description:
      - ARN of the IAM role that VPC Flow Logs assumes to write to the log group (trust
        C(vpc-flow-logs.amazonaws.com)). Required when O(state=present).
    type: str
  traffic_type:
    description: The traffic to capture.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  max_aggregation_interval:
    description: Seconds over which packets are aggregated into one flow log record.
    type: int
    choices: [60, 600]
    default: 600
  log_format:
    description: Custom record format (C(${field} ...)). Unset keeps AWS's default format and accepts any existing one.
    type: str
  accept_compliant:
    description: Leave a VPC alone when it already has a compliant flow log (see the description).
    type: bool
    default: false
  min_retention_days:
    description: With O(accept_compliant), the retention a flow log's other log group must keep at least (0 - any
      retention; a group that never expires is not compliant).
    type: int
    default: 0
  tags:
    description:
      - Tags the flow logs carry. New flow logs get them; on a kept flow log of this module missing or different
        tags are set. When omitted, tags are left as they are. A flow log accepted under O(accept_compliant) is never
        retagged.
    type: dict
  purge_tags:
    description: With O(tags) given, remove the other tags of a kept flow log (never the C(aws:) ones).
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: aws
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Flow logs for every VPC of the region
  coder.ai_platform.vpc_flow_logs:
    region: us-east-2
    log_group_name: /coder/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/coder-vpc-flow-logs
    tags:
      ManagedBy: coder.ai_platform
"""

RETURN = r"""
vpcs:
  description:
    - One entry per VPC - C(vpc_id), C(action) (C(none), C(created), C(replaced), C(deleted), C(tagged)),
      C(flow_log_id) (the flow log to O(log_group_name) after the run - or the accepted one; null in check mode when
      it would be created), C(accepted) (the compliant flow log the VPC already had, with O(accept_compliant)),
      C(replaced) (ids of deleted flow logs), C(other_flow_logs) (ids of flow logs to other destinations).
  returned: always
  type: list
  elements: dict
log_groups:
  description:
    - With O(accept_compliant), the log groups the VPCs' flow logs deliver to and O(log_group_name), by name
      (C(exists), C(arn), C(kms_key_id), C(retention_in_days), C(error)).
  returned: always
  type: dict
in_use:
  description:
    - What the VPCs' flow logs use before the run - C(log_groups) (CloudWatch log group names) and C(roles) (delivery
      role ARNs) - so a caller knows whether its own group and role serve some flow log.
  returned: always
  type: dict
diff:
  description: Before and after, per VPC, of its flow logs to O(log_group_name).
  returned: always
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.coder.ai_platform.plugins.module_utils.planners.flow_logs import (
    CLOUDWATCH, desired_flow_log, log_group_state, plan_vpc,
)


def call(module, what, method, **kwargs):
    try:
        return method(aws_retry=True, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="%s in %s failed" % (what, module.region))


def read(module, client):
    try:
        if module.params["vpc_ids"]:
            vpcs = paginated_query_with_retries(client, "describe_vpcs", VpcIds=module.params["vpc_ids"])["Vpcs"]
        else:
            vpcs = paginated_query_with_retries(client, "describe_vpcs")["Vpcs"]
        vpc_ids = sorted(v["VpcId"] for v in vpcs)
        flow_logs = paginated_query_with_retries(client, "describe_flow_logs")["FlowLogs"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read VPCs and flow logs in %s" % module.region)
    return vpc_ids, [f for f in flow_logs if f.get("ResourceId") in vpc_ids]


def read_log_groups(module, flow_logs):
    """The CloudWatch log groups the flow logs deliver to, and the wanted one, by name."""
    names = set(f.get("LogGroupName") for f in flow_logs
                if (f.get("LogDestinationType") or CLOUDWATCH) == CLOUDWATCH and f.get("LogGroupName"))
    names.add(module.params["log_group_name"])
    logs = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
    groups = {}
    for name in sorted(names):
        try:
            found = paginated_query_with_retries(logs, "describe_log_groups", logGroupNamePrefix=name)["logGroups"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            groups[name] = dict(log_group_state(None), exists=None,
                                error="CloudWatch Logs DescribeLogGroups %s: %s" % (name, err))
            continue
        groups[name] = log_group_state(next((g for g in found if g.get("logGroupName") == name), None))
    return groups


def create(module, client, vpc_ids, desired):
    """Create one flow log per VPC in one call; returns {vpc id: flow log id}."""
    tags = ansible_dict_to_boto3_tag_list(desired["tags"] or {})
    request = {"ResourceIds": vpc_ids, "ResourceType": "VPC", "TrafficType": desired["traffic_type"],
               "LogDestinationType": "cloud-watch-logs", "LogGroupName": desired["log_group_name"],
               "DeliverLogsPermissionArn": desired["deliver_logs_permission_arn"],
               "MaxAggregationInterval": desired["max_aggregation_interval"]}
    if desired["log_format"]:
        request["LogFormat"] = desired["log_format"]
    if tags:
        request["TagSpecifications"] = [{"ResourceType": "vpc-flow-log", "Tags": tags}]
    answer = call(module, "CreateFlowLogs", client.create_flow_logs, **request)
    if answer.get("Unsuccessful"):
        module.fail_json(msg="CreateFlowLogs in %s refused: %s" % (module.region, "; ".join(
            "%s: %s" % (u.get("ResourceId"), (u.get("Error") or {}).get("Message")) for u in answer["Unsuccessful"])))
    try:
        found = paginated_query_with_retries(client, "describe_flow_logs", Filters=[
            {"Name": "flow-log-id", "Values": answer.get("FlowLogIds") or []}])["FlowLogs"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read the flow logs just created in %s" % module.region)
    return dict((f["ResourceId"], f["FlowLogId"]) for f in found)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            vpc_ids=dict(type="list", elements="str", default=[]),
            log_group_name=dict(type="str", required=True),
            deliver_logs_permission_arn=dict(type="str"),
            traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"], default="ALL"),
            max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
            log_format=dict(type="str"),
            accept_compliant=dict(type="bool", default=False),
            min_retention_days=dict(type="int", default=0),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["deliver_logs_permission_arn"])],
        supports_check_mode=True,
    )
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    desired = desired_flow_log(module.params)
    vpc_ids, flow_logs = read(module, client)
    accept, log_groups = None, {}
    if module.params["accept_compliant"] and module.params["state"] == "present":
        log_groups = read_log_groups(module, flow_logs)
        accept = {"traffic_type": desired["traffic_type"], "min_retention_days": module.params["min_retention_days"],
                  "log_groups": log_groups}
    plans = [plan_vpc(vpc_id, flow_logs, desired, module.params["state"], accept, module.params["purge_tags"])
             for vpc_id in vpc_ids]

    changed = any(p["action"] != "none" for p in plans)
    if changed and not module.check_mode:
        doomed = [i for p in plans for i in p["delete"]]
        if doomed:
            call(module, "DeleteFlowLogs", client.delete_flow_logs, FlowLogIds=doomed)
        wanted = [p["vpc_id"] for p in plans if p["create"]]
        created = create(module, client, wanted, desired) if wanted else {}
        for plan in plans:
            if plan["create"]:
                plan["flow_log_id"] = created.get(plan["vpc_id"])
            if plan["untag"]:
                call(module, "DeleteTags", client.delete_tags, Resources=[plan["flow_log_id"]],
                     Tags=[{"Key": k} for k in sorted(plan["untag"])])
            if plan["tags"]:
                call(module, "CreateTags", client.create_tags, Resources=[plan["flow_log_id"]],
                     Tags=ansible_dict_to_boto3_tag_list(plan["tags"]))
    before = dict((p["vpc_id"], p["before"]) for p in plans)
    after = dict((p["vpc_id"], p["after"]) for p in plans)
    vpcs = [dict((k, p[k]) for k in ("vpc_id", "action", "flow_log_id", "accepted", "replaced", "other_flow_logs"))
            for p in plans]
    in_use = {"log_groups": sorted(set(f["LogGroupName"] for f in flow_logs if f.get("LogGroupName")
                                       and (f.get("LogDestinationType") or CLOUDWATCH) == CLOUDWATCH)),
              "roles": sorted(set(f["DeliverLogsPermissionArn"] for f in flow_logs
                                  if f.get("DeliverLogsPermissionArn")))}
    module.exit_json(changed=changed, vpcs=vpcs, log_groups=log_groups, in_use=in_use,
                     diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
