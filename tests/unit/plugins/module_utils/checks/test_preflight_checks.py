# -*- coding: utf-8 -*-
"""Every branch of every pre-workshop check (plugins/module_utils/checks/preflight.py), without any server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from datetime import timedelta

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.checks import preflight as pc
from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import CATALOG, RESULT_KEYS, STATUSES
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat, parse_timestamp

NOW = parse_timestamp("2026-11-25T10:00:00Z")
START = NOW + timedelta(hours=48)
END = START + timedelta(hours=8)
CURRENT = "sha256:" + "a" * 64
STALE = "sha256:" + "b" * 64
OTHER = "sha256:" + "c" * 64
GIB = 2 ** 30


def cluster(pods=(), nodes=(), nodepools=(), deployments=None, cronjobs=None, errors=None):
    return {"pods": list(pods), "nodes": list(nodes), "nodepools": list(nodepools),
            "deployments": deployments or {}, "cronjobs": cronjobs or {}, "errors": errors or {}}


def pod(component, name, digest):
    return {"name": name, "component": component, "images": [{"container": "coder", "digest": digest}]}


def node(name, pct, capacity_gib=100):
    return {"name": name, "ephemeral": {"capacity_bytes": capacity_gib * GIB, "used_bytes": int(capacity_gib * GIB * pct / 100),
                                        "used_pct": float(pct)}}


def pool(name, ready=True, cpu="1000", memory="4000Gi", message=None):
    limits = {}
    if cpu is not None:
        limits["cpu"] = cpu
    if memory is not None:
        limits["memory"] = memory
    return {"name": name, "ready": ready, "ready_message": message, "limits": limits}


def images(upstream=CURRENT, ecr=CURRENT, upstream_error=None, ecr_error=None):
    return {"upstream": {"image": "ghcr.io/coder/coder-preview:latest", "digest": upstream, "error": upstream_error},
            "ecr": {"repository": "coder-preview", "tag": "latest", "digest": ecr, "error": ecr_error}}


def coder(version="v2.26.0-devel+7f3c1e2", proxies=None, daemons=6, health=None, templates=None, errors=None):
    return {
        "reachable": True, "errors": errors or {},
        "buildinfo": {"version": version},
        "health": health or {"healthy": True, "severity": "ok", "coder_version": version, "sections": {}},
        "proxies": proxies if proxies is not None else [{"name": "oregon", "version": version, "status": "ok"}],
        "organizations": [{"id": "1", "name": "coder", "is_default": True}, {"id": "2", "name": "demo"}],
        "provisioner_daemons": {"coder": [{"name": "p%d" % i, "status": "idle", "version": version}
                                          for i in range(daemons)],
                                "demo": [{"name": "d0", "status": "idle"}]},
        "pending_jobs": {"coder": 0},
        "templates": templates if templates is not None else [
            {"name": "ai-workshop", "deprecated": False,
             "active_version": {"name": "v1", "import_status": "succeeded", "import_error": None}}],
    }


PLAN = {"expected_users": 25, "provisioners": {"need": 12, "recommended": 15},
        "litellm_replicas": {"need": 7}, "total": {"vcpu": 160, "memory_gib": 320}}


def by_status(results):
    return sorted((r["id"], r["target"], r["status"]) for r in results)


# --- result shape -----------------------------------------------------------------------------------------------
def test_every_check_has_requirement_runbook_and_remediation():
    for check_id, entry in CATALOG.items():
        assert entry["requirement"] and entry["remediation"]
        assert entry["runbook"] == "docs/runbooks/%s.md" % check_id


def test_result_has_the_common_shape_and_remediation_only_when_action_is_needed():
    passed = pc.check_mirror_current({"name": "us-east-2", "images": images()})
    assert set(passed) == set(RESULT_KEYS)
    assert passed["status"] == "pass" and passed["remediation"] == ""
    failed = pc.check_mirror_current({"name": "us-west-2", "images": images(ecr=STALE)})
    assert failed["remediation"].startswith("Copy ghcr.io/coder/coder-preview:latest into ECR coder-preview:latest "
                                            "of us-west-2")


def test_unknown_status_is_refused():
    with pytest.raises(ValueError):
        pc.result(pc.MIRROR, "x", "maybe", "?")
    assert set(STATUSES) == {"pass", "warn", "fail", "error", "skip"}


# --- images.mirror_current --------------------------------------------------------------------------------------
@pytest.mark.parametrize("facts, status, words", [
    (images(), "pass", "matches upstream"),
    (images(ecr=STALE), "fail", "upstream"),
    (images(ecr=None), "fail", "has no tag"),
    (images(upstream_error="registry unreachable"), "error", "registry unreachable"),
    (images(ecr_error="ECR AccessDenied"), "error", "ECR AccessDenied"),
    ({"failed": True, "msg": "module crashed"}, "error", "module crashed"),
])
def test_mirror_current(facts, status, words):
    res = pc.check_mirror_current({"name": "us-west-2", "images": facts})
    assert res["status"] == status and words in res["summary"]


# --- images.running_match ---------------------------------------------------------------------------------------
def regions_with(cp_pods, proxy_pods, cp_errors=None, proxy_errors=None):
    return [{"name": "us-east-2", "role": "control_plane", "cluster": cluster(cp_pods, errors=cp_errors)},
            {"name": "us-west-2", "role": "proxy", "proxy_name": "oregon",
             "cluster": cluster(proxy_pods, errors=proxy_errors)}]


def test_running_match_pass_and_fail_on_drifted_proxy():
    regions = regions_with([pod("server", "coder-0", CURRENT), pod("provisioner", "p-0", CURRENT)],
                           [pod("proxy", "proxy-0", STALE), pod("proxy", "proxy-1", CURRENT)])
    ref, cause, seen = pc.control_plane_digest(regions)
    assert (ref, cause, seen) == (CURRENT, None, [CURRENT])
    assert pc.check_running_match(regions[0], ref, cause, seen)["status"] == "pass"
    res = pc.check_running_match(regions[1], ref, cause, seen)
    assert res["status"] == "fail" and "1 of 2 pods" in res["summary"] and "proxy-0" in res["summary"]


def test_running_match_fails_for_mixed_server_digests_and_uses_the_majority():
    regions = regions_with([pod("server", "a", CURRENT), pod("server", "b", CURRENT), pod("server", "c", OTHER)],
                           [pod("proxy", "proxy-0", CURRENT)])
    ref, cause, seen = pc.control_plane_digest(regions)
    assert ref == CURRENT and seen == sorted([CURRENT, OTHER])
    assert "different digests" in pc.check_running_match(regions[0], ref, cause, seen)["summary"]
    assert pc.check_running_match(regions[1], ref, cause, seen)["status"] == "pass"


def test_running_match_fails_without_pods_and_errors_without_reference_or_pods():
    regions = regions_with([pod("server", "coder-0", CURRENT)], [])
    ref, cause, seen = pc.control_plane_digest(regions)
    assert "no Coder proxy pods" in pc.check_running_match(regions[1], ref, cause, seen)["summary"]
    regions = regions_with([], [pod("proxy", "p", CURRENT)])
    ref, cause, seen = pc.control_plane_digest(regions)
    assert ref is None and "no Coder server pods" in cause
    assert pc.check_running_match(regions[1], ref, cause, seen)["status"] == "error"
    regions = regions_with([], [], cp_errors={"pods": "connection refused"})
    ref, cause = pc.control_plane_digest(regions)[:2]
    assert "connection refused" in cause
    regions = regions_with([pod("server", "c", CURRENT)], [], proxy_errors={"pods": "HTTP 401"})
    res = pc.check_running_match(regions[1], *pc.control_plane_digest(regions))
    assert res["status"] == "error" and "HTTP 401" in res["summary"]
    assert pc.control_plane_digest([{"name": "x", "role": "proxy"}])[1] == "no region has role control_plane"


# --- proxies.version_match --------------------------------------------------------------------------------------
def test_proxy_version_branches():
    region = {"name": "us-west-2", "proxy_name": "oregon"}
    assert pc.check_proxy_version(region, coder())["status"] == "pass"
    stale = coder(proxies=[{"name": "oregon", "version": "v2.26.0-devel+1a2b3c4", "status": "ok"}])
    res = pc.check_proxy_version(region, stale)
    assert res["status"] == "fail" and "only compares major.minor" in res["summary"]
    assert "not registered" in pc.check_proxy_version(region, coder(proxies=[]))["summary"]
    unconnected = coder(proxies=[{"name": "oregon", "version": "", "status": "unreachable"}])
    assert "has not reported a version" in pc.check_proxy_version(region, unconnected)["summary"]
    down = {"errors": {"buildinfo": "Coder API GET /buildinfo: cannot reach http://x (Connection refused)"}}
    res = pc.check_proxy_version(region, down)
    assert res["status"] == "error" and "Connection refused" in res["summary"]


# --- coder.health -----------------------------------------------------------------------------------------------
def test_health_branches():
    assert pc.check_health("us-east-2", coder())["status"] == "pass"
    unhealthy = {"healthy": False, "severity": "error", "sections": {
        "database": {"healthy": False, "severity": "error", "warnings": [], "error": "EDB01 ping failed"},
        "derp": {"healthy": False, "severity": "error", "dismissed": True, "warnings": []}}}
    res = pc.check_health("us-east-2", coder(health=unhealthy))
    assert res["status"] == "fail" and "EDB01" in res["summary"] and "derp" not in res["summary"]
    warning = {"healthy": True, "severity": "warning", "sections": {
        "workspace_proxy": {"healthy": True, "severity": "warning", "warnings": [{"code": "EWP04", "message": "slow"}]}}}
    assert pc.check_health("us-east-2", coder(health=warning))["status"] == "warn"
    assert pc.check_health("us-east-2", {"errors": {"health": "HTTP 403"}})["status"] == "error"


# --- provisioners.capacity --------------------------------------------------------------------------------------
def test_provisioner_branches():
    res = pc.check_provisioners("us-east-2", coder(daemons=6), PLAN)
    assert res["status"] == "fail" and "6 online provisioners in coder" in res["summary"]
    assert "at least 12 replicas" in res["remediation"]
    assert pc.check_provisioners("us-east-2", coder(daemons=12), PLAN)["status"] == "pass"
    offline = coder(daemons=12)
    offline["provisioner_daemons"]["coder"][0]["status"] = "offline"
    assert pc.check_provisioners("us-east-2", offline, PLAN)["details"]["online"] == 11
    assert pc.check_provisioners("us-east-2", coder(), PLAN, organization="nope")["status"] == "fail"
    assert pc.check_provisioners("us-east-2", coder(daemons=1), PLAN, organization="demo")["details"]["online"] == 1
    assert pc.check_provisioners("us-east-2", {"errors": {"organizations": "down"}}, PLAN)["status"] == "error"
    assert pc.check_provisioners("us-east-2", coder(), {"provisioners": {}})["status"] == "error"


def test_provisioner_summary_reports_predicted_p95_with_and_without_the_fix():
    plan = copy.deepcopy(PLAN)
    plan["provisioners"].update({"predicted_p95_s_at_current": 247.0, "predicted_p95_s": 105.0})
    res = pc.check_provisioners("us-east-2", coder(daemons=6), plan)
    assert res["summary"].endswith("predicted p95 time-to-ready 247s now, 105s with 12")
    plan["provisioners"].update({"target_met_fraction_at_current": 0.0, "target_met_fraction": 0.82})
    res = pc.check_provisioners("us-east-2", coder(daemons=6), plan)
    assert "247s now, 105s with 12 (0% vs 82% of simulated workshops within the target)" in res["summary"]


# --- templates.ready --------------------------------------------------------------------------------------------
def test_template_branches():
    assert pc.check_templates(coder(), ["ai-workshop"])["status"] == "pass"
    assert pc.check_templates(coder(), [])["status"] == "skip"
    assert "missing" in pc.check_templates(coder(), ["nope"])["summary"]
    deprecated = coder(templates=[{"name": "ai-workshop", "deprecated": True, "active_version": {}}])
    assert "deprecated" in pc.check_templates(deprecated, ["ai-workshop"])["summary"]
    failed = coder(templates=[{"name": "ai-workshop", "deprecated": False, "active_version": {
        "name": "v2", "import_status": "failed", "import_error": "terraform init: provider not found"}}])
    res = pc.check_templates(failed, ["ai-workshop"])
    assert res["status"] == "fail" and "provider not found" in res["summary"]
    unreadable = coder(templates=[{"name": "ai-workshop", "deprecated": False}],
                       errors={"template_versions": "HTTP 500"})
    res = pc.check_templates(unreadable, ["ai-workshop"])
    assert res["status"] == "error" and "HTTP 500" in res["summary"]
    assert pc.check_templates({"errors": {"templates": "down"}}, ["ai-workshop"])["status"] == "error"


# --- storage.ephemeral_headroom ---------------------------------------------------------------------------------
@pytest.mark.parametrize("pcts, status", [([40, 69.9], "pass"), ([70, 10], "warn"), ([84.9], "warn"),
                                          ([85], "fail"), ([88, 72, 41], "fail"), ([], "pass")])
def test_storage_thresholds(pcts, status):
    region = {"name": "us-east-2", "cluster": cluster(nodes=[node("n%d" % i, p) for i, p in enumerate(pcts)])}
    assert pc.check_storage(region, 70, 85)["status"] == status


def test_storage_fail_wins_over_missing_stats_and_missing_stats_is_error():
    hot = {"name": "n1", "ephemeral": None, "stats_error": "HTTP 503"}
    region = {"name": "r", "cluster": cluster(nodes=[node("n0", 90), hot])}
    res = pc.check_storage(region, 70, 85)
    assert res["status"] == "fail" and res["details"]["unreadable"] == ["n1 (HTTP 503)"]
    region = {"name": "r", "cluster": cluster(nodes=[node("n0", 20), hot])}
    assert pc.check_storage(region, 70, 85)["status"] == "error"
    assert pc.check_storage({"name": "r", "cluster": cluster(errors={"nodes": "refused"})}, 70, 85)["status"] == "error"


# --- karpenter.capacity -----------------------------------------------------------------------------------------
def test_karpenter_branches():
    region = {"name": "us-east-2", "hosts_workspaces": True}
    ok = dict(region, cluster=cluster(nodepools=[pool("workspaces")]))
    assert pc.check_karpenter(ok, PLAN)["status"] == "pass"
    low = dict(region, cluster=cluster(nodepools=[pool("workspaces", cpu="64", memory="256Gi")]))
    res = pc.check_karpenter(low, PLAN)
    assert res["status"] == "fail" and "vCPU limit 64 < 160" in res["summary"] and "memory limit 256Gi" in res["summary"]
    summed = dict(region, cluster=cluster(nodepools=[pool("a", cpu="100", memory="200Gi"),
                                                     pool("b", cpu="60", memory="120Gi")]))
    assert pc.check_karpenter(summed, PLAN)["status"] == "pass"
    unlimited = dict(region, cluster=cluster(nodepools=[pool("a", cpu=None, memory=None), pool("b", cpu="1")]))
    assert "unlimited" in pc.check_karpenter(unlimited, PLAN)["summary"]
    broken = dict(region, cluster=cluster(nodepools=[pool("a", ready=False, message="NodeClass not found")]))
    assert "NodeClass not found" in pc.check_karpenter(broken, PLAN)["summary"]
    assert "no Karpenter NodePools" in pc.check_karpenter(dict(region, cluster=cluster()), PLAN)["summary"]
    proxy = {"name": "us-west-2", "hosts_workspaces": False, "cluster": cluster(nodepools=[pool("s", cpu="16")])}
    assert pc.check_karpenter(proxy, PLAN)["status"] == "pass"
    errored = dict(region, cluster=cluster(errors={"nodepools": "HTTP 403"}))
    assert pc.check_karpenter(errored, PLAN)["status"] == "error"


# --- litellm.capacity -------------------------------------------------------------------------------------------
def test_litellm_capacity_branches():
    key = "litellm/litellm"

    def region(deployment):
        return {"name": "us-east-2", "cluster": cluster(deployments={key: deployment})}
    assert pc.check_litellm_capacity(region({"found": True, "replicas": 8, "ready_replicas": 8}), PLAN, key)["status"] == "pass"
    res = pc.check_litellm_capacity(region({"found": True, "replicas": 4, "ready_replicas": 4}), PLAN, key)
    assert res["status"] == "warn" and "needs 7" in res["summary"]
    assert pc.check_litellm_capacity(region({"found": False}), PLAN, key)["status"] == "warn"
    errored = {"name": "us-east-2", "cluster": cluster(errors={"deployments": "refused"})}
    assert pc.check_litellm_capacity(errored, PLAN, key)["status"] == "error"


# --- litellm.key_expiry -----------------------------------------------------------------------------------------
def key(hours):
    expires = None if hours is None else isoformat(NOW + timedelta(hours=hours))
    return {"key": {"key_alias": "workshop", "key_name": "sk-...abcd", "expires": expires}, "errors": {}}


@pytest.mark.parametrize("hours, status, words", [
    (3, "fail", "expires in 3.0 hours"),
    (-2, "fail", "expired 2.0 hours ago"),
    (48 + 8 + 23, "fail", "before the workshop ends"),
    (48 + 8 + 25, "warn", "within 7 days"),
    (24 * 30, "pass", "after the workshop"),
    (None, "pass", "never expires"),
])
def test_key_expiry(hours, status, words):
    res = pc.check_key_expiry("us-east-2", key(hours), NOW, END, 24, 7)
    assert res["status"] == status and words in res["summary"]


def test_key_expiry_error_when_litellm_unreachable():
    res = pc.check_key_expiry("us-east-2", {"key": None, "errors": {"key": "LiteLLM API: cannot reach"}}, NOW, END, 24, 7)
    assert res["status"] == "error" and "cannot reach" in res["summary"]


# --- litellm.rotation_window ------------------------------------------------------------------------------------
def rotation(schedule="0 */4 * * *", suspend=False, found=True, tz=None):
    key_ = "litellm/litellm-key-rotation"
    return {"name": "us-east-2", "cluster": cluster(cronjobs={key_: {
        "found": found, "schedule": schedule, "suspend": suspend, "time_zone": tz}})}, key_


def test_rotation_window_branches():
    region, key_ = rotation()
    res = pc.check_rotation_window(region, key_, START, END)
    assert res["status"] == "fail" and "runs 2 time(s)" in res["summary"]
    region, key_ = rotation(suspend=True)
    assert pc.check_rotation_window(region, key_, START, END)["status"] == "pass"
    region, key_ = rotation(schedule="30 2 * * *")  # 02:30 daily; the window is 10:00-18:00 UTC
    assert pc.check_rotation_window(region, key_, START, END)["status"] == "pass"
    region, key_ = rotation(schedule="30 2 * * *", tz="Asia/Tokyo")  # 02:30 JST = 17:30 UTC: inside
    assert pc.check_rotation_window(region, key_, START, END)["status"] == "fail"
    region, key_ = rotation(found=False)
    assert pc.check_rotation_window(region, key_, START, END)["status"] == "warn"
    region, key_ = rotation(schedule="every four hours")
    assert "cannot read" in pc.check_rotation_window(region, key_, START, END)["summary"]
    errored = {"name": "us-east-2", "cluster": cluster(errors={"cronjobs": "refused"})}
    assert pc.check_rotation_window(errored, key_, START, END)["status"] == "error"


# --- the whole gate ---------------------------------------------------------------------------------------------
def gate(**overrides):
    regions = [
        {"name": "us-east-2", "role": "control_plane", "hosts_workspaces": True, "images": images(),
         "cluster": cluster([pod("server", "coder-0", CURRENT), pod("provisioner", "p-0", CURRENT)],
                            [node("n0", 40)], [pool("workspaces")],
                            {"litellm/litellm": {"found": True, "replicas": 8, "ready_replicas": 8}},
                            {"litellm/litellm-key-rotation": {"found": True, "schedule": "0 */4 * * *",
                                                              "suspend": True}})},
        {"name": "us-west-2", "role": "proxy", "proxy_name": "oregon", "images": images(),
         "cluster": cluster([pod("proxy", "proxy-0", CURRENT)], [node("w0", 30)], [pool("system", cpu="16")])},
    ]
    data = {"now": isoformat(NOW), "coder": coder(daemons=12), "litellm": key(24 * 30), "plan": PLAN,
            "region_names": ["us-east-2", "us-west-2"], "regions": regions,
            "settings": {"expected_users": 25, "workshop_start": isoformat(START), "workshop_duration_hours": 8,
                         "workshop_templates": ["ai-workshop"], "storage_warn_pct": 70, "storage_fail_pct": 85,
                         "key_expiry_warn_days": 7, "key_expiry_margin_hours": 24, "coder_organization": "",
                         "litellm_deployment": "litellm/litellm",
                         "litellm_rotation_cronjob": "litellm/litellm-key-rotation"}}
    data.update(overrides)
    return data


def test_judge_runs_every_check_once_per_applicable_target_and_all_pass():
    results = pc.judge(gate())
    assert set(r["status"] for r in results) == {"pass"}
    ids = [(r["id"], r["target"]) for r in results]
    assert len(ids) == len(set(ids))
    assert set(r["id"] for r in results) == set(pc.CHECK_IDS) and set(pc.CHECK_IDS) <= set(CATALOG)
    assert ("proxies.version_match", "us-west-2") in ids and ("proxies.version_match", "us-east-2") not in ids
    assert ("templates.ready", "global") in ids


def test_judge_turns_a_host_without_facts_into_errors_not_silence():
    results = pc.judge(gate(region_names=["us-east-2", "us-west-2", "eu-west-2"]))
    lost = [r for r in results if r["target"] == "eu-west-2"]
    assert lost and all(r["status"] == "error" for r in lost)
    assert "no facts were gathered for eu-west-2" in lost[0]["summary"]


def test_judge_with_coder_down_errors_only_coder_checks():
    down = {"reachable": False, "errors": dict((s, "Coder API GET /buildinfo: cannot reach http://127.0.0.1:9 "
                                                   "(Connection refused)") for s in
                                               ("buildinfo", "health", "proxies", "organizations",
                                                "provisioner_daemons", "pending_jobs", "templates"))}
    results = pc.judge(gate(coder=down))
    errored = sorted(set(r["id"] for r in results if r["status"] == "error"))
    # Exactly the checks that read a Coder section, as the catalog declares them.
    assert errored == sorted(i for i, e in CATALOG.items() if e["family"] == "preflight"
                             and any(r.startswith("coder.") for r in e["reads"]))
    assert "coder.health" in errored and "provisioners.version_match" in errored
    assert all("Connection refused" in r["summary"] for r in results if r["status"] == "error")
    assert all(r["status"] == "pass" for r in results if r["status"] != "error")


def test_karpenter_counts_only_the_workspace_nodepools_when_named():
    pools = [pool("workspaces", cpu="64", memory="4000Gi"), pool("system", cpu="1000", memory="4000Gi")]
    region = {"name": "us-east-2", "hosts_workspaces": True, "cluster": cluster(nodepools=pools)}
    assert pc.check_karpenter(region, PLAN)["status"] == "pass"  # all pools: 1064 vCPU
    named = dict(region, workspace_nodepools=["workspaces"])
    assert "vCPU limit 64 < 160" in pc.check_karpenter(named, PLAN)["summary"]
    missing = dict(region, workspace_nodepools=["gpu"])
    assert "none of the workspace NodePools" in pc.check_karpenter(missing, PLAN)["summary"]


# --- provisioners.version_match (added through the registry alone) -------------------------------------------------
def test_provisioner_version_passes_when_every_online_daemon_runs_the_primary_build():
    passed = pc.check_provisioner_version("us-east-2", coder())
    assert passed["status"] == "pass" and "all 6 online provisioner daemons in coder run" in passed["summary"]


def test_provisioner_version_fails_naming_each_daemon_on_another_build_and_ignores_offline_ones():
    facts = coder()
    daemons = facts["provisioner_daemons"]["coder"]
    daemons[0]["version"] = "v2.26.0-devel+1a2b3c4"  # the previous build: same minor, Coder does not flag it
    daemons[1]["version"] = None
    daemons[2].update(status="offline", version="v2.25.0")  # offline daemons take no jobs
    failed = pc.check_provisioner_version("us-east-2", facts)
    assert failed["status"] == "fail"
    assert "2 of 5 online provisioner daemons in coder" in failed["summary"]
    assert "p0 (v2.26.0-devel+1a2b3c4)" in failed["summary"] and "p1 (no version)" in failed["summary"]
    assert "p2" not in failed["summary"]
    assert "organization coder" in failed["remediation"] and "v2.26.0-devel+7f3c1e2" in failed["remediation"]


def test_provisioner_version_uses_the_named_organization_and_fails_when_it_is_missing():
    facts = coder()
    facts["provisioner_daemons"]["demo"][0]["version"] = "v2.26.0-devel+7f3c1e2"
    assert pc.check_provisioner_version("us-east-2", facts, "demo")["status"] == "pass"
    assert pc.check_provisioner_version("us-east-2", facts, "nope")["status"] == "fail"


def test_provisioner_version_with_no_online_daemon_leaves_it_to_the_capacity_check():
    facts = coder(daemons=0)
    result = pc.check_provisioner_version("us-east-2", facts)
    assert result["status"] == "pass" and "provisioners.capacity" in result["summary"]


def test_provisioner_version_is_error_when_coder_could_not_say():
    results = pc.judge(gate(coder=coder(errors={"provisioner_daemons": "Coder API GET ...: HTTP 500"})))
    row = next(r for r in results if r["id"] == "provisioners.version_match")
    assert row["status"] == "error" and "HTTP 500" in row["summary"]
