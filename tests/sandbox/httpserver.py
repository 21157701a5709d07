"""A werkzeug server in a background thread, with the start/stop/url shape every sandbox component shares.

Every component counts the requests it serves (per AWS region for moto), so tests can prove a play made no API
call, and the benchmark can say how many calls a gate run costs.
"""

import re
import threading
from collections import Counter

from werkzeug.serving import WSGIRequestHandler, make_server


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

    def request_key(self, environ):
        """What a request is counted under; the AWS component counts per signing region."""
        return "all"

    def _counting_app(self, environ, start_response):
        key = self.request_key(environ)
        with self._count_lock:
            self.requests[key] += 1
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
