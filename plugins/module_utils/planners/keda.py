# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KEDA objects that scale Coder's external provisioner Deployments on the depth of their job queue.

Coder has no queue-depth metric (docs/provisioner-autoscaling.md says why this uses the API instead), so each
provisioner Deployment gets a ScaledObject whose ``metrics-api`` trigger polls

    GET <coder>/api/v2/organizations/<org id>/provisionerjobs?limit=<n>&status=pending,running,canceling

with the ``Coder-Session-Token`` header (``authMode: apiKey``, ``method: header``, ``keyParamName`` = the header,
the token from a Secret through a TriggerAuthentication) and reads the GJSON path ``#``: the length of the root
array, i.e. the jobs that hold or wait for a daemon. With ``targetValue: 1`` the HPA wants one daemon per job
(each daemon runs one job at a time). An optional ``cron`` trigger pre-scales to the workshop plan from a lead
time before the workshop to its end.

Everything here is pure: the role calls it through the filters in ``plugins/filter/keda.py`` and the tests call it
directly. Field names follow KEDA's source (see tests/data/keda/SOURCE.txt).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import math
import re
from datetime import timedelta

from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import (
    isoformat, parse_timestamp, resolve_timezone)

from ansible.module_utils.six.moves.urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

API_VERSION = "keda.sh/v1alpha1"
SESSION_HEADER = "Coder-Session-Token"  # codersdk.SessionTokenHeader
API_KEY_PARAMETER = "apiKey"  # the metrics-api scaler's auth parameter for authMode apiKey
COUNT_LOCATION = "#"  # GJSON: the length of the (root) array
JOB_STATUSES = ("pending", "running", "succeeded", "canceling", "canceled", "failed", "unknown")
# Jobs that hold a daemon (running, canceling: terraform still stops) or wait for one (pending).
IN_FLIGHT_STATUSES = ("pending", "running", "canceling")
QUEUE_TRIGGER_NAME = "coder-jobs-in-flight"
CRON_TRIGGER_NAME = "workshop-prescale"
CODER_RATE_LIMIT_PER_MINUTE = 512  # coderd --api-rate-limit default, per user
LABELS = {"app.kubernetes.io/managed-by": "coder.ai_platform",
          "app.kubernetes.io/component": "provisioner-autoscaling"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

DEFAULTS = {
    "metrics_url": "",  # the Coder URL KEDA polls (in-cluster Service); empty: the Coder URL Ansible uses
    "coder_url": "",
    "statuses": list(IN_FLIGHT_STATUSES),
    "job_limit": 1000,
    "target_value": 1,
    "min_replicas": 1,
    "max_replicas": 50,
    "polling_interval": 15,
    "scale_up_pods": 10,
    "scale_up_period_s": 15,
    "scale_down_window_s": 600,
    "scale_down_pods": 2,
    "scale_down_period_s": 60,
    "fallback_replicas": -1,  # -1: maxReplicaCount; 0: no fallback section
    "fallback_failure_threshold": 3,
    "trigger_authentication": "coder-provisioner-autoscaling",
    "secret_name": "coder-provisioner-autoscaling-token",
    "secret_key": "token",
}
WORKSHOP_DEFAULTS = {"start": "", "duration_hours": 8, "lead_minutes": 30, "provisioners": 0, "timezone": "UTC"}


INT_SETTINGS = ("job_limit", "target_value", "min_replicas", "max_replicas", "polling_interval", "scale_up_pods",
                "scale_up_period_s", "scale_down_window_s", "scale_down_pods", "scale_down_period_s",
                "fallback_replicas", "fallback_failure_threshold")


def _settings(settings):
    """The settings with defaults filled in; whole numbers given as strings (``-e``, templating) become ints."""
    merged = dict(DEFAULTS)
    merged.update(dict((k, v) for k, v in (settings or {}).items() if v is not None))
    for key in INT_SETTINGS:
        merged[key] = _maybe_int(merged[key])
    return merged


def _maybe_int(value):
    try:
        return _int(value)
    except (TypeError, ValueError):
        return value  # settings_errors names it


def _workshop(workshop):
    merged = dict(WORKSHOP_DEFAULTS)
    merged.update(dict((k, v) for k, v in (workshop or {}).items() if v is not None))
    merged["provisioners"] = _maybe_int(merged["provisioners"])
    merged["lead_minutes"] = _maybe_int(merged["lead_minutes"])
    return merged


def _int(value):
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float) and value != int(value):
        raise ValueError(value)
    return int(value)


# --- inputs --------------------------------------------------------------------------------------------------------

def _deployment(item, settings):
    """A deployment entry with its per-Deployment overrides applied."""
    return {"namespace": item.get("namespace") or "", "name": item.get("name") or "",
            "organization": item.get("organization") or "", "tags": item.get("tags") or {},
            "workshop": item.get("workshop", True) is not False,
            "min_replicas": _maybe_int(item.get("min_replicas") if item.get("min_replicas") is not None
                                       else settings["min_replicas"]),
            "max_replicas": _maybe_int(item.get("max_replicas") if item.get("max_replicas") is not None
                                       else settings["max_replicas"])}


def _check_int(errors, name, value, low, high=None, what=""):
    try:
        number = _int(value)
    except (TypeError, ValueError):
        errors.append("%s must be a whole number, got %r" % (name, value))
        return None
    if number < low or (high is not None and number > high):
        limits = "from %d to %d" % (low, high) if high is not None else "at least %d" % low
        errors.append("%s must be %s%s, got %d" % (name, limits, what, number))
        return None
    return number


def _check_workshop(errors, workshop, max_floor):
    if not workshop["start"]:
        return
    window = None
    try:
        window = cron_window(workshop["start"], workshop["duration_hours"], workshop["lead_minutes"],
                             workshop["timezone"])
    except (TypeError, ValueError) as err:
        errors.append("provisioner_autoscaling_workshop_*: %s" % err)
    provisioners = _check_int(errors, "provisioner_autoscaling_workshop_provisioners", workshop["provisioners"], 0)
    if window and provisioners and max_floor is not None and provisioners > max_floor:
        errors.append("provisioner_autoscaling_workshop_provisioners (%d) is above the max_replicas of a workshop "
                      "Deployment (%d): the HPA would cap the pre-scale; raise provisioner_autoscaling_max_replicas"
                      % (provisioners, max_floor))


def settings_errors(deployments, settings=None, workshop=None):
    """Every problem with the role's inputs, as sentences naming the variable; empty when all is well."""
    settings, workshop = _settings(settings), _workshop(workshop)
    errors = []
    base = settings["metrics_url"] or settings["coder_url"]
    if not re.match(r"^https?://[^/\s]+", base or ""):
        errors.append("provisioner_autoscaling_metrics_url (or the Coder URL) must be an http(s) URL, got %r" % base)
    bad = [s for s in settings["statuses"] or [] if s not in JOB_STATUSES]
    if not settings["statuses"] or bad:
        errors.append("provisioner_autoscaling_job_statuses must be a non-empty subset of %s, got %r"
                      % (", ".join(JOB_STATUSES), settings["statuses"]))
    target = _check_int(errors, "provisioner_autoscaling_target_value", settings["target_value"], 1)
    limit = _check_int(errors, "provisioner_autoscaling_job_limit", settings["job_limit"], 1)
    polling = _check_int(errors, "provisioner_autoscaling_polling_interval", settings["polling_interval"], 1, 3600)
    _check_int(errors, "provisioner_autoscaling_scale_up_pods", settings["scale_up_pods"], 1)
    _check_int(errors, "provisioner_autoscaling_scale_up_period_s", settings["scale_up_period_s"], 1, 1800)
    _check_int(errors, "provisioner_autoscaling_scale_down_window_s", settings["scale_down_window_s"], 0, 3600)
    _check_int(errors, "provisioner_autoscaling_scale_down_pods", settings["scale_down_pods"], 1)
    _check_int(errors, "provisioner_autoscaling_scale_down_period_s", settings["scale_down_period_s"], 1, 1800)
    fallback = _check_int(errors, "provisioner_autoscaling_fallback_replicas", settings["fallback_replicas"], -1)
    _check_int(errors, "provisioner_autoscaling_fallback_failure_threshold",
               settings["fallback_failure_threshold"], 1)
    for key in ("trigger_authentication", "secret_name"):
        if not DNS_SUBDOMAIN.match(str(settings[key] or "")) or len(str(settings[key])) > 253:
            errors.append("provisioner_autoscaling_%s must be a Kubernetes object name, got %r" % (key, settings[key]))
    if not re.match(r"^[-._a-zA-Z0-9]+$", str(settings["secret_key"] or "")):
        errors.append("provisioner_autoscaling_secret_key must be a Secret data key, got %r" % settings["secret_key"])
    if not deployments:
        errors.append("provisioner_autoscaling_deployments must name at least one provisioner Deployment")
    seen = set()
    max_floor = None
    for index, raw in enumerate(deployments or []):
        if not isinstance(raw, dict):
            errors.append("provisioner_autoscaling_deployments[%d] must be a dict, got %r" % (index, raw))
            continue
        item = _deployment(raw, settings)
        where = "provisioner_autoscaling_deployments[%d]" % index
        if not DNS_LABEL.match(item["namespace"]) or not DNS_SUBDOMAIN.match(item["name"]):
            errors.append("%s needs a namespace and a name (Kubernetes names), got %r" % (where, raw))
            continue
        key = (item["namespace"], item["name"])
        if key in seen:
            errors.append("%s: %s/%s is listed twice" % (where, item["namespace"], item["name"]))
        seen.add(key)
        if not isinstance(item["tags"], dict) or not all(isinstance(v, str) for v in item["tags"].values()):
            errors.append("%s.tags must map tag names to strings, got %r" % (where, item["tags"]))
        low = _check_int(errors, where + ".min_replicas", item["min_replicas"], 1,
                         what=" (0 would leave a job without a matching daemon pending until the reaper fails it)")
        high = _check_int(errors, where + ".max_replicas", item["max_replicas"], 1)
        if low is not None and high is not None and low > high:
            errors.append("%s: min_replicas %d is above max_replicas %d" % (where, low, high))
        if high is not None and target and limit and high * target > limit:
            errors.append("%s: max_replicas %d x target_value %d exceeds provisioner_autoscaling_job_limit %d, so the "
                          "job count would saturate below the maximum" % (where, high, target, limit))
        if high is not None and fallback is not None and fallback > high:
            errors.append("provisioner_autoscaling_fallback_replicas %d is above %s.max_replicas %d"
                          % (fallback, where, high))
        if high is not None and item["workshop"]:
            max_floor = high if max_floor is None else min(max_floor, high)
    if polling and deployments:
        per_minute = len(deployments) * 60.0 / polling
        if per_minute > CODER_RATE_LIMIT_PER_MINUTE / 4.0:
            errors.append("provisioner_autoscaling_polling_interval %ds makes %.0f Coder API calls a minute with one "
                          "token, more than a quarter of Coder's default rate limit (%d per user per minute)"
                          % (polling, per_minute, CODER_RATE_LIMIT_PER_MINUTE))
    _check_workshop(errors, workshop, max_floor)
    return errors


def organization_id(organizations, name):
    """The id of the organization called ``name`` (case-insensitive), or of the default one when ``name`` is empty."""
    for org in organizations or []:
        if (not name and org.get("is_default")) or (name and str(org.get("name", "")).lower() == name.lower()):
            return org["id"]
    known = ", ".join(sorted(str(o.get("name")) for o in organizations or [])) or "none"
    wanted = repr(name) if name else "marked default"
    raise ValueError("Coder has no organization %s (it has: %s)" % (wanted, known))


# --- the queue-depth trigger -------------------------------------------------------------------------------------

def jobs_url(base_url, org_id, statuses=IN_FLIGHT_STATUSES, limit=1000, tags=None):
    """The provisioner-jobs URL KEDA polls. Only parameters coderd accepts (it rejects any other one)."""
    query = [("limit", str(int(limit))), ("status", ",".join(statuses))]
    if tags:
        query.append(("tags", _json_object(tags)))
    path = "/api/v2/organizations/%s/provisionerjobs" % quote(str(org_id), safe="")
    return base_url.rstrip("/") + path + "?" + urlencode(query, safe=",")


def _json_object(tags):
    # Sorted, compact JSON: the same tags always give the same URL (and the same metric name in KEDA).
    parts = ['"%s":"%s"' % (_escape(k), _escape(tags[k])) for k in sorted(tags)]
    return "{" + ",".join(parts) + "}"


def _escape(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def queue_trigger(url, target_value, trigger_authentication):
    """KEDA metrics-api trigger: every value in ``metadata`` is a string (the CRD types the map string->string)."""
    return {
        "type": "metrics-api",
        "name": QUEUE_TRIGGER_NAME,
        "metadata": {
            "url": url,
            "valueLocation": COUNT_LOCATION,
            "targetValue": str(int(target_value)),
            "authMode": "apiKey",
            "method": "header",
            "keyParamName": SESSION_HEADER,
        },
        "authenticationRef": {"name": trigger_authentication},
        # The HPA reads the value KEDA fetched in its polling loop instead of making KEDA query Coder again on
        # every HPA sync: one Coder call per pollingInterval.
        "useCachedMetrics": True,
    }


# --- the workshop trigger ----------------------------------------------------------------------------------------

def cron_window(start, duration_hours, lead_minutes=30, timezone_name="UTC"):
    """Cron ``start``/``end`` expressions (robfig/cron five fields, in ``timezone_name``) for the pre-scale window:
    from ``lead_minutes`` before ``start`` (rounded down to the minute) to ``start + duration_hours`` (rounded up).

    A date-specific expression (minute hour day month *) fires once a year, so the window is that one stretch of
    time; KEDA's cron scaler is active while the next ``end`` comes before the next ``start``."""
    begin_at = parse_timestamp(start)
    hours = float(duration_hours)
    if not 0 < hours <= 168:
        raise ValueError("workshop duration must be above 0 and at most 168 hours, got %s" % duration_hours)
    lead = _int(lead_minutes)
    if not 0 <= lead <= 1440:
        raise ValueError("lead time must be from 0 to 1440 minutes, got %s" % lead_minutes)
    zone = resolve_timezone(timezone_name)
    begins = (begin_at - timedelta(minutes=lead)).replace(second=0, microsecond=0)
    end_exact = begin_at + timedelta(hours=hours)
    ends = end_exact.replace(second=0, microsecond=0)
    if ends < end_exact:
        ends += timedelta(minutes=1)
    return {"start": _cron_at(begins.astimezone(zone)), "end": _cron_at(ends.astimezone(zone)),
            "begins_at": isoformat(begins), "ends_at": isoformat(ends), "timezone": timezone_name or "UTC"}


def _cron_at(moment):
    return "%d %d %d %d *" % (moment.minute, moment.hour, moment.day, moment.month)


def cron_trigger(window, desired_replicas):
    return {"type": "cron", "name": CRON_TRIGGER_NAME,
            "metadata": {"timezone": window["timezone"], "start": window["start"], "end": window["end"],
                         "desiredReplicas": str(int(desired_replicas))}}


# --- objects -----------------------------------------------------------------------------------------------------

def _behavior(settings):
    return {
        # Up fast: as many daemons as jobs, at once (no stabilization; the larger of the two policies).
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": _int(settings["scale_up_pods"]),
                                  "periodSeconds": _int(settings["scale_up_period_s"])},
                                 {"type": "Percent", "value": 100,
                                  "periodSeconds": _int(settings["scale_up_period_s"])}]},
        # Down slowly: the highest recommendation of the window wins, then a few pods a period. A removed daemon
        # finishes its job first (SIGTERM drains), so this is about churn between waves, not about safety.
        "scaleDown": {"stabilizationWindowSeconds": _int(settings["scale_down_window_s"]), "selectPolicy": "Max",
                      "policies": [{"type": "Pods", "value": _int(settings["scale_down_pods"]),
                                    "periodSeconds": _int(settings["scale_down_period_s"])}]},
    }


def scaled_object(deployment, org_id, settings=None, window=None, desired_replicas=0):
    """The ScaledObject for one provisioner Deployment: same name and namespace, targeting it (the contract
    scale_for_workshop.yml relies on to raise minReplicaCount)."""
    settings = _settings(settings)
    item = _deployment(deployment, settings)
    base = settings["metrics_url"] or settings["coder_url"]
    url = jobs_url(base, org_id, settings["statuses"], settings["job_limit"], item["tags"])
    triggers = [queue_trigger(url, settings["target_value"], settings["trigger_authentication"])]
    if window and desired_replicas and item["workshop"]:
        triggers.append(cron_trigger(window, desired_replicas))
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": item["name"]},
        "pollingInterval": _int(settings["polling_interval"]),
        "minReplicaCount": _int(item["min_replicas"]),
        "maxReplicaCount": _int(item["max_replicas"]),
        "advanced": {"horizontalPodAutoscalerConfig": {"behavior": _behavior(settings)}},
        "triggers": triggers,
    }
    fallback = _int(settings["fallback_replicas"])
    if fallback != 0:
        spec["fallback"] = {"failureThreshold": _int(settings["fallback_failure_threshold"]),
                            "replicas": _int(item["max_replicas"]) if fallback < 0 else fallback}
    return {"apiVersion": API_VERSION, "kind": "ScaledObject",
            "metadata": {"name": item["name"], "namespace": item["namespace"], "labels": dict(LABELS),
                         "annotations": {"coder.ai_platform/organization": item["organization"] or "(default)",
                                         "coder.ai_platform/organization-id": str(org_id)}},
            "spec": spec}


def trigger_authentication(namespace, settings=None):
    """Maps the Secret's token to the metrics-api scaler's ``apiKey`` auth parameter."""
    settings = _settings(settings)
    return {"apiVersion": API_VERSION, "kind": "TriggerAuthentication",
            "metadata": {"name": settings["trigger_authentication"], "namespace": namespace, "labels": dict(LABELS)},
            "spec": {"secretTargetRef": [{"parameter": API_KEY_PARAMETER, "name": settings["secret_name"],
                                          "key": settings["secret_key"]}]}}


def render(deployments, organizations, settings=None, workshop=None, now=None):
    """Everything the role applies (except the Secret, which the role writes under no_log).

    Returns ``scaled_objects``, ``trigger_authentications``, ``namespaces`` (where the token Secret must exist),
    ``probes`` (per Deployment: the URL KEDA polls and the same path on the Coder URL Ansible reaches, to check the
    query and the token once before KEDA relies on them) and ``summary`` (one sentence per Deployment)."""
    errors = settings_errors(deployments, settings, workshop)
    if errors:
        raise ValueError("; ".join(errors))
    settings, workshop = _settings(settings), _workshop(workshop)
    window, cron_note = None, "no workshop given, so no cron trigger"
    if workshop["start"]:
        window = cron_window(workshop["start"], workshop["duration_hours"], workshop["lead_minutes"],
                             workshop["timezone"])
        if now is not None and parse_timestamp(window["ends_at"]) <= parse_timestamp(now):
            cron_note = "the workshop window ended %s, so no cron trigger" % window["ends_at"]
            window = None
        elif not _int(workshop["provisioners"]):
            raise ValueError("a workshop is given (%s) but no planned provisioner count" % workshop["start"])
    objects, probes, summary, namespaces = [], [], [], []
    for raw in deployments:
        item = _deployment(raw, settings)
        org_id = organization_id(organizations, item["organization"])
        obj = scaled_object(raw, org_id, settings, window, workshop["provisioners"])
        objects.append(obj)
        if item["namespace"] not in namespaces:
            namespaces.append(item["namespace"])
        url = obj["spec"]["triggers"][0]["metadata"]["url"]
        probes.append({"deployment": "%s/%s" % (item["namespace"], item["name"]), "url": url,
                       "check_url": jobs_url(settings["coder_url"] or url, org_id, settings["statuses"],
                                             settings["job_limit"], item["tags"]),
                       "target_value": _int(settings["target_value"]),
                       "min_replicas": _int(item["min_replicas"]), "max_replicas": _int(item["max_replicas"])})
        sentence = ("%s/%s: organization %s, %d-%d daemons, one per job in flight (%s) polled every %ds"
                    % (item["namespace"], item["name"], item["organization"] or "(default)", item["min_replicas"],
                       item["max_replicas"], "+".join(settings["statuses"]), _int(settings["polling_interval"])))
        if len(obj["spec"]["triggers"]) > 1:
            sentence += "; at least %d from %s to %s (cron, %s)" % (
                _int(workshop["provisioners"]), window["begins_at"], window["ends_at"], window["timezone"])
        elif item["workshop"]:
            sentence += "; " + cron_note
        summary.append(sentence)
    return {"scaled_objects": objects,
            "trigger_authentications": [trigger_authentication(ns, settings) for ns in namespaces],
            "namespaces": namespaces, "probes": probes, "summary": summary,
            "calls_per_minute": round(len(objects) * 60.0 / _int(settings["polling_interval"]), 2)}


# --- what KEDA does with the objects (used by the probe task and the tests) ---------------------------------------

def auth_params(trigger_auth, secrets):
    """The auth parameters KEDA resolves from a TriggerAuthentication's ``secretTargetRef``; ``secrets`` maps a
    Secret name to its ``data`` (base64, as the API returns it)."""
    params = {}
    for ref in (trigger_auth.get("spec") or {}).get("secretTargetRef") or []:
        data = (secrets.get(ref["name"]) or {})
        if ref["key"] not in data:
            raise KeyError("Secret %s has no key %s" % (ref["name"], ref["key"]))
        params[ref["parameter"]] = base64.b64decode(data[ref["key"]]).decode("utf-8")
    return params


def metrics_api_request(metadata, params):
    """(url, headers) of the GET KEDA's metrics-api scaler sends (getMetricAPIServerRequest): with authMode apiKey
    the key goes into the header ``keyParamName`` (default X-API-KEY) or, with method query, into the query
    parameter ``keyParamName`` (default api_key); bearer adds ``Authorization: Bearer``."""
    url, headers = metadata["url"], {}
    modes = [m.strip() for m in str(metadata.get("authModes") or metadata.get("authMode") or "").split(",")
             if m.strip()]
    if "apiKey" in modes:
        key = params.get(API_KEY_PARAMETER) or metadata.get(API_KEY_PARAMETER)
        if not key:
            raise ValueError("authMode apiKey without an apiKey auth parameter")
        method = metadata.get("method") or params.get("method") or "header"
        name = metadata.get("keyParamName") or params.get("keyParamName")
        if method == "query":
            parts = urlsplit(url)
            query = parse_qsl(parts.query, keep_blank_values=True) + [(name or "api_key", key)]
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
        else:
            headers[name or "X-API-KEY"] = key
    if "bearer" in modes:
        headers["Authorization"] = "Bearer %s" % (params.get("bearerToken") or params.get("token"))
    return url, headers


_UNSUPPORTED = re.compile(r"[*?|@!()\[\]{}]")


def gjson_get(document, path):
    """A small subset of GJSON (github.com/tidwall/gjson): dot-separated keys, array indexes, ``\\.`` to escape a
    dot in a key, and ``#`` - alone it is the length of the array, followed by ``.rest`` it maps ``rest`` over the
    elements. Wildcards, queries ``#(...)``, pipes, modifiers and multipaths raise ValueError. A path that does
    not exist raises KeyError (gjson returns a non-existent result, which KEDA rejects as not a number)."""
    if _UNSUPPORTED.search(path.replace("\\.", "")):
        raise ValueError("GJSON path %r uses syntax outside the supported subset" % path)
    parts = [p.replace("\x00", ".") for p in path.replace("\\.", "\x00").split(".")]
    return _walk(document, parts, path)


def _walk(value, parts, path):
    for index, part in enumerate(parts):
        if part == "#":
            if not isinstance(value, list):
                raise KeyError("%s: # on a %s" % (path, type(value).__name__))
            rest = parts[index + 1:]
            if not rest:
                return len(value)
            found = []
            for element in value:
                try:
                    found.append(_walk(element, rest, path))
                except KeyError:
                    continue
            return found
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError("%s: no %r" % (path, part))
    return value


def metric_value(document, value_location):
    """The number KEDA's metrics-api scaler (format json) reads: a JSON number, or a string holding a plain
    decimal (KEDA parses strings as Kubernetes quantities; suffixes are outside this subset)."""
    found = gjson_get(document, value_location)
    if isinstance(found, bool) or not isinstance(found, (int, float, str)):
        raise ValueError("valueLocation %r must point to a number, got %r" % (value_location, found))
    return float(found)


def hpa_replicas(metric, target_value, min_replicas, max_replicas, floors=()):
    """The replicas the HPA KEDA creates converges to: each External metric with an AverageValue target wants
    ceil(metric / target); the HPA takes the largest wish (a cron trigger's desiredReplicas is one) and clamps it
    to [minReplicaCount, maxReplicaCount]. Ignores the HPA's 10 % tolerance and the behavior's rate limits."""
    ratio = round(float(metric) / float(target_value), 9)  # float noise (3.0000000000000004) must not add a daemon
    wants = [int(math.ceil(ratio)) if ratio > 0 else 0]
    wants.extend(int(f) for f in floors or ())
    return max(int(min_replicas), min(int(max_replicas), max(wants)))
