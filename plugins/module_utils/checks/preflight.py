# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pre-workshop checks: pure functions from gathered facts to check results.

Every function here takes plain dicts (what the gather modules returned) and returns results of the common shape
(``checks.result``). Nothing here talks to a network, so unit tests cover every branch. The gate input is::

    {"now": iso, "settings": {...}, "coder": {...}, "litellm": {...}, "plan": {...},
     "regions": [{"name", "role", "proxy_name", "hosts_workspaces", "images": {...}, "cluster": {...}}]}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import Counter
from datetime import timedelta

from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import (
    declare, error_result, gather_failure, judge_checks, result, worst,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.core.quantity import GIB, parse_quantity
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import (
    cron_runs_between, isoformat, parse_timestamp, time_window,
)

GLOBAL = "global"

FAMILY = "preflight"
MIRROR = "images.mirror_current"
RUNNING = "images.running_match"
PROXY_VERSION = "proxies.version_match"
HEALTH = "coder.health"
PROVISIONERS = "provisioners.capacity"
STORAGE = "storage.ephemeral_headroom"
KEY_EXPIRY = "litellm.key_expiry"
ROTATION = "litellm.rotation_window"
KARPENTER = "karpenter.capacity"
LITELLM_CAPACITY = "litellm.capacity"
TEMPLATES = "templates.ready"
PROVISIONER_VERSION = "provisioners.version_match"


def _section_error(facts, *sections):
    cause = gather_failure(facts)
    if cause:
        return cause
    errors = facts.get("errors") or {}
    for section in sections:
        if errors.get(section):
            return errors[section]
    return None


# --- images --------------------------------------------------------------------------------------------------------
def check_mirror_current(region):
    images = region.get("images") or {}
    cause = gather_failure(images)
    upstream, ecr = images.get("upstream") or {}, images.get("ecr") or {}
    cause = cause or upstream.get("error") or ecr.get("error")
    details = {"upstream_image": upstream.get("image"), "upstream_digest": upstream.get("digest"),
               "ecr_repository": ecr.get("repository"), "ecr_tag": ecr.get("tag"), "ecr_digest": ecr.get("digest")}
    if cause:
        return error_result(MIRROR, region["name"], cause, details)
    fix = _mirror_fix(region["name"], images, upstream, ecr)
    if not ecr.get("digest"):
        return result(MIRROR, region["name"], "fail", "ECR %s has no tag %s (upstream is %s)" % (
            ecr.get("repository"), ecr.get("tag"), upstream.get("digest")), details, remediation=fix)
    if ecr["digest"] != upstream.get("digest"):
        return result(MIRROR, region["name"], "fail", "ECR %s:%s holds %s, upstream %s is %s" % (
            ecr.get("repository"), ecr.get("tag"), _short(ecr["digest"]), upstream.get("image"),
            _short(upstream.get("digest"))), details, remediation=fix)
    return result(MIRROR, region["name"], "pass", "ECR %s:%s matches upstream (%s)" % (
        ecr.get("repository"), ecr.get("tag"), _short(ecr["digest"])), details)


def _mirror_fix(region, images, upstream, ecr):
    registry = ecr.get("registry") or "%s.dkr.ecr.%s.amazonaws.com" % (
        ecr.get("registry_id") or images.get("account_id") or "<account>", region)
    return ("Copy %s into ECR %s:%s of %s with all platforms (`skopeo copy --all docker://%s docker://%s/%s:%s`), "
            "then roll the region's Coder Deployments so their pods pull it." % (
                upstream.get("image"), ecr.get("repository"), ecr.get("tag"), region, upstream.get("image"),
                registry, ecr.get("repository"), ecr.get("tag")))


def _deployment_of(pod_name):
    """A Deployment's pods are named <deployment>-<pod-template-hash>-<suffix>."""
    parts = (pod_name or "").rsplit("-", 2)
    return parts[0] if len(parts) == 3 else pod_name


def _short(digest):
    return (digest or "none")[:19]


def _pod_digests(cluster, components):
    """[(component, pod name, digest)] for the pods of the given components."""
    found = []
    for pod in cluster.get("pods") or []:
        if pod.get("component") in components:
            for image in pod.get("images") or []:
                found.append((pod["component"], pod["name"], image.get("digest")))
    return found


def control_plane_digest(regions):
    """The digest the control plane's Coder server pods run: the reference every other pod is held to.

    Returns (digest or None, cause or None, all digests seen on server pods)."""
    planes = [r for r in regions if r.get("role") == "control_plane"]
    if not planes:
        return None, "no region has role control_plane", []
    cluster = planes[0].get("cluster") or {}
    cause = _section_error(cluster, "pods")
    if cause:
        return None, "control plane pods unreadable: %s" % cause, []
    digests = [digest for dummy_c, dummy_p, digest in _pod_digests(cluster, ("server",))]
    if not digests:
        return None, "no Coder server pods found in the control plane", []
    return Counter(digests).most_common(1)[0][0], None, sorted(set(digests))


def check_running_match(region, reference, reference_cause, server_digests):
    cluster = region.get("cluster") or {}
    cause = _section_error(cluster, "pods") or reference_cause
    if cause:
        return error_result(RUNNING, region["name"], cause)
    components = ("server", "provisioner") if region.get("role") == "control_plane" else ("proxy",)
    pods = _pod_digests(cluster, components)
    details = {"reference_digest": reference, "pods": [{"component": c, "pod": p, "digest": d} for c, p, d in pods]}
    if not pods:
        return result(RUNNING, region["name"], "fail", "no Coder %s pods found (check the pod selectors)"
                      % "/".join(components), details)
    drifted = [(c, p, d) for c, p, d in pods if d != reference]
    if region.get("role") == "control_plane" and len(server_digests) > 1:
        details["server_digests"] = server_digests
        return result(RUNNING, region["name"], "fail", "Coder server pods run %d different digests (a rollout is "
                      "stuck or half done)" % len(server_digests), details)
    if drifted:
        names = ", ".join("%s %s (%s)" % (c, p, _short(d)) for c, p, d in drifted[:5])
        namespaces = dict((pod["name"], pod.get("namespace")) for pod in cluster.get("pods") or [])
        rollouts = sorted(set("kubectl -n %s rollout restart deployment/%s" % (namespaces.get(p) or "coder",
                                                                               _deployment_of(p))
                              for dummy_c, p, dummy_d in drifted))
        return result(RUNNING, region["name"], "fail", "%d of %d pods differ from the control plane's %s: %s" % (
            len(drifted), len(pods), _short(reference), names), details,
            remediation="Once the region's mirror holds %s, roll the Deployments in %s: %s." % (
                _short(reference), region["name"], "; ".join(rollouts)))
    return result(RUNNING, region["name"], "pass", "all %d Coder pods run %s" % (len(pods), _short(reference)),
                  details)


# --- Coder ---------------------------------------------------------------------------------------------------------
def check_proxy_version(region, coder):
    name = region.get("proxy_name")
    cause = _section_error(coder, "buildinfo", "proxies")
    if cause:
        return error_result(PROXY_VERSION, region["name"], cause)
    primary = coder["buildinfo"].get("version")
    proxy = next((p for p in coder.get("proxies") or [] if p.get("name") == name), None)
    if proxy is None:
        return result(PROXY_VERSION, region["name"], "fail", "workspace proxy %r is not registered with Coder"
                      % name, {"registered": [p.get("name") for p in coder.get("proxies") or []]})
    details = {"proxy": name, "proxy_version": proxy.get("version"), "primary_version": primary,
               "proxy_status": proxy.get("status")}
    if not proxy.get("version"):
        return result(PROXY_VERSION, region["name"], "fail", "proxy %s has not reported a version (not connected, "
                      "status %s)" % (name, proxy.get("status")), details)
    if proxy["version"] != primary:
        return result(PROXY_VERSION, region["name"], "fail", "proxy %s runs %s, primary runs %s (Coder itself only "
                      "compares major.minor, so it does not flag this)" % (name, proxy["version"], primary), details)
    return result(PROXY_VERSION, region["name"], "pass", "proxy %s runs %s like the primary" % (name, primary),
                  details)


def check_health(target, coder):
    cause = _section_error(coder, "health")
    if cause:
        return error_result(HEALTH, target, cause)
    health = coder["health"]
    problems = []
    for name, section in sorted((health.get("sections") or {}).items()):
        if section.get("dismissed"):
            continue
        if not section.get("healthy") or section.get("severity") in ("warning", "error"):
            messages = [w.get("message") for w in section.get("warnings") or []]
            if section.get("error"):
                messages.append(section["error"])
            problems.append("%s (%s): %s" % (name, section.get("severity"), "; ".join(m for m in messages if m)))
    details = {"healthy": health.get("healthy"), "severity": health.get("severity"), "problems": problems}
    if health.get("healthy") is False or health.get("severity") == "error":
        cause = "; ".join(problems) or health.get("severity")
        return result(HEALTH, target, "fail", "Coder reports unhealthy: %s" % cause, details)
    if health.get("severity") == "warning":
        return result(HEALTH, target, "warn", "Coder reports warnings: %s" % "; ".join(problems), details)
    return result(HEALTH, target, "pass", "Coder reports healthy (%s)" % health.get("coder_version"), details)


def default_organization(coder, wanted=None):
    for org in coder.get("organizations") or []:
        if (wanted and org["name"] == wanted) or (not wanted and org.get("is_default")):
            return org["name"]
    return None


def check_provisioners(target, coder, plan, organization=None, deployments=()):
    cause = _section_error(coder, "organizations", "provisioner_daemons")
    if cause:
        return error_result(PROVISIONERS, target, cause)
    org = default_organization(coder, organization)
    if org is None:
        wanted = organization or "(default)"
        return result(PROVISIONERS, target, "fail", "organization %r not found in Coder" % wanted)
    daemons = (coder.get("provisioner_daemons") or {}).get(org) or []
    online = [d for d in daemons if d.get("status") != "offline"]
    provisioner_plan = plan.get("provisioners") or {}
    need = provisioner_plan.get("need")
    details = {"organization": org, "online": len(online), "offline": len(daemons) - len(online), "need": need,
               "pending_jobs": (coder.get("pending_jobs") or {}).get(org), "plan": provisioner_plan}
    prediction = ""
    if provisioner_plan.get("predicted_p95_s_at_current") is not None:
        prediction = "; predicted p95 time-to-ready %.0fs now, %.0fs with %s" % (
            provisioner_plan["predicted_p95_s_at_current"], provisioner_plan.get("predicted_p95_s"), need)
        if provisioner_plan.get("target_met_fraction") is not None:
            prediction += " (%.0f%% vs %.0f%% of simulated workshops within the target)" % (
                100 * (provisioner_plan.get("target_met_fraction_at_current") or 0),
                100 * provisioner_plan["target_met_fraction"])
    if need is None:
        return error_result(PROVISIONERS, target, "the capacity plan has no provisioner need", details)
    if len(online) < need:
        return result(PROVISIONERS, target, "fail", "%d online provisioners in %s, %s expected users need %d%s" % (
            len(online), org, plan.get("expected_users"), need, prediction), details,
            remediation="Scale the %s provisioner Deployment%s to at least %d replicas in total before the workshop "
                        "(playbooks/scale_for_workshop.yml, or `kubectl -n <namespace> scale deployment/<name> "
                        "--replicas=%d`)." % (org, (" " + ", ".join(deployments)) if deployments else "", need, need))
    return result(PROVISIONERS, target, "pass", "%d online provisioners in %s, %d needed%s" % (
        len(online), org, need, prediction), details)


def check_templates(coder, template_names):
    if not template_names:
        return result(TEMPLATES, GLOBAL, "skip", "no workshop_templates configured: nothing to check")
    cause = _section_error(coder, "templates")
    if cause:
        return error_result(TEMPLATES, GLOBAL, cause)
    by_name = dict((t["name"], t) for t in coder.get("templates") or [])
    problems, statuses, details = [], [], {}
    version_error = (coder.get("errors") or {}).get("template_versions")
    for name in template_names:
        template = by_name.get(name)
        if template is None:
            problems.append("%s is missing" % name)
            statuses.append("fail")
            continue
        version = template.get("active_version") or {}
        details[name] = {"deprecated": template.get("deprecated"), "active_version": version}
        if template.get("deprecated"):
            problems.append("%s is deprecated" % name)
            statuses.append("fail")
        elif not version:
            problems.append("%s: active version unreadable (%s)" % (name, version_error or "no active version"))
            statuses.append("error")
        elif version.get("import_status") != "succeeded":
            problems.append("%s: active version %s import %s%s" % (
                name, version.get("name"), version.get("import_status"),
                ": %s" % version["import_error"] if version.get("import_error") else ""))
            statuses.append("fail")
        else:
            statuses.append("pass")
    status = worst(statuses)
    if status == "pass":
        return result(TEMPLATES, GLOBAL, "pass", "%d workshop template(s) ready: %s" % (
            len(template_names), ", ".join(template_names)), details)
    return result(TEMPLATES, GLOBAL, status, "; ".join(problems), details)


# --- cluster -------------------------------------------------------------------------------------------------------
def check_storage(region, warn_pct, fail_pct):
    cluster = region.get("cluster") or {}
    cause = _section_error(cluster, "nodes")
    if cause:
        return error_result(STORAGE, region["name"], cause)
    rows, statuses, unreadable = [], [], []
    for node in cluster.get("nodes") or []:
        eph = node.get("ephemeral")
        if not eph:
            unreadable.append("%s (%s)" % (node["name"], node.get("stats_error") or "no stats"))
            continue
        pct = eph["used_pct"]
        status = "fail" if pct >= fail_pct else "warn" if pct >= warn_pct else "pass"
        statuses.append(status)
        rows.append({"node": node["name"], "used_pct": round(pct, 1), "status": status,
                     "used_gib": round(eph["used_bytes"] / GIB, 1), "capacity_gib": round(eph["capacity_bytes"] / GIB, 1)})
    rows.sort(key=lambda r: -r["used_pct"])
    details = {"nodes": rows, "unreadable": unreadable, "warn_pct": warn_pct, "fail_pct": fail_pct}
    status = worst(statuses)
    hot = ", ".join("%s %.0f%%" % (r["node"], r["used_pct"]) for r in rows if r["status"] != "pass")
    if status == "fail":
        return result(STORAGE, region["name"], "fail", "nodes at or above %d%% ephemeral storage: %s" % (
            fail_pct, hot), details)
    if unreadable:
        return error_result(STORAGE, region["name"], "no storage stats for %s" % ", ".join(unreadable), details)
    if status == "warn":
        return result(STORAGE, region["name"], "warn", "nodes at or above %d%%: %s" % (warn_pct, hot), details)
    top = ("highest %s %.0f%%" % (rows[0]["node"], rows[0]["used_pct"])) if rows else "no nodes"
    return result(STORAGE, region["name"], "pass", "%d node(s) below %d%% (%s)" % (len(rows), warn_pct, top),
                  details)


def _nodepool_ready(pool):
    return pool.get("ready") is True


def check_karpenter(region, plan):
    cluster = region.get("cluster") or {}
    cause = _section_error(cluster, "nodepools")
    if cause:
        return error_result(KARPENTER, region["name"], cause)
    pools = cluster.get("nodepools") or []
    details = {"nodepools": pools}
    if not pools:
        return result(KARPENTER, region["name"], "fail", "no Karpenter NodePools found", details,
                      remediation="Install Karpenter's NodePools in %s (the cluster's node provisioning depends on "
                                  "them), then re-run the gate." % region["name"])
    not_ready = ["%s (%s)" % (p["name"], p.get("ready_message") or "Ready condition not True")
                 for p in pools if not _nodepool_ready(p)]
    if not_ready:
        return result(KARPENTER, region["name"], "fail", "NodePools not Ready: %s" % ", ".join(not_ready), details)
    if not region.get("hosts_workspaces"):
        return result(KARPENTER, region["name"], "pass", "%d NodePool(s) Ready" % len(pools), details)
    need = (plan.get("total") or {})
    need_cpu, need_mem = need.get("vcpu"), need.get("memory_gib")
    # Only the pools workspaces schedule on count toward their capacity (a system pool does not).
    names = region.get("workspace_nodepools") or [p["name"] for p in pools]
    workspace_pools = [p for p in pools if p["name"] in names]
    if not workspace_pools:
        return result(KARPENTER, region["name"], "fail", "none of the workspace NodePools %s exists" % names, details,
                      remediation="Create the workspace NodePool(s) %s in %s, or set workspace_nodepools for this "
                                  "host to the pools workspaces run on." % (", ".join(names), region["name"]))
    limits_cpu, limits_mem = _sum_limits(workspace_pools)
    details.update({"workspace_nodepools": names, "need_vcpu": need_cpu, "need_memory_gib": need_mem,
                    "limit_vcpu": limits_cpu,
                    "limit_memory_gib": limits_mem})
    short = []
    if need_cpu is not None and limits_cpu is not None and limits_cpu < need_cpu:
        short.append("vCPU limit %g < %g needed" % (limits_cpu, need_cpu))
    if need_mem is not None and limits_mem is not None and limits_mem < need_mem:
        short.append("memory limit %gGi < %gGi needed" % (limits_mem, need_mem))
    if short:
        return result(KARPENTER, region["name"], "fail", "NodePool limits cannot hold the plan for %s users: %s" % (
            plan.get("expected_users"), "; ".join(short)), details,
            remediation="Raise spec.limits of NodePool(s) %s in %s to at least %s vCPU and %sGi memory in "
                        "total (playbooks/scale_for_workshop.yml sets them from the plan)." % (
                            ", ".join(p["name"] for p in workspace_pools), region["name"], need_cpu, need_mem))
    return result(KARPENTER, region["name"], "pass", "%d NodePool(s) Ready; limits %s vCPU / %s GiB hold the plan "
                  "(%s / %s)" % (len(pools), _fmt_limit(limits_cpu), _fmt_limit(limits_mem), need_cpu, need_mem),
                  details)


def _fmt_limit(value):
    return "unlimited" if value is None else "%g" % value


def _sum_limits(pools):
    """Total cpu and memory (GiB) across NodePools; None means at least one pool is unlimited in that resource."""
    cpu, mem = 0.0, 0.0
    for pool in pools:
        limits = pool.get("limits") or {}
        if "cpu" not in limits:
            cpu = None
        elif cpu is not None:
            cpu += parse_quantity(limits["cpu"])
        if "memory" not in limits:
            mem = None
        elif mem is not None:
            mem += parse_quantity(limits["memory"]) / GIB
    return cpu, mem


def check_litellm_capacity(region, plan, deployment_key):
    cluster = region.get("cluster") or {}
    cause = _section_error(cluster, "deployments")
    if cause:
        return error_result(LITELLM_CAPACITY, region["name"], cause)
    need = (plan.get("litellm_replicas") or {}).get("need")
    deployment = (cluster.get("deployments") or {}).get(deployment_key) or {}
    ready = deployment.get("ready_replicas") or 0
    details = {"deployment": deployment_key, "found": bool(deployment.get("found")),
               "replicas": deployment.get("replicas"), "ready_replicas": ready, "need": need}
    if not deployment.get("found"):
        return result(LITELLM_CAPACITY, region["name"], "warn", "LiteLLM Deployment %s not found; the plan needs %s "
                      "replicas" % (deployment_key, need), details)
    if need is not None and ready < need:
        namespace, dummy_slash, name = deployment_key.partition("/")
        return result(LITELLM_CAPACITY, region["name"], "warn", "%d ready LiteLLM replicas, the plan for %s users "
                      "needs %d" % (ready, plan.get("expected_users"), need), details,
                      remediation="Not a blocker: LiteLLM will serve the workshop with less headroom. Scale "
                                  "Deployment %s to %d replicas (playbooks/scale_for_workshop.yml, or `kubectl -n %s "
                                  "scale deployment/%s --replicas=%d`)." % (
                                      deployment_key, need, namespace, name, need))
    return result(LITELLM_CAPACITY, region["name"], "pass", "%d ready LiteLLM replicas (plan %s)" % (ready, need),
                  details)


# --- LiteLLM key ---------------------------------------------------------------------------------------------------
def check_key_expiry(target, litellm, now, workshop_end, margin_hours, warn_days):
    cause = _section_error(litellm, "key")
    if cause:
        return error_result(KEY_EXPIRY, target, cause)
    key = litellm.get("key") or {}
    details = {"key_alias": key.get("key_alias"), "key_name": key.get("key_name"), "expires": key.get("expires"),
               "workshop_end": isoformat(workshop_end), "margin_hours": margin_hours}
    if not key.get("expires"):
        return result(KEY_EXPIRY, target, "pass", "key %s never expires" % key.get("key_alias"), details)
    expires = parse_timestamp(key["expires"])
    left = expires - now
    deadline = workshop_end + timedelta(hours=margin_hours)
    if expires < deadline:
        when = "expired %s ago" % _human(-left) if left.total_seconds() <= 0 else "expires in %s" % _human(left)
        return result(KEY_EXPIRY, target, "fail", "key %s %s (%s), before the workshop ends (%s) plus %dh" % (
            key.get("key_alias"), when, isoformat(expires), isoformat(workshop_end), margin_hours), details)
    if left < timedelta(days=warn_days):
        return result(KEY_EXPIRY, target, "warn", "key %s expires in %s (%s), within %d days" % (
            key.get("key_alias"), _human(left), isoformat(expires), warn_days), details)
    return result(KEY_EXPIRY, target, "pass", "key %s expires in %s, after the workshop" % (
        key.get("key_alias"), _human(left)), details)


def _human(delta):
    hours = delta.total_seconds() / 3600.0
    return "%.1f days" % (hours / 24) if hours >= 48 else "%.1f hours" % hours


def check_rotation_window(region, cronjob_key, workshop_start, workshop_end):
    cluster = region.get("cluster") or {}
    cause = _section_error(cluster, "cronjobs")
    if cause:
        return error_result(ROTATION, region["name"], cause)
    cronjob = (cluster.get("cronjobs") or {}).get(cronjob_key) or {}
    details = {"cronjob": cronjob_key, "schedule": cronjob.get("schedule"), "suspend": cronjob.get("suspend"),
               "time_zone": cronjob.get("time_zone"), "window": [isoformat(workshop_start), isoformat(workshop_end)]}
    if not cronjob.get("found"):
        return result(ROTATION, region["name"], "warn", "rotation CronJob %s not found: nothing rotates the key, "
                      "so check its expiry by hand" % cronjob_key, details)
    if cronjob.get("suspend"):
        return result(ROTATION, region["name"], "pass", "rotation CronJob %s is suspended" % cronjob_key, details)
    try:
        runs = cron_runs_between(cronjob.get("schedule"), workshop_start, workshop_end, cronjob.get("time_zone"))
    except ValueError as err:
        return result(ROTATION, region["name"], "fail", "rotation CronJob %s has a schedule the gate cannot read: %s"
                      % (cronjob_key, err), details)
    details["runs_in_window"] = [isoformat(r) for r in runs]
    if runs:
        namespace, dummy_slash, name = cronjob_key.partition("/")
        return result(ROTATION, region["name"], "fail", "rotation CronJob %s (%s) runs %s%d time(s) during the "
                      "workshop, first at %s; each rotation restarts every workspace" % (
                          cronjob_key, cronjob.get("schedule"), "at least " if len(runs) >= 20 else "", len(runs),
                          isoformat(runs[0])), details,
                      remediation="Suspend CronJob %s for the workshop window: playbooks/scale_for_workshop.yml "
                                  "does it and post_workshop.yml resumes it, or `kubectl -n %s patch cronjob %s -p "
                                  "'{\"spec\":{\"suspend\":true}}'`." % (cronjob_key, namespace, name))
    return result(ROTATION, region["name"], "pass", "rotation CronJob %s (%s) does not run during the workshop"
                  % (cronjob_key, cronjob.get("schedule")), details)


# --- provisioner versions ------------------------------------------------------------------------------------------
def check_provisioner_version(target, coder, organization=None):
    """Every provisioner daemon of the workshop organization reports the primary's full version: a daemon on
    another build can import templates differently (Coder itself warns only on a major.minor mismatch)."""
    primary = (coder.get("buildinfo") or {}).get("version")
    org = default_organization(coder, organization)
    if org is None:
        return result(PROVISIONER_VERSION, target, "fail", "organization %r not found in Coder"
                      % (organization or "(default)"))
    daemons = (coder.get("provisioner_daemons") or {}).get(org) or []
    online = [d for d in daemons if d.get("status") != "offline"]
    other = ["%s (%s)" % (d.get("name"), d.get("version") or "no version") for d in online
             if d.get("version") != primary]
    details = {"organization": org, "primary_version": primary, "online": len(online),
               "other_versions": other}
    if not online:
        return result(PROVISIONER_VERSION, target, "pass", "no online provisioner daemons in %s to compare (see "
                      "provisioners.capacity)" % org, details)
    if other:
        return result(PROVISIONER_VERSION, target, "fail", "%d of %d online provisioner daemons in %s do not run %s: "
                      "%s" % (len(other), len(online), org, primary, ", ".join(other[:5])), details,
                      remediation="Roll the provisioner Deployment(s) of organization %s onto the primary's image "
                                  "(%s) so every daemon reports %s." % (org, primary, primary))
    return result(PROVISIONER_VERSION, target, "pass", "all %d online provisioner daemons in %s run %s"
                  % (len(online), org, primary), details)


# --- declarations: each check once, with the judge the generic judge calls -----------------------------------------
def _window(ctx):
    return ctx.memo("workshop_window", lambda: time_window(ctx.settings["workshop_start"],
                                                           ctx.settings["workshop_duration_hours"]))


def _reference(ctx):
    return ctx.memo("control_plane_digest", lambda: control_plane_digest(ctx.regions))


def _plan(ctx):
    return ctx.facts.get("plan") or {}


def _judge_mirror(ctx):
    return check_mirror_current(ctx.region)


def _judge_running(ctx):
    return check_running_match(ctx.region, *_reference(ctx))


def _judge_proxy_version(ctx):
    return check_proxy_version(ctx.region, ctx.facts["coder"])


def _judge_health(ctx):
    return check_health(ctx.target, ctx.facts["coder"])


def _judge_provisioners(ctx):
    deployments = ["%s/%s" % (d.get("namespace"), d.get("name")) if isinstance(d, dict) else d
                   for d in ctx.settings.get("provisioner_deployments") or ()]
    return check_provisioners(ctx.target, ctx.facts["coder"], _plan(ctx),
                              ctx.settings.get("coder_organization") or None, deployments)


def _judge_provisioner_version(ctx):
    return check_provisioner_version(ctx.target, ctx.facts["coder"], ctx.settings.get("coder_organization") or None)


def _judge_storage(ctx):
    return check_storage(ctx.region, ctx.settings["storage_warn_pct"], ctx.settings["storage_fail_pct"])


def _judge_key_expiry(ctx):
    dummy_start, end = _window(ctx)
    return check_key_expiry(ctx.target, ctx.facts["litellm"], parse_timestamp(ctx.now), end,
                            ctx.settings["key_expiry_margin_hours"], ctx.settings["key_expiry_warn_days"])


def _judge_rotation(ctx):
    start, end = _window(ctx)
    return check_rotation_window(ctx.region, ctx.settings["litellm_rotation_cronjob"], start, end)


def _judge_karpenter(ctx):
    return check_karpenter(ctx.region, _plan(ctx))


def _judge_litellm_capacity(ctx):
    return check_litellm_capacity(ctx.region, _plan(ctx), ctx.settings["litellm_deployment"])


def _judge_templates(ctx):
    return check_templates(ctx.facts.get("coder") or {}, ctx.settings.get("workshop_templates") or [])


declare(
    MIRROR, FAMILY, "5.2", ("REL08-BP05", "OPS07-BP02"), "critical", ("images",), "region",
    "The region's ECR mirror holds the upstream tag's current digest",
    "Copy the upstream tag into this region's ECR with all platforms (`skopeo copy --all`), then roll the Coder "
    "Deployments of the region so pods pull it.", _judge_mirror,
    fails_when="the region's ECR does not hold the upstream tag's current digest")
declare(
    RUNNING, FAMILY, "3.1", ("REL08-BP04", "OPS07-BP02"), "critical", ("cluster.pods",), "region",
    "Coder server, proxy and provisioner pods run the control plane's image digest",
    "Roll the listed Deployments after the mirror is current (`kubectl rollout restart`) so every pod runs the "
    "control plane's digest.", _judge_running, caused_by=(MIRROR,),
    fails_when="a Coder server/proxy/provisioner pod runs a digest other than the control plane's")
declare(
    PROXY_VERSION, FAMILY, "3.1", ("REL08-BP04", "OPS07-BP02"), "critical", ("coder.buildinfo", "coder.proxies"),
    "proxy", "Each workspace proxy reports the primary's full version string",
    "Upgrade the proxy to the primary's exact build (same image digest), then check `coder wsproxy ls`.",
    _judge_proxy_version, caused_by=(RUNNING,),
    fails_when="a proxy's full version string differs from the primary's")
declare(
    HEALTH, FAMILY, "3.4", ("REL11-BP01", "REL06-BP01"), "high", ("coder.health",), "control_plane",
    "Coder's deployment health report is healthy",
    "Open /api/v2/debug/health (or the Health page), fix each failing section listed in the details.",
    _judge_health, fails_when="`/api/v2/debug/health` is unhealthy (warn on warnings)")
declare(
    PROVISIONERS, FAMILY, "3.5", ("REL07-BP03", "REL07-BP04"), "critical",
    ("coder.organizations", "coder.provisioner_daemons", "plan"), "control_plane",
    "Enough online provisioner daemons in the workshop organization",
    "Scale the workshop organization's provisioner Deployment to the plan (playbooks/scale_for_workshop.yml).",
    _judge_provisioners, fails_when="online workshop-org provisioners < the plan's need")
declare(
    STORAGE, FAMILY, "3.3", ("REL06-BP01", "REL07-BP03"), "critical", ("cluster.nodes",), "region",
    "Every node has ephemeral-storage headroom",
    "Drain and replace the listed nodes, or raise the EC2NodeClass root volume size; find what fills the disk "
    "with the kubelet stats summary.", _judge_storage,
    warn_remediation="Not a blocker yet: watch the listed nodes during the workshop, and find what fills their disks "
                     "(kubelet stats summary) before they reach the fail threshold; replacing them now is optional.",
    fails_when="a node at or above 85 % ephemeral storage (warn at 70 %)")
declare(
    KEY_EXPIRY, FAMILY, "3.4", ("SEC02-BP03", "OPS07-BP02"), "critical", ("litellm.key",), "control_plane",
    "The LiteLLM key outlives the workshop",
    "Rotate the LiteLLM key now (outside the workshop window) to one that expires after the workshop ends plus "
    "the margin, and update the Secret the workspaces read.", _judge_key_expiry,
    warn_remediation="The key outlives the workshop but expires soon: schedule its rotation for after the workshop "
                     "(never inside the window).",
    fails_when="the key expires before the workshop ends plus a margin (warn within 7 days)")
declare(
    ROTATION, FAMILY, "3.4", ("OPS07-BP02", "SEC02-BP03"), "critical", ("cluster.cronjobs",), "control_plane",
    "The LiteLLM key-rotation CronJob does not run during the workshop",
    "Suspend the rotation CronJob for the workshop window (playbooks/scale_for_workshop.yml does it and "
    "post_workshop.yml resumes it).", _judge_rotation,
    fails_when="the rotation CronJob runs inside the workshop window and is not suspended")
declare(
    KARPENTER, FAMILY, "3.5", ("REL01-BP06", "REL07-BP01"), "high", ("cluster.nodepools", "plan"), "region",
    "Karpenter NodePools are Ready and their limits hold the plan",
    "Fix the NodePool's Ready condition (see its status in the details).", _judge_karpenter,
    fails_when="a NodePool is not Ready, or workspace NodePool limits cannot hold the plan")
declare(
    LITELLM_CAPACITY, FAMILY, "3.5", ("REL07-BP03",), "medium", ("cluster.deployments", "plan"), "control_plane",
    "LiteLLM replicas meet the plan",
    "Scale the LiteLLM Deployment to the plan's replicas (playbooks/scale_for_workshop.yml).",
    _judge_litellm_capacity,
    fails_when="LiteLLM ready replicas below the plan (warn)")
declare(
    TEMPLATES, FAMILY, "3.4", ("OPS07-BP02", "REL08-BP02"), "critical", ("coder.templates",), "global",
    "Workshop templates exist, are not deprecated, and their active version imported",
    "Push or un-deprecate the template, and promote a version whose import job succeeded "
    "(`coder templates versions list <template>`).", _judge_templates,
    fails_when="a workshop template is missing, deprecated, or its active version's import failed")
declare(
    PROVISIONER_VERSION, FAMILY, "3.1", ("REL08-BP04", "OPS07-BP02"), "high",
    ("coder.buildinfo", "coder.organizations", "coder.provisioner_daemons"), "control_plane",
    "The workshop organization's provisioner daemons run the primary's version",
    "Roll the workshop organization's provisioner Deployment onto the primary's image.",
    _judge_provisioner_version, caused_by=(RUNNING,),
    fails_when="an online workshop-org provisioner daemon reports a version other than the primary's")

CHECK_IDS = (MIRROR, RUNNING, PROXY_VERSION, HEALTH, PROVISIONERS, STORAGE, KEY_EXPIRY, ROTATION, KARPENTER,
             LITELLM_CAPACITY, TEMPLATES, PROVISIONER_VERSION)


def judge(gate):
    """All pre-workshop check results for the gate input described in the module docstring."""
    return judge_checks(gate, [FAMILY])
