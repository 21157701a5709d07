"""The check registry is the single source: docs and README tables come from it, every family is loaded, every
check names its Well-Architected best practices, and a check added through the registry alone is judged, reported
and documented."""

import importlib.util
import json
from pathlib import Path

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.checks import catalog
from ansible_collections.coder.ai_platform.plugins.module_utils.core import registry
from ansible_collections.coder.ai_platform.plugins.module_utils.core import report as rp

REPO = Path(__file__).resolve().parents[2]
CHECKS_DIR = REPO / "plugins" / "module_utils" / "checks"


def load_check_docs():
    spec = importlib.util.spec_from_file_location("check_docs", REPO / "scripts" / "check_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_and_readme_tables_are_what_the_registry_generates():
    docs = load_check_docs()
    for path, wanted in docs.targets().items():
        assert path.read_text() == wanted, "%s drifted from the registry: run scripts/check_docs.py --write" % path


def test_every_module_in_checks_is_a_loaded_family():
    modules = sorted(p.stem for p in CHECKS_DIR.glob("*.py") if p.stem not in ("__init__", "catalog"))
    assert modules == sorted(catalog.FAMILY_MODULES)
    assert catalog.families() == sorted(catalog.FAMILY_MODULES)


def test_every_check_names_well_architected_best_practices_and_a_known_scope():
    assert catalog.CATALOG
    for check_id, entry in catalog.CATALOG.items():
        assert entry["wa"] and all(registry.WA_ID.match(item) for item in entry["wa"]), check_id
        assert entry["scope"] in registry.SCOPES and entry["severity"] in registry.IMPACTS, check_id
        for cause in entry["caused_by"]:
            assert cause in catalog.CATALOG, "%s is caused_by unknown %s" % (check_id, cause)


@pytest.mark.parametrize("bad, message", [
    ({"wa": ()}, "Well-Architected"), ({"wa": ("REL9",)}, "Well-Architected"), ({"severity": "meh"}, "severity"),
    ({"scope": "everywhere"}, "scope"), ({"reads": ("Bad Section",)}, "reads"), ({"judge": None}, "judge"),
    ({"check_id": "nodots"}, "family.name"), ({"check_id": "coder.health"}, "duplicate"),
])
def test_a_bad_declaration_is_refused_with_what_is_wrong(bad, message):
    args = dict(check_id="throwaway.bad", family="throwaway", requirement="9.9", wa=("REL06-BP01",),
                severity="low", reads=(), scope="global", title="t", remediation="r", judge=lambda ctx: None)
    args.update(bad)
    with pytest.raises(ValueError, match=message):
        registry.declare(**args)
    assert "throwaway.bad" not in registry.CATALOG


@pytest.fixture
def throwaway_check():
    """A check declared through the registry alone: no gather, role, report or doc file changes."""
    def judge(ctx):
        nodes = ctx.source("cluster")["nodes"]
        if len(nodes) < ctx.settings.get("min_nodes", 2):
            return ctx.result("fail", "%d node(s) in %s" % (len(nodes), ctx.target), {"nodes": len(nodes)},
                              remediation="Add nodes to %s." % ctx.target)
        return ctx.result("pass", "%d nodes" % len(nodes))

    check_id = registry.declare(
        "throwaway.node_count", "throwaway", "3.5", ("REL07-BP01",), "low", ("cluster.nodes",), "region",
        "Each region has at least two nodes", "Add nodes.", judge, fails_when="fewer than two nodes")
    yield check_id
    registry.CATALOG.pop(check_id)


def facts(us_west_nodes=1, cluster_errors=None):
    regions = [
        {"name": "us-east-2", "role": "control_plane", "cluster": {"nodes": [{}, {}], "errors": {}}},
        {"name": "us-west-2", "role": "proxy", "proxy_name": "oregon",
         "cluster": {"nodes": [{}] * us_west_nodes, "errors": cluster_errors or {}}},
    ]
    return {"now": "2026-12-04T00:00:00Z", "region_names": ["us-east-2", "us-west-2", "eu-west-2"], "regions": regions}


def test_a_throwaway_check_is_judged_reported_and_documented_through_the_registry_alone(throwaway_check, tmp_path):
    results = registry.judge_checks(facts(), ["throwaway"])
    by_target = dict((r["target"], r) for r in results)
    assert set(by_target) == {"us-east-2", "us-west-2", "eu-west-2"}
    assert by_target["us-east-2"]["status"] == "pass"
    west = by_target["us-west-2"]
    assert west["status"] == "fail" and west["remediation"] == "Add nodes to us-west-2."
    assert by_target["us-west-2"]["wa"] == ["REL07-BP01"] and by_target["us-west-2"]["title"].startswith("Each region")
    # eu-west-2's host never recorded facts: could not look is an error, not a pass.
    assert by_target["eu-west-2"]["status"] == "error" and "no facts were gathered" in by_target["eu-west-2"]["summary"]

    report = rp.build_report("throwaway", results, {"expected_users": 1}, "2026-12-04T00:00:00Z", 0.1)
    assert json.loads(rp.to_json(report))["verdict"] == "fail"
    assert "throwaway.node_count" in rp.to_markdown(report) and "throwaway.node_count" in rp.to_junit(report)

    docs = load_check_docs()
    assert "`throwaway.node_count` | throwaway | 3.5 | REL07-BP01 | low | each region | `cluster.nodes`" in \
        docs.checks_md()
    assert catalog.sections_read("cluster", ["throwaway"]) == ["nodes"]


def test_a_failed_section_becomes_error_with_its_cause_before_the_judge_runs(throwaway_check):
    results = registry.judge_checks(facts(cluster_errors={"nodes": "Kubernetes API: connection refused"}),
                                    ["throwaway"])
    west = next(r for r in results if r["target"] == "us-west-2")
    assert west["status"] == "error" and "connection refused" in west["summary"]


def test_a_judge_that_breaks_is_an_error_naming_the_exception_not_a_crash(throwaway_check):
    broken = facts()
    broken["regions"][0]["cluster"] = {"errors": {}}  # no "nodes" key: the judge's lookup raises KeyError
    east = next(r for r in registry.judge_checks(broken, ["throwaway"]) if r["target"] == "us-east-2")
    assert east["status"] == "error" and "KeyError" in east["summary"]


def test_unknown_families_are_refused():
    with pytest.raises(ValueError, match="unknown check families: nope"):
        registry.judge_checks(facts(), ["nope"])


def test_gather_sections_come_from_the_catalog_by_role():
    assert catalog.sections_read("protection", ["baseline"], "control_plane") == [
        "flow_logs", "load_balancers", "rds", "s3", "secrets", "security_groups"]
    assert "s3" not in catalog.sections_read("protection", ["baseline"], "proxy")
    assert catalog.sections_read("cluster", ["preflight"]) == ["cronjobs", "deployments", "nodepools", "nodes", "pods"]


def test_regional_sources_given_per_source_join_their_regions():
    merged = registry.judge_checks({"regions": [{"name": "us-east-2", "role": "control_plane"}],
                                    "by_region": {"protection": {"us-east-2": {"failed": True, "msg": "boom"}}}},
                                   ["baseline"])
    assert all(r["status"] == "error" for r in merged if r["target"] == "us-east-2")
    assert any("boom" in r["summary"] for r in merged)
