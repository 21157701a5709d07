# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a Terraform S3 state backend for the ``state_backend.*`` checks: the bucket (and its KMS key), the state
object, each replication destination in its own region, the DynamoDB lock table (and its key), a backend.hcl.

``read_state_backend(client, region, bucket, ...)`` takes ``client(service, region=None)`` (a factory of retrying
boto3 clients, e.g. ``aws.connection.AwsClients``) and returns the ``terraform_state_backend_info`` result, a
plain dict whose ``errors`` name every section that could not be read; it never raises for an AWS error. The bucket
reads themselves are ``planners/state_backend.py``'s (shared with the converger).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import botocore
except ImportError:
    pass  # the module reports the missing library

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.coder.ai_platform.plugins.module_utils.aws.connection import aws_errors
from ansible_collections.coder.ai_platform.plugins.module_utils.core.gather import run_parallel
from ansible_collections.coder.ai_platform.plugins.module_utils.planners import state_backend as sb


def state_backend_options():
    """The argument spec of terraform_state_backend_info (the gather's ``state_backend`` source adds ``region``)."""
    return dict(
        bucket=dict(type="str", required=True),
        state_key=dict(type="str", no_log=False),
        lock_table=dict(type="str"),
        backend_hcl_path=dict(type="path"),
    )


class Reader(object):
    def __init__(self, client, region, deadline_s=3600):
        self.clients = client
        self.region = region
        self.deadline_s = deadline_s
        self.errors = {}

    def client(self, service, region=None):
        return self.clients(service, region or self.region)

    def key(self, key_ref, region):
        try:
            return sb.read_key(self.client("kms", region), key_ref)
        except aws_errors() as err:
            return {"exists": None, "arn": key_ref, "error": "KMS DescribeKey %s in %s: %s" % (key_ref, region, err)}

    def key_region(self, key_ref, default):
        parts = (key_ref or "").split(":")
        return parts[3] if key_ref and key_ref.startswith("arn:") and len(parts) > 3 and parts[3] else default

    def bucket(self, name, account, region):
        bucket = sb.read_bucket(self.client("s3", region), name, account)
        bucket["kms_key"] = None
        encryption = bucket.get("encryption") or {}
        if encryption.get("sse_algorithm") == "aws:kms" and encryption.get("kms_key_id"):
            key_id = encryption["kms_key_id"]
            bucket["kms_key"] = self.key(key_id, self.key_region(key_id, bucket.get("region") or region))
            encryption["kms_key_arn"] = bucket["kms_key"].get("arn")
        return bucket

    def destination_region(self, name, account):
        s3 = self.client("s3")
        try:
            return s3.get_bucket_location(aws_retry=True, Bucket=name, ExpectedBucketOwner=account).get(
                "LocationConstraint") or "us-east-1"
        except botocore.exceptions.ClientError as err:
            if sb.error_code(err) in ("NoSuchBucket", "404", "AccessDenied", "403"):
                return None
            raise

    def run(self, params):
        facts = {"region": self.region, "account_id": None, "bucket": sb.absent_bucket(params["bucket"]),
                 "state_object": None, "lock_table": None, "replicas": [], "backend_config": None}
        # The lock table and the bucket chain do not depend on each other: read them at once.
        calls = {"buckets": lambda: self.read_account_and_buckets(facts, params)}
        if params["lock_table"]:
            calls["lock_table"] = lambda: self.read_table(params["lock_table"])
        done = _all(calls, self.deadline_s)
        if params["lock_table"]:
            facts["lock_table"] = done["lock_table"]
        if params["backend_hcl_path"]:
            try:
                with open(params["backend_hcl_path"]) as handle:
                    facts["backend_config"] = sb.parse_backend_hcl(handle.read())
            except (IOError, OSError, ValueError) as err:
                self.errors["backend_config"] = "backend.hcl %s: %s" % (params["backend_hcl_path"], to_native(err))
        facts["errors"] = self.errors
        return facts

    def read_account_and_buckets(self, facts, params):
        try:
            account = self.client("sts").get_caller_identity(aws_retry=True)["Account"]
        except aws_errors() as err:
            cause = "STS GetCallerIdentity in %s: %s" % (self.region, err)
            self.errors.update(bucket=cause, state_object=cause, replicas=cause)
            return
        facts["account_id"] = account
        self.read_buckets(facts, params, account)

    def read_buckets(self, facts, params, account):
        try:
            facts["bucket"] = self.bucket(params["bucket"], account, self.region)
        except aws_errors() as err:
            cause = "S3 bucket %s in %s: %s" % (params["bucket"], self.region, err)
            self.errors.update(bucket=cause, state_object=cause, replicas=cause)
            return
        if not facts["bucket"]["exists"]:
            return
        calls = {"replicas": lambda: self.read_replicas(facts, account)}
        if params["state_key"]:
            calls["state_object"] = lambda: self.read_state_object(facts, params, account)
        _all(calls, self.deadline_s)  # the state object and the replicas at once

    def read_state_object(self, facts, params, account):
        try:
            facts["state_object"] = sb.read_state_object(
                self.client("s3"), params["bucket"], params["state_key"], account)
        except aws_errors() as err:
            self.errors["state_object"] = "S3 object s3://%s/%s: %s" % (params["bucket"], params["state_key"], err)

    def read_replicas(self, facts, account):
        replicas = []
        try:
            for rule in (facts["bucket"].get("replication") or {}).get("Rules") or []:
                arn = (rule.get("Destination") or {}).get("Bucket") or ""
                name = arn.split(":::", 1)[-1]
                region = self.destination_region(name, account)
                destination = self.bucket(name, account, region) if region else sb.absent_bucket(name)
                replicas.append({"rule": rule, "bucket": destination})
        except aws_errors() as err:
            self.errors["replicas"] = "replication destination: %s" % err
        facts["replicas"] = replicas

    def read_table(self, name):
        try:
            table = sb.read_table(self.client("dynamodb"), name)
        except aws_errors() as err:
            self.errors["lock_table"] = "DynamoDB table %s in %s: %s" % (name, self.region, err)
            return sb.absent_table(name)
        table["kms_key"] = None
        sse = table.get("sse") or {}
        if sse.get("kms_key_arn"):
            table["kms_key"] = self.key(sse["kms_key_arn"], self.key_region(sse["kms_key_arn"], self.region))
        return table


def _all(calls, deadline_s):
    """Run ``calls`` at once; their values by name. Reads record their own AWS errors; anything else raises."""
    values = {}
    for name, (value, error) in run_parallel(calls, deadline_s).items():
        if error is not None:
            raise error
        values[name] = value
    return values


def read_state_backend(client, region, bucket, state_key=None, lock_table=None, backend_hcl_path=None,
                       deadline_s=3600):
    """The ``terraform_state_backend_info`` result (see the module's RETURN); independent reads run at once,
    each bounded by ``deadline_s``."""
    params = {"bucket": bucket, "state_key": state_key, "lock_table": lock_table, "backend_hcl_path": backend_hcl_path}
    return Reader(client, region, deadline_s).run(params)
