#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: workshop_rehearsal
short_description: Rehearse a workshop - create N workspaces as participants would, measure, and delete them all
version_added: 0.1.0
description:
  - In the spirit of C(coder exp scaletest create-workspaces), creates O(users) workspaces from O(template) through the
    Coder API, on the arrival curve O(arrival_profile) (default everyone within 60 s of "go"), runs the concurrency
    itself in one task, retries failed builds with exponential backoff and jitter up to O(retry.max_retries), and
    measures every workspace from Coder's own timestamps - queue wait, build time and time-to-ready (agents ready
    minus the first build's creation).
  - Reports p50/p95/max time-to-ready and the success rate against O(target_p95_s) and O(target_success_rate), and
    writes C(rehearsal.json) and C(rehearsal.md) under O(report_dir). Durations are platform seconds - a O(time_scale)
    below 1 (the sandbox runs builds 100 times faster) is undone in every number.
  - Always deletes every workspace it created - also when the targets are missed, on an API error, on SIGINT,
    SIGTERM or SIGHUP, and when the controlling ansible-playbook process dies - and lists the workspaces afterwards
    to prove none is left. Only SIGKILL can prevent that; names carry the run id so C(coder delete) can finish the job.
  - Does not fail when the targets are missed (the play decides); fails when workspaces are left behind or the run
    was interrupted.
author:
  - Coder platform team (@coder)
options:
  coder_url:
    description: Base URL of the Coder deployment. Falls back to E(CODER_URL).
    type: str
    required: true
    aliases: [url]
  coder_token:
    description: Coder token of the user the workspaces belong to. Falls back to E(CODER_SESSION_TOKEN). Never logged.
    type: str
    required: true
    aliases: [token]
  template:
    description: The workshop template to create workspaces from.
    type: str
    required: true
  users:
    description: How many workspaces (participants) to create.
    type: int
    required: true
  arrival_profile:
    description:
      - When participants press create, as C([seconds, cumulative fraction]) points from C([0, 0]) to fraction 1, the
        same curve the capacity model uses. Default C([[0, 0], [60, 1]]).
    type: list
    elements: list
  retry:
    description: Retry policy for failed builds.
    type: dict
    default: {}
    suboptions:
      base_s:
        description: First backoff, seconds.
        type: float
        default: 5
      cap_s:
        description: Longest backoff, seconds.
        type: float
        default: 60
      max_retries:
        description: Retries per workspace after its first build.
        type: int
        default: 3
  time_scale:
    description: Wall seconds per platform second (the sandbox's Coder runs at 0.01).
    type: float
    default: 1.0
  poll_s:
    description: Seconds between reads of the workspace list (one API call reads all of them).
    type: float
    default: 2
  build_timeout_s:
    description: Give up on a workspace not ready this long after the last arrival.
    type: float
    default: 1800
  cleanup_timeout_s:
    description: Longest time to wait for the deletions to finish.
    type: float
    default: 900
  target_p95_s:
    description: Target p95 time-to-ready, seconds (requirement 9.2).
    type: float
    default: 120
  target_success_rate:
    description: Target share of workspaces that become ready (requirement 10.2).
    type: float
    default: 0.995
  report_dir:
    description: Where C(rehearsal.json) and C(rehearsal.md) go.
    type: path
    default: ./reports
  name_prefix:
    description: Workspace names are C(<prefix>-<run id>-<n>).
    type: str
    default: rh
  seed:
    description: Seed of the backoff jitter, for reproducible runs.
    type: int
  timeout:
    description:
      - Seconds one HTTP call may take, its retries and their backoff included. The rehearsal as a whole is
        bounded by O(build_timeout_s) and O(cleanup_timeout_s) instead.
    type: int
    default: 30
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode nothing is created; the module reports that it would create and delete O(users) workspaces.
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - coder.ai_platform.http_options
  - coder.ai_platform.platform_group.coder
"""

EXAMPLES = r"""
- name: Rehearse a 40-person workshop two days ahead
  coder.ai_platform.workshop_rehearsal:
    url: https://ai.coder.com
    token: "{{ lookup('ansible.builtin.env', 'CODER_SESSION_TOKEN') }}"
    template: ai-workshop
    users: 40
  register: rehearsal

- name: Fail when the rehearsal missed the targets
  ansible.builtin.fail:
    msg: "p95 {{ rehearsal.result.p95_s }} s, success {{ rehearsal.result.success_rate }}"
  when: not (rehearsal.result.meets_targets.p95 and rehearsal.result.meets_targets.success_rate)
"""

RETURN = r"""
result:
  description:
    - C(users), C(succeeded), C(failed), C(success_rate), C(p50_s), C(p95_s), C(max_s) (time-to-ready, platform
      seconds), C(queue_wait_p50_s), C(queue_wait_p95_s), C(build_p50_s), C(build_p95_s), C(retries),
      C(meets_targets), C(failures) (each naming the workspace, the build status and Coder's job error),
      C(cleanup) (C(created), C(left), C(left_names)), C(interrupted), C(per_workspace), C(api_calls), C(wall_s).
  returned: unless in check mode
  type: dict
paths:
  description: The report files.
  returned: unless in check mode
  type: dict
"""

import json
import os
import signal
import threading

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.coder.ai_platform.plugins.module_utils.clients.coder_api import CoderClient
from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.rehearsal import Rehearsal, Settings
from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.rehearsal_report import to_markdown
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_args import (
    HTTP_REQUIRED_BY, check_http_params, coder_connection_spec, http_argument_spec, http_client_options,
)


def ancestors():
    """Our parent chain up to init (Linux /proc); empty where /proc is missing."""
    chain, pid = [], os.getppid()
    while pid > 1 and len(chain) < 32:
        chain.append(pid)
        try:
            with open("/proc/%d/stat" % pid) as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return chain


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def guard(rehearsal):
    """Turn SIGINT/SIGTERM/SIGHUP, and the death of any process that started us, into an orderly abort."""
    def on_signal(signum, frame):
        rehearsal.abort("received %s" % signal.Signals(signum).name)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    chain = ancestors()

    def watch():
        # ansible-playbook answers an interrupt by terminating its worker, which never signals us: notice that.
        while not rehearsal.aborted.wait(0.2):
            if os.getppid() != (chain[0] if chain else os.getppid()) or not all(alive(pid) for pid in chain):
                rehearsal.abort("the controlling process went away")
    threading.Thread(target=watch, name="rehearsal-watchdog", daemon=True).start()


def write_report(report_dir, result):
    if not os.path.isdir(report_dir):
        os.makedirs(report_dir)
    paths = {"json": os.path.join(report_dir, "rehearsal.json"), "markdown": os.path.join(report_dir, "rehearsal.md")}
    with open(paths["json"], "w") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    with open(paths["markdown"], "w") as handle:
        handle.write(to_markdown(result))
    return paths


def main():
    argument_spec = coder_connection_spec()
    argument_spec.update(
        template=dict(type="str", required=True),
        users=dict(type="int", required=True),
        arrival_profile=dict(type="list", elements="list"),
        retry=dict(type="dict", default={}, options=dict(
            base_s=dict(type="float", default=5), cap_s=dict(type="float", default=60),
            max_retries=dict(type="int", default=3))),
        time_scale=dict(type="float", default=1.0),
        poll_s=dict(type="float", default=2),
        build_timeout_s=dict(type="float", default=1800),
        cleanup_timeout_s=dict(type="float", default=900),
        target_p95_s=dict(type="float", default=120),
        target_success_rate=dict(type="float", default=0.995),
        report_dir=dict(type="path", default="./reports"),
        name_prefix=dict(type="str", default="rh"),
        seed=dict(type="int"),
    )
    argument_spec.update(http_argument_spec(timeout=30))
    module = AnsibleModule(argument_spec=argument_spec, required_by=HTTP_REQUIRED_BY, supports_check_mode=True)
    check_http_params(module, urls=["coder_url"])
    params = module.params
    if params["users"] < 1:
        module.fail_json(msg="users must be at least 1, got %d" % params["users"])
    if module.check_mode:
        module.exit_json(changed=True, msg="would create and then delete %d workspaces from %s"
                         % (params["users"], params["template"]))
    try:
        settings = Settings(params["users"], params["template"], params["arrival_profile"], params["time_scale"],
                            max_retries=params["retry"]["max_retries"], base_s=params["retry"]["base_s"],
                            cap_s=params["retry"]["cap_s"], poll_s=params["poll_s"],
                            build_timeout_s=params["build_timeout_s"], cleanup_timeout_s=params["cleanup_timeout_s"],
                            name_prefix=params["name_prefix"], target_p95_s=params["target_p95_s"],
                            target_success_rate=params["target_success_rate"], seed=params["seed"])
    except ValueError as err:
        module.fail_json(msg="bad rehearsal input: %s" % err)
    # Per call, not per task: the rehearsal runs for minutes and must still be able to delete what it created.
    client = CoderClient(params["coder_url"], params["coder_token"], **http_client_options(params))
    rehearsal = Rehearsal(client, settings, os.urandom(3).hex())
    guard(rehearsal)
    result = rehearsal.run()
    paths = write_report(os.path.abspath(params["report_dir"]), result)
    cleanup = result["cleanup"]
    if cleanup["left"]:
        module.fail_json(msg="%d rehearsal workspace(s) could not be deleted: %s; delete them with `coder delete`"
                         % (cleanup["left"], ", ".join(cleanup["left_names"])), result=result, paths=paths)
    if result["interrupted"]:
        module.fail_json(msg="rehearsal stopped (%s); deleted all %d workspaces it created, none left"
                         % (result["interrupt_reason"], cleanup["created"]), result=result, paths=paths)
    module.exit_json(changed=True, result=result, paths=paths)


if __name__ == "__main__":
    main()
