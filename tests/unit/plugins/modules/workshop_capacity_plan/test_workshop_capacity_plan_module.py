"""workshop_capacity_plan as Ansible runs it: the argument spec (types, required, suboptions, defaults), how the
arguments reach the planner, how a planner error is reported, and check mode (a pure computation: never changed,
the same plan as a real run)."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.coder.ai_platform.plugins.modules import workshop_capacity_plan as module


def run(args, capsys):
    """Run the module's main() with these arguments; return its JSON result (exit_json or fail_json)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result


@pytest.fixture
def planner(monkeypatch):
    """Replace the planner with a recorder, so a test sees exactly what the module passed to it."""
    calls = []

    def plan_workshop(expected_users, **kwargs):
        calls.append(dict(kwargs, expected_users=expected_users))
        return {"provisioners": {"need": 3}, "reasoning": ["recorded"]}
    monkeypatch.setattr(module, "plan_workshop", plan_workshop)
    return calls


def test_expected_users_is_required(capsys, planner):
    result = run({}, capsys)
    assert result["failed"] and "missing required arguments: expected_users" in result["msg"]
    assert planner == []


def test_expected_users_must_be_a_whole_number(capsys, planner):
    result = run({"expected_users": "many"}, capsys)
    assert result["failed"] and "expected_users" in result["msg"] and "int" in result["msg"]
    assert planner == []


def test_an_unknown_capacity_setting_is_refused_by_name(capsys, planner):
    result = run({"expected_users": 10, "capacity": {"build_p5_s": 40}}, capsys)
    assert result["failed"] and "capacity.build_p5_s" in result["msg"], result["msg"]
    assert planner == []


def test_a_capacity_setting_of_the_wrong_type_is_refused_by_name(capsys, planner):
    result = run({"expected_users": 10, "capacity": {"confidence": "most"}}, capsys)
    assert result["failed"] and "confidence" in result["msg"], result["msg"]
    assert planner == []


def test_defaults_reach_the_planner(capsys, planner):
    result = run({"expected_users": "40"}, capsys)  # the gate passes `expected_users | int`, a string on the wire
    assert result["changed"] is False and "failed" not in result
    call, = planner
    assert call["expected_users"] == 40 and call["template"] is None and call["headroom_pct"] == 30
    assert call["current_provisioners"] is None
    assert call["workload"] == {"build_p50_s": 60.0, "build_p95_s": 90.0, "agent_ready_s": 15.0, "failure_rate": 0.02,
                                "arrival_profile": [[0, 0], [60, 1]], "retry": None, "target_p95_s": 120.0,
                                "target_success_rate": 0.995, "confidence": 0.8}
    assert result["plan"]["build_stats_source"].startswith("inventory")


def test_given_settings_reach_the_planner(capsys, planner):
    capacity = {"template": {"cpu": 2, "memory_gib": 4, "ephemeral_gib": 10}, "headroom_pct": 10,
                "arrival_profile": [[0, 0], [600, 1]], "build_p95_s": "120", "retry": {"max_retries": 1}}
    run({"expected_users": 40, "capacity": capacity, "current_provisioners": 4}, capsys)
    call, = planner
    assert call["template"] == capacity["template"] and call["headroom_pct"] == 10 and call["current_provisioners"] == 4
    assert call["workload"]["arrival_profile"] == [[0, 0], [600, 1]]
    assert call["workload"]["build_p95_s"] == 120.0 and call["workload"]["build_p50_s"] == 60.0
    assert call["workload"]["retry"] == {"max_retries": 1}


def test_coder_build_time_stats_replace_the_inventory_percentiles(capsys, planner):
    result = run({"expected_users": 40, "build_time_stats": {"p50_s": 50, "p95_s": 140}}, capsys)
    assert planner[0]["workload"]["build_p50_s"] == 50.0 and planner[0]["workload"]["build_p95_s"] == 140.0
    assert result["plan"]["build_stats_source"] == "Coder build_time_stats of the workshop template"


def test_incomplete_build_time_stats_are_ignored(capsys, planner):
    result = run({"expected_users": 40, "build_time_stats": {"p50_s": 50}}, capsys)
    assert planner[0]["workload"]["build_p50_s"] == 60.0
    assert result["plan"]["build_stats_source"].startswith("inventory")


def test_zero_current_provisioners_means_unknown(capsys, planner):
    run({"expected_users": 40, "current_provisioners": 0}, capsys)
    assert planner[0]["current_provisioners"] is None


def test_a_planner_error_fails_the_task_with_its_reason(capsys, monkeypatch):
    def refuse(expected_users, **kwargs):
        raise ValueError("arrival_profile must end at fraction 1")
    monkeypatch.setattr(module, "plan_workshop", refuse)
    result = run({"expected_users": 40}, capsys)
    assert result["failed"] and result["msg"] == "workshop_capacity: arrival_profile must end at fraction 1"


def test_the_real_planner_refuses_a_bad_arrival_profile(capsys):
    result = run({"expected_users": 5, "capacity": {"arrival_profile": [[0, 0], [60, 0.5]]}}, capsys)
    assert result["failed"] and result["msg"].startswith("workshop_capacity: "), result


def test_check_mode_gives_the_same_plan_and_never_changed(capsys):
    args = {"expected_users": 8, "capacity": {"arrival_profile": [[0, 0], [120, 1]]}}
    real = run(args, capsys)
    checked = run(dict(args, _ansible_check_mode=True), capsys)
    assert real["changed"] is False and checked["changed"] is False
    assert checked["plan"] == real["plan"]
    assert checked["plan"]["provisioners"]["need"] >= 1
