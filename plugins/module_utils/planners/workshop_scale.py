# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What scale_for_workshop.yml changes, and exactly how post_workshop.yml puts it back.

``scale_changes`` compares the cluster's objects (as kubernetes.core.k8s_info returns them) with the capacity plan
and returns one merge patch per object that must change, each with the patch that restores the previous values.
The restore patches are kept in a ConfigMap in the cluster (not on a laptop), so whoever runs post_workshop.yml -
the facilitator, AWX, a colleague - puts back exactly what was changed and nothing else. Running the scale again
adds nothing to the record for values it already changed, so the record always holds the values from before the
workshop, and a second run changes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
from datetime import timedelta

from ansible_collections.coder.ai_platform.plugins.module_utils.core.quantity import GIB, parse_quantity
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat, parse_timestamp, time_window

RECORD_NAME = "coder-workshop-scale-record"
RECORD_KEY = "record.json"
DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"
BUDGET_REASONS = ["Empty", "Drifted", "Underutilized"]


def _ref(obj):
    meta = obj["metadata"]
    return {"api_version": obj["apiVersion"], "kind": obj["kind"], "namespace": meta.get("namespace"),
            "name": meta["name"]}


def _key(ref):
    return "%s/%s/%s" % (ref["kind"], ref.get("namespace") or "", ref["name"])


def budget_for_window(start, end, lead_minutes):
    """A Karpenter NodePool budget that allows no voluntary disruption from ``lead_minutes`` before the start to
    the end. Karpenter schedules are cron in UTC; a date-specific cron fires on that date only (yearly)."""
    begin = start - timedelta(minutes=lead_minutes)
    minutes = int(math.ceil((end - begin).total_seconds() / 60.0))
    return {"nodes": "0", "reasons": list(BUDGET_REASONS),
            "schedule": "%d %d %d %d *" % (begin.minute, begin.hour, begin.day, begin.month),
            "duration": "%dh%dm" % (minutes // 60, minutes % 60) if minutes % 60 else "%dh" % (minutes // 60)}


def _at_least(current, wanted):
    return current is not None and current >= wanted


def _provisioner_change(target, need):
    """Raise the autoscaler's floor when a ScaledObject drives the Deployment, else the replicas."""
    scaled = target.get("scaledobject")
    if scaled:
        current = (scaled.get("spec") or {}).get("minReplicaCount")
        if _at_least(current, need):
            return None
        return (scaled, {"spec": {"minReplicaCount": need}}, {"spec": {"minReplicaCount": current}},
                "minReplicaCount %s -> %d" % (current, need), "minReplicaCount back to %s" % current)
    return _replicas_change(target.get("deployment"), need)


def _replicas_change(deployment, need):
    if not deployment:
        return None
    current = (deployment.get("spec") or {}).get("replicas", 1)
    if current >= need:
        return None
    return (deployment, {"spec": {"replicas": need}}, {"spec": {"replicas": current}},
            "replicas %d -> %d" % (current, need), "replicas back to %d" % current)


def _nodepool_change(pool, total, budget):
    spec = pool.get("spec") or {}
    limits = dict(spec.get("limits") or {})
    patch, restore, notes, undo = {"spec": {}}, {"spec": {}}, [], []
    wanted = dict(limits)
    for resource, need, unit in (("cpu", total.get("vcpu"), 1.0), ("memory", total.get("memory_gib"), GIB)):
        if need is None or resource not in limits:
            continue  # no limit means unlimited: nothing to raise
        if parse_quantity(limits[resource]) < need * unit:
            wanted[resource] = "%d" % need if resource == "cpu" else "%dGi" % need
            notes.append("limits.%s %s -> %s" % (resource, limits[resource], wanted[resource]))
    if wanted != limits:
        patch["spec"]["limits"] = wanted
        restore["spec"]["limits"] = spec.get("limits")
        undo.append("limits back to %s" % ", ".join("%s=%s" % item for item in sorted(limits.items())))
    budgets = list((spec.get("disruption") or {}).get("budgets") or [])
    if budget not in budgets:
        patch["spec"]["disruption"] = {"budgets": budgets + [budget]}
        restore["spec"]["disruption"] = {"budgets": budgets or None}
        notes.append("budget nodes=0 %s for %s" % (budget["schedule"], budget["duration"]))
        undo.append("workshop disruption budget removed")
    if not notes:
        return None
    return pool, patch, restore, "; ".join(notes), "; ".join(undo)


def _cronjob_change(cronjob):
    if not cronjob or (cronjob.get("spec") or {}).get("suspend"):
        return None
    return (cronjob, {"spec": {"suspend": True}}, {"spec": {"suspend": False}}, "suspended for the workshop",
            "resumed")


def _pod_change(pod):
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    if annotations.get(DO_NOT_DISRUPT) == "true" or (pod.get("status") or {}).get("phase") != "Running":
        return None
    return (pod, {"metadata": {"annotations": {DO_NOT_DISRUPT: "true"}}},
            {"metadata": {"annotations": {DO_NOT_DISRUPT: annotations.get(DO_NOT_DISRUPT)}}},
            "annotated %s" % DO_NOT_DISRUPT, "%s removed" % DO_NOT_DISRUPT)


def scale_changes(state, plan, window, lead_minutes=30):
    """The changes that apply ``plan`` for ``window`` (``{start, end}`` ISO), and the updated record.

    ``state``: ``provisioners`` [{deployment, scaledobject}], ``litellm`` (Deployment or None), ``nodepools``
    (the workspace NodePools), ``cronjob`` (or None), ``pods`` (workspace pods), ``record`` (the ConfigMap or None).
    Returns ``{"changes": [{ref..., patch, summary}], "record": record dict or None when unchanged}``.
    """
    start, end = parse_timestamp(window["start"]), parse_timestamp(window["end"])
    budget = budget_for_window(start, end, lead_minutes)
    need = plan["provisioners"]["need"]
    found = [_provisioner_change(target, need) for target in state.get("provisioners") or []]
    found.append(_replicas_change(state.get("litellm"), plan["litellm_replicas"]["need"]))
    found.extend(_nodepool_change(pool, plan["total"], budget) for pool in state.get("nodepools") or [])
    found.append(_cronjob_change(state.get("cronjob")))
    found.extend(_pod_change(pod) for pod in state.get("pods") or [])
    changes = []
    record = read_record(state.get("record"))
    recorded = set(_key(entry) for entry in record["restore"])
    new_entries = []
    for item in found:
        if item is None:
            continue
        obj, patch, restore, summary, undo = item
        ref = _ref(obj)
        changes.append(dict(ref, patch=patch, summary="%s %s: %s" % (ref["kind"], _name(ref), summary)))
        if _key(ref) not in recorded:  # keep the value from before the FIRST scale-up
            new_entries.append(dict(ref, patch=restore, summary="%s %s: %s" % (ref["kind"], _name(ref), undo)))
    updated = None
    if new_entries:
        updated = dict(record, restore=record["restore"] + new_entries, window=dict(window),
                       expected_users=plan.get("expected_users"), provisioners=need)
    return {"changes": changes, "record": updated}


def _name(ref):
    return "%s/%s" % (ref["namespace"], ref["name"]) if ref.get("namespace") else ref["name"]


def state_from_reads(provisioners, scaledobjects, others, nodepool_names):
    """The ``state`` scale_changes wants, from the registered results of the role's k8s_info loops:
    ``provisioners`` and ``scaledobjects`` in the same order, ``others`` keyed by ``item.key``."""
    def first(result):
        resources = (result or {}).get("resources") or []
        return resources[0] if resources else None
    by_key = dict((r["item"]["key"], r) for r in others)
    pools = (by_key.get("nodepools") or {}).get("resources") or []
    if nodepool_names:
        pools = [p for p in pools if p["metadata"]["name"] in nodepool_names]
    return {
        "provisioners": [{"deployment": first(d), "scaledobject": first(o)} for d, o in zip(provisioners, scaledobjects)],
        "litellm": first(by_key.get("litellm")), "nodepools": pools, "cronjob": first(by_key.get("cronjob")),
        "pods": (by_key.get("pods") or {}).get("resources") or [], "record": first(by_key.get("record")),
    }


def workshop_window(workshop_start, duration_hours):
    start, end = time_window(workshop_start, duration_hours)
    return {"start": isoformat(start), "end": isoformat(end)}


def read_record(configmap):
    """The record dict kept in the ConfigMap, or an empty record."""
    if not configmap:
        return {"version": 1, "restore": []}
    text = ((configmap.get("data") or {}).get(RECORD_KEY)) or "{}"
    record = json.loads(text)
    record.setdefault("restore", [])
    return record


def record_configmap(record, namespace, recorded_at):
    """The ConfigMap that holds ``record``; ``recorded_at`` (the caller's clock) is kept from the first write."""
    body = dict(record, recorded_at=record.get("recorded_at") or recorded_at)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": RECORD_NAME, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "coder.ai_platform",
                                    "app.kubernetes.io/component": "workshop-scale-record"}},
            "data": {RECORD_KEY: json.dumps(body, indent=1, sort_keys=True)}}


def restore_changes(configmap):
    """The restore patches recorded by scale_changes, in the order they were recorded."""
    return read_record(configmap)["restore"]
