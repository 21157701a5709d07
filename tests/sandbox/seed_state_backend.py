"""Seed a Terraform state backend into the sandbox's moto, compliant or with the gaps a scenario asks for.

    seed(client, spec) -> dict

``client(service, region)`` returns a boto3 client on the sandbox's moto (``Sandbox.aws_client``). ``spec`` is the
scenario's ``state_backend`` section; every key but ``bucket`` is optional and the defaults give a backend that
passes every ``state_backend.*`` check (the same resources ``terraform_state_backend`` creates, built from the same
``module_utils/planners/state_backend.py`` documents)::

    state_backend:
      bucket: ai-coder-tfstate            # the state bucket (required)
      region: us-east-2                   # primary region
      state_key: platform/terraform.tfstate
      state_object: true                  # write a state object (two versions when the bucket is versioned)
      kms_alias: alias/terraform-state    # the customer managed key, in region and dr_region
      key_rotation: true                  # false: the CMK's automatic rotation is off
      versioning: Enabled                 # Enabled | Suspended | None (never enabled)
      sse: cmk                            # cmk | aws-managed (aws:kms, aws/s3) | none (SSE-S3: what AWS applies to
                                          #   every bucket without its own default encryption)
      lock_table: terraform-state-locks   # null: no table
      table_sse: cmk                      # cmk | aws-managed (aws/dynamodb) | aws-owned (no SSESpecification)
      pitr: true                          # point-in-time recovery of the lock table
      deletion_protection: true
      replication: true                   # replica bucket + role + rule (only when the source is versioned, as AWS
                                          #   refuses replication otherwise)
      dr_region: us-west-2
      replica_bucket: <bucket>-<dr_region>
      replica_versioning: Enabled         # Enabled | Suspended | None
      noncurrent_days: 90

The returned dict names what was made: ``{bucket, region, key_arn, dr_key_arn, lock_table, replica_bucket,
replication_role_arn, state_key}`` (None for what was not made).
"""

import json
import os
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".cache", "collections")
try:
    from ansible_collections.coder.ai_platform.plugins.module_utils.planners import state_backend as sb
except ImportError:  # server.py runs without pytest's pythonpath: find the collection through the venv link
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.coder.ai_platform.plugins.module_utils.planners import state_backend as sb

DEFAULTS = {
    "region": "us-east-2", "state_key": "platform/terraform.tfstate", "state_object": True,
    "kms_alias": "alias/terraform-state", "key_rotation": True, "versioning": "Enabled", "sse": "cmk",
    "lock_table": "terraform-state-locks", "table_sse": "cmk", "pitr": True, "deletion_protection": True,
    "replication": True, "dr_region": "us-west-2", "replica_bucket": None, "replica_versioning": "Enabled",
    "noncurrent_days": 90,
}
CHOICES = {"versioning": ("Enabled", "Suspended", None), "replica_versioning": ("Enabled", "Suspended", None),
           "sse": ("cmk", "aws-managed", "none"), "table_sse": ("cmk", "aws-managed", "aws-owned")}


def _spec(spec):
    unknown = set(spec) - set(DEFAULTS) - {"bucket"}
    if unknown or not spec.get("bucket"):
        raise ValueError("state_backend spec: bucket is required; unknown keys: %s" % sorted(unknown))
    full = dict(DEFAULTS, **spec)
    for key, choices in CHOICES.items():
        if full[key] not in choices:
            raise ValueError("state_backend spec: %s must be one of %s, not %r" % (key, choices, full[key]))
    full["replica_bucket"] = full["replica_bucket"] or sb.default_replica_bucket(full["bucket"], full["dr_region"])
    return full


def _key(kms, alias, rotation):
    key = kms.create_key(Description="Terraform state (sandbox seed)", KeyUsage="ENCRYPT_DECRYPT",
                         KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    if rotation:
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return key["Arn"]


def _bucket(s3, name, region, versioning, sse, key_arn, noncurrent_days):
    request = {"Bucket": name, "ObjectOwnership": sb.OWNERSHIP}
    if region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**request)
    if versioning in ("Enabled", "Suspended"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if versioning == "Suspended":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    if sse == "cmk":
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=sb.encryption_request(key_arn))
    else:
        algorithm = {"SSEAlgorithm": "aws:kms"} if sse == "aws-managed" else {"SSEAlgorithm": "AES256"}
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": algorithm}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(sb.PUBLIC_ACCESS_BLOCK))
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": sb.POLICY_VERSION,
                                                         "Statement": [sb.tls_deny_statement(name)]}))
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={
        "Rules": [sb.lifecycle_rule(noncurrent_days)]})


def _state_document(serial, lineage):
    return json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": serial, "lineage": lineage,
                       "outputs": {}, "resources": [], "check_results": None}).encode()


def seed(client, spec):
    spec = _spec(spec)
    region, dr_region = spec["region"], spec["dr_region"]
    made = {"bucket": spec["bucket"], "region": region, "key_arn": None, "dr_key_arn": None, "lock_table": None,
            "replica_bucket": None, "replication_role_arn": None, "state_key": None}
    s3, kms = client("s3", region), client("kms", region)
    made["key_arn"] = _key(kms, spec["kms_alias"], spec["key_rotation"])
    _bucket(s3, spec["bucket"], region, spec["versioning"], spec["sse"], made["key_arn"], spec["noncurrent_days"])

    if spec["state_object"]:
        lineage = str(uuid.uuid4())
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": made["key_arn"]} if spec["sse"] == "cmk" \
            else {"ServerSideEncryption": "aws:kms"} if spec["sse"] == "aws-managed" \
            else {"ServerSideEncryption": "AES256"}
        for serial in (1, 2) if spec["versioning"] == "Enabled" else (1,):
            s3.put_object(Bucket=spec["bucket"], Key=spec["state_key"], Body=_state_document(serial, lineage),
                          **encryption)
        made["state_key"] = spec["state_key"]

    if spec["lock_table"]:
        ddb = client("dynamodb", region)
        request = {"TableName": spec["lock_table"], "BillingMode": "PAY_PER_REQUEST",
                   "AttributeDefinitions": [{"AttributeName": sb.LOCK_HASH_KEY, "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": sb.LOCK_HASH_KEY, "KeyType": "HASH"}],
                   "DeletionProtectionEnabled": bool(spec["deletion_protection"])}
        if spec["table_sse"] == "cmk":
            request["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": made["key_arn"]}
        elif spec["table_sse"] == "aws-managed":
            request["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
        ddb.create_table(**request)
        if spec["pitr"]:
            ddb.update_continuous_backups(TableName=spec["lock_table"], PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})
        made["lock_table"] = spec["lock_table"]

    if spec["replication"] and spec["versioning"] == "Enabled":
        made["dr_key_arn"] = _key(client("kms", dr_region), spec["kms_alias"], spec["key_rotation"])
        _bucket(client("s3", dr_region), spec["replica_bucket"], dr_region, spec["replica_versioning"], "cmk",
                made["dr_key_arn"], spec["noncurrent_days"])
        iam = client("iam", region)
        role_name = sb.default_role_name(spec["bucket"])
        role_arn = iam.create_role(RoleName=role_name,
                                   AssumeRolePolicyDocument=json.dumps(sb.replication_trust_policy()))["Role"]["Arn"]
        iam.put_role_policy(RoleName=role_name, PolicyName=sb.REPLICATION_POLICY_NAME, PolicyDocument=json.dumps(
            sb.replication_role_policy(spec["bucket"], spec["replica_bucket"], made["key_arn"], made["dr_key_arn"],
                                       region, dr_region)))
        s3.put_bucket_replication(Bucket=spec["bucket"], ReplicationConfiguration={
            "Role": role_arn, "Rules": [sb.replication_rule(spec["replica_bucket"], made["dr_key_arn"])]})
        made.update(replica_bucket=spec["replica_bucket"], replication_role_arn=role_arn)
    return made
