"""The Kubernetes fake, exercised through real clients: the `kubernetes` client and kubernetes.core via Ansible."""

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from kube_fake import RESOURCES, KubeFake, write_kubeconfig

VENV_BIN = Path(sys.executable).parent
TOKEN = "sandbox-token-5f0c2e"
CONTEXT = "sandbox-us-east-2"
IMAGE = "ghcr.io/coder/app:v1"
DIGEST_1 = "sha256:" + "1" * 64
DIGEST_2 = "sha256:" + "2" * 64
STRATEGIC, MERGE = "application/strategic-merge-patch+json", "application/merge-patch+json"
JSON_PATCH, APPLY = "application/json-patch+json", "application/apply-patch+yaml"


class Resolver:
    """A registry stand-in whose tags can be re-pointed; records every lookup."""

    def __init__(self, tags):
        self.tags = dict(tags)
        self.calls = []

    def __call__(self, image):
        self.calls.append(image)
        return self.tags.get(image)


@pytest.fixture
def resolver():
    return Resolver({IMAGE: DIGEST_1})


@pytest.fixture
def fake(resolver):
    server = KubeFake("us-east-2", TOKEN, image_resolver=resolver)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kubeconfig(fake, tmp_path):
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, [("sandbox-eu-west-1", "http://127.0.0.1:1", "other"), (CONTEXT, fake.url, TOKEN)])
    return path


@pytest.fixture
def api(kubeconfig):
    api_client = k8s_config.new_client_from_config(config_file=str(kubeconfig), context=CONTEXT)
    yield api_client
    api_client.close()


def deployment(name="web", replicas=2, image=IMAGE, **template_annotations):
    template_meta = {"labels": {"app": name}}
    if template_annotations:
        template_meta["annotations"] = template_annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": template_meta,
                                  "spec": {"containers": [{"name": "app", "image": image},
                                                          {"name": "sidecar", "image": "busybox:1.36"}]}}}}


def http(fake, method, path, body=None, token=TOKEN, content_type="application/json"):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(fake.url + path, data=data, method=method)
    request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def api_error(excinfo):
    return excinfo.value.status, json.loads(excinfo.value.body)


def pods_of(fake, app):
    return fake.list("v1", "Pod", "default", label_selector=f"app={app}")


def test_kubeconfig_has_one_context_per_region(kubeconfig):
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["current-context"] == "sandbox-eu-west-1"
    assert [c["name"] for c in config["contexts"]] == ["sandbox-eu-west-1", CONTEXT]
    assert config["users"][1] == {"name": CONTEXT, "user": {"token": TOKEN}}
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"


def test_discovery_advertises_exactly_the_table(fake, api, tmp_path):
    status, groups = http(fake, "GET", "/apis")
    assert status == 200
    expected = {rt.group for rt in RESOURCES if rt.group}
    assert {g["name"] for g in groups["groups"]} == expected
    assert all(g["preferredVersion"] == g["versions"][0] for g in groups["groups"])
    core = http(fake, "GET", "/api/v1")[1]
    assert [r["name"] for r in core["resources"] if "/" not in r["name"]] == [
        rt.plural for rt in RESOURCES if rt.group == ""]
    assert "watch" not in core["resources"][0]["verbs"]

    dynamic = DynamicClient(api, cache_file=str(tmp_path / "discovery.json"))
    deployments = dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.namespaced and set(deployments.subresources) == {"scale", "status"}
    assert deployments.subresources["scale"].kind == "Scale"
    assert dynamic.resources.get(api_version="karpenter.sh/v1", kind="NodePool").namespaced is False
    assert dynamic.resources.get(api_version="keda.sh/v1alpha1", short_names=["so"]).kind == "ScaledObject"
    assert dynamic.version["kubernetes"]["gitVersion"].startswith("v1.")

    created = deployments.create(body=deployment(), namespace="default")
    assert created.status.readyReplicas == 2
    assert deployments.get(name="web", namespace="default").metadata.uid == created.metadata.uid


def test_every_request_needs_the_bearer_token(fake, tmp_path):
    for path in ("/version", "/apis", "/api/v1/namespaces"):
        status, body = http(fake, "GET", path, token=None)
        assert status == 401
        assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert http(fake, "GET", "/version", token="wrong")[0] == 401
    write_kubeconfig(tmp_path / "stale", [(CONTEXT, fake.url, "token-of-a-previous-start")])
    with k8s_config.new_client_from_config(config_file=str(tmp_path / "stale")) as stale, \
            pytest.raises(ApiException) as excinfo:
        k8s.CoreV1Api(stale).list_namespace()
    assert api_error(excinfo)[0] == 401


def test_crud_and_error_statuses(fake, api):
    core = k8s.CoreV1Api(api)
    body = {"metadata": {"name": "settings", "labels": {"tier": "a"}}, "data": {"k": "v"}}
    created = core.create_namespaced_config_map("default", body)
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.generation is None
    assert created.metadata.creation_timestamp.tzinfo is not None
    assert core.read_namespaced_config_map("settings", "default").data == {"k": "v"}

    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map("default", body)
    assert api_error(excinfo) == (409, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'configmaps "settings" already exists', "reason": "AlreadyExists",
        "details": {"name": "settings", "kind": "configmaps"}, "code": 409})

    listed = core.list_namespaced_config_map("default")
    assert listed.kind == "ConfigMapList" and [c.metadata.name for c in listed.items] == ["settings"]
    assert listed.items[0].kind == "ConfigMap" and listed.items[0].api_version == "v1"
    assert core.list_config_map_for_all_namespaces(limit=1).items[0].metadata.name == "settings"

    replaced = core.replace_namespaced_config_map("settings", "default", {**body, "data": {"k": "w"}})
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    stale = {**body, "metadata": {**body["metadata"], "resourceVersion": created.metadata.resource_version}}
    with pytest.raises(ApiException) as excinfo:
        core.replace_namespaced_config_map("settings", "default", stale)
    status, error = api_error(excinfo)
    assert (status, error["reason"]) == (409, "Conflict")
    assert error["message"].startswith('Operation cannot be fulfilled on configmaps "settings"')

    core.delete_namespaced_config_map("settings", "default")
    with pytest.raises(ApiException) as excinfo:
        core.read_namespaced_config_map("settings", "default")
    assert api_error(excinfo)[1]["message"] == 'configmaps "settings" not found'

    missing = http(fake, "GET", "/apis/apps/v1/namespaces/default/deployments/ghost")[1]
    assert (missing["code"], missing["reason"], missing["message"], missing["details"]) == (
        404, "NotFound", 'deployments.apps "ghost" not found',
        {"name": "ghost", "kind": "deployments", "group": "apps"})
    status, invalid = http(fake, "POST", "/api/v1/namespaces/default/configmaps", {"data": {}})
    assert (status, invalid["reason"]) == (422, "Invalid")
    assert invalid["message"] == (
        'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required')
    status, generated = http(fake, "POST", "/api/v1/namespaces/default/configmaps",
                             {"metadata": {"generateName": "x-"}})
    assert status == 201 and len(generated["metadata"]["name"]) == 7
    status, no_namespace = http(fake, "POST", "/api/v1/namespaces/nope/configmaps", {"metadata": {"name": "a"}})
    assert (status, no_namespace["message"]) == (404, 'namespaces "nope" not found')
    assert http(fake, "GET", "/api/v1/pods?watch=true")[1]["reason"] == "MethodNotAllowed"


def test_generation_moves_only_with_spec(fake, api):
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment())
    labelled = apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"x": "y"}}},
                                                _content_type=MERGE)
    assert labelled.metadata.generation == 1
    same = apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"x": "y"}}},
                                            _content_type=MERGE)
    assert same.metadata.resource_version == labelled.metadata.resource_version  # a no-op write is free
    scaled = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}}, _content_type=MERGE)
    assert scaled.metadata.generation == 2 and scaled.status.observed_generation == 2


def test_the_four_patch_types(fake, api):
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment())

    merged = apps.patch_namespaced_deployment(
        "web", "default", {"metadata": {"labels": {"team": "dx", "gone": None}}}, _content_type=MERGE)
    assert merged.metadata.labels == {"team": "dx"}

    strategic = apps.patch_namespaced_deployment(
        "web", "default", {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:v2"}]}}}},
        _content_type=STRATEGIC)
    assert [(c.name, c.image) for c in strategic.spec.template.spec.containers] == [
        ("app", "app:v2"), ("sidecar", "busybox:1.36")]  # merged by name; a merge patch would replace the list

    patched = apps.patch_namespaced_deployment("web", "default", [
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 1},
        {"op": "add", "path": "/metadata/annotations", "value": {"a/b": "1"}},
        {"op": "remove", "path": "/metadata/labels/team"},
    ], _content_type=JSON_PATCH)
    assert patched.spec.replicas == 1 and patched.metadata.annotations == {"a/b": "1"}
    assert patched.metadata.labels is None
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment("web", "default", [{"op": "test", "path": "/spec/replicas", "value": 9}],
                                         _content_type=JSON_PATCH)
    assert api_error(excinfo)[1]["reason"] == "Invalid"

    apply_body = deployment("api", replicas=1)
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment("api", "default", apply_body, _content_type=APPLY)
    status, error = api_error(excinfo)
    assert (status, error["message"]) == (
        422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
    created = apps.patch_namespaced_deployment("api", "default", apply_body, field_manager="t", _content_type=APPLY)
    assert created.metadata.generation == 1 and len(pods_of(fake, "api")) == 1
    apply_body["spec"]["replicas"] = 2
    applied = apps.patch_namespaced_deployment("api", "default", apply_body, field_manager="t", _content_type=APPLY)
    assert applied.spec.replicas == 2 and len(pods_of(fake, "api")) == 2


def test_label_and_field_selectors(fake, api):
    core = k8s.CoreV1Api(api)
    for name, labels in [("a", {"app": "web", "tier": "front"}), ("b", {"app": "web", "tier": "back"}),
                         ("c", {"app": "db"}), ("d", {})]:
        fake.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
                     "spec": {"containers": [{"name": "c", "image": "x"}]}})

    def names(**kwargs):
        return [p.metadata.name for p in core.list_namespaced_pod("default", **kwargs).items]

    assert names(label_selector="app=web") == ["a", "b"]
    assert names(label_selector="app==web,tier=back") == ["b"]
    assert names(label_selector="app!=web") == ["c", "d"]
    assert names(label_selector="tier in (front, back)") == ["a", "b"]
    assert names(label_selector="tier notin (front)") == ["b", "c", "d"]
    assert names(label_selector="tier") == ["a", "b"]
    assert names(label_selector="!tier") == ["c", "d"]
    assert names(field_selector="metadata.name=c") == ["c"]
    assert names(field_selector="metadata.namespace=default,metadata.name!=a") == ["b", "c", "d"]
    assert [p["metadata"]["name"] for p in fake.list("v1", "Pod", label_selector="app in (db)")] == ["c"]
    with pytest.raises(ApiException) as excinfo:
        names(label_selector="app in web")
    assert api_error(excinfo)[0] == 400
    with pytest.raises(ApiException) as excinfo:
        names(field_selector="spec.nodeName=x")
    assert api_error(excinfo)[1]["reason"] == "BadRequest"


def test_dry_run_never_mutates(fake, api):
    apps = k8s.AppsV1Api(api)
    assert apps.create_namespaced_deployment("default", deployment("tmp"), dry_run="All").metadata.name == "tmp"
    assert fake.get("apps/v1", "Deployment", "tmp", "default") is None and not pods_of(fake, "tmp")

    apps.create_namespaced_deployment("default", deployment())
    before = fake.get("apps/v1", "Deployment", "web", "default")
    pods_before = pods_of(fake, "web")
    would_be = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 5}}, dry_run="All",
                                                _content_type=STRATEGIC)
    assert would_be.spec.replicas == 5 and would_be.metadata.resource_version == before["metadata"]["resourceVersion"]
    changed = deployment(replicas=4)
    apps.replace_namespaced_deployment("web", "default", changed, dry_run="All")
    scale = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 7}}, dry_run="All",
                                                   _content_type=MERGE)
    assert scale.spec.replicas == 7
    apps.delete_namespaced_deployment("web", "default", dry_run="All")
    assert fake.get("apps/v1", "Deployment", "web", "default") == before
    assert pods_of(fake, "web") == pods_before
    status, error = http(fake, "DELETE", "/apis/apps/v1/namespaces/default/deployments/web?dryRun=Some")
    assert (status, error["reason"]) == (400, "BadRequest")


def test_scale_subresource_drives_pods(fake, api):
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment())
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert (scale.kind, scale.api_version, scale.spec.replicas, scale.status.replicas, scale.status.selector) == (
        "Scale", "autoscaling/v1", 2, 2, "app=web")
    oldest = sorted(p["metadata"]["name"] for p in pods_of(fake, "web"))

    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 4}}, _content_type=MERGE)
    assert len(pods_of(fake, "web")) == 4
    assert fake.get("apps/v1", "Deployment", "web", "default")["status"]["readyReplicas"] == 4
    apps.replace_namespaced_deployment_scale("web", "default", {"metadata": {"name": "web"}, "spec": {"replicas": 2}})
    assert sorted(p["metadata"]["name"] for p in pods_of(fake, "web")) == oldest  # the newest pods went first

    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 0}}, _content_type=MERGE)
    status = fake.get("apps/v1", "Deployment", "web", "default")["status"]
    assert "replicas" not in status and status["observedGeneration"] == 4  # zero counts are omitted, as for real
    with pytest.raises(ApiException) as excinfo:
        apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": -1}}, _content_type=MERGE)
    assert api_error(excinfo)[0] == 422


def test_status_subresource_writes_status_only(fake, api):
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment())
    status = apps.patch_namespaced_deployment_status(
        "web", "default", {"spec": {"replicas": 9}, "status": {"readyReplicas": 1}}, _content_type=MERGE)
    assert status.spec.replicas == 2 and status.status.ready_replicas == 1
    assert apps.read_namespaced_deployment_status("web", "default").status.ready_replicas == 1


def test_pods_keep_the_digest_they_pulled(fake, api, resolver):
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment())
    pods = pods_of(fake, "web")
    owner = pods[0]["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "ReplicaSet" and pods[0]["metadata"]["name"].startswith(owner["name"] + "-")
    statuses = {s["name"]: s for s in pods[0]["status"]["containerStatuses"]}
    assert statuses["app"]["imageID"] == f"ghcr.io/coder/app@{DIGEST_1}"
    assert statuses["app"]["ready"] and statuses["app"]["state"]["running"]["startedAt"]
    assert statuses["sidecar"]["imageID"].startswith("busybox@sha256:")  # unknown to the resolver: hash of the ref
    assert pods[0]["status"]["phase"] == "Running"

    resolver.tags[IMAGE] = DIGEST_2  # the tag moves in the registry
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 3}}, _content_type=MERGE)
    digests = sorted(p["status"]["containerStatuses"][0]["imageID"].split("@")[1] for p in pods_of(fake, "web"))
    assert digests == [DIGEST_1, DIGEST_1, DIGEST_2]

    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "now"}}}}}, _content_type=STRATEGIC)
    rolled = pods_of(fake, "web")
    assert len(rolled) == 3 and not {p["metadata"]["name"] for p in rolled} & {p["metadata"]["name"] for p in pods}
    assert {p["status"]["containerStatuses"][0]["imageID"] for p in rolled} == {f"ghcr.io/coder/app@{DIGEST_2}"}
    assert len(fake.list("apps/v1", "ReplicaSet", "default")) == 1

    calls = len(resolver.calls)
    pinned = f"registry.local:5000/app@{DIGEST_1}"
    apps.create_namespaced_deployment("default", deployment("pinned", replicas=1, image=pinned))
    assert pods_of(fake, "pinned")[0]["status"]["containerStatuses"][0]["imageID"] == pinned
    assert pinned not in resolver.calls[calls:]


def test_deleting_cascades_and_pods_are_replaced(fake, api):
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    apps.create_namespaced_deployment("default", deployment())
    victim = pods_of(fake, "web")[0]["metadata"]["name"]
    core.delete_namespaced_pod(victim, "default")
    names = [p["metadata"]["name"] for p in pods_of(fake, "web")]
    assert len(names) == 2 and victim not in names  # the ReplicaSet replaced it
    apps.delete_namespaced_deployment("web", "default")
    assert not pods_of(fake, "web") and not fake.list("apps/v1", "ReplicaSet")
    core.create_namespace({"metadata": {"name": "team"}})
    core.create_namespaced_config_map("team", {"metadata": {"name": "c"}})
    core.delete_namespace("team")
    assert fake.list("v1", "ConfigMap", "team") == []


def test_custom_resources(fake, api):
    custom = k8s.CustomObjectsApi(api)
    nodepool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "workspaces"},
                "spec": {"limits": {"cpu": "100"}}, "status": {"resources": {"cpu": "12"}}}
    fake.create(nodepool)
    got = custom.get_cluster_custom_object("karpenter.sh", "v1", "nodepools", "workspaces")
    assert got["status"] == {"resources": {"cpu": "12"}} and "namespace" not in got["metadata"]
    patched = custom.patch_cluster_custom_object("karpenter.sh", "v1", "nodepools", "workspaces",
                                                 {"spec": {"limits": {"cpu": "200"}}})
    assert patched["spec"]["limits"] == {"cpu": "200"} and patched["metadata"]["generation"] == 2
    assert [n["metadata"]["name"] for n in custom.list_cluster_custom_object("karpenter.sh", "v1", "nodepools")[
        "items"]] == ["workspaces"]
    custom.delete_cluster_custom_object("karpenter.sh", "v1", "nodepools", "workspaces")
    assert fake.get("karpenter.sh/v1", "NodePool", "workspaces") is None

    scaled_object = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "prov"},
                     "spec": {"scaleTargetRef": {"name": "web"}, "minReplicaCount": 1}}
    custom.create_namespaced_custom_object("keda.sh", "v1alpha1", "default", "scaledobjects", scaled_object)
    replaced = custom.replace_namespaced_custom_object(
        "keda.sh", "v1alpha1", "default", "scaledobjects", "prov",
        {**scaled_object, "spec": {"scaleTargetRef": {"name": "web"}, "minReplicaCount": 2}})
    assert replaced["spec"]["minReplicaCount"] == 2
    assert fake.list("keda.sh/v1alpha1", "ScaledObject", "default")[0]["metadata"]["namespace"] == "default"
    with pytest.raises(ApiException) as excinfo:
        custom.get_namespaced_custom_object("keda.sh", "v1alpha1", "default", "scaledobjects", "nope")
    assert api_error(excinfo)[1]["message"] == 'scaledobjects.keda.sh "nope" not found'


def test_kubelet_stats_summary(fake, api):
    core = k8s.CoreV1Api(api)
    path = "/api/v1/nodes/ip-10-0-1-5/proxy/stats/summary"
    assert http(fake, "GET", path)[1]["details"] == {"name": "ip-10-0-1-5", "kind": "nodes"}
    fake.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "ip-10-0-1-5"}})
    status, error = http(fake, "GET", path)
    assert (status, error["reason"]) == (503, "ServiceUnavailable")
    fake.set_node_stats("ip-10-0-1-5", fs_capacity_bytes=100 * 2**30, fs_used_bytes=80 * 2**30)
    # Raw body: the generated client would str() the decoded JSON of this untyped endpoint.
    response = core.connect_get_node_proxy_with_path("ip-10-0-1-5", "stats/summary", _preload_content=False)
    summary = json.loads(response.data)
    fs = summary["node"]["fs"]
    assert summary["node"]["nodeName"] == "ip-10-0-1-5" and summary["pods"] == []
    assert (fs["capacityBytes"], fs["usedBytes"], fs["availableBytes"]) == (100 * 2**30, 80 * 2**30, 20 * 2**30)
    assert fs["inodes"] == fs["inodesUsed"] + fs["inodesFree"]
    assert summary["node"]["runtime"]["imageFs"]["capacityBytes"] == 100 * 2**30


def test_direct_access_is_thread_safe_while_serving(fake, api):
    core = k8s.CoreV1Api(api)
    errors = []

    def seed(worker):
        try:
            for i in range(15):
                fake.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"w{worker}-{i}"}})
                core.list_namespaced_config_map("default")
        except Exception as e:  # surfaced by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=seed, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    versions = [c["metadata"]["resourceVersion"] for c in fake.list("v1", "ConfigMap")]
    assert len(versions) == len(set(versions)) == 60


def test_stop_refuses_connections(fake, api):
    core = k8s.CoreV1Api(api)
    core.list_namespace()
    port = int(fake.url.rsplit(":", 1)[1])
    fake.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        core.list_namespace(_request_timeout=2)
    assert fake.start(port=port) == port  # a component restart keeps its address
    assert core.list_namespace().items


def test_ansible_kubernetes_core_against_the_fake(fake, kubeconfig, tmp_path):
    manifest = deployment("provisioner", replicas=2)
    location = {"kind": "Deployment", "namespace": "default", "name": "provisioner"}
    playbook = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "create", "kubernetes.core.k8s": {"state": "present", "definition": manifest}},
        {"name": "again", "kubernetes.core.k8s": {"state": "present", "definition": manifest}},
        {"name": "check mode", "check_mode": True, "kubernetes.core.k8s": {
            "state": "present", "definition": deployment("provisioner", replicas=5)}},
        {"name": "read", "kubernetes.core.k8s_info": location},
        {"name": "scale", "kubernetes.core.k8s_scale": {**location, "replicas": 3, "wait_timeout": 10}},
        {"name": "scale again", "kubernetes.core.k8s_scale": {**location, "replicas": 3}},
    ]}]
    (tmp_path / "site.yml").write_text(yaml.safe_dump(playbook))
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "K8S_AUTH_KUBECONFIG": str(kubeconfig), "K8S_AUTH_CONTEXT": CONTEXT,
           "TMPDIR": str(tmp_path / "tmp"),  # kubernetes.core caches discovery there (k8srcp-*.json)
           "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    run = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", "site.yml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    results = {t["task"]["name"]: t["hosts"]["localhost"] for t in json.loads(run.stdout)["plays"][0]["tasks"]}

    assert results["create"]["changed"] is True
    assert results["again"]["changed"] is False
    assert results["check mode"]["changed"] is True
    assert results["check mode"]["result"]["spec"]["replicas"] == 5
    read = results["read"]["resources"][0]
    assert read["spec"]["replicas"] == 2
    assert read["metadata"]["resourceVersion"] == results["again"]["result"]["metadata"]["resourceVersion"]
    assert results["scale"]["changed"] is True and results["scale again"]["changed"] is False
    assert fake.get("apps/v1", "Deployment", "provisioner", "default")["spec"]["replicas"] == 3
    assert len(pods_of(fake, "provisioner")) == 3
