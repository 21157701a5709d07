# -*- coding: utf-8 -*-
"""Time parsing, cron windows, quantities and workshop input validation."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timedelta

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.core.inputs import (
    url_errors, workshop_input_errors, workshop_phase,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.core.quantity import parse_quantity
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import (
    UTC, cron_runs_between, isoformat, parse_cron, parse_timestamp,
)

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize("text, expected", [
    ("2026-11-27T09:00:00Z", "2026-11-27T09:00:00Z"),
    ("2026-11-27T09:00:00.123456789Z", "2026-11-27T09:00:00Z"),
    ("2026-11-27T10:30:00+01:30", "2026-11-27T09:00:00Z"),
    ("2026-11-27T04:00:00-05:00", "2026-11-27T09:00:00Z"),
    ("2026-11-27 09:00", "2026-11-27T09:00:00Z"),
])
def test_parse_timestamp(text, expected):
    assert isoformat(parse_timestamp(text)) == expected


@pytest.mark.parametrize("bad", ["tomorrowish", "", None, "2026-13-01", "27/11/2026 09:00"])
def test_parse_timestamp_rejects(bad):
    with pytest.raises(ValueError):
        parse_timestamp(bad)


@pytest.mark.parametrize("schedule, hours, expected", [
    ("0 */4 * * *", 8, ["12:00", "16:00"]),   # the incident's rotation schedule, 09:00-17:00
    ("@hourly", 3, ["09:00", "10:00", "11:00"]),
    ("30 2 * * *", 8, []),
    ("0 9 * * 5", 1, ["09:00"]),              # Friday
    ("0 9 * * 7", 1, []),                     # 7 = Sunday
    ("0 9 * * SUN-MON", 1, []),
    ("0 9 27 * MON", 1, ["09:00"]),           # dom OR dow when both restricted
    ("0 9 1 * FRI", 1, ["09:00"]),
    ("0 9 1 * MON", 1, []),
    ("5/20 9 * NOV *", 1, ["09:05", "09:25", "09:45"]),
    ("0 9-17/4 * * 1-5", 9, ["09:00", "13:00", "17:00"]),
])
def test_cron_runs_between(schedule, hours, expected):
    runs = cron_runs_between(schedule, T0, T0 + timedelta(hours=hours))
    assert [r.strftime("%H:%M") for r in runs] == expected


def test_cron_window_is_half_open_and_time_zone_aware():
    assert len(cron_runs_between("0 9 * * *", T0, T0 + timedelta(minutes=1))) == 1
    assert cron_runs_between("0 9 * * *", T0 + timedelta(seconds=1), T0 + timedelta(hours=2)) == []
    runs = cron_runs_between("0 10 * * *", T0, T0 + timedelta(hours=2), "Europe/London")  # GMT in November
    assert [isoformat(r) for r in runs] == ["2026-11-27T10:00:00Z"]
    runs = cron_runs_between("0 10 * * *", T0, T0 + timedelta(hours=2), "Europe/Berlin")  # 10:00 CET = 09:00Z
    assert [isoformat(r) for r in runs] == ["2026-11-27T09:00:00Z"]


@pytest.mark.parametrize("bad", ["* * * *", "61 * * * *", "* 24 * * *", "*/0 * * * *", "x * * * *", "0 0 0 * *"])
def test_parse_cron_rejects(bad):
    with pytest.raises(ValueError):
        parse_cron(bad)


def test_cron_rejects_unknown_zone_and_long_windows():
    with pytest.raises(ValueError, match="unknown time zone"):
        cron_runs_between("0 * * * *", T0, T0 + timedelta(hours=1), "Mars/Olympus")
    with pytest.raises(ValueError, match="window longer"):
        cron_runs_between("0 * * * *", T0, T0 + timedelta(days=40))


@pytest.mark.parametrize("text, value", [("64", 64), ("500m", 0.5), ("256Gi", 256 * 2 ** 30), ("1.5T", 1.5e12),
                                         ("100k", 1e5), ("1e3", 1000), (16, 16), ("2Ki", 2048)])
def test_parse_quantity(text, value):
    assert parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("bad", ["", "abc", "5Zi", "1..2", True])
def test_parse_quantity_rejects(bad):
    with pytest.raises(ValueError):
        parse_quantity(bad)


GOOD = dict(expected_users=25, workshop_start="2026-11-27T09:00:00Z", workshop_duration_hours=8,
            regions=[{"host": "us-east-2", "aws_region": "us-east-2"}])


def test_good_inputs_have_no_errors():
    assert workshop_input_errors(**GOOD) == []
    as_strings = dict(GOOD)
    as_strings.update({"expected_users": "40", "workshop_duration_hours": "6.5"})  # what -e gives
    assert workshop_input_errors(**as_strings) == []


@pytest.mark.parametrize("field, value, words", [
    ("expected_users", -3, "expected_users must be a whole number from 1 to 5000"),
    ("expected_users", "abc", "got 'abc'"),
    ("expected_users", True, "expected_users"),
    ("expected_users", 0, "expected_users"),
    ("workshop_start", "tomorrowish", "workshop_start must be an ISO 8601 date-time"),
    ("workshop_duration_hours", 0, "workshop_duration_hours must be a number of hours above 0"),
    ("workshop_duration_hours", "long", "workshop_duration_hours"),
    ("regions", [{"host": "eu-west-2", "aws_region": ""}], "host eu-west-2: aws_region is not set"),
    ("regions", [{"host": "eu-west-2", "aws_region": "London"}], "aws_region must be an AWS region name"),
    ("regions", [], "the inventory has no regions"),
])
def test_bad_inputs_are_named(field, value, words):
    inputs = dict(GOOD)
    inputs[field] = value
    errors = workshop_input_errors(**inputs)
    assert len(errors) == 1 and words in errors[0]


# --- the workshop window and URLs ----------------------------------------------------------------------------------
GOOD_REGIONS = [{"host": "us-east-2", "aws_region": "us-east-2"}]
NOW = "2026-12-04T12:00:00Z"


def window_errors(start, hours=8, allow_started=False):
    return workshop_input_errors(40, start, hours, GOOD_REGIONS, now=NOW, allow_started=allow_started)


def test_a_workshop_in_the_future_is_accepted():
    assert window_errors("2026-12-06T09:00:00Z") == []
    assert workshop_phase("2026-12-06T09:00:00Z", 8, NOW) == "upcoming"


def test_a_workshop_that_ended_is_refused_even_when_started_ones_are_allowed():
    for allow in (False, True):
        errors = window_errors("2020-01-01T09:00:00Z", allow_started=allow)
        assert len(errors) == 1 and errors[0].startswith("workshop_start 2020-01-01T09:00:00Z is in the past")
        assert "ended at 2020-01-01T17:00:00Z" in errors[0]
    assert workshop_phase("2020-01-01T09:00:00Z", 8, NOW) == "over"


def test_a_workshop_under_way_needs_the_explicit_variable():
    errors = window_errors("2026-12-04T09:00:00Z")
    assert len(errors) == 1 and "preflight_allow_started_workshop=true" in errors[0]
    assert window_errors("2026-12-04T09:00:00Z", allow_started=True) == []
    assert workshop_phase("2026-12-04T09:00:00Z", 8, NOW) == "under_way"


def test_without_now_the_window_is_not_judged_and_bad_formats_are_reported_once():
    assert workshop_input_errors(40, "2020-01-01T09:00:00Z", 8, GOOD_REGIONS) == []
    errors = workshop_input_errors(40, "tomorrowish", 8, GOOD_REGIONS, now=NOW)
    assert len(errors) == 1 and errors[0].startswith("workshop_start must be an ISO 8601")
    assert workshop_phase("tomorrowish", 8, NOW) == "unknown"


def test_urls_without_a_scheme_name_the_variable():
    errors = url_errors({"coder_url": "coder.example.com", "litellm_url": "https://litellm.example.com",
                         "other_url": "ftp://x", "empty_url": "", "registry_url": ""},
                        optional=("registry_url",))
    assert [e.split(" ")[0] for e in errors] == ["coder_url", "empty_url", "other_url"]
    assert "got 'coder.example.com'" in errors[0]
    assert url_errors({"coder_url": "http://127.0.0.1:8080/"}) == []
    assert url_errors({"coder_url": "https://"}) != []
