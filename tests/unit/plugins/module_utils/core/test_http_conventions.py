"""The HTTP client's conventions, against real servers on loopback: no netrc, the collection's User-Agent, ca_path,
mutual TLS, validate_certs and use_proxy."""

import datetime
import ipaddress
import os

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from http_script_server import ScriptServer, tls_server_context

from ansible.module_utils.urls import open_url
from ansible_collections.coder.ai_platform.plugins.module_utils.core import http_json, version
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError, JsonHttpClient
from ansible_collections.coder.ai_platform.plugins.module_utils.clients.litellm_api import key_info

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
OK = (200, {}, {"ok": True})


# --- netrc -----------------------------------------------------------------------------------------------------------
@pytest.fixture
def netrc_home(tmp_path, monkeypatch):
    """A HOME whose .netrc has an entry for the test server's host, as a user's machine may have."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NETRC", raising=False)
    return netrc


def test_a_netrc_entry_does_not_replace_the_bearer_header(netrc_home):
    with ScriptServer([OK]) as server:
        # The trap is real: ansible's open_url, netrc on by default, swaps the Bearer header for Basic auth.
        open_url(server.url + "/probe", headers={"Authorization": "Bearer sk-master-1"}).read()
        JsonHttpClient(server.url, "LiteLLM API", headers={"Authorization": "Bearer sk-master-1"}).get("/key/info")
    trap, ours = [r["headers"]["Authorization"] for r in server.requests]
    assert trap.startswith("Basic ")
    assert ours == "Bearer sk-master-1"


def test_a_netrc_entry_adds_no_basic_auth_to_a_coder_call(netrc_home):
    with ScriptServer([OK]) as server:
        JsonHttpClient(server.url, "Coder API", headers={"Coder-Session-Token": "tok"}).get("/buildinfo")
    headers = server.requests[0]["headers"]
    assert "Authorization" not in headers and headers["Coder-Session-Token"] == "tok"


def test_key_info_sends_the_master_key_as_bearer_despite_netrc(netrc_home):
    with ScriptServer([(200, {}, {"info": {"key_alias": "w", "expires": None}})]) as server:
        assert key_info(server.url, "sk-master-1", "sk-key-1")["key_alias"] == "w"
    assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-master-1"


# --- User-Agent and version ------------------------------------------------------------------------------------------
def test_the_version_constant_is_galaxy_yml_version():
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    assert version.COLLECTION_VERSION == galaxy["version"]
    assert version.COLLECTION_NAME == "%s.%s" % (galaxy["namespace"], galaxy["name"])


def test_every_request_says_the_collection_user_agent():
    with ScriptServer([OK]) as server:
        JsonHttpClient(server.url, "Svc").get("/x")
        JsonHttpClient(server.url, "Svc").post("/y", {"a": 1})
    expected = "coder.ai_platform/" + version.COLLECTION_VERSION
    assert http_json.USER_AGENT == expected
    assert [r["headers"]["User-Agent"] for r in server.requests] == [expected, expected]


# --- TLS: ca_path, client_cert/client_key, validate_certs -------------------------------------------------------------
def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(subject, key, issuer, issuer_key, ca=False, server=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                        critical=True)
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(
            "127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A private CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    folder = tmp_path_factory.mktemp("pki")
    paths = {}

    def write(name, cert, key):
        paths[name] = str(folder / (name + ".pem"))
        paths[name + "_key"] = str(folder / (name + ".key"))
        with open(paths[name], "wb") as handle:
            handle.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(paths[name + "_key"], "wb") as handle:
            handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ca_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for dummy in range(3))
    write("ca", _issue("test platform CA", ca_key, "test platform CA", ca_key, ca=True), ca_key)
    write("server", _issue("127.0.0.1", server_key, "test platform CA", ca_key, server=True), server_key)
    write("client", _issue("workshop gate", client_key, "test platform CA", ca_key), client_key)
    return paths


def test_ca_path_trusts_a_private_ca_the_system_store_does_not(pki):
    with ScriptServer([OK], tls_context=tls_server_context(pki["server"], pki["server_key"])) as server:
        with pytest.raises(ApiError) as untrusted:
            JsonHttpClient(server.url, "Coder API").get("/buildinfo")
        assert JsonHttpClient(server.url, "Coder API", ca_path=pki["ca"]).get("/buildinfo") == {"ok": True}
        assert JsonHttpClient(server.url, "Coder API", validate_certs=False).get("/buildinfo") == {"ok": True}
    assert untrusted.value.unreachable and "CERTIFICATE_VERIFY_FAILED" in untrusted.value.message
    assert "Coder API GET /buildinfo: cannot reach %s" % server.url in untrusted.value.message
    assert server.count == 2


def test_client_cert_and_key_pass_a_server_that_requires_mutual_tls(pki):
    context = tls_server_context(pki["server"], pki["server_key"], client_ca=pki["ca"])
    with ScriptServer([OK], tls_context=context) as server:
        with pytest.raises(ApiError) as refused:
            JsonHttpClient(server.url, "LiteLLM API", ca_path=pki["ca"], retries=0).get("/health")
        mutual = JsonHttpClient(server.url, "LiteLLM API", ca_path=pki["ca"], client_cert=pki["client"],
                                client_key=pki["client_key"])
        assert mutual.get("/health") == {"ok": True}
    assert refused.value.unreachable
    assert server.count == 1


def test_clients_with_the_same_tls_settings_share_one_ssl_context(pki):
    first = http_json.ssl_context(True, pki["ca"])
    assert http_json.ssl_context(True, pki["ca"]) is first
    assert http_json.ssl_context(False, pki["ca"]) is not first


# --- use_proxy -------------------------------------------------------------------------------------------------------
def test_use_proxy_follows_the_proxy_environment_and_false_connects_directly(monkeypatch):
    with ScriptServer([OK]) as proxy, ScriptServer([OK]) as target:
        for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", proxy.url)
        JsonHttpClient(target.url, "Svc").get("/through-proxy")
        JsonHttpClient(target.url, "Svc", use_proxy=False).get("/direct")
    # A proxy is sent the absolute URL; the target saw only the direct call.
    assert [r["path"] for r in proxy.requests] == [target.url + "/through-proxy"]
    assert [r["path"] for r in target.requests] == ["/direct"]
