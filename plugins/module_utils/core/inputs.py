# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the workshop inputs that role argument specs cannot express (ranges, formats, cross-field rules).

Each message names the variable, what it got and what it expects, because the person reading it is a facilitator
two days before an event, not the author of the role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from datetime import timedelta

from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat, parse_timestamp

AWS_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$")
MAX_USERS = 5000
URL_RE = re.compile(r"^https?://[^/\s?#]+", re.IGNORECASE)


def _as_int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r"^\s*[+-]?\d+\s*$", value):
        return int(value)
    return None


def _as_number(value):
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def url_errors(urls, optional=()):
    """Messages for URL variables without an http(s) scheme and host. ``urls``: {variable name: value}; names in
    ``optional`` may be empty."""
    errors = []
    for name in sorted(urls or {}):
        value = urls[name]
        if name in optional and value in (None, ""):
            continue
        if not isinstance(value, str) or not URL_RE.match(value.strip()):
            errors.append("%s must be an http:// or https:// URL with a host, such as https://coder.example.com; "
                          "got %r" % (name, value))
    return errors


def workshop_phase(workshop_start, workshop_duration_hours, now):
    """upcoming | under_way | over, or unknown when an input does not parse."""
    try:
        start = parse_timestamp(workshop_start)
        end = start + timedelta(hours=float(workshop_duration_hours))
        now = parse_timestamp(now)
    except (TypeError, ValueError):
        return "unknown"
    if end <= now:
        return "over"
    return "under_way" if start <= now else "upcoming"


def workshop_window_errors(workshop_start, workshop_duration_hours, now, allow_started=False):
    """A gate run two days ahead must not accept a workshop that is over, or (unless asked) one under way."""
    phase = workshop_phase(workshop_start, workshop_duration_hours, now)
    if phase in ("unknown", "upcoming"):
        return []  # format errors are reported on their own
    start, now = parse_timestamp(workshop_start), parse_timestamp(now)
    if phase == "over":
        end = start + timedelta(hours=float(workshop_duration_hours))
        return ["workshop_start %s is in the past: that workshop ended at %s (now is %s); give the next "
                "workshop's start" % (isoformat(start), isoformat(end), isoformat(now))]
    if not allow_started:
        return ["workshop_start %s is in the past: the workshop has been under way since then (now is %s); to check "
                "a workshop that is running, set preflight_allow_started_workshop=true" % (
                    isoformat(start), isoformat(now))]
    return []


def workshop_input_errors(expected_users, workshop_start, workshop_duration_hours, regions, now=None,
                          allow_started=False, urls=None, optional_urls=()):
    """Return a list of messages (empty when the inputs are good). ``regions``: [{host, aws_region}]. With ``now``,
    a workshop that is over (or under way, unless ``allow_started``) is refused; ``urls`` {name: value} must be
    http(s) URLs."""
    errors = []
    users = _as_int(expected_users)
    if users is None or users < 1 or users > MAX_USERS:
        errors.append("expected_users must be a whole number from 1 to %d (the number of workshop participants); "
                      "got %r" % (MAX_USERS, expected_users))
    try:
        parse_timestamp(workshop_start)
    except ValueError:
        errors.append("workshop_start must be an ISO 8601 date-time with a time zone, such as "
                      "2026-11-27T09:00:00Z; got %r" % (workshop_start,))
    hours = _as_number(workshop_duration_hours)
    if hours is None or not 0 < hours <= 24 * 7:
        errors.append("workshop_duration_hours must be a number of hours above 0 and at most 168; got %r"
                      % (workshop_duration_hours,))
    elif now is not None:
        errors.extend(workshop_window_errors(workshop_start, hours, now, allow_started))
    errors.extend(url_errors(urls, optional_urls))
    if not regions:
        errors.append("the inventory has no regions: add hosts to the control_plane and proxy_regions groups")
    for region in regions or []:
        aws_region = region.get("aws_region")
        if not aws_region:
            errors.append("host %s: aws_region is not set; set it in its host_vars to the AWS region name, "
                          "e.g. us-east-2" % region.get("host"))
        elif not AWS_REGION_RE.match(str(aws_region)):
            errors.append("host %s: aws_region must be an AWS region name such as us-east-2; got %r"
                          % (region.get("host"), aws_region))
    return errors
