"""A fake of the LiteLLM proxy's key-management read endpoint, as the gate uses it.

Behaves like LiteLLM's ``GET /key/info`` (litellm/proxy/management_endpoints/key_management_endpoints.py):
``Authorization: Bearer <master key>``; answers ``{"key": <the queried key, echoed>, "info": {...}}`` with the
token hash removed; unknown key -> 404 and a bad master key -> 401, both with LiteLLM's ProxyException body
``{"error": {"message", "type", "param", "code"}}``. The echo is deliberate: it is why the collection must strip
the key from its results, and the secret-leak test relies on it.

Not served: key generation, update, deletion, spend tracking, teams, models.
"""

import hashlib
import json
from datetime import datetime, timezone

from werkzeug.wrappers import Request, Response

from httpserver import BackgroundServer


def _error(status, message, kind, param):
    body = {"error": {"message": message, "type": kind, "param": param, "code": str(status)}}
    return Response(json.dumps(body), status=status, content_type="application/json")


def _abbreviate(key):
    return "sk-...%s" % key[-4:]


class LiteLLMFake(BackgroundServer):
    def __init__(self, master_key, keys):
        super().__init__()
        self.master_key = master_key
        # keys: [{key, key_alias, expires (aware datetime or None)}]
        self.keys = dict((k["key"], k) for k in keys)

    def _info(self, entry):
        expires = entry.get("expires")
        created = datetime(2026, 1, 5, tzinfo=timezone.utc).isoformat()
        return {
            "key_name": _abbreviate(entry["key"]), "key_alias": entry.get("key_alias"), "spend": 12.5,
            "expires": expires.isoformat() if expires else None, "models": [], "aliases": {}, "config": {},
            "user_id": "workshop-facilitator", "team_id": None, "max_parallel_requests": None, "metadata": {},
            "tpm_limit": None, "rpm_limit": None, "max_budget": None, "budget_duration": None,
            "budget_reset_at": None, "allowed_cache_controls": [], "permissions": {}, "model_spend": {},
            "model_max_budget": {}, "soft_budget_cooldown": False, "blocked": None, "litellm_budget_table": None,
            "org_id": None, "created_at": created, "updated_at": created, "created_by": None, "updated_by": None,
        }

    def wsgi_app(self, environ, start_response):
        request = Request(environ)
        response = self._route(request)
        return response(environ, start_response)

    def _route(self, request):
        if request.path == "/health/liveliness":
            return Response('"I\'m alive!"', content_type="application/json")
        if request.path != "/key/info" or request.method != "GET":
            return Response(json.dumps({"detail": "Not Found"}), status=404, content_type="application/json")
        auth = request.headers.get("Authorization", "")
        if auth != "Bearer %s" % self.master_key:
            return _error(401, "Authentication Error, Invalid proxy server token passed. Received API Key = %s, Key "
                          "Hash (Token) =%s. Unable to find token in cache or `LiteLLM_VerificationTokenTable`"
                          % (_abbreviate(auth[7:] or "none"), hashlib.sha256(auth[7:].encode()).hexdigest()),
                          "auth_error", "None")
        key = request.args.get("key")
        entry = self.keys.get(key)
        if entry is None:
            return _error(404, "Key not found in database", "not_found_error", "key")
        return Response(json.dumps({"key": key, "info": self._info(entry)}), content_type="application/json")
