# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM policy documents: the one place that says what a policy means.

- ``denies_insecure_transport(policy, bucket)``: whether a bucket policy denies every request without TLS to the
  bucket and every one of its objects. The data-protection judge (``tls.s3_deny_insecure``) and the state backend
  converger (``terraform_state_backend``) both ask this function, so they cannot disagree.
- ``arn_like(pattern, arn)`` and ``covers_every_object(pattern, bucket_arn)``: IAM's matching of a ``Resource`` entry,
  as the IAM User Guide ("IAM JSON policy elements: Resource", "Using wildcards in resource ARNs") states it:
  ``*`` is any run of characters and ``?`` any one character, inside one colon-separated ARN segment; a ``*`` that is
  the last character of a segment may expand beyond the colon boundaries; within a segment ``*`` also spans ``/``
  (so ``arn:aws:s3:::bucket/*`` is every object). Matching is case sensitive. So ``arn:aws:s3:::tfstate*`` names the
  bucket ``tfstate-prod`` *and* every object in it.
- ``policies_differ(current, desired)``: amazon.aws's ``compare_policies`` (``arn:aws:iam::123456789012:root`` and
  ``123456789012`` are the same principal, ``"*"`` and ``{"AWS": "*"}`` too, order and single values do not matter).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

TLS_STATEMENT_SID = "DenyInsecureTransport"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
SECURE_TRANSPORT = "aws:securetransport"  # condition key names are case insensitive
TLS_OPERATORS = ("bool", "boolifexists")
EVERY_S3_ACTION = ("s3:*", "*")


def as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements_of(policy):
    """The statements of a policy document (a single statement may be written without the list)."""
    if not isinstance(policy, dict):
        return []
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, dict)]


def policies_differ(current, desired):
    """True when the two documents grant differently (None is no policy at all)."""
    if current is None or desired is None:
        return (current is None) != (desired is None)
    return compare_policies(current, desired)


def policies_equal(left, right):
    return not policies_differ(left, right)


def bucket_arn(bucket, partition="aws"):
    return "arn:%s:s3:::%s" % (partition, bucket)


# --- IAM's Resource matching ---------------------------------------------------------------------------------------
def _pattern_regex(pattern):
    """The regular expression of one Resource entry (see the module docstring for the rules)."""
    parts = []
    for index, char in enumerate(pattern):
        if char == "*":
            last_of_segment = index + 1 == len(pattern) or pattern[index + 1] == ":"
            parts.append(".*" if last_of_segment else "[^:]*")
        elif char == "?":
            parts.append("[^:]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def arn_like(pattern, arn):
    """Whether the Resource entry ``pattern`` names ``arn``."""
    pattern = str(pattern)
    if pattern == "*":
        return True
    return re.match("(?s)^%s$" % _pattern_regex(pattern), arn) is not None


def covers_every_object(pattern, bucket_arn_value):
    """Whether ``pattern`` names every object of the bucket, whatever its key: then it names ``<bucket arn>/`` followed
    by anything, which holds exactly when the pattern ends in a ``*`` that may run to the end (the last character of
    its segment, which is the last segment) and the part before that ``*`` names some prefix of ``<bucket arn>/``."""
    pattern = str(pattern)
    if pattern == "*":
        return True
    if not pattern.endswith("*"):
        return False
    head = pattern.rstrip("*")
    prefix = bucket_arn_value + "/"
    head_regex = re.compile("(?s)^%s$" % _pattern_regex(head))
    return any(head_regex.match(prefix[:length]) for length in range(len(prefix) + 1))


# --- the TLS-only rule ---------------------------------------------------------------------------------------------
def tls_deny_statement(bucket, partition="aws"):
    """The statement this collection writes: deny everyone every S3 action on the bucket and its objects without TLS."""
    arn = bucket_arn(bucket, partition)
    return {"Sid": TLS_STATEMENT_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, arn + "/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def _is_everyone(principal):
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in [str(p) for p in as_list(principal.get("AWS"))]


def _denies_every_s3_action(actions):
    return any(str(action).lower() in EVERY_S3_ACTION for action in as_list(actions))


def _condition_is_only_insecure_transport(condition):
    """The condition holds exactly for requests without TLS: one Bool/BoolIfExists test of aws:SecureTransport that
    accepts false, and nothing else (every other key would narrow the deny to some of those requests)."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return False
    operator, block = list(condition.items())[0]
    if str(operator).lower() not in TLS_OPERATORS or not isinstance(block, dict) or len(block) != 1:
        return False
    key, values = list(block.items())[0]
    return str(key).lower() == SECURE_TRANSPORT and any(str(v).lower() == "false" for v in as_list(values))


def statement_denies_insecure_transport(statement, bucket, partition=None):
    """Whether one statement denies every principal every S3 action on the bucket and each of its objects whenever a
    request does not use TLS - under any Sid, as people write it by hand too. ``partition`` None accepts the ARNs of
    any partition (a judge that does not know it); a converger passes its own."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    if "NotPrincipal" in statement or not _is_everyone(statement.get("Principal")):
        return False
    if "NotAction" in statement or not _denies_every_s3_action(statement.get("Action")):
        return False
    if "NotResource" in statement or not _condition_is_only_insecure_transport(statement.get("Condition")):
        return False
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    for candidate in (partition,) if partition else PARTITIONS:
        arn = bucket_arn(bucket, candidate)
        if any(arn_like(r, arn) for r in resources) and any(covers_every_object(r, arn) for r in resources):
            return True
    return False


def denies_insecure_transport(policy, bucket, partition=None):
    """Whether some statement of the bucket policy denies insecure transport for the bucket and all its objects."""
    return any(statement_denies_insecure_transport(s, bucket, partition) for s in statements_of(policy))
