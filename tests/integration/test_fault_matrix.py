"""The fault matrix (issue 8, item 4): the pre-workshop gate on the healthy sandbox while it cannot look.

Each case breaks one thing, runs the gate, and puts the thing back:
- each dependency down in turn (the port refuses connections): AWS (moto), each region's Kubernetes API, Coder,
  LiteLLM, the upstream registry;
- a dependency that accepts connections and never answers (the sandbox's ``hang`` fault);
- HTTP 429 once, then success (the shared HTTP client retries), and 429 on every request (its retries are bounded);
- HTTP 401: a wrong Coder token.

A case that cannot look must give exactly the rows that read the broken dependency as ``error``, with the cause in
the summary, every other row ``pass``, the report's ``verdict: incomplete``, a non-zero exit of ansible-playbook,
no traceback, and a wall time within ``preflight_timeout`` (plus a small bound) of the healthy run's.

"The rows that read a dependency" come from the check catalog: each check declares the fact sources it reads, and
SOURCES_OF below says which dependency feeds which source (the gather tasks' wiring). A new check therefore joins the
matrix without an edit here; a new *source* needs one line in SOURCES_OF.
"""

import re
import time

import pytest
import yaml

from ansible_collections.coder.ai_platform.plugins.module_utils.checks.catalog import catalog_rows
from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import expected_targets
from conftest import REPO, run_gate, statuses

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

TIMEOUT_S = 10  # preflight_timeout (the role's default), given explicitly to every run of this file
HANG_TIMEOUT_S = 20  # for the hang cases: long against the machine's noise, so that two timeouts in a row show
# What a broken dependency may cost beyond one preflight_timeout: a bounded retry backoff, and the noise of a busy
# 2-core machine (a share of the healthy run's time, plus a few seconds).
NOISE = 0.25
SLACK_S = 5
# The families the gate judges on the healthy sandbox (roles/preflight/tasks/judge.yml: the state backend is
# defined and the baseline is on); the healthy run below checks that the report holds exactly these.
GATE_FAMILIES = ("baseline", "preflight", "state_backend")
SOURCES_OF = {  # which fact sources each sandbox component feeds (the gate's gather, preflight_facts_info)
    "aws": {"images", "state_backend", "protection"},  # ECR digests, the state backend, the data-protection reads
    "registry": {"images"},  # the upstream image digest
    "coder": {"coder"},
    "litellm": {"litellm"},
}
# A read the catalog's `reads` cannot say yet: every region's images.running_match holds its pods to the digest the
# control plane's Coder server pods run, so the control plane's cluster feeds that check in every region.
READS_THE_CONTROL_PLANE = {"images.running_match": {"cluster"}}
INVENTORY = REPO / "inventories" / "sandbox"
# The cause a row must name: the dependency refused the connection, or did not answer in time.
REFUSED = re.compile(r"connection refused|cannot reach|could not connect", re.IGNORECASE)
WAITED = re.compile(r"timed out|timeout|no answer .*within %ds" % HANG_TIMEOUT_S, re.IGNORECASE)


def regions():
    """The sandbox inventory's regions as the registry sees them: {name, role, proxy_name}."""
    groups = yaml.safe_load((INVENTORY / "hosts.yml").read_text())["all"]["children"]
    found = []
    for group, role in (("control_plane", "control_plane"), ("proxy_regions", "proxy")):
        for name in groups[group]["hosts"]:
            host_vars = yaml.safe_load((INVENTORY / "host_vars" / ("%s.yml" % name)).read_text()) or {}
            found.append({"name": name, "role": role, "proxy_name": host_vars.get("coder_proxy_name")})
    return found


REGIONS = regions()
KUBE = ["kube-%s" % r["name"] for r in REGIONS]


def affected(component):
    """Every (check id, target) that reads what the component feeds: the rows that must be ``error``."""
    if component.startswith("kube-"):
        sources, only = {"cluster"}, component[len("kube-"):]
    else:
        sources, only = SOURCES_OF[component], None
    control_plane = [r["name"] for r in REGIONS if r["role"] == "control_plane"]
    rows = set()
    for entry in catalog_rows(GATE_FAMILIES):
        read = set(item.split(".", 1)[0] for item in entry["reads"])
        everywhere = only in control_plane and READS_THE_CONTROL_PLANE.get(entry["id"], set()) & sources
        if not read & sources and not everywhere:
            continue
        for target in expected_targets(entry, REGIONS):
            if only is None or target == only or everywhere:
                rows.add((entry["id"], target))
    return rows


def test_the_catalog_is_what_the_matrix_expects():
    """Every source a check reads is fed by a known component (or is computed, like the plan), and no global check
    reads a regional source, which would make "that region's rows" ambiguous for a regional fault."""
    fed = set().union(*SOURCES_OF.values()) | {"cluster", "plan"}
    for entry in catalog_rows(GATE_FAMILIES):
        read = set(item.split(".", 1)[0] for item in entry["reads"])
        assert read <= fed, "%s reads %s: add the source to SOURCES_OF" % (entry["id"], sorted(read - fed))
        if entry["scope"] == "global":
            assert not read & {"cluster"}, entry["id"]
    for component in list(SOURCES_OF) + KUBE:
        assert affected(component), component  # every dependency feeds at least one check


@pytest.fixture(scope="module")
def healthy(shared_sandbox, tmp_path_factory):
    """The shared healthy sandbox, and one clean gate run on it: every row passes, and how long that took."""
    sandbox = shared_sandbox("healthy")
    started = time.monotonic()
    run, report = run_gate(sandbox, tmp_path_factory.mktemp("fault-matrix-healthy"), "-e",
                           "preflight_timeout=%d" % TIMEOUT_S)
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.output[-3000:]
    assert report["verdict"] == "pass" and set(statuses(report).values()) == {"pass"}, report["summary"]
    assert set(c["family"] for c in report["checks"]) == set(GATE_FAMILIES)
    expected = set()
    for entry in catalog_rows(GATE_FAMILIES):
        expected |= set((entry["id"], t) for t in expected_targets(entry, REGIONS))
    assert set(statuses(report)) == expected  # the gate judged every catalogued check at every target
    return sandbox, elapsed


def run_faulted(sandbox, tmp_path, *args, timeout=TIMEOUT_S):
    started = time.monotonic()
    run, report = run_gate(sandbox, tmp_path, "-e", "preflight_timeout=%d" % timeout, *args)
    return run, report, time.monotonic() - started


def within_one_timeout(elapsed, healthy_s, timeout=TIMEOUT_S):
    return elapsed <= healthy_s * (1 + NOISE) + timeout + SLACK_S


def assert_incomplete(run, report, elapsed, healthy_s, rows, cause, timeout=TIMEOUT_S):
    """Exactly ``rows`` are error, each naming the cause (a predicate on the summary); the rest pass; the verdict is
    incomplete, the exit non-zero, no traceback, and the run took at most one preflight_timeout (plus slack) more."""
    assert "Traceback" not in run.output, run.output[-3000:]
    assert report is not None, run.output[-3000:]
    found = statuses(report)
    errored = set(key for key, status in found.items() if status == "error")
    assert errored == rows, {"missing": sorted(rows - errored), "unexpected": sorted(errored - rows),
                             "summary": report["summary"]}
    assert set(status for key, status in found.items() if key not in rows) == {"pass"}, report["summary"]
    for check in report["checks"]:
        if check["status"] == "error":
            assert cause(check["summary"]), (check["id"], check["target"], check["summary"])
    assert report["verdict"] == "incomplete", report.get("verdict")
    assert run.returncode != 0, run.output[-3000:]
    assert within_one_timeout(elapsed, healthy_s, timeout), (elapsed, healthy_s, timeout)


@pytest.mark.parametrize("component", ["aws"] + KUBE + ["coder", "litellm", "registry"])
def test_a_dependency_down_errors_exactly_its_rows(healthy, tmp_path, component):
    sandbox, healthy_s = healthy
    assert sandbox.component("stop", component)["running"] is False
    try:
        run, report, elapsed = run_faulted(sandbox, tmp_path)
    finally:
        assert sandbox.component("start", component)["running"]
    assert_incomplete(run, report, elapsed, healthy_s, affected(component), REFUSED.search)


@pytest.mark.parametrize("component", ["coder", KUBE[1]])
def test_a_dependency_that_never_answers_errors_its_rows_within_the_timeout(healthy, tmp_path, component):
    sandbox, healthy_s = healthy
    before = sandbox.request_counts()[component]
    sandbox.fault(component, "hang")
    try:
        run, report, elapsed = run_faulted(sandbox, tmp_path, timeout=HANG_TIMEOUT_S)
    finally:
        assert sandbox.fault(component, "none")["fault"] is None
    assert sandbox.request_counts()[component] != before  # it was asked, and held the connection
    assert_incomplete(run, report, elapsed, healthy_s, affected(component),
                      WAITED.search,
                      timeout=HANG_TIMEOUT_S)


@pytest.mark.parametrize("component", ["coder", "litellm"])
def test_http_429_then_success_is_retried_and_passes(healthy, tmp_path, component):
    sandbox, healthy_s = healthy
    before = sum(sandbox.request_counts()[component].values())
    sandbox.fault(component, "status", status=429, count=1, retry_after=1)
    try:
        run, report, elapsed = run_faulted(sandbox, tmp_path)
    finally:
        sandbox.fault(component, "none")
    assert "Traceback" not in run.output
    assert run.returncode == 0, run.output[-3000:]
    assert report["verdict"] == "pass" and set(statuses(report).values()) == {"pass"}, report["summary"]
    assert sum(sandbox.request_counts()[component].values()) > before + 1  # the 429, then the retried request
    assert within_one_timeout(elapsed, healthy_s), (elapsed, healthy_s)


def test_http_429_on_every_request_gives_up_in_bounded_time(healthy, tmp_path):
    sandbox, healthy_s = healthy
    sandbox.fault("coder", "status", status=429, count=0, retry_after=1)
    try:
        run, report, elapsed = run_faulted(sandbox, tmp_path)
    finally:
        sandbox.fault("coder", "none")
    assert_incomplete(run, report, elapsed, healthy_s, affected("coder"), lambda summary: "429" in summary)


def test_a_wrong_coder_token_errors_exactly_the_coder_rows(healthy, tmp_path):
    sandbox, healthy_s = healthy
    wrong = "wrong-coder-token-0123456789abcdef"
    run, report, elapsed = run_faulted(sandbox, tmp_path, "-e", "coder_token=%s" % wrong)
    assert_incomplete(run, report, elapsed, healthy_s, affected("coder"), lambda summary: "401" in summary)
    assert wrong not in run.output and sandbox.endpoints["coder"]["token"] not in run.output
