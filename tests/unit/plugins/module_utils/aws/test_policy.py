# -*- coding: utf-8 -*-
"""plugins/module_utils/aws/policy.py: IAM's Resource matching, the one TLS-deny rule, amazon.aws's comparison.

The judge (tls.s3_deny_insecure in checks/baseline.py) and the converger (planners/state_backend.py, behind
terraform_state_backend) must say the same of every bucket policy; the agreement tests below feed both.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.aws import policy
from ansible_collections.coder.ai_platform.plugins.module_utils.checks import baseline as bc
from ansible_collections.coder.ai_platform.plugins.module_utils.planners import state_backend as sb

BUCKET = "tfstate-prod"


def deny(resource, **changes):
    statement = {"Sid": "Hand", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": resource,
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    statement.update(changes)
    return {"Version": "2012-10-17", "Statement": [statement]}


# --- IAM's Resource matching (User Guide: "Using wildcards in resource ARNs") ---------------------------------------
@pytest.mark.parametrize("pattern,arn,expected", [
    ("arn:aws:s3:::tfstate*", "arn:aws:s3:::tfstate-prod", True),
    ("arn:aws:s3:::tfstate*", "arn:aws:s3:::tfstate-prod/env/prod/terraform.tfstate", True),  # * spans /
    ("arn:aws:s3:::tfstate*", "arn:aws:s3:::prod-tfstate", False),
    ("arn:aws:s3:::tfstate?prod", "arn:aws:s3:::tfstate-prod", True),
    ("arn:aws:s3:::tfstate?", "arn:aws:s3:::tfstate-prod", False),  # ? is exactly one character
    ("arn:aws:s3:::TFSTATE*", "arn:aws:s3:::tfstate-prod", False),  # case sensitive
    ("arn:aws:s3:::tfstate[-]prod", "arn:aws:s3:::tfstate-prod", False),  # no character classes, unlike fnmatch
    ("arn:aws:s3:::tfstate[-]prod", "arn:aws:s3:::tfstate[-]prod", True),
    ("arn:*:s3:::tfstate-prod", "arn:aws-us-gov:s3:::tfstate-prod", True),
    ("arn:aws:s3:::b/*.tfstate", "arn:aws:s3:::b/x:y.tfstate", False),  # a * inside a segment stops at a colon
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/x:y.tfstate", True),  # a segment's last * runs past colons
    ("*", "arn:aws:s3:::anything", True),
])
def test_arn_like(pattern, arn, expected):
    assert policy.arn_like(pattern, arn) is expected


@pytest.mark.parametrize("pattern,expected", [
    ("arn:aws:s3:::tfstate*", True),
    ("arn:aws:s3:::tfstate-prod/*", True),
    ("arn:aws:s3:::tfstate-prod*", True),
    ("arn:aws:s3:::tfstate-pro?/*", True),
    ("arn:aws:s3:::*", True),
    ("*", True),
    ("arn:aws:s3:::tfstate-prod", False),  # the bucket, not its objects
    ("arn:aws:s3:::tfstate-prod/env/*", False),  # some objects only
    ("arn:aws:s3:::tfstate-prod/*.tfstate", False),
    ("arn:aws:s3:::tfstate-prod/*x*", False),
    ("arn:aws:s3:::other/*", False),
])
def test_covers_every_object(pattern, expected):
    assert policy.covers_every_object(pattern, "arn:aws:s3:::tfstate-prod") is expected


# --- the TLS-deny rule, and the judge and converger agreeing on it -------------------------------------------------
AGREEMENT = [
    # (why, policy, denies insecure transport for tfstate-prod and all its objects)
    ("the tfstate* wildcard names the bucket and every object in it", deny("arn:aws:s3:::tfstate*"), True),
    ("what terraform_state_backend writes", {"Statement": [policy.tls_deny_statement(BUCKET)]}, True),
    ("bucket and bucket/*", deny(["arn:aws:s3:::tfstate-prod", "arn:aws:s3:::tfstate-prod/*"]), True),
    ("Resource *", deny("*"), True),
    ("a single statement, not a list", {"Statement": deny("*")["Statement"][0]}, True),
    ("BoolIfExists, JSON false, Principal AWS *", deny("*", Principal={"AWS": ["*"]}, Action=["s3:*"],
                                                       Condition={"BoolIfExists": {"aws:SecureTransport": False}}),
     True),
    ("key names are case insensitive", deny("*", Condition={"Bool": {"aws:securetransport": "false"}}), True),
    ("tfstate* does not name prod-tfstate's sibling", deny("arn:aws:s3:::prod-*"), False),
    ("the bucket only", deny("arn:aws:s3:::tfstate-prod"), False),
    ("the objects only", deny("arn:aws:s3:::tfstate-prod/*"), False),
    ("some objects only", deny(["arn:aws:s3:::tfstate-prod", "arn:aws:s3:::tfstate-prod/env/*"]), False),
    ("tfstate? is one character", deny("arn:aws:s3:::tfstate?"), False),
    ("Allow", deny("*", Effect="Allow"), False),
    ("one principal", deny("*", Principal={"AWS": "arn:aws:iam::123456789012:root"}), False),
    ("NotPrincipal", deny("*", Principal=None, NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"}), False),
    ("some actions", deny("*", Action="s3:Get*"), False),
    ("NotAction", deny("*", Action=None, NotAction="s3:GetObject"), False),
    ("NotResource", deny(None, NotResource="arn:aws:s3:::elsewhere/*"), False),
    ("TLS requests", deny("*", Condition={"Bool": {"aws:SecureTransport": "true"}}), False),
    ("no condition: denies everything, not a TLS rule", deny("*", Condition={}), False),
    ("a narrower condition", deny("*", Condition={"Bool": {"aws:SecureTransport": "false"},
                                                  "StringEquals": {"aws:PrincipalAccount": "123456789012"}}), False),
    ("another operator", deny("*", Condition={"StringEquals": {"aws:SecureTransport": "false"}}), False),
    ("no policy", None, False),
]


@pytest.mark.parametrize("why,document,expected", AGREEMENT, ids=[row[0] for row in AGREEMENT])
def test_judge_and_converger_agree(why, document, expected):
    assert policy.denies_insecure_transport(document, BUCKET) is expected, why
    # The judge: tls.s3_deny_insecure over the one bucket.
    facts = {"region": "us-east-2", "sections": ["s3"], "errors": {},
             "s3": {"buckets": [{"name": BUCKET, "policy": document, "error": None}]}}
    verdict = bc.check_s3_tls({"us-east-2": facts}, bc.baseline_settings({"now": "2026-11-25T10:00:00Z"}))
    assert verdict["status"] == ("pass" if expected else "fail"), (why, verdict["summary"])
    # The converger: leaves a compliant policy as it is, adds its statement to the others.
    desired, changed = sb.desired_bucket_policy(document, BUCKET, "aws")
    assert changed is (not expected), why
    assert policy.denies_insecure_transport(desired, BUCKET, "aws")
    if changed and document:
        kept = [s for s in policy.statements_of(document) if s.get("Sid") != policy.TLS_STATEMENT_SID]
        assert desired["Statement"][:-1] == kept


def test_partitions():
    cn = deny(["arn:aws-cn:s3:::tfstate-prod", "arn:aws-cn:s3:::tfstate-prod/*"])
    assert policy.denies_insecure_transport(cn, BUCKET)  # a judge that does not know the partition
    assert policy.denies_insecure_transport(cn, BUCKET, "aws-cn")
    assert not policy.denies_insecure_transport(cn, BUCKET, "aws")  # a converger in aws must write its own
    assert policy.tls_deny_statement(BUCKET, "aws-cn")["Resource"] == ["arn:aws-cn:s3:::tfstate-prod",
                                                                       "arn:aws-cn:s3:::tfstate-prod/*"]


def test_statements_of_odd_documents():
    assert policy.statements_of("not a dict") == []
    assert policy.statements_of({}) == []
    assert policy.statements_of({"Statement": ["junk", {"Effect": "Deny"}]}) == [{"Effect": "Deny"}]


# --- amazon.aws's compare_policies ----------------------------------------------------------------------------------
def test_a_root_arn_and_its_account_id_compare_equal():
    left = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
    right = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"],
                                                     "Principal": {"AWS": "123456789012"}}]}
    assert policy.policies_equal(left, right) and not policy.policies_differ(left, right)
    right["Statement"][0]["Principal"]["AWS"] = "210987654321"
    assert policy.policies_differ(left, right)


def test_missing_policies():
    assert policy.policies_equal(None, None)
    assert policy.policies_differ(None, {"Statement": []})
    assert policy.policies_differ({"Statement": []}, None)
