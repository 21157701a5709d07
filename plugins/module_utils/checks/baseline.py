# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data-protection baseline checks (requirement 2): pure functions from gathered facts to check results.

The input is what ``coder.ai_platform.data_protection_info`` returned for each region, keyed by region name::

    judge_baseline({"us-east-2": {...info result...}, "us-west-2": {...}}, settings)

Every regional check targets the region; ``tls.s3_deny_insecure`` targets ``global`` and is judged from the one
region whose facts hold the ``s3`` section (S3 is global, so buckets are listed once). A section the module was
not asked for makes its check ``skip``; a section it could not read (``errors``) makes it ``error``.

``settings`` (every key optional, defaults in ``DEFAULT_SETTINGS``): ``now`` (ISO 8601, required by the secrets
check), ``allowed_public_ports``, ``exempt_self_reference``, ``report_unused_groups``, ``secret_name_patterns``,
``secret_tags``, ``secrets_max_days_since_rotation``, ``flow_logs_traffic_type``,
``flow_logs_min_retention_days``, ``s3_buckets``, ``lb_allowed_policies``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re
from datetime import timedelta

from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import (
    declare, error_result, gather_failure, judge_checks, result,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.aws.policy import (
    denies_insecure_transport, statement_denies_insecure_transport,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.planners.flow_logs import flow_log_problem
from ansible_collections.coder.ai_platform.plugins.module_utils.planners.security_groups import audit
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat, parse_timestamp

GLOBAL = "global"

FAMILY = "baseline"
RDS_ENCRYPTION = "rds.encryption_cmk"
SECRETS_ROTATION = "secrets.rotation_enabled"
SECURITY_GROUPS = "security_groups.least_privilege"
FLOW_LOGS = "vpc.flow_logs"
S3_TLS = "tls.s3_deny_insecure"
LB_TLS = "tls.load_balancer_policy"
RDS_SSL = "tls.rds_force_ssl"

DEFAULT_LB_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-*", "ELBSecurityPolicy-TLS13-1-3-*", "ELBSecurityPolicy-TLS-1-2-*",
    "ELBSecurityPolicy-FS-1-2-*",
]
DEFAULT_SETTINGS = {
    "now": None,
    "allowed_public_ports": [443, 80],
    "exempt_self_reference": True,
    "report_unused_groups": True,
    "secret_name_patterns": [],
    "secret_tags": {},
    "secrets_max_days_since_rotation": 90,
    "flow_logs_traffic_type": "ALL",
    "flow_logs_min_retention_days": 0,
    "s3_buckets": [],
    "lb_allowed_policies": DEFAULT_LB_POLICIES,
}
MODERN_TLS = ("TLSv1.2", "TLSv1.3")
AWS_MANAGED_ALIAS_PREFIX = "alias/aws/"
# The parameter that forces TLS, by engine family, and the values that mean "on".
FORCE_SSL_PARAMETERS = (
    (("postgres", "aurora-postgresql", "sqlserver"), "rds.force_ssl", ("1",)),
    (("mysql", "mariadb", "aurora-mysql", "aurora"), "require_secure_transport", ("ON", "1")),
)


def _section(facts, name):
    """(section data, cause or None, gathered) for one section of one region's facts."""
    cause = gather_failure(facts)
    if cause:
        return None, cause, True
    if name not in (facts.get("sections") or []):
        return None, None, False
    error = (facts.get("errors") or {}).get(name)
    if error:
        return None, error, True
    return facts.get(name) or {}, None, True


def _skip(check_id, target, section):
    return result(check_id, target, "skip", "the %s section was not gathered" % section)


def _listing(items, limit=3):
    items = list(items)
    text = "; ".join(items[:limit])
    return text + ("; and %d more" % (len(items) - limit) if len(items) > limit else "")


# --- 2.1 RDS encryption with a customer-managed key ----------------------------------------------------------------
def key_is_aws_managed(kms_key_id, key):
    """AWS-managed when KMS says so, or when the key answers to an alias/aws/* name (only AWS can create those)."""
    if str(kms_key_id or "").startswith(AWS_MANAGED_ALIAS_PREFIX):
        return True
    if key.get("key_manager") == "AWS":
        return True
    return any(str(alias).startswith(AWS_MANAGED_ALIAS_PREFIX) for alias in key.get("aliases") or [])


def _encryption_verdict(resource, keys):
    """(status, text) of one cluster or standalone instance."""
    if not resource.get("storage_encrypted"):
        return "fail", "not encrypted"
    kms_key_id = resource.get("kms_key_id")
    key = keys.get(kms_key_id) if kms_key_id else None
    if key_is_aws_managed(kms_key_id, key or {}):
        names = [a for a in (key or {}).get("aliases") or [] if a.startswith(AWS_MANAGED_ALIAS_PREFIX)]
        return "fail", "encrypted with the AWS-managed key %s" % (names[0] if names else kms_key_id)
    if not key or key.get("error"):
        return "error", "key %s unreadable: %s" % (kms_key_id, (key or {}).get("error") or "not described")
    return "pass", "encrypted with customer-managed key %s" % (key.get("arn") or kms_key_id)


def _rds_resources(rds):
    """Clusters and standalone instances (Aurora members are covered by their cluster)."""
    resources = [("cluster", c) for c in rds.get("clusters") or []]
    resources += [("instance", i) for i in rds.get("instances") or [] if not i.get("cluster_id")]
    return resources


def check_rds_encryption(region, facts):
    rds, cause, gathered = _section(facts, "rds")
    if not gathered:
        return _skip(RDS_ENCRYPTION, region, "rds")
    if cause:
        return error_result(RDS_ENCRYPTION, region, cause)
    keys = rds.get("kms_keys") or {}
    rows = []
    for kind, resource in _rds_resources(rds):
        status, text = _encryption_verdict(resource, keys)
        rows.append({"kind": kind, "id": resource.get("id"), "status": status, "verdict": text,
                     "kms_key_id": resource.get("kms_key_id")})
    details = {"resources": rows}
    if not rows:
        return result(RDS_ENCRYPTION, region, "pass", "no RDS clusters or standalone instances", details)
    failing = ["%s %s %s" % (r["kind"], r["id"], r["verdict"]) for r in rows if r["status"] == "fail"]
    if failing:
        return result(RDS_ENCRYPTION, region, "fail", _listing(failing), details)
    unknown = ["%s %s: %s" % (r["kind"], r["id"], r["verdict"]) for r in rows if r["status"] == "error"]
    if unknown:
        return error_result(RDS_ENCRYPTION, region, _listing(unknown), details)
    return result(RDS_ENCRYPTION, region, "pass", "%d cluster(s)/instance(s) encrypted with customer-managed keys"
                  % len(rows), details)


# --- 2.5 RDS force SSL ---------------------------------------------------------------------------------------------
def force_ssl_parameter(engine):
    """(parameter name, values meaning on) for an engine, or (None, None) when no such parameter exists."""
    for engines, name, values in FORCE_SSL_PARAMETERS:
        if engine in engines:
            return name, values
    return None, None


def _ssl_verdict(kind, resource, groups):
    name, values = force_ssl_parameter(resource.get("engine"))
    if not name:
        return "pass", "engine %s has no force-TLS parameter (not applicable)" % resource.get("engine")
    group_names = [resource.get("parameter_group")] if kind == "cluster" else resource.get("parameter_groups") or []
    group_names = [g for g in group_names if g]
    if not group_names:
        return "fail", "no parameter group"
    group = groups.get(group_names[0]) or {}
    if group.get("error") or "parameters" not in group:
        return "error", "parameter group %s unreadable: %s" % (group_names[0], group.get("error") or "not read")
    value = (group.get("parameters") or {}).get(name)
    if value is None:
        return "fail", "%s is not set in parameter group %s" % (name, group_names[0])
    if str(value).upper() not in values:
        return "fail", "%s = %s in parameter group %s" % (name, value, group_names[0])
    return "pass", "%s = %s in %s" % (name, value, group_names[0])


def check_rds_force_ssl(region, facts):
    rds, cause, gathered = _section(facts, "rds")
    if not gathered:
        return _skip(RDS_SSL, region, "rds")
    if cause:
        return error_result(RDS_SSL, region, cause)
    rows = []
    for kind, resource in _rds_resources(rds):
        groups = rds.get("cluster_parameter_groups" if kind == "cluster" else "instance_parameter_groups") or {}
        status, text = _ssl_verdict(kind, resource, groups)
        rows.append({"kind": kind, "id": resource.get("id"), "engine": resource.get("engine"), "status": status,
                     "verdict": text})
    details = {"resources": rows}
    if not rows:
        return result(RDS_SSL, region, "pass", "no RDS clusters or standalone instances", details)
    failing = ["%s %s: %s" % (r["kind"], r["id"], r["verdict"]) for r in rows if r["status"] == "fail"]
    if failing:
        return result(RDS_SSL, region, "fail", _listing(failing), details)
    unknown = ["%s %s: %s" % (r["kind"], r["id"], r["verdict"]) for r in rows if r["status"] == "error"]
    if unknown:
        return error_result(RDS_SSL, region, _listing(unknown), details)
    return result(RDS_SSL, region, "pass", "%d cluster(s)/instance(s) force TLS" % len(rows), details)


# --- 2.2 Secrets Manager rotation ----------------------------------------------------------------------------------
_RATE_RE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$")


def rotation_interval_days(rules):
    """Days between rotations from RotationRules, or None when only a cron schedule (or nothing) says."""
    rules = rules or {}
    if rules.get("automatically_after_days"):
        return float(rules["automatically_after_days"])
    match = _RATE_RE.match(str(rules.get("schedule_expression") or "").strip())
    if match:
        amount = float(match.group(1))
        return amount if match.group(2).startswith("day") else amount / 24.0
    return None


def secret_in_scope(secret, name_patterns, tags):
    if name_patterns and not any(fnmatch.fnmatchcase(secret.get("name") or "", p) for p in name_patterns):
        return False
    have = secret.get("tags") or {}
    for key, value in (tags or {}).items():
        if key not in have or (value not in (None, "", "*") and have[key] != value):
            return False
    return True


def _secret_verdict(secret, now, max_days):
    if not secret.get("rotation_enabled"):
        return "fail", "rotation is not enabled"
    interval = rotation_interval_days(secret.get("rotation_rules"))
    limit = min(interval, max_days) if interval else max_days
    if not secret.get("last_rotated_date"):
        return "fail", "rotation is enabled but the secret was never rotated"
    age = now - parse_timestamp(secret["last_rotated_date"])
    # One day of slack: rotation runs inside a window, not at the exact second.
    if age > timedelta(days=limit + 1):
        return "fail", "last rotated %d days ago, limit %g days" % (age.days, limit)
    return "pass", "rotated %d day(s) ago, every %g days" % (age.days, limit)


def check_secrets_rotation(region, facts, settings):
    section, cause, gathered = _section(facts, "secrets")
    if not gathered:
        return _skip(SECRETS_ROTATION, region, "secrets")
    if cause:
        return error_result(SECRETS_ROTATION, region, cause)
    now = parse_timestamp(settings["now"])
    max_days = float(settings["secrets_max_days_since_rotation"])
    scoped = [s for s in section.get("secrets") or []
              if secret_in_scope(s, settings["secret_name_patterns"], settings["secret_tags"])]
    rows = []
    for secret in sorted(scoped, key=lambda s: s.get("name") or ""):
        status, text = _secret_verdict(secret, now, max_days)
        rows.append({"name": secret.get("name"), "status": status, "verdict": text,
                     "last_rotated_date": secret.get("last_rotated_date")})
    details = {"secrets": rows, "now": isoformat(now), "max_days_since_rotation": max_days,
               "name_patterns": settings["secret_name_patterns"], "tags": settings["secret_tags"]}
    if not rows:
        return result(SECRETS_ROTATION, region, "pass", "no secrets in scope", details)
    failing = ["%s: %s" % (r["name"], r["verdict"]) for r in rows if r["status"] == "fail"]
    if failing:
        return result(SECRETS_ROTATION, region, "fail", _listing(failing), details)
    return result(SECRETS_ROTATION, region, "pass", "%d secret(s) rotate within their interval" % len(rows), details)


# --- 2.3 security groups -------------------------------------------------------------------------------------------
def check_security_groups(region, facts, settings):
    section, cause, gathered = _section(facts, "security_groups")
    if not gathered:
        return _skip(SECURITY_GROUPS, region, "security_groups")
    if cause:
        return error_result(SECURITY_GROUPS, region, cause)
    found = audit(section.get("groups") or [], settings["allowed_public_ports"], settings["exempt_self_reference"])
    details = {"groups": found["groups"], "findings": [f["summary"] for f in found["findings"]],
               "unused": ["%s (%s)" % (g["group_id"], g["group_name"]) for g in found["unused"]],
               "unused_default_groups": [g["group_id"] for g in found["unused_default"]],
               "allowed_public_ports": settings["allowed_public_ports"]}
    if found["findings"]:
        return result(SECURITY_GROUPS, region, "fail", "%d rule(s) too open: %s" % (
            len(found["findings"]), _listing(details["findings"])), details)
    if found["unused"] and settings["report_unused_groups"]:
        return result(SECURITY_GROUPS, region, "warn", "%d group(s) attached to no network interface: %s" % (
            len(found["unused"]), _listing(details["unused"])), details,
            remediation="Delete the unused groups after confirming nothing references them (launch templates, "
                        "other groups' rules); the audit never deletes a group.")
    return result(SECURITY_GROUPS, region, "pass", "%d group(s), no public or all-protocol rules" % found["groups"],
                  details)


# --- 2.4 VPC flow logs ---------------------------------------------------------------------------------------------
# The rule is planners/flow_logs.py's, the same function vpc_flow_logs (accept_compliant) asks.
_flow_log_problem = flow_log_problem


def check_flow_logs(region, facts, settings):
    section, cause, gathered = _section(facts, "flow_logs")
    if not gathered:
        return _skip(FLOW_LOGS, region, "flow_logs")
    if cause:
        return error_result(FLOW_LOGS, region, cause)
    log_groups = section.get("log_groups") or {}
    by_vpc = {}
    for flow_log in section.get("flow_logs") or []:
        by_vpc.setdefault(flow_log.get("resource_id"), []).append(flow_log)
    rows = []
    for vpc in sorted(section.get("vpcs") or [], key=lambda v: v.get("vpc_id") or ""):
        logs = by_vpc.get(vpc.get("vpc_id")) or []
        problems = [_flow_log_problem(f, log_groups, settings["flow_logs_traffic_type"],
                                      settings["flow_logs_min_retention_days"]) for f in logs]
        good = [f.get("flow_log_id") for f, problem in zip(logs, problems) if problem is None]
        if good:
            rows.append({"vpc_id": vpc.get("vpc_id"), "status": "pass", "verdict": "flow log %s" % good[0]})
        else:
            rows.append({"vpc_id": vpc.get("vpc_id"), "status": "fail",
                         "verdict": "; ".join(p for p in problems if p) or "no flow log"})
    details = {"vpcs": rows, "traffic_type": settings["flow_logs_traffic_type"],
               "min_retention_days": settings["flow_logs_min_retention_days"]}
    if not rows:
        return result(FLOW_LOGS, region, "pass", "no VPCs", details)
    failing = ["%s: %s" % (r["vpc_id"], r["verdict"]) for r in rows if r["status"] == "fail"]
    if failing:
        return result(FLOW_LOGS, region, "fail", "%d of %d VPC(s): %s" % (len(failing), len(rows),
                                                                          _listing(failing)), details)
    return result(FLOW_LOGS, region, "pass", "%d VPC(s) log to encrypted log groups with retention" % len(rows),
                  details)


# --- 2.5 S3 denies insecure transport ------------------------------------------------------------------------------
# The rule is aws/policy.py's, the same function the state backend converger asks (any partition here).
statement_denies_insecure = statement_denies_insecure_transport
policy_denies_insecure = denies_insecure_transport


def check_s3_tls(facts_by_region, settings):
    gathered_in = [r for r in sorted(facts_by_region) if _section(facts_by_region[r], "s3")[2]]
    if not gathered_in:
        return _skip(S3_TLS, GLOBAL, "s3")
    section, cause, dummy_gathered = _section(facts_by_region[gathered_in[0]], "s3")
    if cause:
        return error_result(S3_TLS, GLOBAL, cause)
    patterns = settings["s3_buckets"]
    rows = []
    for bucket in sorted(section.get("buckets") or [], key=lambda b: b.get("name") or ""):
        name = bucket.get("name") or ""
        if patterns and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        if bucket.get("error"):
            rows.append({"bucket": name, "status": "error", "verdict": "policy unreadable: %s" % bucket["error"]})
        elif not bucket.get("policy"):
            rows.append({"bucket": name, "status": "fail", "verdict": "no bucket policy"})
        elif not denies_insecure_transport(bucket["policy"], name):
            rows.append({"bucket": name, "status": "fail", "verdict": "policy does not deny aws:SecureTransport=false"})
        else:
            rows.append({"bucket": name, "status": "pass", "verdict": "denies insecure transport"})
    details = {"buckets": rows, "scope": patterns or ["*"], "gathered_in": gathered_in[0]}
    if not rows:
        return result(S3_TLS, GLOBAL, "pass", "no buckets in scope", details)
    failing = ["%s: %s" % (r["bucket"], r["verdict"]) for r in rows if r["status"] == "fail"]
    if failing:
        return result(S3_TLS, GLOBAL, "fail", "%d of %d bucket(s): %s" % (len(failing), len(rows),
                                                                          _listing(failing)), details)
    unknown = ["%s: %s" % (r["bucket"], r["verdict"]) for r in rows if r["status"] == "error"]
    if unknown:
        return error_result(S3_TLS, GLOBAL, _listing(unknown), details)
    return result(S3_TLS, GLOBAL, "pass", "%d bucket(s) deny insecure transport" % len(rows), details)


# --- 2.5 load balancer TLS policies --------------------------------------------------------------------------------
def policy_is_modern(name, ssl_policies, allowed_patterns):
    """TLS 1.2+ when the policy's protocols are known and all modern; else judged by name against the allow-list."""
    protocols = ssl_policies.get(name)
    if protocols:
        return all(p in MODERN_TLS for p in protocols)
    return any(fnmatch.fnmatchcase(name or "", p) for p in allowed_patterns)


def redirects_to_https(listener):
    actions = listener.get("default_actions") or []
    return bool(actions) and all(a.get("type") == "redirect" and str((a.get("redirect") or {}).get("protocol"))
                                 .upper() == "HTTPS" for a in actions)


def _listener_verdict(listener, ssl_policies, allowed_patterns):
    protocol = listener.get("protocol")
    if protocol in ("HTTPS", "TLS"):
        policy = listener.get("ssl_policy")
        if policy_is_modern(policy, ssl_policies, allowed_patterns):
            return "pass", "%s with %s" % (protocol, policy)
        known = ssl_policies.get(policy)
        return "fail", "%s with %s%s" % (protocol, policy, " (allows %s)" % ", ".join(
            p for p in known if p not in MODERN_TLS) if known else " (not a TLS 1.2+ policy)")
    if protocol == "HTTP":
        if redirects_to_https(listener):
            return "pass", "HTTP redirects to HTTPS"
        return "fail", "plain HTTP that does not redirect to HTTPS"
    return "pass", "%s (no TLS termination, not applicable)" % protocol


def check_lb_tls(region, facts, settings):
    section, cause, gathered = _section(facts, "load_balancers")
    if not gathered:
        return _skip(LB_TLS, region, "load_balancers")
    if cause:
        return error_result(LB_TLS, region, cause)
    ssl_policies = section.get("ssl_policies") or {}
    rows = []
    for listener in sorted(section.get("listeners") or [], key=lambda x: (x.get("load_balancer") or "",
                                                                          x.get("port") or 0)):
        status, text = _listener_verdict(listener, ssl_policies, settings["lb_allowed_policies"])
        rows.append({"load_balancer": listener.get("load_balancer"), "port": listener.get("port"),
                     "status": status, "verdict": text})
    unread = section.get("listener_errors") or {}
    details = {"listeners": rows, "unreadable": unread}
    failing = ["%s:%s %s" % (r["load_balancer"], r["port"], r["verdict"]) for r in rows if r["status"] == "fail"]
    if failing:
        return result(LB_TLS, region, "fail", _listing(failing), details)
    if unread:
        return error_result(LB_TLS, region, "listeners unreadable: %s" % _listing(
            "%s: %s" % item for item in sorted(unread.items())), details)
    if not rows:
        return result(LB_TLS, region, "pass", "no ELBv2 listeners", details)
    return result(LB_TLS, region, "pass", "%d listener(s) use TLS 1.2+ or redirect to HTTPS" % len(rows), details)


# --- all together --------------------------------------------------------------------------------------------------
def baseline_settings(settings):
    merged = dict(DEFAULT_SETTINGS)
    merged.update(dict((k, v) for k, v in (settings or {}).items() if v is not None))
    merged["allowed_public_ports"] = [int(p) for p in merged["allowed_public_ports"]]
    return merged


def _settings(ctx):
    return ctx.memo("baseline_settings", lambda: baseline_settings(ctx.settings))


def _protection(ctx):
    return ctx.region.get("protection")


def _judge_rds_encryption(ctx):
    return check_rds_encryption(ctx.target, _protection(ctx))


def _judge_secrets(ctx):
    return check_secrets_rotation(ctx.target, _protection(ctx), _settings(ctx))


def _judge_security_groups(ctx):
    return check_security_groups(ctx.target, _protection(ctx), _settings(ctx))


def _judge_flow_logs(ctx):
    return check_flow_logs(ctx.target, _protection(ctx), _settings(ctx))


def _judge_s3_tls(ctx):
    facts_by_region = dict((r["name"], r.get("protection")) for r in ctx.regions if "protection" in r)
    return check_s3_tls(facts_by_region, _settings(ctx))


def _judge_lb_tls(ctx):
    return check_lb_tls(ctx.target, _protection(ctx), _settings(ctx))


def _judge_rds_ssl(ctx):
    return check_rds_force_ssl(ctx.target, _protection(ctx))


declare(
    RDS_ENCRYPTION, FAMILY, "2.1", ("SEC08-BP01", "SEC08-BP02"), "high", ("protection.rds",), "region",
    "RDS and Aurora storage is encrypted with a customer-managed KMS key",
    "Encryption cannot be switched on in place: restore a snapshot into a new cluster encrypted with the CMK "
    "(playbooks/rds_encrypt_with_cmk.yml), then cut over as docs/rds-encryption-migration.md describes.",
    _judge_rds_encryption,
    fails_when="an Aurora/RDS cluster or standalone instance is unencrypted or uses the AWS-managed key")
declare(
    SECRETS_ROTATION, FAMILY, "2.2", ("SEC02-BP03",), "high", ("protection.secrets",), "region",
    "Database credentials and API keys in Secrets Manager rotate automatically",
    "Enable rotation with a rotation Lambda (role coder.ai_platform.secrets_rotation, or `aws secretsmanager "
    "rotate-secret --secret-id <name> --rotation-lambda-arn <arn> --rotation-rules AutomaticallyAfterDays=30`) "
    "and fix whatever makes scheduled rotation fail.",
    _judge_secrets,
    fails_when="a secret in scope has rotation off, never rotated, or is overdue")
declare(
    SECURITY_GROUPS, FAMILY, "2.3", ("SEC05-BP02", "SEC05-BP01"), "high", ("protection.security_groups",), "region",
    "Security groups open only allowed ports to the internet and no "
    "all-protocol rules",
    "Revoke the listed rules (security_group_audit with remediate: true, or `aws ec2 revoke-security-group-ingress`) "
    "and open only the ports a component needs, from the sources that need them.",
    _judge_security_groups,
    fails_when="a rule opens a non-allowed port to the internet or allows all protocols (warn: unused groups)")
declare(
    FLOW_LOGS, FAMILY, "2.4", ("SEC04-BP01",), "medium", ("protection.flow_logs",), "region",
    "Every VPC has an active flow log (ALL traffic) to a KMS-encrypted log group with "
    "retention",
    "Run playbooks/security_baseline.yml (it creates the KMS key, log group, delivery role and one flow log per VPC).",
    _judge_flow_logs,
    fails_when="a VPC lacks an active ALL-traffic flow log to a KMS-encrypted log group with retention")
declare(
    S3_TLS, FAMILY, "2.5", ("SEC09-BP02",), "high", ("protection.s3",), "global",
    "Bucket policies deny requests without TLS (aws:SecureTransport = false)",
    "Add a Deny statement for Principal *, Action s3:*, Resource the bucket and bucket/*, Condition "
    "Bool aws:SecureTransport false to each listed bucket's policy.",
    _judge_s3_tls,
    fails_when="a bucket in scope has no policy denying `aws:SecureTransport = false`")
declare(
    LB_TLS, FAMILY, "2.5", ("SEC09-BP02",), "high", ("protection.load_balancers",), "region",
    "Load balancer TLS listeners use TLS 1.2+ policies; HTTP only redirects "
    "to HTTPS",
    "Set the listed HTTPS/TLS listeners' SSL policy to ELBSecurityPolicy-TLS13-1-2-2021-06 and make HTTP listeners "
    "redirect to HTTPS (`aws elbv2 modify-listener`).",
    _judge_lb_tls,
    fails_when="an HTTPS/TLS listener allows TLS < 1.2, or an HTTP listener does not redirect to HTTPS")
declare(
    RDS_SSL, FAMILY, "2.5", ("SEC09-BP02",), "high", ("protection.rds",), "region",
    "RDS and Aurora parameter groups force TLS connections",
    "Set rds.force_ssl = 1 (PostgreSQL) or require_secure_transport = ON (MySQL) in a custom parameter group of "
    "the cluster or instance, attach it, and reboot in a maintenance window.",
    _judge_rds_ssl,
    fails_when="the parameter group lacks `rds.force_ssl = 1` (`require_secure_transport = ON` for MySQL)")

BASELINE_CHECKS = (RDS_ENCRYPTION, SECRETS_ROTATION, SECURITY_GROUPS, FLOW_LOGS, S3_TLS, LB_TLS, RDS_SSL)


def judge_baseline(facts_by_region, settings):
    """Every baseline check result for {region: data_protection_info result}: per region, then the global S3 check."""
    gate = {"regions": [{"name": name, "protection": facts_by_region[name]} for name in sorted(facts_by_region)],
            "settings": settings or {}}
    return judge_checks(gate, [FAMILY])
