"""terraform_state_backend_info as Ansible runs it, with no AWS: the argument spec (required bucket, the region it
insists on), the arguments reaching the reads (bucket, lock table, the backend.hcl path), refused or unreachable reads
reported per section instead of failing, and check mode (a read: never changed, the same reads)."""

import json

import botocore.exceptions
import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.coder.ai_platform.plugins.modules import terraform_state_backend_info as module

REGION = "us-east-2"


@pytest.fixture(autouse=True)
def no_ambient_aws(monkeypatch, tmp_path):
    """Nothing from the machine (environment, ~/.aws) may give the module a region or credentials."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "EC2_REGION",
                 "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


class FakeClient:
    """A boto3 client whose every call raises the given error; records (service, operation, kwargs)."""

    def __init__(self, service, calls, error):
        self.service, self.calls, self.error = service, calls, error

    def __getattr__(self, operation):
        def call(**kwargs):
            self.calls.append((self.service, operation, kwargs))
            raise self.error(operation)
        return call


def access_denied(operation):
    return botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}},
                                           operation)


def unreachable(dummy_operation):
    return botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")


@pytest.fixture
def aws(monkeypatch):
    """Replace AnsibleAWSModule.client: record which clients the module asks for, fail every call."""
    state = {"calls": [], "clients": [], "error": access_denied}

    def client(self, service, retry_decorator=None, region=None, **kwargs):
        state["clients"].append((service, region))
        return FakeClient(service, state["calls"], state["error"])
    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    return state


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result


def test_bucket_is_required(capsys, aws):
    result = run({"region": REGION}, capsys)
    assert result["failed"] and "missing required arguments: bucket" in result["msg"]
    assert aws["calls"] == []


def test_a_missing_region_fails_naming_it_before_any_call(capsys, aws):
    result = run({"bucket": "tfstate"}, capsys)
    assert result["failed"] and result["msg"].startswith("region is required"), result["msg"]
    assert aws["calls"] == [] and aws["clients"] == []


def test_an_unknown_option_is_refused_by_name(capsys, aws):
    result = run({"bucket": "tfstate", "region": REGION, "lock": "tfstate-locks"}, capsys)
    assert result["failed"] and "Unsupported parameters" in result["msg"] and "lock" in result["msg"]
    assert aws["calls"] == []


def test_a_refused_identity_is_an_error_of_every_bucket_section_and_does_not_fail(capsys, aws):
    result = run({"bucket": "tfstate", "state_key": "platform/terraform.tfstate", "region": REGION}, capsys)
    assert "failed" not in result and result["changed"] is False
    assert result["region"] == REGION and result["account_id"] is None
    assert set(result["errors"]) == {"bucket", "state_object", "replicas"}
    for cause in result["errors"].values():
        assert cause.startswith("STS GetCallerIdentity in us-east-2") and "AccessDenied" in cause, cause
    assert result["bucket"]["name"] == "tfstate" and result["bucket"]["exists"] is False
    assert [(s, op) for s, op, dummy_kwargs in aws["calls"]] == [("sts", "get_caller_identity")]
    assert aws["clients"] == [("sts", REGION)]  # the region given reaches the client


def test_the_lock_table_is_read_when_given_and_its_error_is_its_own(capsys, aws):
    aws["error"] = unreachable
    result = run({"bucket": "tfstate", "lock_table": "tfstate-locks", "region": REGION}, capsys)
    assert "failed" not in result
    assert result["errors"]["lock_table"].startswith("DynamoDB table tfstate-locks in us-east-2: ")
    assert "Could not connect" in result["errors"]["lock_table"]
    assert result["lock_table"]["name"] == "tfstate-locks" and result["lock_table"]["exists"] is False
    describe = [kwargs for service, op, kwargs in aws["calls"] if (service, op) == ("dynamodb", "describe_table")]
    assert describe == [{"aws_retry": True, "TableName": "tfstate-locks"}]


def test_no_lock_table_means_no_table_read(capsys, aws):
    result = run({"bucket": "tfstate", "region": REGION}, capsys)
    assert result["lock_table"] is None and "lock_table" not in result["errors"]
    assert not any(service == "dynamodb" for service, dummy_op, dummy_kwargs in aws["calls"])


def test_the_backend_hcl_path_is_read_and_an_unreadable_one_is_its_section_error(capsys, aws, tmp_path):
    good = tmp_path / "backend.hcl"
    good.write_text('bucket = "tfstate"\nuse_lockfile = true\n')
    result = run({"bucket": "tfstate", "region": REGION, "backend_hcl_path": str(good)}, capsys)
    assert result["backend_config"] == {"bucket": "tfstate", "use_lockfile": True}
    missing = tmp_path / "nowhere" / "backend.hcl"
    result = run({"bucket": "tfstate", "region": REGION, "backend_hcl_path": str(missing)}, capsys)
    assert "failed" not in result and result["backend_config"] is None
    assert result["errors"]["backend_config"].startswith("backend.hcl %s: " % missing)


def test_check_mode_makes_the_same_reads_and_never_changes(capsys, aws):
    args = {"bucket": "tfstate", "lock_table": "tfstate-locks", "region": REGION}
    real = run(args, capsys)
    real_calls = list(aws["calls"])
    aws["calls"][:] = []
    checked = run(dict(args, _ansible_check_mode=True), capsys)
    assert real["changed"] is False and checked["changed"] is False
    assert checked["errors"] == real["errors"]
    assert aws["calls"] == real_calls
