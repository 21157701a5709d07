"""The capacity plan's inputs as the gather takes them from Coder (capacity/workshop_plan.py): the same organization
rule as the provisioner check, build times of the first workshop template that has them, online provisioners."""

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity import workshop_plan
from ansible_collections.coder.ai_platform.plugins.module_utils.checks import preflight

CODER = {
    "organizations": [{"name": "coder", "is_default": True}, {"name": "demo", "is_default": False}],
    "templates": [{"name": "other", "build_time_stats": {"p50_s": 1, "p95_s": 2}},
                  {"name": "ai-workshop", "build_time_stats": None},
                  {"name": "ai-workshop-2", "build_time_stats": {"p50_s": 50, "p95_s": 80}}],
    "provisioner_daemons": {"coder": [{"status": "idle"}, {"status": "offline"}, {"status": "busy"}],
                            "demo": [{"status": "idle"}]},
}


@pytest.mark.parametrize("coder, wanted", [
    (CODER, None), (CODER, "demo"), (CODER, "absent"), ({"organizations": [{"name": "x"}]}, None), ({}, None),
])
def test_the_organization_rule_is_the_provisioner_check_s(coder, wanted):
    assert workshop_plan.default_organization(coder, wanted) == preflight.default_organization(coder, wanted)


def test_plan_inputs_take_the_first_workshop_template_with_build_times_and_the_online_provisioners():
    inputs = workshop_plan.plan_inputs(CODER, ["ai-workshop", "ai-workshop-2"])
    assert inputs == {"build_time_stats": {"p50_s": 50, "p95_s": 80}, "current_provisioners": 2}
    demo = workshop_plan.plan_inputs(CODER, ["ai-workshop"], "demo")
    assert demo == {"build_time_stats": None, "current_provisioners": 1}


def test_plan_inputs_from_an_unreachable_coder_are_none():
    assert workshop_plan.plan_inputs({"errors": {"buildinfo": "down"}}, ["ai-workshop"]) == {
        "build_time_stats": None, "current_provisioners": None}
    assert workshop_plan.plan_inputs(None, []) == {"build_time_stats": None, "current_provisioners": None}


def test_workload_prefers_coder_s_build_times_and_says_where_they_came_from():
    capacity = dict((key, None) for key in workshop_plan.WORKLOAD_KEYS)
    capacity.update(build_p50_s=60.0, build_p95_s=90.0)
    out, source = workshop_plan.workload(capacity, {"p50_s": 40, "p95_s": 70})
    assert (out["build_p50_s"], out["build_p95_s"], source) == (40.0, 70.0, workshop_plan.CODER_SOURCE)
    out, source = workshop_plan.workload(capacity, None)
    assert (out["build_p50_s"], out["build_p95_s"], source) == (60.0, 90.0, workshop_plan.INVENTORY_SOURCE)
