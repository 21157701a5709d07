# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upstream side of the image check: which digest the upstream registry serves for an image reference.

Never raises: a bad reference or an unreachable registry is the ``error`` of the returned dict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError
from ansible_collections.coder.ai_platform.plugins.module_utils.clients.oci_registry import (
    manifest_digest, parse_image_reference, registry_url,
)


def read_upstream_digest(image, base_url=None, **http_options):
    """``{image, registry, repository, tag, digest, error}`` for ``registry/repository:tag``; ``base_url`` is the
    registry API (default ``https://`` plus the image's registry host); ``http_options`` are JsonHttpClient's."""
    try:
        ref = parse_image_reference(image)
    except ValueError as err:
        return {"image": image, "digest": None, "error": str(err)}
    side = {"image": image, "registry": ref["registry"], "repository": ref["repository"], "tag": ref["tag"],
            "digest": None, "error": None}
    try:
        side["digest"] = manifest_digest(base_url or registry_url(ref["registry"]), ref["repository"],
                                         ref["digest"] or ref["tag"], **http_options)
    except ApiError as err:
        side["error"] = err.message
    return side
