"""stale_pods: the mirror is current everywhere, but us-west-2's proxy pods still run the previous build.

The scenario says so with one key (regions.us-west-2.deployments[].build: previous) and no digest; the gate must
give exactly images.running_match and proxies.version_match fail at us-west-2, and pass everything else.
"""

import pytest

from conftest import run_gate, statuses

import scenario

pytestmark = pytest.mark.sandbox


def test_pods_behind_a_current_mirror_fail_exactly_their_checks(sandbox_factory, tmp_path):
    run, report = run_gate(sandbox_factory("stale_pods"), tmp_path)
    assert run.returncode != 0, run.output[-2000:]
    found = statuses(report)
    assert dict((key, status) for key, status in found.items() if status != "pass") == {
        ("images.running_match", "us-west-2"): "fail", ("proxies.version_match", "us-west-2"): "fail"}
    for region in ("us-east-2", "us-west-2", "eu-west-2"):  # the cause is the pods, not the mirror
        assert found[("images.mirror_current", region)] == "pass"
        assert found[("images.running_match", region)] == ("fail" if region == "us-west-2" else "pass")

    builds = scenario.load("stale_pods")["images"]["builds"]
    current = scenario.image_digest("current", builds["current"])
    previous = scenario.image_digest("previous", builds["previous"])
    checks = dict(((c["id"], c["target"]), c) for c in report["checks"])
    running = checks[("images.running_match", "us-west-2")]["details"]
    assert running["reference_digest"] == current
    assert [(p["component"], p["digest"]) for p in running["pods"]] == [("proxy", previous)] * 2
    version = checks[("proxies.version_match", "us-west-2")]["details"]
    assert (version["proxy"], version["proxy_version"], version["primary_version"]) == (
        "oregon", builds["previous"]["version"], builds["current"]["version"])
