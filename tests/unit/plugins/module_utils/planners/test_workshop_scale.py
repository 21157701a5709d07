# -*- coding: utf-8 -*-
"""scale_for_workshop / post_workshop logic: what is changed, what is recorded, and that restoring is exact."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest
from kube_fake import merge_patch  # the sandbox's API server applies merge patches this way (RFC 7386)

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import workshop_scale as ws

WINDOW = {"start": "2026-11-27T09:00:00Z", "end": "2026-11-27T17:00:00Z"}
PLAN = {"expected_users": 25, "provisioners": {"need": 20}, "litellm_replicas": {"need": 7},
        "total": {"vcpu": 172, "memory_gib": 331}}


def deployment(name, namespace, replicas):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas}}


def world():
    return {
        "provisioners": [{"deployment": deployment("coder-provisioner-default", "coder", 6), "scaledobject": None}],
        "litellm": deployment("litellm", "litellm", 4),
        "nodepools": [{"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "workspaces"},
                       "spec": {"limits": {"cpu": "64", "memory": "256Gi"},
                                "disruption": {"budgets": [{"nodes": "10%"}]}}}],
        "cronjob": {"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "litellm-key-rotation", "namespace": "litellm"},
                    "spec": {"schedule": "0 */4 * * *", "suspend": False}},
        "pods": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ws-a", "namespace": "coder-workspaces"},
                  "status": {"phase": "Running"}},
                 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ws-pending", "namespace": "coder-workspaces"},
                  "status": {"phase": "Pending"}},
                 {"apiVersion": "v1", "kind": "Pod", "metadata": {
                     "name": "ws-b", "namespace": "coder-workspaces",
                     "annotations": {ws.DO_NOT_DISRUPT: "true", "keep": "me"}}, "status": {"phase": "Running"}}],
        "record": None,
    }


def objects(state):
    found = [p["deployment"] for p in state["provisioners"]] + [state["litellm"], state["cronjob"]]
    return dict(("%s/%s/%s" % (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]), o)
                for o in found + state["nodepools"] + state["pods"])


def apply_patches(state, changes):
    """Apply merge patches to the objects held in ``state`` in place (what kubernetes.core.k8s patched does).
    Like the API server, an annotations map left empty is dropped."""
    objs = objects(state)
    for change in changes:
        obj = objs["%s/%s/%s" % (change["kind"], change["namespace"], change["name"])]
        patched = merge_patch(obj, change["patch"])
        if patched["metadata"].get("annotations") == {}:
            del patched["metadata"]["annotations"]
        obj.clear()
        obj.update(patched)


def configmap(record):
    return ws.record_configmap(record, "coder", "2026-11-25T10:00:00Z")


def test_scale_up_changes_every_object_below_the_plan():
    result = ws.scale_changes(world(), PLAN, WINDOW)
    summaries = [c["summary"] for c in result["changes"]]
    assert summaries == [
        "Deployment coder/coder-provisioner-default: replicas 6 -> 20",
        "Deployment litellm/litellm: replicas 4 -> 7",
        "NodePool workspaces: limits.cpu 64 -> 172; limits.memory 256Gi -> 331Gi; budget nodes=0 30 8 27 11 * for 8h30m",
        "CronJob litellm/litellm-key-rotation: suspended for the workshop",
        "Pod coder-workspaces/ws-a: annotated karpenter.sh/do-not-disrupt",
    ]  # ws-pending is not running; ws-b is already protected
    pool_patch = result["changes"][2]["patch"]
    assert pool_patch["spec"]["disruption"]["budgets"] == [
        {"nodes": "10%"}, {"nodes": "0", "reasons": ["Empty", "Drifted", "Underutilized"], "schedule": "30 8 27 11 *",
                           "duration": "8h30m"}]
    assert [e["summary"] for e in result["record"]["restore"]] == [
        "Deployment coder/coder-provisioner-default: replicas back to 6", "Deployment litellm/litellm: replicas back to 4",
        "NodePool workspaces: limits back to cpu=64, memory=256Gi; workshop disruption budget removed",
        "CronJob litellm/litellm-key-rotation: resumed", "Pod coder-workspaces/ws-a: karpenter.sh/do-not-disrupt removed"]


def test_scale_then_restore_gives_back_exactly_the_original_objects():
    state = world()
    original = copy.deepcopy(state)
    first = ws.scale_changes(state, PLAN, WINDOW)
    apply_patches(state, first["changes"])
    assert state["provisioners"][0]["deployment"]["spec"]["replicas"] == 20
    state["record"] = configmap(first["record"])

    again = ws.scale_changes(state, PLAN, WINDOW)
    assert again == {"changes": [], "record": None}  # a second run changes nothing and records nothing

    apply_patches(state, ws.restore_changes(state["record"]))
    state["record"] = None
    assert state == original


def test_a_second_scale_up_with_a_bigger_plan_keeps_the_original_values_in_the_record():
    state = world()
    first = ws.scale_changes(state, PLAN, WINDOW)
    apply_patches(state, first["changes"])
    state["record"] = configmap(first["record"])
    bigger = copy.deepcopy(PLAN)
    bigger["provisioners"]["need"] = 30
    second = ws.scale_changes(state, bigger, WINDOW)
    assert [c["summary"] for c in second["changes"]] == [
        "Deployment coder/coder-provisioner-default: replicas 20 -> 30"]
    assert second["record"] is None  # already recorded: 6 stays the value to go back to
    restore = ws.restore_changes(state["record"])
    assert restore[0]["patch"] == {"spec": {"replicas": 6}}


def test_a_new_object_after_the_first_scale_up_is_added_to_the_record():
    state = world()
    first = ws.scale_changes(state, PLAN, WINDOW)
    apply_patches(state, first["changes"])
    state["record"] = configmap(first["record"])
    state["pods"].append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ws-c", "namespace": "coder-workspaces"},
                          "status": {"phase": "Running"}})
    second = ws.scale_changes(state, PLAN, WINDOW)
    assert [e["name"] for e in second["record"]["restore"]][-1] == "ws-c"
    assert len(second["record"]["restore"]) == len(first["record"]["restore"]) + 1


def test_a_scaledobject_gets_its_floor_raised_instead_of_the_replicas():
    state = world()
    state["provisioners"][0]["scaledobject"] = {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "coder-provisioner-default", "namespace": "coder"}, "spec": {"minReplicaCount": 2}}
    result = ws.scale_changes(state, PLAN, WINDOW)
    assert result["changes"][0]["kind"] == "ScaledObject"
    assert result["changes"][0]["patch"] == {"spec": {"minReplicaCount": 20}}
    assert result["record"]["restore"][0]["patch"] == {"spec": {"minReplicaCount": 2}}
    state["provisioners"][0]["scaledobject"]["spec"] = {}  # no floor set: restoring removes ours
    assert ws.scale_changes(state, PLAN, WINDOW)["record"]["restore"][0]["patch"] == {
        "spec": {"minReplicaCount": None}}


def test_never_lowers_and_never_invents_limits():
    state = world()
    state["provisioners"][0]["deployment"]["spec"]["replicas"] = 40
    state["litellm"] = None
    state["cronjob"] = None
    state["nodepools"][0]["spec"] = {"limits": {"cpu": "1000"}, "disruption": {"budgets": []}}
    state["pods"] = []
    result = ws.scale_changes(state, PLAN, WINDOW)
    assert [c["summary"] for c in result["changes"]] == [
        "NodePool workspaces: budget nodes=0 30 8 27 11 * for 8h30m"]  # memory unlimited, cpu above the plan
    assert result["record"]["restore"][0]["patch"] == {"spec": {"disruption": {"budgets": None}}}


@pytest.mark.parametrize("start, end, lead, expected", [
    ("2026-11-27T09:00:00Z", "2026-11-27T17:00:00Z", 30, ("30 8 27 11 *", "8h30m")),
    ("2026-11-27T09:00:00Z", "2026-11-27T17:00:00Z", 0, ("0 9 27 11 *", "8h")),
    ("2026-12-01T00:15:00Z", "2026-12-01T04:00:00Z", 30, ("45 23 30 11 *", "4h15m")),  # crosses midnight
])
def test_budget_for_window(start, end, lead, expected):
    from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import parse_timestamp
    budget = ws.budget_for_window(parse_timestamp(start), parse_timestamp(end), lead)
    assert (budget["schedule"], budget["duration"]) == expected and budget["nodes"] == "0"


def test_state_from_reads_and_window():
    pools = [{"metadata": {"name": "system"}}, {"metadata": {"name": "workspaces"}}]
    reads_others = [{"item": {"key": "litellm"}, "resources": [deployment("litellm", "litellm", 4)]},
                    {"item": {"key": "nodepools"}, "resources": pools},
                    {"item": {"key": "cronjob"}, "resources": []},
                    {"item": {"key": "pods"}, "resources": []},
                    {"item": {"key": "record"}, "resources": []}]
    state = ws.state_from_reads([{"resources": [deployment("p", "coder", 6)]}], [{"api_found": False}],
                                reads_others, ["workspaces"])
    assert state["provisioners"] == [{"deployment": deployment("p", "coder", 6), "scaledobject": None}]
    assert [p["metadata"]["name"] for p in state["nodepools"]] == ["workspaces"]
    assert state["cronjob"] is None and state["record"] is None
    assert ws.workshop_window("2026-11-27T09:00:00Z", 8) == WINDOW


def test_record_configmap_keeps_the_first_recording_time():
    cm = configmap({"version": 1, "restore": [{"summary": "x"}]})
    record = json.loads(cm["data"][ws.RECORD_KEY])
    assert cm["metadata"]["name"] == ws.RECORD_NAME and record["recorded_at"] == "2026-11-25T10:00:00Z"
    later = ws.record_configmap(record, "coder", "2026-11-26T00:00:00Z")
    assert json.loads(later["data"][ws.RECORD_KEY])["recorded_at"] == "2026-11-25T10:00:00Z"
    assert ws.restore_changes(None) == []
