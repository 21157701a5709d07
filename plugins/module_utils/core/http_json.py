# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small JSON-over-HTTP client for the APIs this collection talks to (Coder, LiteLLM, OCI registries).

It exists so that every outside call has a time bound, and every failure becomes one ``ApiError`` whose message says
which service, which request, and why -- never a traceback, and never a credential (headers are not echoed).

Conventions (the ones ``ansible.builtin.uri`` users expect, minus the surprises):

- ``~/.netrc`` is never read: a netrc entry for the host must not replace the ``Authorization: Bearer`` header.
- ``ca_path`` (a PEM bundle that replaces the system store), ``client_cert``/``client_key`` (mutual TLS),
  ``use_proxy`` (the ``*_proxy`` environment variables) and ``validate_certs``.
- Every request says ``User-Agent: coder.ai_platform/<version>``.
- Answers 429, 5xx and connections cut off mid-answer are retried with bounded, jittered exponential backoff
  (a small ``Retry-After`` is honoured). 4xx other than 429 are never retried. Non-idempotent methods (POST, PATCH)
  are retried only on 429 and 503, which mean the server did not act on the request.
- One call, retries and backoff included, takes at most ``timeout`` seconds, and never runs past ``deadline``
  (an absolute ``time.monotonic()`` value shared by every call of a task), so a throttled or hanging service cannot
  stretch a gather beyond the bound its caller gave.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random
import re
import socket
import threading
import time
from email.utils import parsedate_tz, mktime_tz

from ansible.module_utils.six.moves import http_client
from ansible.module_utils.six.moves.urllib import request as urllib_request
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode, urlparse
from ansible.module_utils.urls import HTTPRedirectHandler, make_context

from ansible_collections.coder.ai_platform.plugins.module_utils.core.version import (
    COLLECTION_NAME, COLLECTION_VERSION,
)

USER_AGENT = "%s/%s" % (COLLECTION_NAME, COLLECTION_VERSION)

# Statuses worth asking again: throttled, or a server/gateway that failed. 501 (not implemented) never changes.
RETRY_STATUSES = frozenset([429, 500, 502, 503, 504])
# What a non-idempotent request may retry on: the server says it did not act.
SAFE_RETRY_STATUSES = frozenset([429, 503])
IDEMPOTENT_METHODS = frozenset(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
# A Retry-After longer than this is not "small": the call fails at once and says so, rather than sleep through it.
RETRY_AFTER_MAX_S = 10.0
# Do not start an attempt with less time than this left: it could only end in a timeout.
MIN_ATTEMPT_S = 0.05
# Longest error detail kept from a body; the rest is cut.
DETAIL_MAX = 300
_CONTROL = re.compile(u"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_RESET_ERRORS = (http_client.RemoteDisconnected, http_client.IncompleteRead, ConnectionResetError,
                 ConnectionAbortedError, BrokenPipeError)

# One SSL context per distinct TLS setting, shared by every client of the process: building one loads the whole CA
# store (~25 ms), which open_url would otherwise pay on every call.
_CONTEXTS = {}
_CONTEXTS_LOCK = threading.Lock()


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


class _Retryable(Exception):
    """An attempt that failed in a way worth repeating. Internal to ``JsonHttpClient.request``."""

    def __init__(self, error, delay=None):
        super(_Retryable, self).__init__(error.message)
        self.error = error
        self.delay = delay


def clean_text(text, limit=DETAIL_MAX):
    """Text from a server, safe for a log, a terminal and XML: control characters escaped, cut to ``limit``."""
    if text is None:
        return None
    text = _CONTROL.sub(lambda match: "\\x%02x" % ord(match.group(0)), u"%s" % (text,))
    text = text.replace("\n", " ").replace("\t", " ").strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


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
    text = ": ".join(p for p in parts if isinstance(p, str) and p)
    return text or None


def ssl_context(validate_certs=True, ca_path=None, client_cert=None, client_key=None):
    """The shared SSL context for one TLS setting (see ``_CONTEXTS``)."""
    key = (bool(validate_certs), ca_path, client_cert, client_key)
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
        if context is None:
            context = make_context(cafile=ca_path, validate_certs=validate_certs, client_cert=client_cert,
                                   client_key=client_key)
            _CONTEXTS[key] = context
        return context


def parse_retry_after(value, now=None):
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None when absent or unreadable."""
    if value is None:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, mktime_tz(parsed) - (time.time() if now is None else now))


def _seconds(value):
    return ("%.1f" % value).rstrip("0").rstrip(".")


class JsonHttpClient:
    """Calls one base URL. ``headers`` carry auth; they are sent, never logged or put into errors.

    ``timeout`` bounds one call (every attempt and backoff together); ``deadline`` (``time.monotonic()`` seconds),
    when given, bounds every call of the client. ``retries`` is how many times one call may be repeated.
    """

    def __init__(self, base_url, service, headers=None, timeout=10, validate_certs=True, opener=None, ca_path=None,
                 client_cert=None, client_key=None, use_proxy=True, retries=3, deadline=None, backoff_base=0.5,
                 backoff_cap=5.0):
        self.base_url = base_url.rstrip("/")
        self.shown_url = shown_url(self.base_url)  # what error messages name: the URL without any userinfo
        self.service = service
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self.headers.update(headers or {})
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.client_cert = client_cert
        self.client_key = client_key
        self.use_proxy = use_proxy
        self.retries = max(0, int(retries))
        self.deadline = deadline
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._open = opener or self._request
        self._opener = None
        self._opener_lock = threading.Lock()
        # Seams for tests; production uses the real clock.
        self.clock = time.monotonic
        self.sleep = time.sleep
        self.random = random.random

    # Transport -----------------------------------------------------------------------------------------------------
    def _build_opener(self):
        """One urllib opener per client, built on first use. Unlike ``Request.open`` it installs nothing globally
        (so clients with different TLS settings can run in parallel threads) and has no netrc handler."""
        with self._opener_lock:
            if self._opener is None:
                handlers = []
                if not self.use_proxy:
                    handlers.append(urllib_request.ProxyHandler({}))
                context = ssl_context(self.validate_certs, self.ca_path, self.client_cert, self.client_key)
                handlers.append(urllib_request.HTTPSHandler(context=context))
                handlers.append(HTTPRedirectHandler("safe"))
                self._opener = urllib_request.build_opener(*handlers)
            return self._opener

    def _request(self, url, method, data, headers, timeout, validate_certs, follow_redirects):
        request = urllib_request.Request(url, data=data, headers=headers, method=method)
        return self._build_opener().open(request, timeout=timeout)

    def url(self, path, query=None):
        url = self.base_url + path
        if query:
            items = [(k, v) for k, v in query.items() if v is not None]
            if items:
                url += "?" + urlencode(items)
        return url

    # Calls ---------------------------------------------------------------------------------------------------------
    def request(self, method, path, query=None, body=None, headers=None, raw=False):
        """Send one request, retried as the module docstring says. Returns (status, parsed JSON or raw bytes,
        response headers dict)."""
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        what = "%s %s %s" % (self.service, method, path)
        url = self.url(path, query)
        if urlparse(url).scheme not in ("http", "https"):
            raise ApiError("%s: %r is not an http:// or https:// URL" % (what, self.shown_url))
        start = self.clock()
        budget = float(self.timeout)
        if self.deadline is not None:
            budget = min(budget, self.deadline - start)
        end = start + budget
        attempt = 0
        while True:
            remaining = end - self.clock()
            if remaining < MIN_ATTEMPT_S:
                raise ApiError("%s: not sent to %s: the time this task may take ran out first" % (what, self.shown_url))
            try:
                status, payload, response_headers = self._attempt(what, method, url, data, all_headers, end,
                                                                  budget)
                break
            except _Retryable as retry:
                error = retry.error
                attempt += 1
                if attempt > self.retries:
                    raise _noted(error, " (after %d attempts)" % attempt if self.retries else "")
                if retry.delay is None:
                    delay = self._backoff(attempt)
                elif retry.delay > RETRY_AFTER_MAX_S:
                    raise _noted(error, " (Retry-After %ss is longer than this client waits)" % _seconds(retry.delay))
                else:
                    delay = retry.delay * (1 + 0.1 * self.random())  # a little spread: parallel callers do not align
                if delay + MIN_ATTEMPT_S > end - self.clock():
                    raise _noted(error, " (gave up after %d attempt%s: another would end past the %ss bound)" % (
                        attempt, "" if attempt == 1 else "s", _seconds(budget)))
                self.sleep(delay)
        if raw:
            return status, payload, response_headers
        if not payload:
            return status, None, response_headers
        parsed = _parse_json(payload)
        if parsed is None:
            raise ApiError("%s: HTTP %s but the body is not JSON" % (what, status), status=status)
        return status, parsed, response_headers

    def _backoff(self, attempt):
        """Exponential backoff with "equal jitter": between half and all of base * 2**(attempt - 1), capped."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return ceiling * (0.5 + 0.5 * self.random())

    def _attempt(self, what, method, url, data, headers, end, budget):
        idempotent = method.upper() in IDEMPOTENT_METHODS
        try:
            response = self._open(url, method=method, data=data, headers=headers,
                                  timeout=max(MIN_ATTEMPT_S, end - self.clock()),
                                  validate_certs=self.validate_certs, follow_redirects="safe")
            try:
                payload = self._read(response, end)
                status = response.getcode()
                response_headers = dict((k.lower(), v) for k, v in response.headers.items())
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()
            return status, payload, response_headers
        except HTTPError as err:
            try:
                payload = err.read() if hasattr(err, "read") else b""
            except (socket.timeout, OSError, http_client.HTTPException):
                payload = b""
            parsed = _parse_json(payload)
            detail = clean_text(_error_detail(parsed) or err.reason)
            err_headers = dict((k.lower(), v) for k, v in (err.headers or {}).items())
            error = ApiError("%s: HTTP %s %s" % (what, err.code, detail), status=err.code, body=parsed,
                             headers=err_headers)
            if err.code in (SAFE_RETRY_STATUSES if not idempotent else RETRY_STATUSES):
                raise _Retryable(error, parse_retry_after(err_headers.get("retry-after")))
            raise error
        except URLError as err:
            if _is_timeout(err.reason):
                raise self._timeout_error(what, budget)
            if isinstance(err.reason, _RESET_ERRORS) and idempotent:
                raise _Retryable(ApiError("%s: %s cut the connection (%s)"
                                          % (what, self.shown_url, _reason(err.reason))))
            raise ApiError("%s: cannot reach %s (%s)" % (what, self.shown_url, _reason(err.reason)))
        except (socket.timeout, TimeoutError):
            raise self._timeout_error(what, budget)
        except _RESET_ERRORS as err:
            error = ApiError("%s: %s cut the connection (%s)" % (what, self.shown_url, _reason(err)))
            if idempotent:
                raise _Retryable(error)
            raise error
        except (http_client.HTTPException, ConnectionError, OSError, ValueError) as err:
            raise ApiError("%s: cannot reach %s (%s)" % (what, self.shown_url, _reason(err)))

    def _read(self, response, end):
        """The body, in chunks, giving up once the call's time is spent (a server that trickles bytes)."""
        chunks = []
        while True:
            if self.clock() > end:
                raise socket.timeout("timed out")
            chunk = response.read(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def _timeout_error(self, what, budget):
        return ApiError("%s: no answer from %s within %ss" % (what, self.shown_url, _seconds(budget)))

    def get(self, path, query=None):
        return self.request("GET", path, query=query)[1]

    def post(self, path, body):
        return self.request("POST", path, body=body)[1]


def _noted(error, note):
    """The same error with ``note`` added to its message."""
    if not note:
        return error
    return ApiError(error.message + note, status=error.status, body=error.body, headers=error.headers)


def shown_url(url):
    """``url`` fit for a message: ``user:password@`` removed from the authority."""
    parsed = urlparse(url)
    if "@" not in parsed.netloc:
        return url
    return parsed._replace(netloc="***@" + parsed.netloc.rsplit("@", 1)[1]).geturl()


def _parse_json(payload):
    if not payload:
        return None
    try:
        return json.loads(payload.decode("utf-8") if isinstance(payload, bytes) else payload)
    except ValueError:
        return None


def _is_timeout(reason):
    return isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason)


def _reason(reason):
    if isinstance(reason, socket.timeout):
        return "timed out"
    if isinstance(reason, http_client.RemoteDisconnected):
        return "closed the connection without an answer"
    if isinstance(reason, http_client.IncompleteRead):
        return "answer cut short"
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return clean_text(text)
