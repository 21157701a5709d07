# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Workshop capacity model: how many provisioner daemons a workshop needs.

The model simulates the platform process model of ``tests/sandbox/README.md`` ("The platform process model"), the
same process the sandbox's Coder fake runs, so a rehearsal can check the model: users press "create" following an
arrival profile, each create is one provisioner job, jobs wait FIFO (by creation time) for one of ``c`` daemons
(one job per daemon), builds take a lognormal time, fail with probability ``f`` and are retried with capped
exponential backoff; time-to-ready is the agent-ready time minus the user's arrival.

Every public number is a plain Python value so Ansible modules can return it as is. Standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import heapq
import math
import random
from array import array
from collections import namedtuple
from itertools import compress

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.stats import (
    mean, percentile_sorted, pooled_percentile)

# z with P(Z <= z) = 0.95, exactly as the process model writes it, so the model and the Coder fake draw alike.
Z95 = 1.6448536
DEFAULT_PROFILE = ((0.0, 0.0), (60.0, 1.0))
DEFAULT_SEED = 20240917
DEFAULT_REPLICATIONS = 300
_CROSSING_RUNS = 10  # runs whose own crossing count starts the sizing search

RetryPolicy = namedtuple("RetryPolicy", ["base_s", "cap_s", "max_retries"], defaults=(5.0, 60.0, 3))
RetryPolicy.__doc__ = "Client retry policy: retry k waits min(cap_s, base_s * 2**(k-1)) * U(0.5, 1.0)."


# ---------------------------------------------------------------------------------------------------------------
# Input validation: every message names the input, so a gate can show it to the operator unchanged.
# ---------------------------------------------------------------------------------------------------------------

def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _require_int(name, value, minimum):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError("%s must be an integer >= %d, got %r" % (name, minimum, value))
    return value


def _require_number(name, value, minimum=None, maximum=None, exclusive_minimum=False):
    if not _is_number(value):
        raise ValueError("%s must be a finite number, got %r" % (name, value))
    if minimum is not None and (value < minimum or (exclusive_minimum and value == minimum)):
        raise ValueError("%s must be %s %s, got %r" % (name, ">" if exclusive_minimum else ">=", minimum, value))
    if maximum is not None and value > maximum:
        raise ValueError("%s must be <= %s, got %r" % (name, maximum, value))
    return float(value)


def _validated_profile(profile):
    """Return the arrival profile as a tuple of (time_s, fraction) float pairs, or raise ValueError."""
    if profile is None:
        return DEFAULT_PROFILE
    try:
        points = [tuple(point) for point in profile]
    except TypeError:
        raise ValueError("arrival_profile must be a list of [time_s, cumulative_fraction] points, got %r"
                         % (profile,)) from None
    if len(points) < 2 or any(len(p) != 2 or not (_is_number(p[0]) and _is_number(p[1])) for p in points):
        raise ValueError("arrival_profile must be at least two [time_s, cumulative_fraction] number pairs, "
                         "got %r" % (profile,))
    times = [float(p[0]) for p in points]
    fractions = [float(p[1]) for p in points]
    if fractions[0] != 0 or fractions[-1] != 1:
        raise ValueError("arrival_profile must start at cumulative fraction 0 and end at 1, got %r" % (profile,))
    for earlier, later in zip(points, points[1:]):
        if later[0] < earlier[0] or later[1] < earlier[1]:
            raise ValueError("arrival_profile times and fractions must be non-decreasing, got %r" % (profile,))
    return tuple(zip(times, fractions))


def _validated_retry(retry):
    """Accept a RetryPolicy, a mapping with the same keys (Ansible module params) or None (defaults)."""
    if retry is None:
        return RetryPolicy()
    if isinstance(retry, dict):
        unknown = set(retry) - set(RetryPolicy._fields)
        if unknown:
            raise ValueError("retry has unknown keys %s (allowed: %s)"
                             % (", ".join(sorted(unknown)), ", ".join(RetryPolicy._fields)))
        retry = RetryPolicy(**retry)
    return RetryPolicy(
        base_s=_require_number("retry.base_s", retry.base_s, minimum=0),
        cap_s=_require_number("retry.cap_s", retry.cap_s, minimum=0),
        max_retries=_require_int("retry.max_retries", retry.max_retries, 0),
    )


# ---------------------------------------------------------------------------------------------------------------
# Distributions
# ---------------------------------------------------------------------------------------------------------------

def arrival_times(n_users, profile=None):
    """Arrival ("create" press) times of ``n_users`` users: quantiles (i + 0.5) / N of the profile's CDF.

    ``profile`` is a piecewise-linear CDF given as points ``[[t_s, cumulative_fraction], ...]`` starting at fraction
    0 and ending at 1, both coordinates non-decreasing; default ``[[0, 0], [60, 1]]`` (everyone within 60 s).
    Deterministic on purpose: the rehearsal replays exactly these times.
    """
    _require_int("n_users", n_users, 1)
    points = _validated_profile(profile)
    fractions = [fraction for dummy_t, fraction in points]
    return [_inverse_cdf(points, fractions, (i + 0.5) / n_users) for i in range(n_users)]


def _inverse_cdf(points, fractions, p):
    # First point whose fraction reaches p; p is strictly inside (0, 1), so 1 <= k and the segment rises.
    k = bisect.bisect_left(fractions, p)
    (t0, f0), (t1, f1) = points[k - 1], points[k]
    return t0 + (p - f0) / (f1 - f0) * (t1 - t0)


def lognormal_from_p50_p95(p50, p95):
    """(mu, sigma) of the lognormal whose median is ``p50`` and 95th percentile ``p95`` (sigma 0 if equal)."""
    _require_number("build_p50_s", p50, minimum=0, exclusive_minimum=True)
    _require_number("build_p95_s", p95)
    if p95 < p50:
        raise ValueError("build_p95_s (%r) must be >= build_p50_s (%r)" % (p95, p50))
    return math.log(p50), math.log(p95 / p50) / Z95


# ---------------------------------------------------------------------------------------------------------------
# Draws: every random quantity of a run, up front, per user, in a fixed order
# ---------------------------------------------------------------------------------------------------------------

_TWO_PI = 2.0 * math.pi


class _Replication:
    """One run's draws, laid out for the queue engine; none of it depends on the provisioner count.

    ``first`` holds every user's first build time; users with more than one attempt, or whose every attempt fails,
    are ``specials`` (sorted user indices) with their ``plans`` (durations, jitters, fails_every_attempt).

    The run's unqueued schedule is computed once: every job in creation order as if daemons were unlimited (each
    starts when created). Until every daemon has had a job nobody waits, so with ``c`` daemons the first ``c`` jobs
    of this schedule are exactly the first ``c`` jobs of the run, and the engine takes them in bulk: ``finish``
    (per job), ``ok_ttr`` (time-to-ready of each success, in schedule order), the positions of retries, of the
    specials' first attempts and of the specials' successful last attempts.
    """

    __slots__ = ("first", "specials", "plans", "successes", "finish", "ok_ttr", "retries", "retry_pos",
                 "special_first_pos", "special_ok_pos", "_over")

    def __init__(self, arrivals, first, plans, agent_ready_s, delays):
        self.first = first
        self.plans = plans
        self.specials = sorted(plans)
        self.successes = len(arrivals) - sum(1 for plan in plans.values() if plan[2])
        self._over = None
        self._schedule(arrivals, agent_ready_s, delays)

    def _schedule(self, arrivals, agent_ready_s, delays):
        n, plans, specials = len(arrivals), self.plans, self.specials
        finish, ok_ttr = array("d"), array("d")
        retries, special_first_pos, special_ok_pos, pending = [], [], [], []
        i, next_k = 0, 0
        next_special = specials[0] if specials else n
        while True:
            j = bisect.bisect_right(arrivals, pending[0][0], i, next_special) if pending else next_special
            if j > i:
                done = array("d", [a + d for a, d in zip(arrivals[i:j], self.first[i:j])])
                finish.extend(done)
                ok_ttr.extend([f + agent_ready_s - a for a, f in zip(arrivals[i:j], done)])
                i = j
                continue
            if pending and (i >= n or pending[0][0] < arrivals[i]):
                created, generator_finish, generator, user, attempt = heapq.heappop(pending)
                retries.append((len(finish), created, user, attempt, generator, generator_finish))
            elif i < n:
                user, attempt, created = i, 0, arrivals[i]
                special_first_pos.append(len(finish))
                i += 1
                next_k += 1
                next_special = specials[next_k] if next_k < len(specials) else n
            else:
                break
            durations, jitters, fails_every = plans[user]
            f = created + durations[attempt]
            if attempt + 1 < len(durations):
                heapq.heappush(pending, (f + delays[attempt] * jitters[attempt], f, len(finish), user, attempt + 1))
            elif not fails_every:
                special_ok_pos.append(len(finish))
                ok_ttr.append(f + agent_ready_s - arrivals[user])
            finish.append(f)
        self.finish, self.ok_ttr, self.retries = finish, ok_ttr, retries
        self.retry_pos = [retry[0] for retry in retries]
        self.special_first_pos, self.special_ok_pos = special_first_pos, special_ok_pos

    def late_before(self, target, count):
        """How many of the schedule's first ``count`` successes have a time-to-ready over ``target``."""
        if self._over is None or self._over[0] != target:
            # Positions of the late ones (few), found at C speed: target < value, value by value.
            self._over = (target, list(compress(range(len(self.ok_ttr)), map(float(target).__lt__, self.ok_ttr))))
        return bisect.bisect_left(self._over[1], count)


class _Drawer:
    """Draws replications from ``rng`` exactly as ``rng.random``/``rng.gauss``/``rng.uniform`` would.

    Per user, in order: one uniform for the number of leading failures (P(>= k failures) = f**k, capped at the
    attempt limit), one lognormal build time per attempt (``p50 * exp(sigma * Z)``, no draw when sigma is 0), one
    U(0.5, 1.0) jitter per retry. Z comes from ``random.gauss``'s Box-Muller pairs, inlined (and its cached second
    value kept in step with ``rng``) because the draws are half the model's time at 5000 users.
    """

    def __init__(self, scenario, rng):
        self.scenario = scenario
        self.rng = rng

    def draw(self):
        s = self.scenario
        arrivals, p50, sigma, failure_rate = s.arrivals, s.build_p50_s, s.sigma, s.failure_rate
        max_attempts = 1 + s.retry.max_retries
        rng = self.rng
        random_ = rng.random
        log, exp, sqrt, cos, sin, two_pi = math.log, math.exp, math.sqrt, math.cos, math.sin, _TWO_PI
        always_fails = failure_rate >= 1
        log_f = math.log(failure_rate) if 0 < failure_rate < 1 else None
        # 1 - u above this surely gives zero failures (log is monotone; the margin covers its rounding).
        surely_none = 2.0 if always_fails else failure_rate * (1 + 1e-9)
        z_next = getattr(rng, "gauss_next", None)
        first = array("d")
        append_first = first.append
        plans = {}
        for user in range(len(arrivals)):
            one_minus_u = 1.0 - random_()
            if one_minus_u > surely_none:  # the common case: one attempt, one build time
                if z_next is not None:
                    append_first(p50 * exp(sigma * z_next))
                    z_next = None
                elif sigma:
                    x2pi = random_() * two_pi
                    g2rad = sqrt(-2.0 * log(1.0 - random_()))
                    z_next = sin(x2pi) * g2rad
                    append_first(p50 * exp(sigma * (cos(x2pi) * g2rad)))
                else:
                    append_first(p50)
                continue
            if always_fails:
                failures = max_attempts
            else:
                failures = min(max_attempts, int(log(one_minus_u) / log_f))
            attempts = failures + 1 if failures < max_attempts else max_attempts
            durations = []
            for dummy in range(attempts):
                if sigma == 0:
                    durations.append(p50)
                    continue
                if z_next is None:
                    x2pi = random_() * two_pi
                    g2rad = sqrt(-2.0 * log(1.0 - random_()))
                    z, z_next = cos(x2pi) * g2rad, sin(x2pi) * g2rad
                else:
                    z, z_next = z_next, None
                durations.append(p50 * exp(sigma * z))
            append_first(durations[0])
            if failures:
                jitters = tuple(0.5 + 0.5 * random_() for dummy in range(attempts - 1))
                plans[user] = (tuple(durations), jitters, failures >= max_attempts)
        if hasattr(rng, "gauss_next"):
            rng.gauss_next = z_next
        return _Replication(arrivals, first, plans, s.agent_ready_s, _retry_delays(s.retry))


def _retry_delays(retry):
    """Delay factor before retry k+1 (k = 0-based attempt that failed): min(cap, base * 2**k); times U(0.5, 1)."""
    return [min(retry.cap_s, retry.base_s * 2 ** k) for k in range(retry.max_retries)]


# ---------------------------------------------------------------------------------------------------------------
# The queue engine, shared by the workshop and the steady-state (Erlang-C) simulations
# ---------------------------------------------------------------------------------------------------------------

_COUNT, _VALUES, _TRACE = "count", "values", "trace"


def _run(arrivals, rep, servers, agent_ready_s, delays, mode, target=None, fail_at=None):
    """Serve one run's jobs FIFO (oldest created first) on ``servers`` daemons, one job per daemon.

    Jobs are taken in creation order and each starts at max(created, the earliest time a daemon frees): with FIFO
    and identical daemons that is exactly the event-by-event schedule (Kiefer-Wolfowitz), found with one heap of
    ``servers`` free times. Ties in creation time go to first attempts (in user order), then retries in the order
    their failed attempt finished. A failed attempt's retry is created at its finish plus the backoff. The first
    ``servers`` jobs never wait and come in bulk from the run's unqueued schedule (``_Replication``); the Python
    loop runs only for the jobs that can queue.

    ``mode`` _COUNT returns how many successful users' time-to-ready exceeds ``target``, stopping once it reaches
    ``fail_at``; _VALUES returns (time-to-ready of every success, number of zero waits, list of positive waits);
    _TRACE returns (first-attempt start per user, {special user: [(created, started, finished), ...]}).
    """
    n = len(arrivals)
    first, plans, specials = rep.first, rep.plans, rep.specials
    counting, tracing = mode == _COUNT, mode == _TRACE
    # The unqueued head: the first `servers` jobs of the schedule, or all of them when there is a daemon per user
    # (a user has one job at a time, so then a daemon is always free).
    head = len(rep.finish) if servers >= n else min(servers, len(rep.finish))
    retried = bisect.bisect_left(rep.retry_pos, head)
    i = head - retried  # the first attempts in the head are users 0 .. i-1
    n_ok = i - bisect.bisect_left(rep.special_first_pos, head) + bisect.bisect_left(rep.special_ok_pos, head)
    ttr, waits, zeros, over = [], [], head, 0
    starts = log = None
    if counting:
        over = rep.late_before(target, n_ok)
        if over >= fail_at:
            return over
    else:
        ttr = rep.ok_ttr[:n_ok].tolist()
    next_k = bisect.bisect_left(specials, i)
    if tracing:
        starts = arrivals[:i] + [None] * (n - i)
        log = {}
        for user in specials[:next_k]:
            log[user] = [(arrivals[user], arrivals[user], arrivals[user] + plans[user][0][0])]
        for position, created, user, dummy_attempt, dummy_g, dummy_gf in rep.retries[:retried]:
            log[user].append((created, created, rep.finish[position]))
    # Retries that head jobs created, not in the head themselves: waiting to be created.
    pending = [(created, generator_finish, generator, user, attempt)
               for position, created, user, attempt, generator, generator_finish in rep.retries[retried:]
               if generator < head]
    heapq.heapify(pending)
    if i >= n and not pending:
        return over if counting else ((starts, log) if tracing else (ttr, zeros, waits))
    free = rep.finish[:head].tolist()
    heapq.heapify(free)
    heappush, heappop, heapreplace = heapq.heappush, heapq.heappop, heapq.heapreplace
    ttr_append, waits_append = ttr.append, waits.append
    order = head
    next_special = specials[next_k] if next_k < len(specials) else n
    while True:
        # Users i .. j-1 are first attempts that need no retry bookkeeping and come before the next retry.
        j = bisect.bisect_right(arrivals, pending[0][0], i, next_special) if pending else next_special
        if j > i:
            if counting:
                for a, d in zip(arrivals[i:j], first[i:j]):
                    m = free[0]
                    f = (m if m > a else a) + d
                    heapreplace(free, f)
                    if f + agent_ready_s - a > target:
                        over += 1
                        if over >= fail_at:
                            return over
            elif tracing:
                for user, a, d in zip(range(i, j), arrivals[i:j], first[i:j]):
                    m = free[0]
                    s = starts[user] = m if m > a else a
                    heapreplace(free, s + d)
            else:
                for a, d in zip(arrivals[i:j], first[i:j]):
                    m = free[0]
                    if m > a:
                        f = m + d
                        waits_append(m - a)
                    else:
                        f = a + d
                        zeros += 1
                    heapreplace(free, f)
                    ttr_append(f + agent_ready_s - a)
            i = j
            continue
        # The next job in creation order is a retry, or a special user's first attempt, or there is none.
        if pending and (i >= n or pending[0][0] < arrivals[i]):
            created, dummy_finish, dummy_order, user, attempt = heappop(pending)
        elif i < n:
            user, attempt, created = i, 0, arrivals[i]
            i += 1
            next_k += 1
            next_special = specials[next_k] if next_k < len(specials) else n
        else:
            break
        m = free[0]
        s = m if m > created else created
        durations, jitters, fails_every = plans[user]
        f = s + durations[attempt]
        heapreplace(free, f)
        order += 1
        if not counting:
            if s > created:
                waits_append(s - created)
            else:
                zeros += 1
            if tracing:
                log.setdefault(user, []).append((created, s, f))
                if attempt == 0:
                    starts[user] = s
        if attempt + 1 < len(durations):
            heappush(pending, (f + delays[attempt] * jitters[attempt], f, order, user, attempt + 1))
        elif not fails_every:
            value = f + agent_ready_s - arrivals[user]
            if not counting:
                ttr_append(value)
            elif value > target:
                over += 1
                if over >= fail_at:
                    return over
    if counting:
        return over
    if tracing:
        return starts, log
    return ttr, zeros, waits


class _Scenario:
    """Validated workshop inputs plus the arrivals they imply."""

    def __init__(self, n_users, arrival_profile, build_p50_s, build_p95_s, agent_ready_s, failure_rate, retry):
        self.n_users = _require_int("n_users", n_users, 1)
        self.profile = _validated_profile(arrival_profile)
        self.sigma = lognormal_from_p50_p95(build_p50_s, build_p95_s)[1]
        self.build_p50_s = float(build_p50_s)
        self.build_p95_s = float(build_p95_s)
        self.agent_ready_s = _require_number("agent_ready_s", agent_ready_s, minimum=0)
        self.failure_rate = _require_number("failure_rate", failure_rate, minimum=0, maximum=1)
        self.retry = _validated_retry(retry)
        self.arrivals = arrival_times(self.n_users, self.profile)

    def key(self):
        return (self.n_users, self.profile, self.build_p50_s, self.build_p95_s, self.agent_ready_s,
                self.failure_rate, tuple(self.retry))

    def echo(self):
        return {
            "n_users": self.n_users,
            "arrival_profile": [list(point) for point in self.profile],
            "build_p50_s": self.build_p50_s,
            "build_p95_s": self.build_p95_s,
            "agent_ready_s": self.agent_ready_s,
            "failure_rate": self.failure_rate,
            "retry": dict(self.retry._asdict()),
        }


def simulate_workshop(n_users, provisioners, arrival_profile=None, build_p50_s=60.0, build_p95_s=90.0,
                      agent_ready_s=15.0, failure_rate=0.0, retry=None, rng=None):
    """Simulate ONE workshop run of the platform process model (FIFO queue, O(N log c) for c provisioners).

    Returns ``{"users": [record, ...], "summary": {...}}``. A record holds ``arrival``, ``first_start``,
    ``queue_waits`` (one per job, created -> started), ``attempts``, ``ready`` (agent ready time, None if every
    attempt failed) and ``time_to_ready``. The summary holds ``time_to_ready`` (successes only), ``successes``,
    ``users`` and ``queue_waits`` (every job). ``rng`` is a ``random.Random``; default seeded with DEFAULT_SEED.
    """
    scenario = _Scenario(n_users, arrival_profile, build_p50_s, build_p95_s, agent_ready_s, failure_rate, retry)
    _require_int("provisioners", provisioners, 1)
    rng = rng if rng is not None else random.Random(DEFAULT_SEED)
    rep = _Drawer(scenario, rng).draw()
    agent = scenario.agent_ready_s
    starts, log = _run(scenario.arrivals, rep, provisioners, agent, _retry_delays(scenario.retry), _TRACE)
    records = []
    for user, arrival in enumerate(scenario.arrivals):
        if user in rep.plans:
            jobs = log[user]
            ready = None if rep.plans[user][2] else jobs[-1][2] + agent
            record = {"arrival": arrival, "first_start": jobs[0][1],
                      "queue_waits": [started - created for created, started, dummy_f in jobs],
                      "attempts": len(jobs), "ready": ready}
        else:
            started = starts[user]
            record = {"arrival": arrival, "first_start": started, "queue_waits": [started - arrival], "attempts": 1,
                      "ready": started + rep.first[user] + agent}
        record["time_to_ready"] = None if record["ready"] is None else record["ready"] - arrival
        records.append(record)
    time_to_ready = [r["time_to_ready"] for r in records if r["ready"] is not None]
    summary = {"time_to_ready": time_to_ready, "successes": len(time_to_ready), "users": len(records),
               "queue_waits": [wait for r in records for wait in r["queue_waits"]]}
    return {"users": records, "summary": summary}


# ---------------------------------------------------------------------------------------------------------------
# Many runs: predictions
# ---------------------------------------------------------------------------------------------------------------

_DRAWN = {}  # (scenario key, replications, seed) -> replications; the last two, so a plan draws once


def _replications(scenario, replications, seed):
    key = (scenario.key(), replications, seed)
    if key not in _DRAWN:
        while len(_DRAWN) >= 2:
            del _DRAWN[next(iter(_DRAWN))]
        drawer = _Drawer(scenario, random.Random(seed))
        _DRAWN[key] = [drawer.draw() for dummy in range(replications)]
    return _DRAWN[key]


class _Predictor:
    """Runs the same R replications (common random numbers) for any provisioner count; caches by count.

    ``meets_with_confidence`` answers "do at least ``confidence`` of the runs meet the p95 target?" without
    computing every run: it stops as soon as the answer is certain, a run stops once more of its users are late
    than its p95 allows, and - each run's own p95 being non-increasing in the count - a run that met the target
    with fewer daemons (or missed it with more) is not run again. The sizing search checks the answer it finds
    against full predictions and repeats the search without that shortcut if they disagree.
    """

    def __init__(self, scenario, replications, seed, target_p95_s=None):
        self.scenario = scenario
        self.target_p95_s = target_p95_s
        self.replications = _require_int("replications", replications, 1)
        self.runs = _replications(scenario, self.replications, seed)
        self.delays = _retry_delays(scenario.retry)
        self.cache = {}
        self.summaries = {}
        self.verdicts = {}
        self.assume_monotone = True
        self.met_from = [None] * self.replications   # smallest count seen with the run's p95 within the target
        self.missed_at = [0] * self.replications     # largest count seen with the run's p95 over it
        n = scenario.n_users
        self.success_rate = mean(run.successes / n for run in self.runs)
        self.any_success = any(run.successes for run in self.runs)

    def predict(self, provisioners):
        _require_int("provisioners", provisioners, 1)
        if provisioners not in self.cache:
            self.cache[provisioners] = self._predict(provisioners)
        return self.cache[provisioners]

    def summary(self, provisioners):
        """The prediction's ``p95_time_to_ready_s``, ``p95_target_met_fraction`` and ``success_rate`` only, the same
        numbers as ``predict`` gives, for the sentences that compare counts (no waits, pooled values or sorting)."""
        _require_int("provisioners", provisioners, 1)
        if provisioners in self.cache:
            return self.cache[provisioners]
        if provisioners not in self.summaries:
            s = self.scenario
            run_p95 = []
            for rep in self.runs:
                ttr = _run(s.arrivals, rep, provisioners, s.agent_ready_s, self.delays, _VALUES)[0]
                run_p95.append(_p95_of(ttr))
            met = None
            if self.target_p95_s is not None:
                met = sum(1 for value in run_p95 if value is not None and value <= self.target_p95_s) / float(
                    len(run_p95))
            self.summaries[provisioners] = {
                "provisioners": provisioners, "replications": self.replications, "p95_target_met_fraction": met,
                "p95_time_to_ready_s": mean(value for value in run_p95 if value is not None),
                "success_rate": self.success_rate}
        return self.summaries[provisioners]

    def _values(self, rep, provisioners):
        s = self.scenario
        ttr, zeros, waits = _run(s.arrivals, rep, provisioners, s.agent_ready_s, self.delays, _VALUES)
        ttr.sort()
        waits.sort()
        return ttr, [0.0] * zeros + waits

    def _predict(self, provisioners):
        ttr, waits = [], []
        for rep in self.runs:
            run_ttr, run_waits = self._values(rep, provisioners)
            ttr.append(run_ttr)
            waits.append(run_waits)
        run_p95 = [percentile_sorted(run, 95) for run in ttr]
        met = None
        if self.target_p95_s is not None:
            # How many simulated workshops, each judged on its own p95, meet the target: a facilitator runs one.
            met = sum(1 for value in run_p95 if value is not None and value <= self.target_p95_s) / float(len(ttr))
        found = sorted(value for value in run_p95 if value is not None)
        return {
            "provisioners": provisioners,
            "replications": self.replications,
            "p95_target_met_fraction": met,
            "run_p95_time_to_ready_s": {"p50": percentile_sorted(found, 50), "p90": percentile_sorted(found, 90)},
            "p50_time_to_ready_s": _mean_of_run_percentiles(ttr, 50),
            "p95_time_to_ready_s": mean(value for value in run_p95 if value is not None),
            "max_time_to_ready_s": _mean_of_run_percentiles(ttr, 100),
            "p50_queue_wait_s": _mean_of_run_percentiles(waits, 50),
            "p95_queue_wait_s": _mean_of_run_percentiles(waits, 95),
            "success_rate": self.success_rate,
            "pooled": {
                "p50_time_to_ready_s": pooled_percentile(ttr, 50),
                "p95_time_to_ready_s": pooled_percentile(ttr, 95),
                "max_time_to_ready_s": pooled_percentile(ttr, 100),
                "p50_queue_wait_s": pooled_percentile(waits, 50),
                "p95_queue_wait_s": pooled_percentile(waits, 95),
            },
        }

    def _run_meets(self, index, provisioners):
        """Does run ``index`` with ``provisioners`` daemons have its own p95 time-to-ready within the target?"""
        rep, s, target = self.runs[index], self.scenario, self.target_p95_s
        n = rep.successes
        if not n:
            return False
        rank = (n - 1) * 95 / 100.0
        low, high = int(math.floor(rank)), int(math.ceil(rank))
        # More than n - low late users put the low order statistic over the target (a miss); at most
        # n - 1 - high keep the high one within it (a hit); in between only the interpolation can tell.
        over = _run(s.arrivals, rep, provisioners, s.agent_ready_s, self.delays, _COUNT, target, n - low)
        if over >= n - low:
            return False
        if over <= n - 1 - high:
            return True
        return percentile_sorted(self._values(rep, provisioners)[0], 95) <= target

    def _known_run_meets(self, index, provisioners):
        """``_run_meets``, answered from what earlier counts showed when the shortcut is on; remembers the answer."""
        if self.assume_monotone:
            if self.met_from[index] is not None and self.met_from[index] <= provisioners:
                return True
            if self.missed_at[index] >= provisioners:
                return False
        if self._run_meets(index, provisioners):
            if self.met_from[index] is None or provisioners < self.met_from[index]:
                self.met_from[index] = provisioners
            return True
        self.missed_at[index] = max(self.missed_at[index], provisioners)
        return False

    def run_threshold(self, index):
        """Smallest count with which run ``index`` alone meets the target (None if not even one per user does)."""
        if not self._known_run_meets(index, self.scenario.n_users):
            return None
        return _first_true(lambda count: self._known_run_meets(index, count), 1, self.scenario.n_users)

    def meets_with_confidence(self, provisioners, confidence):
        """True when at least ``confidence`` of the runs have their own p95 within the target (exactly as
        ``predict(provisioners)["p95_target_met_fraction"] >= confidence``)."""
        if provisioners in self.cache:
            return self.cache[provisioners]["p95_target_met_fraction"] >= confidence
        if provisioners in self.verdicts:
            return self.verdicts[provisioners]
        total = float(self.replications)
        met, undecided = 0, []
        for index in range(self.replications):
            if self.assume_monotone and self.met_from[index] is not None and self.met_from[index] <= provisioners:
                met += 1
            elif not (self.assume_monotone and self.missed_at[index] >= provisioners):
                undecided.append(index)
        left = len(undecided)
        for index in undecided:
            if met / total >= confidence or (met + left) / total < confidence:
                break
            left -= 1
            met += self._known_run_meets(index, provisioners)
        self.verdicts[provisioners] = verdict = met / total >= confidence
        return verdict

    def forget_shortcuts(self):
        self.assume_monotone = False
        self.verdicts = {}


def _p95_of(values):
    """``percentile(values, 95)`` from the top 5 % alone (heapq.nlargest), the same number without a full sort."""
    if not values:
        return None
    rank = (len(values) - 1) * 95 / 100.0
    low, high = int(math.floor(rank)), int(math.ceil(rank))
    top = heapq.nlargest(len(values) - low, values)  # top[-1] is order statistic `low`, top[-2] is `low + 1`
    if low == high:
        return float(top[-1])
    return top[-1] + (top[-2] - top[-1]) * (rank - low)


def _mean_of_run_percentiles(runs, q):
    # One rehearsal measures its own percentile, so the prediction is the mean of per-run percentiles.
    return mean(value for value in (percentile_sorted(run, q) for run in runs) if value is not None)


def predict(n_users, provisioners, arrival_profile=None, build_p50_s=60.0, build_p95_s=90.0, agent_ready_s=15.0,
            failure_rate=0.0, retry=None, replications=DEFAULT_REPLICATIONS, seed=DEFAULT_SEED, target_p95_s=None):
    """Predict what one rehearsal with ``provisioners`` daemons will measure, from ``replications`` runs.

    ``p50/p95/max_time_to_ready_s`` and ``p50/p95_queue_wait_s`` are the MEAN over runs of each run's own
    percentile (what one rehearsal reports); ``success_rate`` is the expected fraction of users who get a ready
    workspace; ``p95_target_met_fraction`` (given ``target_p95_s``) is the share of runs whose own p95 meets it;
    ``pooled`` holds percentiles over all runs' values, for reference. Queue waits are per job
    (created -> started), retries included. The fixed ``seed`` gives common random numbers across calls that
    differ only in ``provisioners``, so such comparisons are monotone in practice.
    """
    scenario = _Scenario(n_users, arrival_profile, build_p50_s, build_p95_s, agent_ready_s, failure_rate, retry)
    return _Predictor(scenario, replications, seed, target_p95_s).predict(provisioners)


# ---------------------------------------------------------------------------------------------------------------
# Sizing
# ---------------------------------------------------------------------------------------------------------------

def smallest_provisioner_count(n_users, arrival_profile=None, build_p50_s=60.0, build_p95_s=90.0,
                               agent_ready_s=15.0, failure_rate=0.0, retry=None, target_p95_s=120.0,
                               target_success_rate=0.995, current_provisioners=None,
                               replications=DEFAULT_REPLICATIONS, seed=DEFAULT_SEED, confidence=None):
    """Smallest provisioner count in [1, n_users] whose prediction meets both targets.

    Targets: the p95 time-to-ready meets ``target_p95_s`` and the success rate >= ``target_success_rate``. With
    ``confidence`` None the p95 criterion is the mean of the runs' p95; with a ``confidence`` (e.g. 0.8) it is that
    at least that share of simulated workshops, each judged on its own p95, meets the target - the question a
    facilitator asks ("will MY workshop make it?"), since one workshop's p95 scatters by 10-20 % around the mean.
    Binary search; it relies on the prediction being monotone in the count, which common random numbers give.
    If even one daemon per user misses, returns ``n_users`` with ``meets_target: False`` and a ``reason``.
    Returns a dict: ``provisioners``, ``meets_target``, ``predicted`` (at that count), ``predicted_at_current``
    (when ``current_provisioners`` is given, else None), ``reasoning`` (sentences for a facilitator), ``inputs``.
    """
    scenario = _Scenario(n_users, arrival_profile, build_p50_s, build_p95_s, agent_ready_s, failure_rate, retry)
    target_p95_s = _require_number("target_p95_s", target_p95_s, minimum=0, exclusive_minimum=True)
    target_success_rate = _require_number("target_success_rate", target_success_rate, minimum=0, maximum=1)
    if current_provisioners is not None:
        _require_int("current_provisioners", current_provisioners, 1)
    if confidence is not None:
        confidence = _require_number("confidence", confidence, minimum=0, maximum=1, exclusive_minimum=True)
    predictor = _Predictor(scenario, replications, seed, target_p95_s)

    def meets_prediction(predicted):
        if predicted["success_rate"] < target_success_rate or predicted["p95_time_to_ready_s"] is None:
            return False
        if confidence is not None:
            return predicted["p95_target_met_fraction"] >= confidence
        return predicted["p95_time_to_ready_s"] <= target_p95_s

    def meets(count):
        if confidence is None:
            return meets_prediction(predictor.predict(count))
        if predictor.success_rate < target_success_rate or not predictor.any_success:
            return False
        return predictor.meets_with_confidence(count, confidence)

    meets_target = meets(scenario.n_users)
    if not meets_target:
        count = scenario.n_users
    elif confidence is None:
        count = _first_true(meets, 1, scenario.n_users)
    else:
        # Start where the `confidence` quantile of a few runs' own crossings of the target lies: the answer is the
        # same quantile over all runs, usually within a percent, and counts probed near it let the runs' answers
        # carry over from one count to the next.
        crossings = sorted(scenario.n_users + 1 if crossing is None else crossing
                           for crossing in (predictor.run_threshold(index)
                                            for index in range(min(_CROSSING_RUNS, predictor.replications))))
        guess = crossings[min(len(crossings) - 1, int(math.ceil(confidence * len(crossings))) - 1)]
        count = _first_true_near(meets, guess, scenario.n_users)
    if meets_target and confidence is not None and not (
            meets_prediction(predictor.predict(count))
            and (count == 1 or not meets_prediction(predictor.summary(count - 1)))):
        # Some run's p95 was not monotone in the count: search again, running every run the search needs.
        predictor.forget_shortcuts()
        count = _first_true(meets, 1, scenario.n_users)
    result = {
        "provisioners": count,
        "meets_target": meets_target,
        "predicted": predictor.predict(count),
        "predicted_at_current": predictor.predict(current_provisioners) if current_provisioners else None,
        "inputs": dict(scenario.echo(), target_p95_s=target_p95_s, target_success_rate=target_success_rate,
                       current_provisioners=current_provisioners, replications=predictor.replications, seed=seed,
                       confidence=confidence),
    }
    if not meets_target:
        result["reason"] = _why_unreachable(scenario, result["predicted"], target_p95_s, target_success_rate,
                                            confidence)
    result["reasoning"] = _reasoning(scenario, predictor, result, target_p95_s, confidence)
    return result


def _first_true_near(predicate, guess, high):
    """Smallest x in [1, high] with predicate(x), given predicate(high) and a monotone predicate: gallops out from
    ``guess`` in steps that double from high / 200, then bisects the bracket it found."""
    guess = min(max(guess, 1), high)
    step = max(1, high // 200)
    if predicate(guess):
        top = guess
        while top > 1:
            below = max(1, top - step)
            if not predicate(below):
                return _first_true(predicate, below + 1, top)
            top, step = below, 2 * step
        return 1
    bottom = guess
    while True:
        above = min(high, bottom + step)
        if above == high or predicate(above):
            return _first_true(predicate, bottom + 1, above)
        bottom, step = above, 2 * step


def _first_true(predicate, low, high):
    """Smallest x in [low, high] with predicate(x), given predicate(high) and a monotone predicate."""
    while low < high:
        middle = (low + high) // 2
        if predicate(middle):
            high = middle
        else:
            low = middle + 1
    return high


def _why_unreachable(scenario, predicted, target_p95_s, target_success_rate, confidence=None):
    reasons = []
    floor_s = scenario.build_p95_s + scenario.agent_ready_s
    p95 = predicted["p95_time_to_ready_s"]
    if confidence is not None and p95 is not None and p95 <= target_p95_s:
        reasons.append("even with one provisioner per user only %.0f %% of simulated workshops meet the %s p95 "
                       "target (wanted %.0f %%): the build-time tail and retried failures alone push some workshops "
                       "over it" % (100 * predicted["p95_target_met_fraction"], _secs(target_p95_s),
                                    100 * confidence))
    elif p95 is None or p95 > target_p95_s:
        if floor_s > target_p95_s:
            reasons.append("the build time alone (p95 %s) plus agent start (%s) is %s, over the %s target"
                           % (_secs(scenario.build_p95_s), _secs(scenario.agent_ready_s), _secs(floor_s),
                              _secs(target_p95_s)))
        else:
            reasons.append("even with one provisioner per user (no queueing) the predicted p95 is %s, over the %s "
                           "target: build p95 %s plus agent start %s leaves little room, and retries add more"
                           % (_secs(p95), _secs(target_p95_s), _secs(scenario.build_p95_s),
                              _secs(scenario.agent_ready_s)))
    if predicted["success_rate"] < target_success_rate:
        reasons.append("a %.3g failure rate with %d retries lets only %.4g of users succeed (target %.4g); more "
                       "provisioners cannot fix failed builds"
                       % (scenario.failure_rate, scenario.retry.max_retries, predicted["success_rate"],
                          target_success_rate))
    text = "; ".join(reasons)
    return text[:1].upper() + text[1:] + "."


# ---------------------------------------------------------------------------------------------------------------
# Explanations a facilitator can read
# ---------------------------------------------------------------------------------------------------------------

def _secs(value):
    return "n/a" if value is None else "%.0f s" % value


def busiest_window(arrivals, window_s):
    """Largest number of arrivals within any window of ``window_s`` seconds (arrivals sorted)."""
    best = 0
    start = 0
    for end, arrival in enumerate(arrivals):
        while arrival - arrivals[start] > window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def waves(arrivals, window_s, provisioners):
    """How many rounds of builds ``provisioners`` daemons need for the busiest ``window_s`` of arrivals."""
    return int(math.ceil(busiest_window(arrivals, window_s) / provisioners))


def _reasoning(scenario, predictor, result, target_p95_s, confidence=None):
    arrivals = scenario.arrivals
    count = result["provisioners"]
    predicted = result["predicted"]
    burst = busiest_window(arrivals, scenario.build_p50_s)
    wave_count = waves(arrivals, scenario.build_p50_s, count)
    sentences = [
        "%d users press create between %s and %s; the busiest %s (one median build) brings %d of them."
        % (scenario.n_users, _secs(arrivals[0]), _secs(arrivals[-1]), _secs(scenario.build_p50_s), burst),
        "A build takes %s median, %s p95, then the agent needs %s, so a user who never queues is ready in about "
        "%s (median) to %s (p95)."
        % (_secs(scenario.build_p50_s), _secs(scenario.build_p95_s), _secs(scenario.agent_ready_s),
           _secs(scenario.build_p50_s + scenario.agent_ready_s), _secs(scenario.build_p95_s + scenario.agent_ready_s)),
        "%d provisioners build that busiest burst in %d wave%s, so its last users wait about %d build%s in the queue."
        % (count, wave_count, "" if wave_count == 1 else "s", wave_count - 1, "" if wave_count == 2 else "s"),
    ]
    if result["meets_target"]:
        sentences.append(_why_this_count(predictor, count, target_p95_s, confidence))
    else:
        sentences.append("No count up to one per user meets the targets: %s" % result["reason"])
    sentences.append(_success_sentence(scenario, predicted))
    current = result["predicted_at_current"]
    if current is not None:
        sentences.append("With the current %d provisioners the predicted p95 is %s (with %d: %s)."
                         % (current["provisioners"], _secs(current["p95_time_to_ready_s"]), count,
                            _secs(predicted["p95_time_to_ready_s"])))
    return sentences


def _success_sentence(scenario, predicted):
    attempts = 1 + scenario.retry.max_retries
    return ("With a %.3g build failure rate and %d retries a user ends without a workspace only if all %d attempts "
            "fail (probability %.2g); the simulated success rate is %.4f %%, and more provisioners do not change it."
            % (scenario.failure_rate, scenario.retry.max_retries, attempts, scenario.failure_rate ** attempts,
               100 * predicted["success_rate"]))


def _why_this_count(predictor, count, target_p95_s, confidence=None):
    chosen = predictor.predict(count)
    if confidence is not None:
        sentence = ("%d provisioners give a predicted p95 time-to-ready of %s, and %.0f %% of simulated workshops "
                    "meet the %s target (wanted %.0f %%)" % (
                        count, _secs(chosen["p95_time_to_ready_s"]), 100 * chosen["p95_target_met_fraction"],
                        _secs(target_p95_s), 100 * confidence))
    else:
        sentence = ("%d provisioners give a predicted p95 time-to-ready of %s, within the %s target"
                    % (count, _secs(chosen["p95_time_to_ready_s"]), _secs(target_p95_s)))
    if count == 1:
        return sentence + "; one is the minimum."
    fewer = predictor.summary(count - 1)
    if confidence is not None:
        return sentence + "; %d would give %s and %.0f %%." % (count - 1, _secs(fewer["p95_time_to_ready_s"]),
                                                               100 * fewer["p95_target_met_fraction"])
    return sentence + "; %d would give %s." % (count - 1, _secs(fewer["p95_time_to_ready_s"]))


# ---------------------------------------------------------------------------------------------------------------
# The incident's rule of thumb
# ---------------------------------------------------------------------------------------------------------------

def rule_of_thumb(n_users):
    """Provisioner range (low, high) from the September 2024 incident's table.

    Table: < 10 users -> 6; 10-15 -> 8; 15-20 -> 10; 20-30 -> 12-15 (15 and 20 belong to the lower row).
    Beyond 30 the table says nothing; we extend its last row proportionally: (ceil(0.4 N), ceil(0.5 N)),
    which gives 12-15 at 30 users.
    """
    _require_int("n_users", n_users, 0)
    if n_users < 10:
        return (6, 6)
    if n_users <= 15:
        return (8, 8)
    if n_users <= 20:
        return (10, 10)
    if n_users <= 30:
        return (12, 15)
    return (int(math.ceil(0.4 * n_users)), int(math.ceil(0.5 * n_users)))


def explain_vs_rule_of_thumb(result, n_users):
    """One sentence comparing ``smallest_provisioner_count``'s ``result`` with the rule of thumb, and why."""
    low, high = rule_of_thumb(n_users)
    count = result["provisioners"]
    table = "%d" % low if low == high else "%d-%d" % (low, high)
    head = "The model's %d provisioners for %d users" % (count, n_users)
    if not result["meets_target"]:
        return (head + " (one per user, the most that helps) still miss the target, so the rule of thumb's %s cannot "
                "meet it either: %s" % (table, result["reason"]))
    if low <= count <= high:
        return head + " lie within the rule of thumb's %s." % table
    inputs = result["inputs"]
    scenario = _Scenario(n_users, inputs["arrival_profile"], inputs["build_p50_s"], inputs["build_p95_s"],
                         inputs["agent_ready_s"], inputs["failure_rate"], inputs["retry"])
    if count > high:
        at_high = _Predictor(scenario, inputs["replications"], inputs["seed"]).summary(high)
        reason = _why_more_than_table(scenario, high, at_high, inputs["target_p95_s"])
        return head + " are above the rule of thumb's %s because %s" % (table, reason)
    reason = _why_fewer_than_table(scenario, low, result["predicted"], inputs["target_p95_s"])
    return head + " are below the rule of thumb's %s because %s" % (table, reason)


def _why_more_than_table(scenario, high, at_high, target_p95_s):
    arrivals = scenario.arrivals
    burst = busiest_window(arrivals, scenario.build_p50_s)
    outcome = "predicted p95 %s with %d, target %s" % (
        _secs(at_high["p95_time_to_ready_s"]), high, _secs(target_p95_s))
    if burst > high:
        wave_count = waves(arrivals, scenario.build_p50_s, high)
        return ("the table seems to assume arrivals spread over several minutes: here %d of the %d users press create "
                "within one %s median build (all within %s), so %d provisioners serve them in ~%d waves and the last "
                "wave waits ~%d build%s (%s)."
                % (burst, scenario.n_users, _secs(scenario.build_p50_s), _secs(arrivals[-1] - arrivals[0]), high,
                   wave_count, wave_count - 1, "" if wave_count == 2 else "s", outcome))
    return ("builds are long for the target: although the busiest %s brings only %d creates, build p95 %s plus agent "
            "start %s leaves little of the %s target for queueing (%s)."
            % (_secs(scenario.build_p50_s), burst, _secs(scenario.build_p95_s), _secs(scenario.agent_ready_s),
               _secs(target_p95_s), outcome))


def _why_fewer_than_table(scenario, low, predicted, target_p95_s):
    burst = busiest_window(scenario.arrivals, scenario.build_p50_s)
    outcome = "predicted p95 %s, target %s" % (_secs(predicted["p95_time_to_ready_s"]), _secs(target_p95_s))
    headroom = ("; the table was set after an incident where other failures (storage, image drift, an expired key) "
                "also slowed builds, so it likely carries headroom this model does not include.")
    if burst < low:
        return ("the busiest %s (one median build) brings only %d creates, fewer than the table's %d provisioners, "
                "so %d keep the queue short (%s)%s"
                % (_secs(scenario.build_p50_s), burst, low, predicted["provisioners"], outcome, headroom))
    return ("the target is a p95: the slowest 5 %% of users may queue, so %d provisioners suffice although the "
            "busiest %s brings %d creates (%s)%s"
            % (predicted["provisioners"], _secs(scenario.build_p50_s), burst, outcome, headroom))


# ---------------------------------------------------------------------------------------------------------------
# Steady state: Erlang-C and the same queue core with Poisson arrivals
# ---------------------------------------------------------------------------------------------------------------

def _offered_load(c, arrival_rate, service_rate):
    _require_int("c", c, 1)
    _require_number("arrival_rate", arrival_rate, minimum=0, exclusive_minimum=True)
    _require_number("service_rate", service_rate, minimum=0, exclusive_minimum=True)
    load = arrival_rate / service_rate
    if load >= c:
        raise ValueError("utilisation arrival_rate / (c * service_rate) must be < 1 for a steady state, got %.3g"
                         % (load / c))
    return load


def erlang_c(c, arrival_rate, service_rate):
    """Probability that an arriving job waits in an M/M/c queue (Erlang C formula)."""
    load = _offered_load(c, arrival_rate, service_rate)
    blocking = 1.0  # Erlang B by its stable recursion: B(k) = a B(k-1) / (k + a B(k-1))
    for k in range(1, c + 1):
        blocking = load * blocking / (k + load * blocking)
    return c * blocking / (c - load * (1.0 - blocking))


def erlang_c_mean_wait(c, arrival_rate, service_rate):
    """Mean time in queue of an M/M/c queue: C(c, a) / (c mu - lambda)."""
    return erlang_c(c, arrival_rate, service_rate) / (c * service_rate - arrival_rate)


def simulate_steady_state(c, arrival_rate, service_rate, n_jobs, rng, warmup_fraction=0.1):
    """Simulate an M/M/c queue on the workshop's queue engine; returns mean wait and P(wait > 0).

    Poisson arrivals and exponential service times for ``n_jobs`` jobs; the first ``warmup_fraction`` of jobs is
    discarded so the empty start does not bias the estimate. Used to validate the engine against Erlang C.
    """
    _offered_load(c, arrival_rate, service_rate)
    _require_int("n_jobs", n_jobs, 1)
    _require_number("warmup_fraction", warmup_fraction, minimum=0, maximum=0.9)
    arrivals, services = [], array("d")
    now = 0.0
    for dummy in range(n_jobs):
        now += rng.expovariate(arrival_rate)
        arrivals.append(now)
        services.append(rng.expovariate(service_rate))
    starts = _run(arrivals, _Replication(arrivals, services, {}, 0.0, []), c, 0.0, [], _TRACE)[0]
    skip = int(n_jobs * warmup_fraction)
    measured = [start - created for start, created in zip(starts[skip:], arrivals[skip:])]
    return {
        "mean_wait": mean(measured),
        "p_wait": sum(1 for wait in measured if wait > 0) / len(measured),
        "jobs_measured": len(measured),
    }
