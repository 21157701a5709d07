"""Behaviour of the Coder API fake: auth, computed health, provisioner capacity and the build queue."""

import re
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sandbox"))

from coder_fake import CoderFake, versions_match  # noqa: E402

TOKEN = "sandbox-token-0123456789"
SCALE = 0.005  # 60 platform seconds run in 0.3 s
VERSION = "v2.26.0-devel+7f3c1e2"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


def make_seed(**overrides):
    seed = {
        "version": VERSION,
        "organizations": [
            {"name": "coder", "display_name": "Coder", "is_default": True, "provisioners": 2},
            {"name": "experimental", "display_name": "Experimental", "is_default": False, "provisioners": 1},
        ],
        "proxies": [],
        "templates": [
            {"name": "ai-workshop", "organization": "coder", "build_time_p50_s": 60, "build_time_p95_s": 90},
            {"name": "legacy", "organization": "coder", "deprecated": True, "deprecation_message": "use ai-workshop",
             "build_time_p50_s": 60, "build_time_p95_s": 90},
            {"name": "broken", "organization": "coder", "import_status": "failed", "build_time_p50_s": 60,
             "build_time_p95_s": 90},
        ],
        "queue": {"failure_rate": 0.0, "agent_ready_s": 15},
    }
    seed.update(overrides)
    return seed


@pytest.fixture
def start_fake():
    fakes = []

    def start(seed=None, **kwargs):
        kwargs.setdefault("time_scale", SCALE)
        fake = CoderFake(seed or make_seed(), token=TOKEN, **kwargs)
        fake.start()
        fakes.append(fake)
        session = requests.Session()
        session.headers["Coder-Session-Token"] = TOKEN
        return fake, Api(fake.url, session)

    yield start
    for fake in fakes:
        fake.stop()


class Api:
    def __init__(self, url, session):
        self.base, self.session = url + "/api/v2", session

    def get(self, path, **params):
        return self.session.get(self.base + path, params=params)

    def post(self, path, body):
        return self.session.post(self.base + path, json=body)

    def patch(self, path):
        return self.session.patch(self.base + path)

    def template(self, name):
        return self.get(f"/organizations/default/templates/{name}").json()

    def create(self, name, template="ai-workshop"):
        resp = self.post("/users/me/workspaces", {"name": name, "template_id": self.template(template)["id"]})
        assert resp.status_code == 201, resp.text
        return resp.json()

    def build(self, build_id):
        return self.get(f"/workspacebuilds/{build_id}").json()


def wait_until(fetch, condition=bool, timeout=10.0, interval=0.01):
    """Poll ``fetch()`` until ``condition`` holds for its value; return that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if condition(value):
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def wait_for_builds(api, build_ids, statuses, timeout=10.0):
    """Poll the builds until every one has a status in ``statuses``; return them."""
    def settled():
        builds = [api.build(b) for b in build_ids]
        return builds if all(b["status"] in statuses for b in builds) else None
    return wait_until(settled, timeout=timeout)


def ts(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def platform_seconds(start, end):
    return (ts(end) - ts(start)) / SCALE


# ---------------------------------------------------------------- auth, routing, buildinfo


def test_every_endpoint_but_buildinfo_and_healthz_needs_the_session_token(start_fake):
    fake, api = start_fake()
    anonymous = requests.get(fake.url + "/api/v2/workspaces")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "message": "You are signed out or your session has expired. Please sign in again to continue.",
        "detail": 'Cookie "coder_session_token" or query parameter must be provided.'}
    wrong = requests.get(fake.url + "/api/v2/workspaces", headers={"Coder-Session-Token": "nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "API key is invalid."
    assert requests.get(fake.url + "/api/v2/users/me", cookies={"coder_session_token": TOKEN}).status_code == 200
    assert requests.get(fake.url + "/api/v2/users/me", params={"coder_session_token": TOKEN}).status_code == 200
    assert requests.get(fake.url + "/api/v2/buildinfo").status_code == 200
    healthz = requests.get(fake.url + "/healthz")
    assert (healthz.status_code, healthz.text) == (200, "OK")


def test_unknown_routes_and_methods_answer_like_coderd(start_fake):
    api = start_fake()[1]
    missing = api.get("/no/such/route")
    assert missing.status_code == 404 and missing.json() == {"message": "Route not found."}
    assert api.session.delete(api.base + "/workspaces").status_code == 405
    not_found = api.get(f"/templates/{uuid.uuid4()}")
    assert not_found.status_code == 404
    assert not_found.json()["message"] == "Resource not found or you do not have access to this resource"
    bad_uuid = api.get("/templates/not-a-uuid")
    assert bad_uuid.status_code == 400 and bad_uuid.json()["message"] == 'Invalid UUID "not-a-uuid".'


def test_buildinfo_reports_the_seeded_version_and_its_commit(start_fake):
    fake, api = start_fake()
    info = requests.get(fake.url + "/api/v2/buildinfo").json()
    assert info["version"] == VERSION
    assert info["external_url"] == "https://github.com/coder/coder/commit/7f3c1e2"
    assert info["dashboard_url"] == fake.url
    assert uuid.UUID(info["deployment_id"]).version == 4
    assert info["workspace_proxy"] is False and info["telemetry"] is True and info["upgrade_message"] == ""
    release = start_fake(make_seed(version="v2.25.1"))[1]
    assert release.get("/buildinfo").json()["external_url"] == \
        "https://github.com/coder/coder/releases/tag/v2.25.1"


def test_users_organizations_and_regions(start_fake):
    fake, api = start_fake(make_seed(proxies=[
        {"name": "oregon", "display_name": "Oregon", "url": "https://oregon-proxy.ai.coder.com",
         "wildcard_hostname": "*.oregon-proxy.ai.coder.com", "version": VERSION, "healthy": True}]))
    me = api.get("/users/me").json()
    assert me["username"] == "admin" and me["roles"][0]["name"] == "owner"
    assert api.get(f"/users/{me['id']}").json()["id"] == me["id"]
    assert api.get("/users/somebody").status_code == 400
    orgs = api.get("/organizations").json()
    default = next(o for o in orgs if o["is_default"])
    assert default["name"] == "coder"
    for ref in (default["id"], "coder", "default"):
        assert api.get(f"/organizations/{ref}").json()["id"] == default["id"]
    assert api.get("/organizations/nope").status_code == 404
    regions = api.get("/regions").json()["regions"]
    assert [r["name"] for r in regions] == ["primary", "oregon"]
    assert regions[0]["path_app_url"] == fake.url and regions[0]["id"] == api.get("/buildinfo").json()[
        "deployment_id"]
    proxies = api.get("/workspaceproxies").json()["regions"]
    assert proxies[1]["wildcard_hostname"] == "*.oregon-proxy.ai.coder.com"
    assert proxies[1]["status"]["status"] == "ok" and proxies[1]["version"] == VERSION


def test_templates_listing_and_versions(start_fake):
    api = start_fake()[1]
    assert [t["name"] for t in api.get("/templates").json()] == ["ai-workshop", "broken", "legacy"]
    assert [t["name"] for t in api.get("/organizations/coder/templates").json()] == ["ai-workshop", "broken"]
    legacy = api.get("/organizations/coder/templates/legacy").json()
    assert legacy["deprecated"] is True and legacy["deprecation_message"] == "use ai-workshop"
    workshop = api.template("ai-workshop")
    # Platform milliseconds, keyed like the running server (Go field names), not scaled by time_scale.
    assert workshop["build_time_stats"]["start"] == {"P50": 60000, "P95": 90000}
    assert set(workshop["build_time_stats"]) == {"start", "stop", "delete"}
    assert api.get(f"/templates/{workshop['id']}").json()["name"] == "ai-workshop"
    good = api.get(f"/templateversions/{workshop['active_version_id']}").json()
    assert good["job"]["status"] == "succeeded" and good["job"]["type"] == "template_version_import"
    bad = api.get(f"/templateversions/{api.template('broken')['active_version_id']}").json()
    assert bad["job"]["status"] == "failed" and "exit status 1" in bad["job"]["error"]


# ---------------------------------------------------------------- health


def proxy(name, version, healthy=True):
    return {"name": name, "display_name": name.title(), "url": f"https://{name}.example.com",
            "wildcard_hostname": f"*.{name}.example.com", "version": version, "healthy": healthy}


def test_health_ignores_a_proxy_on_another_commit_of_the_same_minor(start_fake):
    api = start_fake(make_seed(proxies=[proxy("oregon", "v2.26.3-devel+1a2b3c4")]))[1]
    report = api.get("/debug/health").json()
    assert report["healthy"] is True and report["severity"] == "ok"
    assert report["workspace_proxy"]["warnings"] == []
    assert [r["name"] for r in report["workspace_proxy"]["workspace_proxies"]["regions"]] == ["primary", "oregon"]


def test_health_warns_about_a_proxy_on_another_minor(start_fake):
    api = start_fake(make_seed(proxies=[proxy("oregon", "v2.25.0"), proxy("sydney", ""),
                                        proxy("dev", "v0.0.0-devel+abc")]))[1]
    report = api.get("/debug/health").json()
    section = report["workspace_proxy"]
    assert section["healthy"] is False and section["severity"] == "warning" and section["error"] is None
    message = 'proxy "oregon" version "v2.25.0" does not match primary server version "%s"' % VERSION
    assert section["warnings"] == [{"code": "EWP04", "message": message}]
    assert report["healthy"] is False and report["severity"] == "warning"


def test_health_reports_an_unhealthy_proxy(start_fake):
    api = start_fake(make_seed(proxies=[proxy("oregon", VERSION, healthy=False)]))[1]
    section = api.get("/debug/health").json()["workspace_proxy"]
    # The primary is healthy, so one bad proxy is a warning, as in coderd's calculateSeverity.
    assert section["severity"] == "warning" and section["healthy"] is True
    assert section["warnings"][0]["code"] == "EWP04" and section["warnings"][0]["message"].startswith("oregon: ")
    assert api.get("/workspaceproxies").json()["regions"][1]["status"]["status"] == "unhealthy"


def test_health_without_any_provisioner_daemon_is_epd01(start_fake):
    counts = {"coder": 0, "experimental": 0}
    api = start_fake(provisioner_count=counts.get)[1]
    report = api.get("/debug/health").json()
    section = report["provisioner_daemons"]
    assert section["severity"] == "error" and section["items"] == []
    assert section["warnings"] == [{"code": "EPD01", "message": "No active provisioner daemons found!"}]
    assert report["healthy"] is False and report["severity"] == "error"
    counts["experimental"] = 1
    assert api.get("/debug/health").json()["provisioner_daemons"]["severity"] == "ok"


def test_health_warns_about_provisioners_on_another_minor(start_fake):
    seed = make_seed()
    seed["organizations"][1]["provisioner_version"] = "v2.24.2"
    section = start_fake(seed)[1].get("/debug/health").json()["provisioner_daemons"]
    assert section["severity"] == "warning"
    assert [w["code"] for w in section["warnings"]] == ["EPD02"]
    assert [len(i["warnings"]) for i in section["items"]] == [0, 0, 1]


def test_versions_match_compares_major_minor_like_buildinfo():
    assert versions_match("v2.26.0-devel+7f3c1e2", "v2.26.4+deadbee")
    assert not versions_match("v2.26.0", "v2.25.9")
    assert versions_match("v0.0.0-devel+abc", "v2.26.0")
    assert not versions_match("garbage", "v2.26.0")


# ---------------------------------------------------------------- provisioner daemons


def test_provisioner_daemons_follow_the_callable(start_fake):
    counts = {"coder": 3}  # experimental is absent: None falls back to the seed's static count
    api = start_fake(provisioner_count=counts.get)[1]
    daemons = api.get("/organizations/coder/provisionerdaemons").json()
    assert len(daemons) == 3
    assert all(re.fullmatch(r"coder-provisioner-default-[a-z0-9]{10}-[a-z0-9]{5}", d["name"]) for d in daemons)
    assert {d["status"] for d in daemons} == {"idle"} and daemons[0]["tags"] == {"owner": "", "scope": "organization"}
    assert daemons[0]["version"] == VERSION and daemons[0]["current_job"] is None
    assert len(api.get("/organizations/experimental/provisionerdaemons").json()) == 1
    counts["coder"] = 5
    grown = api.get("/organizations/coder/provisionerdaemons").json()
    assert [d["name"] for d in grown[:3]] == [d["name"] for d in daemons]  # stable per index
    assert len(grown) == 5
    assert len(api.get("/organizations/coder/provisionerdaemons", limit=2).json()) == 2
    assert api.get("/organizations/coder/provisionerdaemons", status="busy").json() == []


# ---------------------------------------------------------------- queue


def test_queue_is_fifo_within_capacity_and_reports_positions(start_fake):
    counts = {"coder": 0}
    fake, api = start_fake(provisioner_count=counts.get)
    created = [api.create(f"ws-{i}") for i in range(5)]
    assert all(w["latest_build"]["status"] == "pending" for w in created)
    # The create response is converted before any daemon sees the job: queue 0/0, like coderd.
    assert {(w["latest_build"]["job"]["queue_position"], w["latest_build"]["job"]["queue_size"])
            for w in created} == {(0, 0)}
    builds = [w["latest_build"]["id"] for w in created]

    org_jobs = api.get("/organizations/coder/provisionerjobs", status="pending").json()
    assert [(j["queue_position"], j["queue_size"]) for j in reversed(org_jobs)] == [(i, 5) for i in range(1, 6)]
    # No online daemon matches, so the build endpoints show 0/0 and no matched provisioners.
    first = api.build(builds[0])
    assert (first["job"]["queue_position"], first["job"]["queue_size"]) == (0, 0)
    assert first["matched_provisioners"] == {"count": 0, "available": 0, "most_recently_seen": None}

    counts["coder"] = 1  # scale up: the scheduler notices without being told
    wait_until(lambda: api.build(builds[0])["job"]["status"] == "running")
    positions = [(b["job"]["queue_position"], b["job"]["queue_size"]) for b in map(api.build, builds[1:])]
    assert positions == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert api.build(builds[1])["matched_provisioners"]["count"] == 1

    counts["coder"] = 2
    jobs = [b["job"] for b in wait_for_builds(api, builds, {"running"})]
    assert all(j["queue_position"] == 0 and j["queue_size"] == 0 for j in jobs)
    starts = [ts(j["started_at"]) for j in jobs]
    assert starts == sorted(starts)  # FIFO by created_at
    events = sorted([(ts(j["started_at"]), 1) for j in jobs] + [(ts(j["completed_at"]), -1) for j in jobs])
    running, peak = 0, 0
    for dummy_kind, delta in events:
        running += delta
        peak = max(peak, running)
    assert peak == 2
    # A freed daemon takes the oldest pending job at the instant the previous job completed.
    completions = {j["completed_at"] for j in jobs}
    assert all(j["started_at"] in completions for j in jobs[2:])
    assert {j["worker_name"] for j in jobs} == {d["name"] for d in api.get(
        "/organizations/coder/provisionerdaemons").json()}


def test_scaling_down_lets_running_jobs_finish(start_fake):
    counts = {"coder": 2}
    api = start_fake(provisioner_count=counts.get)[1]
    builds = [api.create(f"ws-{i}")["latest_build"]["id"] for i in range(3)]
    wait_until(lambda: api.build(builds[1])["job"]["status"] == "running")
    counts["coder"] = 1
    assert len(api.get("/organizations/coder/provisionerdaemons").json()) == 2  # the draining daemon stays busy
    final = wait_for_builds(api, builds, {"running"})
    # Both running jobs finish; the third starts only when the one remaining daemon is free.
    assert final[2]["job"]["started_at"] == max(final[0]["job"]["completed_at"], final[1]["job"]["completed_at"])
    wait_until(lambda: len(api.get("/organizations/coder/provisionerdaemons").json()) == 1)


def test_every_build_fails_at_failure_rate_one(start_fake):
    fake, api = start_fake(make_seed(queue={"failure_rate": 1.0, "agent_ready_s": 15}),
                           provisioner_count=lambda org: 10)
    builds = [api.create(f"ws-{i}")["latest_build"]["id"] for i in range(5)]
    failed = wait_for_builds(api, builds, {"failed"})
    for build in failed:
        assert build["job"]["error"] == "terraform apply: injected failure (sandbox failure_rate=1)"
        assert "error_code" not in build["job"] and build["resources"] == []
    fake.set_failure_rate(0.0)
    retry = api.post(f"/workspaces/{failed[0]['workspace_id']}/builds", {"transition": "start"}).json()
    assert wait_until(lambda: api.build(retry["id"])["status"] == "running")


def test_no_build_fails_at_failure_rate_zero(start_fake):
    api = start_fake(provisioner_count=lambda org: 20)[1]
    builds = [api.create(f"ws-{i}")["latest_build"]["id"] for i in range(20)]
    final = wait_for_builds(api, builds, {"running", "failed", "canceled"})
    assert {b["status"] for b in final} == {"running"}


def test_agent_becomes_ready_agent_ready_s_after_the_job(start_fake):
    api = start_fake(make_seed(queue={"agent_ready_s": 30}))[1]
    workspace = api.create("solo")
    assert workspace["latest_build"]["resources"] == []

    def agent_ready(ws):
        resources = ws["latest_build"]["resources"]
        return bool(resources) and resources[0]["agents"][0]["lifecycle_state"] == "ready"
    ready = wait_until(lambda: api.get(f"/workspaces/{workspace['id']}").json(), agent_ready)
    agent = ready["latest_build"]["resources"][0]["agents"][0]
    job = ready["latest_build"]["job"]
    assert agent["name"] == "main" and agent["status"] == "connected" and agent["parent_id"] is None
    assert platform_seconds(job["completed_at"], agent["ready_at"]) == pytest.approx(30, abs=0.01)
    assert ts(job["completed_at"]) < ts(agent["first_connected_at"]) == ts(agent["started_at"]) < ts(
        agent["ready_at"])
    assert ready["health"] == {"healthy": True, "failing_agents": []}
    for value in (job["created_at"], job["started_at"], job["completed_at"], agent["ready_at"]):
        assert TIMESTAMP_RE.match(value), value


def test_an_agent_that_has_not_connected_is_starting_and_unhealthy(start_fake):
    api = start_fake(make_seed(queue={"agent_ready_s": 2000}), time_scale=0.001)[1]
    workspace = api.create("slow-agent")
    built = wait_until(lambda: api.get(f"/workspaces/{workspace['id']}").json(),
                       lambda w: bool(w["latest_build"]["resources"]))
    agent = built["latest_build"]["resources"][0]["agents"][0]
    assert (agent["status"], agent["lifecycle_state"]) == ("connecting", "created")
    assert "first_connected_at" not in agent and "ready_at" not in agent
    assert built["health"] == {"healthy": False, "failing_agents": [agent["id"]]}
    starting = wait_until(
        lambda: api.get(f"/workspaces/{workspace['id']}").json()["latest_build"]["resources"][0]["agents"][0],
        lambda a: a["lifecycle_state"] == "starting")
    assert starting["status"] == "connected" and "ready_at" not in starting


def test_delete_build_removes_the_workspace(start_fake):
    fake, api = start_fake()
    workspace = api.create("doomed")
    wait_until(lambda: api.get(f"/workspaces/{workspace['id']}").json()["latest_build"]["status"] == "running")
    assert fake.workspaces_alive() == 1
    delete = api.post(f"/workspaces/{workspace['id']}/builds", {"transition": "delete"})
    assert delete.status_code == 201 and delete.json()["transition"] == "delete"
    wait_until(lambda: api.build(delete.json()["id"])["status"] == "deleted")
    gone = api.get(f"/workspaces/{workspace['id']}")
    assert gone.status_code == 410 and "was deleted" in gone.json()["message"]
    kept = api.get(f"/workspaces/{workspace['id']}", include_deleted="true").json()
    assert kept["latest_build"]["status"] == "deleted"
    assert api.get("/workspaces").json() == {"workspaces": [], "count": 0}
    assert api.get("/workspaces", q="deleted:true").json()["count"] == 1
    assert api.get("/users/me/workspace/doomed").status_code == 404
    assert api.get("/users/me/workspace/doomed", include_deleted="true").json()["id"] == workspace["id"]
    assert fake.workspaces_alive() == 0
    assert api.create("doomed")["id"] != workspace["id"]  # the name is free again


def test_a_second_build_while_one_is_active_conflicts(start_fake):
    api = start_fake(provisioner_count=lambda org: 0)[1]
    workspace = api.create("busy")
    conflict = api.post(f"/workspaces/{workspace['id']}/builds", {"transition": "stop"})
    assert conflict.status_code == 409
    assert conflict.json()["message"] == "A workspace build is already active."
    invalid = api.post(f"/workspaces/{workspace['id']}/builds", {"transition": "restart"})
    assert invalid.status_code == 400 and invalid.json()["validations"][0]["field"] == "transition"


def test_create_validates_like_coderd(start_fake):
    api = start_fake()[1]
    template_id = api.template("ai-workshop")["id"]

    def create(body):
        return api.post("/users/me/workspaces", body)

    for bad in ("Bad Name", "-leading", "a" * 33, "new", ""):
        resp = create({"name": bad, "template_id": template_id})
        assert resp.status_code == 400 and resp.json()["message"] == "Validation failed.", bad
        assert resp.json()["validations"][0]["field"] == "name"
    assert create({"name": "a" * 32, "template_id": template_id}).status_code == 201
    duplicate = create({"name": "a" * 32, "template_id": template_id})
    assert duplicate.status_code == 409 and duplicate.json()["message"] == f'Workspace "{"a" * 32}" already exists.'
    assert create({"name": "A" * 32, "template_id": template_id}).status_code == 409  # unique on lower(name)
    legacy = api.get("/templates").json()
    deprecated = create({"name": "old", "template_id": next(t["id"] for t in legacy if t["name"] == "legacy")})
    assert deprecated.status_code == 400 and "deprecated" in deprecated.json()["message"]
    broken = create({"name": "broken", "template_id": next(t["id"] for t in legacy if t["name"] == "broken")})
    assert broken.status_code == 400 and "has failed to import" in broken.json()["message"]
    unknown = create({"name": "ghost", "template_id": str(uuid.uuid4())})
    assert unknown.status_code == 400 and unknown.json()["validations"][0]["field"] == "template_id"
    by_version = create({"name": "pinned", "template_version_id": api.template("ai-workshop")["active_version_id"]})
    assert by_version.status_code == 201
    via_org = api.post("/organizations/default/members/me/workspaces",
                       {"name": "org-route", "template_id": template_id})
    assert via_org.status_code == 201
    garbage = api.session.post(api.base + "/users/me/workspaces", data="{not json")
    assert garbage.status_code == 400 and garbage.json()["message"] == "Request body must be valid JSON."


def test_cancel_a_pending_and_a_running_build(start_fake):
    # time_scale 0.05: a canceled running job stops 2 platform s = 100 ms later, time to observe "canceling".
    api = start_fake(make_seed(templates=[{"name": "ai-workshop", "organization": "coder",
                                           "build_time_p50_s": 100000, "build_time_p95_s": 100000}]),
                     provisioner_count=lambda org: 1, time_scale=0.05)[1]
    running = api.create("first")["latest_build"]["id"]
    pending = api.create("second")["latest_build"]["id"]
    wait_until(lambda: api.build(running)["job"]["status"] == "running")
    canceled = api.patch(f"/workspacebuilds/{pending}/cancel")
    assert canceled.status_code == 200 and canceled.json() == {"message": "Job has been marked as canceled..."}
    pending_build = api.build(pending)
    assert pending_build["status"] == "canceled" and "completed_at" in pending_build["job"]
    assert api.patch(f"/workspacebuilds/{pending}/cancel").json()["message"] == "Job has already completed!"
    assert api.patch(f"/workspacebuilds/{running}/cancel").status_code == 200
    canceling = api.build(running)
    assert canceling["status"] == "canceling" and "completed_at" not in canceling["job"]
    assert api.patch(f"/workspacebuilds/{running}/cancel").json()["message"] == \
        "Job has already been marked as canceled!"
    final = wait_until(lambda: api.build(running), lambda b: b["status"] == "canceled")
    assert final["job"]["status"] == "canceled" and "error" not in final["job"]


def test_workspace_search_query(start_fake):
    api = start_fake(provisioner_count=lambda org: 0)[1]
    for name in ("alpha-1", "alpha-2", "beta"):
        api.create(name)
    assert api.get("/workspaces", q="owner:me name:alpha").json()["count"] == 2
    assert api.get("/workspaces", q="template:AI-Workshop status:pending").json()["count"] == 3
    assert api.get("/workspaces", q="template:legacy").json()["count"] == 0
    assert api.get("/workspaces", q="owner:someone").json()["count"] == 0
    page = api.get("/workspaces", limit=1, offset=1).json()
    assert page["count"] == 3 and [w["name"] for w in page["workspaces"]] == ["alpha-2"]
    assert api.get("/users/admin/workspace/beta").json()["name"] == "beta"
    bad = api.get("/workspaces", q="colour:blue")
    assert bad.status_code == 400 and bad.json()["validations"][0]["field"] == "colour"


def test_build_durations_follow_the_template_percentiles(start_fake):
    api = start_fake(provisioner_count=lambda org: 200, rng_seed=7)[1]
    builds = [api.create(f"ws-{i}")["latest_build"]["id"] for i in range(200)]
    final = wait_until(lambda: [w["latest_build"] for w in api.get("/workspaces").json()["workspaces"]],
                       lambda bs: bool(bs) and all(b["status"] == "running" for b in bs), timeout=20, interval=0.1)
    assert len(final) == len(builds)
    durations = [platform_seconds(b["job"]["started_at"], b["job"]["completed_at"]) for b in final]
    assert statistics.median(durations) == pytest.approx(60, rel=0.10)
    assert all(b["job"]["started_at"] == b["job"]["created_at"] for b in final)  # enough daemons: no wait


def test_durations_are_reproducible_for_a_seed(start_fake):
    def run():
        api = start_fake(provisioner_count=lambda org: 4, rng_seed=3)[1]
        builds = [api.create(f"ws-{i}")["latest_build"]["id"] for i in range(4)]
        final = wait_for_builds(api, builds, {"running"})
        return [platform_seconds(b["job"]["started_at"], b["job"]["completed_at"]) for b in final]

    first, second = run(), run()
    assert second == pytest.approx(first, abs=0.01)  # timestamps carry microseconds: 0.0002 platform s here
    assert len(set(first)) == len(first)


def test_stop_closes_the_port_and_the_scheduler(start_fake):
    fake, api = start_fake()
    api.create("ws")
    fake.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(fake.url + "/api/v2/buildinfo", timeout=2)
    assert not [t for t in threading.enumerate() if t.name.startswith("coder-fake")]
    port = int(fake.url.rsplit(":", 1)[1])
    assert fake.start(port=port) == port  # the sandbox restarts a component on its old port
    assert fake.workspaces_alive() == 1
