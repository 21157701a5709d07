"""The gate's registered sources (core/sources.py): each adapter passes its validated parameters to its reader and
returns the single-purpose module's result shape; an unreachable dependency is the result's cause, bad capacity
input an InputError."""

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.clients import kube_gather
from ansible_collections.coder.ai_platform.plugins.module_utils.core import gather, sources
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError


def params(name, **raw):
    validated, dummy_secrets = gather.validate_params(name, raw)
    return validated


def context(**kwargs):
    ctx = gather.Context("us-west-2", "us-west-2", aws=kwargs.pop("aws", None),
                         kube_factory=kwargs.pop("kube", None), timeout=3, deadline_s=6)
    ctx.results.update(kwargs)
    return ctx


def test_images_read_upstream_then_the_region_s_mirror_of_its_tag(monkeypatch):
    seen = {}

    def upstream(image, base_url=None, **options):
        seen["upstream"] = (image, base_url, options["timeout"])
        return {"image": image, "tag": "v2", "digest": "sha256:1", "error": None}

    def mirror(ecr, repository, tag, registry_id=None, region=None):
        seen["ecr"] = (ecr, repository, tag, region)
        return {"repository": repository, "tag": tag, "digest": "sha256:1", "error": None}
    monkeypatch.setattr(sources, "read_upstream_digest", upstream)
    monkeypatch.setattr(sources, "read_image_digest", mirror)
    result = sources.read_images(context(aws=lambda service, region: (service, region)),
                                 params("images", upstream_image="ghcr.io/coder/coder:v2", ecr_repository="coder",
                                        timeout=3))
    assert set(result) == {"upstream", "ecr"}
    assert seen["upstream"] == ("ghcr.io/coder/coder:v2", None, 3)
    assert seen["ecr"] == (("ecr", "us-west-2"), "coder", "v2", "us-west-2")


def test_litellm_refusal_is_the_key_section_s_cause(monkeypatch):
    def refuse(*args, **kwargs):
        raise ApiError("LiteLLM API GET /key/info: HTTP 401 Unauthorized", status=401)
    monkeypatch.setattr(sources, "key_info", refuse)
    result = sources.read_litellm(context(), params("litellm", litellm_url="https://l.example",
                                                    litellm_master_key="m" * 20, key="k" * 20))
    assert result == {"key": None, "errors": {"key": "LiteLLM API GET /key/info: HTTP 401 Unauthorized"}}


def test_a_cluster_without_a_client_has_every_section_s_cause():
    def no_client():
        raise kube_gather.KubeReadError("cannot build a Kubernetes client: kubeconfig has no context named 'x'")
    result = sources.read_cluster(context(kube=no_client), params("cluster"))
    assert result["api_calls"] == 0
    assert set(result["errors"]) == set(kube_gather.SECTIONS)
    assert all("no context named 'x'" in cause for cause in result["errors"].values())


def test_the_plan_takes_coder_s_build_times_and_refuses_bad_capacity_input(monkeypatch):
    calls = []

    def plan_workshop(users, **kwargs):
        calls.append(dict(kwargs, users=users))
        if kwargs["headroom_pct"] < 0:
            raise ValueError("headroom_pct must not be negative")
        return {"provisioners": {"need": 3}}
    monkeypatch.setattr(sources, "plan_workshop", plan_workshop)
    coder = {"organizations": [{"name": "coder", "is_default": True}],
             "templates": [{"name": "ai-workshop", "build_time_stats": {"p50_s": 40, "p95_s": 70}}],
             "provisioner_daemons": {"coder": [{"status": "idle"}, {"status": "idle"}]}}
    result = sources.read_plan(context(coder=coder), params("plan", expected_users=30, templates=["ai-workshop"]))
    assert result["plan"]["build_stats_source"].startswith("Coder build_time_stats")
    assert calls[0]["workload"]["build_p95_s"] == 70.0 and calls[0]["current_provisioners"] == 2
    with pytest.raises(gather.InputError, match="workshop_capacity: headroom_pct"):
        sources.read_plan(context(), params("plan", expected_users=30, capacity={"headroom_pct": -5}))


def test_the_state_backend_reads_in_its_own_region_or_the_context_s(monkeypatch):
    seen = []
    monkeypatch.setattr(sources, "read_state_backend", lambda client, region, *args: seen.append(region) or {})
    sources.read_state_backend_source(context(), params("state_backend", bucket="tfstate"))
    sources.read_state_backend_source(context(), params("state_backend", bucket="tfstate", region="eu-west-1"))
    assert seen == ["us-west-2", "eu-west-1"]
