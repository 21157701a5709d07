"""The sandbox's fault injection (httpserver.BackgroundServer.set_fault, server.Sandbox.fault): a component that
hangs, one that answers a status some number of times then recovers, and the control endpoint that sets them."""

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from werkzeug.wrappers import Request, Response

from httpserver import BackgroundServer
import server


class Echo(BackgroundServer):
    def wsgi_app(self, environ, start_response):
        return Response("ok %s" % Request(environ).path)(environ, start_response)


@pytest.fixture
def echo():
    component = Echo()
    component.start()
    yield component
    component.stop()


def get(url, timeout=5):
    """(status, headers, body) of a GET, HTTP errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def test_a_counted_status_fault_answers_that_many_times_then_recovers(echo):
    fault = echo.set_fault("status", status=429, count=2, retry_after=1)
    assert fault["mode"] == "status" and fault["remaining"] == 2
    answers = [get(echo.url + "/api") for dummy in range(3)]
    assert [status for status, dummy_headers, dummy_body in answers] == [429, 429, 200]
    status, headers, body = answers[0]
    assert headers["Retry-After"] == "1" and headers["Content-Type"] == "application/json"
    assert json.loads(body)["message"].startswith("Too Many Requests")
    assert answers[2][2] == "ok /api"
    assert echo.requests["all"] == 3  # faulted requests are counted too


def test_an_uncounted_status_fault_lasts_until_cleared(echo):
    echo.set_fault("status", status=503)
    assert [get(echo.url)[0] for dummy in range(4)] == [503] * 4
    assert echo.set_fault("none") is None
    assert get(echo.url)[0] == 200


def test_a_hang_accepts_the_connection_and_never_answers(echo):
    echo.set_fault("hang")
    with socket.create_connection(("127.0.0.1", echo.port), timeout=5) as conn:  # the port accepts
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(0.5)
        with pytest.raises(socket.timeout):
            conn.recv(1)
    started = time.monotonic()
    with pytest.raises((socket.timeout, urllib.error.URLError)):
        urllib.request.urlopen(echo.url, timeout=0.5)
    assert time.monotonic() - started < 3  # the client's own timeout ended it, not the server


def test_clearing_a_hang_releases_the_held_request(echo):
    echo.set_fault("hang")
    answers = []
    client = threading.Thread(target=lambda: answers.append(get(echo.url, timeout=10)))
    client.start()
    deadline = time.monotonic() + 5
    while echo.requests["all"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    echo.set_fault("none")
    client.join(5)
    assert answers and answers[0][0] == 503
    assert get(echo.url)[0] == 200


def test_stopping_a_hung_component_releases_it_and_a_restart_serves_normally(echo):
    echo.set_fault("hang")
    answers = []
    client = threading.Thread(target=lambda: answers.append(get(echo.url, timeout=10)))
    client.start()
    deadline = time.monotonic() + 5
    while echo.requests["all"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    echo.stop()
    client.join(5)
    assert not client.is_alive()
    echo.start(port=echo.port)
    assert get(echo.url)[0] == 200


@pytest.mark.parametrize("mode, status", [("sometimes", None), ("status", None), ("status", 200), ("status", 600)])
def test_a_bad_fault_is_refused(echo, mode, status):
    with pytest.raises(ValueError):
        echo.set_fault(mode, status=status)
    assert get(echo.url)[0] == 200


def test_the_control_endpoint_sets_and_clears_a_components_fault(echo, tmp_path):
    sandbox = server.Sandbox({"name": "unit"}, str(tmp_path))
    sandbox.components["echo"] = echo
    sandbox.start_control()
    control = sandbox.control.url
    try:
        def post(path):
            request = urllib.request.Request(control + path, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as err:
                return err.code, err.read().decode()

        status, body = post("/components/echo/fault?mode=status&status=401&count=1")
        assert status == 200 and json.loads(body)["fault"]["status"] == 401
        assert get(echo.url)[0] == 401 and get(echo.url)[0] == 200
        assert post("/components/echo/fault?mode=bogus")[0] == 400
        assert post("/components/nothing/fault?mode=hang")[0] == 404
        status, body = post("/components/echo/fault?mode=none")
        assert status == 200 and json.loads(body)["fault"] is None
        assert post("/components/echo/stop")[0] == 200 and not echo.running  # start/stop still work
        assert post("/components/echo/start")[0] == 200 and echo.running
    finally:
        sandbox.control.stop()
