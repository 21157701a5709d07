"""workshop_rehearsal's argument handling, with no Coder: the connection options, the shared HTTP options, bad
input failing before any call, and check mode (nothing created, no call made)."""

import json
import socket

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.coder.ai_platform.plugins.modules import workshop_rehearsal as module

TOKEN = "tok-rehearsal-0123456789"


def run(args, capsys, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result, out


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    for name in ("CODER_URL", "CODER_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d" % sock.getsockname()[1]


@pytest.mark.parametrize("args, message", [
    ({"url": "https://ai.coder.com", "template": "ai-workshop", "users": 3},
     "missing required arguments: coder_token"),
    ({"url": "ai.coder.com", "token": TOKEN, "template": "ai-workshop", "users": 3},
     "coder_url must be an http:// or https:// URL with a host, got 'ai.coder.com'"),
    ({"url": "https://ai.coder.com", "token": TOKEN, "template": "ai-workshop", "users": 0},
     "users must be at least 1, got 0"),
    ({"url": "https://ai.coder.com", "token": TOKEN, "template": "ai-workshop", "users": 3, "client_key": "/k"},
     "missing parameter(s) required by 'client_key': client_cert"),
])
def test_bad_input_fails_naming_the_option(capsys, args, message):
    result, out = run(args, capsys)
    assert result["failed"] and result["msg"] == message
    assert TOKEN not in out


def test_check_mode_creates_nothing_and_calls_nothing(capsys, tmp_path):
    # A closed port: any call would show up as an error; check mode makes none.
    args = {"coder_url": closed_port_url(), "coder_token": TOKEN, "template": "ai-workshop", "users": 4,
            "litellm_url": "https://litellm.example", "litellm_master_key": "sk-unused", "ca_path": "/etc/ca.pem",
            "use_proxy": False, "report_dir": str(tmp_path)}
    result, out = run(args, capsys, check_mode=True)
    assert result["changed"] is True and result["msg"] == "would create and then delete 4 workspaces from ai-workshop"
    assert list(tmp_path.iterdir()) == [] and "sk-unused" not in out


def test_the_http_options_reach_the_client_per_call(monkeypatch):
    seen = {}

    class Stop(Exception):
        pass

    def fake_client(url, token, **options):
        seen.update(options, url=url, token=token)
        raise Stop()
    monkeypatch.setattr(module, "CoderClient", fake_client)
    args = {"url": "https://ai.coder.com", "token": TOKEN, "template": "ai-workshop", "users": 1, "retries": 5,
            "ca_path": "/etc/ca.pem", "client_cert": "/c.pem", "use_proxy": False}
    with patch_module_args(args):
        with pytest.raises(Stop):
            module.main()
    assert seen == {"url": "https://ai.coder.com", "token": TOKEN, "timeout": 30, "validate_certs": True,
                    "ca_path": "/etc/ca.pem", "client_cert": "/c.pem", "client_key": None, "use_proxy": False,
                    "retries": 5}  # no task-wide deadline: the rehearsal must keep time to delete what it made
