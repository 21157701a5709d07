"""Provisioner autoscaling against the sandbox: the role applies the KEDA objects (idempotent, check mode changes
nothing, the token never shows), and the queue-depth query is shown correct - exactly the request KEDA would send,
built from the applied objects, counts the jobs in flight that an independent count finds, and the HPA arithmetic
on it gives the expected daemons, while the queue fills and when it has drained.

There is no KEDA controller in the sandbox: what KEDA does with the objects is emulated from its source
(module_utils/planners/keda.py: metrics_api_request follows metrics_api_scaler.go, gjson_get is a documented GJSON subset).
"""

import base64
import copy
import json
import math
import re
import time
import urllib.request

import jsonschema
import pytest
import yaml
from kubernetes import config as k8s_config
from kubernetes.client import AppsV1Api, CoreV1Api, CustomObjectsApi
from kubernetes.client.rest import ApiException

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import keda
from conftest import REPO

pytestmark = pytest.mark.sandbox

NAMESPACE, DEPLOYMENT = "coder", "coder-provisioner-default"
SECRET, TRIGGER_AUTH = "coder-provisioner-autoscaling-token", "coder-provisioner-autoscaling"
DAEMONS = 2  # the Deployment is scaled down to this so that jobs queue
WORKSPACES = 10


def kube(sandbox):
    client = k8s_config.new_client_from_config(config_file=sandbox.endpoints["kube"]["kubeconfig"],
                                               context="sandbox-us-east-2")
    return AppsV1Api(client), CoreV1Api(client), CustomObjectsApi(client)


def keda_objects(sandbox):
    """(ScaledObject, TriggerAuthentication, Secret data) as applied, or None for each one that is absent."""
    dummy_apps, core, custom = kube(sandbox)
    found = []
    for plural, name in (("scaledobjects", DEPLOYMENT), ("triggerauthentications", TRIGGER_AUTH)):
        try:
            found.append(custom.get_namespaced_custom_object("keda.sh", "v1alpha1", NAMESPACE, plural, name))
        except ApiException as err:
            assert err.status == 404
            found.append(None)
    try:
        found.append(core.read_namespaced_secret(SECRET, NAMESPACE).data)
    except ApiException as err:
        assert err.status == 404
        found.append(None)
    return found


def changed(run):
    match = re.search(r"us-east-2\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", run.output)
    assert match, run.output[-3000:]
    return int(match.group(1))


@pytest.fixture(scope="module")
def applied(sandbox_factory, tmp_path_factory):
    sandbox = sandbox_factory("healthy")
    tmp = tmp_path_factory.mktemp("provisioner-autoscaling")
    runs = {}
    started = time.monotonic()
    runs["check_fresh"] = sandbox.playbook("provisioner_autoscaling.yml", tmp / "check-fresh", "--check", "--diff", "-v")
    fresh = keda_objects(sandbox)
    runs["first"] = sandbox.playbook("provisioner_autoscaling.yml", tmp / "first", "-v")
    runs["second"] = sandbox.playbook("provisioner_autoscaling.yml", tmp / "second", "-v")
    runs["check"] = sandbox.playbook("provisioner_autoscaling.yml", tmp / "check", "--check", "--diff", "-v")
    print("provisioner_autoscaling.yml: 4 runs in %.1f s" % (time.monotonic() - started))
    return sandbox, runs, fresh


def test_check_mode_on_a_fresh_cluster_shows_changes_and_makes_none(applied):
    dummy_sandbox, runs, fresh = applied
    assert changed(runs["check_fresh"]) == 3  # Secret, TriggerAuthentication, ScaledObject
    assert "+++ after" in runs["check_fresh"].output and "kind: ScaledObject" in runs["check_fresh"].output
    assert fresh == [None, None, None]


def test_the_role_applies_a_scaled_object_per_deployment_then_changes_nothing(applied):
    sandbox, runs, dummy_fresh = applied
    assert changed(runs["first"]) == 3
    assert changed(runs["second"]) == 0
    assert changed(runs["check"]) == 0
    scaled, auth, secret = keda_objects(sandbox)
    spec = scaled["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": DEPLOYMENT}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"], spec["pollingInterval"]) == (1, 50, 15)
    queue, cron = spec["triggers"]
    orgs = coder_get(sandbox, "/api/v2/organizations")
    default_org = [o["id"] for o in orgs if o["is_default"]][0]
    assert queue["metadata"]["url"] == "%s/api/v2/organizations/%s/provisionerjobs?limit=1000&status=pending,running," \
                                       "canceling" % (sandbox.endpoints["coder"]["url"], default_org)
    # The sandbox's workshop starts 48 h after the sandbox: the cron trigger holds the plan from 30 min before.
    workshop = sandbox.endpoints["workshop"]
    window = keda.cron_window(workshop["workshop_start"], workshop["workshop_duration_hours"], 30, "UTC")
    assert cron["type"] == "cron"
    assert (cron["metadata"]["start"], cron["metadata"]["end"]) == (window["start"], window["end"])
    assert 1 < int(cron["metadata"]["desiredReplicas"]) <= 50
    assert "at least %s from %s" % (cron["metadata"]["desiredReplicas"], window["begins_at"]) in runs["first"].output
    assert auth["spec"]["secretTargetRef"] == [{"parameter": "apiKey", "name": SECRET, "key": "token"}]
    assert base64.b64decode(secret["token"]).decode() == sandbox.endpoints["coder"]["token"]
    for obj in (scaled, auth):
        assert crd_errors(obj) == [], obj


def test_the_token_never_reaches_the_output(applied):
    sandbox, runs, dummy_fresh = applied
    token = sandbox.endpoints["coder"]["token"]
    for name, run in runs.items():
        assert run.returncode == 0, run.output[-3000:]
        for what, secret in dict(sandbox.secrets, **{"token (base64)": base64.b64encode(token.encode()).decode()}
                                 ).items():
            assert secret not in run.output, "%s leaked into the %s run" % (what, name)


def test_a_token_that_cannot_read_the_queue_stops_the_role_before_any_change(applied, tmp_path):
    sandbox = applied[0]
    before = keda_objects(sandbox)
    wrong = "not-a-coder-token-0123456789"
    run = sandbox.playbook("provisioner_autoscaling.yml", tmp_path, "-v", "-e",
                           "provisioner_autoscaling_keda_token=%s" % wrong)
    assert run.returncode != 0
    assert re.search(r"GET http://127\.0\.0\.1:\d+/api/v2/organizations/[-0-9a-f]+/provisionerjobs\S* answered 401",
                     run.output), run.output[-3000:]
    assert wrong not in run.output and sandbox.endpoints["coder"]["token"] not in run.output
    assert keda_objects(sandbox) == before


def test_the_trigger_query_counts_the_jobs_in_flight(applied):
    """(a) The query is shown correct: KEDA's request, rebuilt from the applied objects, reads as many jobs in flight
    as the workspaces' latest builds show, at every moment the independent count did not move around it."""
    sandbox = applied[0]
    scaled, auth, secret = keda_objects(sandbox)
    queue = scaled["spec"]["triggers"][0]
    url, headers = keda.metrics_api_request(queue["metadata"], keda.auth_params(auth, {SECRET: secret}))
    target = float(queue["metadata"]["targetValue"])
    low, high = scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]

    def read_trigger():
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            jobs = json.load(response)
        return keda.metric_value(jobs, queue["metadata"]["valueLocation"]), jobs

    apps = kube(sandbox)[0]
    apps.patch_namespaced_deployment_scale(DEPLOYMENT, NAMESPACE, {"spec": {"replicas": DAEMONS}})
    assert read_trigger()[0] == 0
    template = [t["id"] for t in coder_get(sandbox, "/api/v2/templates") if t["name"] == "ai-workshop"][0]
    for index in range(WORKSPACES):
        coder_post(sandbox, "/api/v2/users/me/workspaces", {"name": "keda-%02d" % index, "template_id": template})

    samples, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        before = in_flight(sandbox)
        value, jobs = read_trigger()
        after = in_flight(sandbox)
        if before == after:  # nothing finished in between: the count is exact for that moment
            statuses = [j["status"] for j in jobs]
            samples.append({"value": value, "count": before, "pending": statuses.count("pending"),
                            "running": statuses.count("running")})
            assert value == before, samples[-1]
            expected = max(low, min(high, int(math.ceil(before / target))))
            assert keda.hpa_replicas(value, target, low, high) == expected
        if before == after == 0:
            break
        time.sleep(0.02)
    print("trigger samples (value, pending, running): %s" % sorted(
        set((int(s["value"]), s["pending"], s["running"]) for s in samples), reverse=True))
    assert samples and samples[-1]["value"] == 0, "the queue did not drain"
    assert keda.hpa_replicas(samples[-1]["value"], target, low, high) == low == 1
    full = [s for s in samples if s["value"] == WORKSPACES]
    assert full, "no sample while all %d jobs were in flight" % WORKSPACES
    # pending and running both count: with pending only the value would fall to 8 as the 2 daemons take jobs
    assert full[0]["running"] == DAEMONS and full[0]["pending"] == WORKSPACES - DAEMONS
    assert keda.hpa_replicas(full[0]["value"], target, low, high) == WORKSPACES
    assert len({int(s["value"]) for s in samples}) >= 3  # it followed the queue down


# --- helpers ------------------------------------------------------------------------------------------------------

def coder_get(sandbox, path):
    request = urllib.request.Request(sandbox.endpoints["coder"]["url"] + path,
                                     headers={"Coder-Session-Token": sandbox.endpoints["coder"]["token"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def coder_post(sandbox, path, body):
    request = urllib.request.Request(sandbox.endpoints["coder"]["url"] + path, data=json.dumps(body).encode(),
                                     method="POST", headers={"Coder-Session-Token": sandbox.endpoints["coder"]["token"],
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def in_flight(sandbox):
    """Independent count: workspaces whose latest build's job holds or waits for a daemon."""
    workspaces = coder_get(sandbox, "/api/v2/workspaces")["workspaces"]
    return sum(1 for w in workspaces if w["latest_build"]["job"]["status"] in keda.IN_FLIGHT_STATUSES)


def _strict(node):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)
    return node


def crd_errors(obj):
    """Errors of an object as read back from the cluster against its KEDA CRD (tests/data/keda), unknown fields
    forbidden; the server-side metadata fields are dropped first."""
    plural = {"ScaledObject": "scaledobjects", "TriggerAuthentication": "triggerauthentications"}[obj["kind"]]
    crd = yaml.safe_load((REPO / "tests" / "data" / "keda" / ("keda.sh_%s.yaml" % plural)).read_text())
    schema = _strict(copy.deepcopy(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]))
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(obj)]
