# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for the Coder v2 REST API and the one-call-per-endpoint gather used by ``coder_deployment_info``.

Field names follow the real API (coder/coder ``codersdk``); see docs/coder-api-notes in the repository's
reference material. Shapes that changed between Coder releases are normalised here, in one place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError, JsonHttpClient

SESSION_HEADER = "Coder-Session-Token"
# The sections the gather fills; each one either holds data or has an entry in ``errors``.
SECTIONS = ("buildinfo", "health", "proxies", "organizations", "provisioner_daemons", "pending_jobs", "templates",
            "template_versions")


class CoderClient:
    """``options`` are ``JsonHttpClient``'s (ca_path, client_cert, client_key, use_proxy, retries, deadline)."""

    def __init__(self, url, token, timeout=10, validate_certs=True, opener=None, **options):
        headers = {SESSION_HEADER: token} if token else {}
        self.http = JsonHttpClient(url.rstrip("/") + "/api/v2", "Coder API", headers=headers, timeout=timeout,
                                   validate_certs=validate_certs, opener=opener, **options)

    # Read endpoints -------------------------------------------------------------------------------------------
    def buildinfo(self):
        return self.http.get("/buildinfo")

    def health(self):
        return self.http.get("/debug/health")

    def workspace_proxies(self):
        return normalise_proxies(self.http.get("/workspaceproxies"))

    def organizations(self):
        return self.http.get("/organizations")

    def provisioner_daemons(self, organization_id):
        return self.http.get("/organizations/%s/provisionerdaemons" % organization_id, {"limit": 1000})

    def provisioner_jobs(self, organization_id, status="pending", limit=1000):
        return self.http.get("/organizations/%s/provisionerjobs" % organization_id,
                             {"status": status, "limit": limit})

    def templates(self):
        return self.http.get("/templates")

    def template_version(self, version_id):
        return self.http.get("/templateversions/%s" % version_id)

    # Workspace lifecycle (used by the rehearsal) ----------------------------------------------------------------
    def create_workspace(self, name, template_id, user="me"):
        return self.http.post("/users/%s/workspaces" % user, {"name": name, "template_id": template_id})

    def workspace(self, workspace_id, include_deleted=False):
        query = {"include_deleted": "true"} if include_deleted else None
        return self.http.get("/workspaces/%s" % workspace_id, query)

    def workspaces(self, query, limit=1000):
        return self.http.get("/workspaces", {"q": query, "limit": limit})

    def create_build(self, workspace_id, transition):
        return self.http.post("/workspaces/%s/builds" % workspace_id, {"transition": transition})

    def build(self, build_id):
        return self.http.get("/workspacebuilds/%s" % build_id)

    def cancel_build(self, build_id):
        return self.http.request("PATCH", "/workspacebuilds/%s/cancel" % build_id)[1]


def normalise_proxies(payload):
    """Newer Coder answers ``{"regions": [...]}``; older builds a bare list; the swagger documents a list of
    RegionsResponse objects. Accept all three and return a flat list of proxies."""
    if isinstance(payload, dict):
        return list(payload.get("regions") or [])
    proxies = []
    for item in payload or []:
        if isinstance(item, dict) and "regions" in item and "name" not in item:
            proxies.extend(item.get("regions") or [])
        else:
            proxies.append(item)
    return proxies


def transition_stats_seconds(build_time_stats, transition="start"):
    """``build_time_stats`` values are milliseconds; old builds had no JSON tags (``P50``), so match any case."""
    stats = (build_time_stats or {}).get(transition) or {}
    lowered = dict((str(k).lower(), v) for k, v in stats.items())
    p50, p95 = lowered.get("p50"), lowered.get("p95")
    if p50 is None or p95 is None:
        return None
    return {"p50_s": p50 / 1000.0, "p95_s": p95 / 1000.0}


def _summarise_health(report):
    sections = {}
    for name, section in report.items():
        if isinstance(section, dict) and "healthy" in section:
            sections[name] = {
                "healthy": section.get("healthy"),
                "severity": section.get("severity"),
                "dismissed": section.get("dismissed", False),
                "warnings": [w if isinstance(w, dict) else {"code": "", "message": str(w)}
                             for w in section.get("warnings") or []],
                "error": section.get("error"),
            }
    return {"healthy": report.get("healthy"), "severity": report.get("severity"), "time": report.get("time"),
            "coder_version": report.get("coder_version"), "sections": sections}


def _summarise_proxy(proxy):
    status = proxy.get("status") or {}
    return {"name": proxy.get("name"), "display_name": proxy.get("display_name"), "healthy": proxy.get("healthy"),
            "version": proxy.get("version", ""), "path_app_url": proxy.get("path_app_url"),
            "wildcard_hostname": proxy.get("wildcard_hostname"), "status": status.get("status"),
            "report": status.get("report") or {}}


def _summarise_daemon(daemon):
    return {"name": daemon.get("name"), "status": daemon.get("status"), "version": daemon.get("version"),
            "last_seen_at": daemon.get("last_seen_at"), "tags": daemon.get("tags") or {}}


def _summarise_template(template):
    return {"id": template.get("id"), "name": template.get("name"),
            "organization_id": template.get("organization_id"),
            "organization_name": template.get("organization_name"),
            "deprecated": bool(template.get("deprecated")), "active_version_id": template.get("active_version_id"),
            "build_time_stats": transition_stats_seconds(template.get("build_time_stats"))}


def gather_deployment(client, template_names=(), workers=8):
    """Read everything the gate needs from Coder in as few, parallel, calls as the API allows.

    Never raises for an API failure: each section either holds data or has its cause under ``errors``, so the
    checks that depend on an unreachable section become ``error`` and the others still run.
    """
    facts = dict((name, None) for name in SECTIONS)
    facts.update({"errors": {}, "reachable": False, "api_calls": 0})
    lock = threading.Lock()

    def call(section, fn, *args):
        with lock:
            facts["api_calls"] += 1
        try:
            return fn(*args)
        except ApiError as err:
            facts["errors"].setdefault(section, err.message)
            return None

    # buildinfo needs no auth: if it fails the server is down, and the other calls would only repeat the cause.
    facts["buildinfo"] = call("buildinfo", client.buildinfo)
    if facts["buildinfo"] is None:
        cause = facts["errors"]["buildinfo"]
        for name in SECTIONS:
            facts["errors"].setdefault(name, cause)
        return facts
    facts["reachable"] = True

    with ThreadPoolExecutor(max_workers=workers) as pool:
        health = pool.submit(call, "health", client.health)
        proxies = pool.submit(call, "proxies", client.workspace_proxies)
        orgs = pool.submit(call, "organizations", client.organizations)
        templates = pool.submit(call, "templates", client.templates)

        organizations = orgs.result()
        daemons, jobs = {}, {}
        for org in organizations or []:
            daemons[org["name"]] = pool.submit(call, "provisioner_daemons", client.provisioner_daemons, org["id"])
            jobs[org["name"]] = pool.submit(call, "pending_jobs", client.provisioner_jobs, org["id"])

        all_templates = templates.result()
        wanted = [t for t in all_templates or [] if t.get("name") in set(template_names)]
        versions = dict(
            (t["name"], pool.submit(call, "template_versions", client.template_version, t["active_version_id"]))
            for t in wanted if t.get("active_version_id"))

        health_report = health.result()
        facts["health"] = _summarise_health(health_report) if health_report is not None else None
        proxy_list = proxies.result()
        facts["proxies"] = [_summarise_proxy(p) for p in proxy_list] if proxy_list is not None else None
        if organizations is not None:
            facts["organizations"] = [{"id": o["id"], "name": o["name"], "is_default": bool(o.get("is_default"))}
                                      for o in organizations]
            facts["provisioner_daemons"] = dict((name, [_summarise_daemon(d) for d in f.result()])
                                                for name, f in daemons.items() if f.result() is not None)
            facts["pending_jobs"] = dict((name, len(f.result())) for name, f in jobs.items() if f.result() is not None)
        if all_templates is not None:
            summaries = []
            for template in all_templates:
                summary = _summarise_template(template)
                version = versions.get(template["name"])
                if version is not None and version.result() is not None:
                    job = version.result().get("job") or {}
                    summary["active_version"] = {"name": version.result().get("name"),
                                                 "import_status": job.get("status"), "import_error": job.get("error")}
                summaries.append(summary)
            facts["templates"] = summaries
    return facts
