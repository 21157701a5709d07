"""JsonHttpClient's retries and time bounds, against a real HTTP server on loopback (http.server in a thread)."""

import socket
import threading
import time

import pytest
from http_script_server import ScriptServer

from ansible_collections.coder.ai_platform.plugins.module_utils.clients import coder_api, oci_registry
from ansible_collections.coder.ai_platform.plugins.module_utils.core import http_json
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError, JsonHttpClient

OK = (200, {}, {"ok": True})
SECRET = "Bearer s3cr3t-token-value"


def client_for(server, **kwargs):
    """A client with fast backoff, recording every backoff sleep."""
    kwargs.setdefault("backoff_base", 0.02)
    kwargs.setdefault("backoff_cap", 0.1)
    client = JsonHttpClient(server.url, "Svc", headers={"Authorization": SECRET}, **kwargs)
    client.slept = []

    def sleep(seconds):
        client.slept.append(seconds)
        time.sleep(seconds)
    client.sleep = sleep
    return client


def test_429_then_200_is_retried_honouring_a_small_retry_after():
    with ScriptServer([(429, {"Retry-After": "1"}, {"message": "slow down"}), OK]) as server:
        client = client_for(server)
        assert client.get("/x") == {"ok": True}
    assert server.count == 2
    assert len(client.slept) == 1 and 1.0 <= client.slept[0] <= 1.1  # Retry-After, plus at most 10 % spread


def test_429_without_retry_after_backs_off_exponentially_with_jitter():
    with ScriptServer([(429, {}, {}), (429, {}, {}), (429, {}, {}), OK]) as server:
        client = client_for(server, backoff_base=0.04, backoff_cap=1)
        assert client.get("/x") == {"ok": True}
    assert server.count == 4
    # attempt n waits between half and all of base * 2**(n-1)
    for attempt, slept in enumerate(client.slept, 1):
        ceiling = 0.04 * 2 ** (attempt - 1)
        assert ceiling / 2 <= slept <= ceiling


def test_a_long_retry_after_fails_at_once_and_says_why():
    with ScriptServer([(429, {"Retry-After": "120"}, {"message": "quota"}), OK]) as server:
        client = client_for(server)
        with pytest.raises(ApiError) as err:
            client.get("/x")
    assert server.count == 1 and client.slept == []
    assert err.value.status == 429
    assert err.value.message == "Svc GET /x: HTTP 429 quota (Retry-After 120s is longer than this client waits)"


def test_retry_after_as_an_http_date():
    assert http_json.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert http_json.parse_retry_after("3") == 3.0
    assert http_json.parse_retry_after("soon") is None and http_json.parse_retry_after(None) is None


def test_503_every_time_gives_up_after_the_retries_and_names_the_service():
    with ScriptServer([(503, {}, {"message": "upstream down"})]) as server:
        client = client_for(server, retries=3)
        with pytest.raises(ApiError) as err:
            client.get("/buildinfo")
    assert server.count == 4 and len(client.slept) == 3
    assert err.value.status == 503
    assert err.value.message == "Svc GET /buildinfo: HTTP 503 upstream down (after 4 attempts)"
    assert "s3cr3t" not in err.value.message


def test_503_every_time_gives_up_within_the_call_bound():
    # Many retries allowed, but backoff that doubles past the 1 s the call may take: it stops early, in time.
    with ScriptServer([(503, {}, {})]) as server:
        client = client_for(server, timeout=1, retries=10, backoff_base=0.2, backoff_cap=5)
        start = time.monotonic()
        with pytest.raises(ApiError) as err:
            client.get("/x")
        elapsed = time.monotonic() - start
    assert elapsed < 1.0 + 1.0  # the bound, plus room for a busy machine; ten unbounded retries take ~30 s
    assert 2 <= server.count < 11
    assert "another would end past the 1s bound" in err.value.message
    assert sum(client.slept) < 1.0


def test_connection_reset_mid_request_is_retried():
    with ScriptServer(["reset", OK]) as server:
        client = client_for(server)
        assert client.get("/x") == {"ok": True}
    assert server.count == 2 and len(client.slept) == 1


def test_connection_reset_every_time_names_the_cause():
    with ScriptServer(["reset"]) as server:
        client = client_for(server, retries=2)
        with pytest.raises(ApiError) as err:
            client.get("/x")
    assert server.count == 3
    assert err.value.unreachable and "Svc GET /x: %s cut the connection" % server.url in err.value.message
    assert err.value.message.endswith("(after 3 attempts)")


def test_a_post_is_not_repeated_when_the_server_may_have_acted():
    for step in ("reset", (500, {}, {"message": "boom"}), (502, {}, {})):
        with ScriptServer([step, OK]) as server:
            with pytest.raises(ApiError):
                client_for(server).post("/workspaces", {"name": "w"})
        assert server.count == 1, step


def test_a_post_is_repeated_on_429_and_503():
    for status in (429, 503):
        with ScriptServer([(status, {}, {}), OK]) as server:
            assert client_for(server).post("/workspaces", {"name": "w"}) == {"ok": True}
        assert server.count == 2
        assert server.requests[1]["body"] == b'{"name": "w"}'


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_client_errors_are_never_retried(status):
    with ScriptServer([(status, {}, {"message": "You are signed out or your session has expired."}), OK]) as server:
        client = client_for(server)
        with pytest.raises(ApiError) as err:
            client.get("/users/me")
    assert server.count == 1 and client.slept == []
    assert err.value.status == status
    assert err.value.message == "Svc GET /users/me: HTTP %d You are signed out or your session has expired." % status


def test_retries_zero_turns_retrying_off():
    with ScriptServer([(503, {}, {}), OK]) as server:
        with pytest.raises(ApiError) as err:
            client_for(server, retries=0).get("/x")
    assert server.count == 1 and err.value.message == "Svc GET /x: HTTP 503 Service Unavailable"


def test_a_hanging_server_is_bounded_by_the_timeout():
    with ScriptServer(["hang"]) as server:
        client = client_for(server, timeout=1)
        start = time.monotonic()
        with pytest.raises(ApiError) as err:
            client.get("/x")
        elapsed = time.monotonic() - start
    assert 0.9 <= elapsed < 1.0 + 1.0  # unbounded, the server would hold it 30 s
    assert err.value.unreachable and err.value.message == "Svc GET /x: no answer from %s within 1s" % server.url
    assert server.count == 1  # a timeout used the whole bound: nothing left to retry with


def test_a_server_that_accepts_and_never_reads_is_bounded_too():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    try:
        client = JsonHttpClient("http://127.0.0.1:%d" % listener.getsockname()[1], "Svc", timeout=1)
        start = time.monotonic()
        with pytest.raises(ApiError) as err:
            client.get("/x")
        assert time.monotonic() - start < 2.0
        assert "no answer from" in err.value.message
    finally:
        listener.close()


def test_the_deadline_bounds_every_call_of_a_client_together():
    # The first call hangs until the client's 1 s is spent; the next one is not even sent.
    with ScriptServer(["hang"]) as server:
        client = client_for(server, timeout=10, deadline=time.monotonic() + 1.0)
        start = time.monotonic()
        with pytest.raises(ApiError) as first:
            client.get("/a")
        with pytest.raises(ApiError) as second:
            client.get("/b")
        elapsed = time.monotonic() - start
    assert elapsed < 1.0 + 1.0
    assert "no answer from" in first.value.message and first.value.message.endswith("s")
    assert second.value.message == "Svc GET /b: not sent to %s: the time this task may take ran out first" % server.url
    assert server.count == 1


def test_a_coder_gather_against_a_throttling_server_stays_within_its_deadline():
    # buildinfo answers; every later call is throttled with a Retry-After the client honours until time runs out.
    buildinfo = (200, {}, {"version": "v2.26.0"})
    throttled = (429, {"Retry-After": "1"}, {"message": "rate limited"})
    with ScriptServer([buildinfo, throttled]) as server:
        client = coder_api.CoderClient(server.url, "tok", timeout=2, deadline=time.monotonic() + 2.0)
        start = time.monotonic()
        facts = coder_api.gather_deployment(client, ["ai-workshop"])
        elapsed = time.monotonic() - start
    assert elapsed < 2.0 + 1.0
    assert facts["reachable"] is True
    assert set(facts["errors"]) == {"health", "proxies", "organizations", "templates"}
    assert all("HTTP 429 rate limited" in cause for cause in facts["errors"].values())


def test_an_ansi_escape_in_an_error_body_is_escaped():
    body = {"message": "\x1b[31mdenied\x1b[0m\x00 now"}
    with ScriptServer([(403, {}, body)]) as server:
        with pytest.raises(ApiError) as err:
            client_for(server).get("/x")
    assert err.value.message == "Svc GET /x: HTTP 403 \\x1b[31mdenied\\x1b[0m\\x00 now"
    assert all(ord(char) >= 0x20 for char in err.value.message)


def test_a_long_error_body_is_cut():
    with ScriptServer([(400, {}, {"message": "x" * 5000})]) as server:
        with pytest.raises(ApiError) as err:
            client_for(server).get("/x")
    assert len(err.value.message) < 400 and err.value.message.endswith("...")


def test_refused_connection_is_not_retried_and_is_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = JsonHttpClient("http://127.0.0.1:%d" % port, "Svc", backoff_base=5)
    start = time.monotonic()
    with pytest.raises(ApiError) as err:
        client.get("/x")
    assert time.monotonic() - start < 2  # no 5 s backoff: refused means down, and down answers at once
    assert err.value.unreachable and "cannot reach" in err.value.message


def test_credentials_in_a_url_never_reach_a_message():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = JsonHttpClient("http://gate:s3cr3t-pw@127.0.0.1:%d" % port, "Svc")
    with pytest.raises(ApiError) as err:
        client.get("/x")
    assert "s3cr3t-pw" not in err.value.message and "gate" not in err.value.message
    assert "http://***@127.0.0.1:%d" % port in err.value.message
    with pytest.raises(ApiError) as registry:
        oci_registry.manifest_digest("http://gate:s3cr3t-pw@127.0.0.1:%d" % port, "coder/coder", "latest")
    assert "s3cr3t-pw" not in registry.value.message


def test_a_url_without_a_scheme_is_an_api_error_not_a_traceback():
    with pytest.raises(ApiError) as err:
        JsonHttpClient("ai.coder.com", "Coder API").get("/buildinfo")
    assert err.value.message == "Coder API GET /buildinfo: 'ai.coder.com' is not an http:// or https:// URL"


def test_backoff_is_bounded_and_jittered():
    client = JsonHttpClient("http://x", "Svc", backoff_base=0.5, backoff_cap=5)
    client.random = lambda: 0.0
    assert [client._backoff(n) for n in (1, 2, 3, 4, 5, 6)] == [0.25, 0.5, 1.0, 2.0, 2.5, 2.5]
    client.random = lambda: 0.999999
    assert [round(client._backoff(n), 3) for n in (1, 2, 3, 4, 5, 6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_parallel_calls_share_one_client_safely():
    with ScriptServer([OK]) as server:
        client = client_for(server)
        results = []
        threads = [threading.Thread(target=lambda: results.append(client.get("/x"))) for dummy in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [{"ok": True}] * 8 and server.count == 8
