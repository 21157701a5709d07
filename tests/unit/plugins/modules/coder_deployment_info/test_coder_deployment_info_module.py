"""coder_deployment_info as Ansible runs it: the connection options (names, aliases, environment fallbacks, the
platform group's options it accepts unused), the shared HTTP options, and bad input failing before any call."""

import json
import socket

import pytest
from ansible.module_utils.testing import patch_module_args
from coder_fake import CoderFake

from ansible_collections.coder.ai_platform.plugins.modules import coder_deployment_info as module

TOKEN = "tok-3c1f9e0a7b2d4e6f8a1c"
MASTER_KEY = "sk-master-never-sent-to-coder"
SEED = {"version": "v2.26.0-devel+7f3c1e2", "organizations": [{"name": "coder", "is_default": True, "provisioners": 2}],
        "templates": [{"name": "ai-workshop", "organization": "coder", "import_status": "succeeded",
                       "build_time_p50_s": 60, "build_time_p95_s": 90}]}
SECTIONS = {"buildinfo", "health", "proxies", "organizations", "provisioner_daemons", "pending_jobs", "templates",
            "template_versions"}


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result, out


@pytest.fixture
def coder():
    fake = CoderFake(SEED, token=TOKEN, time_scale=0.01)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    for name in ("CODER_URL", "CODER_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d" % sock.getsockname()[1]


@pytest.mark.parametrize("args, message", [
    ({"coder_url": "https://ai.coder.com"}, "missing required arguments: coder_token"),
    ({"coder_token": TOKEN}, "missing required arguments: coder_url"),
    ({"url": "ai.coder.com", "token": TOKEN},
     "coder_url must be an http:// or https:// URL with a host, got 'ai.coder.com'"),
    ({"url": "https://", "token": TOKEN}, "coder_url must be an http:// or https:// URL with a host, got 'https://'"),
    ({"url": "https://ai.coder.com", "token": TOKEN, "retries": 99}, "retries must be between 0 and 10, got 99"),
    ({"url": "https://ai.coder.com", "token": TOKEN, "timeout": 0}, "timeout must be at least 1 second, got 0"),
    ({"url": "https://ai.coder.com", "token": TOKEN, "client_key": "/k.pem"},
     "missing parameter(s) required by 'client_key': client_cert"),
])
def test_bad_input_fails_naming_the_option_without_a_call(capsys, args, message):
    result, out = run(args, capsys)
    assert result["failed"] and result["msg"] == message
    assert TOKEN not in out


def test_reads_coder_through_the_aliases_with_the_result_shape_of_before(capsys, coder):
    result, out = run({"url": coder.url, "token": TOKEN, "templates": ["ai-workshop"]}, capsys)
    assert result["changed"] is False and result["errors"] == {} and result["reachable"] is True
    assert SECTIONS | {"errors", "reachable", "api_calls"} <= set(result)
    assert result["buildinfo"]["version"] == "v2.26.0-devel+7f3c1e2"
    assert len(result["provisioner_daemons"]["coder"]) == 2
    assert TOKEN not in out


def test_the_platform_group_options_are_accepted_and_litellm_s_are_not_used(capsys, coder):
    # What one module_defaults block for group/coder.ai_platform.platform hands to every module of the group.
    result, out = run({"coder_url": coder.url, "coder_token": TOKEN, "litellm_url": "https://litellm.example",
                       "litellm_master_key": MASTER_KEY, "validate_certs": True, "use_proxy": False,
                       "retries": 1}, capsys)
    assert result["errors"] == {} and result["reachable"] is True
    assert MASTER_KEY not in out and TOKEN not in out


def test_the_environment_fallbacks(capsys, coder, monkeypatch):
    monkeypatch.setenv("CODER_URL", coder.url)
    monkeypatch.setenv("CODER_SESSION_TOKEN", TOKEN)
    result, dummy_out = run({}, capsys)
    assert result["errors"] == {} and result["reachable"] is True


def test_an_unreachable_coder_is_reported_per_section_not_failed(capsys):
    url = closed_port_url()
    result, dummy_out = run({"coder_url": url, "coder_token": TOKEN, "timeout": 2}, capsys)
    assert not result.get("failed") and result["reachable"] is False
    assert set(result["errors"]) == SECTIONS
    assert all("cannot reach %s/api/v2" % url in cause for cause in result["errors"].values())


def test_a_wrong_token_is_reported_per_section(capsys, coder):
    result, out = run({"coder_url": coder.url, "coder_token": "wrong-token"}, capsys)
    assert result["reachable"] is True and "HTTP 401" in result["errors"]["health"]
    assert "wrong-token" not in out
