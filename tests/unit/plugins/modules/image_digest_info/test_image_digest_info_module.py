"""image_digest_info's HTTP options (the shared spec minus validate_certs, which is the AWS option), against the
sandbox's registry fake on loopback and moto in process for ECR: bad input fails naming the option, the options
reach the registry client, and the result keeps its shape."""

import hashlib
import json

import pytest
from ansible.module_utils.testing import patch_module_args
from moto import mock_aws
from registry_fake import RegistryFake

from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError, JsonHttpClient
from ansible_collections.coder.ai_platform.plugins.modules import image_digest_info as module

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "layers": []}).encode()
BASE = {"upstream_image": "ghcr.io/coder/coder-preview:latest", "ecr_repository": "coder-preview",
        "region": "us-east-2", "access_key": "testing", "secret_key": "testing"}


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as raised:
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(result.get("failed")) == (raised.value.code != 0), result
    return result


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def registry():
    fake = RegistryFake({"coder/coder-preview": {"latest": MANIFEST}})
    fake.start()
    yield fake
    fake.stop()


@pytest.mark.parametrize("args, message", [
    ({"retries": 11}, "retries must be between 0 and 10, got 11"),
    ({"timeout": 0}, "timeout must be at least 1 second, got 0"),
    ({"client_key": "/k.pem"}, "missing parameter(s) required by 'client_key': client_cert"),
    ({"use_proxy": "sometimes"}, "use_proxy"),
])
def test_bad_http_input_fails_naming_the_option(capsys, args, message):
    result = run(dict(BASE, **args), capsys)
    assert result["failed"] and message in result["msg"]


def test_reads_both_sides_with_the_result_shape_of_before(capsys, registry):
    with mock_aws():
        result = run(dict(BASE, upstream_registry_url=registry.url, retries=1, use_proxy=False), capsys)
    assert result["changed"] is False
    assert result["upstream"] == {"image": BASE["upstream_image"], "registry": "ghcr.io",
                                  "repository": "coder/coder-preview", "tag": "latest",
                                  "digest": "sha256:" + hashlib.sha256(MANIFEST).hexdigest(), "error": None}
    assert result["ecr"] == {"repository": "coder-preview", "tag": "latest", "digest": None, "pushed_at": None,
                             "missing": "RepositoryNotFoundException", "error": None}


def test_the_http_options_reach_the_registry_client_with_one_deadline(capsys, monkeypatch):
    # Record what every JsonHttpClient is built with, wherever the gathering code lives, and answer no call.
    seen = []
    original = JsonHttpClient.__init__

    def recording_init(self, base_url, service, **options):
        seen.append(dict(options, base_url=base_url))
        original(self, base_url, service, **options)

    def refuse(self, method, path, **kwargs):
        raise ApiError("%s %s %s: refused by the test" % (self.service, method, path))
    monkeypatch.setattr(JsonHttpClient, "__init__", recording_init)
    monkeypatch.setattr(JsonHttpClient, "request", refuse)
    with mock_aws():
        result = run(dict(BASE, timeout=7, ca_path="/etc/ca.pem", client_cert="/c.pem", validate_certs=False),
                     capsys)
    assert result["upstream"]["error"] == (
        "registry https://ghcr.io GET /v2/coder/coder-preview/manifests/latest: refused by the test")
    assert len(seen) == 1
    deadline = seen[0].pop("deadline")
    seen[0].pop("opener", None)
    assert deadline > 0
    assert seen[0] == {"base_url": "https://ghcr.io", "timeout": 7, "validate_certs": False, "ca_path": "/etc/ca.pem",
                       "client_cert": "/c.pem", "client_key": None, "use_proxy": True, "retries": 3}


def test_an_unreachable_registry_is_an_error_on_its_side_only(capsys):
    with mock_aws():
        result = run(dict(BASE, upstream_registry_url="http://127.0.0.1:9", timeout=2), capsys)
    assert not result.get("failed")
    assert result["upstream"]["digest"] is None and "cannot reach http://127.0.0.1:9" in result["upstream"]["error"]
    assert result["ecr"]["missing"] == "RepositoryNotFoundException"
