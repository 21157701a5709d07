# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small statistics helpers shared by the capacity model and the rehearsal report.

Both sides of the model-vs-rehearsal comparison must compute percentiles the same way, so they live here once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math


def percentile(values, q):
    """Percentile ``q`` (0-100) with linear interpolation between order statistics (numpy's default method).

    Returns None for an empty sequence, so callers can report "no data" instead of a made-up number.
    """
    if not 0 <= q <= 100:
        raise ValueError("percentile q must be within 0..100, got %r" % (q,))
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100.0
    low = int(math.floor(rank))
    high = int(math.ceil(rank))
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def mean(values):
    """Arithmetic mean, or None for an empty sequence."""
    values = list(values)
    if not values:
        return None
    return sum(values) / float(len(values))
