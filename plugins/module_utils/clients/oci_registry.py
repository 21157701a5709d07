# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolve an image tag to its manifest digest through the OCI distribution (registry v2) API.

Handles anonymous bearer-token registries such as ghcr.io: the first request answers 401 with a
``WWW-Authenticate: Bearer realm=...,service=...,scope=...`` challenge, a token is fetched from the realm, and
the request is repeated with it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import (
    ApiError, JsonHttpClient, shown_url,
)

# Ask for every manifest kind so the registry returns the tag's own digest (the index for multi-arch images),
# which is what a mirror copied with all platforms and the kubelet's imageID both carry.
MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")


def parse_image_reference(reference):
    """Split ``registry/repository[:tag][@digest]`` (Docker Hub defaults applied) into its parts."""
    if not reference or " " in reference:
        raise ValueError("not an image reference: %r" % (reference,))
    name, digest = (reference.split("@", 1) + [None])[:2]
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        registry, repository = name.split("/", 1)
    else:
        registry, repository = "docker.io", name
    if registry == "docker.io" and "/" not in repository:
        repository = "library/" + repository
    return {"registry": registry, "repository": repository, "tag": tag or (None if digest else "latest"),
            "digest": digest}


def registry_url(registry):
    return "https://registry-1.docker.io" if registry == "docker.io" else "https://" + registry


def parse_bearer_challenge(header):
    """``Bearer realm="...",service="...",scope="..."`` -> dict, or None if it is not a bearer challenge."""
    if not header or not header.lower().startswith("bearer "):
        return None
    return dict(re.findall(r'(\w+)="([^"]*)"', header[len("bearer "):]))


def digest_from_reference(image_id):
    """The ``sha256:...`` part of a kubelet imageID (``repo@sha256:...``, ``docker-pullable://...``), or None."""
    match = DIGEST_RE.search(image_id or "")
    return match.group(0) if match else None


def manifest_digest(base_url, repository, reference, timeout=10, validate_certs=True, opener=None, **options):
    """The digest a registry serves for ``repository:reference``. Raises ApiError on any failure.
    ``options`` are ``JsonHttpClient``'s (ca_path, client_cert, client_key, use_proxy, retries, deadline); the
    token service gets the same."""
    client = JsonHttpClient(base_url, "registry %s" % shown_url(base_url), timeout=timeout,
                            validate_certs=validate_certs, opener=opener, **options)
    path = "/v2/%s/manifests/%s" % (repository, reference)
    headers = {"Accept": MANIFEST_ACCEPT}
    try:
        status, body, response_headers = client.request("GET", path, headers=headers, raw=True)
    except ApiError as err:
        challenge = parse_bearer_challenge(err.headers.get("www-authenticate"))
        if err.status != 401 or challenge is None or "realm" not in challenge:
            raise
        token = _anonymous_token(challenge, repository, timeout, validate_certs, opener, options)
        headers["Authorization"] = "Bearer %s" % token
        status, body, response_headers = client.request("GET", path, headers=headers, raw=True)
    # A registry computes the digest over the exact manifest bytes; trust the header, else compute it.
    return response_headers.get("docker-content-digest") or "sha256:" + hashlib.sha256(body).hexdigest()


def _anonymous_token(challenge, repository, timeout, validate_certs, opener, options):
    scope = challenge.get("scope") or "repository:%s:pull" % repository
    client = JsonHttpClient(challenge["realm"], "registry token service", timeout=timeout,
                            validate_certs=validate_certs, opener=opener, **options)
    body = client.get("", {"service": challenge.get("service"), "scope": scope}) or {}
    token = body.get("token") or body.get("access_token")
    if not token:
        raise ApiError("registry token service %s returned no token" % challenge["realm"])
    return token
