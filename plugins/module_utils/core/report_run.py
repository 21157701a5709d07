# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One report step for every family: the check_report argument spec and what it does with valid parameters.

The module (``plugins/modules/check_report.py``) and its action plugin (``plugins/action/check_report.py``, which
runs it on the controller without starting a module process, where the reports belong anyway) share this code, so
both give the same result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time
from datetime import datetime

from ansible_collections.coder.ai_platform.plugins.module_utils.core.report import (
    build_report, cause_of_error, fix_order, label, overall_status, redact, table_lines, write_reports,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import UTC, isoformat, utcnow

REQUIRED_FIELDS = ("id", "requirement", "target", "status", "summary", "details", "remediation", "runbook")

ARGUMENT_SPEC = dict(
    name=dict(type="str", default="pre_workshop"),
    checks=dict(type="list", elements="dict", required=True),
    report_dir=dict(type="path", default="./reports"),
    inputs=dict(type="dict", default={}),
    started_at=dict(type="float"),
    runbook_root=dict(type="path"),
    errors_fatal=dict(type="bool", default=True),
    redact=dict(type="list", elements="str", default=[], no_log=True),
)


class ReportError(Exception):
    """The reports could not be written, or the checks are not results of the common shape."""


def run_report(params):
    """(result, warnings) for validated parameters; raises ReportError."""
    for check in params["checks"]:
        missing = [field for field in REQUIRED_FIELDS if field not in check]
        if missing:
            raise ReportError("check %s lacks %s" % (check.get("id", "?"), ", ".join(missing)))
    now = time.time()
    duration = now - params["started_at"] if params["started_at"] else 0.0
    secrets = params["redact"]
    report = build_report(params["name"], redact(params["checks"], secrets), redact(params["inputs"], secrets),
                          isoformat(utcnow()), duration)
    report = redact(report, secrets)
    errors = [c for c in report["checks"] if c["status"] == "error"]
    warnings = []
    if errors and not params["errors_fatal"] and report["verdict"] == "incomplete":
        report["errors_fatal"] = False
        warnings.append("verdict incomplete, accepted on purpose (errors_fatal=false): %d check(s) could not be "
                        "evaluated - %s" % (len(errors), "; ".join("%s: %s" % (label(c), cause_of_error(c))
                                                                   for c in errors)))
    started = isoformat(datetime.fromtimestamp(params["started_at"] or now, UTC))
    try:
        run_dir, run_paths, paths = write_reports(report, os.path.abspath(params["report_dir"]),
                                                  params["runbook_root"], started)
    except (IOError, OSError) as err:
        raise ReportError("cannot write the reports under report_dir %s: %s" % (params["report_dir"], err))
    # Writing the reports is this run's output, not a change to the platform: changed is false, in check mode too.
    result = dict(
        changed=False, verdict=report["verdict"], summary=report["summary"], status=overall_status(report),
        failed_count=report["summary"]["fail"], not_evaluated_count=report["summary"]["error"],
        failed_checks=[item for group in fix_order([c for c in report["checks"] if c["status"] == "fail"])
                       for item in group],
        not_evaluated=["%s: %s" % (label(c), cause_of_error(c)) for c in errors],
        fix_order=report["fix_order"], table=table_lines(report), paths=paths, run_dir=run_dir,
        run_paths=run_paths, duration_s=report["duration_s"], written=True,
    )
    return redact(result, secrets), redact(warnings, secrets)
