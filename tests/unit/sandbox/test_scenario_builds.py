"""Which build the pods run: regions.<region>.deployments[].build, coder.proxies[].region, and what follows from them.

The launcher turns a build name into the digest ECR gives that build's manifest, so a scenario never spells one.
"""

import ast
import copy
import hashlib
import json
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws
from moto.ecr import models as ecr_models

import moto_patches
import scenario
from kube_fake import KubeFake

SANDBOX = Path(__file__).resolve().parents[3] / "tests" / "sandbox"
CURRENT, PREVIOUS = "v2.26.0-devel+7f3c1e2", "v2.26.0-devel+1a2b3c4"


def _raw(name):
    return yaml.safe_load(Path(scenario.path_of(name)).read_text())


def _world():
    """healthy with a previous build, every Coder-reported build left to follow the pods."""
    world = _raw("healthy")
    world["images"]["builds"]["previous"] = {"version": PREVIOUS}
    del world["coder"]["build"]
    for proxy, region in zip(world["coder"]["proxies"], ("us-west-2", "eu-west-2")):
        del proxy["build"]
        proxy["region"] = region
    return world


def _deployment(world, region, name):
    return next(d for d in world["regions"][region]["deployments"] if d["name"] == name)


def _proxy(world, name):
    return next(p for p in world["coder"]["proxies"] if p["name"] == name)


@pytest.mark.parametrize("name", scenario.names())
def test_a_scenario_without_the_new_keys_is_handed_over_unchanged(name):
    """What server.py seeds sept2024, healthy, baseline_gaps and platform_only from is the file itself."""
    raw = _raw(name)
    if name != "stale_pods":
        assert scenario.expand(raw) == raw


def test_a_deployment_on_another_build_is_pinned_to_that_builds_digest():
    world = _world()
    _deployment(world, "us-west-2", "coder")["build"] = "previous"
    expanded = scenario.expand(world)
    digest = scenario.image_digest("previous", {"version": PREVIOUS})
    assert _deployment(expanded, "us-west-2", "coder")["image"] == (
        "123456789012.dkr.ecr.us-west-2.amazonaws.com/coder-preview:latest@" + digest)
    assert "build" not in _deployment(expanded, "us-west-2", "coder")
    assert _deployment(expanded, "eu-west-2", "coder")["image"] == "ecr"  # the others still follow the tag
    assert _deployment(expanded, "us-east-2", "coder")["image"] == "ecr"
    assert expanded["regions"]["us-west-2"]["ecr_build"] == "current"  # the mirror is untouched
    assert world["regions"]["us-west-2"]["deployments"][0]["build"] == "previous"  # the input is not modified


def test_the_build_the_tag_holds_changes_nothing():
    world = _world()
    _deployment(world, "us-west-2", "coder")["build"] = "current"
    expanded = scenario.expand(world)
    without = dict(_deployment(world, "us-west-2", "coder"))
    del without["build"]
    assert _deployment(expanded, "us-west-2", "coder") == without  # image: ecr, the tag resolves to current
    assert _proxy(expanded, "oregon")["build"] == "current"


def test_a_build_is_named_by_name_or_by_version():
    world = _world()
    _deployment(world, "us-west-2", "coder")["build"] = PREVIOUS
    by_version = scenario.expand(world)
    _deployment(world, "us-west-2", "coder")["build"] = "previous"
    assert scenario.expand(world) == by_version
    assert _proxy(by_version, "oregon")["build"] == "previous"


def test_an_unknown_build_is_named_with_the_choices():
    world = _world()
    _deployment(world, "us-west-2", "coder")["build"] = "stale"
    with pytest.raises(scenario.ScenarioError) as raised:
        scenario.expand(world)
    assert str(raised.value) == ("regions.us-west-2.deployments[0].build: 'stale' is not a build; images.builds has "
                                 "current (%s), previous (%s)" % (CURRENT, PREVIOUS))


def test_only_the_mirrored_image_runs_a_build():
    world = _world()
    _deployment(world, "us-east-2", "litellm")["build"] = "previous"
    with pytest.raises(scenario.ScenarioError, match=r"regions\.us-east-2\.deployments\[4\]\.build: only a "
                                                     r"Deployment with image: ecr runs a build"):
        scenario.expand(world)


def test_proxies_and_the_primary_report_what_their_pods_run():
    world = _world()
    _deployment(world, "us-west-2", "coder")["build"] = "previous"
    expanded = scenario.expand(world)
    assert _proxy(expanded, "oregon")["build"] == "previous"
    assert _proxy(expanded, "emea")["build"] == "current"
    assert expanded["coder"]["build"] == "current"
    assert all("region" not in p for p in expanded["coder"]["proxies"])  # server.py gets what it has always read

    _deployment(world, "us-east-2", "coder")["build"] = "previous"
    assert scenario.expand(world)["coder"]["build"] == "previous"


def test_a_proxy_follows_a_stale_mirror_too():
    world = _world()
    world["regions"]["eu-west-2"]["ecr_build"] = "previous"
    assert _proxy(scenario.expand(world), "emea")["build"] == "previous"


def test_an_explicit_build_wins():
    world = _world()
    _deployment(world, "us-west-2", "coder")["build"] = "previous"
    _proxy(world, "oregon")["build"] = "current"
    assert _proxy(scenario.expand(world), "oregon")["build"] == "current"


@pytest.mark.parametrize("edit, message", [
    (lambda w: _proxy(w, "oregon").pop("region"), r"coder\.proxies\[0\]\.build: give it, or give the proxy's region"),
    (lambda w: _proxy(w, "oregon").update(region="ap-south-1"), r"no region 'ap-south-1' under regions"),
    (lambda w: w["regions"]["us-west-2"].update(ecr_build=None),
     r"coder\.proxies\[0\]\.build: give it, or give regions\.us-west-2 one Coder Deployment"),
    (lambda w: w["regions"]["us-west-2"]["deployments"].append(
        dict(_deployment(w, "us-west-2", "coder"), name="coder-canary", build="previous")),
     r"found builds \['current', 'previous'\]"),
    (lambda w: w["regions"]["eu-west-2"].update(role="control_plane"),
     r"coder\.build: give it, or give exactly one region role: control_plane"),
])
def test_a_build_that_cannot_be_derived_is_named(edit, message):
    world = _world()
    edit(world)
    with pytest.raises(scenario.ScenarioError, match=message):
        scenario.expand(world)


def test_the_digest_is_what_ecr_gives_the_builds_manifest(monkeypatch):
    """The pinned digest and the digest of a mirror holding the same build are one (moto computes ECR's, with the
    sandbox's patch that makes it hash the manifest bytes as AWS does; undone after the test)."""
    monkeypatch.setattr(ecr_models.Image, "_create_digest", ecr_models.Image._create_digest)
    moto_patches._ecr_digest_is_manifest_sha256()
    build = {"version": PREVIOUS}
    with mock_aws():
        ecr = boto3.client("ecr", region_name="us-west-2")
        ecr.create_repository(repositoryName="coder-preview")
        pushed = ecr.put_image(repositoryName="coder-preview", imageTag="latest",
                               imageManifest=scenario.image_manifest("previous", build))
    assert pushed["image"]["imageId"]["imageDigest"] == scenario.image_digest("previous", build)
    assert scenario.image_digest("previous", build) != scenario.image_digest("current", {"version": CURRENT})
    assert scenario.image_digest("previous", build) != scenario.image_digest("stale", build)  # the name counts


def test_server_py_seeds_the_same_manifest_bytes():
    """server.py keeps its own image_manifest (it is not this file's to change): hold the two to one output."""
    tree = ast.parse((SANDBOX / "server.py").read_text())
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "image_manifest")
    namespace = {"hashlib": hashlib, "json": json}
    exec(compile(ast.Module(body=[function], type_ignores=[]), "server.py", "exec"), namespace)  # noqa: S102
    for name in scenario.names():
        for build_name, build in _raw(name)["images"]["builds"].items():
            assert namespace["image_manifest"](build_name, build) == scenario.image_manifest(build_name, build)


def test_the_pods_of_a_pinned_deployment_report_the_builds_digest():
    """What the gate reads: the Kubernetes fake's pods carry the pinned digest as imageID, whatever the tag holds."""
    world = _world()
    _deployment(world, "us-west-2", "coder")["build"] = "previous"
    spec = _deployment(scenario.expand(world), "us-west-2", "coder")
    current = scenario.image_digest("current", {"version": CURRENT})
    kube = KubeFake("us-west-2", token="t", image_resolver=lambda ref: current)  # the tag holds current
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "coder"}})
    kube.create({"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": {"name": "coder", "namespace": "coder", "labels": spec["labels"]},
                 "spec": {"replicas": 2, "selector": {"matchLabels": spec["labels"]},
                          "template": {"metadata": {"labels": spec["labels"]},
                                       "spec": {"containers": [{"name": "coder", "image": spec["image"]}]}}}})
    pods = kube.list("v1", "Pod", namespace="coder")
    assert len(pods) == 2
    assert set(s["imageID"] for p in pods for s in p["status"]["containerStatuses"]) == {
        "123456789012.dkr.ecr.us-west-2.amazonaws.com/coder-preview@"
        + scenario.image_digest("previous", {"version": PREVIOUS})}


def test_stale_pods_is_the_mirror_current_and_one_region_behind():
    raw = _raw("stale_pods")
    scenario.validate(raw)
    expanded = scenario.expand(raw)
    assert raw["images"]["upstream_build"] == "current"
    assert set(r["ecr_build"] for r in raw["regions"].values()) == {"current"}
    pinned = dict(((region, d["name"]), d["image"]) for region, spec in expanded["regions"].items()
                  for d in spec["deployments"] if "@sha256:" in d["image"])
    assert pinned == {("us-west-2", "coder"): "123456789012.dkr.ecr.us-west-2.amazonaws.com/coder-preview:latest@"
                      + scenario.image_digest("previous", {"version": PREVIOUS})}
    assert [(p["name"], p["build"]) for p in expanded["coder"]["proxies"]] == [("oregon", "previous"),
                                                                               ("emea", "current")]
    assert expanded["coder"]["build"] == "current"
    # Everything but the images is healthy.yml's.
    healthy = _raw("healthy")
    for key in ("workshop", "litellm", "state_backend", "baseline"):
        assert raw[key] == healthy[key]
    trimmed = copy.deepcopy(raw["regions"])
    _deployment({"regions": trimmed}, "us-west-2", "coder").pop("build")
    assert trimmed == healthy["regions"]
    assert dict(raw["images"], builds={"current": raw["images"]["builds"]["current"]}) == healthy["images"]
    assert scenario.expand(raw)["coder"] == healthy["coder"] | {
        "proxies": [dict(p, build=b) for p, b in zip(healthy["coder"]["proxies"], ("previous", "current"))]}
