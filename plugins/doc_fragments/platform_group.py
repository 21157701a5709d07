# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options of the coder.ai_platform.platform action group (module_utils/core/http_args.py).
    # Each module of the group accepts the other service's pair unused, so that one module_defaults block carries both.
    DOCUMENTATION = r"""
options: {}
notes:
  - This module is in the C(coder.ai_platform.platform) action group. One C(module_defaults) block for
    C(group/coder.ai_platform.platform) can carry O(coder_url), O(coder_token), O(litellm_url),
    O(litellm_master_key) and the HTTP options; each module uses only the pair of the service it calls. Name the
    options there by these prefixed names, not by their aliases C(url), C(token), C(master_key).
"""

    # For a module that calls Coder.
    CODER = r"""
options:
  litellm_url:
    description:
      - Not used by this module, which calls only Coder. Accepted so that one C(module_defaults) block for
        C(group/coder.ai_platform.platform) can carry LiteLLM's URL beside Coder's.
    type: str
  litellm_master_key:
    description:
      - Not used by this module, and never sent anywhere; accepted for the same reason as O(litellm_url).
    type: str
notes:
  - This module is in the C(coder.ai_platform.platform) action group. One C(module_defaults) block for
    C(group/coder.ai_platform.platform) can carry O(coder_url), O(coder_token), O(litellm_url),
    O(litellm_master_key) and the HTTP options; each module uses only the pair of the service it calls. Name the
    options there by these prefixed names, not by their aliases C(url), C(token), C(master_key).
"""

    # For a module that calls LiteLLM.
    LITELLM = r"""
options:
  coder_url:
    description:
      - Not used by this module, which calls only LiteLLM. Accepted so that one C(module_defaults) block for
        C(group/coder.ai_platform.platform) can carry Coder's URL beside LiteLLM's.
    type: str
  coder_token:
    description:
      - Not used by this module, and never sent anywhere; accepted for the same reason as O(coder_url).
    type: str
notes:
  - This module is in the C(coder.ai_platform.platform) action group. One C(module_defaults) block for
    C(group/coder.ai_platform.platform) can carry O(coder_url), O(coder_token), O(litellm_url),
    O(litellm_master_key) and the HTTP options; each module uses only the pair of the service it calls. Name the
    options there by these prefixed names, not by their aliases C(url), C(token), C(master_key).
"""
