# -*- coding: utf-8 -*-
"""Every branch of every data-protection baseline check (plugins/module_utils/checks/baseline.py), no server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.checks import baseline as bc
from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import CATALOG, catalog_rows, expected_targets

NOW = "2026-11-25T10:00:00Z"
CMK = "arn:aws:kms:us-east-2:123456789012:key/1111"
AWS_KEY = "arn:aws:kms:us-east-2:123456789012:key/2222"
SETTINGS = bc.baseline_settings({"now": NOW})


def facts(**sections):
    return {"region": "us-east-2", "sections": list(sections), "errors": {}, **sections}


def keys(**extra):
    found = {CMK: {"arn": CMK, "key_manager": "CUSTOMER", "aliases": ["alias/coder-rds"], "error": None},
             AWS_KEY: {"arn": AWS_KEY, "key_manager": "AWS", "aliases": ["alias/aws/rds"], "error": None}}
    found.update(extra)
    return found


def cluster(cid="coder-db", encrypted=True, key=CMK, engine="aurora-postgresql", group="coder-db-params"):
    return {"id": cid, "engine": engine, "storage_encrypted": encrypted, "kms_key_id": key if encrypted else None,
            "parameter_group": group}


def instance(iid="pg-1", cluster_id=None, encrypted=True, key=CMK, engine="postgres", groups=("pg-params",)):
    return {"id": iid, "engine": engine, "cluster_id": cluster_id, "storage_encrypted": encrypted,
            "kms_key_id": key if encrypted else None, "parameter_groups": list(groups)}


def rds(clusters=(), instances=(), kms=None, cluster_groups=None, instance_groups=None):
    return {"clusters": list(clusters), "instances": list(instances), "kms_keys": keys() if kms is None else kms,
            "cluster_parameter_groups": cluster_groups if cluster_groups is not None else {
                "coder-db-params": {"parameters": {"rds.force_ssl": "1"}, "error": None}},
            "instance_parameter_groups": instance_groups if instance_groups is not None else {
                "pg-params": {"parameters": {"rds.force_ssl": "1"}, "error": None}}}


def test_every_check_is_registered_with_requirement_and_runbook():
    for check_id in bc.BASELINE_CHECKS:
        assert CATALOG[check_id]["runbook"] == "docs/runbooks/%s.md" % check_id
        assert CATALOG[check_id]["requirement"].startswith("2.")


# --- section handling shared by every check ------------------------------------------------------------------------
@pytest.mark.parametrize("judge,section", [
    (lambda f: bc.check_rds_encryption("r", f), "rds"),
    (lambda f: bc.check_rds_force_ssl("r", f), "rds"),
    (lambda f: bc.check_secrets_rotation("r", f, SETTINGS), "secrets"),
    (lambda f: bc.check_security_groups("r", f, SETTINGS), "security_groups"),
    (lambda f: bc.check_flow_logs("r", f, SETTINGS), "flow_logs"),
    (lambda f: bc.check_lb_tls("r", f, SETTINGS), "load_balancers"),
])
def test_sections_not_gathered_unreadable_or_crashed(judge, section):
    assert judge({"sections": [], "errors": {}})["status"] == "skip"
    unreadable = judge({"sections": [section], "errors": {section: "AccessDenied on the call"}})
    assert unreadable["status"] == "error" and "AccessDenied" in unreadable["summary"]
    crashed = judge({"failed": True, "msg": "module crashed"})
    assert crashed["status"] == "error" and "module crashed" in crashed["summary"]
    assert judge({"msg": "bad params"})["status"] == "error"
    assert judge({"failed": True})["summary"].endswith("the gather task failed")
    assert judge(None)["summary"].endswith("no facts were gathered")


# --- 2.1 -----------------------------------------------------------------------------------------------------------
def test_rds_encryption_verdicts():
    check = bc.check_rds_encryption
    assert check("r", facts(rds=rds()))["summary"] == "no RDS clusters or standalone instances"
    good = check("r", facts(rds=rds([cluster()], [instance(), instance("m-1", cluster_id="coder-db", encrypted=False)])))
    assert good["status"] == "pass", good  # the Aurora member is judged through its cluster
    assert len(good["details"]["resources"]) == 2
    plain = check("r", facts(rds=rds([cluster(encrypted=False)])))
    assert plain["status"] == "fail" and plain["summary"] == "cluster coder-db not encrypted"
    assert "playbooks/rds_encrypt_with_cmk.yml" in plain["remediation"]
    managed = check("r", facts(rds=rds([cluster(key=AWS_KEY)])))
    assert managed["status"] == "fail" and "AWS-managed key alias/aws/rds" in managed["summary"]
    standalone = check("r", facts(rds=rds(instances=[instance(encrypted=False)])))
    assert standalone["summary"] == "instance pg-1 not encrypted"


def test_rds_encryption_unreadable_keys_are_errors_but_failures_win():
    broken = {CMK: {"arn": None, "key_manager": None, "aliases": [], "error": "AccessDenied"}}
    unknown = bc.check_rds_encryption("r", facts(rds=rds([cluster()], kms=broken)))
    assert unknown["status"] == "error" and "AccessDenied" in unknown["summary"]
    missing = bc.check_rds_encryption("r", facts(rds=rds([cluster()], kms={})))
    assert missing["status"] == "error" and "not described" in missing["summary"]
    mixed = bc.check_rds_encryption("r", facts(rds=rds([cluster(), cluster("old", encrypted=False)], kms={})))
    assert mixed["status"] == "fail"


def test_key_is_aws_managed_by_manager_alias_or_id():
    assert bc.key_is_aws_managed(AWS_KEY, {"key_manager": "AWS"})
    assert bc.key_is_aws_managed(AWS_KEY, {"key_manager": "CUSTOMER", "aliases": ["alias/aws/rds"]})
    assert bc.key_is_aws_managed("alias/aws/rds", {})
    assert not bc.key_is_aws_managed(CMK, {"key_manager": "CUSTOMER", "aliases": ["alias/coder"]})
    assert not bc.key_is_aws_managed(None, {})
    # An id that names the AWS alias but was never described still reports the id.
    assert "alias/aws/rds" in bc._encryption_verdict(cluster(key="alias/aws/rds"), {})[1]


# --- 2.5 force TLS -------------------------------------------------------------------------------------------------
def test_force_ssl_parameter_by_engine():
    assert bc.force_ssl_parameter("aurora-postgresql") == ("rds.force_ssl", ("1",))
    assert bc.force_ssl_parameter("mysql")[0] == "require_secure_transport"
    assert bc.force_ssl_parameter("neptune") == (None, None)


def test_rds_force_ssl_verdicts():
    check = bc.check_rds_force_ssl
    assert check("r", facts(rds=rds()))["status"] == "pass"
    assert check("r", facts(rds=rds([cluster()], [instance()])))["status"] == "pass"
    off = check("r", facts(rds=rds([cluster()], cluster_groups={
        "coder-db-params": {"parameters": {"rds.force_ssl": "0"}, "error": None}})))
    assert off["status"] == "fail" and "rds.force_ssl = 0 in parameter group coder-db-params" in off["summary"]
    empty = {"coder-db-params": {"parameters": {}, "error": None}}
    unset = check("r", facts(rds=rds([cluster()], cluster_groups=empty)))
    assert "rds.force_ssl is not set" in unset["summary"]
    nogroup = check("r", facts(rds=rds(instances=[instance(groups=())])))
    assert nogroup["status"] == "fail" and "no parameter group" in nogroup["summary"]
    missing = {"coder-db-params": {"parameters": None, "error": "not found"}}
    unread = check("r", facts(rds=rds([cluster()], cluster_groups=missing)))
    assert unread["status"] == "error" and "not found" in unread["summary"]
    never_read = check("r", facts(rds=rds([cluster()], cluster_groups={})))
    assert never_read["status"] == "error" and "not read" in never_read["summary"]


def test_rds_force_ssl_mysql_and_engines_without_the_parameter():
    mysql = rds(instances=[instance(engine="mysql")], instance_groups={
        "pg-params": {"parameters": {"require_secure_transport": "on"}, "error": None}})
    assert bc.check_rds_force_ssl("r", facts(rds=mysql))["status"] == "pass"
    neptune = bc.check_rds_force_ssl("r", facts(rds=rds([cluster(engine="neptune")])))
    assert neptune["status"] == "pass" and "not applicable" in neptune["details"]["resources"][0]["verdict"]


# --- 2.2 -----------------------------------------------------------------------------------------------------------
def secret(name="coder/db", enabled=True, rotated="2026-11-20T10:00:00Z", days=30, expression=None, tags=None):
    return {"name": name, "rotation_enabled": enabled, "last_rotated_date": rotated, "tags": tags or {},
            "rotation_rules": {"automatically_after_days": days, "schedule_expression": expression}}


def test_rotation_interval_days():
    assert bc.rotation_interval_days({"automatically_after_days": 30}) == 30.0
    assert bc.rotation_interval_days({"schedule_expression": "rate(10 days)"}) == 10.0
    assert bc.rotation_interval_days({"schedule_expression": "rate(48 hours)"}) == 2.0
    assert bc.rotation_interval_days({"schedule_expression": "cron(0 16 1,15 * ? *)"}) is None
    assert bc.rotation_interval_days(None) is None


def test_secret_scope_by_name_patterns_and_tags():
    assert bc.secret_in_scope(secret(), [], {})
    assert bc.secret_in_scope(secret(), ["coder/*"], {})
    assert not bc.secret_in_scope(secret(), ["litellm/*"], {})
    tagged = secret(tags={"kind": "database"})
    assert bc.secret_in_scope(tagged, [], {"kind": "database"})
    assert bc.secret_in_scope(tagged, [], {"kind": "*"})
    assert bc.secret_in_scope(tagged, [], {"kind": None})
    assert not bc.secret_in_scope(tagged, [], {"kind": "api-key"})
    assert not bc.secret_in_scope(tagged, [], {"owner": "*"})


def test_secrets_rotation_verdicts():
    def judge(*secrets, **settings):
        return bc.check_secrets_rotation("r", facts(secrets={"secrets": list(secrets)}),
                                         bc.baseline_settings(dict({"now": NOW}, **settings)))
    assert judge()["summary"] == "no secrets in scope"
    assert judge(secret())["status"] == "pass"
    assert judge(secret(enabled=False))["summary"] == "coder/db: rotation is not enabled"
    assert "never rotated" in judge(secret(rotated=None))["summary"]
    overdue = judge(secret(rotated="2026-10-01T10:00:00Z"))
    assert overdue["status"] == "fail" and "last rotated 55 days ago, limit 30 days" in overdue["summary"]
    # A cron schedule: the 90-day ceiling applies; a 365-day interval is capped at it too.
    assert judge(secret(days=None, expression="cron(0 0 1 * ? *)", rotated="2026-10-01T10:00:00Z"))["status"] == "pass"
    assert "limit 90 days" in judge(secret(days=365, rotated="2026-06-01T10:00:00Z"))["summary"]
    assert judge(secret(name="other", enabled=False), secret_name_patterns=["coder/*"])["status"] == "pass"


def test_secrets_rotation_needs_now():
    with pytest.raises(ValueError):
        bc.check_secrets_rotation("r", facts(secrets={"secrets": []}), bc.baseline_settings({}))


# --- 2.3 -----------------------------------------------------------------------------------------------------------
def sgroup(group_id, name, rules=(), enis=1):
    return {"group_id": group_id, "group_name": name, "vpc_id": "vpc-1", "ip_permissions": list(rules),
            "network_interface_count": enis}


SSH_OPEN = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def test_security_groups_verdicts():
    def judge(groups, **settings):
        return bc.check_security_groups("r", facts(security_groups={"groups": groups}),
                                        bc.baseline_settings(dict({"now": NOW}, **settings)))
    assert judge([sgroup("sg-1", "web")])["status"] == "pass"
    failed = judge([sgroup("sg-1", "bastion", [SSH_OPEN]), sgroup("sg-2", "spare", enis=0)])
    assert failed["status"] == "fail" and "sg-1 (bastion): tcp 22 from 0.0.0.0/0" in failed["summary"]
    assert failed["details"]["unused"] == ["sg-2 (spare)"]
    unused = judge([sgroup("sg-2", "spare", enis=0), sgroup("sg-3", "default", enis=0)])
    assert unused["status"] == "warn" and unused["details"]["unused_default_groups"] == ["sg-3"]
    assert "never deletes" in unused["remediation"]
    assert judge([sgroup("sg-2", "spare", enis=0)], report_unused_groups=False)["status"] == "pass"
    assert judge([sgroup("sg-1", "bastion", [SSH_OPEN])], allowed_public_ports=["22"])["status"] == "pass"


# --- 2.4 -----------------------------------------------------------------------------------------------------------
def flow(vpc="vpc-1", status="ACTIVE", deliver="SUCCESS", traffic="ALL", dest="cloud-watch-logs", group="/fl",
         error=None):
    return {"flow_log_id": "fl-%s" % vpc, "resource_id": vpc, "flow_log_status": status, "deliver_logs_status": deliver,
            "deliver_logs_error": error, "traffic_type": traffic, "log_destination_type": dest, "log_group_name": group}


def log_group(exists=True, kms="arn:kms", retention=365, error=None):
    return {"exists": exists, "kms_key_id": kms, "retention_in_days": retention, "error": error}


def judge_flow(vpcs, flow_logs, groups, **settings):
    section = {"vpcs": [{"vpc_id": v} for v in vpcs], "flow_logs": flow_logs, "log_groups": groups}
    return bc.check_flow_logs("r", facts(flow_logs=section), bc.baseline_settings(dict({"now": NOW}, **settings)))


@pytest.mark.parametrize("flow_log,group,expected", [
    (flow(status="INACTIVE"), log_group(), "fl-vpc-1 is INACTIVE"),
    (flow(deliver="FAILED", error="Access error"), log_group(), "cannot deliver: Access error"),
    (flow(deliver="FAILED"), log_group(), "cannot deliver: delivery failed"),
    (flow(traffic="REJECT"), log_group(), "captures REJECT traffic, not ALL"),
    (flow(dest="s3", group=None), log_group(), "goes to s3, not a CloudWatch log group"),
    (flow(), log_group(error="AccessDenied"), "log group /fl unreadable: AccessDenied"),
    (flow(), log_group(exists=False), "log group /fl does not exist"),
    (flow(), log_group(kms=None), "not encrypted with a KMS key"),
    (flow(), log_group(retention=None), "keeps logs forever"),
])
def test_flow_log_problems(flow_log, group, expected):
    verdict = judge_flow(["vpc-1"], [flow_log], {"/fl": group})
    assert verdict["status"] == "fail" and expected in verdict["summary"], verdict["summary"]


def test_flow_logs_verdicts():
    assert judge_flow([], [], {})["summary"] == "no VPCs"
    assert judge_flow(["vpc-1"], [flow()], {"/fl": log_group()})["status"] == "pass"
    missing = judge_flow(["vpc-1", "vpc-2"], [flow()], {"/fl": log_group()})
    assert missing["status"] == "fail" and missing["summary"] == "1 of 2 VPC(s): vpc-2: no flow log"
    # One good flow log is enough even beside a broken one.
    assert judge_flow(["vpc-1"], [flow(status="INACTIVE"), flow()], {"/fl": log_group()})["status"] == "pass"
    short = judge_flow(["vpc-1"], [flow()], {"/fl": log_group(retention=30)}, flow_logs_min_retention_days=90)
    assert "keeps logs 30 days, less than 90" in short["summary"]
    assert judge_flow(["vpc-1"], [flow(traffic="REJECT")], {"/fl": log_group()},
                      flow_logs_traffic_type="")["status"] == "pass"


# --- 2.5 S3 --------------------------------------------------------------------------------------------------------
def deny(bucket="b", principal="*", action="s3:*", resource=None, condition=None, effect="Deny"):
    return {"Effect": effect, "Principal": principal, "Action": action,
            "Resource": resource if resource is not None else ["arn:aws:s3:::%s" % bucket, "arn:aws:s3:::%s/*" % bucket],
            "Condition": condition if condition is not None else {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.mark.parametrize("statement,expected", [
    (deny(), True),
    (deny(principal={"AWS": "*"}), True),
    (deny(principal={"AWS": ["*"]}, action=["s3:GetObject", "s3:*"]), True),
    (deny(resource="*"), True),
    (deny(resource="arn:aws:s3:::b*"), True),
    (deny(resource=["arn:aws-cn:s3:::b", "arn:aws-cn:s3:::b/*"]), True),
    (deny(condition={"BoolIfExists": {"aws:SecureTransport": ["false"]}}), True),
    (deny(condition={"Bool": {"aws:SecureTransport": False}}), True),
    (deny(effect="Allow"), False),
    (deny(principal={"AWS": "arn:aws:iam::1:root"}), False),
    (deny(action="s3:GetObject"), False),
    (deny(resource=["arn:aws:s3:::b"]), False),
    (deny(resource=["arn:aws:s3:::b/*"]), False),
    (deny(condition={"Bool": {"aws:SecureTransport": "true"}}), False),
    (deny(condition={}), False),
])
def test_statement_denies_insecure(statement, expected):
    assert bc.statement_denies_insecure(statement, "b") is expected


def test_policy_denies_insecure_shapes():
    assert bc.policy_denies_insecure({"Statement": deny()}, "b")
    assert bc.policy_denies_insecure({"Statement": ["junk", deny()]}, "b")
    assert not bc.policy_denies_insecure("not a dict", "b")
    assert not bc.policy_denies_insecure({}, "b")


def test_s3_tls_verdicts():
    def judge(buckets, **settings):
        by_region = {"us-west-2": facts(), "us-east-2": facts(s3={"buckets": buckets})}
        return bc.check_s3_tls(by_region, bc.baseline_settings(dict({"now": NOW}, **settings)))
    good = {"name": "good", "policy": {"Statement": [deny("good")]}, "error": None}
    assert judge([good])["status"] == "pass" and judge([good])["target"] == "global"
    assert judge([good])["details"]["gathered_in"] == "us-east-2"
    assert judge([])["summary"] == "no buckets in scope"
    nopolicy = judge([good, {"name": "logs", "policy": None, "error": None}])
    assert nopolicy["status"] == "fail" and nopolicy["summary"] == "1 of 2 bucket(s): logs: no bucket policy"
    allow = judge([{"name": "x", "policy": {"Statement": [deny("x", effect="Allow")]}, "error": None}])
    assert "does not deny" in allow["summary"]
    unread = judge([good, {"name": "y", "policy": None, "error": "AccessDenied"}])
    assert unread["status"] == "error" and "AccessDenied" in unread["summary"]
    scoped = judge([good, {"name": "logs", "policy": None, "error": None}], s3_buckets=["go*"])
    assert scoped["status"] == "pass" and scoped["details"]["scope"] == ["go*"]


def test_s3_tls_skipped_or_unreadable():
    assert bc.check_s3_tls({"us-east-2": facts()}, SETTINGS)["status"] == "skip"
    broken = {"us-east-2": {"sections": ["s3"], "errors": {"s3": "ListBuckets denied"}}}
    assert bc.check_s3_tls(broken, SETTINGS)["status"] == "error"


# --- 2.5 load balancers --------------------------------------------------------------------------------------------
def listener(protocol="HTTPS", port=443, policy="ELBSecurityPolicy-TLS13-1-2-2021-06", actions=None, lb="coder"):
    return {"load_balancer": lb, "port": port, "protocol": protocol, "ssl_policy": policy,
            "default_actions": actions if actions is not None else [{"type": "forward", "redirect": None}]}


REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}]
POLICIES = {"ELBSecurityPolicy-TLS13-1-2-2021-06": ["TLSv1.3", "TLSv1.2"],
            "ELBSecurityPolicy-2016-08": ["TLSv1.2", "TLSv1.1", "TLSv1"]}


def judge_lb(listeners, policies=None, errors=None):
    section = {"listeners": listeners, "ssl_policies": POLICIES if policies is None else policies,
               "listener_errors": errors or {}}
    return bc.check_lb_tls("r", facts(load_balancers=section), SETTINGS)


def test_lb_tls_verdicts():
    assert judge_lb([])["summary"] == "no ELBv2 listeners"
    assert judge_lb([listener(), listener("HTTP", 80, None, REDIRECT), listener("TCP", 5432, None)])["status"] == "pass"
    old = judge_lb([listener(policy="ELBSecurityPolicy-2016-08")])
    assert old["status"] == "fail" and "allows TLSv1.1, TLSv1" in old["summary"]
    plain = judge_lb([listener("HTTP", 80, None)])
    assert plain["status"] == "fail" and "plain HTTP" in plain["summary"]
    to_http = [{"type": "redirect", "redirect": {"protocol": "HTTP"}}]
    assert judge_lb([listener("HTTP", 80, None, to_http)])["status"] == "fail"
    assert judge_lb([listener("HTTP", 80, None, [])])["status"] == "fail"


def test_lb_tls_falls_back_to_policy_names_when_protocols_are_unknown():
    assert judge_lb([listener("TLS", 443, "ELBSecurityPolicy-FS-1-2-Res-2020-10")], policies={})["status"] == "pass"
    unknown = judge_lb([listener(policy="ELBSecurityPolicy-TLS13-1-0-2021-06")], policies={})
    assert unknown["status"] == "fail" and "not a TLS 1.2+ policy" in unknown["summary"]


def test_lb_tls_unreadable_listeners():
    assert judge_lb([listener()], errors={"coder": "denied"})["status"] == "error"
    assert judge_lb([listener("HTTP", 80, None)], errors={"coder": "denied"})["status"] == "fail"


# --- all together --------------------------------------------------------------------------------------------------
def test_judge_baseline_judges_every_declared_check_at_its_targets():
    by_region = {"us-west-2": facts(), "us-east-2": facts(rds=rds([cluster()]))}
    results = bc.judge_baseline(by_region, {"now": NOW, "allowed_public_ports": None})
    regions = [{"name": "us-east-2"}, {"name": "us-west-2"}]
    expected = sorted((entry["id"], target) for entry in catalog_rows([bc.FAMILY])
                      for target in expected_targets(entry, regions))
    assert sorted((r["id"], r["target"]) for r in results) == expected
    assert ("tls.s3_deny_insecure", "global") in expected
    by_key = dict(((r["id"], r["target"]), r) for r in results)
    assert by_key[("rds.encryption_cmk", "us-east-2")]["status"] == "pass"
    assert set(r["id"] for r in results) == set(bc.BASELINE_CHECKS)


def test_baseline_settings_defaults_and_types():
    merged = bc.baseline_settings({"allowed_public_ports": ["443"], "secret_tags": None})
    assert merged["allowed_public_ports"] == [443]
    assert merged["secret_tags"] == {}
    assert bc.baseline_settings(None)["secrets_max_days_since_rotation"] == 90


def test_listing_truncates():
    assert bc._listing(["a", "b", "c", "d", "e"]) == "a; b; c; and 2 more"
