"""An in-memory Kubernetes API server: the sandbox runs one per cluster (region).

Real clients talk to it unchanged over plain HTTP with a bearer token: the ``kubernetes`` Python client (typed APIs
and ``DynamicClient``) and the kubernetes.core modules (k8s, k8s_info, k8s_scale). Wherever a client can observe
it, the fake behaves like kube-apiserver: discovery documents, URL layout, status codes, ``Status`` error bodies with
the real reasons and messages, resourceVersion/generation bookkeeping, optimistic concurrency, ``dryRun=All``, the
four PATCH content types, the Deployment ``scale`` and ``status`` subresources and the kubelet stats summary reached
through the node proxy. A Deployment controller runs synchronously inside the write that triggers it, so readers
never have to wait: Deployment -> ReplicaSet -> Running pods whose ``imageID`` records the digest "pulled" at
creation (``image_resolver``).

Like a fresh cluster it starts with the default, kube-system, kube-public and kube-node-lease namespaces; a
namespaced object can only be created in an existing namespace (404 otherwise).

Errors raised by the direct-access methods (``create``) are ``ApiError``s carrying the same ``Status`` body.

Deliberately not implemented:
  * watch (``?watch=true`` answers 405 rather than hanging), ``limit`` paging (a server may ignore it: every list is
    returned whole, without a continue token), protobuf, TLS, RBAC (one bearer token is the whole of auth);
  * admission, schema validation beyond names and the Deployment's selector (``matchLabels`` only) and containers,
    defaulting beyond Namespace and the Deployment's top-level spec, ``managedFields``/field ownership (server-side
    apply merges like the strategic merge below), finalizers and graceful deletion (deletes are immediate);
  * strategic merge patch is approximated: dicts merge recursively, ``null`` deletes a key, lists of dicts that all
    carry ``name`` merge by name, every other list is replaced, ``$``-directives are ignored;
  * garbage collection is only the ownerReferences cascade at delete time, plus deleting a Namespace's contents with
    it; a rollout replaces all pods at once and drops the old ReplicaSet (no surge, no rollback history);
  * no controllers besides Deployment: Jobs, CronJobs, StatefulSets, NodePools, ScaledObjects... keep the status
    they were given.
"""

import copy
import hashlib
import json
import os
import random
import re
import threading
import uuid
from collections import namedtuple
from datetime import datetime, timezone

import yaml
from werkzeug.wrappers import Request, Response

from httpserver import BackgroundServer

GIT_VERSION = "v1.31.0"

ResourceType = namedtuple("ResourceType", "group version plural kind singular namespaced short_names")

# One line per kind served. Discovery (/api, /apis, /api/v1, /apis/<g>/<v>) is generated from this table only.
# kubernetes.core caches discovery in $TMPDIR/k8srcp-<hash of server URL and user>.json: a client that talked to an
# older build of this table on the same port keeps using its cache until that file goes.
RESOURCES = [ResourceType(*row) for row in [
    ("", "v1", "namespaces", "Namespace", "namespace", False, ["ns"]),
    ("", "v1", "nodes", "Node", "node", False, ["no"]),
    ("", "v1", "pods", "Pod", "pod", True, ["po"]),
    ("", "v1", "services", "Service", "service", True, ["svc"]),
    ("", "v1", "configmaps", "ConfigMap", "configmap", True, ["cm"]),
    ("", "v1", "secrets", "Secret", "secret", True, []),
    ("", "v1", "serviceaccounts", "ServiceAccount", "serviceaccount", True, ["sa"]),
    ("", "v1", "events", "Event", "event", True, ["ev"]),
    ("apps", "v1", "deployments", "Deployment", "deployment", True, ["deploy"]),
    ("apps", "v1", "replicasets", "ReplicaSet", "replicaset", True, ["rs"]),
    ("apps", "v1", "statefulsets", "StatefulSet", "statefulset", True, ["sts"]),
    ("batch", "v1", "cronjobs", "CronJob", "cronjob", True, ["cj"]),
    ("batch", "v1", "jobs", "Job", "job", True, []),
    ("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", "poddisruptionbudget", True, ["pdb"]),
    ("karpenter.sh", "v1", "nodepools", "NodePool", "nodepool", False, []),
    ("karpenter.sh", "v1", "nodeclaims", "NodeClaim", "nodeclaim", False, []),
    ("karpenter.k8s.aws", "v1", "ec2nodeclasses", "EC2NodeClass", "ec2nodeclass", False, ["ec2nc", "ec2ncs"]),
    ("keda.sh", "v1alpha1", "scaledobjects", "ScaledObject", "scaledobject", True, ["so"]),
    ("keda.sh", "v1alpha1", "triggerauthentications", "TriggerAuthentication", "triggerauthentication", True,
     ["ta", "triggerauth"]),
    ("keda.sh", "v1alpha1", "clustertriggerauthentications", "ClusterTriggerAuthentication",
     "clustertriggerauthentication", False, ["cta", "clustertriggerauth"]),
    ("monitoring.coreos.com", "v1", "prometheusrules", "PrometheusRule", "prometheusrule", True, ["promrule"]),
    ("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor", "servicemonitor", True, ["smon"]),
]]

# The subresources actually served, advertised as the real apiserver does ("<plural>/<sub>" entries).
SUBRESOURCES = {
    ("", "nodes"): [{"name": "nodes/proxy", "kind": "NodeProxyOptions", "verbs": ["get"]}],
    ("apps", "deployments"): [
        {"name": "deployments/scale", "group": "autoscaling", "version": "v1", "kind": "Scale",
         "verbs": ["get", "patch", "update"]},
        {"name": "deployments/status", "kind": "Deployment", "verbs": ["get", "patch", "update"]},
    ],
}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update"]  # no "watch": not served

INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"]
# Alphabet of the apiserver's generateName suffixes (no vowels, no confusable characters).
NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SELECTOR_REQUIREMENT = re.compile(
    r"^\s*(?P<bang>!?)\s*(?P<key>[A-Za-z0-9._/-]+)\s*"
    r"(?:(?P<op>==|!=|=)\s*(?P<value>[A-Za-z0-9._-]*)|\s(?P<setop>in|notin)\s*\((?P<values>[^()]*)\))?\s*$")
DEPLOYMENT_DEFAULTS = {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                       "strategy": {"type": "RollingUpdate",
                                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


class ApiError(Exception):
    """An apiserver error: ``status`` is the ``Status`` object sent as the response body."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": message, "reason": reason, "code": code}
        if details:
            self.status["details"] = details


def _group_version(rt):
    return f"{rt.group}/{rt.version}" if rt.group else rt.version


def _qualified(rt):
    return f"{rt.plural}.{rt.group}" if rt.group else rt.plural


def _details(rt, name):
    details = {"name": name, "kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    return details


def _not_found(rt, name):
    return ApiError(404, "NotFound", f'{_qualified(rt)} "{name}" not found', _details(rt, name))


def _invalid(rt, name, field, detail, cause_reason="FieldValueInvalid"):
    kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    details = {"name": name, "kind": rt.kind, "causes": [{"reason": cause_reason, "message": detail, "field": field}]}
    if rt.group:
        details["group"] = rt.group
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {field}: {detail}', details)


def _bad_request(message):
    return ApiError(400, "BadRequest", message)


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _random_suffix(length=5):
    return "".join(random.choice(NAME_SUFFIX_ALPHABET) for dummy in range(length))


# ---------------------------------------------------------------------------------------------- selectors


def parse_label_selector(text):
    """Parse a label selector into (key, operator, values) requirements; raise ValueError when malformed."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text or ""):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append((text or "")[start:])
    requirements = []
    for part in filter(str.strip, parts):
        m = SELECTOR_REQUIREMENT.match(part)
        if not m or (m["bang"] and (m["op"] or m["setop"])):
            raise ValueError(f"unable to parse requirement: {part.strip()!r}")
        if m["bang"]:
            requirements.append((m["key"], "!", ()))
        elif m["op"]:
            requirements.append((m["key"], "!=" if m["op"] == "!=" else "=", (m["value"],)))
        elif m["setop"]:
            requirements.append((m["key"], m["setop"], tuple(v.strip() for v in m["values"].split(","))))
        else:
            requirements.append((m["key"], "exists", ()))
    return requirements


def labels_match(labels, requirements):
    labels = labels or {}
    for key, op, values in requirements:
        if op == "exists":
            ok = key in labels
        elif op == "!":
            ok = key not in labels
        elif op in ("=", "in"):
            ok = key in labels and labels[key] in values
        else:  # "!=" and "notin": like the apiserver, a missing key satisfies them
            ok = labels.get(key) not in values
        if not ok:
            return False
    return True


def _parse_field_selector(text):
    requirements = []
    for part in filter(None, (text or "").split(",")):
        m = re.match(r"^\s*([A-Za-z.]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise _bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        if m[1] not in ("metadata.name", "metadata.namespace"):
            raise _bad_request(f'"{m[1]}" is not a known field selector: only "metadata.name", "metadata.namespace"')
        requirements.append((m[1].split(".")[1], m[2] == "!=", m[3]))
    return requirements


# ---------------------------------------------------------------------------------------------- patches


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _named_list(value):
    return isinstance(value, list) and all(isinstance(item, dict) and "name" in item for item in value)


def strategic_merge(target, patch):
    """Approximate strategic merge patch (see the module docstring for what is simplified)."""
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        current = result.get(key)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = strategic_merge(current, value)
        elif value and current and _named_list(value) and _named_list(current):
            merged = {item["name"]: item for item in current}
            for item in value:
                merged[item["name"]] = strategic_merge(merged.get(item["name"]), item)
            result[key] = list(merged.values())
        else:
            result[key] = copy.deepcopy(value)
    return result


def _pointer(path):
    if path == "":
        return []
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"invalid JSON pointer {path!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def _walk(doc, tokens):
    for token in tokens:
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def _pointer_add(doc, tokens, value):
    if not tokens:
        return value
    parent, last = _walk(doc, tokens[:-1]), tokens[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if not 0 <= index <= len(parent):
            raise IndexError(f"index {index} out of range")
        parent.insert(index, value)
    else:
        parent[last] = value
    return doc


def _pointer_remove(doc, tokens):
    parent, last = _walk(doc, tokens[:-1]), tokens[-1]
    return parent.pop(int(last) if isinstance(parent, list) else last)


def json_patch(doc, operations):
    """RFC 6902 JSON patch (add, remove, replace, move, copy, test)."""
    doc = copy.deepcopy(doc)
    for operation in operations:
        op, path = operation.get("op"), _pointer(operation.get("path"))
        if op == "add":
            doc = _pointer_add(doc, path, copy.deepcopy(operation["value"]))
        elif op == "remove":
            _pointer_remove(doc, path)
        elif op == "replace":
            _pointer_remove(doc, path)
            doc = _pointer_add(doc, path, copy.deepcopy(operation["value"]))
        elif op == "move":
            doc = _pointer_add(doc, path, _pointer_remove(doc, _pointer(operation["from"])))
        elif op == "copy":
            doc = _pointer_add(doc, path, copy.deepcopy(_walk(doc, _pointer(operation["from"]))))
        elif op == "test":
            if _walk(doc, path) != operation.get("value"):
                raise ValueError(f"testing value {operation.get('path')} failed")
        else:
            raise ValueError(f"Unexpected kind: {op}")
    return doc


# ---------------------------------------------------------------------------------------------- the server


class KubeFake(BackgroundServer):
    def __init__(self, name, token, image_resolver=None):
        self.name = name
        self._token = token
        self._image_resolver = image_resolver
        self._lock = threading.RLock()
        self._objects = {}  # (group, plural, namespace or "", name) -> stored object
        self._resource_version = 0
        self._node_stats = {}
        self._types = {(rt.group, rt.plural): rt for rt in RESOURCES}
        self._creation_order = {}  # uid -> sequence number: "newest pod" without relying on 1 s timestamps
        super().__init__()
        for namespace in INITIAL_NAMESPACES:
            self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})

    # ------------------------------------------------------------------ lifecycle and direct access

    def wsgi_app(self, environ, start_response):
        return self._wsgi(environ, start_response)

    @property
    def token(self):
        return self._token

    def create(self, obj):
        """Seed an object without HTTP (same defaulting, validation and controllers as POST); raises ApiError."""
        rt = self._type_of(obj.get("apiVersion"), obj.get("kind"))
        namespace = (obj.get("metadata") or {}).get("namespace") or "default" if rt.namespaced else None
        with self._lock:
            return copy.deepcopy(self._create(rt, namespace, obj, dry_run=False))

    def get(self, api_version, kind, name, namespace=None):
        rt = self._type_of(api_version, kind)
        with self._lock:
            return copy.deepcopy(self._objects.get(self._key(rt, namespace, name)))

    def list(self, api_version, kind, namespace=None, label_selector=None):
        rt = self._type_of(api_version, kind)
        requirements = parse_label_selector(label_selector)
        with self._lock:
            return copy.deepcopy(self._select(rt, namespace, requirements))

    def set_node_stats(self, node_name, fs_capacity_bytes, fs_used_bytes):
        with self._lock:
            self._node_stats[node_name] = (fs_capacity_bytes, fs_used_bytes)

    def _type_of(self, api_version, kind):
        group, dummy_sep, version = (api_version or "").rpartition("/")
        for rt in RESOURCES:
            if (rt.group, rt.version, rt.kind) == (group, version, kind):
                return rt
        raise ValueError(f"{self.name}: kind {kind!r} in {api_version!r} is not served by the fake")

    # ------------------------------------------------------------------ store

    def _key(self, rt, namespace, name):
        return (rt.group, rt.plural, namespace or "" if rt.namespaced else "", name)

    def _select(self, rt, namespace, requirements, fields=()):
        found = []
        for (group, plural, ns, dummy_name), obj in sorted(self._objects.items()):
            if (group, plural) != (rt.group, rt.plural) or (namespace and ns != namespace):
                continue
            meta = obj["metadata"]
            if labels_match(meta.get("labels"), requirements) and all(
                    (meta.get(field, "") == value) != negate for field, negate, value in fields):
                found.append(obj)
        return found

    def _commit(self, rt, obj):
        """Store obj with the next resourceVersion; returns the stored object."""
        self._resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self._resource_version)
        self._objects[self._key(rt, obj["metadata"].get("namespace"), obj["metadata"]["name"])] = obj
        return obj

    def _insert(self, rt, obj):
        """Stamp the server-owned metadata of a new object and store it."""
        meta = obj["metadata"]
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now())
        self._creation_order[meta["uid"]] = len(self._creation_order)
        return self._commit(rt, obj)

    # ------------------------------------------------------------------ write paths

    def _prepare(self, rt, obj):
        obj["apiVersion"], obj["kind"] = _group_version(rt), rt.kind
        for field in ("labels", "annotations"):  # empty maps are omitted on the wire (omitempty)
            if not obj["metadata"].get(field, True):
                del obj["metadata"][field]
        if rt.kind == "Deployment":
            spec = obj.setdefault("spec", {})
            for field, default in DEPLOYMENT_DEFAULTS.items():
                spec.setdefault(field, copy.deepcopy(default))
        elif rt.kind == "Namespace":
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj.setdefault("status", {"phase": "Active"})
        self._validate(rt, obj)

    def _validate(self, rt, obj):
        name = obj["metadata"].get("name") or ""
        if not name:
            raise _invalid(rt, name, "metadata.name", "Required value: name or generateName is required",
                           "FieldValueRequired")
        if len(name) > 253 or not DNS_SUBDOMAIN.match(name):
            raise _invalid(rt, name, "metadata.name", f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must '
                           "consist of lower case alphanumeric characters, '-' or '.', and must start and end "
                           "with an alphanumeric character")
        if rt.kind != "Deployment":
            return
        spec = obj["spec"]
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not selector:
            raise _invalid(rt, name, "spec.selector", "Required value", "FieldValueRequired")
        if any(labels.get(k) != v for k, v in selector.items()):
            raise _invalid(rt, name, "spec.template.metadata.labels",
                           f"Invalid value: {json.dumps(labels)}: `selector` does not match template `labels`")
        containers = (template.get("spec") or {}).get("containers") or []
        if not containers:
            raise _invalid(rt, name, "spec.template.spec.containers", "Required value", "FieldValueRequired")
        for i, container in enumerate(containers):
            for field in ("name", "image"):
                if not container.get(field):
                    raise _invalid(rt, name, f"spec.template.spec.containers[{i}].{field}", "Required value",
                                   "FieldValueRequired")

    def _create(self, rt, namespace, body, dry_run):
        if not isinstance(body, dict):
            raise _bad_request("the body of the request was in an unknown format")
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if obj.get("apiVersion", _group_version(rt)) != _group_version(rt):
            raise _bad_request(f"the API version in the data ({obj['apiVersion']}) does not match the expected API "
                               f"version ({_group_version(rt)})")
        if obj.get("kind", rt.kind) != rt.kind:
            raise _bad_request(f"the kind in the data ({obj['kind']}) does not match the expected kind ({rt.kind})")
        if rt.namespaced:
            if meta.setdefault("namespace", namespace) != namespace:
                raise _bad_request("the namespace of the provided object does not match the namespace sent on the "
                                   "request")
            if ("", "namespaces", "", namespace) not in self._objects:
                raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                               {"name": namespace, "kind": "namespaces"})
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + _random_suffix()
        for field in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
            meta.pop(field, None)
        if "spec" in obj:
            meta["generation"] = 1
        if rt.kind == "Deployment":
            obj.pop("status", None)  # owned by the controller and the status subresource
        self._prepare(rt, obj)
        if self._key(rt, namespace, meta["name"]) in self._objects:
            raise ApiError(409, "AlreadyExists", f'{_qualified(rt)} "{meta["name"]}" already exists',
                           _details(rt, meta["name"]))
        if dry_run:
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now())
            return obj
        stored = self._insert(rt, obj)
        self._after_write(rt, stored)
        return self._objects[self._key(rt, namespace, meta["name"])]

    def _update(self, rt, old, new, dry_run, status_only=False):
        """Replace old with new (PUT, PATCH, scale); a no-op write keeps the resourceVersion, like the apiserver."""
        meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
        name = old_meta["name"]
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {_qualified(rt)} "{name}": the object '
                           "has been modified; please apply your changes to the latest version and try again",
                           _details(rt, name))
        for field in ("name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion"):
            if field in old_meta:
                meta[field] = old_meta[field]
        if status_only:
            status, new = new.get("status"), copy.deepcopy(old)
            new.pop("status", None)
            if status is not None:
                new["status"] = status
        elif rt.kind == "Deployment":
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        self._prepare(rt, new)
        if "spec" in new and new["spec"] != old.get("spec"):
            new["metadata"]["generation"] = old_meta.get("generation", 0) + 1
        if new == old or dry_run:
            return new
        stored = self._commit(rt, new)
        if not status_only:
            self._after_write(rt, stored)
        return self._objects[self._key(rt, old_meta.get("namespace"), name)]

    def _delete(self, rt, obj, dry_run):
        if not dry_run:
            self._remove(rt, obj)
            if rt.kind in ("Pod", "ReplicaSet"):  # the owning controllers replace what was deleted
                for deployment in self._select(self._types[("apps", "deployments")],
                                               obj["metadata"].get("namespace"), []):
                    self._reconcile_deployment(deployment)
        return obj

    def _remove(self, rt, obj):
        """Delete obj, then what it owns (ownerReferences) and, for a Namespace, everything in it."""
        meta = obj["metadata"]
        self._objects.pop(self._key(rt, meta.get("namespace"), meta["name"]), None)
        for key, other in list(self._objects.items()):
            if key in self._objects and (_owned_by(other, obj) or (rt.kind == "Namespace" and key[2] == meta["name"])):
                self._remove(self._types[key[:2]], other)

    def _after_write(self, rt, obj):
        if rt.kind == "Deployment":
            self._reconcile_deployment(obj)

    # ------------------------------------------------------------------ Deployment controller

    def _reconcile_deployment(self, deployment):
        """Deployment -> one ReplicaSet per pod template -> Running pods; then the Deployment status."""
        rs_type, pod_type = self._types[("apps", "replicasets")], self._types[("", "pods")]
        meta, spec = deployment["metadata"], deployment["spec"]
        namespace, replicas = meta["namespace"], spec["replicas"]
        template_hash = hashlib.sha256(json.dumps(spec["template"], sort_keys=True).encode()).hexdigest()[:10]
        rs_name = f"{meta['name']}-{template_hash}"
        template = copy.deepcopy(spec["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = template_hash
        labels = template["metadata"]["labels"]
        replica_set = None
        for rs in self._select(rs_type, namespace, []):
            if _owned_by(rs, deployment):
                if rs["metadata"]["name"] == rs_name:
                    replica_set = rs
                else:  # template changed: the old ReplicaSet and its pods go, new pods re-pull their images
                    self._remove(rs_type, rs)
        if replica_set is None:
            replica_set = self._insert(rs_type, {
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": namespace, "labels": dict(labels), "generation": 1,
                             "ownerReferences": [_owner_reference(deployment)]},
                "spec": {"replicas": replicas, "template": template,
                         "selector": {"matchLabels": {**spec["selector"]["matchLabels"],
                                                      "pod-template-hash": template_hash}}}})
        pods = sorted((pod for pod in self._select(pod_type, namespace, []) if _owned_by(pod, replica_set)),
                      key=lambda pod: self._creation_order[pod["metadata"]["uid"]])
        for pod in pods[replicas:]:  # scale down removes the newest pods first
            self._remove(pod_type, pod)
        for dummy in range(replicas - len(pods)):
            self._insert(pod_type, self._new_pod(replica_set, template))
        # Pods start Running and Ready at once, so every count equals the desired replicas.
        counts = {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}
        rs_new = copy.deepcopy(replica_set)
        if rs_new["spec"]["replicas"] != replicas:
            rs_new["spec"]["replicas"] = replicas
            rs_new["metadata"]["generation"] += 1
        rs_new["status"] = {k: v for k, v in {"fullyLabeledReplicas": replicas, **counts}.items() if v}  # omitempty
        rs_new["status"]["observedGeneration"] = rs_new["metadata"]["generation"]
        if rs_new != replica_set:
            self._commit(rs_type, rs_new)
        old_conditions = {c["type"]: c for c in (deployment.get("status") or {}).get("conditions") or []}
        conditions = [
            _condition(old_conditions, "Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
            _condition(old_conditions, "Progressing", "NewReplicaSetAvailable",
                       f'ReplicaSet "{rs_name}" has successfully progressed.'),
        ]
        status = {"observedGeneration": meta["generation"],
                  **{k: v for k, v in {**counts, "updatedReplicas": replicas}.items() if v}, "conditions": conditions}
        if deployment.get("status") != status:
            updated = copy.deepcopy(deployment)
            updated["status"] = status
            self._commit(self._types[("apps", "deployments")], updated)

    def _new_pod(self, replica_set, template):
        started = _now()
        spec = copy.deepcopy(template.get("spec") or {})
        statuses = [{"name": c["name"], "image": c["image"], "imageID": self._image_id(c["image"]), "ready": True,
                     "restartCount": 0, "started": True, "state": {"running": {"startedAt": started}}}
                    for c in spec.get("containers", [])]
        rs_meta = replica_set["metadata"]
        name = f"{rs_meta['name']}-{_random_suffix()}"
        while ("", "pods", rs_meta["namespace"], name) in self._objects:  # the ReplicaSet controller retries
            name = f"{rs_meta['name']}-{_random_suffix()}"
        meta = copy.deepcopy(template["metadata"])
        meta.update(name=name, generateName=f"{rs_meta['name']}-",
                    namespace=rs_meta["namespace"], ownerReferences=[_owner_reference(replica_set)])
        return {
            "apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": "Running", "startTime": started, "containerStatuses": statuses,
                       "conditions": [{"type": t, "status": "True", "lastTransitionTime": started}
                                      for t in ("PodReadyToStartContainers", "Initialized", "Ready",
                                                "ContainersReady", "PodScheduled")]},
        }

    def _image_id(self, image):
        """<repository>@<digest> of what the kubelet 'pulled' for image, fixed for the pod's lifetime."""
        repository, dummy_sep, digest = image.partition("@")
        if ":" in repository.rsplit("/", 1)[-1]:  # a tag, not a registry port
            repository = repository[: repository.rfind(":")]
        if not digest:
            digest = (self._image_resolver(image) if self._image_resolver else None) or (
                "sha256:" + hashlib.sha256(image.encode()).hexdigest())
        return f"{repository}@{digest}"

    # ------------------------------------------------------------------ HTTP

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:  # serialised under the lock: stored objects are shared with the other threads
            try:
                code, body = self._dispatch(request)
            except ApiError as e:
                code, body = e.code, e.status
            except Exception as e:  # never answer with an HTML traceback: clients expect a Status
                code, body = 500, ApiError(500, "InternalError", f"Internal error occurred: {e!r}").status
            payload = json.dumps(body)
        return Response(payload, status=code, mimetype="application/json")(environ, start_response)

    def _dispatch(self, request):
        if request.headers.get("Authorization") != f"Bearer {self._token}":
            raise ApiError(401, "Unauthorized", "Unauthorized")
        segments = [s for s in request.path.split("/") if s]
        if segments == ["version"]:
            return 200, self._version()
        if segments == ["api"]:
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": request.host}]}
        if segments == ["apis"]:
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": self._api_groups()}
        if segments[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", segments[2:]
        elif segments[:1] == ["apis"] and len(segments) >= 3:
            group, version, rest = segments[1], segments[2], segments[3:]
        elif segments[:1] == ["apis"] and len(segments) == 2:
            groups = [g for g in self._api_groups() if g["name"] == segments[1]]
            if groups:
                return 200, {"kind": "APIGroup", "apiVersion": "v1", **groups[0]}
            raise _page_not_found()
        else:
            raise _page_not_found()
        if not any((rt.group, rt.version) == (group, version) for rt in RESOURCES):
            raise _page_not_found()
        if not rest:
            return 200, self._resource_list(group, version)
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        rt = self._types.get((group, rest[0]))
        if (rt is None or rt.version != version or (namespace and not rt.namespaced)
                or (rt.namespaced and not namespace and len(rest) > 1)):
            raise _page_not_found()
        if request.args.get("watch") in ("true", "1"):
            raise ApiError(405, "MethodNotAllowed", "watch is not supported by this server")
        dry_run = request.args.getlist("dryRun")
        for value in dry_run:
            if value != "All":
                raise _bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        if len(rest) == 1:
            return self._collection(request, rt, namespace, bool(dry_run))
        return self._item(request, rt, namespace, rest[1], rest[2:], bool(dry_run))

    def _version(self):
        major, minor = GIT_VERSION[1:].split(".")[:2]
        return {"major": major, "minor": minor, "gitVersion": GIT_VERSION, "gitCommit": "0" * 40,
                "gitTreeState": "clean", "buildDate": "2024-08-13T07:28:49Z", "goVersion": "go1.22.5",
                "compiler": "gc", "platform": "linux/amd64"}

    def _api_groups(self):
        groups = {}
        for rt in RESOURCES:
            if rt.group:
                groups.setdefault(rt.group, {"groupVersion": f"{rt.group}/{rt.version}", "version": rt.version})
        return [{"name": name, "versions": [gv], "preferredVersion": gv} for name, gv in groups.items()]

    def _resource_list(self, group, version):
        resources = []
        for rt in RESOURCES:
            if (rt.group, rt.version) != (group, version):
                continue
            entry = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind,
                     "verbs": VERBS}
            if rt.short_names:
                entry["shortNames"] = rt.short_names
            resources.append(entry)
            resources += [{"singularName": "", "namespaced": rt.namespaced, **sub}
                          for sub in SUBRESOURCES.get((rt.group, rt.plural), [])]
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": f"{group}/{version}" if group else version, "resources": resources}

    def _collection(self, request, rt, namespace, dry_run):
        if request.method == "GET" or request.method == "DELETE":
            try:
                requirements = parse_label_selector(request.args.get("labelSelector"))
            except ValueError as e:
                raise _bad_request(str(e)) from None
            fields = _parse_field_selector(request.args.get("fieldSelector"))
            selected = self._select(rt, namespace, requirements, fields)
            if request.method == "DELETE":
                for obj in selected:
                    self._delete(rt, obj, dry_run)
            return 200, {"kind": f"{rt.kind}List", "apiVersion": _group_version(rt),
                         "metadata": {"resourceVersion": str(self._resource_version)}, "items": selected}
        if request.method == "POST" and (namespace or not rt.namespaced):
            return 201, self._create(rt, namespace, _json_body(request), dry_run)
        raise _method_not_allowed(request)

    def _item(self, request, rt, namespace, name, subresource, dry_run):
        current = self._objects.get(self._key(rt, namespace, name))
        served = [s["name"].split("/", 1)[1] for s in SUBRESOURCES.get((rt.group, rt.plural), [])]
        if subresource and subresource[0] not in served:
            raise _page_not_found()
        if subresource and subresource[0] == "proxy":
            return self._stats_summary(request, rt, name, current, subresource)
        if current is None and not (request.method == "PATCH" and _content_type(request) == APPLY_PATCH
                                    and not subresource):
            raise _not_found(rt, name)
        if subresource == ["scale"]:
            return self._scale(request, rt, current, dry_run)
        status_only = subresource == ["status"]
        if request.method == "GET":
            return 200, current
        if request.method == "PUT":
            body = _json_body(request)
            if (body.get("metadata") or {}).get("name", name) != name:
                raise _bad_request(f"the name of the object ({body['metadata']['name']}) does not match the name on "
                                   f"the URL ({name})")
            return 200, self._update(rt, current, copy.deepcopy(body), dry_run, status_only)
        if request.method == "PATCH":
            if _content_type(request) == APPLY_PATCH and current is None:
                return 201, self._create(rt, namespace, self._apply_body(request, rt), dry_run)
            return 200, self._update(rt, current, self._patched(request, rt, current), dry_run, status_only)
        if request.method == "DELETE" and not subresource:
            return 200, self._delete(rt, current, dry_run)
        raise _method_not_allowed(request)

    def _apply_body(self, request, rt):
        if not request.args.get("fieldManager"):
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                           "is required for apply patch", {"group": "meta.k8s.io", "kind": "PatchOptions",
                                                           "causes": [{"reason": "FieldValueRequired",
                                                                       "message": "Required value: is required for "
                                                                                  "apply patch",
                                                                       "field": "fieldManager"}]})
        try:
            body = yaml.safe_load(request.get_data(as_text=True))
        except yaml.YAMLError as e:
            raise _bad_request(f"error decoding YAML: {e}") from None
        if not isinstance(body, dict):
            raise _bad_request("the body of the request was in an unknown format")
        if body.get("apiVersion") != _group_version(rt):
            raise _bad_request("Incorrect version specified in apply patch. Specified patch version: "
                               f"{body.get('apiVersion')}, expected: {_group_version(rt)}")
        return body

    def _patched(self, request, rt, current):
        """The object as the PATCH request would leave it."""
        content_type = _content_type(request)
        if content_type == APPLY_PATCH:
            return strategic_merge(current, self._apply_body(request, rt))
        if content_type not in (MERGE_PATCH, STRATEGIC_PATCH, JSON_PATCH):
            raise ApiError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted '
                           f'media types include: {JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}, {STRATEGIC_PATCH}')
        patch = _json_body(request, allow_list=content_type == JSON_PATCH)
        if content_type == JSON_PATCH:
            if not isinstance(patch, list):
                raise _bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
            try:
                return json_patch(current, patch)
            except (KeyError, IndexError, ValueError, TypeError) as e:
                raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                               f"{e}") from None
        return (merge_patch if content_type == MERGE_PATCH else strategic_merge)(current, patch)

    def _scale(self, request, rt, deployment, dry_run):
        if request.method == "GET":
            return 200, _scale_of(deployment)
        if request.method not in ("PUT", "PATCH"):
            raise _method_not_allowed(request)
        if request.method == "PUT":
            scale = _json_body(request)
        else:  # the body's kind/apiVersion are not checked: k8s_scale sends the parent's kind
            scale = self._patched(request, rt, _scale_of(deployment))
        expected_rv = (scale.get("metadata") or {}).get("resourceVersion")
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(422, "Invalid", f'Scale.autoscaling "{deployment["metadata"]["name"]}" is invalid: '
                           f"spec.replicas: Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0")
        updated = copy.deepcopy(deployment)
        updated["spec"]["replicas"] = replicas
        if expected_rv:
            updated["metadata"]["resourceVersion"] = expected_rv
        return 200, _scale_of(self._update(rt, deployment, updated, dry_run))

    def _stats_summary(self, request, rt, name, node, subresource):
        if subresource != ["proxy", "stats", "summary"]:
            raise _page_not_found()
        if request.method != "GET":
            raise _method_not_allowed(request)
        if node is None:
            raise _not_found(rt, name)
        if name not in self._node_stats:
            raise ApiError(503, "ServiceUnavailable", f'error trying to reach service: dial tcp: kubelet on node '
                           f'"{name}" is not reporting stats')
        capacity, used = self._node_stats[name]
        # The kubelet reports inodes too; the fake derives them from the byte counts at 16 KiB per inode.
        fs = {"time": _now(), "availableBytes": capacity - used, "capacityBytes": capacity, "usedBytes": used,
              "inodesFree": (capacity - used) // 16384, "inodes": capacity // 16384, "inodesUsed": used // 16384}
        return 200, {"node": {"nodeName": name, "startTime": node["metadata"]["creationTimestamp"], "fs": fs,
                              "runtime": {"imageFs": dict(fs)}}, "pods": []}


def _owner_reference(owner):
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def _owned_by(obj, owner):
    return any(ref.get("uid") == owner["metadata"]["uid"] for ref in obj["metadata"].get("ownerReferences") or [])


def _condition(old_conditions, condition_type, reason, message):
    """A True condition; the previous one is kept (timestamps included) while it says the same thing."""
    old = old_conditions.get(condition_type)
    if old and (old.get("status"), old.get("reason"), old.get("message")) == ("True", reason, message):
        return old
    now = _now()
    return {"type": condition_type, "status": "True", "lastUpdateTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def _scale_of(deployment):
    meta = deployment["metadata"]
    selector = deployment["spec"]["selector"].get("matchLabels") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": deployment["spec"]["replicas"]},
            "status": {"replicas": (deployment.get("status") or {}).get("replicas", 0),
                       "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items()))}}


def _content_type(request):
    return (request.headers.get("Content-Type") or "").split(";")[0].strip()


def _json_body(request, allow_list=False):
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as e:
        raise _bad_request(f"the body of the request was in an unknown format: {e}") from None
    if not isinstance(body, dict) and not (allow_list and isinstance(body, list)):
        raise _bad_request("the body of the request was in an unknown format")
    return body


def _page_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def _method_not_allowed(request):
    return ApiError(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource "
                    f"({request.method})")


def write_kubeconfig(path, entries):
    """Write one kubeconfig with a context per (context_name, server_url, token); the first is current."""
    entries = list(entries)
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": name, "cluster": {"server": url}} for name, url, dummy_token in entries],
        "users": [{"name": name, "user": {"token": token}} for name, dummy_url, token in entries],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}} for name, dummy_url, dummy_token in entries],
        "current-context": entries[0][0] if entries else "",
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds bearer tokens
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
