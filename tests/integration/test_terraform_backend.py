"""A real Terraform client on the bootstrapped backend, against the sandbox: init with the generated backend.hcl,
apply, the state object versioned and SSE-KMS with the customer managed key, and a second apply refused with
Terraform's own lock error while a first one holds the lock - with DynamoDB locking and with the S3 lock file.

Needs the ``terraform`` program (1.10 or later for the S3 lock file); without it the tests fail and say so. Only the
built-in ``terraform_data`` resource is used, so no provider is downloaded and no network is touched."""

import json
import os
import re
import shutil
import subprocess
import time

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

HOLD_SECONDS = 15
MAIN_TF = """
terraform {
  backend "s3" {}
}

variable "generation" {
  type = number
}

variable "hold_seconds" {
  type    = number
  default = 0
}

# Replaced on every new generation, so its provisioner runs on every apply: a long hold keeps the lock taken.
resource "terraform_data" "generation" {
  input            = var.generation
  triggers_replace = var.generation

  provisioner "local-exec" {
    command = "sleep ${var.hold_seconds}"
  }
}

output "generation" {
  value = terraform_data.generation.output
}
"""


def terraform_program():
    program = shutil.which("terraform")
    if not program:
        pytest.fail("Terraform is missing: these tests run the real terraform CLI (1.10 or later) against the "
                    "sandbox; install it and put it on PATH")
    version = subprocess.run([program, "version", "-json"], capture_output=True, text=True, check=True, timeout=60)
    major, minor = [int(part) for part in json.loads(version.stdout)["terraform_version"].split(".")[:2]]
    if (major, minor) < (1, 10):
        pytest.fail("Terraform %d.%d is too old: the S3 lock file (use_lockfile) needs 1.10 or later" % (major, minor))
    return program


@pytest.fixture(scope="module")
def sandbox(sandbox_factory):
    return sandbox_factory("healthy")


class Workspace:
    """A Terraform working directory on the sandbox's moto, with its own CLI config and data dir (no network)."""

    def __init__(self, sandbox, root, backend_hcl):
        self.sandbox, self.root, self.backend_hcl = sandbox, root, backend_hcl
        self.program = terraform_program()
        aws = sandbox.endpoints["aws"]
        (root / "main.tf").write_text(MAIN_TF)
        # The sandbox's moto stands in for every AWS endpoint; the rest is what Terraform 1.11 needs to not look for
        # real AWS (account ID lookup, credential validation, instance metadata, region list).
        (root / "sandbox.s3.tfbackend").write_text("\n".join([
            "endpoints = {",
            '  s3       = "%s"' % aws["endpoint_url"],
            '  dynamodb = "%s"' % aws["endpoint_url"],
            '  sts      = "%s"' % aws["endpoint_url"],
            '  iam      = "%s"' % aws["endpoint_url"],
            "}",
            "use_path_style              = true",
            "skip_credentials_validation = true",
            "skip_requesting_account_id  = true",
            "skip_metadata_api_check     = true",
            "skip_region_validation      = true",
            ""]))
        (root / "cli.tfrc").write_text("disable_checkpoint = true\n")
        self.env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_")))
        self.env.update({
            "AWS_ACCESS_KEY_ID": aws["access_key"], "AWS_SECRET_ACCESS_KEY": aws["secret_key"],
            "AWS_EC2_METADATA_DISABLED": "true", "TF_CLI_CONFIG_FILE": str(root / "cli.tfrc"),
            "TF_DATA_DIR": str(root / ".terraform"), "TF_IN_AUTOMATION": "1", "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1", "HOME": str(root),
        })

    def command(self, *args):
        return [self.program] + list(args) + (["-no-color"] if args[0] in ("init", "apply", "output") else [])

    def run(self, *args, timeout=120):
        return subprocess.run(self.command(*args), cwd=str(self.root), env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def start(self, *args):
        return subprocess.Popen(self.command(*args), cwd=str(self.root), env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def init(self):
        run = self.run("init", "-input=false", "-backend-config=%s" % self.backend_hcl,
                       "-backend-config=sandbox.s3.tfbackend")
        assert run.returncode == 0, run.stdout + run.stderr
        return run

    def apply(self, generation, hold_seconds=0):
        return self.run("apply", "-input=false", "-auto-approve", "-var", "generation=%d" % generation,
                        "-var", "hold_seconds=%d" % hold_seconds)


def bootstrap(sandbox, tmp_path, name, locking):
    backend_hcl = tmp_path / "backend.hcl"
    variables = {"state_backend_bucket": name, "state_backend_kms_alias": "alias/%s" % name,
                 "state_backend_lock_table": "%s-locks" % name, "state_backend_locking": locking,
                 "state_backend_key_prefix": "platform", "state_backend_backend_hcl_path": str(backend_hcl)}
    run = sandbox.playbook("bootstrap_state_backend.yml", tmp_path, "-e", json.dumps(variables))
    assert run.returncode == 0, run.output[-3000:]
    return backend_hcl


def settings_of(backend_hcl):
    return dict((match.group(1), json.loads(match.group(2))) for match in re.finditer(
        r'^(\w+)\s*=\s*(".*"|true|false)\s*$', backend_hcl.read_text(), re.MULTILINE))


def client(sandbox, service):
    aws = sandbox.endpoints["aws"]
    return boto3.client(service, region_name="us-east-2", endpoint_url=aws["endpoint_url"],
                        aws_access_key_id=aws["access_key"], aws_secret_access_key=aws["secret_key"])


def current_state(s3, settings):
    found = s3.get_object(Bucket=settings["bucket"], Key=settings["key"])
    document = json.loads(found["Body"].read())
    return {"version_id": found["VersionId"], "serial": document["serial"], "lineage": document["lineage"],
            "generation": document["outputs"]["generation"]["value"]}


def lock_is_held(sandbox, settings):
    """What each lock looks like while held: the DynamoDB item <bucket>/<key>, or the object <key>.tflock."""
    if settings.get("use_lockfile"):
        try:
            client(sandbox, "s3").head_object(Bucket=settings["bucket"], Key=settings["key"] + ".tflock")
            return True
        except ClientError:
            return False
    item = client(sandbox, "dynamodb").get_item(TableName=settings["dynamodb_table"], Key={
        "LockID": {"S": "%s/%s" % (settings["bucket"], settings["key"])}})
    return "Item" in item


@pytest.mark.parametrize("locking", ["dynamodb", "lockfile"])
def test_terraform_uses_the_bootstrapped_backend_and_its_lock(sandbox, tmp_path, locking):
    terraform_program()  # fails (never skips) with a message when Terraform is missing
    name = "it-terraform-%s" % locking
    backend_hcl = bootstrap(sandbox, tmp_path, name, locking)
    settings = settings_of(backend_hcl)
    assert settings["encrypt"] is True and settings["kms_key_id"].startswith("arn:aws:kms:us-east-2:")
    assert ("dynamodb_table" in settings, settings.get("use_lockfile") is True) == (
        locking == "dynamodb", locking == "lockfile")
    workspace = Workspace(sandbox, tmp_path, backend_hcl)
    workspace.init()
    s3 = client(sandbox, "s3")

    for generation in (1, 2):
        run = workspace.apply(generation)
        assert run.returncode == 0, run.stdout + run.stderr
    head = s3.head_object(Bucket=name, Key=settings["key"])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == settings["kms_key_id"]  # the customer managed key, not aws/s3
    versions = [v for v in s3.list_object_versions(Bucket=name, Prefix=settings["key"])["Versions"]
                if v["Key"] == settings["key"]]
    assert len(versions) >= 2
    for version in versions:
        old = s3.head_object(Bucket=name, Key=settings["key"], VersionId=version["VersionId"])
        assert (old["ServerSideEncryption"], old["SSEKMSKeyId"]) == ("aws:kms", settings["kms_key_id"])
    before = current_state(s3, settings)
    assert before["generation"] == 2

    holder = workspace.start("apply", "-input=false", "-auto-approve", "-var", "generation=3",
                             "-var", "hold_seconds=%d" % HOLD_SECONDS)
    try:
        deadline = time.monotonic() + HOLD_SECONDS
        while not lock_is_held(sandbox, settings):
            assert holder.poll() is None and time.monotonic() < deadline, "the first apply never took the lock"
            time.sleep(0.2)
        while_locked = current_state(s3, settings)
        second = workspace.apply(4)
        assert second.returncode != 0
        assert "Error acquiring the state lock" in second.stdout + second.stderr, second.stdout + second.stderr
        assert holder.poll() is None, "the holder finished before the second apply was refused; raise HOLD_SECONDS"
        assert current_state(s3, settings) == while_locked  # the refused apply wrote nothing
    finally:
        output = holder.communicate(timeout=HOLD_SECONDS + 60)[0]
    assert holder.returncode == 0, output

    after = current_state(s3, settings)
    assert after["lineage"] == before["lineage"]
    assert after["serial"] > before["serial"] and after["generation"] == 3  # only the lock holder's apply landed
    history = [v["VersionId"] for v in s3.list_object_versions(Bucket=name, Prefix=settings["key"])["Versions"]
               if v["Key"] == settings["key"]]
    assert before["version_id"] in history and len(history) > len(versions)  # prior versions kept
    assert not lock_is_held(sandbox, settings)
    outputs = workspace.run("output", "-json")
    assert json.loads(outputs.stdout)["generation"]["value"] == 3
