"""Least privilege for the collection itself: the gate, the state-backend bootstrap and the data-protection baseline run
in the sandbox with moto's IAM enforcement on, each as an IAM user holding exactly the policy the collection ships
(roles/platform/files/iam/, rendered and created by playbooks/iam_policies.yml for the sandbox's names).

What the sandbox proves and what it cannot (tests/sandbox/moto_patches.py, docs/iam.md): moto enforces the *actions*
of every call, and the resources of S3 (bucket and object ARNs) and IAM (role ARNs); it does not know which KMS key,
table, log group or flow log a request touches, so resource scoping there is checked by tests/unit/test_iam_policies.py
instead. Every authorization decision is recorded in the sandbox log (``sandbox-iam allowed|denied ...``), which is how
these tests see that nothing was denied - also where a module swallows a denial - and that every granted action was
used, except the few listed in UNEXERCISED with the reason moto cannot exercise them.

One dedicated sandbox (enforcement is process-wide in moto); enforcement is switched off again at the end.
"""

import importlib.util
import json
import re
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import REPO, Sandbox, run_gate, statuses
from moto_patches import iam_audit_records

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PREFIX = "coder-ai-platform-"
USERS = {"gate-readonly": "gate-readonly", "bootstrap": "bootstrap-state-backend", "baseline": "security-baseline"}
# The bootstrap gets names of its own, so it has everything to create (the scenario seeded the gate's backend).
BOOTSTRAP = {"state_backend_bucket": "iam-lp-state", "state_backend_kms_alias": "alias/iam-lp-state",
             "state_backend_lock_table": "iam-lp-state-locks",
             # Tags asked for, so the policy's tagging actions are exercised (the role's default asks for none).
             "state_backend_tags": {"managed-by": "coder.ai_platform"}}
REPLICA, ROLE = "iam-lp-state-us-west-2", "iam-lp-state-replication"
DENIED_TEXT = re.compile(r"AccessDenied|\b403\b|not authorized", re.IGNORECASE)

# Granted, and needed on AWS, but never authorized by moto in these runs - each with the reason.
UNEXERCISED = {
    "gate-readonly": {
        "rds:DescribeDBParameters": "read only for standalone DB instances; the healthy scenario has only a cluster",
    },
    "bootstrap-state-backend": {
        "iam:PassRole": "AWS checks it on PutBucketReplication (the role is passed to S3); moto does not",
        "kms:CreateGrant": "DynamoDB uses the caller's key permissions (kms:ViaService) for a CMK table; moto does not",
        "kms:Decrypt": "as kms:CreateGrant",
        "kms:Encrypt": "as kms:CreateGrant",
        "kms:GenerateDataKey": "as kms:CreateGrant",
        "dynamodb:UpdateTable": "its drift (billing mode, SSE, deletion protection) cannot be made in moto: "
                                "moto 5.2 ignores DeletionProtectionEnabled on UpdateTable and a CMK table stays so",
    },
    "security-baseline": {
        "iam:PassRole": "AWS checks it on CreateFlowLogs (the delivery role is passed to VPC Flow Logs); moto does not",
        "logs:TagLogGroup": "AWS checks it on CreateLogGroup with tags (the only tagging the role does: it never retags "
                            "a group it did not create); moto authorizes only logs:CreateLogGroup",
        "rds:DescribeDBParameters": "read only for standalone DB instances; the healthy scenario has only a cluster",
    },
}


class World:
    """The sandbox, its admin boto3 clients (usable while enforcement is off) and the users' keys."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.aws = sandbox.endpoints["aws"]
        self.keys = {}

    def client(self, service, region="us-east-2", user=None):
        key, secret = self.keys[user] if user else (self.aws["access_key"], self.aws["secret_key"])
        return boto3.client(service, region_name=region, endpoint_url=self.aws["endpoint_url"],
                            aws_access_key_id=key, aws_secret_access_key=secret)

    def enforcement(self, on):
        request = urllib.request.Request(self.aws["endpoint_url"] + "/moto-api/reset-auth", method="POST",
                                         data=b"0" if on else b"inf", headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["status"] == "ok"

    def credentials(self, user):
        return ("-e", "aws_access_key=%s" % self.keys[user][0], "-e", "aws_secret_key=%s" % self.keys[user][1])

    def log_offset(self):
        return (self.sandbox.state_dir / "sandbox.log").stat().st_size

    def audit(self, since=0):
        with open(self.sandbox.state_dir / "sandbox.log", errors="replace") as handle:
            handle.seek(since)
            return iam_audit_records(handle.read())


def recap_changed(run):
    return sum(int(n) for n in re.findall(r"changed=(\d+)", run.output.split("PLAY RECAP", 1)[1]))


def denials(records, user):
    return sorted(set("%s on %s" % (r["action"], r["resource"]) for r in records
                      if r["decision"] == "denied" and r["principal"].endswith(":user/" + user)))


def status_of(err):
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def world(sandbox_factory, tmp_path_factory):
    """Policies created by playbooks/iam_policies.yml (admin, enforcement off), the admin gate run for comparison, one
    user per policy plus one without any, then enforcement on."""
    world = World(sandbox_factory("healthy"))
    tmp = tmp_path_factory.mktemp("iam-setup")
    world.policy_runs = [world.sandbox.playbook("iam_policies.yml", tmp, "-e", json.dumps(BOOTSTRAP), "-e",
                                                "iam_policies_output_dir=%s" % (tmp / "policies"), *args)
                         for args in ((), ("--check", "--diff", "-e", "state_backend_bucket=another-bucket"), ())]
    world.documents = dict((name, json.loads((tmp / "policies" / ("%s.json" % name)).read_text()))
                           for name in USERS.values())
    world.admin_run, world.admin_report = run_gate(world.sandbox, tmp_path_factory.mktemp("iam-gate-admin"))
    iam = world.client("iam")
    arns = dict((p["PolicyName"], p["Arn"]) for p in iam.list_policies(Scope="Local")["Policies"])
    for user, document in list(USERS.items()) + [("no-policy", None)]:
        iam.create_user(UserName=user)
        if document:
            iam.attach_user_policy(UserName=user, PolicyArn=arns[PREFIX + document])
        key = iam.create_access_key(UserName=user)["AccessKey"]
        world.keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
    world.enforcement(True)
    yield world
    world.enforcement(False)


def test_iam_policies_playbook_creates_the_policies_idempotently_with_check_mode(world):
    first, check, again = world.policy_runs
    for run in world.policy_runs:
        assert run.returncode == 0, run.output[-3000:]
    assert recap_changed(first) == 3
    assert "changed: [us-east-2] => (item=bootstrap-state-backend)" in check.output  # a new bucket name: would change
    assert "another-bucket" in check.output and "(item=gate-readonly)" in check.output
    assert recap_changed(again) == 0
    # Check mode changed nothing: every policy still has its first version, naming the test's bucket.
    world.enforcement(False)
    try:
        iam = world.client("iam")
        for policy in iam.list_policies(Scope="Local", PathPrefix="/coder-ai-platform/")["Policies"]:
            assert policy["DefaultVersionId"] == "v1", policy
        arn = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]
               if p["PolicyName"] == PREFIX + "bootstrap-state-backend"][0]
        document = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
        assert "arn:aws:s3:::iam-lp-state" in json.dumps(document) and "another-bucket" not in json.dumps(document)
    finally:
        world.enforcement(True)


def test_gate_runs_read_only_with_the_verdicts_of_an_admin(world, tmp_path):
    since = world.log_offset()
    run, report = run_gate(world.sandbox, tmp_path, *world.credentials("gate-readonly"))
    assert world.admin_run.returncode == 0, world.admin_run.output[-3000:]
    assert run.returncode == 0, run.output[-3000:]
    assert denials(world.audit(since), "gate-readonly") == []
    assert [c for c in report["checks"] if c["status"] == "error" and DENIED_TEXT.search(c["summary"])] == []
    assert statuses(report) == statuses(world.admin_report)
    families = ("state_backend.", "images.", "rds.", "secrets.", "security_groups.", "vpc.", "tls.")
    ours = dict((key, status) for key, status in statuses(report).items() if key[0].startswith(families))
    assert len(ours) == 4 + 2 * 3 + 6 * 3 + 1  # state_backend x4; images x2, 6 baseline checks per region; S3 once
    assert set(ours.values()) == {"pass"}, ours


def test_bootstrap_creates_a_new_backend_and_converges_drift_under_its_policy(world, tmp_path):
    since = world.log_offset()
    variables = json.dumps(BOOTSTRAP)
    first = world.sandbox.playbook("bootstrap_state_backend.yml", tmp_path, "-e", variables,
                                   *world.credentials("bootstrap"))
    again = world.sandbox.playbook("bootstrap_state_backend.yml", tmp_path, "-e", variables,
                                   *world.credentials("bootstrap"))
    assert first.returncode == 0, first.output[-3000:]
    assert again.returncode == 0, again.output[-3000:]
    assert recap_changed(first) == 1 and recap_changed(again) == 0
    # Drift every setting the module fixes (admin, enforcement off), then let the bootstrap user converge it.
    world.enforcement(False)
    try:
        s3, kms, ddb, iam = (world.client(s) for s in ("s3", "kms", "dynamodb", "iam"))
        for bucket, region in ((BOOTSTRAP["state_backend_bucket"], "us-east-2"), (REPLICA, "us-west-2")):
            s3_region = world.client("s3", region)
            s3_region.delete_bucket_policy(Bucket=bucket)
            s3_region.delete_bucket_lifecycle(Bucket=bucket)
            s3_region.delete_public_access_block(Bucket=bucket)
            s3_region.delete_bucket_encryption(Bucket=bucket)
            s3_region.delete_bucket_ownership_controls(Bucket=bucket)
            s3_region.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
        s3.delete_bucket_replication(Bucket=BOOTSTRAP["state_backend_bucket"])
        key_id = kms.describe_key(KeyId=BOOTSTRAP["state_backend_kms_alias"])["KeyMetadata"]["KeyId"]
        kms.disable_key_rotation(KeyId=key_id)
        kms.untag_resource(KeyId=key_id, TagKeys=["managed-by"])
        iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))
        iam.delete_role_policy(RoleName=ROLE, PolicyName=iam.list_role_policies(RoleName=ROLE)["PolicyNames"][0])
        iam.untag_role(RoleName=ROLE, TagKeys=["managed-by"])
        table = BOOTSTRAP["state_backend_lock_table"]
        ddb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": False})
        ddb.untag_resource(ResourceArn=ddb.describe_table(TableName=table)["Table"]["TableArn"], TagKeys=["managed-by"])
    finally:
        world.enforcement(True)
    drifted = world.log_offset()
    fixed = world.sandbox.playbook("bootstrap_state_backend.yml", tmp_path, "-e", variables,
                                   *world.credentials("bootstrap"))
    assert fixed.returncode == 0, fixed.output[-3000:]
    assert recap_changed(fixed) == 1
    fixes = set(r["action"] for r in world.audit(drifted) if r["decision"] == "allowed")
    assert fixes >= {"s3:PutBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutBucketPublicAccessBlock",
                     "s3:PutEncryptionConfiguration", "s3:PutBucketOwnershipControls", "s3:PutBucketTagging",
                     "s3:PutReplicationConfiguration", "kms:EnableKeyRotation", "kms:TagResource",
                     "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:TagRole",
                     "dynamodb:UpdateContinuousBackups", "dynamodb:TagResource"}, sorted(fixes)
    settled = world.sandbox.playbook("bootstrap_state_backend.yml", tmp_path, "-e", variables,
                                     *world.credentials("bootstrap"))
    assert recap_changed(settled) == 0, settled.output[-3000:]
    records = world.audit(since)
    assert denials(records, "bootstrap") == []
    world.bootstrap_records = records


def test_baseline_converges_and_remediates_under_its_policy(world, tmp_path):
    # The healthy world's flow logs are compliant and someone else's, so the baseline would create nothing: give
    # us-east-2 the gap to converge - no flow-log group, one VPC without a flow log, one with a REJECT-only flow log
    # to the group (replaced: flow logs are immutable).
    world.enforcement(False)
    try:
        ec2, logs = world.client("ec2"), world.client("logs")
        seeded = ec2.describe_flow_logs()["FlowLogs"]
        ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in seeded])
        logs.delete_log_group(logGroupName="/coder/vpc-flow-logs")
        ec2.create_flow_logs(ResourceIds=[seeded[0]["ResourceId"]], ResourceType="VPC", TrafficType="REJECT",
                             LogDestinationType="cloud-watch-logs", LogGroupName="/coder/vpc-flow-logs",
                             DeliverLogsPermissionArn=seeded[0]["DeliverLogsPermissionArn"])
    finally:
        world.enforcement(True)
    since = world.log_offset()
    first = world.sandbox.playbook("security_baseline.yml", tmp_path, "-e", "report_dir=%s" % (tmp_path / "r1"),
                                   *world.credentials("baseline"))
    assert "PLAY RECAP" in first.output, first.output[-3000:]
    # Drift what the role converges, and open SSH to the internet; then run again with remediation on.
    world.enforcement(False)
    try:
        logs, kms, iam, ec2 = (world.client(s) for s in ("logs", "kms", "iam", "ec2"))
        logs.delete_log_group(logGroupName="/coder/vpc-flow-logs")
        key_id = kms.describe_key(KeyId="alias/coder-vpc-flow-logs")["KeyMetadata"]["KeyId"]
        kms.update_key_description(KeyId=key_id, Description="drifted")
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                "AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}))
        kms.untag_resource(KeyId=key_id, TagKeys=["ManagedBy"])
        iam.update_role(RoleName="coder-vpc-flow-logs", Description="drifted")
        iam.untag_role(RoleName="coder-vpc-flow-logs", TagKeys=["ManagedBy"])
        iam.update_assume_role_policy(RoleName="coder-vpc-flow-logs", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName="coder-vpc-flow-logs", PolicyName="vpc-flow-logs-delivery",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}))
        flow_log = ec2.describe_flow_logs(Filters=[{"Name": "log-group-name", "Values": ["/coder/vpc-flow-logs"]}])
        ec2.delete_tags(Resources=[flow_log["FlowLogs"][0]["FlowLogId"]], Tags=[{"Key": "ManagedBy"}])
        group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["coder-web"]}])
        world.web_group = group["SecurityGroups"][0]["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=world.web_group, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    finally:
        world.enforcement(True)
    fixed = world.sandbox.playbook("security_baseline.yml", tmp_path, "-e", "report_dir=%s" % (tmp_path / "r2"),
                                   "-e", "security_baseline_sg_remediate=true", *world.credentials("baseline"))
    assert "PLAY RECAP" in fixed.output, fixed.output[-3000:]
    records = world.audit(since)
    assert denials(records, "baseline") == []
    for run, name in ((first, "r1"), (fixed, "r2")):
        report = json.loads((tmp_path / name / "security_baseline.json").read_text())
        assert [c for c in report["checks"] if DENIED_TEXT.search(c["summary"])] == []
    revoked = [r for r in records if r["action"] == "ec2:RevokeSecurityGroupIngress" and r["decision"] == "allowed"]
    assert revoked, "remediation did not revoke the SSH rule"
    world.baseline_records = records


def test_every_granted_action_was_used_or_is_listed_as_unexercisable(world):
    """The reverse of 'no AccessDenied': a policy that grows an action nothing calls fails here. It reads what the
    tests above made the three identities do, so it runs after them (file order; run the whole module)."""
    assert hasattr(world, "bootstrap_records") and hasattr(world, "baseline_records"), "run the whole module"
    records = world.audit()
    for user, document in USERS.items():
        granted = set(action for statement in world.documents[document]["Statement"]
                      for action in statement["Action"])
        used = set(r["action"] for r in records if r["decision"] == "allowed" and r["principal"].endswith(
            ":user/" + user))
        assert used <= granted, (user, used - granted)
        assert granted - used == set(UNEXERCISED[document]), (user, sorted(granted - used))


def test_the_read_only_identity_cannot_write_and_the_world_is_unchanged(world):
    backend = world.sandbox.endpoints["state_backend"]
    bucket, table, key = backend["bucket"], backend["lock_table"], backend["state_key"]
    s3, ddb, ec2 = (world.client(s, user="gate-readonly") for s in ("s3", "dynamodb", "ec2"))

    def observe():  # as the read-only identity itself reads it
        group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["coder-web"]}])
        return {"versioning": s3.get_bucket_versioning(Bucket=bucket)["Status"],
                "state versions": [v["VersionId"] for v in s3.list_object_versions(
                    Bucket=bucket, Prefix=key)["Versions"]],
                "table": ddb.describe_table(TableName=table)["Table"]["TableStatus"],
                "web ingress": group["SecurityGroups"][0]["IpPermissions"],
                "web group": group["SecurityGroups"][0]["GroupId"]}

    before = observe()
    since = world.log_offset()
    attempts = {
        "s3:PutBucketVersioning": lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}),
        "s3:PutObject": lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"{}"),
        "dynamodb:DeleteTable": lambda: ddb.delete_table(TableName=table),
        "ec2:RevokeSecurityGroupIngress": lambda: ec2.revoke_security_group_ingress(
            GroupId=before["web group"], IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]),
    }
    for action, attempt in attempts.items():
        with pytest.raises(ClientError) as raised:
            attempt()
        assert status_of(raised.value) == 403, (action, raised.value.response)
    assert set(r["action"] for r in world.audit(since) if r["decision"] == "denied") == set(attempts)
    assert observe() == before
    assert before["versioning"] == "Enabled" and before["state versions"] and before["table"] == "ACTIVE"


def test_an_identity_without_policy_is_denied_even_a_read(world):
    bucket = world.sandbox.endpoints["state_backend"]["bucket"]
    for call in (lambda: world.client("s3", user="no-policy").get_bucket_versioning(Bucket=bucket),
                 lambda: world.client("dynamodb", user="no-policy").list_tables(),
                 lambda: world.client("ec2", user="no-policy").describe_vpcs(),
                 lambda: world.client("kms", user="no-policy").list_aliases()):
        with pytest.raises(ClientError) as raised:
            call()
        assert status_of(raised.value) == 403, raised.value.response
    # ... and so is the sandbox's own key, which is no IAM user: enforcement is on for everyone.
    with pytest.raises(ClientError) as raised:
        world.client("s3").list_buckets()
    assert status_of(raised.value) == 403


def test_the_playbook_renders_what_the_unit_test_checks(world):
    """tests/unit/test_iam_policies.py checks the templates rendered with its own copy of the playbook's variable
    mapping; for the sandbox's names that copy must give exactly what playbooks/iam_policies.yml gave here."""
    spec = importlib.util.spec_from_file_location("unit_iam_policies", REPO / "tests" / "unit" / "test_iam_policies.py")
    unit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(unit)
    for name in USERS.values():
        assert world.documents[name] == unit.render(name, unit.sandbox_variables())[1], name


EIGHT_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
                 "ap-south-1")


def _eight_region_inventory(path):
    """One control plane and seven proxy regions, local connection, no sandbox: nothing here calls AWS."""
    hosts = dict((region, {"aws_region": region}) for region in EIGHT_REGIONS)
    path.write_text(json.dumps({"all": {
        "children": {"control_plane": {"hosts": {"us-east-2": hosts.pop("us-east-2")}},
                     "proxy_regions": {"hosts": hosts}},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return path


@pytest.mark.timeout(300)
def test_a_policy_over_the_managed_policy_quota_is_refused_before_any_write(tmp_path):
    """With eight regions the baseline policy outgrows IAM's 6,144 characters: iam_policies.yml stops before it writes
    a file or creates a policy, names the policy, its size and iam_policies_any_region; with that switch on, every
    policy fits and is written."""
    sandbox = Sandbox("none", tmp_path / "no-sandbox")  # only for its playbook runner: no sandbox is started
    inventory = _eight_region_inventory(tmp_path / "eight-regions.json")
    common = ("-e", "iam_policies_account_id=123456789012", "-e", "iam_policies_create=false")
    refused_dir, written_dir = tmp_path / "refused", tmp_path / "written"
    refused = sandbox.playbook("iam_policies.yml", tmp_path, *common, "-e", "iam_policies_output_dir=%s" % refused_dir,
                               inventory=inventory)
    assert refused.returncode != 0, refused.output[-3000:]
    sizes = re.findall(r"security-baseline renders to (\d+) characters, more than IAM's 6,144", refused.output)
    assert sizes and int(sizes[0]) > 6144, refused.output[-3000:]
    assert "it lists 8 regions" in refused.output and "-e iam_policies_any_region=true" in refused.output
    assert not refused_dir.exists()  # refused before the output directory, let alone a policy
    assert "Create or update each customer-managed policy" not in refused.output
    written = sandbox.playbook("iam_policies.yml", tmp_path, *common, "-e", "iam_policies_output_dir=%s" % written_dir,
                               "-e", "iam_policies_any_region=true", inventory=inventory)
    assert written.returncode == 0, written.output[-3000:]
    for name in USERS.values():
        document = (written_dir / ("%s.json" % name)).read_text()
        assert len("".join(document.split())) <= 6144, name
        assert '"arn:aws:logs:*:123456789012:' in document or name != "security-baseline", document
