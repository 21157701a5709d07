# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gate's gather mechanism: a registry of fact *sources*, run concurrently, each bounded by one deadline.

A source is one reader of one dependency (Coder, LiteLLM, a region's AWS account, a region's cluster, a registry
...), declared once with ``register_source()``:

- ``name``: the key its result is stored under (``coder``, ``images``, ``cluster`` ...);
- ``scope``: ``global`` (read once for the platform) or ``region`` (read in every region that asks for it);
- ``spec``: an Ansible argument spec for its parameters (validated like a module's options; ``no_log`` honoured);
- ``read(context, params)``: returns the source's result, a plain dict. ``context`` gives the region, its AWS
  client factory (``context.aws(service, region=None)``), its Kubernetes reader (``context.kube()``), the timeout,
  and the results of the sources named in ``after``;
- ``after``: sources whose results ``read`` needs (the capacity plan reads Coder's build times); it starts when they
  are done;
- ``sections``: the sections of its result, each of which gets the cause when the source could not finish.

``run_jobs()`` runs every requested (target, source) pair in its own daemon thread and waits until each is done or
the deadline passes. A source that raises, or that has not answered by the deadline, gets a result that says why
(``failed``, ``msg`` and the cause under ``errors`` for each of its sections), so the judge reports exactly the checks
that need it as ``error`` and the gate never hangs on one dependency. Daemon threads are abandoned at the deadline,
so a hung socket cannot keep the module from exiting.

Adding a family's gather is adding a reader and one ``register_source()`` call (see ``sources.py``): the module, the
thread pool and the deadline are shared, so a new source costs no new task and no serial step.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

SCOPES = ("global", "region")
SOURCES = {}


class InputError(ValueError):
    """Bad input to a source (not a dependency failing): the gather fails naming it, as a single-purpose module
    would, instead of reporting an ``error`` row. ``no_log_values``: the secrets among the refused input, which
    the failure message must not show either."""

    def __init__(self, message, no_log_values=()):
        super(InputError, self).__init__(message)
        self.no_log_values = set(no_log_values)


class Source(object):
    def __init__(self, name, scope, spec, read, after=(), sections=(), description="", problems=None):
        if scope not in SCOPES:
            raise ValueError("source %s: scope must be one of %s" % (name, ", ".join(SCOPES)))
        self.name = name
        self.scope = scope
        self.spec = spec
        self.read = read
        self.after = tuple(after)
        self.sections = tuple(sections)
        self.description = description
        self.problems = problems


def register_source(name, scope, spec, read, after=(), sections=(), description="", problems=None):
    """Declare a source once; its name must be unique, and every source it runs ``after`` must be registered
    before it. ``problems(params)`` lists bad inputs beyond the spec (checked before any source runs)."""
    if name in SOURCES:
        raise ValueError("source %s is registered twice" % name)
    source = Source(name, scope, spec, read, after, sections, description, problems)
    for other in source.after:
        if other not in SOURCES:
            raise ValueError("source %s runs after %s, which is not registered (yet)" % (name, other))
    SOURCES[name] = source
    return source


def validate_params(name, params):
    """(validated params, values never to show) for one source, or raise ValueError naming the source."""
    source = SOURCES.get(name)
    if source is None:
        raise InputError("unknown gather source %r (known: %s)" % (name, ", ".join(sorted(SOURCES))))
    validator = ArgumentSpecValidator(source.spec)
    result = validator.validate(dict(params or {}))
    no_log_values = set(getattr(result, "_no_log_values", set()) or set())
    if result.error_messages:
        raise InputError("gather source %s: %s" % (name, "; ".join(result.error_messages)), no_log_values)
    problems = source.problems(result.validated_parameters) if source.problems else []
    if problems:
        raise InputError("gather source %s: %s" % (name, "; ".join(problems)), no_log_values)
    return result.validated_parameters, no_log_values


def failure(source_name, cause):
    """The result of a source that could not finish: ``failed``/``msg`` and the cause for each section."""
    source = SOURCES.get(source_name)
    sections = source.sections if source else ()
    return {"failed": True, "msg": cause, "errors": dict((section, cause) for section in sections)}


class Context(object):
    """What a reader gets besides its parameters, for one target (a region, or the platform for global sources).

    ``aws(service, region=None)``: a retrying boto3 client (region defaults to the target's); ``kube()``: the
    target's Kubernetes ``get_json`` reader, built on first use (raises ``KubeReadError`` when it cannot be built);
    ``results``: the results of the sources this one runs after; ``timeout``: seconds for each call;
    ``deadline_s``: the bound of the whole gather."""

    def __init__(self, target, region, aws=None, kube_factory=None, timeout=10, deadline_s=20):
        self.target = target
        self.region = region
        self._aws = aws
        self._kube_factory = kube_factory
        self._kube = None
        self._lock = threading.Lock()
        self.timeout = timeout
        self.deadline_s = deadline_s
        self.results = {}

    def aws(self, service, region=None):
        if self._aws is None:
            raise ValueError("%s: no AWS connection was given" % self.target)
        return self._aws(service, region or self.region)

    def kube(self):
        with self._lock:
            if self._kube is None:
                if self._kube_factory is None:
                    raise ValueError("%s: no Kubernetes connection was given" % self.target)
                self._kube = self._kube_factory()
            return self._kube


class Job(object):
    """One source for one target. ``after`` holds the jobs whose results it needs."""

    def __init__(self, key, source_name, params, context, after=()):
        self.key = key
        self.source_name = source_name
        self.params = params
        self.context = context
        self.after = list(after)
        self.result = None
        self.seconds = None
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.timed_out = False
        self.input_error = None

    def run(self, deadline):
        started = time.monotonic()
        try:
            for dependency in self.after:
                if not dependency.done.wait(max(0.0, deadline - time.monotonic())):
                    raise GatherTimeout("%s did not finish in time" % dependency.key)
                self.context.results[dependency.source_name] = dependency.result
            result = SOURCES[self.source_name].read(self.context, self.params)
        except GatherTimeout as err:
            result = failure(self.source_name, "%s: not read, %s" % (self.key, err))
        except InputError as err:
            self.input_error = "%s: %s" % (self.key, err)
            result = failure(self.source_name, self.input_error)
        except Exception as err:  # pylint: disable=broad-except
            # A bug in one reader must not cost the other sources, nor stop the gate: the judge reports it.
            result = failure(self.source_name, "%s: the reader crashed: %s: %s (%s)" % (
                self.key, err.__class__.__name__, err, _where(traceback.format_exc())))
        self.finish(result, round(time.monotonic() - started, 3))

    def finish(self, result, seconds, timed_out=False):
        """Record the result once: the first of the reader and the deadline wins."""
        with self.lock:
            if self.done.is_set():
                return
            self.result, self.seconds, self.timed_out = result, seconds, timed_out
            self.done.set()


class GatherTimeout(Exception):
    pass


def _where(trace):
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip().startswith("File ")]
    return lines[-1] if lines else "no traceback"


def run_jobs(jobs, deadline_s):
    """Run every job in its own daemon thread; return when all are done or ``deadline_s`` seconds have passed.
    A job still running at the deadline gets a failure naming the bound."""
    deadline = time.monotonic() + deadline_s
    for job in jobs:
        thread = threading.Thread(target=job.run, args=(deadline,), name="gather-%s" % job.key)
        thread.daemon = True
        thread.start()
    for job in jobs:
        if not job.done.wait(max(0.0, deadline - time.monotonic())):
            job.finish(failure(job.source_name, "%s: no answer within %ss (the gather's deadline)" % (
                job.key, deadline_s)), deadline_s, timed_out=True)
    return jobs


def run_parallel(calls, deadline_s):
    """Run ``{name: callable}`` concurrently in daemon threads, each bounded by ``deadline_s``; return
    ``{name: (value, error)}`` where error is the exception raised, or a GatherTimeout."""
    out, events = {}, {}
    deadline = time.monotonic() + deadline_s

    def one(name, call):
        try:
            out[name] = (call(), None)
        except Exception as err:  # pylint: disable=broad-except
            out[name] = (None, err)
        events[name].set()

    for name, call in calls.items():
        events[name] = threading.Event()
        thread = threading.Thread(target=one, args=(name, call), name="gather-part-%s" % name)
        thread.daemon = True
        thread.start()
    for name in calls:
        if not events[name].wait(max(0.0, deadline - time.monotonic())):
            out[name] = (None, GatherTimeout("no answer within %ss" % deadline_s))
    return dict((name, out[name]) for name in calls)
