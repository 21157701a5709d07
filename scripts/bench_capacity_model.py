#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the workshop capacity model: runtime of smallest_provisioner_count per workshop size.

For 10, 25, 50, 100, 200 and 500 users (everyone presses create within 60 s; builds 60 s p50 / 90 s p95; agent
15 s; 2 % failures, 3 retries; 300 replications) prints the median wall-clock time of 3 runs and the answer, both
for the confidence-based search the plan uses (80 % of simulated workshops within the target) and for the
mean-based one.

    .venv/bin/python scripts/bench_capacity_model.py
"""

from __future__ import absolute_import, division, print_function

import statistics
import sys
import time
from pathlib import Path

# The collection is importable as ansible_collections.coder.ai_platform through the link `make venv` creates.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".cache" / "collections"))

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity import model as capacity_model  # noqa: E402

USERS = (10, 25, 50, 100, 200, 500)
RUNS = 3
WORKSHOP = dict(arrival_profile=[[0, 0], [60, 1]], build_p50_s=60, build_p95_s=90, agent_ready_s=15,
                failure_rate=0.02, retry={"base_s": 5, "cap_s": 60, "max_retries": 3}, target_p95_s=120,
                target_success_rate=0.995)


def timed_answer(n_users, confidence):
    """Median runtime over RUNS runs, and the (identical, seeded) answer."""
    durations = []
    result = None
    for dummy in range(RUNS):
        started = time.perf_counter()
        result = capacity_model.smallest_provisioner_count(n_users, confidence=confidence, **WORKSHOP)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), result


def main():
    print("capacity model: smallest_provisioner_count, median of %d runs, %d replications per count"
          % (RUNS, capacity_model.DEFAULT_REPLICATIONS))
    print("inputs: %s" % ", ".join("%s=%s" % item for item in sorted(WORKSHOP.items())))
    print()
    header = "%6s  %11s  %10s  %12s  %6s  %12s  %8s  %13s" % (
        "users", "search", "runtime_s", "provisioners", "meets", "p95_ready_s", "met_80", "rule_of_thumb")
    print(header)
    print("-" * len(header))
    for n_users in USERS:
        low, high = capacity_model.rule_of_thumb(n_users)
        for label, confidence in (("80 % conf.", 0.8), ("mean", None)):
            runtime, result = timed_answer(n_users, confidence)
            predicted = result["predicted"]
            met = predicted["p95_target_met_fraction"]
            print("%6d  %11s  %10.3f  %12d  %6s  %12.1f  %8s  %13s" % (
                n_users, label, runtime, result["provisioners"], "yes" if result["meets_target"] else "no",
                predicted["p95_time_to_ready_s"], "%.2f" % met if met is not None else "-",
                "%d" % low if low == high else "%d-%d" % (low, high)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
