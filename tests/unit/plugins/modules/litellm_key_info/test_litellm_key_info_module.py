"""litellm_key_info as Ansible runs it: the connection options (names, aliases, environment fallbacks, the
platform group's Coder options it accepts unused), and bad input failing before any call."""

import json
import socket
from datetime import datetime, timezone

import pytest
from ansible.module_utils.testing import patch_module_args
from litellm_fake import LiteLLMFake

from ansible_collections.coder.ai_platform.plugins.modules import litellm_key_info as module

MASTER = "sk-master-0123456789"
KEY = "sk-workshop-abcdef012345"
CODER_TOKEN = "tok-coder-never-sent-to-litellm"


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result, out


@pytest.fixture
def litellm():
    expires = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    fake = LiteLLMFake(MASTER, [{"key": KEY, "key_alias": "workshop", "expires": expires}])
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    for name in ("LITELLM_URL", "LITELLM_MASTER_KEY", "LITELLM_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("args, message", [
    ({"litellm_url": "https://litellm.example", "key": KEY}, "missing required arguments: litellm_master_key"),
    ({"master_key": MASTER, "key": KEY}, "missing required arguments: litellm_url"),
    ({"url": "https://litellm.example", "master_key": MASTER}, "missing required arguments: key"),
    ({"url": "litellm.example:4000", "master_key": MASTER, "key": KEY},
     "litellm_url must be an http:// or https:// URL with a host, got 'litellm.example:4000'"),
    ({"url": "https://litellm.example", "master_key": MASTER, "key": KEY, "retries": -1},
     "retries must be between 0 and 10, got -1"),
])
def test_bad_input_fails_naming_the_option_without_a_call(capsys, args, message):
    result, out = run(args, capsys)
    assert result["failed"] and result["msg"] == message
    assert MASTER not in out and KEY not in out


def test_reads_the_key_through_the_aliases_with_the_result_shape_of_before(capsys, litellm):
    result, out = run({"url": litellm.url, "master_key": MASTER, "key": KEY}, capsys)
    assert result["changed"] is False and result["errors"] == {}
    assert result["key"]["expires"] == "2026-11-27T12:00:00Z" and result["key"]["key_alias"] == "workshop"
    assert KEY not in out and MASTER not in out


def test_the_platform_group_options_are_accepted_and_coder_s_are_not_used(capsys, litellm):
    result, out = run({"litellm_url": litellm.url, "litellm_master_key": MASTER, "key": KEY,
                       "coder_url": "https://ai.coder.example", "coder_token": CODER_TOKEN}, capsys)
    assert result["errors"] == {} and result["key"]["key_alias"] == "workshop"
    assert CODER_TOKEN not in out


def test_the_environment_fallbacks(capsys, litellm, monkeypatch):
    monkeypatch.setenv("LITELLM_URL", litellm.url)
    monkeypatch.setenv("LITELLM_MASTER_KEY", MASTER)
    monkeypatch.setenv("LITELLM_KEY", KEY)
    result, dummy_out = run({}, capsys)
    assert result["errors"] == {} and result["key"]["key_alias"] == "workshop"


def test_a_refused_master_key_and_an_unreachable_proxy_are_errors_not_failures(capsys, litellm):
    result, out = run({"litellm_url": litellm.url, "litellm_master_key": "sk-wrong", "key": KEY}, capsys)
    assert result["key"] is None and "HTTP 401" in result["errors"]["key"] and "sk-wrong" not in out
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % sock.getsockname()[1]
    result, dummy_out = run({"litellm_url": url, "litellm_master_key": MASTER, "key": KEY}, capsys)
    assert not result.get("failed") and "cannot reach %s" % url in result["errors"]["key"]
