#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: litellm_key_info
short_description: Read when a LiteLLM virtual key expires
version_added: 0.1.0
description:
  - Calls the LiteLLM proxy's C(GET /key/info) with the master key and returns the queried key's alias,
    abbreviated name and expiry.
  - The real endpoint echoes the queried key back; this module drops it, so the key never reaches a result,
    a log or a report.
  - Does not fail when LiteLLM is unreachable or refuses; the cause is returned under RV(errors).
author:
  - Coder platform team (@coder)
options:
  litellm_url:
    description: Base URL of the LiteLLM proxy. Falls back to E(LITELLM_URL).
    type: str
    required: true
    aliases: [url]
  litellm_master_key:
    description: The proxy's master (admin) key. Falls back to E(LITELLM_MASTER_KEY). Never logged.
    type: str
    required: true
    aliases: [master_key]
  key:
    description: The virtual key the workspaces use, whose expiry to read. Falls back to E(LITELLM_KEY). Never logged.
    type: str
    required: true
extends_documentation_fragment:
  - coder.ai_platform.gather
  - coder.ai_platform.http_options
  - coder.ai_platform.platform_group.litellm
"""

EXAMPLES = r"""
- name: Read the workshop key's expiry
  coder.ai_platform.litellm_key_info:
    url: https://litellm.ai.coder.com
    master_key: "{{ vault_litellm_master_key }}"
    key: "{{ vault_litellm_workshop_key }}"
  register: litellm

- name: Show it
  ansible.builtin.debug:
    msg: "{{ litellm.key.key_alias }} expires {{ litellm.key.expires }}"
"""

RETURN = r"""
key:
  description: The key's metadata without the key itself; C(expires) is UTC RFC 3339, or null for a key that never expires.
  returned: when readable
  type: dict
  sample: {"key_alias": "workshop", "key_name": "sk-...Xy9Q", "expires": "2026-11-27T12:00:00Z", "blocked": null}
errors:
  description: Cause per section that could not be read (the only section is C(key)).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_args import (
    HTTP_REQUIRED_BY, check_http_params, http_argument_spec, http_client_options, litellm_connection_spec,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.clients.litellm_api import key_info


def main():
    argument_spec = litellm_connection_spec()
    argument_spec.update(key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["LITELLM_KEY"])))
    argument_spec.update(http_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, required_by=HTTP_REQUIRED_BY, supports_check_mode=True)
    check_http_params(module, urls=["litellm_url"])
    params = module.params
    try:
        info = key_info(params["litellm_url"], params["litellm_master_key"], params["key"],
                        **http_client_options(params, bound_task=True))
    except ApiError as err:
        module.exit_json(changed=False, key=None, errors={"key": err.message})
    module.exit_json(changed=False, key=info, errors={})


if __name__ == "__main__":
    main()
