#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: workshop_capacity_plan
short_description: Size the platform for a workshop of N users with a queueing model
version_added: 0.1.0
description:
  - Computes how many provisioner daemons, LiteLLM replicas, vCPU, memory and ephemeral storage a workshop needs,
    and returns the reasoning as sentences a facilitator can check.
  - Provisioners come from a discrete-event simulation of the workshop - users arriving by O(capacity.arrival_profile),
    one Terraform build per provisioner at a time, log-normal build times from p50/p95, failures retried with
    exponential backoff and jitter. The answer is the smallest count for which at least O(capacity.confidence) of
    simulated workshops have a p95 time-to-ready within O(capacity.target_p95_s), with the expected success rate at
    least O(capacity.target_success_rate). The model is validated against the Erlang-C formula in steady state.
  - Build times come from Coder's C(build_time_stats) (O(build_time_stats), as M(coder.ai_platform.coder_deployment_info)
    returns them) when given, else from O(capacity.build_p50_s) and O(capacity.build_p95_s).
  - Pure computation on the controller; it calls no API.
author:
  - Coder platform team (@coder)
options:
  expected_users:
    description: Number of workshop participants.
    type: int
    required: true
  capacity:
    description: The model's inputs; every key is optional and defaults as shown.
    type: dict
    default: {}
    suboptions:
      template:
        description: Resources one workspace requests (C(cpu) vCPU, C(memory_gib), C(ephemeral_gib)); default 4 / 8 / 20.
        type: dict
      headroom_pct:
        description: Spare capacity on top of the computed need, percent.
        type: int
        default: 30
      build_p50_s:
        description: Median workspace build time in seconds, used when O(build_time_stats) is not given.
        type: float
        default: 60
      build_p95_s:
        description: 95th percentile build time in seconds, used when O(build_time_stats) is not given.
        type: float
        default: 90
      agent_ready_s:
        description: Seconds from a successful build to the agent reporting ready.
        type: float
        default: 15
      failure_rate:
        description: Probability that one build fails (each retry is a new build).
        type: float
        default: 0.02
      arrival_profile:
        description:
          - When users press create, as a piecewise-linear cumulative curve of C([seconds, fraction]) points from
            C([0, 0]) to fraction 1. Default C([[0, 0], [60, 1]]) is everyone within a minute of "go";
            C([[0, 0], [300, 0.8], [900, 1]]) is 80 % within 5 minutes, the rest within 15.
        type: list
        elements: list
        default: [[0, 0], [60, 1]]
      retry:
        description: Client retries of failed builds, C(base_s), C(cap_s), C(max_retries); default 5 / 60 / 3.
        type: dict
      target_p95_s:
        description: Target p95 time-to-ready in seconds (requirement 9.2).
        type: float
        default: 120
      target_success_rate:
        description: Target share of users who get a ready workspace (requirement 10.2).
        type: float
        default: 0.995
      confidence:
        description: Share of simulated workshops that must meet O(capacity.target_p95_s).
        type: float
        default: 0.8
  build_time_stats:
    description: Coder's build time statistics of the workshop template, C(p50_s) and C(p95_s) in seconds.
    type: dict
  current_provisioners:
    description: Online provisioners now, to predict the p95 with and without the fix.
    type: int
extends_documentation_fragment:
  - coder.ai_platform.gather
"""

EXAMPLES = r"""
- name: Plan a 40-person workshop where people arrive over ten minutes
  coder.ai_platform.workshop_capacity_plan:
    expected_users: 40
    capacity:
      template: {cpu: 2, memory_gib: 4, ephemeral_gib: 10}
      arrival_profile: [[0, 0], [600, 1]]
  register: capacity

- name: Show the reasoning
  ansible.builtin.debug:
    var: capacity.plan.reasoning
"""

RETURN = r"""
plan:
  description:
    - C(provisioners) (C(need), C(predicted_p95_s), C(predicted_p95_s_at_current), C(target_met_fraction),
      C(rule_of_thumb), C(versus_rule_of_thumb), C(reasoning)), C(litellm_replicas) (C(need), C(rule)),
      C(workspaces), C(platform) and C(total) resources (C(vcpu), C(memory_gib), C(ephemeral_gib)), C(workload),
      C(build_stats_source), C(reasoning).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.plan import plan_workshop
from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.workshop_plan import (
    capacity_argument_spec, workload,
)


def main():
    module = AnsibleModule(argument_spec=capacity_argument_spec(), supports_check_mode=True)
    capacity = module.params["capacity"]
    planned_workload, source = workload(capacity, module.params["build_time_stats"])
    try:
        plan = plan_workshop(module.params["expected_users"], template=capacity["template"],
                             headroom_pct=capacity["headroom_pct"], workload=planned_workload,
                             current_provisioners=module.params["current_provisioners"] or None)
    except ValueError as err:
        module.fail_json(msg="workshop_capacity: %s" % err)
    plan["build_stats_source"] = source
    module.exit_json(changed=False, plan=plan)


if __name__ == "__main__":
    main()
