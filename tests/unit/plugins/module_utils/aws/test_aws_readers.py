"""The AWS readers (aws/ecr.py, aws/data_protection.py, aws/state_backend.py, aws/connection.py) on moto, in
process: a client factory in, the module's result dict out; an AWS error is a section's cause, never a raise."""

import json
import threading
import time

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.coder.ai_platform.plugins.module_utils.aws import connection, data_protection, ecr
from ansible_collections.coder.ai_platform.plugins.module_utils.aws import state_backend

REGION = "us-east-2"


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        session = boto3.session.Session()
        cache = {}

        def client(service, region=None):
            key = (service, region or REGION)
            if key not in cache:
                cache[key] = RetryingBotoClientWrapper(session.client(service, region_name=key[1]),
                                                       AWSRetry.jittered_backoff(retries=1))
            return cache[key]
        yield client


def denied(operation):
    return botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, operation)


class Refusing:
    """A client whose every call is refused."""

    def __init__(self, service):
        self.service = service

    def get_paginator(self, operation):
        raise denied(operation)

    def __getattr__(self, operation):
        def call(**kwargs):
            raise denied(operation)
        return call


# --- ECR -----------------------------------------------------------------------------------------------------------
def test_ecr_digest_of_a_tag_missing_repository_and_refusal(aws):
    repo = aws("ecr").create_repository(repositoryName="coder-preview")["repository"]["repositoryName"]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + "a" * 64, "size": 1, "mediaType": "x"}, "layers": []})
    aws("ecr").put_image(repositoryName=repo, imageManifest=manifest, imageTag="latest")
    found = ecr.read_image_digest(aws("ecr"), repo, "latest", region=REGION)
    assert found["digest"].startswith("sha256:") and found["error"] is None and found["missing"] is None
    assert found["pushed_at"]
    absent = ecr.read_image_digest(aws("ecr"), "nope", "latest", region=REGION)
    assert absent["missing"] == "RepositoryNotFoundException" and absent["digest"] is None and absent["error"] is None
    refused = ecr.read_image_digest(Refusing("ecr"), repo, "latest", region=REGION)
    assert refused["error"].startswith("ECR DescribeImages coder-preview:latest in us-east-2")
    assert refused["missing"] is None


# --- data protection -----------------------------------------------------------------------------------------------
def test_data_protection_reads_every_asked_section_in_order(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_security_group(GroupName="open", Description="x", VpcId=vpc)
    aws("secretsmanager").create_secret(Name="coder/db", SecretString="x")
    aws("s3").create_bucket(Bucket="coder-state", CreateBucketConfiguration={"LocationConstraint": REGION})
    aws("s3").put_bucket_policy(Bucket="coder-state", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                "Resource": "arn:aws:s3:::coder-state/*"}]}))
    facts = data_protection.read_protection(aws, REGION, list(reversed(data_protection.SECTIONS)), ["coder-*"])
    assert facts["region"] == REGION and facts["errors"] == {}
    assert facts["sections"] == data_protection.SECTIONS  # the module's order, whatever the order asked
    assert [s["name"] for s in facts["secrets"]["secrets"]] == ["coder/db"]
    assert "open" in [g["group_name"] for g in facts["security_groups"]["groups"]]
    assert vpc in [v["vpc_id"] for v in facts["flow_logs"]["vpcs"]]
    assert facts["s3"]["buckets"][0]["name"] == "coder-state" and facts["s3"]["buckets"][0]["policy"]["Statement"]
    assert facts["rds"] == {"clusters": [], "instances": [], "kms_keys": {}, "cluster_parameter_groups": {},
                            "instance_parameter_groups": {}}


def test_a_refused_section_is_its_own_error_and_the_others_are_read(aws):
    def client(service, region=None):
        return Refusing(service) if service == "secretsmanager" else aws(service, region)
    facts = data_protection.read_protection(client, REGION, ["secrets", "security_groups"])
    assert facts["secrets"] == {}
    assert facts["errors"]["secrets"].startswith("Secrets Manager ListSecrets: ")
    assert facts["errors"]["secrets"].endswith(" in us-east-2") and "AccessDenied" in facts["errors"]["secrets"]
    assert "security_groups" not in facts["errors"] and facts["security_groups"]["groups"]


def test_sections_are_read_at_once_and_a_hung_one_is_cut_at_the_deadline(aws):
    barrier = threading.Barrier(2, timeout=3)

    def waiting(name):
        def read(client):
            barrier.wait()  # both sections must be in flight together
            if name == "secrets":
                time.sleep(5)
            return {"read": name}
        return read
    readers = dict(data_protection.READERS, secrets=waiting("secrets"), security_groups=waiting("security_groups"))
    original = data_protection.READERS
    data_protection.READERS = readers
    try:
        started = time.monotonic()
        facts = data_protection.read_protection(aws, REGION, ["secrets", "security_groups"], deadline_s=1)
    finally:
        data_protection.READERS = original
    assert time.monotonic() - started < 3
    assert facts["security_groups"] == {"read": "security_groups"}
    assert facts["secrets"] == {} and "no answer within 1s" in facts["errors"]["secrets"]


# --- state backend -------------------------------------------------------------------------------------------------
def test_state_backend_reads_the_bucket_object_and_table(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="tfstate", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="tfstate", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="tfstate", Key="p/terraform.tfstate", Body=b"{}")
    aws("dynamodb").create_table(TableName="locks", KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                                 BillingMode="PAY_PER_REQUEST")
    facts = state_backend.read_state_backend(aws, REGION, "tfstate", "p/terraform.tfstate", "locks")
    assert facts["errors"] == {} and facts["region"] == REGION and facts["account_id"]
    assert facts["bucket"]["exists"] is True and facts["bucket"]["versioning"] == "Enabled"
    assert facts["state_object"]["key"] == "p/terraform.tfstate" and facts["state_object"]["versions"] == 1
    assert facts["lock_table"]["exists"] is True and facts["replicas"] == [] and facts["backend_config"] is None


def test_state_backend_a_refused_identity_is_the_cause_of_every_bucket_section(aws):
    facts = state_backend.read_state_backend(lambda service, region=None: Refusing(service), REGION, "tfstate",
                                             "p/terraform.tfstate")
    assert set(facts["errors"]) == {"bucket", "state_object", "replicas"}
    assert all(c.startswith("STS GetCallerIdentity in us-east-2") for c in facts["errors"].values())
    assert facts["bucket"]["exists"] is False and facts["lock_table"] is None


# --- connection ----------------------------------------------------------------------------------------------------
class FakeModule:
    def __init__(self, **params):
        self.params = dict(dict.fromkeys(("profile", "access_key", "secret_key", "session_token", "endpoint_url",
                                          "aws_ca_bundle", "aws_config", "validate_certs")), **params)
        self.params.setdefault("region", REGION)
        self.params["validate_certs"] = True

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)


def test_aws_clients_share_one_session_cache_per_service_and_region_and_bound_each_call(aws):
    clients = connection.AwsClients(FakeModule(access_key="a", secret_key="b"), timeout=7)
    ec2 = clients("ec2")
    assert clients("ec2") is ec2 and clients("ec2", "eu-west-2") is not ec2
    assert clients("ec2", "eu-west-2").client.meta.region_name == "eu-west-2"
    assert ec2.client.meta.region_name == REGION
    config = ec2.client.meta.config
    assert config.connect_timeout == 7 and config.read_timeout == 7
    assert config.retries["total_max_attempts"] == 2  # one retry of a transient failure, then the cause
    assert config.retries["mode"] == "standard"
    assert len(set(id(c.client._endpoint) for c in clients.cache.values())) == 2
    assert clients.session is not None and len(clients.cache) == 2


def test_the_user_s_aws_config_wins_over_the_gather_s_timeouts(aws):
    clients = connection.AwsClients(FakeModule(aws_config={"read_timeout": 99}), timeout=7)
    config = clients("sts").client.meta.config
    assert config.read_timeout == 99 and config.connect_timeout == 7
