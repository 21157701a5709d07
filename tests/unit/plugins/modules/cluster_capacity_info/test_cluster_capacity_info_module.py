"""cluster_capacity_info as Ansible runs it, with no cluster: the argument spec (suboptions required by name, types),
the arguments reaching the API calls (timeout, label selectors, sections switched off), an unbuildable client or a
refused call reported per section instead of failing, and check mode (a read: never changed)."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from kubernetes.client.exceptions import ApiException

from ansible_collections.coder.ai_platform.plugins.modules import cluster_capacity_info as module

SECTIONS = {"nodes", "nodepools", "deployments", "cronjobs", "pods"}
POD_SELECTOR = {"component": "coder", "namespace": "coder", "label_selector": "app.kubernetes.io/name=coder"}


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result


class RefusingClient:
    """kubernetes.core's client as get_api_client returns it, whose every call the API server refuses (403)."""

    def __init__(self):
        self.calls = []
        self.client = self

    def request(self, method, path, **params):
        self.calls.append((method, path, params))
        raise ApiException(status=403, reason="Forbidden")


@pytest.fixture
def refusing(monkeypatch):
    client = RefusingClient()
    monkeypatch.setattr(module, "get_api_client", lambda dummy_module: client)
    return client


@pytest.mark.parametrize("args, words", [
    ({"deployments": [{"namespace": "coder"}]}, "name"),
    ({"cronjobs": [{"name": "rotate"}]}, "namespace"),
    ({"pods": [{"component": "coder", "namespace": "coder"}]}, "label_selector"),
    ({"request_timeout": "ten"}, "request_timeout"),
    ({"node_stats": "sometimes"}, "node_stats"),
    ({"deployments": "coder/coder"}, "dictionary requested"),  # ansible-core does not name the option here
])
def test_bad_arguments_fail_before_any_call(capsys, refusing, args, words):
    result = run(args, capsys)
    assert result["failed"] and words in result["msg"], result["msg"]
    assert refusing.calls == []


def test_an_unbuildable_client_is_reported_per_section_and_does_not_fail(capsys, tmp_path):
    result = run({"kubeconfig": str(tmp_path / "missing-kubeconfig"), "context": "sandbox-us-east-2"}, capsys)
    assert "failed" not in result and result["changed"] is False
    assert set(result["errors"]) == SECTIONS
    assert all(cause.startswith("cannot build a Kubernetes client") for cause in result["errors"].values())
    assert result["api_calls"] == 0


def test_the_timeout_and_selectors_reach_every_call(capsys, refusing):
    result = run({"request_timeout": 3, "deployments": [{"namespace": "coder", "name": "provisioner"}],
                  "cronjobs": [{"namespace": "litellm", "name": "rotate"}], "pods": [POD_SELECTOR]}, capsys)
    assert "failed" not in result and result["changed"] is False
    assert refusing.calls and all(method == "get" for method, dummy_path, dummy_params in refusing.calls)
    assert all(params["_request_timeout"] == 3 for dummy_method, dummy_path, params in refusing.calls)
    paths = [path for dummy_method, path, dummy_params in refusing.calls]
    assert any("/namespaces/coder/deployments/provisioner" in path for path in paths), paths
    assert any("/namespaces/litellm/cronjobs/rotate" in path for path in paths), paths
    pod_calls = [params for dummy_method, path, params in refusing.calls if path.endswith("/pods")]
    assert pod_calls and all(p["label_selector"] == POD_SELECTOR["label_selector"] for p in pod_calls)
    assert result["api_calls"] == len(refusing.calls)


def test_a_refused_call_is_an_error_of_its_section_with_the_http_status(capsys, refusing):
    result = run({"pods": [POD_SELECTOR]}, capsys)
    assert "failed" not in result
    assert {"nodes", "nodepools", "pods"} <= set(result["errors"])
    for section in ("nodes", "nodepools", "pods"):
        assert "HTTP 403" in result["errors"][section], result["errors"]


def test_switched_off_sections_are_not_read(capsys, refusing):
    run({"node_stats": False, "nodepools": False}, capsys)
    paths = [path for dummy_method, path, dummy_params in refusing.calls]
    assert not any("karpenter" in path or "nodepools" in path for path in paths), paths
    assert not any("stats/summary" in path for path in paths), paths


def test_check_mode_reads_the_same_and_never_changes(capsys, refusing):
    real = run({"pods": [POD_SELECTOR]}, capsys)
    real_calls = list(refusing.calls)
    refusing.calls[:] = []
    checked = run({"pods": [POD_SELECTOR], "_ansible_check_mode": True}, capsys)
    assert checked["changed"] is False and real["changed"] is False
    assert checked["errors"] == real["errors"]
    assert refusing.calls == real_calls
