# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a LiteLLM virtual key's metadata (expiry) through the proxy's ``GET /key/info``.

The real endpoint echoes the queried key back in its ``key`` field; ``key_info`` drops it so the secret never
reaches a module result, a log or a report.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import JsonHttpClient
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat, parse_timestamp

# Only these fields of ``info`` leave the module: enough to judge expiry and to recognise the key.
KEPT_FIELDS = ("key_alias", "key_name", "expires", "created_at", "updated_at", "blocked", "spend", "max_budget",
               "models", "team_id", "user_id")


def key_info(url, master_key, key, timeout=10, validate_certs=True, opener=None, **options):
    """Return the key's metadata without the key. Raises ApiError when LiteLLM is unreachable or refuses.
    ``options`` are ``JsonHttpClient``'s (ca_path, client_cert, client_key, use_proxy, retries, deadline)."""
    client = JsonHttpClient(url, "LiteLLM API", headers={"Authorization": "Bearer %s" % master_key},
                            timeout=timeout, validate_certs=validate_certs, opener=opener, **options)
    body = client.get("/key/info", {"key": key}) or {}
    info = body.get("info") or {}
    result = dict((name, info.get(name)) for name in KEPT_FIELDS if name in info)
    expires = parse_timestamp(info.get("expires")) if info.get("expires") else None
    result["expires"] = isoformat(expires) if expires else None
    return result
