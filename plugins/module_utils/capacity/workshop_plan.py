# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inputs of the workshop capacity plan, in one place for ``workshop_capacity_plan`` and the gate's gather.

``capacity_argument_spec()`` is the module's argument spec; ``plan_inputs()`` takes what the plan needs from a
``coder_deployment_info`` result; ``workload()`` turns validated parameters into ``plan_workshop``'s arguments.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

WORKLOAD_KEYS = ("build_p50_s", "build_p95_s", "agent_ready_s", "failure_rate", "arrival_profile", "retry",
                 "target_p95_s", "target_success_rate", "confidence")
CAPACITY_OPTIONS = dict(
    template=dict(type="dict"), headroom_pct=dict(type="int", default=30),
    build_p50_s=dict(type="float", default=60), build_p95_s=dict(type="float", default=90),
    agent_ready_s=dict(type="float", default=15), failure_rate=dict(type="float", default=0.02),
    arrival_profile=dict(type="list", elements="list", default=[[0, 0], [60, 1]]), retry=dict(type="dict"),
    target_p95_s=dict(type="float", default=120), target_success_rate=dict(type="float", default=0.995),
    confidence=dict(type="float", default=0.8))
INVENTORY_SOURCE = "inventory (workshop_capacity.build_p50_s / build_p95_s)"
CODER_SOURCE = "Coder build_time_stats of the workshop template"


def capacity_argument_spec():
    return dict(
        expected_users=dict(type="int", required=True),
        capacity=dict(type="dict", default={}, options=copy.deepcopy(CAPACITY_OPTIONS)),
        build_time_stats=dict(type="dict"),
        current_provisioners=dict(type="int"),
    )


def workload(capacity, build_time_stats):
    """(workload dict for plan_workshop, where the build times came from)."""
    out = dict((key, capacity[key]) for key in WORKLOAD_KEYS)
    stats = build_time_stats or {}
    if stats.get("p50_s") and stats.get("p95_s"):
        out.update(build_p50_s=float(stats["p50_s"]), build_p95_s=float(stats["p95_s"]))
        return out, CODER_SOURCE
    return out, INVENTORY_SOURCE


def default_organization(coder, wanted=None):
    """The organization the workshop uses: ``wanted``, else Coder's default one (None when absent). The same rule as
    ``checks/preflight.py``'s (a unit test holds them together); kept here so the gather does not import the judges,
    which it would compile on every run."""
    for org in coder.get("organizations") or []:
        if (wanted and org["name"] == wanted) or (not wanted and org.get("is_default")):
            return org["name"]
    return None


def plan_inputs(coder, templates, organization=""):
    """Build time stats of the first workshop template that has them, and the online provisioners of the workshop
    organization, from coder_deployment_info's result; each is None when Coder could not say. (The same as the
    ``workshop_plan_inputs`` filter.)"""
    coder = coder or {}
    stats = None
    for template in coder.get("templates") or []:
        if template.get("name") in (templates or []) and template.get("build_time_stats"):
            stats = template["build_time_stats"]
            break
    online = None
    org = default_organization(coder, organization or None) if coder.get("organizations") else None
    daemons = (coder.get("provisioner_daemons") or {}).get(org)
    if daemons is not None:
        online = len([d for d in daemons if d.get("status") != "offline"])
    return {"build_time_stats": stats, "current_provisioners": online or None}
