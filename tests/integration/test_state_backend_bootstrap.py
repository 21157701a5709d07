"""The state backend bootstrap against the sandbox: idempotence, check mode, diff, refusals, and the checks' verdicts
on seeded backends - through ansible-playbook, with boto3 on the same moto proving what changed and what did not."""

import json

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from conftest import REPO
from seed_state_backend import seed

from ansible_collections.coder.ai_platform.plugins.module_utils.checks.state_backend import judge_state_backend

pytestmark = pytest.mark.sandbox

REGIONS = ("us-east-2", "us-west-2")
FOREIGN_ACCOUNT = "111111111111"


@pytest.fixture(scope="module")
def sandbox(sandbox_factory):
    return sandbox_factory("healthy")


def aws(sandbox, service, region="us-east-2", credentials=None):
    aws_ = sandbox.endpoints["aws"]
    credentials = credentials or {"AccessKeyId": aws_["access_key"], "SecretAccessKey": aws_["secret_key"]}
    return boto3.client(service, region_name=region, endpoint_url=aws_["endpoint_url"],
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials.get("SessionToken"))


def backend_vars(name, **overrides):
    """Role variables for a backend of its own (unique bucket, alias, table, role) so tests do not interfere."""
    variables = {"state_backend_bucket": name, "state_backend_kms_alias": "alias/%s" % name,
                 "state_backend_lock_table": "%s-locks" % name}
    variables.update(overrides)
    return variables


def bootstrap(sandbox, tmp_path, variables, *args):
    run = sandbox.playbook("bootstrap_state_backend.yml", tmp_path, "-e", json.dumps(variables), *args)
    assert "PLAY RECAP" in run.output, run.output[-3000:]
    return run


def changed_count(run):
    recap = run.output.split("PLAY RECAP", 1)[1]
    return int(recap.split("changed=", 1)[1].split()[0])


def _read(call):
    try:
        response = call()
    except ClientError as err:
        return "error %s" % err.response["Error"]["Code"]
    response.pop("ResponseMetadata", None)
    return response


def snapshot(sandbox, credentials=None):
    """Everything the bootstrap could create or change, as boto3 sees it."""
    state = {}
    for region in REGIONS:
        kms = aws(sandbox, "kms", region, credentials)
        aliases = kms.list_aliases()["Aliases"]
        state["kms aliases %s" % region] = sorted("%s=%s" % (a["AliasName"], a.get("TargetKeyId")) for a in aliases)
        keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
        state["kms keys %s" % region] = sorted("%s rotation=%s" % (k, _read(
            lambda key=k: kms.get_key_rotation_status(KeyId=key))) for k in keys)
        ddb = aws(sandbox, "dynamodb", region, credentials)
        for table in ddb.list_tables()["TableNames"]:
            state["table %s %s" % (region, table)] = (ddb.describe_table(TableName=table)["Table"],
                                                      ddb.describe_continuous_backups(TableName=table))
        s3 = aws(sandbox, "s3", region, credentials)
        for bucket in s3.list_buckets()["Buckets"]:
            name = bucket["Name"]
            state["bucket %s" % name] = dict((what, _read(lambda call=call: call(Bucket=name))) for what, call in (
                ("versioning", s3.get_bucket_versioning), ("encryption", s3.get_bucket_encryption),
                ("policy", s3.get_bucket_policy), ("lifecycle", s3.get_bucket_lifecycle_configuration),
                ("replication", s3.get_bucket_replication), ("public access", s3.get_public_access_block),
                ("ownership", s3.get_bucket_ownership_controls), ("tags", s3.get_bucket_tagging)))
    iam = aws(sandbox, "iam", credentials=credentials)
    for role in iam.list_roles()["Roles"]:
        state["role %s" % role["RoleName"]] = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    for value in state.values():
        if isinstance(value, tuple):
            for part in value:
                part.pop("ResponseMetadata", None)
    return json.loads(json.dumps(state, default=str))


GATHER = """
- name: Gather state backends
  hosts: control_plane
  gather_facts: false
  module_defaults:
    group/coder.ai_platform.aws:
      region: "{{ aws_region }}"
      endpoint_url: "{{ aws_endpoint_url }}"
      access_key: "{{ aws_access_key }}"
      secret_key: "{{ aws_secret_key }}"
  tasks:
    - name: Read each backend
      coder.ai_platform.terraform_state_backend_info: "{{ item }}"
      loop: "{{ backends }}"
      register: gathered
    - name: Save the facts
      ansible.builtin.copy:
        content: "{{ gathered.results | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def gather(sandbox, tmp_path, backends):
    """terraform_state_backend_info for each ``{bucket, state_key, lock_table, backend_hcl_path}``, through Ansible."""
    playbook = tmp_path / "gather.yml"
    playbook.write_text(GATHER)
    out = tmp_path / "facts.json"
    run = sandbox.playbook(str(playbook), tmp_path, "-e", json.dumps({"backends": backends, "out": str(out)}))
    assert run.returncode == 0, run.output[-3000:]
    return json.loads(out.read_text())


def statuses(facts, locking):
    results = judge_state_backend(facts, "us-east-2", {"locking": locking})
    return dict((r["id"].split(".", 1)[1], r["status"]) for r in results)


# --- the sandbox's own backend: the gate's, compliant on healthy, exactly the gaps on baseline_gaps -----------------
CAPTURE = """
- ansible.builtin.import_playbook: {playbook}
- name: Keep the module's result for the test
  hosts: control_plane
  gather_facts: false
  tasks:
    - name: Save state_backend_result
      ansible.builtin.copy:
        content: "{{{{ state_backend_result | to_json }}}}"
        dest: "{{{{ out }}}}"
        mode: "0600"
      check_mode: false
      changed_when: false
"""


def bootstrap_the_sandbox_backend(sandbox, tmp_path, *args):
    """bootstrap_state_backend.yml with nothing but the sandbox inventory: (process, the module's result)."""
    playbook, out = tmp_path / "capture.yml", tmp_path / "result.json"
    playbook.write_text(CAPTURE.format(playbook=REPO / "playbooks" / "bootstrap_state_backend.yml"))
    run = sandbox.playbook(str(playbook), tmp_path, "-e", "out=%s" % out, *args)
    assert "PLAY RECAP" in run.output, run.output[-3000:]
    return run, json.loads(out.read_text()) if out.exists() else None


def test_the_sandbox_inventory_bootstraps_the_backend_the_gate_checks_and_check_mode_is_silent(sandbox, tmp_path):
    before = snapshot(sandbox)
    run, result = bootstrap_the_sandbox_backend(sandbox, tmp_path, "--check", "--diff")
    assert run.returncode == 0 and changed_count(run) == 0, run.output[-3000:]
    assert result["changes"] == [] and "--- before" not in run.output
    gate = sandbox.endpoints["state_backend"]
    assert result["backend"]["bucket"] == gate["bucket"] and result["backend"]["key"] == gate["state_key"]
    assert result["backend"]["dynamodb_table"] == gate["lock_table"]
    assert snapshot(sandbox) == before
    # Applied, it adopts the seeded backend as it is: no second backend, nothing changed.
    applied, result = bootstrap_the_sandbox_backend(sandbox, tmp_path)
    assert applied.returncode == 0 and changed_count(applied) == 0 and result["changes"] == []
    assert snapshot(sandbox) == before


def test_check_mode_on_baseline_gaps_reports_exactly_the_gaps(sandbox_factory, tmp_path):
    """baseline_gaps: the state bucket was made by hand, never versioned, so not replicated either."""
    gaps = sandbox_factory("baseline_gaps")
    bucket = gaps.endpoints["state_backend"]["bucket"]
    before = snapshot(gaps)
    run, result = bootstrap_the_sandbox_backend(gaps, tmp_path, "--check", "--diff")
    assert run.returncode == 0 and changed_count(run) == 1, run.output[-3000:]
    replica, role = "%s-us-west-2" % bucket, "%s-replication" % bucket
    assert sorted(result["changes"]) == sorted([
        "bucket %s: versioning None -> Enabled" % bucket,
        "bucket %s: update replication" % bucket,
        "kms key alias/ai-coder-terraform-state (us-west-2): create",
        "replica bucket %s: create" % replica,
        "replica bucket %s: versioning None -> Enabled" % replica,
        "replica bucket %s: update encryption" % replica,
        "replica bucket %s: update public_access_block" % replica,
        "replica bucket %s: update policy" % replica,
        "replica bucket %s: update lifecycle" % replica,
        "replication role %s: create" % role,
        "replication role %s: update inline_policy" % role])
    assert "versioning: null" in run.output and "versioning: Enabled" in run.output
    assert snapshot(gaps) == before


def resource_tags(sandbox, name):
    """{resource: tags} of one backend's key, bucket, table and replication role, as boto3 sees them."""
    kms, s3, ddb, iam = (aws(sandbox, service) for service in ("kms", "s3", "dynamodb", "iam"))
    key_id = kms.describe_key(KeyId="alias/%s" % name)["KeyMetadata"]["KeyId"]
    bucket = _read(lambda: s3.get_bucket_tagging(Bucket=name))
    table_arn = ddb.describe_table(TableName="%s-locks" % name)["Table"]["TableArn"]
    return {"key": dict((t["TagKey"], t["TagValue"]) for t in kms.list_resource_tags(KeyId=key_id)["Tags"]),
            "bucket": {} if isinstance(bucket, str) else dict((t["Key"], t["Value"]) for t in bucket["TagSet"]),
            "table": dict((t["Key"], t["Value"]) for t in ddb.list_tags_of_resource(ResourceArn=table_arn)["Tags"]),
            "role": dict((t["Key"], t["Value"]) for t in iam.list_role_tags(RoleName="%s-replication" % name)["Tags"])}


def test_tags_follow_amazon_aws_purge_tags_semantics(sandbox, tmp_path):
    name = "it-tags"
    first = bootstrap(sandbox, tmp_path, backend_vars(name, state_backend_tags={"team": "platform"}))
    assert first.returncode == 0, first.output[-3000:]
    assert set(map(str, resource_tags(sandbox, name).values())) == {str({"team": "platform"})}
    # Someone else tags every resource; a run that keeps others' tags changes nothing.
    kms, s3, ddb, iam = (aws(sandbox, service) for service in ("kms", "s3", "dynamodb", "iam"))
    key_id = kms.describe_key(KeyId="alias/%s" % name)["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "cost", "TagValue": "42"}])
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": "platform"},
                                                           {"Key": "cost", "Value": "42"}]})
    ddb.tag_resource(ResourceArn=ddb.describe_table(TableName="%s-locks" % name)["Table"]["TableArn"],
                     Tags=[{"Key": "cost", "Value": "42"}])
    iam.tag_role(RoleName="%s-replication" % name, Tags=[{"Key": "cost", "Value": "42"}])
    both = {"team": "platform", "cost": "42"}
    kept = bootstrap(sandbox, tmp_path, backend_vars(name, state_backend_tags={"team": "platform"}))
    assert kept.returncode == 0 and changed_count(kept) == 0, kept.output[-3000:]
    untouched = bootstrap(sandbox, tmp_path, backend_vars(name))  # no tags asked for: nothing to do either
    assert untouched.returncode == 0 and changed_count(untouched) == 0, untouched.output[-3000:]
    assert resource_tags(sandbox, name) == {"key": both, "bucket": both, "table": both, "role": both}
    # purge_tags removes what is not asked for, on every resource, and says so in check mode first.
    purge = backend_vars(name, state_backend_tags={"team": "platform"}, state_backend_purge_tags=True)
    checked = bootstrap(sandbox, tmp_path, purge, "--check", "--diff")
    assert changed_count(checked) == 1 and "cost: '42'" in checked.output
    assert resource_tags(sandbox, name) == {"key": both, "bucket": both, "table": both, "role": both}
    purged = bootstrap(sandbox, tmp_path, purge)
    assert purged.returncode == 0 and changed_count(purged) == 1, purged.output[-3000:]
    only = {"team": "platform"}
    assert resource_tags(sandbox, name) == {"key": only, "bucket": only, "table": only, "role": only}
    assert changed_count(bootstrap(sandbox, tmp_path, purge)) == 0


# --- the happy path: create, idempotence, verdicts ------------------------------------------------------------------
def test_bootstrap_creates_a_compliant_backend_and_a_second_run_changes_nothing(sandbox, tmp_path):
    variables = backend_vars("it-happy", state_backend_backend_hcl_path=str(tmp_path / "backend.hcl"))
    first = bootstrap(sandbox, tmp_path, variables)
    assert first.returncode == 0 and changed_count(first) == 1, first.output[-3000:]
    second = bootstrap(sandbox, tmp_path, variables)
    assert second.returncode == 0 and changed_count(second) == 0, second.output[-3000:]

    hcl = (tmp_path / "backend.hcl").read_text()
    assert 'bucket         = "it-happy"' in hcl and "use_lockfile   = true" in hcl
    assert 'dynamodb_table = "it-happy-locks"' in hcl
    facts = gather(sandbox, tmp_path, [{"bucket": "it-happy", "state_key": "ai-coder/terraform.tfstate",
                                        "lock_table": "it-happy-locks",
                                        "backend_hcl_path": str(tmp_path / "backend.hcl")}])[0]
    assert facts["errors"] == {}
    assert statuses(facts, "both") == {"encrypted": "pass", "versioned": "pass", "locking": "pass",
                                       "replicated": "pass"}
    assert facts["bucket"]["kms_key"]["arn"] in hcl
    assert facts["replicas"][0]["bucket"]["name"] == "it-happy-us-west-2"


def test_the_tls_only_policy_denies_plain_http_requests(sandbox, tmp_path):
    bootstrap(sandbox, tmp_path, backend_vars("it-tls", state_backend_replication=False))
    s3 = aws(sandbox, "s3")
    s3.put_object(Bucket="it-tls", Key="probe", Body=b"over TLS")  # the sandbox stands in for AWS's HTTPS endpoint
    plain = aws(sandbox, "s3")

    def insecure(request, **dummy):
        request.headers["X-Forwarded-Proto"] = "http"
    plain.meta.events.register("before-sign.s3.*", insecure)
    for call in (lambda: plain.get_object(Bucket="it-tls", Key="probe"),
                 lambda: plain.put_object(Bucket="it-tls", Key="probe", Body=b"plain http")):
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert s3.get_object(Bucket="it-tls", Key="probe")["Body"].read() == b"over TLS"


# --- check mode and diff -----------------------------------------------------------------------------------------------
def test_check_mode_reports_every_change_and_changes_nothing(sandbox, tmp_path):
    before = snapshot(sandbox)
    hcl = tmp_path / "backend.hcl"
    run = bootstrap(sandbox, tmp_path, backend_vars("it-check", state_backend_backend_hcl_path=str(hcl)),
                    "--check", "--diff")
    assert run.returncode == 0 and changed_count(run) == 1, run.output[-3000:]
    assert snapshot(sandbox) == before
    assert not hcl.exists()
    for expected in ("--- before", "+++ after", "bucket it-check:", "versioning: Enabled",
                     "kms key alias/it-check (us-east-2):", "kms key alias/it-check (us-west-2):",
                     "replica bucket it-check-us-west-2:", "replication role it-check-replication:",
                     "lock table it-check-locks:", "backend.hcl %s:" % hcl, "(new key for alias/it-check)",
                     "SseKmsEncryptedObjects:", "aws:SecureTransport: 'false'"):
        assert expected in run.output, expected


def test_drift_is_fixed_with_a_before_and_after_diff(sandbox, tmp_path):
    variables = backend_vars("it-drift")
    bootstrap(sandbox, tmp_path, variables)
    s3, ddb = aws(sandbox, "s3"), aws(sandbox, "dynamodb")
    s3.delete_public_access_block(Bucket="it-drift")
    s3.put_bucket_lifecycle_configuration(Bucket="it-drift", LifecycleConfiguration={"Rules": [
        {"ID": "terraform-state-noncurrent-versions", "Status": "Enabled", "Filter": {"Prefix": ""},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 7}}]})
    ddb.update_continuous_backups(TableName="it-drift-locks", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False})

    checked = bootstrap(sandbox, tmp_path, variables, "--check", "--diff")
    assert changed_count(checked) == 1
    assert "public_access_block: null" in checked.output  # before
    assert "NoncurrentDays: 7" in checked.output and "NoncurrentDays: 90" in checked.output
    assert "pitr: false" in checked.output and "pitr: true" in checked.output
    assert "error NoSuchPublicAccessBlockConfiguration" == _read(lambda: s3.get_public_access_block(Bucket="it-drift"))

    fixed = bootstrap(sandbox, tmp_path, variables, "--diff")
    assert fixed.returncode == 0 and changed_count(fixed) == 1
    assert s3.get_public_access_block(Bucket="it-drift")["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    assert ddb.describe_continuous_backups(TableName="it-drift-locks")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert changed_count(bootstrap(sandbox, tmp_path, variables)) == 0
    assert ddb.describe_table(TableName="it-drift-locks")["Table"]["TableId"]  # moto_patches: as AWS answers


# --- refusals: nothing changed -------------------------------------------------------------------------------------------
def test_refuses_a_bucket_with_versioning_suspended_and_changes_nothing(sandbox, tmp_path):
    s3 = aws(sandbox, "s3")
    s3.create_bucket(Bucket="it-suspended", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    s3.put_bucket_versioning(Bucket="it-suspended", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket="it-suspended", VersioningConfiguration={"Status": "Suspended"})
    before = snapshot(sandbox)
    run = bootstrap(sandbox, tmp_path, backend_vars("it-suspended"))
    assert run.returncode != 0
    assert "refusing to change anything: state bucket it-suspended has versioning Suspended" in run.output
    assert snapshot(sandbox) == before  # no key, replica, role or table either: every check runs before any change
    assert "Traceback" not in run.output


def test_refuses_a_bucket_of_another_account_and_changes_nothing(sandbox, tmp_path):
    credentials = aws(sandbox, "sts").assume_role(RoleArn="arn:aws:iam::%s:role/other-team" % FOREIGN_ACCOUNT,
                                                  RoleSessionName="other-team")["Credentials"]
    assert aws(sandbox, "sts", credentials=credentials).get_caller_identity()["Account"] == FOREIGN_ACCOUNT
    foreign = aws(sandbox, "s3", credentials=credentials)
    foreign.create_bucket(Bucket="it-foreign", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    before, before_foreign = snapshot(sandbox), snapshot(sandbox, credentials)
    assert "bucket it-foreign" in before_foreign and "bucket it-foreign" not in before

    run = bootstrap(sandbox, tmp_path, backend_vars("it-foreign"))
    assert run.returncode != 0
    assert "state bucket it-foreign exists but belongs to another AWS account" in run.output
    assert snapshot(sandbox) == before
    assert snapshot(sandbox, credentials) == before_foreign
    assert foreign.get_bucket_versioning(Bucket="it-foreign").get("Status") is None


def test_refuses_a_replica_bucket_with_versioning_suspended(sandbox, tmp_path):
    s3 = aws(sandbox, "s3", "us-west-2")
    s3.create_bucket(Bucket="it-replica-suspended-us-west-2",
                     CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_bucket_versioning(Bucket="it-replica-suspended-us-west-2",
                             VersioningConfiguration={"Status": "Suspended"})
    before = snapshot(sandbox)
    run = bootstrap(sandbox, tmp_path, backend_vars("it-replica-suspended"))
    assert run.returncode != 0 and "replica bucket it-replica-suspended-us-west-2 has versioning Suspended" in \
        run.output
    assert snapshot(sandbox) == before


def test_bad_variables_stop_before_any_call(sandbox, tmp_path):
    before = snapshot(sandbox)
    run = bootstrap(sandbox, tmp_path, backend_vars("it-bad", state_backend_dr_region="us-east-2",
                                                    state_backend_kms_alias="alias/aws/s3"))
    assert run.returncode != 0
    assert "dr_region 'us-east-2' must be a region other than the primary region" in run.output
    assert "reserved alias/aws/ prefix" in run.output
    assert snapshot(sandbox) == before


# --- seeded backends, as the gate sees them ---------------------------------------------------------------------------
SEEDS = {
    # name: (spec overrides, locking the gate expects, expected statuses)
    "it-seed-ok": ({}, "both", {"encrypted": "pass", "versioned": "pass", "locking": "pass", "replicated": "pass"}),
    "it-seed-suspended": ({"versioning": "Suspended"}, "dynamodb",
                          {"encrypted": "pass", "versioned": "fail", "locking": "pass", "replicated": "fail"}),
    "it-seed-unversioned": ({"versioning": None, "state_object": False}, "dynamodb",
                            {"encrypted": "pass", "versioned": "fail", "locking": "pass", "replicated": "fail"}),
    "it-seed-aws-managed": ({"sse": "aws-managed"}, "dynamodb",
                            {"encrypted": "fail", "versioned": "pass", "locking": "pass", "replicated": "pass"}),
    "it-seed-sse-s3": ({"sse": "none"}, "dynamodb",
                       {"encrypted": "fail", "versioned": "pass", "locking": "pass", "replicated": "pass"}),
    "it-seed-table-owned": ({"table_sse": "aws-owned"}, "dynamodb",
                            {"encrypted": "fail", "versioned": "pass", "locking": "pass", "replicated": "pass"}),
    "it-seed-table-managed": ({"table_sse": "aws-managed"}, "dynamodb",
                              {"encrypted": "fail", "versioned": "pass", "locking": "pass", "replicated": "pass"}),
    "it-seed-no-rotation": ({"key_rotation": False}, "dynamodb",
                            {"encrypted": "warn", "versioned": "pass", "locking": "pass", "replicated": "pass"}),
    "it-seed-no-pitr": ({"pitr": False}, "dynamodb",
                        {"encrypted": "pass", "versioned": "pass", "locking": "fail", "replicated": "pass"}),
    "it-seed-no-table": ({"lock_table": None}, "dynamodb",
                         {"encrypted": "pass", "versioned": "pass", "locking": "fail", "replicated": "pass"}),
    "it-seed-lockfile": ({"lock_table": None}, "lockfile",
                         {"encrypted": "pass", "versioned": "pass", "locking": "pass", "replicated": "pass"}),
    "it-seed-no-replica": ({"replication": False}, "dynamodb",
                           {"encrypted": "pass", "versioned": "pass", "locking": "pass", "replicated": "fail"}),
    "it-seed-replica-unversioned": ({"replica_versioning": None}, "dynamodb",
                                    {"encrypted": "pass", "versioned": "pass", "locking": "pass",
                                     "replicated": "fail"}),
}


@pytest.mark.slow
def test_seeded_backends_are_judged_as_their_spec_says_and_the_bootstrap_fixes_them(sandbox, tmp_path):
    made = {}
    for name, (overrides, dummy_locking, dummy_expected) in SEEDS.items():
        spec = dict({"bucket": name, "kms_alias": "alias/%s" % name, "lock_table": "%s-locks" % name}, **overrides)
        made[name] = seed(lambda service, region: aws(sandbox, service, region), spec)
    backends = [{"bucket": name, "state_key": "platform/terraform.tfstate",
                 "lock_table": made[name]["lock_table"] or "%s-locks" % name} for name in SEEDS]
    found = dict((facts["bucket"]["name"], facts) for facts in gather(sandbox, tmp_path, backends))
    verdicts = dict((name, statuses(found[name], SEEDS[name][1])) for name in SEEDS)
    assert verdicts == dict((name, SEEDS[name][2]) for name in SEEDS)

    # The seeded gaps are fixable (versioning Suspended is refused on purpose): the bootstrap makes them compliant.
    fixable = ["it-seed-aws-managed", "it-seed-table-owned", "it-seed-no-pitr", "it-seed-no-replica",
               "it-seed-unversioned"]
    for name in fixable:
        run = bootstrap(sandbox, tmp_path, backend_vars(name, state_backend_key_prefix="platform",
                                                        state_backend_locking="dynamodb"))
        assert run.returncode == 0 and changed_count(run) == 1, (name, run.output[-3000:])
    backends = [{"bucket": name, "state_key": "platform/terraform.tfstate", "lock_table": "%s-locks" % name}
                for name in fixable]
    for facts in gather(sandbox, tmp_path, backends):
        assert set(statuses(facts, "dynamodb").values()) == {"pass"}, facts["bucket"]["name"]


def test_the_seed_spec_is_validated():
    with pytest.raises(ValueError, match="bucket is required"):
        seed(None, {})
    with pytest.raises(ValueError, match="unknown keys"):
        seed(None, {"bucket": "b", "colour": "red"})
    with pytest.raises(ValueError, match="sse must be one of"):
        seed(None, {"bucket": "b", "sse": "rot13"})


def test_role_documents_every_variable():
    spec = yaml.safe_load((REPO / "roles/state_backend/meta/argument_specs.yml").read_text())
    readme = (REPO / "roles/state_backend/README.md").read_text()
    defaults = yaml.safe_load((REPO / "roles/state_backend/defaults/main.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    for name in options:
        assert "`%s`" % name in readme, name
    assert set(defaults) <= set(options)


def test_info_reports_an_unreachable_aws_per_section_and_never_fails(sandbox, tmp_path):
    hcl = tmp_path / "backend.hcl"
    hcl.write_text('bucket = "it-down"\nuse_lockfile = true\n')
    sandbox.component("stop", "aws")
    try:
        facts = gather(sandbox, tmp_path, [{"bucket": "it-down", "state_key": "k", "lock_table": "it-down-locks",
                                            "backend_hcl_path": str(hcl)}])[0]
    finally:
        sandbox.component("start", "aws")
    assert not facts.get("failed")
    assert set(facts["errors"]) == {"bucket", "state_object", "replicas", "lock_table"}
    assert "STS GetCallerIdentity" in facts["errors"]["bucket"]
    assert facts["backend_config"] == {"bucket": "it-down", "use_lockfile": True}
    results = judge_state_backend(facts, "us-east-2", {"locking": "both"})
    assert [r["status"] for r in results] == ["error"] * 4
    assert all(r["summary"].startswith("could not evaluate: ") for r in results)
