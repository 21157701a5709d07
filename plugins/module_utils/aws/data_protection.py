# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what the data-protection baseline judges, for one region: RDS and Aurora encryption and force-TLS
parameters, Secrets Manager rotation, security groups and the interfaces that carry them, VPC flow logs and their
log groups, ELBv2 listeners and their TLS policies, and (once, S3 being global) bucket policies.

Each reader takes ``client(service)`` (a factory of retrying boto3 clients for the region, e.g.
``aws.connection.AwsClients``) and returns a plain dict; an AWS error of the section's main listing raises
``SectionError`` naming the call, a lesser one is recorded inside the section. ``read_protection`` runs the asked
sections concurrently and returns the ``data_protection_info`` result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import (
    is_boto3_error_code, paginated_query_with_retries,
)
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.coder.ai_platform.plugins.module_utils.aws.connection import aws_errors
from ansible_collections.coder.ai_platform.plugins.module_utils.core.gather import run_parallel
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat
from ansible_collections.coder.ai_platform.plugins.module_utils.planners.security_groups import (
    interface_counts, normalize_group,
)

SECTIONS = ["rds", "secrets", "security_groups", "flow_logs", "load_balancers", "s3"]
REGIONAL_SECTIONS = SECTIONS[:-1]
FORCE_SSL_NAMES = ("rds.force_ssl", "require_secure_transport")


def protection_options():
    """The argument spec of data_protection_info and of the gather's ``protection`` source."""
    return dict(
        sections=dict(type="list", elements="str", choices=list(SECTIONS), default=list(REGIONAL_SECTIONS)),
        s3_buckets=dict(type="list", elements="str", default=[]),
    )


class SectionError(Exception):
    pass


def paginate(client, operation, result_key, **kwargs):
    """Every page of one listing, through boto3's paginator, retried on throttling."""
    return paginated_query_with_retries(client, operation, retry_decorator=AWSRetry.jittered_backoff(),
                                        **kwargs).get(result_key) or []


def read(what, call, *args, **kwargs):
    """Run one read; an AWS error becomes SectionError naming the call (the section's error text)."""
    try:
        return call(*args, **kwargs)
    except aws_errors() as err:
        raise SectionError("%s: %s" % (what, err))


def _iso(value):
    return isoformat(value) if hasattr(value, "astimezone") else value


# --- RDS -----------------------------------------------------------------------------------------------------------
def _kms_keys(client, key_ids):
    if not key_ids:
        return {}
    kms = client("kms")
    aliases = {}
    try:
        for alias in paginate(kms, "list_aliases", "Aliases"):
            if alias.get("TargetKeyId"):
                aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    except aws_errors():
        aliases = {}  # aliases only sharpen the report; KeyManager decides
    keys = {}
    for key_id in sorted(key_ids):
        try:
            meta = kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]
        except aws_errors() as err:
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
        except aws_errors() as err:
            groups[name] = {"parameters": None, "error": "RDS %s %s: %s" % (operation, name, err)}
            continue
        groups[name] = {"parameters": dict((p["ParameterName"], p.get("ParameterValue")) for p in parameters
                                           if p.get("ParameterName") in FORCE_SSL_NAMES), "error": None}
    return groups


def read_rds(client):
    rds = client("rds")
    clusters = read("RDS DescribeDBClusters", paginate, rds, "describe_db_clusters", "DBClusters")
    instances = read("RDS DescribeDBInstances", paginate, rds, "describe_db_instances", "DBInstances")
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
        "clusters": out_clusters, "instances": out_instances, "kms_keys": _kms_keys(client, key_ids),
        "cluster_parameter_groups": _parameter_groups(
            rds, "describe_db_cluster_parameters", "DBClusterParameterGroupName",
            set(c["parameter_group"] for c in out_clusters if c["parameter_group"])),
        "instance_parameter_groups": _parameter_groups(
            rds, "describe_db_parameters", "DBParameterGroupName",
            set(i["parameter_groups"][0] for i in standalone if i["parameter_groups"])),
    }


# --- Secrets Manager -----------------------------------------------------------------------------------------------
def read_secrets(client):
    secrets = read("Secrets Manager ListSecrets", paginate, client("secretsmanager"), "list_secrets", "SecretList")
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
def read_security_groups(client):
    ec2 = client("ec2")
    groups = read("EC2 DescribeSecurityGroups", paginate, ec2, "describe_security_groups", "SecurityGroups")
    interfaces = read("EC2 DescribeNetworkInterfaces", paginate, ec2, "describe_network_interfaces",
                      "NetworkInterfaces")
    counts = interface_counts(interfaces)
    return {"groups": [normalize_group(g, counts.get(g.get("GroupId"), 0)) for g in groups]}


# --- VPC flow logs -------------------------------------------------------------------------------------------------
def _log_group(logs, name):
    try:
        found = paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
    except aws_errors() as err:
        return {"exists": None, "arn": None, "kms_key_id": None, "retention_in_days": None,
                "error": "CloudWatch Logs DescribeLogGroups %s: %s" % (name, err)}
    for group in found:
        if group.get("logGroupName") == name:
            return {"exists": True, "arn": group.get("arn"), "kms_key_id": group.get("kmsKeyId"),
                    "retention_in_days": group.get("retentionInDays"), "error": None}
    return {"exists": False, "arn": None, "kms_key_id": None, "retention_in_days": None, "error": None}


def read_flow_logs(client):
    ec2 = client("ec2")
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
        logs = client("logs")
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


def read_load_balancers(client):
    elbv2 = client("elbv2")
    balancers = read("ELBv2 DescribeLoadBalancers", paginate, elbv2, "describe_load_balancers", "LoadBalancers")
    listeners, errors = [], {}
    for balancer in balancers:
        try:
            found = paginate(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=balancer["LoadBalancerArn"])
        except aws_errors() as err:
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
            found = elbv2.describe_ssl_policies(aws_retry=True, Names=names)["SslPolicies"]
            policies = dict((p["Name"], list(p.get("SslProtocols") or [])) for p in found)
        except aws_errors():
            policies = {}  # the judge falls back to the policy names
    return {
        "load_balancers": [{"name": b.get("LoadBalancerName"), "arn": b.get("LoadBalancerArn"), "type": b.get("Type"),
                            "scheme": b.get("Scheme")} for b in balancers],
        "listeners": listeners, "ssl_policies": policies, "listener_errors": errors,
    }


# --- S3 ------------------------------------------------------------------------------------------------------------
def read_s3(client, patterns=()):
    s3 = client("s3")
    listed = read("S3 ListBuckets", s3.list_buckets, aws_retry=True).get("Buckets") or []
    buckets = []
    for bucket in listed:
        name = bucket["Name"]
        if patterns and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        entry = {"name": name, "policy": None, "error": None}
        try:
            entry["policy"] = json.loads(s3.get_bucket_policy(aws_retry=True, Bucket=name)["Policy"])
        except is_boto3_error_code("NoSuchBucketPolicy"):
            pass
        except aws_errors() as err:  # pylint: disable=duplicate-except
            entry["error"] = "S3 GetBucketPolicy %s: %s" % (name, err)
        except ValueError as err:
            entry["error"] = "S3 GetBucketPolicy %s: policy is not JSON: %s" % (name, err)
        buckets.append(entry)
    return {"buckets": buckets}


READERS = {"rds": read_rds, "secrets": read_secrets, "security_groups": read_security_groups,
           "flow_logs": read_flow_logs, "load_balancers": read_load_balancers, "s3": read_s3}


def read_protection(client, region, sections, s3_buckets=(), deadline_s=60):
    """The ``data_protection_info`` result for ``region``: the asked sections (in SECTIONS order), read
    concurrently, each either filled or ``{}`` with its cause in ``errors``."""
    sections = [s for s in SECTIONS if s in sections]
    calls = dict((s, _reader(s, client, s3_buckets)) for s in sections)
    facts = {"region": region, "sections": sections, "errors": {}}
    for section, (value, error) in run_parallel(calls, deadline_s).items():
        if error is None:
            facts[section] = value
            continue
        facts[section] = {}
        if isinstance(error, SectionError):
            facts["errors"][section] = "%s in %s" % (error, region)
        elif isinstance(error, aws_errors()):
            facts["errors"][section] = "%s in %s" % (error, region)
        else:
            facts["errors"][section] = "%s in %s: %s: %s" % (section, region, error.__class__.__name__, error)
    return facts


def _reader(section, client, s3_buckets):
    if section == "s3":
        return lambda: read_s3(client, s3_buckets)
    return lambda: READERS[section](client)
