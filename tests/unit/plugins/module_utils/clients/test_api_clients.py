# -*- coding: utf-8 -*-
"""The API clients against the sandbox's fakes, in process: real HTTP, real field names, real error shapes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import socket
from datetime import datetime, timezone

import pytest
from coder_fake import CoderFake
from litellm_fake import LiteLLMFake
from registry_fake import RegistryFake, manifest_digest

from ansible_collections.coder.ai_platform.plugins.module_utils.clients import coder_api, kube_gather, oci_registry
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError, JsonHttpClient
from ansible_collections.coder.ai_platform.plugins.module_utils.clients.litellm_api import key_info

TOKEN = "tok-3c1f9e0a7b2d4e6f8a1c"
SEED = {
    "version": "v2.26.0-devel+7f3c1e2",
    "organizations": [{"name": "coder", "is_default": True, "provisioners": 3},
                      {"name": "demo", "provisioners": 1}],
    "proxies": [{"name": "oregon", "url": "https://oregon.example", "version": "v2.26.0-devel+1a2b3c4"}],
    "templates": [{"name": "ai-workshop", "organization": "coder", "import_status": "succeeded",
                   "build_time_p50_s": 60, "build_time_p95_s": 90},
                  {"name": "broken", "organization": "coder", "import_status": "failed",
                   "build_time_p50_s": 60, "build_time_p95_s": 90}],
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def coder():
    fake = CoderFake(SEED, token=TOKEN, time_scale=0.01)
    fake.start()
    yield fake
    fake.stop()


def test_gather_deployment_reads_every_section_in_few_calls(coder):
    facts = coder_api.gather_deployment(coder_api.CoderClient(coder.url, TOKEN), ["ai-workshop", "broken"])
    assert facts["reachable"] and facts["errors"] == {}
    assert facts["buildinfo"]["version"] == "v2.26.0-devel+7f3c1e2"
    assert facts["health"]["healthy"] is True  # same major.minor: Coder does not flag the proxy
    # Coder lists the primary first, then each proxy.
    assert [(p["name"], p["version"]) for p in facts["proxies"]] == [
        ("primary", "v2.26.0-devel+7f3c1e2"), ("oregon", "v2.26.0-devel+1a2b3c4")]
    assert dict((o["name"], o["is_default"]) for o in facts["organizations"]) == {"coder": True, "demo": False}
    assert len(facts["provisioner_daemons"]["coder"]) == 3 and facts["pending_jobs"] == {"coder": 0, "demo": 0}
    templates = dict((t["name"], t) for t in facts["templates"])
    assert templates["ai-workshop"]["build_time_stats"] == {"p50_s": 60.0, "p95_s": 90.0}
    assert templates["ai-workshop"]["active_version"]["import_status"] == "succeeded"
    assert templates["broken"]["active_version"]["import_status"] == "failed"
    assert facts["api_calls"] == 1 + 4 + 2 * 2 + 2


def test_gather_deployment_reports_a_bad_token_per_section(coder):
    facts = coder_api.gather_deployment(coder_api.CoderClient(coder.url, "wrong"), [])
    assert facts["reachable"] is True  # buildinfo needs no auth
    assert "HTTP 401" in facts["errors"]["health"] and "HTTP 401" in facts["errors"]["organizations"]
    assert facts["health"] is None


def test_gather_deployment_when_coder_is_down_names_the_cause_once():
    url = "http://127.0.0.1:%d" % free_port()
    facts = coder_api.gather_deployment(coder_api.CoderClient(url, TOKEN, timeout=2), ["ai-workshop"])
    assert facts["reachable"] is False and facts["api_calls"] == 1
    assert set(facts["errors"]) == set(coder_api.SECTIONS)
    assert all("cannot reach %s" % url in cause for cause in facts["errors"].values())


@pytest.mark.parametrize("payload, expected", [
    ({"regions": [{"name": "a"}]}, ["a"]),
    ([{"name": "a"}, {"name": "b"}], ["a", "b"]),
    ([{"regions": [{"name": "a"}]}], ["a"]),  # the swagger's (wrong) array-of-RegionsResponse shape
    (None, []),
])
def test_normalise_proxies(payload, expected):
    assert [p["name"] for p in coder_api.normalise_proxies(payload)] == expected


@pytest.mark.parametrize("stats, expected", [
    ({"start": {"P50": 60000, "P95": 90000}}, {"p50_s": 60.0, "p95_s": 90.0}),  # what the server sends
    ({"start": {"p50": 1500, "p95": 3000}}, {"p50_s": 1.5, "p95_s": 3.0}),  # what the swagger says
    ({"start": {"P50": None, "P95": None}}, None), ({}, None), (None, None),
])
def test_transition_stats_seconds(stats, expected):
    assert coder_api.transition_stats_seconds(stats) == expected


def test_workspace_lifecycle_calls(coder):
    client = coder_api.CoderClient(coder.url, TOKEN)
    template = next(t for t in client.templates() if t["name"] == "ai-workshop")
    workspace = client.create_workspace("rehearsal-1", template["id"])
    assert workspace["latest_build"]["transition"] == "start"
    assert client.workspace(workspace["id"])["name"] == "rehearsal-1"
    assert client.workspaces("name:rehearsal-1")["count"] == 1
    with pytest.raises(ApiError) as conflict:
        client.create_workspace("rehearsal-1", template["id"])
    assert conflict.value.status == 409


# --- registry ------------------------------------------------------------------------------------------------------
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "layers": []}).encode()


@pytest.fixture
def registry():
    fake = RegistryFake({"coder/coder-preview": {"latest": MANIFEST}})
    fake.start()
    yield fake
    fake.stop()


def test_manifest_digest_follows_the_token_flow(registry):
    digest = oci_registry.manifest_digest(registry.url, "coder/coder-preview", "latest")
    assert digest == manifest_digest(MANIFEST) == "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
    assert registry.requests["all"] == 3  # challenge, anonymous token, authorised retry


def test_manifest_digest_errors_name_the_registry_and_code(registry):
    with pytest.raises(ApiError) as missing:
        oci_registry.manifest_digest(registry.url, "coder/coder-preview", "nope")
    assert missing.value.status == 404 and "manifest unknown" in missing.value.message
    with pytest.raises(ApiError) as down:
        oci_registry.manifest_digest("http://127.0.0.1:%d" % free_port(), "coder/coder-preview", "latest")
    assert down.value.unreachable


@pytest.mark.parametrize("reference, parts", [
    ("ghcr.io/coder/coder-preview:latest", ("ghcr.io", "coder/coder-preview", "latest", None)),
    ("127.0.0.1:5000/coder/coder:v2", ("127.0.0.1:5000", "coder/coder", "v2", None)),
    ("ubuntu", ("docker.io", "library/ubuntu", "latest", None)),
    ("coder/coder@sha256:" + "a" * 64, ("docker.io", "coder/coder", None, "sha256:" + "a" * 64)),
    ("localhost/app:1", ("localhost", "app", "1", None)),
])
def test_parse_image_reference(reference, parts):
    ref = oci_registry.parse_image_reference(reference)
    assert (ref["registry"], ref["repository"], ref["tag"], ref["digest"]) == parts


def test_parse_bearer_challenge_and_digest_from_image_id():
    header = 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:coder/coder:pull"'
    assert oci_registry.parse_bearer_challenge(header) == {
        "realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:coder/coder:pull"}
    assert oci_registry.parse_bearer_challenge('Basic realm="x"') is None
    digest = "sha256:" + "b" * 64
    assert oci_registry.digest_from_reference("docker-pullable://ghcr.io/coder/coder@" + digest) == digest
    assert oci_registry.digest_from_reference("ghcr.io/coder/coder:latest") is None
    with pytest.raises(ValueError):
        oci_registry.parse_image_reference("not a ref")


# --- LiteLLM -------------------------------------------------------------------------------------------------------
def test_key_info_drops_the_echoed_key_and_normalises_expiry():
    expires = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    key = {"key": "sk-workshop-abcdef012345", "key_alias": "workshop", "expires": expires}
    fake = LiteLLMFake("sk-master-0123456789", [key])
    fake.start()
    try:
        info = key_info(fake.url, "sk-master-0123456789", "sk-workshop-abcdef012345")
        assert info["expires"] == "2026-11-27T12:00:00Z" and info["key_alias"] == "workshop"
        assert "sk-workshop-abcdef012345" not in json.dumps(info)
        with pytest.raises(ApiError) as unauthorised:
            key_info(fake.url, "sk-wrong-master-key", "sk-workshop-abcdef012345")
        assert unauthorised.value.status == 401 and "Authentication Error" in unauthorised.value.message
        assert "sk-wrong-master-key" not in unauthorised.value.message
        with pytest.raises(ApiError) as unknown:
            key_info(fake.url, "sk-master-0123456789", "sk-unknown")
        assert unknown.value.status == 404 and "Key not found" in unknown.value.message
    finally:
        fake.stop()


def test_key_that_never_expires():
    fake = LiteLLMFake("sk-master-0123456789", [{"key": "sk-forever-123456", "key_alias": "x", "expires": None}])
    fake.start()
    try:
        assert key_info(fake.url, "sk-master-0123456789", "sk-forever-123456")["expires"] is None
    finally:
        fake.stop()


# --- http_json -----------------------------------------------------------------------------------------------------
class _Timeout:
    def __call__(self, *args, **kwargs):
        raise socket.timeout("timed out")


def test_http_client_error_messages_never_carry_headers():
    client = JsonHttpClient("http://127.0.0.1:%d" % free_port(), "Svc", headers={"Authorization": "Bearer s3cr3t-x"})
    with pytest.raises(ApiError) as err:
        client.get("/x")
    assert err.value.unreachable and "Svc GET /x: cannot reach" in err.value.message
    assert "s3cr3t-x" not in err.value.message
    slow = JsonHttpClient("http://example.invalid", "Svc", timeout=3, opener=_Timeout())
    with pytest.raises(ApiError) as timeout:
        slow.get("/y")
    assert "no answer from http://example.invalid within 3s" in timeout.value.message


# --- kube_gather ---------------------------------------------------------------------------------------------------
def fake_cluster(overrides=None):
    objects = {
        "/api/v1/nodes": {"items": [{"metadata": {"name": "n1", "labels": {"karpenter.sh/nodepool": "ws"}},
                                     "status": {"allocatable": {"cpu": "15890m", "memory": "62Gi"}}},
                                    {"metadata": {"name": "n2"}, "status": {}}]},
        "/api/v1/nodes/n1/proxy/stats/summary": {"node": {"fs": {"capacityBytes": 100, "usedBytes": 88,
                                                                 "availableBytes": 12}}},
        "/api/v1/nodes/n2/proxy/stats/summary": kube_gather.KubeReadError("HTTP 503 ServiceUnavailable"),
        kube_gather.NODEPOOL_PATH: {"items": [{"metadata": {"name": "ws"}, "spec": {"limits": {"cpu": "64"}},
                                               "status": {"conditions": [{"type": "Ready", "status": "True"}]}}]},
        "/apis/apps/v1/namespaces/coder/deployments/prov": {"spec": {"replicas": 6},
                                                            "status": {"readyReplicas": 5}},
        "/apis/batch/v1/namespaces/litellm/cronjobs/rot": {"spec": {"schedule": "0 */4 * * *"}},
        "/api/v1/namespaces/coder/pods": {"items": [{"metadata": {"name": "coder-0", "namespace": "coder"},
                                                     "status": {"phase": "Running", "containerStatuses": [
                                                         {"name": "coder", "image": "x:latest",
                                                          "imageID": "x@sha256:" + "c" * 64}]}}]},
    }
    objects.update(overrides or {})
    seen = []

    def get_json(path, query):
        seen.append((path, query.get("labelSelector")))
        value = objects.get(path, kube_gather.KubeReadError("GET %s: HTTP 404 NotFound" % path, not_found=True))
        if isinstance(value, Exception):
            raise value
        return value
    return get_json, seen


def test_gather_cluster_sections():
    get_json, seen = fake_cluster()
    facts = kube_gather.gather_cluster(
        get_json, deployments=[{"namespace": "coder", "name": "prov"}, {"namespace": "coder", "name": "gone"}],
        cronjobs=[{"namespace": "litellm", "name": "rot"}],
        pod_selectors=[{"component": "server", "namespace": "coder", "label_selector": "app=coder"}])
    assert facts["errors"] == {} and facts["api_calls"] == len(seen) == 8
    nodes = dict((n["name"], n) for n in facts["nodes"])
    assert nodes["n1"]["ephemeral"]["used_pct"] == 88.0 and nodes["n1"]["nodepool"] == "ws"
    assert nodes["n2"]["ephemeral"] is None and "503" in nodes["n2"]["stats_error"]
    assert facts["nodepools"][0]["ready"] is True and facts["nodepools"][0]["limits"] == {"cpu": "64"}
    assert facts["deployments"] == {"coder/prov": {"found": True, "replicas": 6, "ready_replicas": 5,
                                                   "available_replicas": 0},
                                    "coder/gone": {"found": False}}
    assert facts["cronjobs"]["litellm/rot"]["suspend"] is False
    assert facts["pods"][0]["images"][0]["digest"] == "sha256:" + "c" * 64
    assert ("/api/v1/namespaces/coder/pods", "app=coder") in seen


def test_gather_cluster_reports_unreachable_sections_and_missing_karpenter():
    down = kube_gather.KubeReadError("GET /api/v1/nodes: cannot reach the cluster (Connection refused)")
    get_json, seen = fake_cluster({"/api/v1/nodes": down, kube_gather.NODEPOOL_PATH: kube_gather.KubeReadError(
        "HTTP 404", not_found=True)})
    facts = kube_gather.gather_cluster(get_json)
    assert "Connection refused" in facts["errors"]["nodes"] and facts["nodes"] is None
    assert facts["nodepools"] == []  # no Karpenter CRD: a fact for the judge, not an error


def test_summarise_nodepool_without_ready_condition():
    pool = kube_gather.summarise_nodepool({"metadata": {"name": "x"}, "spec": {}, "status": {}})
    assert pool["ready"] is False and pool["ready_message"] == "no Ready condition"
