# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather one cluster's capacity facts in few API calls: nodes (one list), each node's kubelet stats summary
(in parallel), Karpenter NodePools (one list), named Deployments and CronJobs, and the image digests of the pods
that match each selector.

The functions take a ``get_json(path, query_dict) -> dict`` callable so they are tested without a cluster;
``make_reader`` builds one on kubernetes.core's authenticated client (``client_reader`` from the
kubernetes.core authentication options: kubeconfig, context, host, api_key, ... and the E(K8S_AUTH_*) variables).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.coder.ai_platform.plugins.module_utils.clients.oci_registry import digest_from_reference
from ansible_collections.coder.ai_platform.plugins.module_utils.core.quantity import parse_quantity

NODEPOOL_PATH = "/apis/karpenter.sh/v1/nodepools"
SECTIONS = ("nodes", "nodepools", "deployments", "cronjobs", "pods")
_REF = dict(namespace=dict(type="str", required=True), name=dict(type="str", required=True))


def cluster_options():
    """What to read (the argument spec of cluster_capacity_info and of the gather's ``cluster`` source)."""
    return dict(
        node_stats=dict(type="bool", default=True),
        nodepools=dict(type="bool", default=True),
        deployments=dict(type="list", elements="dict", default=[], options=copy.deepcopy(_REF)),
        cronjobs=dict(type="list", elements="dict", default=[], options=copy.deepcopy(_REF)),
        pods=dict(type="list", elements="dict", default=[], options=dict(
            component=dict(type="str", required=True), namespace=dict(type="str", required=True),
            label_selector=dict(type="str", required=True))),
    )


# kubernetes.core's client cache and the kubeconfig loader are not thread-safe: build clients one at a time.
_CLIENT_LOCK = threading.Lock()


class KubeReadError(Exception):
    """A read failed; ``not_found`` distinguishes an absent object (a fact) from an unreachable API (an error)."""

    def __init__(self, message, not_found=False):
        super(KubeReadError, self).__init__(message)
        self.message = message
        self.not_found = not_found


def summarise_node_stats(summary):
    """Ephemeral storage of a node from the kubelet Summary API (``node.fs`` is the kubelet's nodefs)."""
    fs = ((summary or {}).get("node") or {}).get("fs") or {}
    capacity, used = fs.get("capacityBytes"), fs.get("usedBytes")
    if not capacity or used is None:
        return None
    return {"capacity_bytes": capacity, "used_bytes": used, "available_bytes": fs.get("availableBytes"),
            "used_pct": 100.0 * used / capacity}


def summarise_nodepool(pool):
    conditions = (pool.get("status") or {}).get("conditions") or []
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    return {
        "name": pool["metadata"]["name"],
        "ready": bool(ready and ready.get("status") == "True"),
        "ready_message": (ready or {}).get("message") or (ready or {}).get("reason") or
        ("no Ready condition" if ready is None else None),
        "limits": (pool.get("spec") or {}).get("limits") or {},
        "resources": (pool.get("status") or {}).get("resources") or {},
        "disruption_budgets": ((pool.get("spec") or {}).get("disruption") or {}).get("budgets") or [],
    }


def summarise_pod(pod, component):
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return {
        "name": pod["metadata"]["name"], "namespace": pod["metadata"].get("namespace"), "component": component,
        "phase": (pod.get("status") or {}).get("phase"),
        "images": [{"container": s.get("name"), "image": s.get("image"),
                    "digest": digest_from_reference(s.get("imageID"))} for s in statuses],
    }


def _node_row(node):
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    labels = node["metadata"].get("labels") or {}
    row = {"name": node["metadata"]["name"], "nodepool": labels.get("karpenter.sh/nodepool"),
           "ephemeral": None, "stats_error": None}
    try:
        row["allocatable"] = {"cpu": parse_quantity(allocatable.get("cpu", 0)),
                              "memory_gib": parse_quantity(allocatable.get("memory", 0)) / float(2 ** 30)}
    except ValueError:
        row["allocatable"] = {}
    return row


def gather_cluster(get_json, deployments=(), cronjobs=(), pod_selectors=(), node_stats=True, nodepools=True,
                   workers=8):
    """Return the cluster facts dict. Each section either holds data or has its cause under ``errors``."""
    facts = {"nodes": None, "nodepools": None, "deployments": None, "cronjobs": None, "pods": None, "errors": {},
             "api_calls": 0}
    lock = threading.Lock()

    def read(path, query=None):
        with lock:
            facts["api_calls"] += 1
        return get_json(path, query or {})

    def section(name, fn):
        try:
            facts[name] = fn()
        except KubeReadError as err:
            facts["errors"][name] = err.message

    def nodes():
        rows = [_node_row(n) for n in read("/api/v1/nodes").get("items") or []]
        if node_stats:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                summaries = list(pool.map(lambda r: _stats(read, r["name"]), rows))
            for row, (stats, error) in zip(rows, summaries):
                row["ephemeral"], row["stats_error"] = stats, error
        return rows

    def pools():
        try:
            items = read(NODEPOOL_PATH).get("items") or []
        except KubeReadError as err:
            if err.not_found:  # Karpenter's CRD is not installed: no NodePools, which the judge reports
                return []
            raise
        return [summarise_nodepool(p) for p in items]

    def named(kind_path, refs, summarise):
        out = {}
        for ref in refs:
            key = "%s/%s" % (ref["namespace"], ref["name"])
            try:
                out[key] = summarise(read(kind_path % (ref["namespace"], ref["name"])))
            except KubeReadError as err:
                if not err.not_found:
                    raise
                out[key] = {"found": False}
        return out

    def pods():
        found = []
        for selector in pod_selectors:
            listing = read("/api/v1/namespaces/%s/pods" % selector["namespace"],
                           {"labelSelector": selector["label_selector"]})
            found.extend(summarise_pod(p, selector["component"]) for p in listing.get("items") or [])
        return found

    with ThreadPoolExecutor(max_workers=5) as pool:
        jobs = [pool.submit(section, "nodes", nodes), pool.submit(section, "pods", pods),
                pool.submit(section, "deployments",
                            lambda: named("/apis/apps/v1/namespaces/%s/deployments/%s", deployments,
                                          summarise_deployment)),
                pool.submit(section, "cronjobs",
                            lambda: named("/apis/batch/v1/namespaces/%s/cronjobs/%s", cronjobs, summarise_cronjob))]
        if nodepools:
            jobs.append(pool.submit(section, "nodepools", pools))
        for job in jobs:
            job.result()
    return facts


def _stats(read, node_name):
    try:
        summary = read("/api/v1/nodes/%s/proxy/stats/summary" % node_name)
    except KubeReadError as err:
        return None, err.message
    stats = summarise_node_stats(summary)
    return stats, (None if stats else "kubelet stats summary has no node.fs")


def summarise_deployment(deployment):
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    return {"found": True, "replicas": spec.get("replicas", 1), "ready_replicas": status.get("readyReplicas", 0),
            "available_replicas": status.get("availableReplicas", 0)}


def summarise_cronjob(cronjob):
    spec = cronjob.get("spec") or {}
    return {"found": True, "schedule": spec.get("schedule"), "suspend": bool(spec.get("suspend")),
            "time_zone": spec.get("timeZone"),
            "last_schedule_time": (cronjob.get("status") or {}).get("lastScheduleTime")}


def make_reader(dynamic_client, timeout):
    """A ``get_json(path, query)`` over kubernetes.core's authenticated client, turning every failure into a
    KubeReadError with the HTTP status and the API's own message."""
    # Imported here: the kubernetes package costs about a second to import, and only Kubernetes reads need it.
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    from kubernetes.dynamic.exceptions import DynamicApiError  # pylint: disable=import-outside-toplevel
    from urllib3.exceptions import HTTPError as Urllib3Error  # pylint: disable=import-outside-toplevel

    def get_json(path, query):
        # serialize=False: the kubelet Summary has no "kind", which the client's ResourceInstance requires.
        params = {"_request_timeout": timeout, "serialize": False}
        if query.get("labelSelector"):
            params["label_selector"] = query["labelSelector"]
        try:
            return json.loads(dynamic_client.request("get", path, **params).data)
        except (DynamicApiError, ApiException) as err:
            status = getattr(err, "status", None)
            message = "GET %s: HTTP %s %s" % (path, status, _api_message(err))
            raise KubeReadError(message, not_found=status == 404)
        except (Urllib3Error, OSError, ValueError) as err:
            raise KubeReadError("GET %s: cannot reach the cluster (%s)" % (path, _first_line(err)))
    return get_json


def client_reader(auth, timeout):
    """``get_json`` for the cluster that kubernetes.core's authentication options ``auth`` name (kubeconfig,
    context, host, api_key, validate_certs, ca_cert, client_cert, client_key, proxy ...; unset ones fall back to
    the E(K8S_AUTH_*) variables and the default kubeconfig). Raises KubeReadError when no client can be built.

    A kubeconfig that ``kube_http`` understands (token, client certificate, exec plugin) is read without the
    ``kubernetes`` package, which costs about a second of CPU to import; anything else through kubernetes.core."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.coder.ai_platform.plugins.module_utils.clients import kube_http
    try:
        return kube_http.http_reader(auth, timeout)
    except kube_http.Unsupported:
        pass
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
    try:
        with _CLIENT_LOCK:
            client = get_api_client(**dict((k, v) for k, v in (auth or {}).items() if v is not None))
    except (CoreException, ImportError, ValueError, OSError) as err:
        raise KubeReadError("cannot build a Kubernetes client: %s" % err)
    return make_reader(client.client, timeout)


def unreadable(cause):
    """The cluster facts when no client could be built: every section's cause."""
    return {"errors": dict((section, cause) for section in SECTIONS), "api_calls": 0}


def _api_message(err):
    summary = getattr(err, "summary", None)
    if callable(summary):
        return summary()
    return getattr(err, "reason", None) or _first_line(err)


def _first_line(err):
    return str(err).strip().splitlines()[0] if str(err).strip() else err.__class__.__name__
