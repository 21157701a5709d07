# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A workshop rehearsal, in the spirit of ``coder exp scaletest create-workspaces``.

Creates N workspaces through the Coder API on the same arrival curve the capacity model assumes, retries failed
builds with exponential backoff and jitter, and measures each workspace from Coder's own timestamps (so how often we
poll does not change the numbers): queue wait = job.started_at - job.created_at, build = job.completed_at -
job.started_at, time-to-ready = the agents' ready_at - the first build's created_at. One list call per poll reads
every workspace, so the API load does not grow with N. Whatever happens - targets missed, an API error, SIGINT,
SIGTERM, the controlling process dying - every workspace it created is deleted, and the listing is read back to
prove none is left.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import heapq
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.model import arrival_times
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError
from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.stats import percentile
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import parse_timestamp

ACTIVE_JOB = ("pending", "running", "canceling")
FAILED_AGENT = ("start_error", "start_timeout")


class Settings:
    """Inputs in platform seconds; ``time_scale`` turns them into wall seconds (0.01 in the sandbox)."""

    def __init__(self, users, template, arrival_profile=None, time_scale=1.0, base_s=5.0, cap_s=60.0,
                 max_retries=3, poll_s=2.0, build_timeout_s=1800.0, cleanup_timeout_s=900.0, name_prefix="rh",
                 target_p95_s=120.0, target_success_rate=0.995, seed=None):
        if time_scale <= 0:
            raise ValueError("time_scale must be above 0, got %r" % (time_scale,))
        self.users, self.template = users, template
        self.arrivals = arrival_times(users, arrival_profile)
        self.arrival_profile = arrival_profile or [[0, 0], [60, 1]]
        self.time_scale = float(time_scale)
        self.base_s, self.cap_s, self.max_retries = float(base_s), float(cap_s), int(max_retries)
        self.poll_s, self.build_timeout_s, self.cleanup_timeout_s = poll_s, build_timeout_s, cleanup_timeout_s
        self.name_prefix = name_prefix
        self.target_p95_s, self.target_success_rate = target_p95_s, target_success_rate
        self.rng = random.Random(seed)

    def wall(self, platform_seconds):
        return platform_seconds * self.time_scale

    def backoff(self, retry):
        """Delay before retry ``retry`` (1-based): exponential with a cap and "equal jitter" (half fixed, half
        random), the policy the capacity model assumes."""
        return min(self.cap_s, self.base_s * 2 ** (retry - 1)) * self.rng.uniform(0.5, 1.0)


class Workspace:
    def __init__(self, index, name, arrival):
        self.index, self.name, self.arrival = index, name, arrival
        self.id = None
        self.attempts = 0
        self.first_build_created = None
        self.jobs = []            # (job id, created, started, completed, status) for every finished job
        self.outcome = None       # "ready" | "failed"
        self.ready_at = None
        self.error = None
        self.retry_due = None

    def record(self):
        waits = [(started - created).total_seconds() for dummy, created, started, dummy_c, dummy_s in self.jobs
                 if started is not None]
        return {"workspace": self.name, "attempts": self.attempts, "outcome": self.outcome or "unfinished",
                "queue_waits_s": waits, "error": self.error}


class Rehearsal:
    """Run with ``run()``; call ``abort()`` from a signal handler or watchdog to stop early (cleanup still runs)."""

    def __init__(self, client, settings, run_id, clock=time.monotonic, sleep=time.sleep):
        self.client, self.s, self.run_id = client, settings, run_id
        self.clock, self.sleep = clock, sleep
        self.aborted = threading.Event()
        self.abort_reason = None
        self.workspaces = [Workspace(i, "%s-%s-%03d" % (settings.name_prefix, run_id, i + 1), arrival)
                           for i, arrival in enumerate(settings.arrivals)]
        self.created = []         # every workspace id we created, for cleanup whatever happens
        self.lock = threading.Lock()
        self.api_calls = 0
        self.errors = []

    def abort(self, reason):
        if not self.aborted.is_set():
            self.abort_reason = reason
            self.aborted.set()

    # --- API helpers ----------------------------------------------------------------------------------------------
    def _call(self, fn, *args):
        with self.lock:
            self.api_calls += 1
        return fn(*args)

    def _template_id(self):
        for template in self._call(self.client.templates):
            if template["name"] == self.s.template:
                return template["id"]
        raise ApiError("Coder has no template named %r" % self.s.template)

    def _create(self, workspace, template_id):
        try:
            created = self._call(self.client.create_workspace, workspace.name, template_id)
        except ApiError as err:
            workspace.outcome, workspace.error = "failed", "create %s: %s" % (workspace.name, err.message)
            return
        with self.lock:
            self.created.append(created["id"])
        workspace.id = created["id"]
        workspace.attempts = 1
        workspace.first_build_created = parse_timestamp(created["latest_build"]["created_at"])

    def _retry(self, workspace):
        try:
            self._call(self.client.create_build, workspace.id, "start")
            workspace.attempts += 1
        except ApiError as err:
            workspace.outcome, workspace.error = "failed", "retry of %s: %s" % (workspace.name, err.message)

    def _list(self):
        listing = self._call(self.client.workspaces, "owner:me name:%s-%s" % (self.s.name_prefix, self.run_id))
        return dict((w["id"], w) for w in listing.get("workspaces") or [])

    # --- the run --------------------------------------------------------------------------------------------------
    def run(self):
        started = self.clock()
        try:
            template_id = self._template_id()
            self._drive(template_id, started)
        except ApiError as err:
            self.errors.append(err.message)
            self.abort("Coder API error: %s" % err.message)
        finally:
            cleanup = self.cleanup()
        return self.summary(self.clock() - started, cleanup)

    def _drive(self, template_id, started):
        due = [(self.s.wall(w.arrival), w.index) for w in self.workspaces]
        heapq.heapify(due)
        deadline = started + self.s.wall(max(self.s.arrivals) + self.s.build_timeout_s)
        with ThreadPoolExecutor(max_workers=16) as pool:
            pending_creates = []
            while not self.aborted.is_set():
                now = self.clock() - started
                while due and due[0][0] <= now:
                    pending_creates.append(pool.submit(self._create, self.workspaces[heapq.heappop(due)[1]],
                                                       template_id))
                for workspace in self.workspaces:
                    if workspace.retry_due is not None and workspace.retry_due <= self.clock():
                        workspace.retry_due = None
                        pending_creates.append(pool.submit(self._retry, workspace))
                if any(w.id for w in self.workspaces if w.outcome is None):
                    self._observe(self._list())
                if not due and all(f.done() for f in pending_creates) and all(
                        w.outcome for w in self.workspaces):
                    return
                if self.clock() > deadline:
                    for workspace in self.workspaces:
                        if workspace.outcome is None:
                            workspace.outcome = "failed"
                            workspace.error = "%s: not ready within %.0f s of platform time" % (
                                workspace.name, self.s.build_timeout_s)
                    return
                self.sleep(self.s.wall(self.s.poll_s))

    def _observe(self, listing):
        for workspace in self.workspaces:
            if workspace.outcome or workspace.id is None or workspace.retry_due is not None:
                continue
            current = listing.get(workspace.id)
            if current is None:
                continue
            build = current["latest_build"]
            job = build.get("job") or {}
            if build.get("transition") != "start" or job.get("status") in ACTIVE_JOB:
                continue
            if job.get("status") == "failed":
                self._failed_attempt(workspace, build, job)
            elif job.get("status") == "succeeded":
                self._succeeded_build(workspace, build, job)
            elif job.get("status") == "canceled":
                workspace.outcome = "failed"
                workspace.error = "%s: build %s canceled" % (workspace.name, build.get("status"))

    def _job_row(self, job):
        times = [parse_timestamp(job[k]) if job.get(k) else None for k in ("created_at", "started_at", "completed_at")]
        return tuple([job.get("id")] + times + [job.get("status")])

    def _failed_attempt(self, workspace, build, job):
        row = self._job_row(job)
        if any(existing[0] == row[0] for existing in workspace.jobs):
            return
        workspace.jobs.append(row)
        error = "%s: build %s, job error: %s" % (workspace.name, build.get("status"), job.get("error") or "none")
        if workspace.attempts > self.s.max_retries:
            workspace.outcome, workspace.error = "failed", error
            return
        # Back off from when Coder says the job failed, not from when we noticed (the model does the same).
        delay = self.s.wall(self.s.backoff(workspace.attempts))
        completed = row[3]
        lag = max(0.0, (time.time() - completed.timestamp())) if completed else 0.0
        workspace.retry_due = self.clock() + max(0.0, delay - lag)
        workspace.error = error

    def _succeeded_build(self, workspace, build, job):
        agents = [a for r in build.get("resources") or [] for a in r.get("agents") or [] if not a.get("parent_id")]
        if not agents:
            return  # the agent appears shortly after the job; look again next poll
        states = [a.get("lifecycle_state") for a in agents]
        if any(state in FAILED_AGENT for state in states) or any(a.get("status") == "timeout" for a in agents):
            workspace.jobs.append(self._job_row(job))
            workspace.outcome = "failed"
            workspace.error = "%s: build %s, agent %s" % (workspace.name, build.get("status"), ", ".join(states))
            return
        if all(state == "ready" for state in states):
            workspace.jobs.append(self._job_row(job))
            workspace.ready_at = max(parse_timestamp(a["ready_at"]) for a in agents)
            workspace.outcome, workspace.error = "ready", None

    # --- cleanup --------------------------------------------------------------------------------------------------
    def cleanup(self):
        """Delete every workspace this run created, then list to prove none is left. Bounded in time."""
        with self.lock:
            ids = list(self.created)
        deadline = self.clock() + self.s.wall(self.s.cleanup_timeout_s)
        remaining, errors = set(ids), []
        while remaining and self.clock() < deadline:
            try:
                listing = self._list()
            except ApiError as err:
                errors.append(err.message)
                self.sleep(self.s.wall(self.s.poll_s))
                continue
            remaining = set(i for i in remaining if i in listing)
            for workspace_id in sorted(remaining):
                build = listing[workspace_id]["latest_build"]
                job_status = (build.get("job") or {}).get("status")
                try:
                    if build.get("transition") == "delete" and job_status in ACTIVE_JOB + ("succeeded",):
                        continue  # already on its way out
                    if job_status in ("pending", "running"):
                        self._call(self.client.cancel_build, build["id"])
                    elif job_status != "canceling":
                        self._call(self.client.create_build, workspace_id, "delete")
                except ApiError as err:
                    if err.status not in (400, 409):  # raced with the build finishing: retried next round
                        errors.append(err.message)
            if remaining:
                self.sleep(self.s.wall(self.s.poll_s))
        try:
            left = sorted(w["name"] for w in self._list().values())
        except ApiError as err:
            errors.append(err.message)
            left = ["(unknown: could not list workspaces)"]
        return {"created": len(ids), "left": len(left), "left_names": left, "errors": errors[:10]}

    # --- result ---------------------------------------------------------------------------------------------------
    def summary(self, wall_seconds, cleanup):
        scale = self.s.time_scale
        ready = [w for w in self.workspaces if w.outcome == "ready"]
        ttr = [(w.ready_at - w.first_build_created).total_seconds() / scale for w in ready]
        waits = [(started - created).total_seconds() / scale for w in self.workspaces
                 for dummy, created, started, dummy_c, dummy_s in w.jobs if started is not None]
        builds = [(completed - started).total_seconds() / scale for w in ready
                  for dummy, dummy_c, started, completed, status in w.jobs[-1:] if started and completed]
        succeeded = len(ready)
        attempted = [w for w in self.workspaces if w.attempts or w.outcome]
        rate = succeeded / float(self.s.users)
        p95 = _round(percentile(ttr, 95))
        return {
            "users": self.s.users, "succeeded": succeeded, "failed": self.s.users - succeeded,
            "success_rate": round(rate, 4), "p50_s": _round(percentile(ttr, 50)), "p95_s": p95,
            "max_s": _round(percentile(ttr, 100)),
            "queue_wait_p50_s": _round(percentile(waits, 50)), "queue_wait_p95_s": _round(percentile(waits, 95)),
            "build_p50_s": _round(percentile(builds, 50)), "build_p95_s": _round(percentile(builds, 95)),
            "retries": sum(max(0, w.attempts - 1) for w in self.workspaces),
            "targets": {"p95_s": self.s.target_p95_s, "success_rate": self.s.target_success_rate},
            "meets_targets": {"p95": p95 is not None and p95 <= self.s.target_p95_s,
                              "success_rate": rate >= self.s.target_success_rate},
            "failures": [w.error for w in self.workspaces if w.outcome != "ready" and w.error],
            "interrupted": self.aborted.is_set(), "interrupt_reason": self.abort_reason,
            "workspaces_started": len(attempted), "time_scale": scale, "arrival_profile": self.s.arrival_profile,
            "template": self.s.template, "run_id": self.run_id, "wall_s": round(wall_seconds, 2),
            "api_calls": self.api_calls, "cleanup": cleanup, "errors": self.errors,
            "per_workspace": [w.record() for w in self.workspaces],
        }


def _round(value):
    return None if value is None else round(value, 1)
