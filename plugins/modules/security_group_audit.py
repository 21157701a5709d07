#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: security_group_audit
short_description: Audit security groups for least privilege and, only when asked, revoke the offending rules
version_added: 0.1.0
description:
  - Finds ingress rules open to C(0.0.0.0/0) or C(::/0) on anything but the allowed TCP/UDP ports
    (C(public_ingress)), all-protocol (C(IpProtocol -1)) ingress rules from any other source (C(any_protocol)),
    and groups attached to no network interface (unused; the VPC default group is reported separately).
  - Dry run by default - nothing changes, and RV(would_revoke) and the diff list what O(remediate=true) would
    revoke. With O(remediate=true) it revokes exactly those rule sources (one source of a rule at a time, so the
    rule's other sources stay) and nothing else. Revoking ingress is the only write this module ever makes; it never
    deletes a group, and egress rules are not audited.
  - A group referencing itself with an all-protocol rule (members of one group talking to each other, as the EKS
    cluster security group and AWS's default group do) is not a finding unless O(exempt_self_reference=false).
author:
  - Coder platform team (@coder)
options:
  allowed_public_ports:
    description: TCP/UDP ports that may be open to the whole internet.
    type: list
    elements: int
    default: [443, 80]
  remediate:
    description: Revoke the findings of the kinds in O(remediate_findings). V(false) is a dry run.
    type: bool
    default: false
  remediate_findings:
    description: The finding kinds O(remediate=true) revokes.
    type: list
    elements: str
    choices: [public_ingress, any_protocol]
    default: [public_ingress]
  exempt_self_reference:
    description: Do not report all-protocol rules whose source is the group itself.
    type: bool
    default: true
  group_ids:
    description: Audit only these security groups. Empty audits every group the other filters select.
    type: list
    elements: str
    default: []
  vpc_ids:
    description: Audit only the groups of these VPCs. Empty means every VPC.
    type: list
    elements: str
    default: []
  filters:
    description:
      - "EC2 DescribeSecurityGroups filters, as a dict of filter name to value or list of values, for example
        C({\"tag:team\": \"platform\"})."
    type: dict
    default: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: full
    details: The diff shows each affected group's ingress before and after revocation, also on a dry run.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: aws
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Dry run - what is too open?
  coder.ai_platform.security_group_audit:
    region: us-east-2
  register: audit

- name: Revoke public rules on ports other than 443 in the platform VPC
  coder.ai_platform.security_group_audit:
    region: us-east-2
    vpc_ids: [vpc-0123456789abcdef0]
    allowed_public_ports: [443]
    remediate: true
"""

RETURN = r"""
findings:
  description:
    - One entry per offending (rule, source) - C(group_id), C(group_name), C(vpc_id), C(kind) (C(public_ingress) or
      C(any_protocol)), C(rule) (for example C(tcp 22 from 0.0.0.0/0)), C(summary), C(revoke) (the IpPermissions
      entry that removes it).
  returned: always
  type: list
  elements: dict
unused:
  description: Groups attached to no network interface (C(group_id), C(group_name), C(vpc_id)), VPC default groups excepted.
  returned: always
  type: list
  elements: dict
unused_default:
  description: VPC default groups attached to no network interface.
  returned: always
  type: list
  elements: dict
groups:
  description: Number of groups audited.
  returned: always
  type: int
would_revoke:
  description: The rules O(remediate=true) revokes (or revoked), as C(group_id) and C(rule).
  returned: always
  type: list
  elements: dict
revoked:
  description: The rules actually revoked by this run (empty on a dry run and in check mode).
  returned: always
  type: list
  elements: dict
diff:
  description: Per affected group, its ingress rules before and after revocation (also on a dry run).
  returned: always
  type: list
  elements: dict
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code, paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.coder.ai_platform.plugins.module_utils.planners.security_groups import (
    FINDING_KINDS, audit, group_diff, interface_counts, normalize_group, revoke_plan, revoked_lines,
)


def read_groups(module, client):
    filters = dict(module.params["filters"])
    if module.params["vpc_ids"]:
        filters["vpc-id"] = module.params["vpc_ids"]
    query = {"Filters": ansible_dict_to_boto3_filter_list(filters)} if filters else {}
    if module.params["group_ids"]:
        query["GroupIds"] = module.params["group_ids"]
    try:
        groups = paginated_query_with_retries(client, "describe_security_groups", **query)["SecurityGroups"]
        interfaces = paginated_query_with_retries(client, "describe_network_interfaces")["NetworkInterfaces"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read the security groups in %s" % module.region)
    counts = interface_counts(interfaces)
    return [normalize_group(g, counts.get(g.get("GroupId"), 0)) for g in groups]


def revoke(module, client, group_id, permissions):
    try:
        client.revoke_security_group_ingress(aws_retry=True, GroupId=group_id, IpPermissions=permissions)
    except is_boto3_error_code("InvalidPermission.NotFound"):
        return False  # gone since we read it: the end state is what was asked for
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not revoke %s from %s" % (revoked_lines(permissions), group_id))
    return True


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            allowed_public_ports=dict(type="list", elements="int", default=[443, 80]),
            remediate=dict(type="bool", default=False),
            remediate_findings=dict(type="list", elements="str", choices=list(FINDING_KINDS),
                                    default=["public_ingress"]),
            exempt_self_reference=dict(type="bool", default=True),
            group_ids=dict(type="list", elements="str", default=[]),
            vpc_ids=dict(type="list", elements="str", default=[]),
            filters=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    bad = [p for p in module.params["allowed_public_ports"] if not 0 <= p <= 65535]
    if bad:
        module.fail_json(msg="allowed_public_ports must be ports 0-65535, got %s" % bad)
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    groups = read_groups(module, client)
    found = audit(groups, module.params["allowed_public_ports"], module.params["exempt_self_reference"])
    plan = revoke_plan(found["findings"], module.params["remediate_findings"])
    by_id = dict((g["group_id"], g) for g in groups)
    would_revoke = [{"group_id": group_id, "rule": line}
                    for group_id, permissions in sorted(plan.items()) for line in revoked_lines(permissions)]
    diff = [group_diff(by_id[group_id], permissions) for group_id, permissions in sorted(plan.items())]

    changed, revoked = False, []
    if module.params["remediate"] and plan:
        changed = True
        if not module.check_mode:
            for group_id, permissions in sorted(plan.items()):
                for permission in permissions:
                    if revoke(module, client, group_id, [permission]):
                        revoked.extend({"group_id": group_id, "rule": line} for line in revoked_lines([permission]))
            changed = bool(revoked)
    module.exit_json(changed=changed, findings=found["findings"], unused=found["unused"],
                     unused_default=found["unused_default"], groups=found["groups"], would_revoke=would_revoke,
                     revoked=revoked, diff=diff)


if __name__ == "__main__":
    main()
