"""The data-protection baseline (requirement 2) against moto, through real ansible-playbook runs.

Each test module run starts its own moto (``ThreadedMotoServer`` on a free port, in this process, with the
sandbox's ``moto_patches``) and seeds it with ``tests/sandbox/seed_baseline.py``; regions keep the worlds apart:

- us-east-2: every gap (no flow logs, SSH open to the internet, an unencrypted and an AWS-managed-key Aurora cluster,
  force_ssl off, an ALB on ELBSecurityPolicy-2016-08 with plain HTTP, a secret without rotation, buckets without a
  TLS-deny policy)
- us-west-2: the compliant world
- eu-west-2: the security group audit's world; ap-southeast-2: the encrypt-with-CMK playbook's world;
  ca-central-1: flow-log convergence
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml

import moto_patches
import seed_baseline

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ACCESS_KEY, SECRET_KEY = "AKIAIOSFODNN7EXAMPLE", "baseline-test-secret-key-0123456789abcdef"

GAPS = {
    "vpcs": [{"name": "platform", "cidr": "10.0.0.0/16", "flow_logs": False, "security_groups": [
        {"name": "web", "ingress": [{"protocol": "tcp", "port": 443, "cidr": "0.0.0.0/0"},
                                    {"protocol": "tcp", "port": 80, "cidr": "0.0.0.0/0"}]},
        {"name": "bastion", "ingress": [{"protocol": "tcp", "port": 22, "cidr": "0.0.0.0/0"},
                                        {"protocol": "tcp", "port": 22, "cidr": "10.0.0.0/8"}]}]}],
    "rds_clusters": [{"id": "plain-db", "encryption": "none", "force_ssl": False},
                     {"id": "legacy-db", "encryption": "aws-managed", "force_ssl": True}],
    "load_balancers": [{"name": "old-tls", "vpc": "platform", "security_groups": ["web"], "listeners": [
        {"protocol": "HTTPS", "port": 443, "ssl_policy": "ELBSecurityPolicy-2016-08"},
        {"protocol": "HTTP", "port": 80, "redirect_https": False}]}],
    "secrets": [{"name": "coder/db-password", "tags": {"kind": "database"}, "rotation_days": None}],
    "s3_buckets": [{"name": "gap-artifacts", "deny_insecure": False}, {"name": "gap-logs", "deny_insecure": None}],
}
FLOW = {"log_group": "/seed/vpc-flow-logs", "kms": True, "retention_days": 30}
COMPLIANT = {
    "vpcs": [{"name": "default", "default": True, "flow_logs": FLOW},
             {"name": "proxy", "cidr": "10.1.0.0/16", "flow_logs": FLOW, "security_groups": [
                 {"name": "web", "ingress": [{"protocol": "tcp", "port": 443, "cidr": "0.0.0.0/0"},
                                             {"protocol": "tcp", "port": 443, "cidr_ipv6": "::/0"}]},
                 {"name": "db", "ingress": [{"protocol": "tcp", "port": 5432, "source_group": "web"},
                                            {"protocol": "-1", "source_group": "self"}]}]}],
    "rds_clusters": [{"id": "coder-db", "vpc": "proxy", "encryption": "cmk", "force_ssl": True,
                      "security_groups": ["db"]}],
    "load_balancers": [{"name": "coder", "vpc": "proxy", "security_groups": ["web"], "listeners": [
        {"protocol": "HTTPS", "port": 443, "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {"protocol": "HTTP", "port": 80, "redirect_https": True}]}],
    "secrets": [{"name": "coder/db-password", "tags": {"kind": "database"}, "rotation_days": 30}],
    "s3_buckets": [{"name": "good-artifacts", "deny_insecure": True}],
}
AUDIT = {"vpcs": [{"name": "audit", "cidr": "10.2.0.0/16", "security_groups": [
    {"name": "bastion", "ingress": [{"protocol": "tcp", "port": 22, "cidr": "0.0.0.0/0"},
                                    {"protocol": "tcp", "port": 22, "cidr": "10.2.0.0/16"},
                                    {"protocol": "tcp", "port": 443, "cidr": "0.0.0.0/0"}]},
    {"name": "nodes", "ingress": [{"protocol": "-1", "source_group": "self"}]},
    {"name": "spare", "attached": False}]}]}
ENCRYPT = {"vpcs": [{"name": "db", "cidr": "10.3.0.0/16", "security_groups": [{"name": "db"}]}],
           "rds_clusters": [{"id": "plain-db", "vpc": "db", "encryption": "none", "force_ssl": True,
                             "security_groups": ["db"], "instances": 2},
                            {"id": "managed-db", "encryption": "aws-managed", "force_ssl": True},
                            {"id": "key-holder", "encryption": "cmk", "force_ssl": True}]}
FLOWS = {"vpcs": [{"name": "a", "cidr": "10.4.0.0/16"}, {"name": "b", "cidr": "10.5.0.0/16"}]}


@pytest.fixture(scope="module")
def moto_url():
    from moto.server import ThreadedMotoServer

    moto_patches.apply_all()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield "http://%s:%s" % (host, port)
    server.stop()


@pytest.fixture(scope="module")
def aws(moto_url):
    def client(service, region):
        return boto3.client(service, region_name=region, endpoint_url=moto_url, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY)
    return client


@pytest.fixture(scope="module")
def world(aws):
    return {region: seed_baseline.seed(aws, region, spec) for region, spec in (
        ("us-east-2", GAPS), ("us-west-2", COMPLIANT), ("eu-west-2", AUDIT), ("ap-southeast-2", ENCRYPT),
        ("ca-central-1", FLOWS))}


def inventory(tmp_path, moto_url, control_plane, proxies=()):
    path = tmp_path / "inventory.yml"
    hosts = dict((r, {"aws_region": r}) for r in [control_plane] + list(proxies))
    path.write_text(yaml.safe_dump({"all": {
        "children": {"control_plane": {"hosts": {control_plane: hosts[control_plane]}},
                     "proxy_regions": {"hosts": dict((r, hosts[r]) for r in proxies)}},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "aws_endpoint_url": moto_url, "aws_access_key": ACCESS_KEY, "aws_secret_key": SECRET_KEY}}}))
    return path


def run(tmp_path, playbook, inventory_path, *args):
    env = dict(os.environ)
    env.update({"PATH": "%s:%s" % (VENV_BIN, env.get("PATH", "")), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                "TMPDIR": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
                "ANSIBLE_NOCOLOR": "1"})
    process = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", str(inventory_path)]
                             + list(args), cwd=str(REPO), env=env, capture_output=True, text=True, timeout=600,
                             check=False)
    process.output = process.stdout + process.stderr
    return process


def recap_changed(output):
    """{host: changed count} from the PLAY RECAP."""
    counts = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        if "changed=" in line:
            counts[line.split(":")[0].strip()] = int(line.split("changed=")[1].split()[0])
    return counts


def baseline(tmp_path, inventory_path, *args):
    reports = tmp_path / "reports"
    process = run(tmp_path, REPO / "playbooks" / "security_baseline.yml", inventory_path,
                  "-e", "report_dir=%s" % reports, *args)
    path = reports / "security_baseline.json"
    report = json.loads(path.read_text()) if path.exists() else None
    return process, report


def by_check(report, target):
    return dict((c["id"], c) for c in report["checks"] if c["target"] in (target, "global"))


# --- each check fails on the gap and passes on the compliant world -------------------------------------------------
def test_every_check_fails_on_the_gaps_and_passes_on_the_compliant_world(tmp_path, moto_url, world):
    inv = inventory(tmp_path, moto_url, "us-east-2", ["us-west-2"])
    process, report = baseline(tmp_path, inv, "-e", "security_baseline_flow_logs=false")
    assert report, process.output
    assert process.returncode != 0 and "check(s) failed" in process.output  # the play fails on failed checks
    gaps, good = by_check(report, "us-east-2"), by_check(report, "us-west-2")
    regional = ["rds.encryption_cmk", "secrets.rotation_enabled", "security_groups.least_privilege",
                "vpc.flow_logs", "tls.load_balancer_policy", "tls.rds_force_ssl"]
    assert dict((c, gaps[c]["status"]) for c in regional) == dict((c, "fail") for c in regional), gaps
    assert dict((c, good[c]["status"]) for c in regional) == dict((c, "pass") for c in regional), good

    assert "plain-db not encrypted" in gaps["rds.encryption_cmk"]["summary"]
    assert "legacy-db encrypted with the AWS-managed key alias/aws/rds" in gaps["rds.encryption_cmk"]["summary"]
    assert "plain-db: rds.force_ssl = 0" in gaps["tls.rds_force_ssl"]["summary"]
    assert "coder/db-password: rotation is not enabled" in gaps["secrets.rotation_enabled"]["summary"]
    assert "(bastion): tcp 22 from 0.0.0.0/0" in gaps["security_groups.least_privilege"]["summary"]
    assert "no flow log" in gaps["vpc.flow_logs"]["summary"]
    assert "ELBSecurityPolicy-2016-08 (allows TLSv1.1, TLSv1)" in gaps["tls.load_balancer_policy"]["summary"]
    assert "plain HTTP" in json.dumps(gaps["tls.load_balancer_policy"]["details"])

    s3 = dict((b["bucket"], b["status"]) for b in gaps["tls.s3_deny_insecure"]["details"]["buckets"])
    assert gaps["tls.s3_deny_insecure"]["status"] == "fail"
    assert s3 == {"gap-artifacts": "fail", "gap-logs": "fail", "good-artifacts": "pass"}
    # The AWS secret key never reaches the report or the console.
    assert SECRET_KEY not in process.output
    assert SECRET_KEY not in (tmp_path / "reports" / "security_baseline.md").read_text()


def test_s3_check_passes_when_the_scope_holds_only_compliant_buckets(tmp_path, moto_url, world):
    inv = inventory(tmp_path, moto_url, "us-west-2")
    process, report = baseline(tmp_path, inv, "-e", "security_baseline_flow_logs=false",
                               "-e", '{"security_baseline_settings": {"s3_buckets": ["good-*"]}}')
    assert process.returncode == 0, process.output
    assert by_check(report, "us-west-2")["tls.s3_deny_insecure"]["status"] == "pass"
    assert report["summary"]["pass"] == 7


# --- security group audit: dry run, remediation, idempotence -------------------------------------------------------
AUDIT_PLAY = """
- hosts: eu-west-2
  gather_facts: false
  module_defaults:
    group/coder.ai_platform.aws:
      region: "{{ aws_region }}"
      endpoint_url: "{{ aws_endpoint_url }}"
      access_key: "{{ aws_access_key }}"
      secret_key: "{{ aws_secret_key }}"
  tasks:
    - name: Dry run
      coder.ai_platform.security_group_audit: {}
      register: dry
    - name: Remediate
      coder.ai_platform.security_group_audit: {remediate: true}
      register: fix
    - name: Remediate again
      coder.ai_platform.security_group_audit: {remediate: true}
      register: again
    - name: Save
      ansible.builtin.copy:
        content: "{{ {'dry': dry, 'fix': fix, 'again': again} | to_json }}"
        dest: "{{ out }}"
      changed_when: false
"""


def group_rules(aws, region, group_id):
    group = aws("ec2", region).describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return sorted((p["IpProtocol"], p.get("FromPort"), r.get("CidrIp") or r.get("CidrIpv6") or r.get("GroupId"))
                  for p in group["IpPermissions"]
                  for r in p.get("IpRanges", []) + p.get("Ipv6Ranges", []) + p.get("UserIdGroupPairs", []))


def test_security_group_audit_dry_run_then_revokes_exactly_the_rule(tmp_path, moto_url, aws, world):
    bastion = world["eu-west-2"]["security_groups"]["bastion"]
    nodes = world["eu-west-2"]["security_groups"]["nodes"]
    before = group_rules(aws, "eu-west-2", bastion)
    playbook = tmp_path / "audit.yml"
    playbook.write_text(AUDIT_PLAY)
    out = tmp_path / "audit.json"
    process = run(tmp_path, playbook, inventory(tmp_path, moto_url, "eu-west-2"), "--diff", "-e", "out=%s" % out)
    assert process.returncode == 0, process.output
    results = json.loads(out.read_text())
    dry, fix, again = results["dry"], results["fix"], results["again"]

    # Dry run: no change, but the diff and would_revoke name the rule.
    assert dry["changed"] is False and dry["revoked"] == []
    assert dry["would_revoke"] == [{"group_id": bastion, "rule": "tcp 22 from 0.0.0.0/0"}]
    assert len(dry["diff"]) == 1 and "tcp 22 from 0.0.0.0/0" in dry["diff"][0]["before"]
    assert "tcp 22 from 0.0.0.0/0" not in dry["diff"][0]["after"]
    assert "tcp 22 from 10.2.0.0/16" in dry["diff"][0]["after"]
    assert [u["group_name"] for u in dry["unused"]] == ["spare"]
    assert [u["group_name"] for u in dry["unused_default"]] == ["default", "default"]  # default VPC + audit VPC
    assert nodes not in [f["group_id"] for f in dry["findings"]]  # the self-reference is exempt

    # Remediation: exactly that source of that rule goes, nothing else, no group deleted.
    assert fix["changed"] is True and fix["revoked"] == dry["would_revoke"]
    after = group_rules(aws, "eu-west-2", bastion)
    assert set(before) - set(after) == {("tcp", 22, "0.0.0.0/0")} and set(after) < set(before)
    assert ("tcp", 443, "0.0.0.0/0") in after and ("tcp", 22, "10.2.0.0/16") in after
    names = [g["GroupName"] for g in aws("ec2", "eu-west-2").describe_security_groups()["SecurityGroups"]]
    assert "spare" in names
    # The diff of the real run is printed (changed), a second run changes nothing.
    assert "-tcp 22 from 0.0.0.0/0" in process.output
    assert again["changed"] is False and again["would_revoke"] == [] and again["revoked"] == []
    assert recap_changed(process.output) == {"eu-west-2": 1}


# --- flow logs convergence -----------------------------------------------------------------------------------------
def test_baseline_converges_flow_logs_and_a_second_run_changes_nothing(tmp_path, moto_url, aws, world):
    inv = inventory(tmp_path, moto_url, "ca-central-1")
    inv_args = ["-e", "security_baseline_s3_check=false"]  # the buckets of the other worlds are not this test's
    check_first, dummy_report = baseline(tmp_path, inv, "--check", "-e", "security_baseline_fail_on_findings=false",
                                         *inv_args)
    assert check_first.returncode == 0, check_first.output
    assert aws("ec2", "ca-central-1").describe_flow_logs()["FlowLogs"] == []  # check mode created nothing
    # Exactly the gap: no flow logs, so the role, key, group and flow logs would be made (the role's policy is not
    # shown in check mode: there is no role yet to attach it to).
    assert changed_tasks(check_first.output) == sorted([
        ("The delivery role", "ca-central-1"),
        ("A customer-managed KMS key for the region's new flow-log group", "ca-central-1"),
        ("The flow-log group, encrypted with that key and with retention", "ca-central-1"),
        ("One flow log for each VPC without a compliant one", "ca-central-1")])

    first, report = baseline(tmp_path, inv, *inv_args)
    assert first.returncode == 0, first.output
    assert by_check(report, "ca-central-1")["vpc.flow_logs"]["status"] == "pass"
    flow_logs = aws("ec2", "ca-central-1").describe_flow_logs()["FlowLogs"]
    vpcs = aws("ec2", "ca-central-1").describe_vpcs()["Vpcs"]
    assert sorted(f["ResourceId"] for f in flow_logs) == sorted(v["VpcId"] for v in vpcs)  # default VPC too
    assert set((f["TrafficType"], f["LogGroupName"]) for f in flow_logs) == {("ALL", "/coder/vpc-flow-logs")}
    group = aws("logs", "ca-central-1").describe_log_groups(logGroupNamePrefix="/coder/vpc-flow-logs")["logGroups"][0]
    assert group["retentionInDays"] == 365 and group["kmsKeyId"].startswith("arn:aws:kms:ca-central-1:")
    key = aws("kms", "ca-central-1").get_key_policy(KeyId=group["kmsKeyId"], PolicyName="default")["Policy"]
    assert "logs.ca-central-1.amazonaws.com" in key

    second, dummy_report = baseline(tmp_path, inv, *inv_args)
    assert second.returncode == 0 and recap_changed(second.output) == {"ca-central-1": 0}, second.output
    check, dummy_report = baseline(tmp_path, inv, "--check", *inv_args)
    assert check.returncode == 0 and recap_changed(check.output) == {"ca-central-1": 0}, check.output

    # A flow log of ours with other settings is replaced (flow logs are immutable), others are left alone.
    ec2 = aws("ec2", "ca-central-1")
    vpc_a = world["ca-central-1"]["vpcs"]["a"]
    ours = [f["FlowLogId"] for f in flow_logs if f["ResourceId"] == vpc_a]
    ec2.delete_flow_logs(FlowLogIds=ours)
    ec2.create_flow_logs(ResourceIds=[vpc_a], ResourceType="VPC", TrafficType="REJECT",
                         LogDestinationType="cloud-watch-logs", LogGroupName="/coder/vpc-flow-logs",
                         DeliverLogsPermissionArn=flow_logs[0]["DeliverLogsPermissionArn"])
    third, report = baseline(tmp_path, inv, *inv_args)
    assert third.returncode == 0 and recap_changed(third.output) == {"ca-central-1": 1}, third.output
    now = [f for f in ec2.describe_flow_logs()["FlowLogs"] if f["ResourceId"] == vpc_a]
    assert [f["TrafficType"] for f in now] == ["ALL"]


# --- encrypt with a CMK --------------------------------------------------------------------------------------------
def test_rds_encrypt_with_cmk_restores_an_encrypted_copy_and_leaves_the_source(tmp_path, moto_url, aws, world):
    rds = aws("rds", "ap-southeast-2")
    cmk = world["ap-southeast-2"]["cmk_arn"]
    source_before = rds.describe_db_clusters(DBClusterIdentifier="plain-db")["DBClusters"][0]
    inv = inventory(tmp_path, moto_url, "ap-southeast-2")
    playbook = REPO / "playbooks" / "rds_encrypt_with_cmk.yml"
    args = ["-e", "rds_encrypt_source_cluster=plain-db", "-e", "rds_encrypt_kms_key_id=%s" % seed_baseline.CMK_ALIAS]

    process = run(tmp_path, playbook, inv, *args)
    assert process.returncode == 0, process.output
    target = rds.describe_db_clusters(DBClusterIdentifier="plain-db-cmk")["DBClusters"][0]
    assert target["StorageEncrypted"] is True and target["KmsKeyId"] == cmk
    assert sorted(m["DBInstanceIdentifier"] for m in target["DBClusterMembers"]) == ["plain-db-cmk-1", "plain-db-cmk-2"]
    assert target["DBSubnetGroup"] == source_before["DBSubnetGroup"]
    assert target["DBClusterParameterGroup"] == source_before["DBClusterParameterGroup"]
    assert [g["VpcSecurityGroupId"] for g in target["VpcSecurityGroups"]] == [
        g["VpcSecurityGroupId"] for g in source_before["VpcSecurityGroups"]]
    snapshot = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="plain-db-before-cmk")
    assert snapshot["DBClusterSnapshots"][0]["DBClusterIdentifier"] == "plain-db"

    source_after = rds.describe_db_clusters(DBClusterIdentifier="plain-db")["DBClusters"][0]
    for field in ("DBClusterArn", "StorageEncrypted", "Status", "DBClusterMembers", "DBClusterParameterGroup"):
        assert source_after[field] == source_before[field], field
    assert source_after["StorageEncrypted"] is False

    # Re-running finds everything in place; check mode promises nothing either.
    again = run(tmp_path, playbook, inv, *args)
    assert again.returncode == 0 and recap_changed(again.output) == {"ap-southeast-2": 0}, again.output
    check = run(tmp_path, playbook, inv, "--check", *args)
    assert check.returncode == 0 and recap_changed(check.output) == {"ap-southeast-2": 0}, check.output


def test_rds_encrypt_moves_an_aws_managed_key_cluster_to_the_cmk(tmp_path, moto_url, aws, world):
    inv = inventory(tmp_path, moto_url, "ap-southeast-2")
    process = run(tmp_path, REPO / "playbooks" / "rds_encrypt_with_cmk.yml", inv,
                  "-e", "rds_encrypt_source_cluster=managed-db", "-e", "rds_encrypt_target_cluster=managed-db-v2",
                  "-e", "rds_encrypt_kms_key_id=%s" % world["ap-southeast-2"]["cmk_arn"])
    assert process.returncode == 0, process.output
    target = aws("rds", "ap-southeast-2").describe_db_clusters(DBClusterIdentifier="managed-db-v2")["DBClusters"][0]
    assert target["KmsKeyId"] == world["ap-southeast-2"]["cmk_arn"]


def test_rds_encrypt_refuses_bad_input_and_aws_managed_keys(tmp_path, moto_url, world):
    inv = inventory(tmp_path, moto_url, "ap-southeast-2")
    playbook = REPO / "playbooks" / "rds_encrypt_with_cmk.yml"
    missing = run(tmp_path, playbook, inv, "-e", "rds_encrypt_source_cluster=plain-db")
    assert missing.returncode != 0 and "rds_encrypt_kms_key_id" in missing.output
    managed = run(tmp_path, playbook, inv, "-e", "rds_encrypt_source_cluster=plain-db",
                  "-e", "rds_encrypt_kms_key_id=alias/aws/rds")
    assert managed.returncode != 0 and "is not an enabled customer-managed key" in managed.output
    done = run(tmp_path, playbook, inv, "-e", "rds_encrypt_source_cluster=key-holder",
               "-e", "rds_encrypt_kms_key_id=%s" % world["ap-southeast-2"]["cmk_arn"])
    assert done.returncode == 0 and recap_changed(done.output) == {"ap-southeast-2": 0}, done.output
    assert "key-holder-cmk" not in json.dumps(
        boto3.client("rds", region_name="ap-southeast-2", endpoint_url=moto_url, aws_access_key_id=ACCESS_KEY,
                     aws_secret_access_key=SECRET_KEY).describe_db_clusters()["DBClusters"], default=str)


# --- unreachable AWS: per-section errors, never a crash ------------------------------------------------------------
GATHER_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Gather from an endpoint that refuses connections
      coder.ai_platform.data_protection_info:
        region: "{{ aws_region }}"
        endpoint_url: "{{ aws_endpoint_url }}"
        access_key: "{{ aws_access_key }}"
        secret_key: "{{ aws_secret_key }}"
        sections: [rds, secrets, security_groups, flow_logs, load_balancers, s3]
      register: gathered
    - name: Judge it
      ansible.builtin.copy:
        content: >-
          {{ {'gathered': gathered, 'checks': {aws_region: gathered}
              | coder.ai_platform.baseline_checks({'now': '2026-11-25T10:00:00Z'})} | to_json }}
        dest: "{{ out }}"
      changed_when: false
"""


def test_unreachable_aws_gives_per_section_errors_and_error_checks(tmp_path):
    playbook = tmp_path / "gather.yml"
    playbook.write_text(GATHER_PLAY)
    out = tmp_path / "gathered.json"
    inv = inventory(tmp_path, "http://127.0.0.1:9", "us-east-2")  # the discard port: connection refused
    process = run(tmp_path, playbook, inv, "-e", "out=%s" % out)
    assert process.returncode == 0, process.output
    result = json.loads(out.read_text())
    gathered = result["gathered"]
    assert gathered["changed"] is False and not gathered.get("failed")
    assert sorted(gathered["errors"]) == ["flow_logs", "load_balancers", "rds", "s3", "secrets", "security_groups"]
    assert "Could not connect" in gathered["errors"]["rds"]
    assert set(c["status"] for c in result["checks"]) == {"error"}
    assert all("could not evaluate" in c["summary"] for c in result["checks"])
    assert SECRET_KEY not in process.output


# --- check mode on the sandbox's worlds: silent when compliant, exactly the gaps otherwise ------------------------
def changed_tasks(output):
    """[(task name, host)] of every task that reported changed."""
    found, task = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK ["):].split("]")[0].split(" : ", 1)[-1]
        elif line.startswith("changed: ["):
            found.append((task, line[len("changed: ["):].split("]")[0]))
    return sorted(found)


def sandbox_baseline(sandbox, tmp_path, *args):
    reports = tmp_path / "reports"
    process = sandbox.playbook("security_baseline.yml", tmp_path, "-e", "report_dir=%s" % reports, *args)
    path = reports / "security_baseline.json"
    return process, json.loads(path.read_text()) if path.exists() else None


def flow_log_world(sandbox):
    """Flow logs, IAM roles and KMS aliases as boto3 sees them, in every region of the sandbox."""
    endpoint = sandbox.endpoints["aws"]

    def client(service, region):
        return boto3.client(service, region_name=region, endpoint_url=endpoint["endpoint_url"],
                            aws_access_key_id=endpoint["access_key"], aws_secret_access_key=endpoint["secret_key"])
    world = {"roles": sorted(r["RoleName"] for r in client("iam", "us-east-2").list_roles()["Roles"])}
    for region in ("us-east-2", "us-west-2", "eu-west-2"):
        world[region] = {
            "flow_logs": sorted((f["FlowLogId"], f["ResourceId"], f["DeliverLogsPermissionArn"])
                                for f in client("ec2", region).describe_flow_logs()["FlowLogs"]),
            "aliases": sorted(a["AliasName"] for a in client("kms", region).list_aliases()["Aliases"]),
            "log_groups": sorted((g["logGroupName"], g.get("kmsKeyId"), g.get("retentionInDays"))
                                 for g in client("logs", region).describe_log_groups()["logGroups"])}
    return world


ALL_REGIONS = {"us-east-2": 0, "us-west-2": 0, "eu-west-2": 0}


def test_check_mode_is_silent_on_the_healthy_sandbox_and_the_flow_logs_of_others_are_kept(sandbox_factory, tmp_path):
    """The healthy world's flow logs, log groups and delivery role were made by someone else (the seed, with its own
    role and KMS key): they are compliant, so --check --diff reports nothing and a real run changes nothing."""
    sandbox = sandbox_factory("healthy")
    before = flow_log_world(sandbox)
    assert "coder-vpc-flow-logs" not in before["roles"] and before["us-east-2"]["flow_logs"]
    check, report = sandbox_baseline(sandbox, tmp_path, "--check", "--diff")
    assert check.returncode == 0, check.output[-3000:]
    assert recap_changed(check.output) == ALL_REGIONS and changed_tasks(check.output) == []
    assert "--- before" not in check.output and "+++ after" not in check.output
    assert set(c["status"] for c in report["checks"]) == {"pass"}

    applied, report = sandbox_baseline(sandbox, tmp_path, "--diff")
    assert applied.returncode == 0 and recap_changed(applied.output) == ALL_REGIONS, applied.output[-3000:]
    assert flow_log_world(sandbox) == before  # no new role, key, log group or flow log; none replaced


def test_check_mode_on_baseline_gaps_reports_exactly_the_gaps(sandbox_factory, tmp_path):
    """baseline_gaps: the bastion group opens SSH to the world and the database uses the AWS-managed key. The
    baseline converges only the first (with revocation asked for); the second is reported, never changed."""
    sandbox = sandbox_factory("baseline_gaps")
    before = flow_log_world(sandbox)
    dry, report = sandbox_baseline(sandbox, tmp_path, "--check", "--diff", "-e", "security_baseline_fail_on_findings=false")
    assert dry.returncode == 0, dry.output[-3000:]
    assert recap_changed(dry.output) == ALL_REGIONS  # no revocation asked: nothing would change
    failing = sorted((c["id"], c["target"]) for c in report["checks"] if c["status"] != "pass")
    assert failing == [("rds.encryption_cmk", "us-east-2"), ("security_groups.least_privilege", "us-east-2")]

    fix, dummy_report = sandbox_baseline(sandbox, tmp_path, "--check", "--diff", "-e", "security_baseline_sg_remediate=true",
                                         "-e", "security_baseline_fail_on_findings=false")
    assert fix.returncode == 0, fix.output[-3000:]
    assert recap_changed(fix.output) == dict(ALL_REGIONS, **{"us-east-2": 1})
    assert changed_tasks(fix.output) == [
        ("Audit security groups; revoke only when security_baseline_sg_remediate is true (2.3)", "us-east-2")]
    removed = [line for line in fix.output.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in fix.output.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == ["-tcp 22 from 0.0.0.0/0"] and added == []
    assert flow_log_world(sandbox) == before  # check mode changed nothing
