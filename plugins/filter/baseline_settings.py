# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data-protection baseline's settings, checked against their one schema and merged over their defaults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.coder.ai_platform.plugins.module_utils.settings.baseline import validate_settings


def baseline_settings(settings, variable="baseline_settings"):
    """``settings`` validated (module_utils/settings/baseline.py) and merged over the defaults."""
    try:
        return validate_settings(settings, variable)
    except ValueError as err:
        raise AnsibleFilterError(str(err))


class FilterModule(object):
    def filters(self):
        return {"baseline_settings": baseline_settings}
