# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small JSON-over-HTTP client for the APIs this collection talks to (Coder, LiteLLM, OCI registries).

It exists so that every outside call has a timeout, and every failure becomes one ``ApiError`` whose message says
which service, which request, and why -- never a traceback, and never a credential (headers are not echoed).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import Request, make_context


class ApiError(Exception):
    """A failed call to an outside API. ``status`` is the HTTP status, or None when the service was unreachable."""

    def __init__(self, message, status=None, body=None, headers=None):
        super(ApiError, self).__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.headers = headers or {}

    @property
    def unreachable(self):
        return self.status is None


def _error_detail(body):
    """Pull the human part out of an error body (Coder: message/detail; LiteLLM: error.message; registry: errors[])."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("error"), dict):
        return body["error"].get("message")
    if isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        if isinstance(first, dict):
            return first.get("message") or first.get("code")
    parts = [body.get("message"), body.get("detail")]
    text = ": ".join(p for p in parts if p)
    return text or None


class JsonHttpClient:
    """Calls one base URL. ``headers`` carry auth; they are sent, never logged or put into errors."""

    def __init__(self, base_url, service, headers=None, timeout=10, validate_certs=True, opener=None):
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.validate_certs = validate_certs
        self._open = opener or self._request
        # open_url would build an SSL context per call, loading the whole CA store (~25 ms a request); one per
        # client keeps the same verification at no per-call cost.
        self._context = make_context(validate_certs=validate_certs)

    def _request(self, url, method, data, headers, timeout, validate_certs, follow_redirects):
        return Request().open(method, url, data=data, headers=headers, timeout=timeout, validate_certs=validate_certs,
                              follow_redirects=follow_redirects, context=self._context)

    def url(self, path, query=None):
        url = self.base_url + path
        if query:
            items = [(k, v) for k, v in query.items() if v is not None]
            if items:
                url += "?" + urlencode(items)
        return url

    def request(self, method, path, query=None, body=None, headers=None, raw=False):
        """Send one request. Returns (status, parsed JSON or raw bytes, response headers dict)."""
        all_headers = dict(self.headers)
        all_headers.setdefault("Accept", "application/json")
        all_headers.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        what = "%s %s %s" % (self.service, method, path)
        try:
            response = self._open(
                self.url(path, query), method=method, data=data, headers=all_headers, timeout=self.timeout,
                validate_certs=self.validate_certs, follow_redirects="safe",
            )
            payload = response.read()
            status = response.getcode()
            response_headers = dict((k.lower(), v) for k, v in response.headers.items())
        except HTTPError as err:
            payload = err.read() if hasattr(err, "read") else b""
            parsed = _parse_json(payload)
            detail = _error_detail(parsed) or err.reason
            err_headers = dict((k.lower(), v) for k, v in (err.headers or {}).items())
            raise ApiError("%s: HTTP %s %s" % (what, err.code, detail), status=err.code, body=parsed,
                           headers=err_headers)
        except URLError as err:
            raise ApiError("%s: cannot reach %s (%s)" % (what, self.base_url, _reason(err.reason)))
        except (socket.timeout, TimeoutError):
            raise ApiError("%s: no answer from %s within %ss" % (what, self.base_url, self.timeout))
        except (ConnectionError, OSError) as err:
            raise ApiError("%s: cannot reach %s (%s)" % (what, self.base_url, _reason(err)))
        if raw:
            return status, payload, response_headers
        if not payload:
            return status, None, response_headers
        parsed = _parse_json(payload)
        if parsed is None:
            raise ApiError("%s: HTTP %s but the body is not JSON" % (what, status), status=status)
        return status, parsed, response_headers

    def get(self, path, query=None):
        return self.request("GET", path, query=query)[1]

    def post(self, path, body):
        return self.request("POST", path, body=body)[1]


def _parse_json(payload):
    if not payload:
        return None
    try:
        return json.loads(payload.decode("utf-8") if isinstance(payload, bytes) else payload)
    except ValueError:
        return None


def _reason(reason):
    if isinstance(reason, socket.timeout):
        return "timed out"
    text = getattr(reason, "strerror", None) or str(reason)
    return text
