# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind scale_for_workshop.yml and post_workshop.yml (logic in module_utils/planners/workshop_scale.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import workshop_scale


def workshop_scale_changes(reads, plan, workshop_start, duration_hours, lead_minutes=30, nodepools=None):
    """``reads``: the role's registered k8s_info results (provisioners, scaledobjects, others)."""
    try:
        state = workshop_scale.state_from_reads(reads["provisioners"], reads["scaledobjects"], reads["others"],
                                                nodepools or [])
        window = workshop_scale.workshop_window(workshop_start, duration_hours)
        return workshop_scale.scale_changes(state, plan, window, int(lead_minutes))
    except (KeyError, ValueError, TypeError) as err:
        raise AnsibleFilterError("workshop_scale_changes: bad input: %s" % err)


def workshop_scale_record(record, namespace, recorded_at):
    return workshop_scale.record_configmap(record, namespace, recorded_at)


def workshop_restore_changes(configmap):
    try:
        return workshop_scale.restore_changes(configmap)
    except ValueError as err:
        raise AnsibleFilterError("workshop_restore_changes: the record ConfigMap is unreadable: %s" % err)


class FilterModule(object):
    def filters(self):
        return {"workshop_scale_changes": workshop_scale_changes, "workshop_scale_record": workshop_scale_record,
                "workshop_restore_changes": workshop_restore_changes}
