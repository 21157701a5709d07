"""preflight_facts_info as Ansible runs it, with no AWS: sources and regions reach their readers with validated
parameters, bad input fails naming the source (before any reader runs), a hanging source ends at the deadline as a
failed result, secrets never reach the result, and check mode changes nothing (a read)."""

import json
import time

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.coder.ai_platform.plugins.module_utils.core import gather
from ansible_collections.coder.ai_platform.plugins.modules import preflight_facts_info as module

REGION = "us-east-2"
SECRET = "coder-token-5f0e9d8c7b6a"


@pytest.fixture(autouse=True)
def no_ambient_aws(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


@pytest.fixture
def readers(monkeypatch):
    """Replace the registered readers by recorders: (key, context region, params) of every call."""
    calls = []

    def recorder(name):
        def read(context, params):
            calls.append((name, context.region, dict(params)))
            if name == "plan":
                return {"plan": {"after_coder": context.results.get("coder")}}
            return {"read": name, "region": context.region}
        return read
    for name, source in list(gather.SOURCES.items()):
        monkeypatch.setattr(source, "read", recorder(name))
    return calls


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result, out


CODER = {"coder_url": "https://coder.example", "coder_token": SECRET, "templates": ["ai-workshop"]}
IMAGES = {"upstream_image": "ghcr.io/coder/coder-preview:latest", "ecr_repository": "coder-preview"}


def test_every_source_of_every_region_is_read_and_returned_by_name(capsys, readers):
    result, out = run({"region": REGION, "timeout": 4, "sources": {"coder": CODER, "plan": {"expected_users": 10}},
                       "regions": [{"name": "us-east-2", "sources": {"images": IMAGES}},
                                   {"name": "oregon", "region": "us-west-2", "sources": {"images": IMAGES}}]},
                      capsys)
    assert result["changed"] is False
    assert result["regions"]["us-east-2"]["images"] == {"read": "images", "region": "us-east-2"}
    assert result["regions"]["oregon"]["images"] == {"read": "images", "region": "us-west-2"}
    assert result["sources"]["coder"]["read"] == "coder"
    assert result["sources"]["plan"]["plan"]["after_coder"]["read"] == "coder"  # plan ran after coder, with it
    assert set(result["timings"]) == {"coder", "plan", "us-east-2/images", "oregon/images"}
    coder_params = [p for name, region, p in readers if name == "coder"][0]
    assert coder_params["timeout"] == 4 and coder_params["retries"] == 3  # the module's timeout, the spec's default
    images_params = [p for name, region, p in readers if name == "images"][0]
    assert images_params["ecr_tag"] is None and images_params["timeout"] == 4
    assert SECRET not in out  # the token is no_log in the coder source's spec


def test_an_unknown_source_fails_naming_it_before_any_read(capsys, readers):
    result, dummy_out = run({"region": REGION, "sources": {"coder": CODER, "dr": {}}}, capsys)
    assert result["failed"] and result["input_error"] is True
    assert "unknown gather source 'dr'" in result["msg"] and readers == []


def test_a_bad_source_parameter_fails_naming_the_source_and_option(capsys, readers):
    result, out = run({"region": REGION, "regions": [{"name": "r", "sources": {"images": {"ecr_repository": "x"}}}]},
                      capsys)
    assert result["failed"] and "gather source images" in result["msg"] and "upstream_image" in result["msg"]
    assert readers == []
    result, out = run({"region": REGION, "sources": {"coder": dict(CODER, coder_url="coder.example")}}, capsys)
    assert result["failed"] and "coder_url must be an http:// or https:// URL" in result["msg"]
    assert SECRET not in out and readers == []


def test_a_source_in_the_wrong_scope_is_refused(capsys, readers):
    result, dummy_out = run({"region": REGION, "sources": {"images": IMAGES}}, capsys)
    assert result["failed"] and "images is a region source" in result["msg"]
    result, out = run({"region": REGION, "regions": [{"name": "r", "sources": {"coder": CODER}}]}, capsys)
    assert result["failed"] and "coder is a global source" in result["msg"]
    assert SECRET not in out and readers == []


def test_a_hanging_source_ends_at_the_deadline_and_the_others_are_returned(capsys, monkeypatch, readers):
    monkeypatch.setattr(gather.SOURCES["cluster"], "read", lambda context, params: time.sleep(30))
    started = time.monotonic()
    result, dummy_out = run({"region": REGION, "timeout": 1, "deadline": 1,
                             "regions": [{"name": "r", "sources": {"cluster": {}, "images": IMAGES}}]}, capsys)
    assert time.monotonic() - started < 5
    cluster = result["regions"]["r"]["cluster"]
    assert cluster["failed"] is True and "r/cluster: no answer within 1s" in cluster["msg"]
    assert set(cluster["errors"]) == {"nodes", "nodepools", "deployments", "cronjobs", "pods"}
    assert result["regions"]["r"]["images"]["read"] == "images"


def test_check_mode_reads_the_same_and_changes_nothing(capsys, readers):
    args = {"region": REGION, "sources": {"coder": CODER}}
    result, dummy_out = run(dict(args, _ansible_check_mode=True), capsys)
    assert result["changed"] is False and result["sources"]["coder"]["read"] == "coder"
    assert len(readers) == 1


def test_a_kubernetes_token_never_reaches_the_result(capsys, readers):
    result, out = run({"region": REGION, "regions": [{"name": "r", "kubernetes": {"api_key": "kube-secret-0a1b2c3d"},
                                                      "sources": {"images": IMAGES}}]}, capsys)
    assert "failed" not in result and "kube-secret-0a1b2c3d" not in out
