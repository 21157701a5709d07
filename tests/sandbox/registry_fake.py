"""A fake OCI distribution (registry v2) server with ghcr.io's anonymous bearer-token flow.

Like ghcr.io: ``GET /v2/`` and manifest requests without a token answer 401 with
``WWW-Authenticate: Bearer realm="<url>/token",service="<host>",scope="repository:<name>:pull"``; ``GET /token``
gives an anonymous pull token; manifest GET/HEAD with it answer the stored bytes with ``Docker-Content-Digest``
(the sha256 of exactly those bytes, as every registry computes it) and the manifest's media type. Unknown names and
tags answer 404 with the distribution spec's ``{"errors": [{"code": "MANIFEST_UNKNOWN"|"NAME_UNKNOWN", ...}]}``.

Not served: blobs, pushes, catalog, tag listing, referrers.
"""

import hashlib
import json
import secrets

from werkzeug.wrappers import Request, Response

from httpserver import BackgroundServer


def manifest_digest(manifest_bytes):
    return "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()


def _errors(status, code, message, headers=None):
    body = {"errors": [{"code": code, "message": message, "detail": None}]}
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers or {})


class RegistryFake(BackgroundServer):
    def __init__(self, images):
        super().__init__()
        # images: {"coder/coder-preview": {"latest": manifest_bytes}}; digests are references too.
        self.images = {}
        for name, tags in images.items():
            self.images[name] = {}
            for tag, manifest in tags.items():
                self.images[name][tag] = manifest
                self.images[name][manifest_digest(manifest)] = manifest
        self._tokens = set()

    def _challenge(self, scope):
        header = 'Bearer realm="%s/token",service="127.0.0.1:%d"' % (self.url, self.port)
        if scope:
            header += ',scope="%s"' % scope
        return _errors(401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": header})

    def wsgi_app(self, environ, start_response):
        return self._route(Request(environ))(environ, start_response)

    def _authorised(self, request):
        auth = request.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self._tokens

    def _route(self, request):
        path = request.path
        if path == "/token":
            token = secrets.token_hex(16)
            self._tokens.add(token)
            return Response(json.dumps({"token": token, "access_token": token, "expires_in": 300}),
                            content_type="application/json")
        if path in ("/v2", "/v2/"):
            return Response("{}", content_type="application/json") if self._authorised(request) \
                else self._challenge(None)
        if path.startswith("/v2/") and "/manifests/" in path and request.method in ("GET", "HEAD"):
            name, reference = path[len("/v2/"):].split("/manifests/", 1)
            if not self._authorised(request):
                return self._challenge("repository:%s:pull" % name)
            if name not in self.images:
                return _errors(404, "NAME_UNKNOWN", "repository name not known to registry")
            manifest = self.images[name].get(reference)
            if manifest is None:
                return _errors(404, "MANIFEST_UNKNOWN", "manifest unknown")
            media_type = json.loads(manifest).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            headers = {"Docker-Content-Digest": manifest_digest(manifest), "Content-Length": str(len(manifest))}
            body = b"" if request.method == "HEAD" else manifest
            return Response(body, content_type=media_type, headers=headers)
        return _errors(404, "NOT_FOUND", "not found")
