# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic judge and the catalog, as filters: every registered check of the selected families, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.coder.ai_platform.plugins.module_utils.checks import catalog


def judge_checks(facts, families=None, settings=None):
    """Every result of every registered check of ``families`` (all when empty) over the gathered facts."""
    if not isinstance(facts, dict):
        raise AnsibleFilterError("judge_checks: expected the gathered facts as a dict, got %s" % type(facts).__name__)
    try:
        return catalog.judge_checks(facts, list(families) if families else None, settings)
    except ValueError as err:
        raise AnsibleFilterError("judge_checks: %s" % err)


def gather_sections(source, families=None, role=None):
    """The sections of one gather source that the selected families' checks read (what to ask the module for);
    with ``role`` (control_plane | proxy) only those a host of that role gathers."""
    try:
        return catalog.sections_read(source, list(families) if families else None, role or None)
    except ValueError as err:
        raise AnsibleFilterError("gather_sections: %s" % err)


class FilterModule(object):
    def filters(self):
        return {"judge_checks": judge_checks, "gather_sections": gather_sections}
