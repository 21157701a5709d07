"""The kubeconfig reader of the gather (clients/kube_http.py) against the sandbox's Kubernetes fake, in process:
a token, a token file, client certificate data and an exec credential plugin authenticate as kubectl would; what it
does not handle is handed to kubernetes.core (Unsupported); failures are KubeReadError with the cause; and the
gate's cluster gather reads the same facts through it as through kubernetes.core's client."""

import json
import os
import stat
import sys

import pytest
import yaml
from kube_fake import KubeFake

from ansible_collections.coder.ai_platform.plugins.module_utils.clients import kube_gather, kube_http

TOKEN = "kube-tok-1f2e3d4c5b6a7980"


@pytest.fixture(scope="module")
def cluster():
    fake = KubeFake(name="us-east-2", token=TOKEN)
    fake.start()
    fake.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "litellm"}})
    fake.create({"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": {"name": "litellm", "namespace": "litellm"},
                 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "litellm"}},
                          "template": {"metadata": {"labels": {"app": "litellm"}},
                                       "spec": {"containers": [{"name": "litellm", "image": "litellm:1"}]}}}})
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def no_ambient_kube(monkeypatch, tmp_path):
    for name in list(kube_http.ENV_FALLBACKS.values()) + ["KUBECONFIG"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def kubeconfig(tmp_path, server, user, name="kubeconfig", cluster_extra=None):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": dict({"server": server}, **(cluster_extra or {}))}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}]}))
    return str(path)


def test_a_token_reads_the_api_and_a_missing_object_is_not_found(cluster, tmp_path):
    get_json = kube_http.http_reader({"kubeconfig": kubeconfig(tmp_path, cluster.url, {"token": TOKEN})}, 5)
    found = get_json("/apis/apps/v1/namespaces/litellm/deployments/litellm", {})
    assert found["spec"]["replicas"] == 2
    with pytest.raises(kube_gather.KubeReadError) as raised:
        get_json("/apis/apps/v1/namespaces/litellm/deployments/nope", {})
    assert raised.value.not_found and "HTTP 404" in raised.value.message


def test_a_wrong_token_is_an_error_naming_the_status_never_the_token(cluster, tmp_path):
    get_json = kube_http.http_reader({"kubeconfig": kubeconfig(tmp_path, cluster.url, {"token": "wrong-token"})}, 5)
    with pytest.raises(kube_gather.KubeReadError) as raised:
        get_json("/api/v1/nodes", {})
    assert "HTTP 401" in raised.value.message and not raised.value.not_found
    assert "wrong-token" not in raised.value.message


def test_a_token_file_relative_to_the_kubeconfig(cluster, tmp_path):
    (tmp_path / "token").write_text(TOKEN + "\n")
    get_json = kube_http.http_reader({"kubeconfig": kubeconfig(tmp_path, cluster.url, {"tokenFile": "token"})}, 5)
    assert get_json("/api/v1/nodes", {})["kind"] == "NodeList"


def test_an_exec_plugin_gives_the_token_as_aws_eks_get_token_does(cluster, tmp_path):
    plugin = tmp_path / "get-token"
    plugin.write_text("#!%s\nimport json, os, sys\nassert json.loads(os.environ['KUBERNETES_EXEC_INFO'])['kind']"
                      " == 'ExecCredential'\nprint(json.dumps({'kind': 'ExecCredential', 'status': {'token': "
                      "os.environ['THE_TOKEN'] + sys.argv[1]}}))\n" % sys.executable)
    plugin.chmod(plugin.stat().st_mode | stat.S_IEXEC)
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin),
                     "args": [TOKEN[-4:]], "env": [{"name": "THE_TOKEN", "value": TOKEN[:-4]}]}}
    get_json = kube_http.http_reader({"kubeconfig": kubeconfig(tmp_path, cluster.url, user)}, 5)
    assert get_json("/api/v1/nodes", {})["kind"] == "NodeList"


def test_a_failing_exec_plugin_is_a_client_error_with_its_last_words(tmp_path):
    user = {"exec": {"command": sys.executable, "args": ["-c", "import sys; sys.exit('token expired, run aws sso "
                                                               "login')"]}}
    with pytest.raises(kube_gather.KubeReadError, match="exited 1: token expired, run aws sso login"):
        kube_http.http_reader({"kubeconfig": kubeconfig(tmp_path, "http://127.0.0.1:9", user)}, 5)


def test_context_and_host_options_and_environment_fallbacks(cluster, tmp_path, monkeypatch):
    path = kubeconfig(tmp_path, "http://127.0.0.1:9", {"token": TOKEN})
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", path)
    get_json = kube_http.http_reader({"host": cluster.url}, 5)  # host overrides the kubeconfig's server
    assert get_json("/api/v1/nodes", {})["kind"] == "NodeList"
    with pytest.raises(kube_gather.KubeReadError, match="no context named 'other'"):
        kube_http.http_reader({"context": "other"}, 5)


def test_client_certificate_data_is_written_privately_and_removed(tmp_path, monkeypatch):
    seen = {}

    def make_context(**kwargs):
        seen.update(kwargs, mode=stat.S_IMODE(os.stat(kwargs["client_key"]).st_mode))
        return None
    monkeypatch.setattr(kube_http, "make_context", make_context)
    user = {"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"}
    kube_http.http_reader({"kubeconfig": kubeconfig(tmp_path, "https://127.0.0.1:9", user,
                                                    cluster_extra={"insecure-skip-tls-verify": True})}, 5)
    assert seen["validate_certs"] is False and seen["mode"] == 0o600
    assert not os.path.exists(seen["client_key"]) and not os.path.exists(seen["client_cert"])


@pytest.mark.parametrize("user, cluster_extra, auth", [
    ({"auth-provider": {"name": "oidc"}}, None, {}),
    ({"username": "admin", "password": "x"}, None, {}),
    ({"token": TOKEN}, {"proxy-url": "http://proxy:3128"}, {}),
    ({"token": TOKEN}, None, {"impersonate_user": "someone"}),
])
def test_what_it_does_not_handle_goes_to_kubernetes_core(tmp_path, user, cluster_extra, auth):
    auth = dict(auth, kubeconfig=kubeconfig(tmp_path, "http://127.0.0.1:9", user, cluster_extra=cluster_extra))
    with pytest.raises(kube_http.Unsupported):
        kube_http.http_reader(auth, 5)


def test_an_unreachable_cluster_is_a_read_error(tmp_path):
    get_json = kube_http.http_reader({"kubeconfig": kubeconfig(tmp_path, "http://127.0.0.1:9", {"token": TOKEN})}, 2)
    with pytest.raises(kube_gather.KubeReadError, match="cannot reach the cluster"):
        get_json("/api/v1/nodes", {})


def test_the_cluster_gather_reads_the_same_facts_as_through_kubernetes_core(cluster, tmp_path):
    auth = {"kubeconfig": kubeconfig(tmp_path, cluster.url, {"token": TOKEN})}
    refs = dict(deployments=[{"namespace": "litellm", "name": "litellm"}, {"namespace": "coder", "name": "gone"}],
                pod_selectors=[{"component": "proxy", "namespace": "litellm", "label_selector": "app=litellm"}])
    light = kube_gather.gather_cluster(kube_http.http_reader(auth, 5), **refs)
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    heavy = kube_gather.gather_cluster(kube_gather.make_reader(get_api_client(**auth).client, 5), **refs)
    assert json.dumps(light, sort_keys=True) == json.dumps(heavy, sort_keys=True)
    assert light["deployments"]["litellm/litellm"]["replicas"] == 2 and light["errors"] == {}
