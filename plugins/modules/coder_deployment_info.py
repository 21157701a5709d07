#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: coder_deployment_info
short_description: Read a Coder deployment's version, health, proxies, provisioners and templates
version_added: 0.1.0
description:
  - Reads, in a handful of parallel calls to the Coder v2 REST API, what a pre-workshop check needs to know about
    a Coder deployment - build info, the health report, workspace proxies and their versions, organizations, the
    provisioner daemons and pending provisioner jobs of every organization, and the templates with their
    C(build_time_stats) and the import status of the active version of each template named in O(templates).
  - The module does not fail when Coder is unreachable or refuses a call. It returns the cause for each section
    under RV(errors), so a gate can report the checks that need that section as C(error) and still evaluate the rest.
author:
  - Coder platform team (@coder)
options:
  coder_url:
    description:
      - Base URL of the Coder deployment (the primary, not a workspace proxy), without C(/api/v2).
      - Falls back to the E(CODER_URL) environment variable.
    type: str
    required: true
    aliases: [url]
  coder_token:
    description:
      - A Coder session or API token with at least auditor rights (the health report needs them).
      - Falls back to the E(CODER_SESSION_TOKEN) environment variable. Never logged.
    type: str
    required: true
    aliases: [token]
  templates:
    description:
      - Names of the templates whose active version to inspect (the workshop templates).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - coder.ai_platform.gather
  - coder.ai_platform.http_options
  - coder.ai_platform.platform_group.coder
"""

EXAMPLES = r"""
- name: Read the Coder deployment
  coder.ai_platform.coder_deployment_info:
    url: https://ai.coder.com
    token: "{{ lookup('ansible.builtin.env', 'CODER_SESSION_TOKEN') }}"
    templates: [ai-workshop]
  register: coder

- name: Show the primary's version and how many default-org provisioners are online
  ansible.builtin.debug:
    msg: "{{ coder.buildinfo.version }}: {{ coder.provisioner_daemons.coder | length }} provisioners"

- name: Behind a private CA, with the connection in one module_defaults block for the whole group
  module_defaults:
    group/coder.ai_platform.platform:
      coder_url: https://coder.internal.example
      coder_token: "{{ vault_coder_token }}"
      ca_path: /etc/pki/platform-ca.pem
  coder.ai_platform.coder_deployment_info:
    templates: [ai-workshop]
"""

RETURN = r"""
reachable:
  description: Whether Coder answered at all (C(GET /api/v2/buildinfo)).
  returned: always
  type: bool
errors:
  description: Cause per section that could not be read; a section missing here was read.
  returned: always
  type: dict
  sample: {"health": "Coder API GET /debug/health: HTTP 401 You are signed out or your session has expired."}
api_calls:
  description: Number of HTTP requests made.
  returned: always
  type: int
buildinfo:
  description: The C(/api/v2/buildinfo) answer (C(version) is the full version string, e.g. C(v2.26.0-devel+7f3c1e2)).
  returned: when reachable
  type: dict
health:
  description: The health report, one entry per section with C(healthy), C(severity), C(warnings), C(error).
  returned: when readable
  type: dict
proxies:
  description: Workspace proxies with C(name), C(version), C(healthy), C(status), C(path_app_url).
  returned: when readable
  type: list
  elements: dict
organizations:
  description: Organizations with C(id), C(name), C(is_default).
  returned: when readable
  type: list
  elements: dict
provisioner_daemons:
  description: Provisioner daemons per organization name, each with C(name), C(status), C(version), C(tags).
  returned: when readable
  type: dict
pending_jobs:
  description: Number of pending provisioner jobs per organization name.
  returned: when readable
  type: dict
templates:
  description:
    - Templates with C(name), C(deprecated), C(active_version_id), C(build_time_stats) (C(p50_s), C(p95_s) of the
      start transition, in seconds) and, for the templates named in O(templates), C(active_version) with
      C(import_status) and C(import_error).
  returned: when readable
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.coder.ai_platform.plugins.module_utils.clients.coder_api import CoderClient, gather_deployment
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_args import (
    HTTP_REQUIRED_BY, check_http_params, coder_connection_spec, http_argument_spec, http_client_options,
)


def main():
    argument_spec = coder_connection_spec()
    argument_spec.update(templates=dict(type="list", elements="str", default=[]))
    argument_spec.update(http_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, required_by=HTTP_REQUIRED_BY, supports_check_mode=True)
    check_http_params(module, urls=["coder_url"])
    client = CoderClient(module.params["coder_url"], module.params["coder_token"],
                         **http_client_options(module.params, bound_task=True))
    facts = gather_deployment(client, module.params["templates"])
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
