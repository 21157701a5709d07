# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workshop capacity plan: how many provisioners, LiteLLM replicas, vCPU, memory and ephemeral storage a
workshop of N users needs, with the reasoning written out so a facilitator can check it.

LiteLLM replicas and node resources follow stated rules (below). Provisioners come from the queueing model
(capacity_model.py): the smallest count for which enough simulated workshops meet the time-to-ready target, given
how users arrive and how long builds take (Coder's build_time_stats when reachable, else the inventory's numbers).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity import model as capacity_model

DEFAULT_TEMPLATE = {"cpu": 4, "memory_gib": 8, "ephemeral_gib": 20}
# Sizes of the platform's own pods, from the incident note (provisioners 500m/512MB, LiteLLM 2 vCPU/4 GB,
# Coder server 2 x 4 vCPU/8 GB).
DEFAULT_PLATFORM = {
    "provisioner": {"cpu": 0.5, "memory_gib": 0.5},
    "litellm": {"cpu": 2, "memory_gib": 4},
    "coder_server": {"cpu": 8, "memory_gib": 16},
}
DEFAULT_HEADROOM_PCT = 30
# What the plan assumes unless told otherwise (requirements 9.2 and 10.2: 95 % ready within 2 minutes, 99.5 %
# succeed; the facilitator says "go" and everyone presses create within a minute).
DEFAULT_WORKLOAD = {
    "build_p50_s": 60.0, "build_p95_s": 90.0, "agent_ready_s": 15.0, "failure_rate": 0.02,
    "arrival_profile": [[0, 0], [60, 1]], "retry": {"base_s": 5.0, "cap_s": 60.0, "max_retries": 3},
    "target_p95_s": 120.0, "target_success_rate": 0.995, "confidence": 0.8,
}


def litellm_replicas(users):
    """max(4, ceil(users / 4)): reproduces every row of the postmortem's table (<10 -> 4, 10-15 -> 4,
    15-20 -> 4-6, 20-30 -> 6-8) and keeps one replica per four users beyond it."""
    return max(4, int(math.ceil(users / 4.0)))


def _resources(users, template, provisioners, litellm, platform, headroom_pct):
    workspaces = {"vcpu": users * template["cpu"], "memory_gib": users * template["memory_gib"],
                  "ephemeral_gib": users * template["ephemeral_gib"]}
    own = {
        "vcpu": provisioners * platform["provisioner"]["cpu"] + litellm * platform["litellm"]["cpu"]
        + platform["coder_server"]["cpu"],
        "memory_gib": provisioners * platform["provisioner"]["memory_gib"]
        + litellm * platform["litellm"]["memory_gib"] + platform["coder_server"]["memory_gib"],
    }
    factor = 1 + headroom_pct / 100.0
    total = {"vcpu": int(math.ceil((workspaces["vcpu"] + own["vcpu"]) * factor)),
             "memory_gib": int(math.ceil((workspaces["memory_gib"] + own["memory_gib"]) * factor)),
             "ephemeral_gib": int(math.ceil(workspaces["ephemeral_gib"] * factor))}
    return workspaces, own, total


def plan_provisioners(users, workload, current_provisioners=None):
    """The queueing model's answer, shaped for the plan and the gate (p95 with and without the fix)."""
    sized = capacity_model.smallest_provisioner_count(
        users, arrival_profile=workload["arrival_profile"], build_p50_s=workload["build_p50_s"],
        build_p95_s=workload["build_p95_s"], agent_ready_s=workload["agent_ready_s"],
        failure_rate=workload["failure_rate"], retry=workload["retry"], target_p95_s=workload["target_p95_s"],
        target_success_rate=workload["target_success_rate"], current_provisioners=current_provisioners,
        confidence=workload["confidence"])
    predicted, current = sized["predicted"], sized["predicted_at_current"] or {}
    low, high = capacity_model.rule_of_thumb(users)
    return {
        "need": sized["provisioners"], "source": "queueing model", "meets_target": sized["meets_target"],
        "predicted_p95_s": _round(predicted["p95_time_to_ready_s"]),
        "predicted_p50_s": _round(predicted["p50_time_to_ready_s"]),
        "predicted_p95_queue_wait_s": _round(predicted["p95_queue_wait_s"]),
        "predicted_success_rate": predicted["success_rate"],
        "target_met_fraction": predicted["p95_target_met_fraction"],
        "current": current_provisioners,
        "predicted_p95_s_at_current": _round(current.get("p95_time_to_ready_s")),
        "target_met_fraction_at_current": current.get("p95_target_met_fraction"),
        "rule_of_thumb": [low, high],
        "versus_rule_of_thumb": capacity_model.explain_vs_rule_of_thumb(sized, users),
        "reasoning": sized["reasoning"], "model_inputs": sized["inputs"],
    }


def _round(value):
    return None if value is None else round(value, 1)


def plan_workshop(users, template=None, headroom_pct=DEFAULT_HEADROOM_PCT, platform=None, workload=None,
                  current_provisioners=None):
    """The plan for ``users`` participants. Raises ValueError (naming the input) for inputs it cannot use."""
    if not isinstance(users, int) or isinstance(users, bool) or users < 1:
        raise ValueError("expected_users must be a whole number of at least 1, got %r" % (users,))
    template = dict(DEFAULT_TEMPLATE, **(template or {}))
    platform = dict(DEFAULT_PLATFORM, **(platform or {}))
    workload = dict(DEFAULT_WORKLOAD, **dict((k, v) for k, v in (workload or {}).items() if v is not None))
    provisioners = plan_provisioners(users, workload, current_provisioners)
    replicas = litellm_replicas(users)
    workspaces, own, total = _resources(users, template, provisioners["need"], replicas, platform, headroom_pct)
    reasoning = list(provisioners["reasoning"]) + [
        provisioners["versus_rule_of_thumb"],
        "LiteLLM: max(4, ceil(%d / 4)) = %d replicas (matches every row of the postmortem's table)." % (
            users, replicas),
        "Workspaces: %d x %g vCPU / %g GiB / %g GiB ephemeral = %g vCPU, %g GiB, %g GiB ephemeral." % (
            users, template["cpu"], template["memory_gib"], template["ephemeral_gib"], workspaces["vcpu"],
            workspaces["memory_gib"], workspaces["ephemeral_gib"]),
        "Platform pods (coder server, %d provisioners, %d LiteLLM): %g vCPU, %g GiB." % (
            provisioners["need"], replicas, own["vcpu"], own["memory_gib"]),
        "Total with %d%% headroom (the manual checklist asked for > 30%%): %d vCPU, %d GiB memory, %d GiB "
        "ephemeral." % (headroom_pct, total["vcpu"], total["memory_gib"], total["ephemeral_gib"]),
    ]
    return {
        "expected_users": users,
        "provisioners": provisioners,
        "litellm_replicas": {"need": replicas, "rule": "max(4, ceil(users / 4))"},
        "workspaces": workspaces, "platform": own, "total": total, "headroom_pct": headroom_pct,
        "template": template, "workload": workload, "reasoning": reasoning,
    }
