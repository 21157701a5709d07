"""In-memory fake of the Coder v2 REST API: the parts an ops tool uses, plus the provisioner queue.

Real clients (``urllib``, ``requests``, the collection's modules) talk to it over HTTP, and it is meant to behave
like the real API: paths, JSON keys, enums, timestamp and UUID formats, status codes and ``codersdk.Response``
error bodies follow the Coder swagger (``tests/data/coder-swagger.json``, coder/coder at 00072fa) and the coderd
handlers. ``tests/unit/sandbox/test_coder_fake_contract.py`` validates every response against that swagger.
Where the swagger and the running server disagree, the fake does what the server does:

* ``build_time_stats`` entries use the keys ``P50``/``P95`` (milliseconds): ``codersdk.TransitionStats`` has no
  json tags, so Go emits the field names; the swagger's ``p50``/``p95`` come from swaggo's camelCase naming.
* ``GET /workspaceproxies`` returns the object ``{"regions": [...]}`` with the primary first (the handler writes
  ``RegionsResponse`` and prepends the primary; the swagger annotation says array).
* Creating a workspace or a build answers ``201`` (the handlers write StatusCreated; the swagger says ``200``).

Other server behaviour worth knowing: a deleted workspace answers ``410 Gone`` unless ``?include_deleted=true``;
the create responses carry ``queue_position``/``queue_size`` 0 (coderd converts the job before any daemon sees
it); unknown routes answer ``404 {"message": "Route not found."}`` without authentication.

The queue follows "The platform process model" in ``tests/sandbox/README.md``: one FIFO pool per organization
served by ``provisioner_count(org)`` daemons (evaluated at each scheduling decision), job durations
``LogNormal(ln p50, ln(p95/p50)/1.6448536)`` platform seconds drawn from ``random.Random(rng_seed)``, wall time =
platform time x ``time_scale``, start builds failed with probability ``failure_rate``. Event times are exact: a job
that ends at ``t`` frees its daemon at ``t`` and the oldest pending job starts at ``t``, whatever the thread latency.

Seed keys beyond the README (all optional): organization ``provisioner_version`` (what its daemons report,
default the primary's version); proxy ``icon_url`` and ``error`` (the report error of an unhealthy proxy);
template ``display_name``, ``icon``, ``deprecation_message``, ``version_name``; top-level ``wildcard_hostname``.

Deliberately not done: users other than the one owner ``admin``; creating templates or versions (versions are
seeded as already imported, so imports never queue); provisioner tags other than the implicit
``{"owner": "", "scope": "organization"}``; prebuilds; build logs, timings, parameters, websockets/SSE;
autostart/autostop and deadlines (always ``null``); agent apps, scripts and stats; ``expect_status`` on cancel;
DERP/netcheck details in the health report (``regions`` is empty) and health-check dismissal; rate limiting;
RBAC (the token is the owner's). Offline daemons are never listed: a daemon scaled away disappears once idle.
``build_time_stats`` reports the seeded percentiles, not statistics of the builds the fake ran.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from httpserver import BackgroundServer

API = "/api/v2"
SESSION_HEADER = "Coder-Session-Token"
SESSION_COOKIE = "coder_session_token"
SIGNED_OUT = "You are signed out or your session has expired. Please sign in again to continue."
RESOURCE_NOT_FOUND = "Resource not found or you do not have access to this resource"
USER_NOT_FOUND = '"user" must be an existing uuid or username.'

AGENT_API_VERSION = "2.6"
PROVISIONER_API_VERSION = "1.10"
IMPLICIT_TAGS = {"owner": "", "scope": "organization"}
Z_95 = 1.6448536  # standard normal quantile of 0.95: sigma = ln(p95/p50) / Z_95
# The agent dials in after this fraction of agent_ready_s, then runs its startup scripts until ready.
AGENT_CONNECT_FRACTION = 0.2
# Platform seconds terraform takes to stop after a running job is canceled.
CANCEL_GRACE_S = 2.0
# Stop and delete builds tear down what start created; the seed only gives start percentiles.
TEARDOWN_FACTOR = 0.1
# While jobs wait for a daemon, provisioner_count is polled this often (platform seconds, at least 10 ms wall):
# the callable cannot notify the fake when the Deployment is scaled.
CAPACITY_RECHECK_S = 1.0
TRANSITIONS = ("start", "stop", "delete")
WORKSPACE_NAME_RE = re.compile(r"^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$")
RESERVED_WORKSPACE_NAMES = {"new", "create"}
K8S_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated name suffixes
# golang.org/x/mod/semver syntax (short forms v1 and v1.2 are valid without pre-release or build).
SEMVER_RE = re.compile(
    r"^v(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)?)?$"
)

URL_MAP = Map(
    [
        Rule("/healthz", endpoint="healthz", methods=["GET"]),
        Rule(f"{API}/buildinfo", endpoint="buildinfo", methods=["GET"]),
        Rule(f"{API}/debug/health", endpoint="debug_health", methods=["GET"]),
        Rule(f"{API}/workspaceproxies", endpoint="workspace_proxies", methods=["GET"]),
        Rule(f"{API}/regions", endpoint="regions", methods=["GET"]),
        Rule(f"{API}/organizations", endpoint="organizations", methods=["GET"]),
        Rule(f"{API}/organizations/<organization>", endpoint="organization", methods=["GET"]),
        Rule(f"{API}/organizations/<organization>/provisionerdaemons", endpoint="provisioner_daemons",
             methods=["GET"]),
        Rule(f"{API}/organizations/<organization>/provisionerjobs", endpoint="provisioner_jobs", methods=["GET"]),
        Rule(f"{API}/organizations/<organization>/provisionerjobs/<job>", endpoint="provisioner_job",
             methods=["GET"]),
        Rule(f"{API}/organizations/<organization>/templates", endpoint="organization_templates", methods=["GET"]),
        Rule(f"{API}/organizations/<organization>/templates/<templatename>", endpoint="organization_template",
             methods=["GET"]),
        Rule(f"{API}/organizations/<organization>/members/<user>/workspaces", endpoint="create_member_workspace",
             methods=["POST"]),
        Rule(f"{API}/templates", endpoint="templates", methods=["GET"]),
        Rule(f"{API}/templates/<template>", endpoint="template", methods=["GET"]),
        Rule(f"{API}/templateversions/<templateversion>", endpoint="template_version", methods=["GET"]),
        Rule(f"{API}/users/<user>", endpoint="user", methods=["GET"]),
        Rule(f"{API}/users/<user>/workspaces", endpoint="create_user_workspace", methods=["POST"]),
        Rule(f"{API}/users/<user>/workspace/<workspacename>", endpoint="workspace_by_owner_and_name",
             methods=["GET"]),
        Rule(f"{API}/workspaces", endpoint="workspaces", methods=["GET"]),
        Rule(f"{API}/workspaces/<workspace>", endpoint="workspace", methods=["GET"]),
        Rule(f"{API}/workspaces/<workspace>/builds", endpoint="workspace_builds", methods=["GET"]),
        Rule(f"{API}/workspaces/<workspace>/builds", endpoint="create_workspace_build", methods=["POST"]),
        Rule(f"{API}/workspacebuilds/<workspacebuild>", endpoint="workspace_build", methods=["GET"]),
        Rule(f"{API}/workspacebuilds/<workspacebuild>/cancel", endpoint="cancel_workspace_build",
             methods=["PATCH"]),
    ],
    strict_slashes=False,
)
UNAUTHENTICATED_ENDPOINTS = {"healthz", "buildinfo"}


def rfc3339(t: float) -> str:
    """Go's time.Time JSON form for a UTC instant at Postgres (microsecond) precision: RFC3339Nano with ``Z``."""
    dt = datetime.fromtimestamp(t, tz=timezone.utc)
    frac = f"{dt.microsecond:06d}".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def versions_match(v1: str, v2: str) -> bool:
    """buildinfo.VersionsMatch: compare major.minor only; a v0.0.0 dev build matches anything."""
    if "v0.0.0" in v1 or "v0.0.0" in v2:
        return True
    return _major_minor(v1) == _major_minor(v2)


def _major_minor(version: str) -> str:
    m = SEMVER_RE.match(version)
    return f"v{m.group(1)}.{m.group(2) or 0}" if m else ""  # semver.MajorMinor gives "" for invalid versions


class _APIError(Exception):
    """Raised by a handler to answer with a codersdk.Response error body."""

    def __init__(self, status: int, message: str, detail: str = "", validations: list | None = None):
        super().__init__(message)
        self.status, self.message, self.detail, self.validations = status, message, detail, validations


def _json_response(payload, status: int = 200) -> Response:
    resp = Response(json.dumps(payload), status=status)
    resp.headers["Content-Type"] = "application/json; charset=utf-8"  # what coderd's httpapi.Write sets
    return resp


def _error_body(message: str, detail: str = "", validations: list | None = None) -> dict:
    body = {"message": message}  # detail and validations are omitempty in codersdk.Response
    if detail:
        body["detail"] = detail
    if validations:
        body["validations"] = validations
    return body


@dataclass(eq=False)
class _Org:
    id: str
    name: str
    display_name: str
    is_default: bool
    static_count: int
    provisioner_version: str
    key_id: str
    key_name: str
    created_at: float


@dataclass(eq=False)
class _Template:
    id: str
    org: _Org
    name: str
    display_name: str
    icon: str
    deprecated: bool
    deprecation_message: str
    stats: dict  # transition -> (p50_s, p95_s) in platform seconds
    created_at: float
    active_version: "_TemplateVersion | None" = None


@dataclass(eq=False)
class _Daemon:
    id: str
    name: str
    created_at: float
    previous_job: "_Job | None" = None


@dataclass(eq=False)
class _Job:
    id: str
    org: _Org
    type: str
    file_id: str
    created_at: float
    build: "_Build | None" = None
    version: "_TemplateVersion | None" = None
    started_at: float | None = None
    completed_at: float | None = None
    canceled_at: float | None = None
    error: str = ""
    daemon: _Daemon | None = None
    slot: int | None = None
    ends_at: float | None = None
    injected_error: str = ""

    @property
    def status(self) -> str:
        """db2sdk job status: cancel first, then the start/complete timestamps and the error."""
        if self.canceled_at is not None:
            return "canceled" if self.completed_at is not None else "canceling"
        if self.started_at is None:
            return "pending"
        if self.completed_at is not None:
            return "failed" if self.error else "succeeded"
        return "running"


@dataclass(eq=False)
class _TemplateVersion:
    id: str
    template: _Template
    name: str
    file_id: str
    created_at: float
    job: _Job


@dataclass(eq=False)
class _Resource:
    id: str
    created_at: float
    job_id: str
    transition: str
    type: str
    name: str
    icon: str
    agent_id: str | None = None


@dataclass(eq=False)
class _Build:
    id: str
    workspace: "_Workspace"
    number: int
    transition: str
    version: _TemplateVersion
    job: _Job
    created_at: float
    resources: list = field(default_factory=list)


@dataclass(eq=False)
class _Workspace:
    id: str
    name: str
    template: _Template
    created_at: float
    builds: list = field(default_factory=list)
    deleted: bool = False

    @property
    def latest_build(self) -> _Build:
        return self.builds[-1]


def _build_status(job_status: str, transition: str) -> str:
    """codersdk.ConvertWorkspaceStatus."""
    if job_status in ("pending", "canceling", "canceled", "failed"):
        return job_status
    if job_status == "running":
        return {"start": "starting", "stop": "stopping", "delete": "deleting"}[transition]
    return {"start": "running", "stop": "stopped", "delete": "deleted"}[transition]


class CoderFake(BackgroundServer):
    """A Coder deployment (primary + proxies + external provisioner daemons) answering over HTTP."""

    def __init__(self, seed: dict, token: str, time_scale: float = 1.0,
                 provisioner_count: Callable[[str], int | None] | None = None, rng_seed: int = 0):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self._token = token
        self._time_scale = float(time_scale)
        self._provisioner_count = provisioner_count
        self._rng = random.Random(rng_seed)  # durations and failures only, so ids do not shift them
        self._id_rng = random.Random(f"coder-fake-ids/{rng_seed}")
        self._clock = time.time
        self._cond = threading.Condition()
        super().__init__()
        self._scheduler_thread: threading.Thread | None = None
        self._stopping = False

        queue = seed.get("queue") or {}
        self.set_failure_rate(float(queue.get("failure_rate", 0.0)))
        self._agent_ready_s = float(queue.get("agent_ready_s", 15))
        self._version = seed["version"]
        self._deployment_id = self._new_id()
        now = self._clock()
        self._user = {"id": self._new_id(), "username": "admin", "name": "Admin", "email": "admin@coder.com",
                      "created_at": now - 30 * 86400}

        self._orgs: dict[str, _Org] = {}
        for o in seed.get("organizations") or [{"name": "coder", "is_default": True}]:
            org = _Org(id=self._new_id(), name=o["name"], display_name=o.get("display_name", o["name"]),
                       is_default=bool(o.get("is_default", False)), static_count=int(o.get("provisioners", 0)),
                       provisioner_version=o.get("provisioner_version", self._version), key_id=self._new_id(),
                       key_name="default" if o.get("is_default") else o["name"], created_at=now - 30 * 86400)
            self._orgs[org.id] = org
        if sum(org.is_default for org in self._orgs.values()) != 1:
            raise ValueError("exactly one organization must have is_default: true")

        self._proxies = [
            {"id": self._new_id(), "name": p["name"], "display_name": p.get("display_name", p["name"]),
             "icon_url": p.get("icon_url", "/emojis/1f30e.png"), "url": p["url"],
             "wildcard_hostname": p.get("wildcard_hostname", ""), "version": p.get("version", ""),
             "healthy": bool(p.get("healthy", True)),
             "error": p.get("error", "proxy healthz-report returned errors (sandbox seed healthy=false)"),
             "created_at": now - 14 * 86400}
            for p in seed.get("proxies") or []
        ]
        self._wildcard_hostname = seed.get("wildcard_hostname", "")

        self._templates: dict[str, _Template] = {}
        self._versions: dict[str, _TemplateVersion] = {}
        self._jobs: dict[str, _Job] = {}
        for t in seed.get("templates") or []:
            self._seed_template(t, now)

        self._workspaces: dict[str, _Workspace] = {}
        self._builds: dict[str, _Build] = {}
        self._pending: list[_Job] = []  # creation order == FIFO order
        self._running: dict[str, dict[int, _Job]] = {org_id: {} for org_id in self._orgs}
        self._daemons: dict[tuple[str, int], _Daemon] = {}

    # ------------------------------------------------------------------ public API

    def wsgi_app(self, environ, start_response):
        return self._wsgi(environ, start_response)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        if self.running:
            raise RuntimeError("CoderFake is already started")
        port = super().start(host, port)
        self._stopping = False
        self._scheduler_thread = threading.Thread(target=self._schedule_loop, name="coder-fake-scheduler",
                                                  daemon=True)
        self._scheduler_thread.start()
        return port

    def stop(self) -> None:
        if not self.running:
            return
        super().stop()
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._scheduler_thread.join()

    def set_failure_rate(self, rate: float) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("failure rate must be within [0, 1]")
        with self._cond:
            self._failure_rate = rate

    def workspaces_alive(self) -> int:
        with self._cond:
            self._advance(self._clock())
            return sum(not ws.deleted for ws in self._workspaces.values())

    # ------------------------------------------------------------------ seeding

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._id_rng.getrandbits(128), version=4))

    def _org_named(self, name: str) -> _Org:
        for org in self._orgs.values():
            if org.name == name:
                return org
        raise ValueError(f"unknown organization {name!r}")

    def _seed_template(self, t: dict, now: float) -> None:
        p50, p95 = float(t["build_time_p50_s"]), float(t["build_time_p95_s"])
        if not 0 < p50 <= p95:
            raise ValueError(f"template {t['name']}: need 0 < build_time_p50_s <= build_time_p95_s")
        org = self._org_named(t.get("organization") or next(o.name for o in self._orgs.values() if o.is_default))
        created = now - 7 * 86400
        template = _Template(
            id=self._new_id(), org=org, name=t["name"], display_name=t.get("display_name", t["name"]),
            icon=t.get("icon", ""), deprecated=bool(t.get("deprecated", False)),
            deprecation_message=t.get("deprecation_message", "") if t.get("deprecated") else "",
            stats={"start": (p50, p95), "stop": (p50 * TEARDOWN_FACTOR, p95 * TEARDOWN_FACTOR),
                   "delete": (p50 * TEARDOWN_FACTOR, p95 * TEARDOWN_FACTOR)},
            created_at=created)
        file_id = self._new_id()
        job = _Job(id=self._new_id(), org=org, type="template_version_import", file_id=file_id,
                   created_at=created, started_at=created + 1, completed_at=created + 45)
        if t.get("import_status", "succeeded") == "failed":
            job.error = ("template import provision for start: terraform plan: exit status 1 "
                         "(sandbox seed import_status=failed)")
        version = _TemplateVersion(id=self._new_id(), template=template, name=t.get("version_name", "v1"),
                                   file_id=file_id, created_at=created, job=job)
        job.version = version
        template.active_version = version
        self._templates[template.id] = template
        self._versions[version.id] = version
        self._jobs[job.id] = job

    # ------------------------------------------------------------------ queue (caller holds self._cond)

    def _capacity(self, org: _Org) -> int:
        count = self._provisioner_count(org.name) if self._provisioner_count else None
        return max(0, int(org.static_count if count is None else count))

    def _online_slots(self, org: _Org, capacity: int) -> list[int]:
        # A scaled-down daemon keeps running its job (SIGTERM drains it), so it stays online until idle.
        return sorted(set(range(capacity)) | set(self._running[org.id]))

    def _daemon(self, org: _Org, slot: int, now: float) -> _Daemon:
        key = (org.id, slot)
        if key not in self._daemons:
            deployment = "coder-provisioner-" + ("default" if org.is_default else org.name)
            rs_hash = _k8s_suffix(f"{org.name}/replicaset", 10)
            self._daemons[key] = _Daemon(id=self._new_id(), created_at=now,
                                         name=f"{deployment}-{rs_hash}-{_k8s_suffix(f'{org.name}/{slot}', 5)}")
        return self._daemons[key]

    def _advance(self, now: float) -> None:
        """Replay queue events up to ``now`` in time order: completions free daemons at their exact end time."""
        capacities: dict[str, int] = {}

        def capacity(org: _Org) -> int:
            if org.id not in capacities:
                capacities[org.id] = self._capacity(org)
            return capacities[org.id]

        while True:
            due = [job for slots in self._running.values() for job in slots.values() if job.ends_at <= now]
            if not due:
                break
            job = min(due, key=lambda j: j.ends_at)
            self._finish(job)
            self._dispatch(job.org, job.ends_at, capacity)
        for org in self._orgs.values():
            self._dispatch(org, now, capacity)

    def _dispatch(self, org: _Org, t: float, capacity: Callable[[_Org], int]) -> None:
        running = self._running[org.id]
        cap = capacity(org)
        free = [slot for slot in range(cap) if slot not in running][: max(0, cap - len(running))]
        waiting = [job for job in self._pending if job.org is org and job.created_at <= t]
        for slot, job in zip(free, waiting):
            self._start(job, slot, t)

    def _start(self, job: _Job, slot: int, t: float) -> None:
        p50, p95 = job.build.workspace.template.stats[job.build.transition]
        duration = self._rng.lognormvariate(math.log(p50), math.log(p95 / p50) / Z_95)
        # Drawn for every job so sequences stay reproducible; only start builds fail, as the injected rate models
        # failed workspace creations (what a rehearsal and the capacity model measure), and cleanup must succeed.
        fails = self._rng.random() < self._failure_rate and job.build.transition == "start"
        self._pending.remove(job)
        job.started_at, job.slot = t, slot
        job.daemon = self._daemon(job.org, slot, t)
        job.ends_at = t + duration * self._time_scale
        if fails:
            job.injected_error = f"terraform apply: injected failure (sandbox failure_rate={self._failure_rate:g})"
        self._running[job.org.id][slot] = job

    def _finish(self, job: _Job) -> None:
        job.completed_at = job.ends_at
        del self._running[job.org.id][job.slot]
        job.daemon.previous_job = job
        if job.canceled_at is not None:
            return
        if job.injected_error:
            job.error = job.injected_error
            return
        build = job.build
        build.resources = self._resources(build, job.completed_at)
        if build.transition == "delete":
            build.workspace.deleted = True

    def _resources(self, build: _Build, t: float) -> list[_Resource]:
        """What a Kubernetes template leaves behind: the pod's Deployment (with the agent) and the home volume."""
        if build.transition == "delete":
            return []
        home = _Resource(id=self._new_id(), created_at=t, job_id=build.job.id, transition=build.transition,
                         type="kubernetes_persistent_volume_claim", name="home", icon="/icon/database.svg")
        if build.transition == "stop":
            return [home]
        main = _Resource(id=self._new_id(), created_at=t, job_id=build.job.id, transition=build.transition,
                         type="kubernetes_deployment", name="main", icon="/icon/k8s.png", agent_id=self._new_id())
        return [main, home]  # coderd sorts resources with agents first, then by name

    def _enqueue_build(self, ws: _Workspace, transition: str, version: _TemplateVersion, now: float) -> _Build:
        job = _Job(id=self._new_id(), org=ws.template.org, type="workspace_build", file_id=version.file_id,
                   created_at=max([now] + [j.created_at for j in self._pending]))  # keep FIFO == time order
        build = _Build(id=self._new_id(), workspace=ws, number=len(ws.builds) + 1, transition=transition,
                       version=version, job=job, created_at=job.created_at)
        job.build = build
        ws.builds.append(build)
        self._builds[build.id] = build
        self._jobs[job.id] = job
        self._pending.append(job)
        return build

    def _next_timeout(self, now: float) -> float | None:
        ends = [job.ends_at for slots in self._running.values() for job in slots.values()]
        timeout = min(ends) - now if ends else None
        if self._pending:
            recheck = max(0.01, CAPACITY_RECHECK_S * self._time_scale)
            timeout = recheck if timeout is None else min(timeout, recheck)
        return None if timeout is None else max(timeout, 0.0)

    def _schedule_loop(self) -> None:
        with self._cond:
            while not self._stopping:
                now = self._clock()
                self._advance(now)
                self._cond.wait(self._next_timeout(now))

    # ------------------------------------------------------------------ HTTP plumbing

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = URL_MAP.bind_to_environ(environ).match()
        except NotFound:
            response = _json_response(_error_body("Route not found."), 404)
        except MethodNotAllowed as exc:  # chi's default: 405 with an empty body
            response = Response(status=405, headers={"Allow": ", ".join(exc.valid_methods or [])})
        else:
            response = self._handle(request, endpoint, args)
        return response(environ, start_response)

    def _handle(self, request: Request, endpoint: str, args: dict) -> Response:
        if endpoint == "healthz":
            return Response("OK", content_type="text/plain; charset=utf-8")
        try:
            if endpoint not in UNAUTHENTICATED_ENDPOINTS:
                self._authenticate(request)
            with self._cond:
                now = self._clock()
                self._advance(now)
                result = getattr(self, f"_api_{endpoint}")(request, now, **args)
                if request.method != "GET":
                    self._advance(now)  # a new job may start at once on a free daemon
                    self._cond.notify_all()
        except _APIError as exc:
            return _json_response(_error_body(exc.message, exc.detail, exc.validations), exc.status)
        status, payload = result if isinstance(result, tuple) else (200, result)
        return _json_response(payload, status)

    def _authenticate(self, request: Request) -> None:
        token = (request.headers.get(SESSION_HEADER) or request.cookies.get(SESSION_COOKIE)
                 or request.args.get(SESSION_COOKIE))
        if not token:
            raise _APIError(401, SIGNED_OUT, f'Cookie "{SESSION_COOKIE}" or query parameter must be provided.')
        if token != self._token:
            raise _APIError(401, SIGNED_OUT, "API key is invalid.")

    @staticmethod
    def _read_json(request: Request) -> dict:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError as exc:
            raise _APIError(400, "Request body must be valid JSON.", str(exc)) from None
        if not isinstance(body, dict):
            raise _APIError(400, "Request body must be valid JSON.", "expected a JSON object")
        return body

    @staticmethod
    def _parse_uuid(value: str) -> str:
        try:
            return str(uuid.UUID(value))
        except ValueError as exc:
            raise _APIError(400, f'Invalid UUID "{value}".', str(exc)) from None

    @staticmethod
    def _bool_param(request: Request, name: str) -> bool:
        raw = request.args.get(name, "")
        if raw == "":
            return False
        if raw.lower() in ("1", "t", "true"):
            return True
        if raw.lower() in ("0", "f", "false"):
            return False
        raise _APIError(400, f'Invalid boolean value "{raw}" for "{name}" query param.',
                        validations=[{"field": name, "detail": "Must be a valid boolean"}])

    @staticmethod
    def _int_param(request: Request, name: str, default: int) -> int:
        raw = request.args.get(name, "")
        if raw == "":
            return default
        if not raw.isdigit():
            raise _APIError(400, "Query parameters have invalid values.",
                            validations=[{"field": name, "detail": f'Query param "{name}" must be a valid '
                                                                   f'positive integer.'}])
        return int(raw)

    @staticmethod
    def _list_param(request: Request, name: str, allowed: tuple[str, ...] | None = None) -> list[str]:
        values = [v for raw in request.args.getlist(name) for v in raw.split(",") if v]
        bad = [v for v in values if allowed is not None and v not in allowed]
        if bad:
            raise _APIError(400, "Query parameters have invalid values.",
                            validations=[{"field": name, "detail": f'Query param "{name}" has invalid value '
                                                                   f'"{bad[0]}".'}])
        return values

    @staticmethod
    def _tags_param(request: Request) -> dict:
        raw = request.args.get("tags", "")
        if not raw:
            return {}
        try:
            tags = json.loads(raw)
        except ValueError:
            tags = None
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            raise _APIError(400, "Query parameters have invalid values.",
                            validations=[{"field": "tags", "detail": 'Query param "tags" must be a JSON object of '
                                                                     'string values.'}])
        return tags

    # ------------------------------------------------------------------ lookups

    def _org_param(self, value: str) -> _Org:
        for org in self._orgs.values():  # names compare case-insensitively in coderd's queries
            if (value == "default" and org.is_default) or value.lower() in (org.id, org.name.lower()):
                return org
        raise _APIError(404, RESOURCE_NOT_FOUND)

    def _user_param(self, value: str) -> dict:
        if value in ("me", self._user["username"], self._user["id"]):
            return self._user
        raise _APIError(400, USER_NOT_FOUND)

    def _by_uuid(self, table: dict, value: str):
        found = table.get(self._parse_uuid(value))
        if found is None:
            raise _APIError(404, RESOURCE_NOT_FOUND)
        return found

    # ------------------------------------------------------------------ JSON shapes

    def _buildinfo(self) -> dict:
        commit = self._version.partition("+")[2]
        external = (f"https://github.com/coder/coder/commit/{commit}" if commit
                    else f"https://github.com/coder/coder/releases/tag/{self._version}")
        return {"external_url": external, "version": self._version, "dashboard_url": self.url,
                "telemetry": True, "workspace_proxy": False, "agent_api_version": AGENT_API_VERSION,
                "provisioner_api_version": PROVISIONER_API_VERSION, "upgrade_message": "",
                "deployment_id": self._deployment_id, "webpush_public_key": ""}

    def _org_json(self, org: _Org) -> dict:
        return {"id": org.id, "name": org.name, "display_name": org.display_name, "description": "", "icon": "",
                "created_at": rfc3339(org.created_at), "updated_at": rfc3339(org.created_at),
                "is_default": org.is_default}

    def _user_json(self) -> dict:
        u = self._user
        return {"id": u["id"], "username": u["username"], "name": u["name"], "email": u["email"],
                "created_at": rfc3339(u["created_at"]), "updated_at": rfc3339(u["created_at"]),
                "last_seen_at": rfc3339(self._clock()), "status": "active", "login_type": "password",
                "organization_ids": list(self._orgs), "roles": [
                    {"name": "owner", "display_name": "Owner", "organization_id": ""}]}

    def _template_json(self, t: _Template) -> dict:
        in_use = any(ws.template is t and not ws.deleted for ws in self._workspaces.values())
        return {
            "id": t.id, "created_at": rfc3339(t.created_at), "updated_at": rfc3339(t.created_at),
            "organization_id": t.org.id, "organization_name": t.org.name,
            "organization_display_name": t.org.display_name, "organization_icon": "", "name": t.name,
            "display_name": t.display_name, "provisioner": "terraform", "active_version_id": t.active_version.id,
            "active_user_count": int(in_use),  # admin is the only user
            "build_time_stats": {tr: {"P50": round(p50 * 1000), "P95": round(p95 * 1000)}
                                 for tr, (p50, p95) in t.stats.items()},
            "description": "", "deprecated": t.deprecated, "deprecation_message": t.deprecation_message,
            "icon": t.icon, "default_ttl_ms": 0, "activity_bump_ms": 3600000,
            "autostop_requirement": {"days_of_week": [], "weeks": 1},
            "autostart_requirement": {"days_of_week": ["monday", "tuesday", "wednesday", "thursday", "friday",
                                                       "saturday", "sunday"]},
            "created_by_id": self._user["id"], "created_by_name": self._user["username"],
            "allow_user_autostart": True, "allow_user_autostop": True, "allow_user_cancel_workspace_jobs": False,
            "failure_ttl_ms": 0, "time_til_dormant_ms": 0, "time_til_dormant_autodelete_ms": 0,
            "require_active_version": False, "max_port_share_level": "owner", "cors_behavior": "simple",
            "use_classic_parameter_flow": False,
        }

    def _version_json(self, v: _TemplateVersion, now: float) -> dict:
        return {"id": v.id, "template_id": v.template.id, "organization_id": v.template.org.id,
                "created_at": rfc3339(v.created_at), "updated_at": rfc3339(v.created_at), "name": v.name,
                "message": "", "job": self._job_json(v.job, now, "build"), "readme": "",
                "created_by": {"id": self._user["id"], "username": self._user["username"],
                               "name": self._user["name"]},
                "archived": False, "warnings": [], "has_external_agent": False}

    def _queue(self, job: _Job, scope: str) -> tuple[int, int]:
        """coder-api.md 1.5: the org job list ranks every pending job; build endpoints rank the pending jobs
        that an online daemon of the job's organization could take (0/0 when none is online)."""
        if job.status != "pending":
            return 0, 0
        if scope == "org":
            pending = self._pending
        elif self._online_slots(job.org, self._capacity(job.org)):
            pending = [j for j in self._pending if j.org is job.org]
        else:
            return 0, 0
        return pending.index(job) + 1, len(pending)

    def _job_json(self, job: _Job, now: float, scope: str) -> dict:
        status = job.status
        d: dict = {"id": job.id, "created_at": rfc3339(job.created_at)}
        for key in ("started_at", "completed_at", "canceled_at"):
            if getattr(job, key) is not None:
                d[key] = rfc3339(getattr(job, key))
        if job.error:
            d["error"] = job.error
        d["status"] = status
        if job.daemon is not None:
            d["worker_id"] = job.daemon.id
            d["worker_name"] = job.daemon.name
        position, size = self._queue(job, scope)
        d.update({"file_id": job.file_id, "tags": dict(IMPLICIT_TAGS), "queue_position": position,
                  "queue_size": size, "organization_id": job.org.id, "initiator_id": self._user["id"]})
        if job.build is not None:
            d["input"] = {"workspace_build_id": job.build.id}
            version = job.build.version
        else:
            d["input"] = {"template_version_id": job.version.id}
            version = job.version
        d["type"] = job.type
        if scope == "org" and status == "pending":
            workers = [self._daemon(job.org, slot, now).id
                       for slot in self._online_slots(job.org, self._capacity(job.org))]
            if workers:  # omitempty
                d["available_workers"] = workers
        template = version.template
        d["metadata"] = {"template_version_name": version.name, "template_id": template.id,
                         "template_name": template.name, "template_display_name": template.display_name,
                         "template_icon": template.icon}
        if job.build is not None:
            d["metadata"]["workspace_id"] = job.build.workspace.id
            d["metadata"]["workspace_name"] = job.build.workspace.name
        d["logs_overflowed"] = False
        return d

    def _agent_json(self, resource: _Resource, build: _Build, now: float) -> dict:
        done = build.job.completed_at
        connect_at = done + AGENT_CONNECT_FRACTION * self._agent_ready_s * self._time_scale
        ready_at = done + self._agent_ready_s * self._time_scale
        connected, ready = now >= connect_at, now >= ready_at
        d: dict = {"id": resource.agent_id, "parent_id": None, "created_at": rfc3339(done),
                   "updated_at": rfc3339(ready_at if ready else connect_at if connected else done)}
        if connected:
            d.update({"first_connected_at": rfc3339(connect_at), "last_connected_at": rfc3339(now),
                      "started_at": rfc3339(connect_at)})
        if ready:
            d["ready_at"] = rfc3339(ready_at)
        d.update({
            "status": "connected" if connected else "connecting",
            "lifecycle_state": "ready" if ready else "starting" if connected else "created",
            "name": "main", "resource_id": resource.id, "instance_id": "", "architecture": "amd64",
            "environment_variables": {}, "operating_system": "linux", "logs_length": 0, "logs_overflowed": False,
            "directory": "/home/coder", "expanded_directory": "/home/coder" if connected else "",
            "version": self._version if connected else "", "api_version": AGENT_API_VERSION if connected else "",
            "apps": [], "connection_timeout_seconds": 120,
            "troubleshooting_url": "https://coder.com/docs/admin/templates/troubleshooting",
            "subsystems": [], "display_apps": ["vscode", "vscode_insiders", "web_terminal", "ssh_helper",
                                               "port_forwarding_helper"],
            "log_sources": [], "scripts": [], "startup_script_behavior": "non-blocking",
            # db2sdk.WorkspaceAgent: any agent that is not connected is reported as having lost its connection.
            "health": {"healthy": True} if connected else {"healthy": False, "reason": "agent has lost connection"},
        })
        return d

    def _build_json(self, build: _Build, now: float, created: bool = False) -> dict:
        job, ws = build.job, build.workspace
        job_json = self._job_json(job, now, "build")
        if created:  # the create handlers convert the job row with QueuePosition 0 before any daemon sees it
            job_json["queue_position"] = job_json["queue_size"] = 0
        resources = []
        for r in build.resources:
            rd = {"id": r.id, "created_at": rfc3339(r.created_at), "job_id": r.job_id,
                  "workspace_transition": r.transition, "type": r.type, "name": r.name, "hide": False,
                  "icon": r.icon, "daily_cost": 0}
            if r.agent_id:  # agents and metadata are omitempty
                rd["agents"] = [self._agent_json(r, build, now)]
            resources.append(rd)
        matched = {"count": 0, "available": 0, "most_recently_seen": None}
        if job.status == "pending":  # coderd only looks up eligible daemons for pending jobs
            online = self._online_slots(job.org, self._capacity(job.org))
            if online:
                matched = {"count": len(online), "available": len(online), "most_recently_seen": rfc3339(now)}
        updated = max(t for t in (job.created_at, job.started_at, job.completed_at) if t is not None)
        return {
            "id": build.id, "created_at": rfc3339(build.created_at), "updated_at": rfc3339(updated),
            "workspace_id": ws.id, "workspace_name": ws.name, "workspace_owner_id": self._user["id"],
            "workspace_owner_name": self._user["username"], "workspace_owner_avatar_url": "",
            "template_version_id": build.version.id, "template_version_name": build.version.name,
            "build_number": build.number, "transition": build.transition, "initiator_id": self._user["id"],
            "initiator_name": self._user["username"], "job": job_json, "reason": "initiator",
            "resources": resources, "deadline": None, "max_deadline": None,
            "status": _build_status(job.status, build.transition), "daily_cost": 0,
            "matched_provisioners": matched, "template_version_preset_id": None,
        }

    def _workspace_json(self, ws: _Workspace, now: float, created: bool = False) -> dict:
        t = ws.template
        build = self._build_json(ws.latest_build, now, created)
        failing = [a["id"] for r in build["resources"] for a in r.get("agents", []) if not a["health"]["healthy"]]
        return {
            "id": ws.id, "created_at": rfc3339(ws.created_at), "updated_at": rfc3339(ws.created_at),
            "owner_id": self._user["id"], "owner_name": self._user["username"], "owner_avatar_url": "",
            "organization_id": t.org.id, "organization_name": t.org.name, "template_id": t.id,
            "template_name": t.name, "template_display_name": t.display_name, "template_icon": t.icon,
            "template_allow_user_cancel_workspace_jobs": False, "template_active_version_id": t.active_version.id,
            "template_require_active_version": False, "template_use_classic_parameter_flow": False,
            "latest_build": build, "latest_app_status": None, "outdated": build["template_version_id"] !=
            t.active_version.id, "name": ws.name, "last_used_at": rfc3339(ws.created_at), "deleting_at": None,
            "dormant_at": None, "health": {"healthy": not failing, "failing_agents": failing},
            "automatic_updates": "never", "allow_renames": False, "favorite": False, "next_start_at": None,
            "is_prebuild": False, "task_id": None,
        }

    def _daemon_job_json(self, job: _Job) -> dict:
        t = job.build.workspace.template
        return {"id": job.id, "status": job.status, "template_name": t.name,
                "template_display_name": t.display_name, "template_icon": t.icon}

    def _daemons_json(self, org: _Org, now: float) -> list[dict]:
        result = []
        for slot in self._online_slots(org, self._capacity(org)):
            daemon = self._daemon(org, slot, now)
            current = self._running[org.id].get(slot)
            result.append({
                "id": daemon.id, "organization_id": org.id, "key_id": org.key_id,
                "created_at": rfc3339(daemon.created_at), "last_seen_at": rfc3339(now), "name": daemon.name,
                "version": org.provisioner_version, "api_version": PROVISIONER_API_VERSION,
                "provisioners": ["echo", "terraform"], "tags": dict(IMPLICIT_TAGS), "key_name": org.key_name,
                "status": "busy" if current else "idle",
                "current_job": self._daemon_job_json(current) if current else None,
                "previous_job": self._daemon_job_json(daemon.previous_job) if daemon.previous_job else None,
            })
        return result

    def _primary_proxy_json(self, now: float) -> dict:
        return {"id": self._deployment_id, "name": "primary", "display_name": "Default",
                "icon_url": "/emojis/1f3e1.png", "healthy": True, "path_app_url": self.url,
                "wildcard_hostname": self._wildcard_hostname, "derp_enabled": True, "derp_only": False,
                "status": {"status": "ok", "report": {"errors": [], "warnings": []}, "checked_at": rfc3339(now)},
                "created_at": rfc3339(self._user["created_at"]), "updated_at": rfc3339(self._user["created_at"]),
                "deleted": False, "version": self._version}

    def _proxy_json(self, p: dict, now: float) -> dict:
        return {"id": p["id"], "name": p["name"], "display_name": p["display_name"], "icon_url": p["icon_url"],
                "healthy": p["healthy"], "path_app_url": p["url"], "wildcard_hostname": p["wildcard_hostname"],
                "derp_enabled": True, "derp_only": False,
                "status": {"status": "ok" if p["healthy"] else "unhealthy",
                           "report": {"errors": [] if p["healthy"] else [p["error"]], "warnings": []},
                           "checked_at": rfc3339(now)},
                "created_at": rfc3339(p["created_at"]), "updated_at": rfc3339(p["created_at"]), "deleted": False,
                "version": p["version"]}

    def _all_proxies_json(self, now: float) -> list[dict]:
        return [self._primary_proxy_json(now)] + [self._proxy_json(p, now) for p in self._proxies]

    # ------------------------------------------------------------------ health report

    def _proxy_report(self, now: float) -> dict:
        """coderd/healthcheck/workspaceproxy.go, with the version mismatch reported as a warning (EWP03 retired)."""
        regions = self._all_proxies_json(now)
        total, healthy = len(regions), sum(r["healthy"] for r in regions)
        severity = "ok" if healthy == total else "error" if healthy == 0 else "warning"
        report = {"healthy": severity != "error", "severity": severity, "warnings": [], "dismissed": False,
                  "error": None, "workspace_proxies": {"regions": regions}}
        errors = [f"{r['name']}: {e}" for r in regions for e in r["status"]["report"]["errors"]]
        if severity == "error":
            report["error"] = "\n".join(f"EWP04: {e}" for e in errors)
        else:
            report["warnings"] += [{"code": "EWP04", "message": e} for e in errors]
        for r in regions:
            if r["version"] and not versions_match(r["version"], self._version):
                report["healthy"] = False
                if severity == "ok":
                    report["severity"] = "warning"
                report["warnings"].append({"code": "EWP04", "message": (
                    f'proxy "{r["name"]}" version "{r["version"]}" does not match primary server version '
                    f'"{self._version}"')})
        return report

    def _provisioner_report(self, now: float) -> dict:
        """coderd/healthcheck/provisioner.go over the online daemons of every organization."""
        report = {"severity": "ok", "warnings": [], "dismissed": False, "error": None, "items": []}
        rank = {"ok": 0, "warning": 1, "error": 2}

        def raise_to(severity: str) -> None:
            if rank[report["severity"]] < rank[severity]:
                report["severity"] = severity

        for org in self._orgs.values():
            for daemon in self._daemons_json(org, now):
                item = {"provisioner_daemon": daemon, "warnings": []}
                if not SEMVER_RE.match(daemon["version"]):
                    raise_to("error")
                    report["warnings"].append({"code": "EUNKNOWN", "message": "Some provisioner daemons report "
                                                                              "invalid version information."})
                    item["warnings"].append({"code": "EUNKNOWN", "message": f'Invalid version "{daemon["version"]}"'})
                elif not versions_match(self._version, daemon["version"]):
                    raise_to("warning")
                    report["warnings"].append({"code": "EPD02", "message": "Some provisioner daemons report "
                                                                           "mismatched versions."})
                    item["warnings"].append({"code": "EPD02",
                                             "message": f'Mismatched version "{daemon["version"]}"'})
                report["items"].append(item)
        if not report["items"]:
            report["severity"] = "error"
            report["warnings"].append({"code": "EPD01", "message": "No active provisioner daemons found!"})
        return report

    def _health_report(self, now: float) -> dict:
        base = {"healthy": True, "severity": "ok", "warnings": [], "dismissed": False, "error": None}
        report = {
            "time": rfc3339(now), "healthy": True, "severity": "ok",
            "derp": {**base, "regions": {}, "netcheck": None, "netcheck_err": None, "netcheck_logs": []},
            "access_url": {**base, "access_url": self.url, "reachable": True, "status_code": 200,
                           "healthz_response": "OK"},
            "websocket": {**base, "body": "", "code": 101},
            "database": {**base, "reachable": True, "latency": "1ms", "latency_ms": 1, "threshold_ms": 15},
            "workspace_proxy": self._proxy_report(now),
            "provisioner_daemons": self._provisioner_report(now),
            "coder_version": self._version,
        }
        rank = {"ok": 0, "warning": 1, "error": 2}
        for name in ("derp", "access_url", "websocket", "database", "workspace_proxy", "provisioner_daemons"):
            section = report[name]
            if section["dismissed"]:
                continue
            # ProvisionerDaemonsReport has no "healthy"; it fails when its severity is error.
            if not section.get("healthy", section["severity"] != "error"):
                report["healthy"] = False
            if rank[section["severity"]] > rank[report["severity"]]:
                report["severity"] = section["severity"]
        return report

    # ------------------------------------------------------------------ handlers: deployment

    def _api_buildinfo(self, request, now):
        return self._buildinfo()

    def _api_debug_health(self, request, now):
        return self._health_report(now)

    def _api_workspace_proxies(self, request, now):
        return {"regions": self._all_proxies_json(now)}

    def _api_regions(self, request, now):
        keys = ("id", "name", "display_name", "icon_url", "healthy", "path_app_url", "wildcard_hostname")
        return {"regions": [{k: p[k] for k in keys} for p in self._all_proxies_json(now)]}

    def _api_organizations(self, request, now):
        return [self._org_json(org) for org in self._orgs.values()]

    def _api_organization(self, request, now, organization):
        return self._org_json(self._org_param(organization))

    def _api_user(self, request, now, user):
        self._user_param(user)
        return self._user_json()

    # ------------------------------------------------------------------ handlers: provisioners

    def _api_provisioner_daemons(self, request, now, organization):
        org = self._org_param(organization)
        statuses = self._list_param(request, "status", ("offline", "idle", "busy"))
        ids = {self._parse_uuid(i) for i in self._list_param(request, "ids")}
        tags = self._tags_param(request)
        daemons = [d for d in self._daemons_json(org, now)
                   if (not statuses or d["status"] in statuses) and (not ids or d["id"] in ids)
                   and all(d["tags"].get(k) == v for k, v in tags.items())]
        return daemons[: self._int_param(request, "limit", 50) or None]

    def _api_provisioner_jobs(self, request, now, organization):
        org = self._org_param(organization)
        statuses = self._list_param(request, "status", ("pending", "running", "succeeded", "canceling",
                                                        "canceled", "failed", "unknown"))
        ids = {self._parse_uuid(i) for i in self._list_param(request, "ids")}
        tags = self._tags_param(request)
        jobs = sorted((j for j in self._jobs.values() if j.org is org), key=lambda j: j.created_at, reverse=True)
        jobs = [j for j in jobs if (not statuses or j.status in statuses) and (not ids or j.id in ids)
                and all(IMPLICIT_TAGS.get(k) == v for k, v in tags.items())]
        return [self._job_json(j, now, "org") for j in jobs[: self._int_param(request, "limit", 50) or None]]

    def _api_provisioner_job(self, request, now, organization, job):
        org = self._org_param(organization)
        found = self._by_uuid(self._jobs, job)
        if found.org is not org:
            raise _APIError(404, RESOURCE_NOT_FOUND)
        return self._job_json(found, now, "org")

    # ------------------------------------------------------------------ handlers: templates

    def _sorted_templates(self, org: _Org | None = None) -> list[_Template]:
        chosen = [t for t in self._templates.values() if org is None or t.org is org]
        return sorted(chosen, key=lambda t: (t.name.lower(), t.name))

    def _api_templates(self, request, now):
        return [self._template_json(t) for t in self._sorted_templates()]

    def _api_organization_templates(self, request, now, organization):
        org = self._org_param(organization)
        return [self._template_json(t) for t in self._sorted_templates(org) if not t.deprecated]

    def _api_template(self, request, now, template):
        return self._template_json(self._by_uuid(self._templates, template))

    def _api_organization_template(self, request, now, organization, templatename):
        org = self._org_param(organization)
        for t in self._sorted_templates(org):
            if t.name.lower() == templatename.lower():
                return self._template_json(t)
        raise _APIError(404, RESOURCE_NOT_FOUND)

    def _api_template_version(self, request, now, templateversion):
        return self._version_json(self._by_uuid(self._versions, templateversion), now)

    # ------------------------------------------------------------------ handlers: workspaces

    def _api_create_user_workspace(self, request, now, user):
        self._user_param(user)
        return self._create_workspace(request, now)

    def _api_create_member_workspace(self, request, now, organization, user):
        self._org_param(organization)  # coderd takes the organization from the template; this one is for audit
        self._user_param(user)
        return self._create_workspace(request, now)

    def _create_workspace(self, request: Request, now: float):
        body = self._read_json(request)
        name = body.get("name", "")
        if not isinstance(name, str):
            raise _APIError(400, "Request body must be valid JSON.",
                            "json: cannot unmarshal into Go struct field CreateWorkspaceRequest.name of type string")
        if not (WORKSPACE_NAME_RE.match(name) and len(name) <= 32 and name not in RESERVED_WORKSPACE_NAMES):
            raise _APIError(400, "Validation failed.", validations=[
                {"field": "name", "detail": f'Validation failed for tag "workspace_name" with value: "{name}"'}])
        version = self._requested_version(body)
        template = version.template
        if template.deprecated:
            raise _APIError(400, f'Template "{template.name}" has been deprecated, and cannot be used to create '
                                 f'a new workspace.', template.deprecation_message)
        if any(ws.name.lower() == name.lower() and not ws.deleted for ws in self._workspaces.values()):
            raise _APIError(409, f'Workspace "{name}" already exists.', validations=[
                {"field": "name", "detail": "This value is already in use and should be unique."}])
        self._check_importable(version)
        ws = _Workspace(id=self._new_id(), name=name, template=template, created_at=now)
        self._workspaces[ws.id] = ws
        self._enqueue_build(ws, "start", version, now)
        return 201, self._workspace_json(ws, now, created=True)

    def _requested_version(self, body: dict) -> _TemplateVersion:
        """coderd requestTemplate: template_version_id wins, else the template's active version."""
        version_id, template_id = _body_uuid(body, "template_version_id"), _body_uuid(body, "template_id")
        if version_id:
            version = self._versions.get(version_id)
            if version is None:
                raise _APIError(400, f'Template version "{version_id}" doesn\'t exist.', validations=[
                    {"field": "template_version_id", "detail": "template not found"}])
            return version
        if template_id:
            template = self._templates.get(template_id)
            if template is None:
                raise _APIError(400, f'Template "{template_id}" doesn\'t exist.', validations=[
                    {"field": "template_id", "detail": "template not found"}])
            return template.active_version
        raise _APIError(400, 'Template version "00000000-0000-0000-0000-000000000000" doesn\'t exist.',
                        validations=[{"field": "template_version_id", "detail": "template not found"}])

    @staticmethod
    def _check_importable(version: _TemplateVersion) -> None:
        if version.job.status == "failed":  # wsbuilder refuses to build from a failed import
            message = (f'The provided template version "{version.name}" has failed to import: '
                       f'"{version.job.error}". You cannot build workspaces with it!')
            raise _APIError(400, message, message)

    def _visible_workspace(self, request: Request, workspace: str) -> _Workspace:
        ws = self._by_uuid(self._workspaces, workspace)
        if ws.deleted and not self._bool_param(request, "include_deleted"):
            raise _APIError(410, f'Workspace "{ws.id}" was deleted, you can view this workspace by specifying '
                                 f"'?deleted=true' and trying again.")
        return ws

    def _api_workspace(self, request, now, workspace):
        return self._workspace_json(self._visible_workspace(request, workspace), now)

    def _api_workspace_by_owner_and_name(self, request, now, user, workspacename):
        self._user_param(user)
        include_deleted = self._bool_param(request, "include_deleted")
        named = [ws for ws in self._workspaces.values() if ws.name.lower() == workspacename.lower()]
        live = [ws for ws in named if not ws.deleted]
        chosen = live or ([max(named, key=lambda ws: ws.created_at)] if include_deleted and named else [])
        if not chosen:
            raise _APIError(404, RESOURCE_NOT_FOUND)
        return self._workspace_json(chosen[0], now)

    def _api_workspaces(self, request, now):
        terms = {"deleted": "false"}
        for token in request.args.get("q", "").split():
            key, sep, value = token.partition(":")
            key, value = (key.lower(), value) if sep else ("name", key)
            if key not in ("owner", "name", "template", "status", "deleted"):
                raise _APIError(400, "Invalid workspace search query.", validations=[
                    {"field": key, "detail": f'Query param "{key}" is not a valid query param'}])
            terms[key] = value
        if terms.get("owner", "me").lower() not in ("me", self._user["username"]):
            return {"workspaces": [], "count": 0}
        show_deleted = terms["deleted"].lower() == "true"
        matched = []
        for ws in self._workspaces.values():
            status = _build_status(ws.latest_build.job.status, ws.latest_build.transition)
            if (ws.deleted == show_deleted and terms.get("name", "").lower() in ws.name.lower()
                    and terms.get("template", ws.template.name).lower() == ws.template.name.lower()
                    and terms.get("status", status) == status):
                matched.append((status != "running", ws.name.lower(), ws))  # coderd lists running ones first
        matched.sort(key=lambda m: m[:2])
        offset, limit = self._int_param(request, "offset", 0), self._int_param(request, "limit", 0)
        page = [m[2] for m in matched][offset: offset + limit if limit else None]
        return {"workspaces": [self._workspace_json(ws, now) for ws in page], "count": len(matched)}

    # ------------------------------------------------------------------ handlers: builds

    def _api_workspace_builds(self, request, now, workspace):
        ws = self._by_uuid(self._workspaces, workspace)
        builds = sorted(ws.builds, key=lambda b: b.number, reverse=True)
        offset, limit = self._int_param(request, "offset", 0), self._int_param(request, "limit", 0)
        return [self._build_json(b, now) for b in builds[offset: offset + limit if limit else None]]

    def _api_create_workspace_build(self, request, now, workspace):
        ws = self._by_uuid(self._workspaces, workspace)
        body = self._read_json(request)
        transition = body.get("transition")
        if transition not in TRANSITIONS:
            raise _APIError(400, "Validation failed.", validations=[
                {"field": "transition",
                 "detail": f'Validation failed for tag "oneof" with value: "{transition or ""}"'}])
        if body.get("orphan") and transition != "delete":
            raise _APIError(400, "Orphan is only permitted when deleting a workspace.")
        if ws.deleted:  # refuse rather than resurrect; coderd's behaviour here is not pinned down
            raise _APIError(410, f'Workspace "{ws.id}" has been deleted.')
        if ws.latest_build.job.status in ("pending", "running", "canceling"):
            raise _APIError(409, "A workspace build is already active.", "workspace build is already active")
        version = ws.latest_build.version
        if body.get("template_version_id"):
            version = self._requested_version({"template_version_id": body["template_version_id"]})
            if version.template is not ws.template:
                raise _APIError(400, "Template version does not belong to the workspace's template.")
        self._check_importable(version)
        return 201, self._build_json(self._enqueue_build(ws, transition, version, now), now, created=True)

    def _api_workspace_build(self, request, now, workspacebuild):
        return self._build_json(self._by_uuid(self._builds, workspacebuild), now)

    def _api_cancel_workspace_build(self, request, now, workspacebuild):
        job = self._by_uuid(self._builds, workspacebuild).job
        if job.completed_at is not None:
            raise _APIError(400, "Job has already completed!")
        if job.canceled_at is not None:
            raise _APIError(400, "Job has already been marked as canceled!")
        job.canceled_at = now
        if job.started_at is None:  # no daemon holds it: done at once
            job.completed_at = now
            self._pending.remove(job)
        else:
            job.ends_at = min(job.ends_at, now + CANCEL_GRACE_S * self._time_scale)
            job.injected_error = ""
        return {"message": "Job has been marked as canceled..."}


def _body_uuid(body: dict, key: str) -> str | None:
    """A UUID field of a request body; Go's decoder rejects the whole body when it does not parse."""
    value = body.get(key)
    if value in (None, ""):
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise _APIError(400, "Request body must be valid JSON.", f"{key}: {exc}") from None


def _k8s_suffix(key: str, length: int) -> str:
    """A stable Kubernetes-style random suffix (pod-template-hash, pod name) derived from ``key``."""
    digest = hashlib.sha256(key.encode()).digest()
    return "".join(K8S_NAME_ALPHABET[b % len(K8S_NAME_ALPHABET)] for b in digest[:length])
