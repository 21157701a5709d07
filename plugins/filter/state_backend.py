# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state backend's judge as a filter, so the gate judges it on the controller like its other families."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.coder.ai_platform.plugins.module_utils.checks.state_backend import judge_state_backend


def state_backend_checks(facts, target, settings=None):
    """The four state_backend.* results for terraform_state_backend_info's result (module_utils/checks/state_backend.py)."""
    try:
        return judge_state_backend(facts, target, settings or {})
    except (KeyError, TypeError, ValueError) as err:
        raise AnsibleFilterError("state_backend_checks: bad input: %s" % err)


class FilterModule(object):
    def filters(self):
        return {"state_backend_checks": state_backend_checks}
