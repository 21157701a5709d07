# -*- coding: utf-8 -*-
"""The workshop plan: provisioners from the queueing model, LiteLLM and resources from stated rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity import plan as capacity


@pytest.mark.parametrize("users, replicas", [(5, 4), (10, 4), (15, 4), (16, 4), (20, 5), (21, 6), (25, 7),
                                             (30, 8), (40, 10), (100, 25)])
def test_litellm_rule_reproduces_the_postmortem_table(users, replicas):
    assert capacity.litellm_replicas(users) == replicas


def test_plan_for_the_incident_workshop():
    plan = capacity.plan_workshop(25, current_provisioners=6)
    provisioners = plan["provisioners"]
    assert provisioners["source"] == "queueing model" and provisioners["meets_target"]
    assert provisioners["need"] > 15  # everyone within 60 s: more than the table's 12-15, with the reason
    assert "above the rule of thumb" in provisioners["versus_rule_of_thumb"]
    assert provisioners["predicted_p95_s"] <= 120 < provisioners["predicted_p95_s_at_current"]
    assert provisioners["target_met_fraction"] >= 0.8 and provisioners["target_met_fraction_at_current"] == 0.0
    assert plan["litellm_replicas"]["need"] == 7
    # 25 x 4 vCPU + (8 coder + need x 0.5 + 7 x 2) platform, plus 30 %
    assert plan["total"]["vcpu"] == int(-(-(100 + 8 + provisioners["need"] * 0.5 + 14) * 1.3 // 1))
    assert plan["reasoning"][0].startswith("25 users press create")


def test_spread_arrivals_need_fewer_provisioners():
    burst = capacity.plan_workshop(25)["provisioners"]["need"]
    spread = capacity.plan_workshop(25, workload={"arrival_profile": [[0, 0], [300, 0.8], [900, 1]]})
    assert spread["provisioners"]["need"] < burst
    assert spread["workload"]["arrival_profile"] == [[0, 0], [300, 0.8], [900, 1]]


def test_missing_workload_keys_take_defaults_and_none_means_default():
    plan = capacity.plan_workshop(10, workload={"failure_rate": None, "agent_ready_s": 5})
    assert plan["workload"]["failure_rate"] == 0.02 and plan["workload"]["agent_ready_s"] == 5


@pytest.mark.parametrize("users", [0, -3, "25", True])
def test_plan_refuses_bad_user_counts(users):
    with pytest.raises(ValueError, match="expected_users"):
        capacity.plan_workshop(users)
