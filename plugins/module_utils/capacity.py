# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workshop capacity plan: how many provisioners, LiteLLM replicas, vCPU, memory and ephemeral storage a
workshop of N users needs, with the reasoning written out so a facilitator can check it.

LiteLLM replicas and node resources follow stated rules (below). Provisioners come from the rule-of-thumb table of
the September 2024 postmortem.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

DEFAULT_TEMPLATE = {"cpu": 4, "memory_gib": 8, "ephemeral_gib": 20}
# Sizes of the platform's own pods, from the incident note (provisioners 500m/512MB, LiteLLM 2 vCPU/4 GB,
# Coder server 2 x 4 vCPU/8 GB).
DEFAULT_PLATFORM = {
    "provisioner": {"cpu": 0.5, "memory_gib": 0.5},
    "litellm": {"cpu": 2, "memory_gib": 4},
    "coder_server": {"cpu": 8, "memory_gib": 16},
}
DEFAULT_HEADROOM_PCT = 30


def rule_of_thumb_provisioners(users):
    """The postmortem's table, as a (low, high) range; beyond 30 users one provisioner per two users, which is
    where the table's top row (30 users -> 15) already is."""
    if users < 10:
        return 6, 6
    if users <= 15:
        return 8, 8
    if users <= 20:
        return 10, 10
    if users <= 30:
        return 12, 15
    half = int(math.ceil(users / 2.0))
    return half, half


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


def plan_workshop(users, template=None, headroom_pct=DEFAULT_HEADROOM_PCT, platform=None):
    """The plan for ``users`` participants. Raises ValueError for inputs a plan cannot be made from."""
    if not isinstance(users, int) or isinstance(users, bool) or users < 1:
        raise ValueError("expected_users must be a whole number of at least 1, got %r" % (users,))
    template = dict(DEFAULT_TEMPLATE, **(template or {}))
    platform = dict(DEFAULT_PLATFORM, **(platform or {}))
    low, high = rule_of_thumb_provisioners(users)
    replicas = litellm_replicas(users)
    workspaces, own, total = _resources(users, template, high, replicas, platform, headroom_pct)
    reasoning = [
        "One provisioner runs one Terraform build at a time; the postmortem's table gives %d-%d provisioners for "
        "%d users, so the gate requires %d and recommends %d." % (low, high, users, low, high),
        "LiteLLM: max(4, ceil(%d / 4)) = %d replicas (matches every row of the postmortem's table)." % (
            users, replicas),
        "Workspaces: %d x %g vCPU / %g GiB / %g GiB ephemeral = %g vCPU, %g GiB, %g GiB ephemeral." % (
            users, template["cpu"], template["memory_gib"], template["ephemeral_gib"], workspaces["vcpu"],
            workspaces["memory_gib"], workspaces["ephemeral_gib"]),
        "Platform pods (coder server, %d provisioners, %d LiteLLM): %g vCPU, %g GiB." % (
            high, replicas, own["vcpu"], own["memory_gib"]),
        "Total with %d%% headroom (the manual checklist asked for > 30%%): %d vCPU, %d GiB memory, %d GiB "
        "ephemeral." % (headroom_pct, total["vcpu"], total["memory_gib"], total["ephemeral_gib"]),
    ]
    return {
        "expected_users": users,
        "provisioners": {"need": low, "recommended": high, "source": "rule_of_thumb", "rule_of_thumb": [low, high]},
        "litellm_replicas": {"need": replicas, "rule": "max(4, ceil(users / 4))"},
        "workspaces": workspaces, "platform": own, "total": total, "headroom_pct": headroom_pct,
        "template": template, "reasoning": reasoning,
    }
