"""The collection's least-privilege IAM policies (roles/platform/files/iam/*.json.j2), rendered here as
playbooks/iam_policies.yml renders them: grammar, read-only gate, no wildcard action, resource scoping where AWS
supports it, and ARNs that match the resources the modules touch under the role defaults and the sandbox's names.

The sandbox enforces the actions of these policies (tests/integration/test_iam_least_privilege.py) but, outside S3
and IAM roles, not their resources (moto does not know which key, table or log group a request touches); the
resource half is checked here against the ARNs the modules build.
"""

import json
import re
from pathlib import Path

import jinja2
import pytest
import yaml

import moto_patches

REPO = Path(__file__).resolve().parents[2]
IAM = REPO / "roles" / "platform" / "files" / "iam"
DOCUMENTS = ("gate-readonly", "bootstrap-state-backend", "security-baseline")
ACCOUNT = "123456789012"
UUID = "1234abcd-12ab-34cd-56ef-1234567890ab"
MANAGED_POLICY_MAX_CHARS = 6144  # IAM quota for a customer managed policy, whitespace not counted

# Actions AWS documents without resource types (Service Authorization Reference): "*" is the only Resource possible.
UNSCOPED = {
    "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeFlowLogs",
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeSSLPolicies", "kms:CreateKey", "kms:ListAliases", "s3:ListAllMyBuckets",
    "secretsmanager:ListSecrets", "iam:ListAccountAliases", "sts:GetCallerIdentity",
}
# Actions with resource-level permissions, and the ARN shapes (after arn:aws:) each may be granted on.
REGION = r"(?:[a-z0-9-]+|\*)"  # "*" only with iam_policies_any_region
_S3_BUCKET = r"s3:::[a-z0-9*?][a-z0-9.*?-]*"
_KMS_KEY = r"kms:%s:%s:key/\*" % (REGION, ACCOUNT)
_ROLE = r"iam::%s:role/[A-Za-z0-9+=,.@_-]+" % ACCOUNT
_TABLE = r"dynamodb:%s:%s:table/[A-Za-z0-9_.-]+" % (REGION, ACCOUNT)
_LOG_GROUP = r"logs:%s:%s:log-group:[^\s]+" % (REGION, ACCOUNT)
SCOPED = dict(
    [("s3:" + verb, _S3_BUCKET) for verb in (
        "CreateBucket", "ListBucket", "ListBucketVersions", "GetBucketLocation", "GetBucketVersioning",
        "PutBucketVersioning", "GetEncryptionConfiguration", "PutEncryptionConfiguration", "GetBucketPublicAccessBlock",
        "PutBucketPublicAccessBlock", "GetBucketOwnershipControls", "PutBucketOwnershipControls", "GetBucketPolicy",
        "PutBucketPolicy", "GetLifecycleConfiguration", "PutLifecycleConfiguration", "GetReplicationConfiguration",
        "PutReplicationConfiguration", "GetBucketTagging", "PutBucketTagging")]
    + [("s3:GetObject", r"s3:::[a-z0-9][a-z0-9.-]*/.+")]
    + [("kms:" + verb, _KMS_KEY) for verb in (
        "DescribeKey", "GetKeyRotationStatus", "EnableKeyRotation", "ListResourceTags", "TagResource", "GetKeyPolicy",
        "ListKeyPolicies", "PutKeyPolicy", "ListGrants", "UpdateKeyDescription", "CreateGrant", "Decrypt", "Encrypt",
        "GenerateDataKey")]
    + [("kms:CreateAlias", r"(%s|kms:%s:%s:alias/[A-Za-z0-9/_-]+)" % (_KMS_KEY, REGION, ACCOUNT))]
    + [("iam:" + verb, _ROLE) for verb in (
        "GetRole", "GetRolePolicy", "ListRoleTags", "CreateRole", "UpdateRole", "UpdateAssumeRolePolicy", "PutRolePolicy",
        "TagRole", "ListAttachedRolePolicies", "ListRolePolicies", "PassRole")]
    + [("dynamodb:" + verb, _TABLE) for verb in (
        "CreateTable", "DescribeTable", "UpdateTable", "DescribeContinuousBackups", "UpdateContinuousBackups",
        "ListTagsOfResource", "TagResource")]
    + [("logs:" + verb, _LOG_GROUP) for verb in (
        "CreateLogGroup", "PutRetentionPolicy", "ListTagsLogGroup", "TagLogGroup", "DescribeLogGroups")]
    + [("ecr:DescribeImages", r"ecr:%s:%s:repository/[a-z0-9._/-]+" % (REGION, ACCOUNT)),
       ("ec2:CreateFlowLogs", r"ec2:%s:%s:(vpc|vpc-flow-log)/\*" % (REGION, ACCOUNT)),
       ("ec2:DeleteFlowLogs", r"ec2:%s:%s:vpc-flow-log/\*" % (REGION, ACCOUNT)),
       ("ec2:CreateTags", r"ec2:%s:%s:vpc-flow-log/\*" % (REGION, ACCOUNT)),
       ("ec2:RevokeSecurityGroupIngress", r"ec2:%s:%s:security-group/\*" % (REGION, ACCOUNT)),
       ("rds:DescribeDBClusters", r"rds:%s:%s:cluster:\*" % (REGION, ACCOUNT)),
       ("rds:DescribeDBInstances", r"rds:%s:%s:db:\*" % (REGION, ACCOUNT)),
       ("rds:DescribeDBClusterParameters", r"rds:%s:%s:cluster-pg:\*" % (REGION, ACCOUNT)),
       ("rds:DescribeDBParameters", r"rds:%s:%s:pg:\*" % (REGION, ACCOUNT))]
)
READ_VERBS = ("Describe", "Get", "List", "Head")
EIGHT_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
                 "ap-south-1")


def defaults(role):
    return yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text())


def variables(regions=("eu-west-2", "us-east-2", "us-west-2"), primary="us-east-2", any_region=False, **overrides):
    """The template variables as playbooks/iam_policies.yml derives them from the roles' variables."""
    sb, pf, sbl = defaults("state_backend"), defaults("preflight"), defaults("security_baseline")
    role = dict((k, v) for k, v in list(sb.items()) + list(sbl.items()) + list(pf.items())
                if "{{" not in str(v))  # the templated defaults are derived below, as the playbook does
    role.update(overrides)
    bucket, dr = role["state_backend_bucket"], role["state_backend_dr_region"]
    replica = role.get("state_backend_replica_bucket") or "%s-%s" % (bucket, dr)
    gate = role["preflight_state_backend"]
    return {
        "iam_partition": "aws", "iam_account_id": ACCOUNT, "iam_primary_region": primary, "iam_dr_region": dr,
        "iam_regions": sorted(set(list(regions) + [primary, dr])), "iam_any_region": any_region,
        "iam_state_bucket": bucket, "iam_state_replica_bucket": replica,
        "iam_state_replication": bool(role["state_backend_replication"]),
        "iam_state_replication_role": role.get("state_backend_replication_role_name") or bucket + "-replication",
        "iam_state_kms_alias": role["state_backend_kms_alias"],
        "iam_state_lock_table": role["state_backend_lock_table"]
        if role["state_backend_locking"] in ("dynamodb", "both") else "",
        "iam_gate_state_bucket": gate.get("bucket", ""),
        "iam_gate_replica_bucket": replica if gate.get("bucket") == bucket else "%s-%s" % (gate.get("bucket"), dr),
        "iam_gate_state_key": gate.get("state_key", ""), "iam_gate_lock_table": gate.get("lock_table", ""),
        "iam_ecr_repository": role["preflight_ecr_repository"],
        "iam_gate_s3_buckets": (role.get("preflight_baseline_settings") or {}).get("s3_buckets", []),
        "iam_flow_logs_log_group": role["security_baseline_flow_logs_log_group"],
        "iam_flow_logs_kms_alias": "alias/" + re.sub("^alias/", "", role["security_baseline_flow_logs_kms_alias"]),
        "iam_flow_logs_role_name": role["security_baseline_flow_logs_role_name"],
        "iam_baseline_s3_buckets": (role.get("security_baseline_settings") or {}).get("s3_buckets", []),
    }


def sandbox_variables():
    """The names the healthy sandbox seeds (the scenario's state backend) and the sandbox inventory uses."""
    scenario = yaml.safe_load((REPO / "tests" / "sandbox" / "scenarios" / "healthy.yml").read_text())
    backend = scenario["state_backend"]
    return variables(preflight_state_backend={"bucket": backend["bucket"], "state_key": backend["state_key"],
                                              "lock_table": backend["lock_table"], "locking": "dynamodb"},
                     preflight_ecr_repository=scenario["images"]["ecr_repository"],
                     state_backend_bucket="iam-lp-state", state_backend_kms_alias="alias/iam-lp-state",
                     state_backend_lock_table="iam-lp-state-locks")


def render(name, values):
    # Ansible's template module renders with trim_blocks; StrictUndefined catches a variable the playbook lacks.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
    text = env.from_string((IAM / ("%s.json.j2" % name)).read_text()).render(**values)
    return text, json.loads(text)


VARIANTS = {
    "role defaults": variables(),
    "sandbox": sandbox_variables(),
    "no replication, lockfile only, gate without backend": variables(
        state_backend_replication=False, state_backend_locking="lockfile", preflight_state_backend={}),
    "gate without state key or table, S3 scope": variables(
        preflight_state_backend={"bucket": "other-state"}, preflight_baseline_settings={"s3_buckets": ["coder-*"]},
        security_baseline_settings={"s3_buckets": ["coder-*", "ai-coder-?"]}),
    "one region": variables(regions=("us-east-2",)),
    "eight regions, any region": variables(regions=EIGHT_REGIONS, any_region=True),
}


def _documents():
    for variant, values in VARIANTS.items():
        for name in DOCUMENTS:
            yield pytest.param(name, values, id="%s/%s" % (name, variant))


def statements(document):
    return document["Statement"]


def actions(document):
    return [a for s in statements(document) for a in s["Action"]]


def _matches(pattern, value):
    """IAM's Resource matching: * is any run of characters, ? one character, everything else literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def allows(document, action, arn):
    return [s for s in statements(document) if action in s["Action"]
            and any(_matches(r, arn) for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]))]


# --- grammar and hygiene ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,values", list(_documents()))
def test_documents_render_to_valid_iam_grammar(name, values):
    text, document = render(name, values)
    assert set(document) == {"Version", "Statement"}
    assert document["Version"] == "2012-10-17"
    assert isinstance(document["Statement"], list) and document["Statement"]
    sids = [s["Sid"] for s in statements(document)]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids)
    for statement in statements(document):
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, statement
        assert statement["Effect"] == "Allow"
        assert isinstance(statement["Action"], list) and statement["Action"]
        assert len(statement["Action"]) == len(set(statement["Action"])), statement["Sid"]
        for action in statement["Action"]:
            assert re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z0-9]+", action), "not service:Verb, or a wildcard: " + action
        resources = statement["Resource"]
        assert resources == "*" or (isinstance(resources, list) and resources), statement["Sid"]
        for resource in [] if resources == "*" else resources:
            assert resource.startswith("arn:aws:") and not resource.endswith(("::", ":")), resource
    assert len("".join(text.split())) <= MANAGED_POLICY_MAX_CHARS


@pytest.mark.parametrize("name,values", list(_documents()))
def test_every_action_is_classified_and_scoped_where_aws_allows_it(name, values):
    """An action AWS documents with resource types is never granted on "*", and only on its resource types;
    an action without resource types only on "*". A new action must be classified here first."""
    dummy_text, document = render(name, values)
    for statement in statements(document):
        resources = statement["Resource"]
        for action in statement["Action"]:
            assert (action in UNSCOPED) != (action in SCOPED), "classify %s (UNSCOPED or SCOPED)" % action
            if action in UNSCOPED:
                assert resources == "*", (statement["Sid"], action)
            else:
                assert resources != "*", (statement["Sid"], action)
                assert any(re.fullmatch(SCOPED[action], r[len("arn:aws:"):]) for r in resources), (action, resources)
        if resources != "*":
            for resource in resources:  # every resource is one that some action of the statement applies to
                assert any(re.fullmatch(SCOPED[a], resource[len("arn:aws:"):]) for a in statement["Action"]), resource
                fields = resource.split(":")
                if fields[2] != "s3":
                    assert fields[4] == ACCOUNT, resource  # never another account, never "*"
                    assert fields[3] in values["iam_regions"] or fields[2] == "iam" or (
                        values["iam_any_region"] and fields[3] == "*"), resource


def test_many_regions_need_the_any_region_switch_to_fit_a_managed_policy():
    """Eight regions outgrow the quota. That playbooks/iam_policies.yml then refuses, naming iam_policies_any_region,
    is run and seen in tests/integration/test_iam_least_privilege.py (..._over_the_managed_policy_quota_...)."""
    sizes = dict((name, len("".join(render(name, variables(regions=EIGHT_REGIONS))[0].split())))
                 for name in DOCUMENTS)
    assert sizes["security-baseline"] > MANAGED_POLICY_MAX_CHARS, sizes
    fitting = dict((name, len("".join(render(name, variables(regions=EIGHT_REGIONS, any_region=True))[0].split())))
                   for name in DOCUMENTS)
    assert max(fitting.values()) <= MANAGED_POLICY_MAX_CHARS, fitting


@pytest.mark.parametrize("values", [pytest.param(v, id=k) for k, v in VARIANTS.items()])
def test_gate_policy_has_only_read_actions(values):
    dummy_text, document = render("gate-readonly", values)
    for action in actions(document):
        verb = action.split(":", 1)[1]
        assert verb.startswith(READ_VERBS) or action == "sts:GetCallerIdentity", action
        # read verbs that still change something or hand out data-plane credentials are not reads
        assert not verb.startswith(("GetAuthorizationToken", "GetSecretValue", "GetSessionToken")), action
    state_object = "arn:aws:s3:::%s/%s" % (values["iam_gate_state_bucket"], values["iam_gate_state_key"])
    object_reads = [r for s in statements(document) if "s3:GetObject" in s["Action"] for r in s["Resource"]]
    assert object_reads in ([], [state_object]), "HeadObject needs s3:GetObject: the state object only, nothing else"


@pytest.mark.parametrize("values", [pytest.param(v, id=k) for k, v in VARIANTS.items()])
def test_role_passing_is_limited_to_the_service_that_uses_the_role(values):
    for name, service in (("bootstrap-state-backend", "s3.amazonaws.com"),
                          ("security-baseline", "vpc-flow-logs.amazonaws.com")):
        dummy_text, document = render(name, values)
        passing = [s for s in statements(document) if "iam:PassRole" in s["Action"]]
        for statement in passing:
            assert statement["Action"] == ["iam:PassRole"]
            assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": service}}
    dummy_text, gate = render("gate-readonly", values)
    assert "iam:PassRole" not in actions(gate)


@pytest.mark.parametrize("values", [pytest.param(v, id=k) for k, v in VARIANTS.items()])
def test_the_baseline_rewrites_only_keys_behind_its_alias(values):
    """Key IDs are unknown before CreateKey, so key actions go on key/*; the two that change an existing key's
    policy or description are further limited to keys the flow-log alias points to (kms:ResourceAliases). Not
    EnableKeyRotation and TagResource: they run right after CreateKey, when the new alias may not be visible to
    authorization yet, and CreateKey with tags needs TagResource unconditioned."""
    dummy_text, document = render("security-baseline", values)
    for action in ("kms:PutKeyPolicy", "kms:UpdateKeyDescription"):
        granting = [s for s in statements(document) if action in s["Action"]]
        assert granting and all(s.get("Condition") == {"ForAnyValue:StringEquals": {
            "kms:ResourceAliases": values["iam_flow_logs_kms_alias"]}} for s in granting), action


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_destructive_action_anywhere(name):
    dummy_text, document = render(name, VARIANTS["role defaults"])
    for action in actions(document):
        verb = action.split(":", 1)[1]
        assert not verb.startswith(("Delete", "ScheduleKeyDeletion", "Disable", "Untag", "Detach", "Remove")) or \
            action == "ec2:DeleteFlowLogs", action  # the one deletion: vpc_flow_logs replaces a flow log it owns


# --- the ARNs the modules touch ------------------------------------------------------------------------------------
def arn(service, region, resource):
    return "arn:aws:%s:%s:%s:%s" % (service, region, ACCOUNT, resource)


BUCKET_READS = ("s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration",
                "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls", "s3:GetBucketPolicy",
                "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetBucketTagging")
BUCKET_WRITES = ("s3:CreateBucket", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
                 "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy",
                 "s3:PutLifecycleConfiguration", "s3:PutBucketTagging")


@pytest.mark.parametrize("variant", ["role defaults", "sandbox"])
def test_gate_policy_covers_exactly_what_the_gate_reads(variant):
    values = VARIANTS[variant]
    dummy_text, document = render("gate-readonly", values)
    bucket, replica = values["iam_gate_state_bucket"], values["iam_gate_replica_bucket"]
    primary, dr = values["iam_primary_region"], values["iam_dr_region"]
    wanted = [(a, "arn:aws:s3:::" + b) for b in (bucket, replica) for a in BUCKET_READS + ("s3:ListBucketVersions",)]
    wanted += [("s3:GetObject", "arn:aws:s3:::%s/%s" % (bucket, values["iam_gate_state_key"]))]
    wanted += [(a, arn("dynamodb", primary, "table/" + values["iam_gate_lock_table"]))
               for a in ("dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource")]
    for region in values["iam_regions"]:
        wanted += [("ecr:DescribeImages", arn("ecr", region, "repository/" + values["iam_ecr_repository"])),
                   ("kms:DescribeKey", arn("kms", region, "key/" + UUID)),
                   ("rds:DescribeDBClusters", arn("rds", region, "cluster:coder-db")),
                   ("rds:DescribeDBInstances", arn("rds", region, "db:coder-db-1")),
                   ("rds:DescribeDBClusterParameters", arn("rds", region, "cluster-pg:coder-db-params")),
                   ("rds:DescribeDBParameters", arn("rds", region, "pg:default.postgres15")),
                   ("logs:DescribeLogGroups", arn("logs", region, "log-group:/coder/vpc-flow-logs"))]
    wanted += [("kms:GetKeyRotationStatus", arn("kms", dr, "key/" + UUID)), ("kms:ListResourceTags",
                                                                             arn("kms", primary, "key/" + UUID)),
               ("s3:GetBucketPolicy", "arn:aws:s3:::any-bucket-in-scope")]
    for action, resource in wanted:
        assert allows(document, action, resource), (action, resource)
    # ... and not what it does not read.
    refused = [("s3:GetObject", "arn:aws:s3:::%s/other/terraform.tfstate" % bucket),
               ("s3:GetObject", "arn:aws:s3:::%s/%s" % (replica, values["iam_gate_state_key"])),
               ("s3:ListBucket", "arn:aws:s3:::some-other-bucket"),
               ("dynamodb:DescribeTable", arn("dynamodb", primary, "table/other")),
               ("ecr:DescribeImages", arn("ecr", primary, "repository/other")),
               ("kms:DescribeKey", "arn:aws:kms:%s:210987654321:key/%s" % (primary, UUID))]
    for action, resource in refused:
        assert not allows(document, action, resource), (action, resource)


@pytest.mark.parametrize("variant", ["role defaults", "sandbox"])
def test_bootstrap_policy_covers_the_backend_and_nothing_beside_it(variant):
    values = VARIANTS[variant]
    dummy_text, document = render("bootstrap-state-backend", values)
    bucket, replica, table = values["iam_state_bucket"], values["iam_state_replica_bucket"], values[
        "iam_state_lock_table"]
    primary, dr, role = values["iam_primary_region"], values["iam_dr_region"], values["iam_state_replication_role"]
    role_arn = "arn:aws:iam::%s:role/%s" % (ACCOUNT, role)
    wanted = [(a, "arn:aws:s3:::" + b) for b in (bucket, replica) for a in BUCKET_READS + BUCKET_WRITES]
    wanted += [("s3:PutReplicationConfiguration", "arn:aws:s3:::" + bucket), ("kms:CreateKey", "*")]
    for region in (primary, dr):
        wanted += [("kms:CreateAlias", arn("kms", region, values["iam_state_kms_alias"])),
                   ("kms:CreateAlias", arn("kms", region, "key/" + UUID))]
        wanted += [(a, arn("kms", region, "key/" + UUID)) for a in (
            "kms:DescribeKey", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
            "kms:TagResource")]
    wanted += [(a, role_arn) for a in ("iam:GetRole", "iam:GetRolePolicy", "iam:ListRoleTags", "iam:CreateRole",
                                       "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:TagRole",
                                       "iam:PassRole")]
    wanted += [(a, arn("dynamodb", primary, "table/" + table)) for a in (
        "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DescribeContinuousBackups",
        "dynamodb:UpdateContinuousBackups", "dynamodb:ListTagsOfResource", "dynamodb:TagResource")]
    wanted += [(a, arn("kms", primary, "key/" + UUID)) for a in ("kms:CreateGrant", "kms:GenerateDataKey")]
    for action, resource in wanted:
        assert allows(document, action, resource), (action, resource)
    refused = [("s3:PutReplicationConfiguration", "arn:aws:s3:::" + replica),
               ("s3:PutBucketPolicy", "arn:aws:s3:::some-other-bucket"),
               ("s3:PutObject", "arn:aws:s3:::%s/state" % bucket),
               ("kms:CreateAlias", arn("kms", primary, "alias/other")),
               ("iam:PutRolePolicy", "arn:aws:iam::%s:role/admin" % ACCOUNT),
               ("iam:PassRole", "arn:aws:iam::%s:role/admin" % ACCOUNT),
               ("dynamodb:UpdateTable", arn("dynamodb", primary, "table/other")),
               ("dynamodb:CreateTable", arn("dynamodb", dr, "table/" + table)),
               ("kms:EnableKeyRotation", arn("kms", "eu-west-2", "key/" + UUID))]
    for action, resource in refused:
        assert not allows(document, action, resource), (action, resource)
    grants = [s for s in statements(document) if "kms:CreateGrant" in s["Action"]]
    assert grants and all(s["Condition"] == {"StringEquals": {"kms:ViaService": "dynamodb.%s.amazonaws.com" % primary}}
                          for s in grants)


@pytest.mark.parametrize("variant", ["role defaults", "sandbox"])
def test_baseline_policy_covers_the_flow_log_resources_of_the_role_defaults(variant):
    values = VARIANTS[variant]
    dummy_text, document = render("security-baseline", values)
    role_arn = "arn:aws:iam::%s:role/%s" % (ACCOUNT, values["iam_flow_logs_role_name"])
    group = values["iam_flow_logs_log_group"]
    wanted = [(a, role_arn) for a in ("iam:GetRole", "iam:CreateRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
                                      "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy",
                                      "iam:PutRolePolicy", "iam:TagRole", "iam:PassRole")]
    for region in values["iam_regions"]:
        wanted += [("kms:CreateAlias", arn("kms", region, values["iam_flow_logs_kms_alias"])),
                   ("kms:CreateAlias", arn("kms", region, "key/" + UUID)),
                   ("kms:PutKeyPolicy", arn("kms", region, "key/" + UUID)),
                   ("logs:CreateLogGroup", arn("logs", region, "log-group:" + group)),
                   ("logs:PutRetentionPolicy", arn("logs", region, "log-group:" + group)),
                   ("logs:TagLogGroup", arn("logs", region, "log-group:%s:*" % group)),
                   ("ec2:CreateFlowLogs", arn("ec2", region, "vpc/vpc-0123456789abcdef0")),
                   ("ec2:CreateFlowLogs", arn("ec2", region, "vpc-flow-log/fl-0123456789abcdef0")),
                   ("ec2:DeleteFlowLogs", arn("ec2", region, "vpc-flow-log/fl-0123456789abcdef0")),
                   ("ec2:CreateTags", arn("ec2", region, "vpc-flow-log/fl-0123456789abcdef0")),
                   ("ec2:RevokeSecurityGroupIngress", arn("ec2", region, "security-group/sg-0123456789abcdef0"))]
    for action, resource in wanted:
        assert allows(document, action, resource), (action, resource)
    refused = [("iam:PutRolePolicy", "arn:aws:iam::%s:role/admin" % ACCOUNT),
               ("iam:PassRole", "arn:aws:iam::%s:role/admin" % ACCOUNT),
               ("kms:CreateAlias", arn("kms", "us-east-2", "alias/other")),
               ("logs:CreateLogGroup", arn("logs", "us-east-2", "log-group:/other")),
               ("logs:PutRetentionPolicy", arn("logs", "us-east-2", "log-group:/coder/vpc-flow-logs-other")),
               ("ec2:CreateTags", arn("ec2", "us-east-2", "vpc/vpc-0123456789abcdef0")),
               ("ec2:DeleteFlowLogs", arn("ec2", "us-east-2", "vpc/vpc-0123456789abcdef0")),
               ("ec2:RevokeSecurityGroupIngress", arn("ec2", "ap-south-1", "security-group/sg-0123456789abcdef0"))]
    for action, resource in refused:
        assert not allows(document, action, resource), (action, resource)


def test_the_playbook_reads_role_defaults_that_exist():
    """playbooks/iam_policies.yml takes each name from the role variable, else from the role's own default: every
    default it reads must exist, and every template variable must be set by the playbook."""
    playbook = (REPO / "playbooks" / "iam_policies.yml").read_text()
    for alias, role in (("__sb", "state_backend"), ("__sbl", "security_baseline"),
                        ("__iam_policies_defaults_preflight", "preflight")):
        keys = set(re.findall(r"\b%s\.(\w+)" % re.escape(alias), playbook))
        assert keys and keys <= set(defaults(role)), (role, keys - set(defaults(role)))
    used = set()
    for name in DOCUMENTS:
        used |= set(re.findall(r"\biam_\w+(?![\w.])", (IAM / ("%s.json.j2" % name)).read_text()))
    set_by_playbook = set(re.findall(r"^        (iam_\w+):", playbook, re.MULTILINE))
    assert used == set_by_playbook == set(VARIANTS["role defaults"]), (used ^ set_by_playbook)


# --- the sandbox's enforcement patches (tests/sandbox/moto_patches.py) ----------------------------------------------
def test_a_scoped_statement_allows_its_actions_when_moto_does_not_know_the_resource():
    from moto.iam.access_control import IAMPolicy, PermissionResult

    moto_patches._iam_statement_resource_applies_to_unknown_resources()
    dummy_text, document = render("gate-readonly", VARIANTS["sandbox"])
    policy = IAMPolicy(json.dumps(document))
    assert policy.is_action_permitted("kms:DescribeKey", "*") == PermissionResult.PERMITTED
    assert policy.is_action_permitted("dynamodb:DescribeTable", "*") == PermissionResult.PERMITTED
    assert policy.is_action_permitted("dynamodb:DeleteTable", "*") == PermissionResult.NEUTRAL  # actions still count
    bucket = VARIANTS["sandbox"]["iam_gate_state_bucket"]
    assert policy.is_action_permitted("s3:GetBucketVersioning", "arn:aws:s3:::" + bucket) == PermissionResult.PERMITTED
    assert policy.is_action_permitted("s3:GetBucketVersioning", "arn:aws:s3:::other") == PermissionResult.NEUTRAL


@pytest.mark.parametrize("method,query,action", [
    ("HEAD", {}, "ListBucket"), ("GET", {}, "ListBucket"), ("GET", {"list-type": ["2"]}, "ListBucket"),
    ("PUT", {}, "CreateBucket"), ("GET", {"location": [""]}, "GetBucketLocation"),
    ("GET", {"versioning": [""]}, "GetBucketVersioning"), ("PUT", {"versioning": [""]}, "PutBucketVersioning"),
    ("GET", {"encryption": [""]}, "GetEncryptionConfiguration"),
    ("PUT", {"encryption": [""]}, "PutEncryptionConfiguration"),
    ("GET", {"publicAccessBlock": [""]}, "GetBucketPublicAccessBlock"),
    ("PUT", {"publicAccessBlock": [""]}, "PutBucketPublicAccessBlock"),
    ("GET", {"ownershipControls": [""]}, "GetBucketOwnershipControls"),
    ("PUT", {"ownershipControls": [""]}, "PutBucketOwnershipControls"),
    ("GET", {"policy": [""]}, "GetBucketPolicy"), ("PUT", {"policy": [""]}, "PutBucketPolicy"),
    ("GET", {"lifecycle": [""]}, "GetLifecycleConfiguration"), ("PUT", {"lifecycle": [""]}, "PutLifecycleConfiguration"),
    ("GET", {"replication": [""]}, "GetReplicationConfiguration"),
    ("PUT", {"replication": [""]}, "PutReplicationConfiguration"),
    ("GET", {"tagging": [""]}, "GetBucketTagging"), ("PUT", {"tagging": [""]}, "PutBucketTagging"),
    ("GET", {"versions": [""], "prefix": ["a"]}, "ListBucketVersions"), ("DELETE", {}, "DeleteBucket"),
])
def test_s3_bucket_requests_are_authorized_as_their_documented_iam_action(method, query, action):
    assert moto_patches.s3_bucket_iam_action(method, query) == action


def test_audit_records_parse_back():
    text = ("noise\nsandbox-iam denied principal=arn:aws:iam::1:user/a action=s3:PutObject resource=arn:aws:s3:::b/k\n"
            "sandbox-iam allowed principal=arn:aws:iam::1:user/a action=kms:DescribeKey resource=*\n")
    assert moto_patches.iam_audit_records(text) == [
        {"decision": "denied", "principal": "arn:aws:iam::1:user/a", "action": "s3:PutObject",
         "resource": "arn:aws:s3:::b/k"},
        {"decision": "allowed", "principal": "arn:aws:iam::1:user/a", "action": "kms:DescribeKey", "resource": "*"}]
