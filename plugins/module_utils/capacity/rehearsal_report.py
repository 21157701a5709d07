# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown twin of rehearsal.json."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _verdict(met):
    return "met" if met else "MISSED"


def to_markdown(result):
    meets = result["meets_targets"]
    targets = result["targets"]
    lines = [
        "# Workshop rehearsal %s" % result["run_id"], "",
        "%d workspaces from `%s`, arrivals %s, time scale %g (numbers below are platform seconds)." % (
            result["users"], result["template"], result["arrival_profile"], result["time_scale"]), "",
        "| measure | value | target |", "|---|---|---|",
        "| time-to-ready p50 | %s s | |" % result["p50_s"],
        "| time-to-ready p95 | %s s | <= %s s: %s |" % (result["p95_s"], targets["p95_s"], _verdict(meets["p95"])),
        "| time-to-ready max | %s s | |" % result["max_s"],
        "| success rate | %d / %d = %.2f %% | >= %.1f %%: %s |" % (
            result["succeeded"], result["users"], 100 * result["success_rate"], 100 * targets["success_rate"],
            _verdict(meets["success_rate"])),
        "| queue wait p50 / p95 | %s / %s s | |" % (result["queue_wait_p50_s"], result["queue_wait_p95_s"]),
        "| build p50 / p95 | %s / %s s | |" % (result["build_p50_s"], result["build_p95_s"]),
        "| retries | %d | |" % result["retries"],
        "", "Cleanup: created %d, left %d%s." % (
            result["cleanup"]["created"], result["cleanup"]["left"],
            (" (" + ", ".join(result["cleanup"]["left_names"]) + ")") if result["cleanup"]["left"] else ""),
    ]
    if result["interrupted"]:
        lines += ["", "**Interrupted:** %s; every workspace created so far was deleted." % result["interrupt_reason"]]
    if result["failures"]:
        lines += ["", "## Failures", ""] + ["- %s" % failure for failure in result["failures"]]
    return "\n".join(lines) + "\n"
