#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: data_protection_info
short_description: Read what the data-protection baseline judges, for one region
version_added: 0.1.0
description:
  - Reads, for one region, the facts behind the data-protection checks of requirement 2 - RDS and Aurora
    encryption keys and force-TLS parameters, Secrets Manager rotation, security groups and which network
    interfaces carry them, VPC flow logs and their log groups, ELBv2 listeners and their TLS policies - and, only
    when asked, S3 bucket policies (S3 is global, so ask in one region only).
  - Never changes anything. A section that cannot be read (no permission, endpoint unreachable) is returned empty
    with its cause in RV(errors), and the other sections are still read.
  - Judge the result with the C(coder.ai_platform.baseline_checks) filter or
    C(plugins/module_utils/checks/baseline.py).
author:
  - Coder platform team (@coder)
options:
  sections:
    description:
      - The sections to read. V(s3) lists every bucket of the account, so ask for it in one region only.
    type: list
    elements: str
    choices: [rds, secrets, security_groups, flow_logs, load_balancers, s3]
    default: [rds, secrets, security_groups, flow_logs, load_balancers]
  s3_buckets:
    description:
      - Bucket names or shell-style patterns whose policies are read in the V(s3) section. Empty reads every bucket.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the region's data-protection facts
  coder.ai_platform.data_protection_info:
    region: us-east-2
  register: facts

- name: Also read bucket policies, once for the account
  coder.ai_platform.data_protection_info:
    region: us-east-2
    sections: [rds, secrets, security_groups, flow_logs, load_balancers, s3]
    s3_buckets: ["coder-*"]
  register: facts
"""

RETURN = r"""
region:
  description: The region read.
  returned: always
  type: str
sections:
  description: The sections that were asked for.
  returned: always
  type: list
  elements: str
errors:
  description: Section name to the reason it could not be read; empty when every section was read.
  returned: always
  type: dict
  sample: {"secrets": "Secrets Manager ListSecrets in us-east-2: AccessDeniedException ..."}
rds:
  description:
    - C(clusters) (C(id), C(arn), C(engine), C(engine_version), C(status), C(storage_encrypted), C(kms_key_id),
      C(parameter_group), C(members)), C(instances) (the same plus C(cluster_id), null for a standalone instance,
      and C(parameter_groups)), C(kms_keys) (by the key id the resources name - C(arn), C(key_id), C(key_manager)
      CUSTOMER or AWS, C(key_state), C(aliases), C(error)), C(cluster_parameter_groups) and
      C(instance_parameter_groups) (by name - C(parameters) with C(rds.force_ssl) and C(require_secure_transport),
      C(error)).
  returned: when asked for
  type: dict
secrets:
  description:
    - C(secrets) - C(name), C(arn), C(rotation_enabled), C(rotation_lambda_arn), C(rotation_rules)
      (C(automatically_after_days), C(schedule_expression), C(duration)), C(last_rotated_date),
      C(next_rotation_date), C(last_changed_date), C(created_date) (ISO 8601 UTC), C(tags) (a dict).
  returned: when asked for
  type: dict
security_groups:
  description:
    - C(groups) - C(group_id), C(group_name), C(vpc_id), C(description), C(ip_permissions) (exactly as EC2
      DescribeSecurityGroups returns them) and C(network_interface_count) (network interfaces carrying the group).
  returned: when asked for
  type: dict
flow_logs:
  description:
    - C(vpcs) (C(vpc_id), C(is_default), C(cidr), C(name)), C(flow_logs) of those VPCs (C(flow_log_id),
      C(resource_id), C(flow_log_status), C(deliver_logs_status), C(deliver_logs_error), C(traffic_type),
      C(log_destination_type), C(log_group_name), C(log_destination), C(deliver_logs_permission_arn),
      C(max_aggregation_interval)) and C(log_groups) their CloudWatch log groups by name (C(exists), C(arn),
      C(kms_key_id), C(retention_in_days), C(error)).
  returned: when asked for
  type: dict
load_balancers:
  description:
    - C(load_balancers) (C(name), C(arn), C(type), C(scheme)), C(listeners) (C(load_balancer), C(listener_arn),
      C(port), C(protocol), C(ssl_policy), C(default_actions) with C(type) and C(redirect)), C(ssl_policies) (policy
      name to its TLS protocols), C(listener_errors) (load balancer to the reason its listeners were unreadable).
  returned: when asked for
  type: dict
s3:
  description: C(buckets) - C(name), C(policy) (the parsed policy, null when the bucket has none), C(error).
  returned: when asked for
  type: dict
"""

import fnmatch
import json

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.coder.ai_platform.plugins.module_utils.planners.security_groups import (
    interface_counts, normalize_group,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat

SECTIONS = ["rds", "secrets", "security_groups", "flow_logs", "load_balancers", "s3"]
REGIONAL_SECTIONS = SECTIONS[:-1]
FORCE_SSL_NAMES = ("rds.force_ssl", "require_secure_transport")


class SectionError(Exception):
    pass


@AWSRetry.jittered_backoff()
def paginate(client, operation, result_key, **kwargs):
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(result_key) or []


def read(what, call, *args, **kwargs):
    """Run one read; an AWS error becomes SectionError naming the call (the section's error text)."""
    try:
        return call(*args, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        raise SectionError("%s: %s" % (what, err))


def _iso(value):
    return isoformat(value) if hasattr(value, "astimezone") else value


# --- RDS -----------------------------------------------------------------------------------------------------------
def _kms_keys(module, key_ids):
    if not key_ids:
        return {}
    kms = module.client("kms", retry_decorator=AWSRetry.jittered_backoff())
    aliases = {}
    try:
        for alias in paginate(kms, "list_aliases", "Aliases"):
            if alias.get("TargetKeyId"):
                aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        aliases = {}  # aliases only sharpen the report; KeyManager decides
    keys = {}
    for key_id in sorted(key_ids):
        try:
            meta = kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            keys[key_id] = {"arn": None, "key_id": None, "key_manager": None, "key_state": None, "aliases": [],
                            "error": "KMS DescribeKey %s: %s" % (key_id, err)}
            continue
        keys[key_id] = {"arn": meta.get("Arn"), "key_id": meta.get("KeyId"), "key_manager": meta.get("KeyManager"),
                        "key_state": meta.get("KeyState"), "aliases": sorted(aliases.get(meta.get("KeyId"), [])),
                        "error": None}
    return keys


def _parameter_groups(client, operation, name_key, names):
    groups = {}
    for name in sorted(names):
        try:
            parameters = paginate(client, operation, "Parameters", **{name_key: name})
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            groups[name] = {"parameters": None, "error": "RDS %s %s: %s" % (operation, name, err)}
            continue
        groups[name] = {"parameters": dict((p["ParameterName"], p.get("ParameterValue")) for p in parameters
                                           if p.get("ParameterName") in FORCE_SSL_NAMES), "error": None}
    return groups


def read_rds(module):
    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
    clusters = read("RDS DescribeDBClusters", paginate, client, "describe_db_clusters", "DBClusters")
    instances = read("RDS DescribeDBInstances", paginate, client, "describe_db_instances", "DBInstances")
    out_clusters = [{
        "id": c.get("DBClusterIdentifier"), "arn": c.get("DBClusterArn"), "engine": c.get("Engine"),
        "engine_version": c.get("EngineVersion"), "status": c.get("Status"),
        "storage_encrypted": bool(c.get("StorageEncrypted")),
        "kms_key_id": c.get("KmsKeyId") if c.get("StorageEncrypted") else None,
        "parameter_group": c.get("DBClusterParameterGroup"),
        "members": sorted(m.get("DBInstanceIdentifier") for m in c.get("DBClusterMembers") or []),
    } for c in clusters]
    out_instances = [{
        "id": i.get("DBInstanceIdentifier"), "arn": i.get("DBInstanceArn"), "engine": i.get("Engine"),
        "engine_version": i.get("EngineVersion"), "status": i.get("DBInstanceStatus"),
        "cluster_id": i.get("DBClusterIdentifier"), "storage_encrypted": bool(i.get("StorageEncrypted")),
        "kms_key_id": i.get("KmsKeyId") if i.get("StorageEncrypted") else None,
        "parameter_groups": [g.get("DBParameterGroupName") for g in i.get("DBParameterGroups") or []],
    } for i in instances]
    standalone = [i for i in out_instances if not i["cluster_id"]]
    key_ids = set(r["kms_key_id"] for r in out_clusters + standalone if r["kms_key_id"])
    return {
        "clusters": out_clusters, "instances": out_instances, "kms_keys": _kms_keys(module, key_ids),
        "cluster_parameter_groups": _parameter_groups(
            client, "describe_db_cluster_parameters", "DBClusterParameterGroupName",
            set(c["parameter_group"] for c in out_clusters if c["parameter_group"])),
        "instance_parameter_groups": _parameter_groups(
            client, "describe_db_parameters", "DBParameterGroupName",
            set(i["parameter_groups"][0] for i in standalone if i["parameter_groups"])),
    }


# --- Secrets Manager -----------------------------------------------------------------------------------------------
def read_secrets(module):
    client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
    secrets = read("Secrets Manager ListSecrets", paginate, client, "list_secrets", "SecretList")
    out = []
    for secret in secrets:
        rules = secret.get("RotationRules") or {}
        out.append({
            "name": secret.get("Name"), "arn": secret.get("ARN"),
            "rotation_enabled": bool(secret.get("RotationEnabled")),
            "rotation_lambda_arn": secret.get("RotationLambdaARN"),
            "rotation_rules": {"automatically_after_days": rules.get("AutomaticallyAfterDays"),
                               "schedule_expression": rules.get("ScheduleExpression"),
                               "duration": rules.get("Duration")},
            "last_rotated_date": _iso(secret.get("LastRotatedDate")),
            "next_rotation_date": _iso(secret.get("NextRotationDate")),
            "last_changed_date": _iso(secret.get("LastChangedDate")),
            "created_date": _iso(secret.get("CreatedDate")),
            "tags": dict((t["Key"], t.get("Value")) for t in secret.get("Tags") or []),
        })
    return {"secrets": out}


# --- security groups -----------------------------------------------------------------------------------------------
def read_security_groups(module):
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    groups = read("EC2 DescribeSecurityGroups", paginate, client, "describe_security_groups", "SecurityGroups")
    interfaces = read("EC2 DescribeNetworkInterfaces", paginate, client, "describe_network_interfaces",
                      "NetworkInterfaces")
    counts = interface_counts(interfaces)
    return {"groups": [normalize_group(g, counts.get(g.get("GroupId"), 0)) for g in groups]}


# --- VPC flow logs -------------------------------------------------------------------------------------------------
def _log_group(logs, name):
    try:
        found = paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        return {"exists": None, "arn": None, "kms_key_id": None, "retention_in_days": None,
                "error": "CloudWatch Logs DescribeLogGroups %s: %s" % (name, err)}
    for group in found:
        if group.get("logGroupName") == name:
            return {"exists": True, "arn": group.get("arn"), "kms_key_id": group.get("kmsKeyId"),
                    "retention_in_days": group.get("retentionInDays"), "error": None}
    return {"exists": False, "arn": None, "kms_key_id": None, "retention_in_days": None, "error": None}


def read_flow_logs(module):
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    vpcs = read("EC2 DescribeVpcs", paginate, ec2, "describe_vpcs", "Vpcs")
    vpc_ids = set(v["VpcId"] for v in vpcs)
    flow_logs = read("EC2 DescribeFlowLogs", paginate, ec2, "describe_flow_logs", "FlowLogs")
    out_logs = [{
        "flow_log_id": f.get("FlowLogId"), "resource_id": f.get("ResourceId"),
        "flow_log_status": f.get("FlowLogStatus"), "deliver_logs_status": f.get("DeliverLogsStatus"),
        "deliver_logs_error": f.get("DeliverLogsErrorMessage"), "traffic_type": f.get("TrafficType"),
        "log_destination_type": f.get("LogDestinationType") or "cloud-watch-logs",
        "log_group_name": f.get("LogGroupName"), "log_destination": f.get("LogDestination"),
        "deliver_logs_permission_arn": f.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": f.get("MaxAggregationInterval"),
    } for f in flow_logs if f.get("ResourceId") in vpc_ids]
    names = set(f["log_group_name"] for f in out_logs
                if f["log_destination_type"] == "cloud-watch-logs" and f["log_group_name"])
    log_groups = {}
    if names:
        logs = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
        log_groups = dict((name, _log_group(logs, name)) for name in sorted(names))
    return {
        "vpcs": [{"vpc_id": v["VpcId"], "is_default": bool(v.get("IsDefault")), "cidr": v.get("CidrBlock"),
                  "name": dict((t["Key"], t.get("Value")) for t in v.get("Tags") or []).get("Name")} for v in vpcs],
        "flow_logs": out_logs, "log_groups": log_groups,
    }


# --- ELBv2 ---------------------------------------------------------------------------------------------------------
def _action(action):
    redirect = action.get("RedirectConfig")
    return {"type": action.get("Type"),
            "redirect": {"protocol": redirect.get("Protocol"), "port": redirect.get("Port"),
                         "status_code": redirect.get("StatusCode")} if redirect else None}


def read_load_balancers(module):
    client = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff())
    balancers = read("ELBv2 DescribeLoadBalancers", paginate, client, "describe_load_balancers", "LoadBalancers")
    listeners, errors = [], {}
    for balancer in balancers:
        try:
            found = paginate(client, "describe_listeners", "Listeners", LoadBalancerArn=balancer["LoadBalancerArn"])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            errors[balancer["LoadBalancerName"]] = "ELBv2 DescribeListeners: %s" % err
            continue
        for listener in found:
            listeners.append({
                "load_balancer": balancer["LoadBalancerName"], "listener_arn": listener.get("ListenerArn"),
                "port": listener.get("Port"), "protocol": listener.get("Protocol"),
                "ssl_policy": listener.get("SslPolicy") if listener.get("Protocol") in ("HTTPS", "TLS") else None,
                "default_actions": [_action(a) for a in listener.get("DefaultActions") or []],
            })
    policies = {}
    names = sorted(set(x["ssl_policy"] for x in listeners if x["ssl_policy"]))
    if names:
        try:
            found = client.describe_ssl_policies(aws_retry=True, Names=names)["SslPolicies"]
            policies = dict((p["Name"], list(p.get("SslProtocols") or [])) for p in found)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            policies = {}  # the judge falls back to the policy names
    return {
        "load_balancers": [{"name": b.get("LoadBalancerName"), "arn": b.get("LoadBalancerArn"), "type": b.get("Type"),
                            "scheme": b.get("Scheme")} for b in balancers],
        "listeners": listeners, "ssl_policies": policies, "listener_errors": errors,
    }


# --- S3 ------------------------------------------------------------------------------------------------------------
def read_s3(module):
    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    patterns = module.params["s3_buckets"]
    listed = read("S3 ListBuckets", client.list_buckets, aws_retry=True).get("Buckets") or []
    buckets = []
    for bucket in listed:
        name = bucket["Name"]
        if patterns and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        entry = {"name": name, "policy": None, "error": None}
        try:
            entry["policy"] = json.loads(client.get_bucket_policy(aws_retry=True, Bucket=name)["Policy"])
        except is_boto3_error_code("NoSuchBucketPolicy"):
            pass
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
            entry["error"] = "S3 GetBucketPolicy %s: %s" % (name, err)
        except ValueError as err:
            entry["error"] = "S3 GetBucketPolicy %s: policy is not JSON: %s" % (name, err)
        buckets.append(entry)
    return {"buckets": buckets}


READERS = {"rds": read_rds, "secrets": read_secrets, "security_groups": read_security_groups,
           "flow_logs": read_flow_logs, "load_balancers": read_load_balancers, "s3": read_s3}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            sections=dict(type="list", elements="str", choices=SECTIONS, default=list(REGIONAL_SECTIONS)),
            s3_buckets=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    sections = [s for s in SECTIONS if s in module.params["sections"]]
    facts = {"region": module.region, "sections": sections, "errors": {}}
    for section in sections:
        try:
            facts[section] = READERS[section](module)
        except SectionError as err:
            facts[section] = {}
            facts["errors"][section] = "%s in %s" % (err, module.region)
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
