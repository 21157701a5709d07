# -*- coding: utf-8 -*-
"""One baseline-settings schema for the gate and the security_baseline role, and nothing that can drift from it.

The schema is plugins/module_utils/settings/baseline.py's SETTINGS_SPEC, the defaults checks/baseline.py's
DEFAULT_SETTINGS (what the judge falls back to). The gate (preflight_baseline_settings) and the role
(security_baseline_settings) both default to the platform's baseline_settings.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.coder.ai_platform.plugins.module_utils.checks import baseline as bc
from ansible_collections.coder.ai_platform.plugins.module_utils.settings import baseline as bs

REPO = Path(__file__).resolve().parents[5]
ROLES = REPO / "roles"
USERS = {"preflight": "preflight_baseline_settings", "security_baseline": "security_baseline_settings"}


def options(role):
    return yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"][
        "options"]


def defaults(role):
    return yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())


def test_the_schema_has_exactly_the_judges_settings():
    assert set(bs.SETTINGS_SPEC) == set(bc.DEFAULT_SETTINGS) - {"now"}
    assert bs.validate_settings({}) == bs.settings_defaults()
    assert bs.validate_settings(bs.settings_defaults()) == bs.settings_defaults()  # every default fits its type
    judged = bc.baseline_settings({"now": "2026-11-25T10:00:00Z"})
    assert dict((k, judged[k]) for k in bs.SETTINGS) == bs.settings_defaults()


@pytest.mark.parametrize("role,variable", sorted(USERS.items()))
def test_both_roles_take_the_one_platform_variable(role, variable):
    spec = options(role)[variable]
    assert spec["type"] == "dict" and spec["default"] == "{{ baseline_settings }}"
    assert defaults(role)[variable] == "{{ baseline_settings }}"
    assert "platform" in (ROLES / role / "meta" / "main.yml").read_text()  # where baseline_settings comes from
    assert options("platform")["baseline_settings"] == dict(options("platform")["baseline_settings"], type="dict",
                                                            default={})
    assert defaults("platform")["baseline_settings"] == {}


@pytest.mark.parametrize("role", sorted(USERS))
def test_no_role_keeps_a_second_copy_of_a_setting(role):
    """No variable of either role stands for a setting on its own (as security_baseline_s3_buckets once did)."""
    names = set(options(role)) | set(defaults(role))
    shadows = sorted(name for name in names for key in bs.SETTINGS
                     if name.endswith(key) or name.endswith(key.replace("report_unused_groups", "report_unused")))
    assert shadows == []


def test_the_role_reads_only_keys_of_the_schema():
    text = "".join(p.read_text() for p in sorted((ROLES / "security_baseline").rglob("*.yml")))
    used = set(re.findall(r"__security_baseline_cfg\.(\w+)", text))
    assert used and used <= set(bs.SETTINGS), used - set(bs.SETTINGS)
    assert "coder.ai_platform.baseline_settings('security_baseline_settings')" in text


def test_the_filter_documents_every_key():
    doc = (REPO / "plugins" / "filter" / "baseline_settings.yml").read_text()
    assert [key for key in bs.SETTINGS if "C(%s)" % key not in doc] == []


@pytest.mark.parametrize("settings,fragment", [
    ({"allowed_public_port": [443]}, "unknown key(s) allowed_public_port"),
    ({"allowed_public_ports": ["https"]}, "allowed_public_ports"),
    ({"allowed_public_ports": [0]}, "allowed_public_ports: 0 is not a port"),
    ({"secret_tags": ["a"]}, "secret_tags"),
    ({"secrets_max_days_since_rotation": 0}, "secrets_max_days_since_rotation must be at least 1"),
    ({"flow_logs_min_retention_days": -1}, "flow_logs_min_retention_days must be 0 or more"),
    ({"flow_logs_traffic_type": "BOTH"}, "flow_logs_traffic_type"),
    ("443", "must be a dict"),
])
def test_bad_settings_name_the_variable_and_the_key(settings, fragment):
    with pytest.raises(ValueError) as err:
        bs.validate_settings(settings, "security_baseline_settings")
    assert fragment in str(err.value) and "security_baseline_settings" in str(err.value)


def test_values_are_converted_and_merged():
    merged = bs.validate_settings({"allowed_public_ports": ["443"], "s3_buckets": ["coder-*"]})
    assert merged["allowed_public_ports"] == [443] and merged["s3_buckets"] == ["coder-*"]
    assert merged["lb_allowed_policies"] == bc.DEFAULT_SETTINGS["lb_allowed_policies"]
    assert bs.validate_settings(None) == bs.settings_defaults()


def test_the_filter_turns_errors_into_filter_errors():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.coder.ai_platform.plugins.filter.baseline_settings import FilterModule
    check = FilterModule().filters()["baseline_settings"]
    assert check({"s3_buckets": ["a"]})["s3_buckets"] == ["a"]
    with pytest.raises(AnsibleFilterError, match="preflight_baseline_settings has unknown key"):
        check({"nope": 1}, "preflight_baseline_settings")
