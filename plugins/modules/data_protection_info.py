#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: data_protection_info
short_description: Read what the data-protection baseline judges, for one region
version_added: 0.1.0
description:
  - Reads, for one region, the facts behind the data-protection checks of requirement 2 - RDS and Aurora
    encryption keys and force-TLS parameters, Secrets Manager rotation, security groups and which network
    interfaces carry them, VPC flow logs and their log groups, ELBv2 listeners and their TLS policies - and, only
    when asked, S3 bucket policies (S3 is global, so ask in one region only).
  - Never changes anything. A section that cannot be read (no permission, endpoint unreachable) is returned empty
    with its cause in RV(errors), and the other sections are still read.
  - Judge the result with the C(coder.ai_platform.baseline_checks) filter or
    C(plugins/module_utils/checks/baseline.py).
author:
  - Coder platform team (@coder)
options:
  sections:
    description:
      - The sections to read. V(s3) lists every bucket of the account, so ask for it in one region only.
    type: list
    elements: str
    choices: [rds, secrets, security_groups, flow_logs, load_balancers, s3]
    default: [rds, secrets, security_groups, flow_logs, load_balancers]
  s3_buckets:
    description:
      - Bucket names or shell-style patterns whose policies are read in the V(s3) section. Empty reads every bucket.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the region's data-protection facts
  coder.ai_platform.data_protection_info:
    region: us-east-2
  register: facts

- name: Also read bucket policies, once for the account
  coder.ai_platform.data_protection_info:
    region: us-east-2
    sections: [rds, secrets, security_groups, flow_logs, load_balancers, s3]
    s3_buckets: ["coder-*"]
  register: facts
"""

RETURN = r"""
region:
  description: The region read.
  returned: always
  type: str
sections:
  description: The sections that were asked for.
  returned: always
  type: list
  elements: str
errors:
  description: Section name to the reason it could not be read; empty when every section was read.
  returned: always
  type: dict
  sample: {"secrets": "Secrets Manager ListSecrets in us-east-2: AccessDeniedException ..."}
rds:
  description:
    - C(clusters) (C(id), C(arn), C(engine), C(engine_version), C(status), C(storage_encrypted), C(kms_key_id),
      C(parameter_group), C(members)), C(instances) (the same plus C(cluster_id), null for a standalone instance,
      and C(parameter_groups)), C(kms_keys) (by the key id the resources name - C(arn), C(key_id), C(key_manager)
      CUSTOMER or AWS, C(key_state), C(aliases), C(error)), C(cluster_parameter_groups) and
      C(instance_parameter_groups) (by name - C(parameters) with C(rds.force_ssl) and C(require_secure_transport),
      C(error)).
  returned: when asked for
  type: dict
secrets:
  description:
    - C(secrets) - C(name), C(arn), C(rotation_enabled), C(rotation_lambda_arn), C(rotation_rules)
      (C(automatically_after_days), C(schedule_expression), C(duration)), C(last_rotated_date),
      C(next_rotation_date), C(last_changed_date), C(created_date) (ISO 8601 UTC), C(tags) (a dict).
  returned: when asked for
  type: dict
security_groups:
  description:
    - C(groups) - C(group_id), C(group_name), C(vpc_id), C(description), C(ip_permissions) (exactly as EC2
      DescribeSecurityGroups returns them) and C(network_interface_count) (network interfaces carrying the group).
  returned: when asked for
  type: dict
flow_logs:
  description:
    - C(vpcs) (C(vpc_id), C(is_default), C(cidr), C(name)), C(flow_logs) of those VPCs (C(flow_log_id),
      C(resource_id), C(flow_log_status), C(deliver_logs_status), C(deliver_logs_error), C(traffic_type),
      C(log_destination_type), C(log_group_name), C(log_destination), C(deliver_logs_permission_arn),
      C(max_aggregation_interval)) and C(log_groups) their CloudWatch log groups by name (C(exists), C(arn),
      C(kms_key_id), C(retention_in_days), C(error)).
  returned: when asked for
  type: dict
load_balancers:
  description:
    - C(load_balancers) (C(name), C(arn), C(type), C(scheme)), C(listeners) (C(load_balancer), C(listener_arn),
      C(port), C(protocol), C(ssl_policy), C(default_actions) with C(type) and C(redirect)), C(ssl_policies) (policy
      name to its TLS protocols), C(listener_errors) (load balancer to the reason its listeners were unreadable).
  returned: when asked for
  type: dict
s3:
  description: C(buckets) - C(name), C(policy) (the parsed policy, null when the bucket has none), C(error).
  returned: when asked for
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.coder.ai_platform.plugins.module_utils.aws.connection import module_clients
from ansible_collections.coder.ai_platform.plugins.module_utils.aws.data_protection import (
    protection_options, read_protection,
)


def main():
    module = AnsibleAWSModule(
        argument_spec=protection_options(),
        supports_check_mode=True,
    )
    facts = read_protection(module_clients(module), module.region, module.params["sections"],
                            module.params["s3_buckets"])
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
