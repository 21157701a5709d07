#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: workshop_capacity_plan
short_description: Size the platform for a workshop of N users
version_added: 0.1.0
description:
  - Computes how many provisioner daemons, LiteLLM replicas, vCPU, memory and ephemeral storage a workshop needs,
    and returns the reasoning as sentences a facilitator can check.
  - Pure computation on the controller; it calls no API.
author:
  - Coder platform team (@coder)
options:
  expected_users:
    description: Number of workshop participants.
    type: int
    required: true
  template:
    description: Resources one workspace requests.
    type: dict
    default: {}
    suboptions:
      cpu:
        description: vCPU per workspace.
        type: float
        default: 4
      memory_gib:
        description: Memory per workspace, GiB.
        type: float
        default: 8
      ephemeral_gib:
        description: Node-local ephemeral storage per workspace, GiB.
        type: float
        default: 20
  headroom_pct:
    description: Spare capacity on top of the computed need, percent.
    type: int
    default: 30
extends_documentation_fragment:
  - coder.ai_platform.gather
"""

EXAMPLES = r"""
- name: Plan a 40-person workshop
  coder.ai_platform.workshop_capacity_plan:
    expected_users: 40
    template: {cpu: 2, memory_gib: 4, ephemeral_gib: 10}
  register: capacity

- name: Show the reasoning
  ansible.builtin.debug:
    var: capacity.plan.reasoning
"""

RETURN = r"""
plan:
  description:
    - C(provisioners) (C(need), C(recommended), C(source)), C(litellm_replicas) (C(need), C(rule)),
      C(workspaces), C(platform) and C(total) resources (C(vcpu), C(memory_gib), C(ephemeral_gib)), C(reasoning).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity import plan_workshop


def main():
    module = AnsibleModule(
        argument_spec=dict(
            expected_users=dict(type="int", required=True),
            template=dict(type="dict", default={}, options=dict(
                cpu=dict(type="float", default=4), memory_gib=dict(type="float", default=8),
                ephemeral_gib=dict(type="float", default=20))),
            headroom_pct=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        plan = plan_workshop(params["expected_users"], template=params["template"], headroom_pct=params["headroom_pct"])
    except ValueError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, plan=plan)


if __name__ == "__main__":
    main()
