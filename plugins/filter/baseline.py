# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data-protection baseline's judge as a filter, so the role judges every region once on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.coder.ai_platform.plugins.module_utils.checks.baseline import judge_baseline


def baseline_checks(facts_by_region, settings=None):
    """Every baseline check result for {region: data_protection_info result} (module_utils/checks/baseline.py)."""
    if not isinstance(facts_by_region, dict):
        raise AnsibleFilterError("baseline_checks: expected a dict of region name to facts, got %s"
                                 % type(facts_by_region).__name__)
    try:
        return judge_baseline(facts_by_region, settings or {})
    except (KeyError, TypeError, ValueError) as err:
        raise AnsibleFilterError("baseline_checks: bad input: %s" % err)


class FilterModule(object):
    def filters(self):
        return {"baseline_checks": baseline_checks}
