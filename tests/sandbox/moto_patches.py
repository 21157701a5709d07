"""Patches to the in-process moto server, each restoring one AWS behaviour a module depends on.

The architecture rule: where moto answers differently from AWS in a way our modules trip on, patch the server here
(never the module), and say which AWS behaviour the patch restores.

| patch | AWS behaviour restored | who trips without it |
|---|---|---|
| `_ecr_digest_is_manifest_sha256` | ECR imageDigest = sha256 of the manifest bytes | image_digest_info |
| `_s3_expected_bucket_owner` | `x-amz-expected-bucket-owner` answers 403 for another account's bucket | terraform_state_backend |
| `_s3_secure_transport_condition` | bucket policy `Bool aws:SecureTransport` conditions are evaluated | Terraform, boto3 |
| `_s3_replication_keeps_rule_fields` | GetBucketReplication returns the rule as it was put | terraform_state_backend(_info) |
| `_kms_aws_managed_keys` | keys behind reserved `alias/aws/*` aliases are `KeyManager: AWS` | state_backend checks |
| `_dynamodb_update_table_sse` | UpdateTable applies `SSESpecification` | terraform_state_backend |
| `_dynamodb_table_id` | DescribeTable carries `TableId` | community.aws.dynamodb_table |
| `_iam_statement_resource_applies_to_unknown_resources` | a correctly scoped identity policy allows its actions | every module under IAM enforcement |
| `_s3_requests_authorize_their_iam_action` | each S3 operation is authorized as its documented IAM action | every S3 caller under IAM enforcement |
| `_iam_decisions_are_recorded` | every call is recorded (CloudTrail): principal, action, resource, denial | tests/integration/test_iam_least_privilege.py |
"""

import hashlib
import json
import re
import threading
import uuid

from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models import table as dynamodb_table
from moto.ecr import models as ecr_models
from moto.iam import policy_conditions
from moto.kms import models as kms_models
from moto.rds.models import RDSBackend
from moto.s3 import models as s3_models
from moto.s3 import responses as s3_responses
from moto.s3.exceptions import MissingBucket
from moto.secretsmanager import models as secretsmanager_models

_REQUEST = threading.local()  # the S3 request being served on this thread (moto's server is threaded)


def _ecr_digest_is_manifest_sha256():
    """AWS: an ECR imageDigest is the sha256 of the manifest bytes, exactly as any registry computes it, so the
    same manifest has the same digest upstream (ghcr.io) and in every mirror. moto 5.2 hashes the concatenated layer
    digests instead, which would make a faithful mirror look stale."""
    def _create_digest(self):
        self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode("utf-8")).hexdigest()

    ecr_models.Image._create_digest = _create_digest


_ACCESS_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                  b"<Message>Access Denied</Message></Error>")


def _s3_expected_bucket_owner():
    """AWS: every S3 request may carry ``x-amz-expected-bucket-owner: <account id>`` (boto3's ExpectedBucketOwner);
    when the bucket belongs to another account S3 answers 403 Access Denied and does nothing. That is how a client
    tells "this bucket name is taken by someone else" apart from "my bucket". moto 5.2 ignores the header (and lets
    any account use any bucket), so terraform_state_backend could not refuse a foreign bucket.

    The same wrapper records the request on the thread for ``_s3_secure_transport_condition``."""
    def guard(original):
        def wrapper(self, request, full_url, *args, **kwargs):
            _REQUEST.headers = request.headers
            expected = request.headers.get("x-amz-expected-bucket-owner")
            bucket_name = self.parse_bucket_name_from_url(request, full_url)
            if expected and bucket_name:
                try:
                    bucket = self.backend.get_bucket(bucket_name)
                except MissingBucket:
                    bucket = None
                except Exception:  # pylint: disable=broad-except
                    bucket = None  # let moto answer as it would
                if bucket is not None and bucket.account_id != expected:
                    if request.method == "HEAD":
                        return 403, {}, b""
                    return 403, {"content-type": "application/xml"}, _ACCESS_DENIED
            return original(self, request, full_url, *args, **kwargs)
        return wrapper

    s3_responses.S3Response._bucket_response = guard(s3_responses.S3Response._bucket_response)
    s3_responses.S3Response._key_response = guard(s3_responses.S3Response._key_response)


def _bool_operation(expected_value, actual_value):
    expected = expected_value if isinstance(expected_value, list) else [expected_value]
    return str(actual_value).lower() in [str(value).lower() for value in expected]


def _conditions_hold(conditions, values):
    """IAM semantics: every operator block and every key in it must match. Operators this sandbox does not
    evaluate, and keys the request has no value for, are treated as matching (as moto does)."""
    for operator, block in (conditions or {}).items():
        operation = policy_conditions.CONDITION_OPERATIONS.get(operator)
        if operation is None:
            continue
        for key, expected in block.items():
            if key in values and not operation(expected, values[key]):
                return False
    return True


def _s3_secure_transport_condition():
    """AWS: a bucket policy statement ``Deny ... Condition: {Bool: {aws:SecureTransport: "false"}}`` denies only
    requests made without TLS. moto 5.2 ignores every condition operator but StringEquals, so such a Deny denies
    *every* object request and Terraform could not write its state at all.

    This restores the ``Bool`` operator and gives bucket policies the request's ``aws:SecureTransport``. The sandbox
    serves plain HTTP on loopback in place of AWS's HTTPS endpoints, so a request counts as TLS unless it says it was
    not: ``X-Forwarded-Proto: http`` (the header a TLS-terminating proxy adds) makes it insecure, which is how the
    tests prove the deny statement works."""
    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", _bool_operation)
    original = s3_models.FakeBucket.get_permission

    def get_permission(self, action, resource):
        from moto.iam.access_control import IAMPolicyStatement, PermissionResult
        if self.policy is None:
            return original(self, action, resource)
        headers = getattr(_REQUEST, "headers", None) or {}
        secure = (headers.get("x-forwarded-proto") or "https").lower() == "https"
        values = {"aws:SecureTransport": "true" if secure else "false"}
        statements = json.loads(self.policy.decode())["Statement"]
        verdicts = []
        # A statement whose condition does not hold does not apply (moto answers DENIED for it, even for a Deny).
        for statement in statements if isinstance(statements, list) else [statements]:
            if not _conditions_hold(statement.get("Condition"), values):
                continue
            unconditional = dict((k, v) for k, v in statement.items() if k != "Condition")
            verdicts.append(IAMPolicyStatement(unconditional).is_action_permitted(action, resource))
        if PermissionResult.DENIED in verdicts:
            return PermissionResult.DENIED
        return PermissionResult.PERMITTED if PermissionResult.PERMITTED in verdicts else PermissionResult.NEUTRAL

    s3_models.FakeBucket.get_permission = get_permission


_REPLICATION_RULE_FIELDS = ("ID", "Priority", "Prefix", "Filter", "Status", "SourceSelectionCriteria",
                            "ExistingObjectReplication", "Destination", "DeleteMarkerReplication")


def _s3_replication_keeps_rule_fields():
    """AWS: GetBucketReplication returns each rule as PutBucketReplication stored it - its Filter,
    DeleteMarkerReplication and SourceSelectionCriteria (``SseKmsEncryptedObjects: Enabled``, without which S3 never
    replicates SSE-KMS objects). moto 5.2 drops SourceSelectionCriteria and answers a fixed Filter and
    DeleteMarkerReplication, so an idempotent module saw a change on every run and a check could not see whether
    KMS-encrypted objects replicate."""
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError

    def rule_view(rule):
        view = dict((field, rule[field]) for field in _REPLICATION_RULE_FIELDS if field in rule)
        view["Priority"] = int(view.get("Priority") or 1)
        if "Prefix" not in view:  # the V2 schema (Filter); moto's XML parser leaves an empty <Prefix/> as None
            rule_filter = dict(view.get("Filter") or {})
            if rule_filter.get("Prefix", "") is None or not rule_filter:
                rule_filter["Prefix"] = ""
            view["Filter"] = rule_filter
            view.setdefault("DeleteMarkerReplication", {"Status": "Disabled"})
        return view

    def get_bucket_replication(self):
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        rules = [rule_view(rule) for rule in replication["Rule"]]
        return self.serialized(ActionResult({"ReplicationConfiguration": {"Role": replication["Role"],
                                                                          "Rules": rules}}))

    s3_responses.S3Response.get_bucket_replication = get_bucket_replication


def _kms_aws_managed_keys():
    """AWS: the keys behind the reserved aliases ``alias/aws/s3``, ``alias/aws/dynamodb`` ... are AWS managed keys
    (``KeyManager: AWS``); only keys a customer creates are ``CUSTOMER``. moto 5.2 creates them as CUSTOMER keys, so
    "SSE with the AWS managed key" would pass a customer-managed-key check. Nobody can create an ``alias/aws/`` alias
    on AWS, so marking every key such an alias points to as AWS managed is exact."""
    original = kms_models.KmsBackend.create_alias

    def create_alias(self, target_key_id, alias_name):
        result = original(self, target_key_id, alias_name)
        if alias_name.startswith("alias/aws/"):
            key = self.keys.get(self.get_key_id(target_key_id))
            if key is not None:
                key.key_manager = "AWS"
        return result

    kms_models.KmsBackend.create_alias = create_alias


def _dynamodb_update_table_sse():
    """AWS: UpdateTable with ``SSESpecification`` switches a table's encryption (to a customer managed KMS key, to
    the AWS managed key, or back to the AWS owned key) in place. moto 5.2 ignores the parameter, so a module that
    fixes a table's encryption would report a change on every run."""
    original = dynamodb_responses.DynamoHandler.update_table

    def update_table(self):
        spec = self.body.get("SSESpecification")
        if spec is not None:
            table = self.dynamodb_backend.get_table(self.body["TableName"])
            spec = dict(spec)
            if spec.get("Enabled"):
                spec.setdefault("SSEType", "KMS")
                if "KMSMasterKeyId" not in spec:
                    spec["KMSMasterKeyId"] = table._get_default_encryption_key(self.current_account, self.region)
                table.sse_specification = spec
            else:
                table.sse_specification = None
        return original(self)

    dynamodb_responses.DynamoHandler.update_table = update_table


def _dynamodb_table_id():
    """AWS: DescribeTable (and CreateTable, UpdateTable) return ``TableId``, a UUID fixed at creation.
    community.aws.dynamodb_table reads it and fails without it."""
    original = dynamodb_table.Table.describe

    def describe(self, base_key="TableDescription"):
        if not getattr(self, "_sandbox_table_id", None):
            self._sandbox_table_id = str(uuid.uuid4())
        results = original(self, base_key)
        results[base_key]["TableId"] = self._sandbox_table_id
        return results

    dynamodb_table.Table.describe = describe


def _secrets_manager_rotation_leaves_awscurrent_to_the_function():
    """AWS: RotateSecret creates the empty AWSPENDING version, answers with its id and invokes the function; only
    finishSecret (UpdateSecretVersionStage) moves AWSCURRENT, removing AWSPENDING from that version in the same call;
    GetSecretValue without a stage returns AWSCURRENT. moto 5.2 points its default version at the empty AWSPENDING
    version after RotateSecret (its invoke cannot run here: no Docker), so GetSecretValue fails; and
    UpdateSecretVersionStage moves neither the default version nor AWSPENDING, so RotateSecret refuses later
    rotations. (Not restored: RotateSecret without RotationLambdaARN clearing the configured function; the role and
    tests always pass the ARN.)"""
    backend = secretsmanager_models.SecretsManagerBackend
    original_rotate_secret = backend.rotate_secret
    original_update_secret_version_stage = backend.update_secret_version_stage

    def follow_awscurrent(secret):
        for version_id, version in secret.versions.items():
            if "AWSCURRENT" in version["version_stages"]:
                secret.default_version_id = version_id

    def rotate_secret(self, secret_id, *args, **kwargs):
        response = original_rotate_secret(self, secret_id, *args, **kwargs)
        follow_awscurrent(self.secrets[secret_id])  # after the response (it carries the new version id) is built
        return response

    def update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id):
        result = original_update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id,
                                                      move_to_version_id)
        secret = self.secrets[secret_id]
        if version_stage == "AWSCURRENT" and move_to_version_id:
            stages = secret.versions[move_to_version_id]["version_stages"]
            if "AWSPENDING" in stages:
                stages.remove("AWSPENDING")
        follow_awscurrent(secret)
        return result

    backend.rotate_secret = rotate_secret
    backend.update_secret_version_stage = update_secret_version_stage


def _rds_restore_with_kms_key_is_encrypted():
    """AWS: RestoreDBClusterFromSnapshot with KmsKeyId restores a cluster encrypted under that key - also from an
    unencrypted snapshot, which is how Aurora clusters get encrypted - and DescribeDBClusters reports the key's ARN.
    moto 5.2 copies the snapshot's StorageEncrypted (false) and echoes the id as given, so amazon.aws.rds_cluster
    (creation_source: snapshot, kms_key_id) restores an unencrypted cluster there."""
    original = RDSBackend.restore_db_cluster_from_snapshot
    if getattr(original, "coder_patched", False):
        return

    def restore_db_cluster_from_snapshot(self, from_snapshot_id, overrides):
        if overrides.get("kms_key_id"):
            overrides = dict(overrides, kms_key_id=self._validate_kms_key(overrides["kms_key_id"]),
                             storage_encrypted=True)
        return original(self, from_snapshot_id, overrides)

    restore_db_cluster_from_snapshot.coder_patched = True
    RDSBackend.restore_db_cluster_from_snapshot = restore_db_cluster_from_snapshot


def _rds_cluster_instances_carry_the_cluster_subnet_group():
    """AWS: DescribeDBInstances shows an Aurora instance's DBSubnetGroup (its cluster's). moto 5.2 leaves the key out
    for an instance created into a cluster without DBSubnetGroupName, and amazon.aws.rds_instance reads
    instance["DBSubnetGroup"]["DBSubnetGroupName"] whenever it compares an existing instance (KeyError on re-runs)."""
    original = RDSBackend.create_db_instance
    if getattr(original, "coder_patched", False):
        return

    def create_db_instance(self, db_kwargs):
        cluster = self.clusters.get(db_kwargs.get("db_cluster_identifier") or "")
        if (cluster is not None and not db_kwargs.get("db_subnet_group_name")
                and cluster.db_subnet_group_name in self.subnet_groups):
            db_kwargs = dict(db_kwargs, db_subnet_group_name=cluster.db_subnet_group_name)
        return original(self, db_kwargs)

    create_db_instance.coder_patched = True
    RDSBackend.create_db_instance = create_db_instance


def _iam_statement_resource_applies_to_unknown_resources():
    """AWS: an identity policy statement allows its actions on the resources its ``Resource`` element names
    (``arn:aws:kms:*:123456789012:key/*``, ``arn:aws:dynamodb:us-east-2:123456789012:table/locks``), so a policy scoped
    to the resources a role touches allows exactly those calls. moto 5.2 works out the request's resource only for S3,
    IAM (roles), STS (AssumeRole) and SQS; every other request is evaluated against the resource ``"*"``
    (``BaseResponse.call_action``), and ``IAMPolicyStatement._match`` turns the statement's Resource into a regular
    expression that ``"*"`` never matches - so under IAM enforcement moto denies every correctly scoped statement and
    allows only ``Resource: "*"``, the opposite of least privilege.

    Restored as far as moto can know it: when moto does not know the request's resource (``"*"``), a statement's
    Resource element matches, so the statement's *actions* are still enforced (a missing action is denied, as on
    AWS). Requests whose resource moto does know keep moto's evaluation: S3 bucket and object ARNs, IAM role ARNs.

    Not restored, and cannot be: which resource a KMS, DynamoDB, EC2, CloudWatch Logs, ECR ... request touches.
    Resource scoping outside S3 and IAM roles is therefore not enforced by the sandbox (a statement scoped to the
    wrong table still allows the call here), and a Deny statement scoped to a resource denies its action on every
    resource moto cannot name. tests/unit/test_iam_policies.py checks the policies' Resource patterns against the
    ARNs the modules touch instead. Conditions are not evaluated for identity policies either (moto 5.2 compares only
    the keys a request supplies, and supplies none), so ``iam:PassedToService`` or ``kms:ViaService`` conditions
    are documentation here."""
    from moto.iam.access_control import IAMPolicyStatement

    original = IAMPolicyStatement._check_element_matches
    if getattr(original, "coder_patched", False):
        return

    def _check_element_matches(self, statement_element, value):
        if statement_element == "Resource" and value == "*":
            return True
        return original(self, statement_element, value)

    _check_element_matches.coder_patched = True
    IAMPolicyStatement._check_element_matches = _check_element_matches


# Bucket-level S3 requests: (subresource in the query string, method) -> the IAM action AWS authorizes
# (Amazon S3 API reference, "Permissions" of each operation; Service Authorization Reference, Amazon S3).
_S3_BUCKET_ACTIONS = {
    "versioning": {"GET": "GetBucketVersioning", "PUT": "PutBucketVersioning"},
    "encryption": {"GET": "GetEncryptionConfiguration", "PUT": "PutEncryptionConfiguration",
                   "DELETE": "PutEncryptionConfiguration"},
    "publicAccessBlock": {"GET": "GetBucketPublicAccessBlock", "PUT": "PutBucketPublicAccessBlock",
                          "DELETE": "PutBucketPublicAccessBlock"},
    "ownershipControls": {"GET": "GetBucketOwnershipControls", "PUT": "PutBucketOwnershipControls",
                          "DELETE": "PutBucketOwnershipControls"},
    "policyStatus": {"GET": "GetBucketPolicyStatus"},
    "policy": {"GET": "GetBucketPolicy", "PUT": "PutBucketPolicy", "DELETE": "DeleteBucketPolicy"},
    "lifecycle": {"GET": "GetLifecycleConfiguration", "PUT": "PutLifecycleConfiguration",
                  "DELETE": "PutLifecycleConfiguration"},
    "replication": {"GET": "GetReplicationConfiguration", "PUT": "PutReplicationConfiguration",
                    "DELETE": "PutReplicationConfiguration"},
    "tagging": {"GET": "GetBucketTagging", "PUT": "PutBucketTagging", "DELETE": "PutBucketTagging"},
    "acl": {"GET": "GetBucketAcl", "PUT": "PutBucketAcl"},
    "logging": {"GET": "GetBucketLogging", "PUT": "PutBucketLogging"},
    "cors": {"GET": "GetBucketCORS", "PUT": "PutBucketCORS", "DELETE": "PutBucketCORS"},
    "website": {"GET": "GetBucketWebsite", "PUT": "PutBucketWebsite", "DELETE": "DeleteBucketWebsite"},
    "notification": {"GET": "GetBucketNotification", "PUT": "PutBucketNotification"},
    "accelerate": {"GET": "GetAccelerateConfiguration", "PUT": "PutAccelerateConfiguration"},
    "object-lock": {"GET": "GetBucketObjectLockConfiguration", "PUT": "PutBucketObjectLockConfiguration"},
    "location": {"GET": "GetBucketLocation"},
    "versions": {"GET": "ListBucketVersions"},
    "uploads": {"GET": "ListBucketMultipartUploads"},
}
_S3_BUCKET_DEFAULT_ACTIONS = {"HEAD": "ListBucket", "GET": "ListBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}


def s3_bucket_iam_action(method, query):
    """The IAM action AWS authorizes for a bucket-level S3 request (None: leave moto's choice)."""
    for subresource, actions in _S3_BUCKET_ACTIONS.items():
        if subresource in query:
            return actions.get(method)
    return _S3_BUCKET_DEFAULT_ACTIONS.get(method)


def _s3_requests_authorize_their_iam_action():
    """AWS: every S3 operation is authorized as the IAM action its documentation names, which is often not the
    operation's name: HeadBucket needs ``s3:ListBucket``, Get/PutBucketEncryption ``s3:Get/PutEncryptionConfiguration``,
    Get/PutPublicAccessBlock ``s3:Get/PutBucketPublicAccessBlock``, Get/PutBucketReplication
    ``s3:Get/PutReplicationConfiguration``, ListObjectVersions ``s3:ListBucketVersions``. moto 5.2 authorizes the
    bucket-level requests through its own table, which names actions IAM does not have (``s3:HeadBucket``) and falls
    back to ``s3:ListBucket`` / ``s3:CreateBucket`` for every GET / PUT it does not list (encryption, replication,
    ownership controls, public access block): under IAM enforcement a policy with AWS's action names was denied and
    PutBucketEncryption was allowed by ``s3:CreateBucket``.

    This authorizes bucket-level requests as AWS does (``s3_bucket_iam_action``), for the operations the collection
    and its tests use and their siblings; object-level requests keep moto's table (GetObject for GET and HEAD,
    PutObject, DeleteObject ..., which matches AWS for the calls made here). The action moto records for the response
    is put back afterwards, so serialization is unchanged."""
    from urllib.parse import parse_qs

    original = s3_responses.S3Response._authenticate_and_authorize_s3_action
    if getattr(original, "coder_patched", False):
        return

    def authorize(self, bucket_name=None, key_name=None):
        action = None
        if bucket_name and not key_name and self.method in ("HEAD", "GET", "PUT", "DELETE"):
            query = parse_qs(self.parsed_url.query, keep_blank_values=True)
            action = s3_bucket_iam_action(self.method, query)
        if action is None:
            return original(self, bucket_name=bucket_name, key_name=key_name)
        recorded = self.data.get("Action")
        self.data["Action"] = action
        try:
            return original(self, bucket_name=bucket_name, key_name=key_name)
        finally:
            self.data["Action"] = recorded

    authorize.coder_patched = True
    s3_responses.S3Response._authenticate_and_authorize_s3_action = authorize


AUDIT_LOG_PREFIX = "sandbox-iam"
_AUDIT_LOCK = threading.Lock()
_AUDIT_RECORD = re.compile(r"%s (allowed|denied) principal=(\S+) action=(\S+) resource=(\S+)$" % AUDIT_LOG_PREFIX)


def _iam_decisions_are_recorded():
    """AWS: CloudTrail records every management call with the principal, the action (eventName), the resources and,
    for a denial, ``errorCode: AccessDenied``; that record is how an operator finds the permission a role lacks, and
    which granted permissions it never uses. moto 5.2 records nothing, and its S3 denials name neither the action nor
    the resource (``Access Denied``).

    While IAM enforcement is on, this writes one line per authorization decision to the server's stderr (the
    sandbox's ``sandbox.log``)::

        sandbox-iam denied principal=arn:aws:iam::123456789012:user/gate action=s3:PutObject resource=arn:aws:s3:::b/k
        sandbox-iam allowed principal=arn:aws:iam::123456789012:user/gate action=kms:DescribeKey resource=*

    ``resource=*`` means moto does not know the request's resource (see
    ``_iam_statement_resource_applies_to_unknown_resources``). Nothing is written while enforcement is off.
    ``iam_audit_records(text)`` parses the lines back."""
    import sys

    from moto.iam import access_control

    base = access_control.IAMRequestBase
    if getattr(base.check_action_permitted, "coder_patched", False):
        return
    original_check = base.check_action_permitted

    def record(request, decision, resource):
        line = "%s %s principal=%s action=%s resource=%s\n" % (AUDIT_LOG_PREFIX, decision, request._access_key.arn,
                                                               request._action, resource)
        with _AUDIT_LOCK:  # moto serves requests on many threads: one whole line at a time
            sys.stderr.write(line)
            sys.stderr.flush()

    def check_action_permitted(self, resource):
        self._coder_resource = resource
        result = original_check(self, resource)  # raises on a denial, after _raise_access_denied recorded it
        record(self, "allowed", resource)
        return result

    check_action_permitted.coder_patched = True
    base.check_action_permitted = check_action_permitted

    def recording(original):
        def _raise_access_denied(self):
            record(self, "denied", getattr(self, "_coder_resource", "?"))
            return original(self)
        return _raise_access_denied

    for request_class in (access_control.IAMRequest, access_control.S3IAMRequest):
        request_class._raise_access_denied = recording(request_class._raise_access_denied)


def iam_audit_records(text):
    """[{decision, principal, action, resource}] from the lines ``_iam_decisions_are_recorded`` wrote."""
    records = []
    for line in text.splitlines():
        match = _AUDIT_RECORD.match(line)
        if match:
            records.append(dict(zip(("decision", "principal", "action", "resource"), match.groups())))
    return records


def apply_all():
    _ecr_digest_is_manifest_sha256()
    _s3_expected_bucket_owner()
    _s3_secure_transport_condition()
    _s3_replication_keeps_rule_fields()
    _kms_aws_managed_keys()
    _dynamodb_update_table_sse()
    _dynamodb_table_id()
    _secrets_manager_rotation_leaves_awscurrent_to_the_function()
    _rds_restore_with_kms_key_is_encrypted()
    _rds_cluster_instances_carry_the_cluster_subnet_group()
    _iam_statement_resource_applies_to_unknown_resources()
    _s3_requests_authorize_their_iam_action()
    _iam_decisions_are_recorded()
