# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the workshop capacity model (plugins/module_utils/capacity/model.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import random

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity import model

BURST = [[0, 0], [60, 1]]
SPREAD = [[0, 0], [300, 0.8], [900, 1]]  # "80 % within 5 minutes, the rest within 15"
SIMULTANEOUS = [[0, 0], [0, 1]]
WORKSHOP = dict(build_p50_s=60, build_p95_s=90, agent_ready_s=15, failure_rate=0.02)


# ---------------------------------------------------------------------------------------------------------------
# Arrivals and service-time distribution
# ---------------------------------------------------------------------------------------------------------------

def test_arrivals_are_quantiles_of_the_default_profile():
    assert model.arrival_times(5) == pytest.approx([6, 18, 30, 42, 54])


def test_arrivals_follow_a_piecewise_linear_profile():
    # (i + 0.5) / 5 = 0.1 .. 0.9; the first four fall before 300 s (80 %), the last one in the 300-900 s segment.
    assert model.arrival_times(5, SPREAD) == pytest.approx([37.5, 112.5, 187.5, 262.5, 600])


def test_a_vertical_step_puts_everyone_at_the_same_time():
    assert model.arrival_times(4, [[0, 0], [10, 0], [10, 1], [20, 1]]) == [10.0] * 4


@pytest.mark.parametrize("profile", [
    [[0, 0.1], [60, 1]],            # does not start at 0
    [[0, 0], [60, 0.9]],            # does not end at 1
    [[0, 0], [30, 0.6], [20, 1]],   # time goes back
    [[0, 0], [30, 0.6], [40, 0.5], [60, 1]],  # fraction goes back
    [[0, 0]],                       # one point
    [[0, 0], [60, "1"]],            # not a number
    "0-60",                         # not points at all
])
def test_bad_profiles_are_rejected_naming_the_input(profile):
    with pytest.raises(ValueError, match="arrival_profile"):
        model.arrival_times(10, profile)


def test_lognormal_parameters_reproduce_p50_and_p95():
    mu, sigma = model.lognormal_from_p50_p95(60, 90)
    assert math.exp(mu) == pytest.approx(60)
    assert math.exp(mu + 1.6448536 * sigma) == pytest.approx(90)
    assert model.lognormal_from_p50_p95(60, 60)[1] == 0


# ---------------------------------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda: model.predict(-1, 6), "n_users"),
    (lambda: model.predict(0, 6), "n_users"),
    (lambda: model.predict(10, 0), "provisioners"),
    (lambda: model.predict(10, 6, build_p50_s=60, build_p95_s=50), "build_p95_s"),
    (lambda: model.predict(10, 6, build_p50_s=0), "build_p50_s"),
    (lambda: model.predict(10, 6, failure_rate=1.5), "failure_rate"),
    (lambda: model.predict(10, 6, agent_ready_s=-1), "agent_ready_s"),
    (lambda: model.predict(10, 6, retry={"max_retries": -1}), "retry.max_retries"),
    (lambda: model.predict(10, 6, retry={"tries": 2}), "retry"),
    (lambda: model.predict(10, 6, arrival_profile=[[0, 0], [60, 2]]), "arrival_profile"),
    (lambda: model.smallest_provisioner_count(10, target_p95_s=0), "target_p95_s"),
    (lambda: model.simulate_workshop(-3, 2), "n_users"),
    (lambda: model.erlang_c(2, 2.0, 1.0), "utilisation"),
])
def test_invalid_inputs_raise_value_error_naming_the_input(call, name):
    with pytest.raises(ValueError, match=name.replace(".", r"\.")):
        call()


# ---------------------------------------------------------------------------------------------------------------
# Erlang C: the formula against textbook values, then the queue core against the formula
# ---------------------------------------------------------------------------------------------------------------

def _erlang_c_by_definition(c, load):
    tail = load ** c / math.factorial(c) * c / (c - load)
    return tail / (sum(load ** k / math.factorial(k) for k in range(c)) + tail)


def test_erlang_c_textbook_values():
    assert model.erlang_c(2, 1.0, 1.0) == pytest.approx(1 / 3)           # M/M/2, a = 1
    assert model.erlang_c_mean_wait(2, 1.0, 1.0) == pytest.approx(1 / 3)  # C / (c mu - lambda) = (1/3) / 1
    assert model.erlang_c(1, 0.7, 1.0) == pytest.approx(0.7)             # M/M/1: P(wait) = rho
    assert model.erlang_c_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)   # M/M/1: rho / (mu - lambda)
    assert model.erlang_c(10, 8.5, 1.0) == pytest.approx(_erlang_c_by_definition(10, 8.5))


# Utilisation 0.5, 0.7 and 0.85. Job counts give a standard error of ~1-1.5 % of the mean wait (measured over 16
# seeds), so the 5 % tolerance is >= 3 standard errors; the relative noise grows steeply with utilisation.
@pytest.mark.parametrize("c, arrival_rate, service_rate, n_jobs", [
    (1, 0.5, 1.0, 300000),
    (3, 2.1, 1.0, 500000),
    (2, 1.7, 1.0, 800000),
])
def test_steady_state_simulation_matches_erlang_c(c, arrival_rate, service_rate, n_jobs):
    simulated = model.simulate_steady_state(c, arrival_rate, service_rate, n_jobs, random.Random(7))
    expected_wait = model.erlang_c_mean_wait(c, arrival_rate, service_rate)
    expected_p_wait = model.erlang_c(c, arrival_rate, service_rate)
    print("c=%d rho=%.2f: mean wait %.4f vs %.4f, P(wait) %.4f vs %.4f"
          % (c, arrival_rate / (c * service_rate), simulated["mean_wait"], expected_wait,
             simulated["p_wait"], expected_p_wait))
    assert simulated["mean_wait"] == pytest.approx(expected_wait, rel=0.05)
    assert simulated["p_wait"] == pytest.approx(expected_p_wait, rel=0.05)


# ---------------------------------------------------------------------------------------------------------------
# One workshop run
# ---------------------------------------------------------------------------------------------------------------

def test_deterministic_builds_on_one_provisioner_wait_exact_multiples_of_the_build():
    run = model.simulate_workshop(8, 1, SIMULTANEOUS, build_p50_s=60, build_p95_s=60, agent_ready_s=15,
                                  failure_rate=0.0, rng=random.Random(1))
    assert [user["queue_waits"] for user in run["users"]] == [[60.0 * k] for k in range(8)]
    assert run["summary"]["time_to_ready"] == [60.0 * (k + 1) + 15 for k in range(8)]
    assert run["summary"]["successes"] == 8


def test_records_describe_each_user():
    workshop = dict(WORKSHOP)
    workshop["failure_rate"] = 0.2
    run = model.simulate_workshop(25, 6, BURST, rng=random.Random(3), **workshop)
    for user in run["users"]:
        assert user["attempts"] == len(user["queue_waits"]) >= 1
        assert user["first_start"] == user["arrival"] + user["queue_waits"][0]
        if user["ready"] is not None:
            assert user["time_to_ready"] == user["ready"] - user["arrival"]
    assert any(user["attempts"] > 1 for user in run["users"])


def test_a_user_whose_every_attempt_fails_is_not_ready():
    run = model.simulate_workshop(5, 5, BURST, failure_rate=1.0, retry={"max_retries": 3}, rng=random.Random(2))
    assert [(user["attempts"], user["ready"]) for user in run["users"]] == [(4, None)] * 5
    assert (run["summary"]["successes"], run["summary"]["time_to_ready"]) == (0, [])


# ---------------------------------------------------------------------------------------------------------------
# Predictions
# ---------------------------------------------------------------------------------------------------------------

def test_one_provisioner_per_user_means_no_queue_and_build_plus_agent_time():
    predicted = model.predict(25, 25, BURST, build_p50_s=60, build_p95_s=90, agent_ready_s=15, failure_rate=0.0)
    assert predicted["pooled"]["p95_queue_wait_s"] == 0 and predicted["p95_queue_wait_s"] == 0
    # 7,500 pooled samples: the standard error of the p95 is ~0.6 s, so 3 % (3 s) is ~5 standard errors.
    assert predicted["pooled"]["p95_time_to_ready_s"] == pytest.approx(90 + 15, rel=0.03)
    assert predicted["success_rate"] == 1.0


def test_more_provisioners_than_users_changes_nothing():
    at_users = model.predict(10, 10, BURST, **WORKSHOP)
    assert model.predict(10, 40, BURST, **WORKSHOP) == dict(at_users, provisioners=40)


@pytest.mark.parametrize("profile", [BURST, SPREAD])
def test_predicted_p95_is_non_increasing_in_provisioners(profile):
    p95 = [model.predict(25, c, profile, **WORKSHOP)["p95_time_to_ready_s"] for c in range(1, 26)]
    assert all(later <= earlier for earlier, later in zip(p95, p95[1:])), p95


def test_binary_search_finds_the_same_count_as_a_linear_scan():
    result = model.smallest_provisioner_count(25, BURST, **WORKSHOP)
    linear = next(c for c in range(1, 26)
                  if model.predict(25, c, BURST, **WORKSHOP)["p95_time_to_ready_s"] <= 120)
    assert result["provisioners"] == linear
    assert result["meets_target"] is True


def test_retries_recover_rare_failures():
    predicted = model.predict(25, 25, BURST, failure_rate=0.02, retry={"max_retries": 3})
    assert predicted["success_rate"] >= 0.999


def test_without_retries_half_the_builds_fail():
    predicted = model.predict(25, 25, BURST, failure_rate=0.5, retry={"max_retries": 0})
    assert predicted["success_rate"] == pytest.approx(0.5, abs=0.03)  # 7,500 users: standard error 0.006


def test_same_seed_gives_the_same_prediction():
    assert model.predict(18, 6, SPREAD, **WORKSHOP) == model.predict(18, 6, SPREAD, **WORKSHOP)


# ---------------------------------------------------------------------------------------------------------------
# Sizing answers
# ---------------------------------------------------------------------------------------------------------------

def test_sizing_result_shape_and_current_provisioners():
    result = model.smallest_provisioner_count(25, BURST, current_provisioners=6, **WORKSHOP)
    assert result["predicted"]["provisioners"] == result["provisioners"]
    assert result["predicted_at_current"]["provisioners"] == 6
    assert result["predicted_at_current"]["p95_time_to_ready_s"] > 120 >= result["predicted"]["p95_time_to_ready_s"]
    assert result["inputs"]["n_users"] == 25 and result["inputs"]["current_provisioners"] == 6
    assert result["reasoning"] and all(isinstance(sentence, str) and sentence for sentence in result["reasoning"])
    assert any("current 6 provisioners" in sentence for sentence in result["reasoning"])


def test_unreachable_time_target_returns_one_per_user_and_says_why():
    result = model.smallest_provisioner_count(10, BURST, build_p50_s=100, build_p95_s=150, agent_ready_s=15)
    assert (result["provisioners"], result["meets_target"]) == (10, False)
    assert "build time alone (p95 150 s) plus agent start (15 s) is 165 s" in result["reason"]


def test_unreachable_success_target_blames_failures_not_provisioners():
    result = model.smallest_provisioner_count(10, BURST, failure_rate=0.5, retry={"max_retries": 0})
    assert (result["provisioners"], result["meets_target"]) == (10, False)
    assert "more provisioners cannot fix failed builds" in result["reason"]
    assert "still miss the target" in model.explain_vs_rule_of_thumb(result, 10)


# ---------------------------------------------------------------------------------------------------------------
# The incident's rule of thumb
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("users, expected", [
    (1, (6, 6)), (9, (6, 6)), (10, (8, 8)), (15, (8, 8)), (16, (10, 10)), (20, (10, 10)),
    (21, (12, 15)), (30, (12, 15)), (31, (13, 16)), (40, (16, 20)), (100, (40, 50)),
])
def test_rule_of_thumb_table(users, expected):
    assert model.rule_of_thumb(users) == expected


@pytest.mark.parametrize("users", [12, 18, 25])
def test_model_vs_rule_of_thumb_with_spread_arrivals(users, record_property):
    """Arrivals as the table's authors likely had them; the answer lands in the table's range or is explained."""
    result = model.smallest_provisioner_count(users, SPREAD, **WORKSHOP)
    explanation = model.explain_vs_rule_of_thumb(result, users)
    record_property("provisioners", result["provisioners"])
    print("%d users, spread arrivals: %d provisioners; %s" % (users, result["provisioners"], explanation))
    low, high = model.rule_of_thumb(users)
    if not low <= result["provisioners"] <= high:
        assert "because" in explanation
        assert ("below" if result["provisioners"] < low else "above") in explanation


def test_model_vs_rule_of_thumb_with_a_burst_of_25(record_property):
    """Everyone presses create within 60 s: the model needs more than the table's 12-15, and says why."""
    result = model.smallest_provisioner_count(25, BURST, **WORKSHOP)
    explanation = model.explain_vs_rule_of_thumb(result, 25)
    record_property("provisioners", result["provisioners"])
    print("25 users, burst: %d provisioners; %s" % (result["provisioners"], explanation))
    assert result["provisioners"] > 15
    assert "above the rule of thumb's 12-15 because" in explanation
    assert "within one 60 s median build" in explanation and "waves" in explanation


# --- planning with a confidence ----------------------------------------------------------------------------------
def test_confidence_counts_workshops_that_meet_the_target_on_their_own_p95():
    mean_based = model.smallest_provisioner_count(25, BURST, **WORKSHOP)
    confident = model.smallest_provisioner_count(25, BURST, confidence=0.8, **WORKSHOP)
    assert confident["meets_target"] and confident["provisioners"] > mean_based["provisioners"]
    met = confident["predicted"]["p95_target_met_fraction"]
    assert met >= 0.8
    fewer = model.predict(25, confident["provisioners"] - 1, BURST, target_p95_s=120.0, **WORKSHOP)
    assert fewer["p95_target_met_fraction"] < 0.8  # the smallest such count
    assert any("%.0f %% of simulated workshops" % (100 * met) in line for line in confident["reasoning"])


def test_met_fraction_never_decreases_with_more_provisioners():
    fractions = [model.predict(25, count, BURST, target_p95_s=120.0, replications=100, **WORKSHOP)
                 ["p95_target_met_fraction"] for count in range(1, 26)]
    assert fractions == sorted(fractions) and fractions[0] == 0.0


def test_an_unreachable_confidence_says_the_build_tail_is_the_cause():
    result = model.smallest_provisioner_count(25, BURST, confidence=0.99, **WORKSHOP)
    assert not result["meets_target"] and result["provisioners"] == 25
    assert "only" in result["reason"] and "of simulated workshops meet" in result["reason"]


def test_confidence_must_be_a_fraction():
    with pytest.raises(ValueError, match="confidence"):
        model.smallest_provisioner_count(25, BURST, confidence=1.5, **WORKSHOP)
