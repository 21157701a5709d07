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

from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import parse_timestamp

AWS_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$")
MAX_USERS = 5000


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


def workshop_input_errors(expected_users, workshop_start, workshop_duration_hours, regions):
    """Return a list of messages (empty when the inputs are good). ``regions``: [{host, aws_region}]."""
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
