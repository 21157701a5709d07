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
from collections import namedtuple

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.stats import mean, percentile

# z with P(Z <= z) = 0.95, exactly as the process model writes it, so the model and the Coder fake draw alike.
Z95 = 1.6448536
DEFAULT_PROFILE = ((0.0, 0.0), (60.0, 1.0))
DEFAULT_SEED = 20240917
DEFAULT_REPLICATIONS = 300

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
# The queue core, shared by the workshop and the steady-state (Erlang-C) simulations
# ---------------------------------------------------------------------------------------------------------------

class _Job:
    __slots__ = ("created", "duration", "owner", "attempt", "started")

    def __init__(self, created, duration, owner=None, attempt=0):
        self.created = created
        self.duration = duration
        self.owner = owner
        self.attempt = attempt
        self.started = None


def _serve_fifo(servers, jobs, on_finish=None):
    """Serve ``jobs`` on ``servers`` daemons, oldest created first; sets each job's ``started``.

    ``on_finish(job, finish_time)`` may return a new job (a retry), which joins the queue at its creation time.
    Ties in creation time keep input order. O(J log J) for J jobs.
    """
    waiting = [(job.created, seq, job) for seq, job in enumerate(jobs)]
    heapq.heapify(waiting)
    running = []
    seq = len(waiting)
    free = servers
    while waiting or running:
        if free and waiting and (not running or waiting[0][0] < running[0][0]):
            # The next event is a job created while a daemon is idle: it starts at once.
            job = heapq.heappop(waiting)[2]
            start_at = job.created
        else:
            finish, dummy_order, done = heapq.heappop(running)
            free += 1
            follow_up = on_finish(done, finish) if on_finish else None
            if follow_up is not None:
                heapq.heappush(waiting, (follow_up.created, seq, follow_up))
                seq += 1
            if not (waiting and waiting[0][0] <= finish):
                continue
            job = heapq.heappop(waiting)[2]
            start_at = finish
        job.started = start_at
        heapq.heappush(running, (start_at + job.duration, seq, job))
        seq += 1
        free -= 1


# ---------------------------------------------------------------------------------------------------------------
# One workshop run
# ---------------------------------------------------------------------------------------------------------------

_UserPlan = namedtuple("_UserPlan", ["durations", "jitters", "fails_every_attempt"])


def _draw_user_plans(n_users, p50, sigma, failure_rate, retry, rng):
    """Draw every random quantity of a run up front, per user, in a fixed order.

    The draws never depend on the provisioner count, so runs with different ``c`` see the same users (common random
    numbers): comparisons between ``c`` values show the effect of ``c``, not noise.
    """
    max_attempts = 1 + retry.max_retries
    plans = []
    for dummy in range(n_users):
        failures = _leading_failures(rng.random(), failure_rate, max_attempts)
        attempts = min(failures + 1, max_attempts)
        durations = tuple(_draw_duration(p50, sigma, rng) for dummy in range(attempts))
        jitters = tuple(rng.uniform(0.5, 1.0) for dummy in range(attempts - 1))
        plans.append(_UserPlan(durations, jitters, failures >= max_attempts))
    return plans


def _leading_failures(u, failure_rate, cap):
    """Number of failed attempts before the first success (capped), from one uniform: P(>= k) = f**k."""
    if failure_rate <= 0:
        return 0
    if failure_rate >= 1:
        return cap
    return min(cap, int(math.log(1.0 - u) / math.log(failure_rate)))


def _draw_duration(p50, sigma, rng):
    # p50 * exp(sigma Z) is LogNormal(ln p50, sigma); sigma 0 gives exactly p50 (exp(log(p50)) may be off an ulp).
    if sigma == 0:
        return p50
    return p50 * math.exp(sigma * rng.gauss(0.0, 1.0))


def _retry_delay(retry, k, jitter):
    """Delay before retry ``k`` (1-based): min(cap, base * 2**(k-1)) * U(0.5, 1.0)."""
    return min(retry.cap_s, retry.base_s * 2 ** (k - 1)) * jitter


def _run_plans(arrivals, plans, provisioners, agent_ready_s, retry):
    """Simulate one run; returns per-user records (dicts) in arrival order."""
    records = [{"arrival": a, "first_start": None, "queue_waits": [], "attempts": 0, "ready": None}
               for a in arrivals]

    def on_finish(job, finish):
        record, plan = records[job.owner], plans[job.owner]
        record["queue_waits"].append(job.started - job.created)
        record["attempts"] = job.attempt + 1
        if record["first_start"] is None:
            record["first_start"] = job.started
        if job.attempt + 1 < len(plan.durations):  # this attempt failed and a retry is planned
            retry_k = job.attempt + 1
            created = finish + _retry_delay(retry, retry_k, plan.jitters[job.attempt])
            return _Job(created, plan.durations[retry_k], job.owner, retry_k)
        if not plan.fails_every_attempt:
            record["ready"] = finish + agent_ready_s
        return None

    first_jobs = [_Job(a, plan.durations[0], user) for user, (a, plan) in enumerate(zip(arrivals, plans))]
    _serve_fifo(provisioners, first_jobs, on_finish)
    return records


def _summarise(records):
    time_to_ready = [r["ready"] - r["arrival"] for r in records if r["ready"] is not None]
    return {
        "time_to_ready": time_to_ready,
        "successes": len(time_to_ready),
        "users": len(records),
        "queue_waits": [wait for r in records for wait in r["queue_waits"]],
    }


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

    def draw_plans(self, rng):
        return _draw_user_plans(self.n_users, self.build_p50_s, self.sigma, self.failure_rate, self.retry, rng)

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
    """Simulate ONE workshop run of the platform process model (discrete events, O(N log N)).

    Returns ``{"users": [record, ...], "summary": {...}}``. A record holds ``arrival``, ``first_start``,
    ``queue_waits`` (one per job, created -> started), ``attempts``, ``ready`` (agent ready time, None if every
    attempt failed) and ``time_to_ready``. The summary holds ``time_to_ready`` (successes only), ``successes``,
    ``users`` and ``queue_waits`` (every job). ``rng`` is a ``random.Random``; default seeded with DEFAULT_SEED.
    """
    scenario = _Scenario(n_users, arrival_profile, build_p50_s, build_p95_s, agent_ready_s, failure_rate, retry)
    _require_int("provisioners", provisioners, 1)
    rng = rng if rng is not None else random.Random(DEFAULT_SEED)
    records = _run_plans(scenario.arrivals, scenario.draw_plans(rng), provisioners, scenario.agent_ready_s,
                         scenario.retry)
    for record in records:
        record["time_to_ready"] = None if record["ready"] is None else record["ready"] - record["arrival"]
    return {"users": records, "summary": _summarise(records)}


# ---------------------------------------------------------------------------------------------------------------
# Many runs: predictions
# ---------------------------------------------------------------------------------------------------------------

class _Predictor:
    """Runs the same R replications (common random numbers) for any provisioner count; caches by count."""

    def __init__(self, scenario, replications, seed, target_p95_s=None):
        self.scenario = scenario
        self.target_p95_s = target_p95_s
        self.replications = _require_int("replications", replications, 1)
        rng = random.Random(seed)
        self.plans = [scenario.draw_plans(rng) for dummy in range(self.replications)]
        self.cache = {}

    def predict(self, provisioners):
        _require_int("provisioners", provisioners, 1)
        if provisioners not in self.cache:
            self.cache[provisioners] = self._predict(provisioners)
        return self.cache[provisioners]

    def _predict(self, provisioners):
        s = self.scenario
        summaries = [_summarise(_run_plans(s.arrivals, plans, provisioners, s.agent_ready_s, s.retry))
                     for plans in self.plans]
        ttr = [summary["time_to_ready"] for summary in summaries]
        waits = [summary["queue_waits"] for summary in summaries]
        pooled_ttr = [value for run in ttr for value in run]
        pooled_waits = [value for run in waits for value in run]
        run_p95 = [percentile(run, 95) for run in ttr]
        met = None
        if self.target_p95_s is not None:
            # How many simulated workshops, each judged on its own p95, meet the target: a facilitator runs one.
            met = sum(1 for value in run_p95 if value is not None and value <= self.target_p95_s) / float(len(ttr))
        return {
            "provisioners": provisioners,
            "replications": self.replications,
            "p95_target_met_fraction": met,
            "run_p95_time_to_ready_s": {"p50": percentile([v for v in run_p95 if v is not None], 50),
                                        "p90": percentile([v for v in run_p95 if v is not None], 90)},
            "p50_time_to_ready_s": _mean_of_run_percentiles(ttr, 50),
            "p95_time_to_ready_s": _mean_of_run_percentiles(ttr, 95),
            "max_time_to_ready_s": _mean_of_run_percentiles(ttr, 100),
            "p50_queue_wait_s": _mean_of_run_percentiles(waits, 50),
            "p95_queue_wait_s": _mean_of_run_percentiles(waits, 95),
            "success_rate": mean(summary["successes"] / summary["users"] for summary in summaries),
            "pooled": {
                "p50_time_to_ready_s": percentile(pooled_ttr, 50),
                "p95_time_to_ready_s": percentile(pooled_ttr, 95),
                "max_time_to_ready_s": percentile(pooled_ttr, 100),
                "p50_queue_wait_s": percentile(pooled_waits, 50),
                "p95_queue_wait_s": percentile(pooled_waits, 95),
            },
        }


def _mean_of_run_percentiles(runs, q):
    # One rehearsal measures its own percentile, so the prediction is the mean of per-run percentiles.
    return mean(value for value in (percentile(run, q) for run in runs) if value is not None)


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

    def meets(count):
        predicted = predictor.predict(count)
        if predicted["success_rate"] < target_success_rate or predicted["p95_time_to_ready_s"] is None:
            return False
        if confidence is not None:
            return predicted["p95_target_met_fraction"] >= confidence
        return predicted["p95_time_to_ready_s"] <= target_p95_s

    meets_target = meets(scenario.n_users)
    count = _first_true(meets, 1, scenario.n_users) if meets_target else scenario.n_users
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
    fewer = predictor.predict(count - 1)
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
        at_high = _Predictor(scenario, inputs["replications"], inputs["seed"]).predict(high)
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
    """Simulate an M/M/c queue on the workshop's queue core; returns mean wait and P(wait > 0).

    Poisson arrivals and exponential service times for ``n_jobs`` jobs; the first ``warmup_fraction`` of jobs is
    discarded so the empty start does not bias the estimate. Used to validate the core against Erlang C.
    """
    _offered_load(c, arrival_rate, service_rate)
    _require_int("n_jobs", n_jobs, 1)
    _require_number("warmup_fraction", warmup_fraction, minimum=0, maximum=0.9)
    jobs = []
    now = 0.0
    for dummy in range(n_jobs):
        now += rng.expovariate(arrival_rate)
        jobs.append(_Job(now, rng.expovariate(service_rate)))
    _serve_fifo(c, jobs)
    measured = [job.started - job.created for job in jobs[int(n_jobs * warmup_fraction):]]
    return {
        "mean_wait": mean(measured),
        "p_wait": sum(1 for wait in measured if wait > 0) / len(measured),
        "jobs_measured": len(measured),
    }
