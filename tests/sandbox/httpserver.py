"""A werkzeug server in a background thread, with the start/stop/url shape every sandbox component shares.

Every component counts the requests it serves (per AWS region for moto), so tests can prove a play made no API
call, and the benchmark can say how many calls a gate run costs.

Every component can also be told to misbehave (fault injection, for the gate's fault matrix), through the control
server (``POST /components/<name>/fault?mode=...``, see server.py) or ``set_fault()``:

- ``mode=hang``: accept the connection, read the request, and never answer (until the fault is cleared, the
  component stops, or HANG_MAX_S passes), as a dependency behind a stuck load balancer does.
- ``mode=status&status=429&count=2&retry_after=1``: answer the next ``count`` requests (0: every request) with that
  HTTP status, a JSON ``{"message": ...}`` body and, when given, ``Retry-After``; then serve normally again.
- ``mode=none``: clear the fault (requests held by ``hang`` are released with a 503).

Faulted requests are counted like any other (they reached the component).
"""

import json
import re
import threading
from collections import Counter

from werkzeug.serving import WSGIRequestHandler, make_server


FAULT_MODES = ("none", "hang", "status")
HANG_MAX_S = 600  # a hang ends by itself at last, so a forgotten fault cannot hold a thread forever
HTTP_REASONS = {401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error",
                502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # every client poll would otherwise print an access-log line
        pass


class BackgroundServer:
    """Serve ``self.wsgi_app`` on a loopback port in a daemon thread. ``stop()`` closes the socket, so clients
    then get "connection refused" exactly as when the real service is down; ``start(port=same)`` brings it back."""

    def __init__(self):
        self._server = None
        self._thread = None
        self.port = None
        self.requests = Counter()
        self._count_lock = threading.Lock()
        self._fault = None
        self._release = threading.Event()

    def set_fault(self, mode, status=None, count=0, retry_after=None):
        """Misbehave as the module docstring says; returns the fault now in force (None when cleared)."""
        if mode not in FAULT_MODES:
            raise ValueError("fault mode must be one of %s, not %r" % (", ".join(FAULT_MODES), mode))
        if mode == "status" and not (status and 400 <= int(status) <= 599):
            raise ValueError("mode=status needs status=<400..599>, not %r" % (status,))
        with self._count_lock:
            self._release.set()  # whatever a previous hang holds goes now
            self._release = threading.Event()
            self._fault = None if mode == "none" else {
                "mode": mode, "status": int(status) if status else None, "remaining": int(count or 0),
                "unlimited": not int(count or 0), "retry_after": retry_after}
            return dict(self._fault) if self._fault else None

    def _take_fault(self):
        """The fault that applies to this request (consuming one of a counted status fault), or None."""
        with self._count_lock:
            fault = self._fault
            if fault is None:
                return None
            if fault["mode"] == "status" and not fault["unlimited"]:
                fault["remaining"] -= 1
                if fault["remaining"] <= 0:
                    self._fault = None
            return dict(fault, release=self._release)

    def _faulted(self, fault, environ, start_response):
        if fault["mode"] == "hang":
            fault["release"].wait(HANG_MAX_S)
            status, message = 503, "released from an injected hang"
        else:
            status, message = fault["status"], "injected by the sandbox (fault mode=status)"
        headers = [("Content-Type", "application/json")]
        if fault.get("retry_after") is not None:
            headers.append(("Retry-After", str(fault["retry_after"])))
        reason = HTTP_REASONS.get(status, "Injected Fault")
        start_response("%d %s" % (status, reason), headers)
        return [json.dumps({"message": "%s %s" % (reason, message)}).encode()]

    def request_key(self, environ):
        """What a request is counted under; the AWS component counts per signing region."""
        return "all"

    def _counting_app(self, environ, start_response):
        key = self.request_key(environ)
        with self._count_lock:
            self.requests[key] += 1
        fault = self._take_fault()
        if fault is not None:
            return self._faulted(fault, environ, start_response)
        return self.wsgi_app(environ, start_response)

    def wsgi_app(self, environ, start_response):  # pragma: no cover - subclasses provide it
        raise NotImplementedError

    def start(self, host="127.0.0.1", port=0):
        self._server = make_server(host, port, self._counting_app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        # A short poll interval keeps stop() fast: shutdown() waits for the serving loop to notice.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=type(self).__name__, daemon=True)
        self._thread.start()
        return self.port

    def stop(self):
        self.set_fault("none")  # a hung request must not outlive its server, nor a fault a restart
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    @property
    def running(self):
        return self._server is not None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port


SIGV4_REGION = re.compile(r"Credential=[^/]+/[0-9]{8}/([a-z0-9-]+)/")


def signing_region(environ):
    """The region a SigV4-signed AWS request was signed for (its Credential scope)."""
    match = SIGV4_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "unsigned"
