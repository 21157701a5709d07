# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timestamps and cron schedules, as the APIs we read write them.

``cron_runs_between`` answers the question the incident asks ("will the key-rotation CronJob fire during the
workshop?") with the semantics Kubernetes uses (robfig/cron standard parser: five fields, names, ``*/n``, ranges,
lists, ``?``, the ``@hourly``-style macros, and day-of-month OR day-of-week when both are restricted).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime, timedelta, tzinfo

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # Python < 3.9 on a target: only UTC schedules can be evaluated there.
    ZoneInfo = None
    ZoneInfoNotFoundError = KeyError


class _UTC(tzinfo):
    def utcoffset(self, dt):
        return timedelta(0)

    def tzname(self, dt):
        return "UTC"

    def dst(self, dt):
        return timedelta(0)


UTC = _UTC()

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$")


def parse_timestamp(value):
    """Parse an ISO 8601 / RFC 3339 date-time (``Z``, offsets, any fraction digits). Naive values are UTC.

    Raises ValueError with the offending value, so callers can name the input in their message.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    match = _ISO_RE.match(str(value).strip()) if value is not None else None
    if not match:
        raise ValueError("not an ISO 8601 date-time: %r" % (value,))
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=UTC)
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        parsed -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return parsed


def isoformat(value):
    """UTC RFC 3339 with a ``Z``, seconds precision: how every report in this collection writes time."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow():
    return datetime.now(UTC)


def time_window(start, duration_hours):
    """(start, end) datetimes of a window given its ISO start and its length in hours."""
    begin = parse_timestamp(start)
    return begin, begin + timedelta(hours=float(duration_hours))


# --- cron ---------------------------------------------------------------------------------------------------------
_MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_MONTHS = dict((name, i + 1) for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]))
_DAYS = dict((name, i) for i, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]))
# (name, low, high, names)
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
           ("month", 1, 12, _MONTHS), ("day of week", 0, 6, _DAYS))
# Scanning minute by minute is simple and exact; bound it so a bad window cannot make a module spin.
MAX_WINDOW = timedelta(days=31)


def _value(token, names, field):
    token = token.lower()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise ValueError("cron %s: %r is not a number%s" % (field, token, " or a name" if names else ""))
    return int(token)


def _parse_field(text, field, low, high, names):
    """Return (set of allowed values, restricted?) for one cron field."""
    allowed = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError("cron %s: bad step %r" % (field, step_text))
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            start, end = [_value(t, names, field) for t in part.split("-", 1)]
        else:
            start = _value(part, names, field)
            # "5/15" means from 5 to the end in steps of 15, as in robfig/cron.
            end = high if step > 1 else start
        if field == "day of week" and end == 7:  # 7 is Sunday too
            allowed.add(0)
            if start == 7:
                continue
            end = 6
        if start < low or end > high or start > end:
            raise ValueError("cron %s: %r is outside %d-%d" % (field, part, low, high))
        allowed.update(range(start, end + 1, step))
    return allowed, text not in ("*", "?")


def parse_cron(schedule):
    """Parse a 5-field schedule or macro into a matcher dict. Raises ValueError naming the bad field."""
    text = (schedule or "").strip()
    text = _MACROS.get(text.lower(), text)
    parts = text.split()
    if len(parts) != 5:
        raise ValueError("cron schedule %r must have 5 fields (minute hour day-of-month month day-of-week)"
                         % (schedule,))
    parsed = {}
    for part, (field, low, high, names) in zip(parts, _FIELDS):
        parsed[field] = _parse_field(part, field, low, high, names)
    return parsed


def _matches(parsed, moment):
    if moment.minute not in parsed["minute"][0] or moment.hour not in parsed["hour"][0]:
        return False
    if moment.month not in parsed["month"][0]:
        return False
    dom_set, dom_restricted = parsed["day of month"]
    dow_set, dow_restricted = parsed["day of week"]
    dom_ok = moment.day in dom_set
    dow_ok = (moment.isoweekday() % 7) in dow_set
    if dom_restricted and dow_restricted:
        return dom_ok or dow_ok
    return dom_ok and dow_ok


def resolve_timezone(name):
    if not name or name in ("UTC", "Etc/UTC"):
        return UTC
    if ZoneInfo is None:
        raise ValueError("time zone %r needs Python 3.9+ (zoneinfo)" % (name,))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone %r" % (name,))


def cron_runs_between(schedule, start, end, timezone_name=None, limit=20):
    """Times (UTC datetimes) when ``schedule`` fires within [start, end), at most ``limit`` of them."""
    if end - start > MAX_WINDOW:
        raise ValueError("window longer than %s days" % MAX_WINDOW.days)
    parsed = parse_cron(schedule)
    zone = resolve_timezone(timezone_name)
    moment = start.astimezone(UTC).replace(second=0, microsecond=0)
    if moment < start:
        moment += timedelta(minutes=1)
    runs = []
    while moment < end and len(runs) < limit:
        if _matches(parsed, moment.astimezone(zone)):
            runs.append(moment)
        moment += timedelta(minutes=1)
    return runs
