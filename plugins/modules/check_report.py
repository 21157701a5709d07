#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: check_report
short_description: Write check results as JSON, Markdown and JUnit XML reports
version_added: 0.1.0
description:
  - Takes check results of the collection's common shape (C(id), C(requirement), C(target), C(status),
    C(summary), C(details), C(remediation), C(runbook)) from any validation - the pre-workshop gate, the state
    backend or the security baseline - and writes C(<name>.json), C(<name>.md) and C(<name>.junit.xml) under
    O(report_dir).
  - Returns the counts per status and a readable table; it does not fail on failed checks, so the play can print
    the table first and fail afterwards.
  - Every value in O(redact) is replaced wherever it appears before anything is written or returned.
author:
  - Coder platform team (@coder)
options:
  name:
    description: Report name, used for the file names.
    type: str
    default: pre_workshop
  checks:
    description: The check results.
    type: list
    elements: dict
    required: true
  report_dir:
    description: Directory for the report files; created when missing.
    type: path
    default: ./reports
  inputs:
    description: The inputs the checks were run with, recorded in the report.
    type: dict
    default: {}
  started_at:
    description: Epoch seconds when the run started, to compute C(duration_s). Defaults to now (duration 0).
    type: float
  redact:
    description: Secret values that must never appear in a report. Never logged.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode the report is built and returned but no file is written.
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Write the gate's reports
  coder.ai_platform.check_report:
    name: pre_workshop
    checks: "{{ gate_results }}"
    report_dir: /var/lib/coder-gate/reports
    redact: ["{{ coder_token }}"]
  register: report

- name: Print the table
  ansible.builtin.debug:
    msg: "{{ report.table | join('\n') }}"
"""

RETURN = r"""
summary:
  description: Number of checks per status.
  returned: always
  type: dict
  sample: {"pass": 20, "warn": 2, "fail": 9, "error": 0, "skip": 0}
status:
  description: The worst status present (C(fail) > C(error) > C(warn) > C(pass) > C(skip)).
  returned: always
  type: str
failed_checks:
  description: C(id @ target) of each failed check.
  returned: always
  type: list
  elements: str
table:
  description: The report as fixed-width text lines, worst first.
  returned: always
  type: list
  elements: str
paths:
  description: The report files (written unless in check mode).
  returned: always
  type: dict
duration_s:
  description: Seconds since O(started_at).
  returned: always
  type: float
written:
  description: Whether the files were written (false in check mode).
  returned: always
  type: bool
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.coder.ai_platform.plugins.module_utils.core.report import (
    build_report, overall_status, redact, table_lines, to_json, to_junit, to_markdown,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat, utcnow

REQUIRED_FIELDS = ("id", "requirement", "target", "status", "summary", "details", "remediation", "runbook")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default="pre_workshop"),
            checks=dict(type="list", elements="dict", required=True),
            report_dir=dict(type="path", default="./reports"),
            inputs=dict(type="dict", default={}),
            started_at=dict(type="float"),
            redact=dict(type="list", elements="str", default=[], no_log=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for check in params["checks"]:
        missing = [field for field in REQUIRED_FIELDS if field not in check]
        if missing:
            module.fail_json(msg="check %s lacks %s" % (check.get("id", "?"), ", ".join(missing)))
    now = time.time()
    duration = now - params["started_at"] if params["started_at"] else 0.0
    report = build_report(params["name"], params["checks"], params["inputs"], isoformat(utcnow()), duration)
    report = redact(report, params["redact"])
    report_dir = os.path.abspath(params["report_dir"])
    base = os.path.join(report_dir, params["name"])
    paths = {"json": base + ".json", "markdown": base + ".md", "junit": base + ".junit.xml"}
    if not module.check_mode:
        if not os.path.isdir(report_dir):
            os.makedirs(report_dir)
        for path, text in ((paths["json"], to_json(report)), (paths["markdown"], to_markdown(report)),
                           (paths["junit"], to_junit(report))):
            with open(path + ".tmp", "w") as handle:
                handle.write(text)
            module.atomic_move(path + ".tmp", path)
    module.exit_json(
        changed=not module.check_mode, summary=report["summary"], status=overall_status(report),
        failed_checks=["%s @ %s" % (c["id"], c["target"]) for c in report["checks"] if c["status"] == "fail"],
        table=table_lines(report), paths=paths, duration_s=report["duration_s"], written=not module.check_mode,
    )


if __name__ == "__main__":
    main()
