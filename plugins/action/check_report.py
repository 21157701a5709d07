# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run check_report on the controller: the reports are the controller's files, and starting a module process for
them cost the gate about a second of its wall time (docs/gate-performance.md). Same argument spec and same code as
the module (module_utils/core/report_run.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.coder.ai_platform.plugins.module_utils.core.report_run import (
    ARGUMENT_SPEC, ReportError, run_report,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            result.update(failed=True, changed=False,
                          msg="check_report: %s" % "; ".join(validation.error_messages))
            return result
        try:
            outcome, warnings = run_report(validation.validated_parameters)
        except ReportError as err:
            result.update(failed=True, changed=False, msg=str(err))
            return result
        result.update(outcome)
        if warnings:
            result["warnings"] = warnings
        return result
