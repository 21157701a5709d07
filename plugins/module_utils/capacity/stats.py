# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small statistics helpers shared by the capacity model and the rehearsal report.

Both sides of the model-vs-rehearsal comparison must compute percentiles the same way, so they live here once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import math


def percentile(values, q):
    """Percentile ``q`` (0-100) with linear interpolation between order statistics (numpy's default method).

    Returns None for an empty sequence, so callers can report "no data" instead of a made-up number.
    """
    _check_q(q)
    return percentile_sorted(sorted(values), q)


def percentile_sorted(ordered, q):
    """``percentile`` of a list that is already sorted (no copy, no sort)."""
    _check_q(q)
    if not ordered:
        return None
    low, high, fraction = _ranks(len(ordered), q)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def pooled_percentile(sorted_runs, q):
    """``percentile`` of all values of several sorted lists together, without merging them.

    Finds the two order statistics by selection (bisecting each list around a weighted median of their middle
    elements), so 300 lists of 5000 values cost milliseconds instead of a 1.5-million-value sort.
    """
    _check_q(q)
    runs = [run for run in sorted_runs if run]
    total = sum(len(run) for run in runs)
    if not total:
        return None
    low, high, fraction = _ranks(total, q)
    low_value = _kth_smallest(runs, low)
    if low == high:
        return float(low_value)
    return low_value + (_kth_smallest(runs, high) - low_value) * fraction


def _check_q(q):
    if not 0 <= q <= 100:
        raise ValueError("percentile q must be within 0..100, got %r" % (q,))


def _ranks(count, q):
    rank = (count - 1) * q / 100.0
    low = int(math.floor(rank))
    return low, int(math.ceil(rank)), rank - low


def _kth_smallest(runs, k):
    """The k-th smallest value (0-based) of the union of sorted lists ``runs``."""
    windows = [(run, 0, len(run)) for run in runs]
    while True:
        total = sum(hi - lo for dummy_run, lo, hi in windows)
        if total <= 64:
            return sorted(value for run, lo, hi in windows for value in run[lo:hi])[k]
        # Pivot: the weighted median of the windows' middle elements; at least a quarter of the remaining values
        # lie on each side of it, so each round drops at least a quarter.
        middles = sorted((run[(lo + hi) // 2], hi - lo) for run, lo, hi in windows)
        seen = 0
        for pivot, weight in middles:
            seen += weight
            if 2 * seen >= total:
                break
        below = [bisect.bisect_left(run, pivot, lo, hi) for run, lo, hi in windows]
        count_below = sum(cut - lo for cut, (dummy_run, lo, dummy_hi) in zip(below, windows))
        if k < count_below:
            windows = [(run, lo, cut) for cut, (run, lo, dummy_hi) in zip(below, windows) if cut > lo]
            continue
        upto = [bisect.bisect_right(run, pivot, lo, hi) for run, lo, hi in windows]
        count_upto = sum(cut - lo for cut, (dummy_run, lo, dummy_hi) in zip(upto, windows))
        if k < count_upto:
            return pivot
        k -= count_upto
        windows = [(run, cut, hi) for cut, (run, dummy_lo, hi) in zip(upto, windows) if cut < hi]


def mean(values):
    """Arithmetic mean, or None for an empty sequence."""
    values = list(values)
    if not values:
        return None
    return sum(values) / float(len(values))
