# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the gate's inputs: validation, the workshop window, and what the capacity plan takes from Coder."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.coder.ai_platform.plugins.module_utils.core.inputs import workshop_input_errors, workshop_phase
from ansible_collections.coder.ai_platform.plugins.module_utils.checks.preflight import default_organization
from ansible_collections.coder.ai_platform.plugins.module_utils.settings.baseline import settings_errors


def workshop_plan_inputs(coder, templates, organization=""):
    """Build time stats of the first workshop template that has them, and the online provisioners of the workshop
    organization, from coder_deployment_info's result; each is None when Coder could not say."""
    coder = coder or {}
    stats = None
    for template in coder.get("templates") or []:
        if template.get("name") in (templates or []) and template.get("build_time_stats"):
            stats = template["build_time_stats"]
            break
    online = None
    org = default_organization(coder, organization or None) if coder.get("organizations") else None
    daemons = (coder.get("provisioner_daemons") or {}).get(org)
    if daemons is not None:
        online = len([d for d in daemons if d.get("status") != "offline"])
    return {"build_time_stats": stats, "current_provisioners": online or None}


def _workshop_input_errors(expected_users, workshop_start, workshop_duration_hours, hosts, aws_regions, now=None,
                           allow_started=False, urls=None, optional_urls=None, baseline_settings=None):
    regions = [{"host": host, "aws_region": region} for host, region in zip(hosts, aws_regions)]
    errors = workshop_input_errors(expected_users, workshop_start, workshop_duration_hours, regions, now=now or None,
                                   allow_started=bool(allow_started), urls=urls, optional_urls=optional_urls or ())
    if baseline_settings is not None:  # the one baseline-settings schema, checked before any API call
        errors.extend(settings_errors(baseline_settings, "preflight_baseline_settings"))
    return errors


class FilterModule(object):
    def filters(self):
        return {"workshop_input_errors": _workshop_input_errors,
                "workshop_plan_inputs": workshop_plan_inputs, "workshop_phase": workshop_phase}
