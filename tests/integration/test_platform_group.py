"""The coder.ai_platform.platform action group, as a playbook uses it: one module_defaults block carries Coder's and
LiteLLM's URLs and credentials and the HTTP options, and every module of the group takes only its own service's pair.
Runs ansible-playbook on localhost against the sandbox's Coder and LiteLLM fakes, started in process."""

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from coder_fake import CoderFake
from litellm_fake import LiteLLMFake

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CODER_TOKEN = "tok-platform-group-0123456789"
MASTER_KEY = "sk-master-platform-group-0123"
WORKSHOP_KEY = "sk-workshop-platform-group-4567"

PLAYBOOK = """
- name: One module_defaults block for the whole platform group
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/coder.ai_platform.platform:
      coder_url: "{{ test_coder_url }}"
      coder_token: "{{ test_coder_token }}"
      litellm_url: "{{ test_litellm_url }}"
      litellm_master_key: "{{ test_master_key }}"
      timeout: 5
      retries: 1
      use_proxy: false
  tasks:
    - name: Coder, with no connection option in the task
      coder.ai_platform.coder_deployment_info:
        templates: [ai-workshop]
      register: coder

    - name: LiteLLM, with no connection option in the task
      coder.ai_platform.litellm_key_info:
        key: "{{ test_workshop_key }}"
      register: litellm

    - name: The rehearsal takes the same block (check mode creates nothing)
      coder.ai_platform.workshop_rehearsal:
        template: ai-workshop
        users: 2
      check_mode: true
      register: rehearsal

    - name: Keep what the test looks at
      ansible.builtin.copy:
        dest: "{{ test_out }}"
        content: "{{ {'coder': coder, 'litellm': litellm, 'rehearsal': rehearsal} | to_json }}"
        mode: "0600"
"""


@pytest.fixture
def fakes():
    template = {"name": "ai-workshop", "organization": "coder", "import_status": "succeeded",
                "build_time_p50_s": 60, "build_time_p95_s": 90}
    coder = CoderFake({"version": "v2.26.0", "templates": [template]}, token=CODER_TOKEN, time_scale=0.01)
    expires = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    litellm = LiteLLMFake(MASTER_KEY, [{"key": WORKSHOP_KEY, "key_alias": "workshop", "expires": expires}])
    coder.start()
    litellm.start()
    yield coder, litellm
    coder.stop()
    litellm.stop()


def test_one_module_defaults_block_serves_every_module_of_the_group(fakes, tmp_path):
    coder, litellm = fakes
    playbook = tmp_path / "platform.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "out.json"
    extra = {"test_coder_url": coder.url, "test_coder_token": CODER_TOKEN, "test_litellm_url": litellm.url,
             "test_master_key": MASTER_KEY, "test_workshop_key": WORKSHOP_KEY, "test_out": str(out),
             "ansible_python_interpreter": sys.executable}
    extra_file = tmp_path / "extra.json"
    extra_file.write_text(json.dumps(extra))
    env = dict(os.environ, PATH="%s:%s" % (VENV_BIN, os.environ.get("PATH", "")),
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", TMPDIR=str(tmp_path),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"))
    run = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", "localhost,", "-c", "local",
                          "-e", "@%s" % extra_file, "-v"], cwd=str(REPO), env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Unsupported parameters" not in output and "[WARNING]" not in output, output
    for secret in (CODER_TOKEN, MASTER_KEY, WORKSHOP_KEY):
        assert secret not in output
    results = json.loads(out.read_text())
    assert results["coder"]["errors"] == {} and results["coder"]["reachable"] is True
    assert results["litellm"]["errors"] == {} and results["litellm"]["key"]["key_alias"] == "workshop"
    assert results["rehearsal"]["changed"] is True
    assert "would create and then delete 2 workspaces" in results["rehearsal"]["msg"]
