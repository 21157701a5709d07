# -*- coding: utf-8 -*-
"""Provisioner autoscaling with KEDA: the rendered objects against KEDA's CRD schemas (kept in tests/data/keda, see
SOURCE.txt), the trigger fields against what KEDA's scalers read, the cron window, the inputs, the GJSON subset
and the HPA arithmetic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.coder.ai_platform.plugins.filter import keda as keda_filters
from ansible_collections.coder.ai_platform.plugins.module_utils.planners import keda
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import (
    cron_runs_between, parse_timestamp, resolve_timezone)

REPO = Path(__file__).resolve().parents[5]
CRD_DIR = REPO / "tests" / "data" / "keda"
ORG_ID = "39b00fee-521b-412d-8155-8d2ab0a44215"
ORGS = [{"id": ORG_ID, "name": "coder", "is_default": True},
        {"id": "928eea1a-8bc8-4efe-bb0e-5f85039d4b49", "name": "experimental", "is_default": False}]
DEFAULT_DEPLOYMENT = {"namespace": "coder", "name": "coder-provisioner-default", "organization": ""}
SETTINGS = {"coder_url": "https://ai.coder.com"}
WORKSHOP = {"start": "2026-11-27T09:00:00Z", "duration_hours": 8, "lead_minutes": 30, "provisioners": 20}
NOW = "2026-11-25T12:00:00Z"


# --- CRD schema validation -----------------------------------------------------------------------------------------

def strict(schema):
    """The CRD's structural schema with unknown fields forbidden, like ``kubectl apply --validate=strict``
    (fieldValidation=Strict): the apiserver would otherwise prune an unknown (misspelt) field silently."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (node.get("type") == "object" and "properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return schema


def load_crd(kind):
    for path in CRD_DIR.glob("keda.sh_*.yaml"):
        crd = yaml.safe_load(path.read_text())
        if crd["spec"]["names"]["kind"] == kind:
            version = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"][0]
            assert crd["spec"]["group"] + "/" + version["name"] == keda.API_VERSION
            return version["schema"]["openAPIV3Schema"]
    raise AssertionError("no CRD for %s in %s" % (kind, CRD_DIR))


VALIDATORS = dict((kind, jsonschema.Draft7Validator(strict(load_crd(kind))))
                  for kind in ("ScaledObject", "TriggerAuthentication"))


def schema_errors(obj):
    return sorted("%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
                  for e in VALIDATORS[obj["kind"]].iter_errors(obj))


def rendered(deployments=None, settings=None, workshop=None, now=NOW):
    return keda.render(deployments or [DEFAULT_DEPLOYMENT], ORGS, dict(SETTINGS, **(settings or {})),
                       workshop, now)


def test_the_crd_files_are_the_pinned_kedacore_ones():
    source = (CRD_DIR / "SOURCE.txt").read_text()
    assert "kedacore/keda" in source and "1bcb2acae2ddda264dd10323991fb76fd0188b6c" in source
    assert "Apache" in source
    for name, size in (("keda.sh_scaledobjects.yaml", 17712), ("keda.sh_triggerauthentications.yaml", 8771)):
        assert (CRD_DIR / name).stat().st_size == size, name  # copied unmodified


@pytest.mark.parametrize("workshop, settings, deployments", [
    (None, None, None),
    (WORKSHOP, None, None),
    (dict(WORKSHOP, timezone="Europe/Berlin"), {"fallback_replicas": 0, "metrics_url": "http://coder.coder.svc"},
     [dict(DEFAULT_DEPLOYMENT, tags={"pool": "gpu"}, min_replicas=2, max_replicas=30),
      {"namespace": "coder", "name": "coder-provisioner-experimental", "organization": "experimental",
       "workshop": False}]),
])
def test_rendered_objects_validate_against_the_keda_crds(workshop, settings, deployments):
    out = rendered(deployments, settings, workshop)
    objects = out["scaled_objects"] + out["trigger_authentications"]
    assert len(objects) == len(deployments or [1]) + 1
    for obj in objects:
        assert obj["apiVersion"] == "keda.sh/v1alpha1"
        assert schema_errors(obj) == [], obj


def good_scaled_object():
    return rendered(workshop=WORKSHOP)["scaled_objects"][0]


def _drop_target(obj):
    del obj["spec"]["scaleTargetRef"]


def _int_metadata(obj):
    obj["spec"]["triggers"][0]["metadata"]["targetValue"] = 1


def _misspelt(obj):
    obj["spec"]["pollingInteval"] = obj["spec"].pop("pollingInterval")


def _string_min(obj):
    obj["spec"]["minReplicaCount"] = "1"


def _unknown_trigger_field(obj):
    obj["spec"]["triggers"][0]["authenticationRefs"] = obj["spec"]["triggers"][0].pop("authenticationRef")


def _string_cache_flag(obj):
    obj["spec"]["triggers"][0]["useCachedMetrics"] = "true"


def _no_type(obj):
    del obj["spec"]["triggers"][1]["type"]


def _half_fallback(obj):
    del obj["spec"]["fallback"]["replicas"]


@pytest.mark.parametrize("breakage, where", [
    (_drop_target, "'scaleTargetRef' is a required property"),
    (_int_metadata, "spec/triggers/0/metadata/targetValue: 1 is not of type 'string'"),
    (_misspelt, "'pollingInteval' was unexpected"),
    (_string_min, "spec/minReplicaCount: '1' is not of type 'integer'"),
    (_unknown_trigger_field, "'authenticationRefs' was unexpected"),
    (_no_type, "'type' is a required property"),
    (_string_cache_flag, "useCachedMetrics: 'true' is not of type 'boolean'"),
    (_half_fallback, "'replicas' is a required property"),
])
def test_the_validation_rejects_broken_scaled_objects(breakage, where):
    obj = good_scaled_object()
    assert schema_errors(obj) == []
    breakage(obj)
    errors = schema_errors(obj)
    assert errors and any(where in e for e in errors), errors


def test_the_validation_rejects_a_broken_trigger_authentication():
    obj = rendered()["trigger_authentications"][0]
    del obj["spec"]["secretTargetRef"][0]["parameter"]
    assert any("'parameter' is a required property" in e for e in schema_errors(obj))
    obj = rendered()["trigger_authentications"][0]
    obj["spec"]["secretTargetRefs"] = obj["spec"].pop("secretTargetRef")
    assert any("'secretTargetRefs' was unexpected" in e for e in schema_errors(obj))


# --- the fields KEDA's scalers read --------------------------------------------------------------------------------

def test_the_queue_trigger_uses_the_metrics_api_fields_keda_reads():
    obj = good_scaled_object()
    assert obj["metadata"]["name"] == obj["spec"]["scaleTargetRef"]["name"] == "coder-provisioner-default"
    assert obj["metadata"]["namespace"] == "coder"  # same name and namespace: scale_for_workshop.yml finds it
    assert obj["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "coder-provisioner-default"}
    queue = obj["spec"]["triggers"][0]
    assert queue["type"] == "metrics-api"
    # metrics_api_scaler.go: url, valueLocation (gjson), targetValue; authMode apiKey with method and keyParamName
    # from the trigger metadata and apiKey from the TriggerAuthentication's auth params.
    assert queue["metadata"] == {
        "url": "https://ai.coder.com/api/v2/organizations/%s/provisionerjobs?limit=1000&status=pending,running,"
               "canceling" % ORG_ID,
        "valueLocation": "#", "targetValue": "1", "authMode": "apiKey", "method": "header",
        "keyParamName": "Coder-Session-Token"}
    assert queue["authenticationRef"] == {"name": "coder-provisioner-autoscaling"}
    assert queue["useCachedMetrics"] is True  # one Coder call per pollingInterval, not one per HPA sync as well
    assert "metricType" not in queue  # AverageValue: desired = ceil(value / targetValue), and fallback works
    auth = rendered()["trigger_authentications"][0]
    assert auth["spec"] == {"secretTargetRef": [{"parameter": "apiKey", "name": "coder-provisioner-autoscaling-token",
                                                 "key": "token"}]}


def test_keda_sends_the_session_token_header_to_exactly_the_trigger_url():
    obj, auth = good_scaled_object(), rendered()["trigger_authentications"][0]
    secrets = {"coder-provisioner-autoscaling-token": {"token": base64.b64encode(b"s3cr3t-token").decode()}}
    url, headers = keda.metrics_api_request(obj["spec"]["triggers"][0]["metadata"], keda.auth_params(auth, secrets))
    assert url == obj["spec"]["triggers"][0]["metadata"]["url"]
    assert headers == {"Coder-Session-Token": "s3cr3t-token"}
    query = urlsplit_query(url)
    # coderd rejects any query parameter it does not know (ErrorExcessParams): only limit, status (and tags).
    assert query == {"limit": ["1000"], "status": ["pending,running,canceling"]}


def urlsplit_query(url):
    return parse_qs(urlsplit(url).query)


def test_tags_select_a_pool_and_are_json_in_the_query():
    out = rendered([dict(DEFAULT_DEPLOYMENT, tags={"scope": "organization", "pool": "gpu"})])
    query = urlsplit_query(out["scaled_objects"][0]["spec"]["triggers"][0]["metadata"]["url"])
    assert query["tags"] == ['{"pool":"gpu","scope":"organization"}']


def test_metrics_api_request_follows_keda_defaults():
    meta = {"url": "http://api/x?a=1", "authMode": "apiKey"}
    assert keda.metrics_api_request(meta, {"apiKey": "k"}) == ("http://api/x?a=1", {"X-API-KEY": "k"})
    url, headers = keda.metrics_api_request(dict(meta, method="query"), {"apiKey": "k"})
    assert (url, headers) == ("http://api/x?a=1&api_key=k", {})
    url, headers = keda.metrics_api_request(dict(meta, method="query", keyParamName="t"), {"apiKey": "k"})
    assert url.endswith("&t=k")
    assert keda.metrics_api_request({"url": "u", "authMode": "bearer"}, {"token": "b"}) == (
        "u", {"Authorization": "Bearer b"})
    assert keda.metrics_api_request({"url": "u"}, {}) == ("u", {})
    with pytest.raises(ValueError):
        keda.metrics_api_request(meta, {})


def test_auth_params_need_the_secret_key():
    auth = rendered()["trigger_authentications"][0]
    with pytest.raises(KeyError):
        keda.auth_params(auth, {"coder-provisioner-autoscaling-token": {"other": "eA=="}})


def test_scaling_behaviour_is_fast_up_slow_down_and_falls_back_to_max():
    spec = good_scaled_object()["spec"]
    assert (spec["minReplicaCount"], spec["maxReplicaCount"], spec["pollingInterval"]) == (1, 50, 15)
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == 600
    assert behavior["scaleDown"]["policies"] == [{"type": "Pods", "value": 2, "periodSeconds": 60}]
    assert spec["fallback"] == {"failureThreshold": 3, "replicas": 50}
    assert "fallback" not in rendered(settings={"fallback_replicas": 0})["scaled_objects"][0]["spec"]
    assert rendered(settings={"fallback_replicas": 7})["scaled_objects"][0]["spec"]["fallback"]["replicas"] == 7


# --- the cron window -----------------------------------------------------------------------------------------------

def next_fire(expression, after, zone_name):
    """Next time a date-specific robfig/cron expression ("m h d M *") fires after ``after``: it fires once a
    year, on that date where it exists."""
    minute, hour, day, month, dow = expression.split()
    assert dow == "*"
    zone = resolve_timezone(zone_name)
    local = after.astimezone(zone)
    for year in range(local.year, local.year + 9):
        try:
            candidate = datetime(year, int(month), int(day), int(hour), int(minute), tzinfo=zone)
        except ValueError:  # 29 February
            continue
        if candidate > local:
            return candidate
    raise AssertionError(expression)


def cron_active(trigger, at):
    """KEDA's cron scaler (cron_scaler.go IsActive): inactive while the next start comes before the next end and
    now is before that start; active while now is before the next end; both 'next' times are after now."""
    meta = trigger["metadata"]
    start, end = next_fire(meta["start"], at, meta["timezone"]), next_fire(meta["end"], at, meta["timezone"])
    if start < end and at < start:
        return False
    return at <= end


def test_cron_window_starts_a_lead_time_before_and_ends_with_the_workshop():
    window = keda.cron_window("2026-11-27T09:00:00Z", 8, 30, "UTC")
    assert (window["start"], window["end"]) == ("30 8 27 11 *", "0 17 27 11 *")
    assert (window["begins_at"], window["ends_at"]) == ("2026-11-27T08:30:00Z", "2026-11-27T17:00:00Z")
    day = parse_timestamp("2026-11-26T00:00:00Z")
    # timeutil.cron_runs_between has robfig/cron semantics: each expression fires exactly once around the workshop.
    assert cron_runs_between(window["start"], day, day + timedelta(days=3)) == [parse_timestamp(window["begins_at"])]
    assert cron_runs_between(window["end"], day, day + timedelta(days=3)) == [parse_timestamp(window["ends_at"])]


@pytest.mark.parametrize("start, hours, lead, zone, expected", [
    ("2026-11-27T09:00:30Z", 0.5, 0, "UTC", ("0 9 27 11 *", "31 9 27 11 *")),  # start rounds down, end up
    ("2026-11-27T09:00:00-05:00", 8, 30, "America/New_York", ("30 8 27 11 *", "0 17 27 11 *")),
    ("2026-11-27T09:00:00-05:00", 8, 30, "UTC", ("30 13 27 11 *", "0 22 27 11 *")),
    ("2026-12-31T22:00:00Z", 4, 60, "UTC", ("0 21 31 12 *", "0 2 1 1 *")),  # across the new year
    ("2026-06-01T09:00:00+02:00", 168, 1440, "Europe/Berlin", ("0 9 31 5 *", "0 9 8 6 *")),
])
def test_cron_expressions_in_the_trigger_timezone(start, hours, lead, zone, expected):
    window = keda.cron_window(start, hours, lead, zone)
    assert (window["start"], window["end"]) == expected
    trigger = keda.cron_trigger(window, 12)
    begins, ends = parse_timestamp(window["begins_at"]), parse_timestamp(window["ends_at"])
    assert not cron_active(trigger, begins - timedelta(minutes=1))
    assert cron_active(trigger, begins + timedelta(seconds=30))
    assert cron_active(trigger, ends - timedelta(minutes=1))
    assert not cron_active(trigger, ends + timedelta(minutes=1))
    assert not cron_active(trigger, begins - timedelta(days=200))
    assert trigger["metadata"]["desiredReplicas"] == "12" and trigger["metadata"]["timezone"] == zone


def test_the_cron_trigger_follows_the_workshop_and_disappears_after_it():
    triggers = good_scaled_object()["spec"]["triggers"]
    assert [t["type"] for t in triggers] == ["metrics-api", "cron"]
    assert triggers[1]["metadata"] == {"timezone": "UTC", "start": "30 8 27 11 *", "end": "0 17 27 11 *",
                                       "desiredReplicas": "20"}
    during = rendered(workshop=WORKSHOP, now="2026-11-27T12:00:00Z")
    assert len(during["scaled_objects"][0]["spec"]["triggers"]) == 2
    after = rendered(workshop=WORKSHOP, now="2026-11-27T17:00:00Z")
    assert [t["type"] for t in after["scaled_objects"][0]["spec"]["triggers"]] == ["metrics-api"]
    assert "ended 2026-11-27T17:00:00Z" in after["summary"][0]
    assert "no workshop given" in rendered()["summary"][0]
    assert "at least 20 from 2026-11-27T08:30:00Z to 2026-11-27T17:00:00Z" in rendered(workshop=WORKSHOP)["summary"][0]
    with pytest.raises(ValueError, match="no planned provisioner count"):
        rendered(workshop=dict(WORKSHOP, provisioners=0))


# --- inputs --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("deployments, settings, workshop, words", [
    ([], {}, {}, "at least one provisioner Deployment"),
    ([{"namespace": "coder"}], {}, {}, "needs a namespace and a name"),
    (["coder/x"], {}, {}, "must be a dict"),
    ([DEFAULT_DEPLOYMENT, DEFAULT_DEPLOYMENT], {}, {}, "listed twice"),
    ([dict(DEFAULT_DEPLOYMENT, min_replicas=0)], {}, {}, "pending until the reaper fails it"),
    ([dict(DEFAULT_DEPLOYMENT, min_replicas=5, max_replicas=4)], {}, {}, "min_replicas 5 is above max_replicas 4"),
    ([dict(DEFAULT_DEPLOYMENT, tags={"pool": 1})], {}, {}, "tags must map tag names to strings"),
    ([DEFAULT_DEPLOYMENT], {"max_replicas": 600, "job_limit": 500}, {}, "exceeds provisioner_autoscaling_job_limit"),
    ([DEFAULT_DEPLOYMENT], {"coder_url": "ai.coder.com"}, {}, "must be an http(s) URL"),
    ([DEFAULT_DEPLOYMENT], {"statuses": ["pending", "queued"]}, {}, "provisioner_autoscaling_job_statuses"),
    ([DEFAULT_DEPLOYMENT], {"statuses": []}, {}, "provisioner_autoscaling_job_statuses"),
    ([DEFAULT_DEPLOYMENT], {"target_value": 0}, {}, "provisioner_autoscaling_target_value must be at least 1"),
    ([DEFAULT_DEPLOYMENT], {"polling_interval": "often"}, {}, "polling_interval must be a whole number"),
    ([DEFAULT_DEPLOYMENT], {"scale_down_window_s": 7200}, {}, "scale_down_window_s must be from 0 to 3600"),
    ([DEFAULT_DEPLOYMENT], {"fallback_replicas": 99}, {}, "fallback_replicas 99 is above"),
    ([DEFAULT_DEPLOYMENT], {"secret_name": "Bad_Name"}, {}, "provisioner_autoscaling_secret_name"),
    ([DEFAULT_DEPLOYMENT], {"secret_key": "a/b"}, {}, "provisioner_autoscaling_secret_key"),
    ([dict(DEFAULT_DEPLOYMENT, name="p%d" % i) for i in range(40)], {"polling_interval": 15}, {},
     "more than a quarter of Coder's default rate limit"),
    ([DEFAULT_DEPLOYMENT], {}, dict(WORKSHOP, provisioners=60), "raise provisioner_autoscaling_max_replicas"),
    ([DEFAULT_DEPLOYMENT], {}, dict(WORKSHOP, start="tomorrowish"), "not an ISO 8601 date-time"),
    ([DEFAULT_DEPLOYMENT], {}, dict(WORKSHOP, duration_hours=0), "above 0 and at most 168 hours"),
    ([DEFAULT_DEPLOYMENT], {}, dict(WORKSHOP, lead_minutes=2000), "lead time must be from 0 to 1440"),
    ([DEFAULT_DEPLOYMENT], {}, dict(WORKSHOP, timezone="Mars/Olympus"), "unknown time zone"),
    ([DEFAULT_DEPLOYMENT], {}, dict(WORKSHOP, provisioners=-1), "workshop_provisioners must be at least 0"),
])
def test_input_errors_name_the_variable(deployments, settings, workshop, words):
    errors = keda.settings_errors(deployments, dict(SETTINGS, **settings), workshop)
    assert any(words in e for e in errors), errors
    assert keda_filters.keda_input_errors(deployments, dict(SETTINGS, **settings), workshop) == errors


def test_good_inputs_have_no_errors_and_strings_count_as_numbers():
    assert keda.settings_errors([DEFAULT_DEPLOYMENT], SETTINGS, WORKSHOP) == []
    # -e and templating hand over strings
    settings = dict(SETTINGS, max_replicas="40", polling_interval="30", fallback_replicas="-1")
    assert keda.settings_errors([DEFAULT_DEPLOYMENT], settings, dict(WORKSHOP, provisioners="20")) == []
    spec = rendered(settings=settings, workshop=dict(WORKSHOP, provisioners="20"))["scaled_objects"][0]["spec"]
    assert (spec["maxReplicaCount"], spec["pollingInterval"], spec["fallback"]["replicas"]) == (40, 30, 40)
    # a workshop Deployment capped below the plan is an error; one left out of the workshop is not
    assert keda.settings_errors([DEFAULT_DEPLOYMENT, {"namespace": "coder", "name": "small", "max_replicas": 2,
                                                      "workshop": False}], SETTINGS, WORKSHOP) == []


def test_organizations_resolve_by_name_or_default():
    assert keda.organization_id(ORGS, "") == ORG_ID
    assert keda.organization_id(ORGS, "Experimental") == ORGS[1]["id"]
    with pytest.raises(ValueError, match="no organization 'demo' .*coder, experimental"):
        keda.organization_id(ORGS, "demo")
    with pytest.raises(ValueError, match="marked default"):
        keda.organization_id([ORGS[1]], "")


def test_render_one_trigger_authentication_per_namespace_and_probes_on_the_ansible_url():
    deployments = [DEFAULT_DEPLOYMENT, {"namespace": "coder", "name": "coder-provisioner-experimental",
                                        "organization": "experimental", "workshop": False},
                   {"namespace": "other", "name": "p", "organization": "coder"}]
    out = rendered(deployments, {"metrics_url": "http://coder.coder.svc.cluster.local/"}, WORKSHOP)
    assert out["namespaces"] == ["coder", "other"]
    assert [a["metadata"]["namespace"] for a in out["trigger_authentications"]] == ["coder", "other"]
    assert [len(o["spec"]["triggers"]) for o in out["scaled_objects"]] == [2, 1, 2]
    probe = out["probes"][1]
    assert probe["url"].startswith("http://coder.coder.svc.cluster.local/api/v2/organizations/%s/" % ORGS[1]["id"])
    assert probe["check_url"] == probe["url"].replace("http://coder.coder.svc.cluster.local", "https://ai.coder.com")
    assert (probe["target_value"], probe["min_replicas"], probe["max_replicas"]) == (1, 1, 50)
    assert out["calls_per_minute"] == 12.0
    assert "experimental" in out["summary"][1] and "no cron" not in out["summary"][1]


def test_the_filter_reports_bad_input_as_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="keda_provisioner_objects: .*listed twice"):
        keda_filters.keda_provisioner_objects([DEFAULT_DEPLOYMENT] * 2, ORGS, SETTINGS)
    with pytest.raises(AnsibleFilterError, match="no organization 'nope'"):
        keda_filters.keda_provisioner_objects([dict(DEFAULT_DEPLOYMENT, organization="nope")], ORGS, SETTINGS)
    assert keda_filters.keda_provisioner_objects([DEFAULT_DEPLOYMENT], ORGS, SETTINGS)["namespaces"] == ["coder"]
    assert set(keda_filters.FilterModule().filters()) == {"keda_input_errors", "keda_provisioner_objects",
                                                          "keda_metric_value", "keda_hpa_replicas"}


# --- the GJSON subset and the HPA arithmetic -----------------------------------------------------------------------

GJSON_EXAMPLE = {  # tidwall/gjson SYNTAX.md
    "name": {"first": "Tom", "last": "Anderson"}, "age": 37, "children": ["Sara", "Alex", "Jack"],
    "fav.movie": "Deer Hunter",
    "friends": [{"first": "Dale", "last": "Murphy", "age": 44}, {"first": "Roger", "last": "Craig", "age": 68},
                {"first": "Jane", "last": "Murphy", "age": 47}]}


@pytest.mark.parametrize("path, value", [
    ("name.last", "Anderson"), ("age", 37), ("children", ["Sara", "Alex", "Jack"]), ("children.0", "Sara"),
    ("children.1", "Alex"), ("friends.1.first", "Roger"), ("friends.#", 3), ("friends.#.age", [44, 68, 47]),
    ("children.#", 3), ("fav\\.movie", "Deer Hunter"),
])
def test_gjson_subset_matches_the_gjson_syntax_examples(path, value):
    assert keda.gjson_get(GJSON_EXAMPLE, path) == value


def test_gjson_hash_on_the_root_array_is_its_length():
    assert keda.gjson_get([], "#") == 0
    assert keda.gjson_get([{"id": 1}, {"id": 2}], "#") == 2
    assert keda.metric_value([{}] * 7, "#") == 7.0
    assert keda_filters.keda_metric_value([{}] * 3) == 3.0


@pytest.mark.parametrize("path", ["friends.#(last==\"Murphy\").first", "child*.2", "c?ildren.0", "children|0",
                                  "children.@reverse", "[age,name.first]"])
def test_gjson_syntax_outside_the_subset_is_refused(path):
    with pytest.raises(ValueError, match="outside the supported subset"):
        keda.gjson_get(GJSON_EXAMPLE, path)


@pytest.mark.parametrize("document, path", [({"a": 1}, "#"), ({"a": 1}, "b"), ([1, 2], "5"), ("text", "a")])
def test_gjson_missing_paths_raise_key_error(document, path):
    with pytest.raises(KeyError):
        keda.gjson_get(document, path)


@pytest.mark.parametrize("document, path, value", [
    ({"n": 4}, "n", 4.0), ({"n": 2.5}, "n", 2.5), ({"n": "12"}, "n", 12.0)])
def test_metric_value_reads_numbers_and_decimal_strings(document, path, value):
    assert keda.metric_value(document, path) == value


@pytest.mark.parametrize("document", [{"n": True}, {"n": None}, {"n": {"x": 1}}, {"n": [1]}])
def test_metric_value_refuses_what_keda_refuses(document):
    with pytest.raises(ValueError):
        keda.metric_value(document, "n")
    with pytest.raises(AnsibleFilterError):
        keda_filters.keda_metric_value(document, "n")


@pytest.mark.parametrize("metric, target, low, high, floors, replicas", [
    (0, 1, 1, 50, (), 1),          # empty queue: the floor
    (8, 1, 1, 50, (), 8),          # one daemon per job in flight
    (80, 1, 1, 50, (), 50),        # capped
    (7, 2, 1, 50, (), 4),          # ceil(7 / 2)
    (3, 1, 1, 50, (20,), 20),      # the cron trigger is a floor during the window
    (30, 1, 1, 50, (20,), 30),     # ... and the queue still scales above it
    (0.3, 0.1, 1, 50, (), 3),      # float noise does not add a daemon
])
def test_hpa_replicas(metric, target, low, high, floors, replicas):
    assert keda.hpa_replicas(metric, target, low, high, floors) == replicas
    assert keda_filters.keda_hpa_replicas(metric, target, low, high, list(floors)) == replicas


def test_hpa_filter_reports_bad_numbers():
    with pytest.raises(AnsibleFilterError):
        keda_filters.keda_hpa_replicas(1, 0, 1, 2)
