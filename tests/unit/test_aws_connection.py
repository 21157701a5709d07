"""One AWS connection: every role and playbook hands the platform role's aws_connection to the AWS action group, and
ansible-core 2.19 accepts it there (module_defaults may template only its values, not its keys)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
GROUP = "group/coder.ai_platform.aws"
ONE_VALUE = "{{ aws_connection }}"


def module_defaults(node):
    """Every module_defaults mapping under a parsed YAML node."""
    if isinstance(node, dict):
        if isinstance(node.get("module_defaults"), dict):
            yield node["module_defaults"]
        for value in node.values():
            yield from module_defaults(value)
    elif isinstance(node, list):
        for value in node:
            yield from module_defaults(value)


def test_no_role_or_playbook_spells_out_the_aws_connection():
    files = sorted(list((REPO / "roles").glob("*/tasks/*.yml")) + list((REPO / "playbooks").glob("*.yml")))
    found = {}
    for path in files:
        for defaults in module_defaults(yaml.safe_load(path.read_text())):
            if GROUP in defaults:
                found[str(path.relative_to(REPO))] = defaults[GROUP]
    assert found, "no role or playbook sets the AWS action group's defaults"
    assert dict((p, v) for p, v in found.items() if v != ONE_VALUE) == {}
    platform = yaml.safe_load((REPO / "roles" / "platform" / "defaults" / "main.yml").read_text())
    assert sorted(platform["aws_connection"]) == ["access_key", "endpoint_url", "profile", "region", "secret_key"]


PLAY = """
- hosts: localhost
  gather_facts: false
  roles:
    - coder.ai_platform.platform
  module_defaults:
    group/coder.ai_platform.aws: "{{ aws_connection }}"
  tasks:
    - name: An amazon.aws module, reached through the group (extend_group in meta/runtime.yml)
      amazon.aws.aws_caller_info:
      register: caller
      ignore_errors: true
    - name: One of ours, with a block-level override of the region
      module_defaults:
        group/coder.ai_platform.aws: "{{ aws_connection | combine({'region': 'eu-west-2'}) }}"
      coder.ai_platform.vpc_flow_logs:
        log_group_name: /g
        deliver_logs_permission_arn: arn:aws:iam::123456789012:role/r
      register: ours
      ignore_errors: true
    - name: Save
      ansible.builtin.copy:
        content: "{{ {'caller': caller.msg, 'ours': ours.msg} | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def test_ansible_takes_the_one_value_with_omitted_keys_and_a_region_override(tmp_path):
    playbook, out = tmp_path / "play.yml", tmp_path / "out.json"
    playbook.write_text(PLAY)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               PATH="%s:%s" % (Path(sys.executable).parent, os.environ.get("PATH", "")))
    # A closed port on loopback: the call fails fast, and its message shows the endpoint the group handed down.
    extra = {"aws_region": "us-east-2", "aws_endpoint_url": "http://127.0.0.1:9", "aws_access_key": "AKIDEXAMPLE",
             "aws_secret_key": "not-a-secret", "out": str(out), "ansible_python_interpreter": sys.executable}
    run = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                          str(playbook), "-e", json.dumps(extra)], cwd=str(REPO), env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    messages = json.loads(out.read_text())
    # aws_profile is unset: omitted, not an empty profile (that would fail with "profile not found").
    assert "127.0.0.1:9" in messages["caller"] and "profile" not in messages["caller"].lower()
    assert "in eu-west-2" in messages["ours"] and "127.0.0.1:9" in messages["ours"]
