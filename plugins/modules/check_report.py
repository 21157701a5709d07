#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: check_report
short_description: Write check results as JSON, Markdown, JUnit XML and SARIF 2.1.0 reports, with one verdict
version_added: 0.1.0
description:
  - Takes check results of the collection's common shape (C(id), C(requirement), C(target), C(status),
    C(summary), C(details), C(remediation), C(runbook), and when present C(family), C(title), C(wa),
    C(severity), C(caused_by)) from any family of checks - the pre-workshop gate, the state backend, the security
    baseline - and writes C(<name>.json), C(<name>.md), C(<name>.junit.xml) and C(<name>.sarif).
  - Each run writes into its own folder C(<report_dir>/<name>-<UTC timestamp>/) (a second run in the same second
    gets a C(-2) suffix, so no run overwrites another), and the same files again at C(<report_dir>/<name>.*), which
    always hold the newest run for scripts and AWX artifacts.
  - The verdict is C(fail) if any check failed, else C(incomplete) if any could not be evaluated (C(error)), else
    C(pass). It is in the JSON report, the Markdown, the table and the return values. The module itself never
    fails on check results, so the play can print the table first and decide afterwards (the
    C(coder.ai_platform.check_report) role's tasks do that).
  - Failures are grouped by cause in the order to fix them, from each result's C(caused_by) list. A result whose
    cause is failing at the same target (or globally) is listed under it. The table shows every culprit (summaries
    are wrapped, not cut) and the Markdown's runbook links resolve from where each Markdown file sits.
  - Every value in O(redact) is replaced wherever it appears before anything is written or returned; characters
    XML forbids, control characters and ANSI escapes become visible text (for example C(\\x1b)).
  - Writing a report changes nothing on the platform, so the module always returns C(changed=false), also when
    it wrote files; in check mode it still writes them, since a gate run with C(--check) should leave its reports.
author:
  - Coder platform team (@coder)
options:
  name:
    description: Report name, used for the file names and the run folder.
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
    description:
      - The inputs the checks were run with, recorded in full in the JSON report; the Markdown shows each on one
        short line (a capacity plan as a one-line summary).
    type: dict
    default: {}
  started_at:
    description: Epoch seconds when the run started, to compute C(duration_s). Defaults to now (duration 0).
    type: float
  runbook_root:
    description:
      - The directory the results' C(runbook) paths are relative to (the collection root, holding C(docs/runbooks)).
      - With it, the Markdown links each runbook - relatively when the Markdown sits inside this directory, else by
        its absolute C(file://) URL - and the SARIF rules get a C(helpUri). Without it, or when the file is missing,
        the runbook is named as text, never as a broken link.
    type: path
  errors_fatal:
    description:
      - Whether the caller treats the C(incomplete) verdict as a failure. The module never fails on results; with
        C(false) and an incomplete verdict it warns that the downgrade was asked for, and the JSON report records
        C(errors_fatal=false).
    type: bool
    default: true
  redact:
    description: Secret values that must never appear in a report. Never logged.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - The reports are written in check mode too. They are the run's output, not managed state, and a gate run with
        C(--check) must still leave its reports. C(changed) is always false.
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
    runbook_root: /opt/collections/ansible_collections/coder/ai_platform
    redact: ["{{ coder_token }}"]
  register: report

- name: Print the table
  ansible.builtin.debug:
    msg: "{{ report.table | join('\n') }}"

- name: Fail unless every check passed and was evaluated
  ansible.builtin.fail:
    msg: "verdict {{ report.verdict }}: {{ report.failed_checks + report.not_evaluated }}"
  when: report.verdict != 'pass'
"""

RETURN = r"""
verdict:
  description: C(fail) if any check failed, else C(incomplete) if any could not be evaluated, else C(pass).
  returned: always
  type: str
  sample: fail
failed_count:
  description: Number of failed checks (status C(fail)).
  returned: always
  type: int
  sample: 11
not_evaluated_count:
  description: Number of checks that could not be evaluated (status C(error)).
  returned: always
  type: int
  sample: 0
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
  description: C(id @ target) of each failed check, in the order to fix them (causes first).
  returned: always
  type: list
  elements: str
not_evaluated:
  description: The C(id @ target) and cause of each check that could not be evaluated, as one string each.
  returned: always
  type: list
  elements: str
  sample: ["coder.health @ us-east-2: cannot reach https://coder.example.com: connection refused"]
fix_order:
  description: The failed, could-not-evaluate and warned checks as groups of C(id @ target), cause first.
  returned: always
  type: list
  elements: list
table:
  description: The report as fixed-width text lines (at most 110 columns), rows to act on first, grouped by cause.
  returned: always
  type: list
  elements: str
paths:
  description: The newest run's files at the stable paths C(<report_dir>/<name>.json), C(.md), C(.junit.xml), C(.sarif).
  returned: always
  type: dict
  sample: {"json": "/srv/reports/pre_workshop.json", "markdown": "/srv/reports/pre_workshop.md",
           "junit": "/srv/reports/pre_workshop.junit.xml", "sarif": "/srv/reports/pre_workshop.sarif"}
run_dir:
  description: This run's own folder, C(<report_dir>/<name>-<UTC timestamp>).
  returned: always
  type: str
  sample: /srv/reports/pre_workshop-20261125T100000Z
run_paths:
  description: This run's files in RV(run_dir), by format as in RV(paths).
  returned: always
  type: dict
duration_s:
  description: Seconds since O(started_at).
  returned: always
  type: float
written:
  description: Whether the files were written (always true, check mode included).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.coder.ai_platform.plugins.module_utils.core.report_run import (
    ARGUMENT_SPEC, ReportError, run_report,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result, warnings = run_report(module.params)
    except ReportError as err:
        module.fail_json(msg=str(err))
    for warning in warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
