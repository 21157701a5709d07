# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one schema of the data-protection baseline's settings (requirement 2).

The gate (role ``preflight``, variable ``preflight_baseline_settings``) and the ``security_baseline`` role (variable
``security_baseline_settings``) both take this dict; both default to the platform-wide ``baseline_settings``, so one
group_vars entry sets the gate and the baseline alike. ``SETTINGS_SPEC`` says each key's type (an Ansible argument
spec); the defaults are ``checks/baseline.py``'s ``DEFAULT_SETTINGS``, the values the judge itself falls back to.
``validate_settings`` checks a dict against the spec and returns it merged over the defaults, naming the variable
and the key when something is wrong. ``now`` is not a setting: the roles pass the run's time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.coder.ai_platform.plugins.module_utils.checks.baseline import DEFAULT_SETTINGS

TRAFFIC_TYPES = ["ALL", "ACCEPT", "REJECT", ""]

SETTINGS_SPEC = {
    "allowed_public_ports": {"type": "list", "elements": "int",
                             "description": "TCP/UDP ports that may be open to 0.0.0.0/0 or ::/0 (2.3)"},
    "exempt_self_reference": {"type": "bool",
                              "description": "an all-protocol rule from the group itself is not a finding (2.3)"},
    "report_unused_groups": {"type": "bool", "description": "warn about groups on no network interface (2.3)"},
    "secret_name_patterns": {"type": "list", "elements": "str",
                             "description": "secrets in scope by name pattern, empty for all (2.2)"},
    "secret_tags": {"type": "dict", "description": "secrets in scope by tags (2.2)"},
    "secrets_max_days_since_rotation": {"type": "int", "description": "rotation age ceiling in days (2.2)"},
    "flow_logs_traffic_type": {"type": "str", "choices": TRAFFIC_TYPES,
                               "description": "traffic a flow log must capture, empty for any (2.4)"},
    "flow_logs_min_retention_days": {"type": "int",
                                     "description": "retention a flow-log group must keep at least, 0 for any (2.4)"},
    "s3_buckets": {"type": "list", "elements": "str", "description": "buckets in scope by name pattern (2.5)"},
    "lb_allowed_policies": {"type": "list", "elements": "str",
                            "description": "ELB policy names accepted when a policy's protocols are unreadable (2.5)"},
}
SETTINGS = sorted(SETTINGS_SPEC)


def settings_defaults():
    """The default of every setting (a copy of the judge's own defaults)."""
    return dict((key, copy.deepcopy(DEFAULT_SETTINGS[key])) for key in SETTINGS)


def argument_spec():
    """SETTINGS_SPEC as an Ansible argument spec (without the descriptions)."""
    return dict((key, dict((k, v) for k, v in spec.items() if k != "description"))
                for key, spec in SETTINGS_SPEC.items())


def settings_errors(settings, variable):
    """Every problem with ``settings`` (the value of ``variable``), as messages naming both."""
    if not isinstance(settings, dict):
        return ["%s must be a dict of baseline settings (%s), not %s" % (variable, ", ".join(SETTINGS),
                                                                         type(settings).__name__)]
    unknown = sorted(set(settings) - set(SETTINGS_SPEC))
    errors = ["%s has unknown key(s) %s; the settings are %s" % (variable, ", ".join(unknown), ", ".join(SETTINGS))
              ] if unknown else []
    known = dict((k, v) for k, v in settings.items() if k in SETTINGS_SPEC)
    result = ArgumentSpecValidator(argument_spec()).validate(known)
    errors.extend("%s: %s" % (variable, message) for message in result.error_messages)
    if errors:
        return errors
    values = result.validated_parameters
    for port in values.get("allowed_public_ports") or []:
        if not 1 <= port <= 65535:
            errors.append("%s.allowed_public_ports: %s is not a port (1-65535)" % (variable, port))
    for key in ("secrets_max_days_since_rotation",):
        if values.get(key) is not None and values[key] < 1:
            errors.append("%s.%s must be at least 1 (got %s)" % (variable, key, values[key]))
    if values.get("flow_logs_min_retention_days") is not None and values["flow_logs_min_retention_days"] < 0:
        errors.append("%s.flow_logs_min_retention_days must be 0 or more (got %s)"
                      % (variable, values["flow_logs_min_retention_days"]))
    return errors


def validate_settings(settings, variable="baseline_settings"):
    """The settings merged over the defaults, with their types converted; ValueError naming the variable and key."""
    settings = {} if settings is None else settings
    errors = settings_errors(settings, variable)
    if errors:
        raise ValueError("; ".join(errors))
    validated = ArgumentSpecValidator(argument_spec()).validate(dict(settings)).validated_parameters
    merged = settings_defaults()
    merged.update(dict((k, v) for k, v in validated.items() if v is not None))
    return merged
