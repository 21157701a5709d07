"""The sandbox process: every stand-in component, seeded from one scenario, in one background process.

Run by launcher.py (``python server.py --scenario FILE --state-dir DIR``); it writes ``endpoints.json`` and
``kubeconfig`` into the state directory once every component listens, and serves until SIGTERM.
See README.md in this directory for the layout and contracts.
"""

import argparse
import hashlib
import json
import os
import secrets
import signal
import string
import sys
import threading
from datetime import datetime, timedelta, timezone

import boto3
import yaml
from werkzeug.wrappers import Request, Response

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import moto_patches  # noqa: E402

moto_patches.apply_all()

from moto.server import DomainDispatcherApplication, create_backend_app  # noqa: E402

from coder_fake import CoderFake  # noqa: E402
from httpserver import BackgroundServer, signing_region  # noqa: E402
from kube_fake import KubeFake, write_kubeconfig  # noqa: E402
from litellm_fake import LiteLLMFake  # noqa: E402
from registry_fake import RegistryFake  # noqa: E402
import seed_baseline  # noqa: E402
import seed_state_backend  # noqa: E402

ACCOUNT_ID = "123456789012"  # moto's default account
GIB = 2 ** 30


def _random(length, alphabet=string.ascii_letters + string.digits):
    return "".join(secrets.choice(alphabet) for dummy in range(length))


def image_manifest(build_name, build):
    """A single-platform OCI image manifest whose bytes (hence digest) are unique to the build."""
    seed = (build_name + build["version"]).encode()

    def layer(index):
        return "sha256:" + hashlib.sha256(seed + bytes([index])).hexdigest()

    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": layer(0), "size": 7023},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer(i), "size": 1000 * i}
                   for i in range(1, 4)],
        "annotations": {"org.opencontainers.image.version": build["version"]},
    }
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"))


def ecr_image(region, repository, tag):
    return "%s.dkr.ecr.%s.amazonaws.com/%s:%s" % (ACCOUNT_ID, region, repository, tag)


class MotoComponent(BackgroundServer):
    """moto's server app (every service, every region, one port) behind the sandbox's counting server."""

    def __init__(self):
        super().__init__()
        self._app = DomainDispatcherApplication(create_backend_app)

    def wsgi_app(self, environ, start_response):
        return self._app(environ, start_response)

    def request_key(self, environ):
        return signing_region(environ)


class Sandbox:
    def __init__(self, scenario, state_dir):
        self.scenario = scenario
        self.state_dir = state_dir
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.secrets = {
            "aws_access_key": "AKIA" + _random(16, string.ascii_uppercase + string.digits),
            "aws_secret_key": _random(40),
            "coder_token": "%s-%s" % (_random(10), _random(22)),
            "litellm_master_key": "sk-master-" + _random(24),
            "litellm_workshop_key": "sk-" + _random(32),
        }
        self.components = {}
        self.kubes = {}
        self.state_backend = None

    # --- AWS ---------------------------------------------------------------------------------------------------
    def start_aws(self):
        self.moto = MotoComponent()
        self.moto.start()
        self.aws_url = self.moto.url
        self.components["aws"] = self.moto

    def aws_client(self, service, region):
        return boto3.client(service, region_name=region, endpoint_url=self.aws_url,
                            aws_access_key_id=self.secrets["aws_access_key"],
                            aws_secret_access_key=self.secrets["aws_secret_key"])

    def seed_ecr(self):
        images = self.scenario["images"]
        for region, spec in self.scenario["regions"].items():
            ecr = self.aws_client("ecr", region)
            ecr.create_repository(repositoryName=images["ecr_repository"])
            build = spec["ecr_build"]
            if build:
                ecr.put_image(repositoryName=images["ecr_repository"], imageTag=images["tag"],
                              imageManifest=image_manifest(build, images["builds"][build]))

    def seed_protection(self):
        """The state backend (requirement 1) and, per region, the data-protection baseline (requirement 2)."""
        if self.scenario.get("state_backend"):
            self.state_backend = seed_state_backend.seed(self.aws_client, self.scenario["state_backend"])
        for region, spec in sorted((self.scenario.get("baseline") or {}).items()):
            seed_baseline.seed(self.aws_client, region, spec)

    def resolve_image(self, region):
        """What the kubelet would pull for a tag: the digest the region's ECR tag points at right now."""
        repository = self.scenario["images"]["ecr_repository"]
        ecr = self.aws_client("ecr", region)

        def resolve(image_ref):
            prefix = "%s.dkr.ecr.%s.amazonaws.com/%s:" % (ACCOUNT_ID, region, repository)
            if not image_ref.startswith(prefix):
                return None
            found = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": image_ref[len(prefix):]}])
            return found["imageDetails"][0]["imageDigest"]
        return resolve

    # --- Kubernetes --------------------------------------------------------------------------------------------
    def start_kube(self):
        images = self.scenario["images"]
        for region, spec in self.scenario["regions"].items():
            kube = KubeFake(region, token=_random(32), image_resolver=self.resolve_image(region))
            kube.start()
            self.kubes[region] = kube
            self.components["kube-%s" % region] = kube
            for namespace in sorted(set(d["namespace"] for d in spec.get("deployments", []) + spec.get("cronjobs", []))):
                kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
            for node in spec.get("nodes", []):
                self._seed_node(kube, region, node)
            for pool in spec.get("nodepools", []):
                kube.create(self._nodepool(pool))
            for deployment in spec.get("deployments", []):
                image = deployment["image"]
                if image == "ecr":
                    image = ecr_image(region, images["ecr_repository"], images["tag"])
                kube.create(_deployment(deployment, image))
            for cronjob in spec.get("cronjobs", []):
                kube.create(_cronjob(cronjob))

    def _seed_node(self, kube, region, node):
        capacity = node.get("capacity_gib", 100)
        kube.create({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": node["name"], "labels": {
                "karpenter.sh/nodepool": node.get("nodepool", "workspaces"), "topology.kubernetes.io/region": region,
                "node.kubernetes.io/instance-type": node.get("instance_type", "m6i.4xlarge")}},
            "status": {
                "capacity": {"cpu": "16", "memory": "64Gi", "ephemeral-storage": "%dGi" % capacity, "pods": "110"},
                "allocatable": {"cpu": "15890m", "memory": "62Gi", "ephemeral-storage": "%dGi" % (capacity - 5),
                                "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]},
        })
        kube.set_node_stats(node["name"], capacity * GIB, int(capacity * GIB * node["used_pct"] / 100.0))

    @staticmethod
    def _nodepool(pool):
        ready = pool.get("ready", True)
        return {
            "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": pool["name"]},
            "spec": {
                "template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                       "name": "default"},
                                      "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In",
                                                        "values": ["on-demand"]}],
                                      "expireAfter": "720h"}},
                "limits": pool.get("limits", {}),
                "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m",
                               "budgets": [{"nodes": "10%"}]},
            },
            "status": {"conditions": [{
                "type": "Ready", "status": "True" if ready else "False",
                "reason": "Ready" if ready else pool.get("reason", "NodeClassNotReady"),
                "message": "" if ready else pool.get("message", "EC2NodeClass default is not ready"),
                "lastTransitionTime": "2026-11-01T00:00:00Z"}],
                "resources": {"cpu": "32", "memory": "128Gi", "nodes": "2"}},
        }

    # --- Coder, LiteLLM, registry ------------------------------------------------------------------------------
    def provisioner_count(self, org_name):
        """Each org's daemons are its provisioner Deployment's replicas, like the real pods registering."""
        for org in self.scenario["coder"]["organizations"]:
            if org["name"] == org_name and org.get("deployment"):
                region, namespace, name = org["deployment"].split("/")
                deployment = self.kubes[region].get("apps/v1", "Deployment", name, namespace)
                return deployment["spec"].get("replicas", 1) if deployment else 0
        return None

    def start_coder(self):
        coder = self.scenario["coder"]
        builds = self.scenario["images"]["builds"]
        seed = {
            "version": builds[coder["build"]]["version"],
            "organizations": [{"name": o["name"], "display_name": o.get("display_name", o["name"].title()),
                               "is_default": o.get("is_default", False), "provisioners": o.get("provisioners", 0)}
                              for o in coder["organizations"]],
            "proxies": [dict(p, version=builds[p["build"]]["version"]) for p in coder["proxies"]],
            "templates": coder["templates"],
            "queue": coder.get("queue", {}),
        }
        for proxy in seed["proxies"]:
            proxy.pop("build", None)
            proxy.pop("region", None)
        self.coder = CoderFake(seed, token=self.secrets["coder_token"], time_scale=self.scenario["time_scale"],
                               provisioner_count=self.provisioner_count, rng_seed=self.scenario.get("rng_seed", 0))
        self.coder.start()
        self.components["coder"] = self.coder

    def start_litellm(self):
        keys = []
        for spec in self.scenario["litellm"]["keys"]:
            expires = None
            if spec.get("expires_in_hours") is not None:
                expires = self.now + timedelta(hours=spec["expires_in_hours"])
            keys.append({"key": self.secrets["litellm_workshop_key"], "key_alias": spec["alias"], "expires": expires})
        self.litellm = LiteLLMFake(self.secrets["litellm_master_key"], keys)
        self.litellm.start()
        self.components["litellm"] = self.litellm

    def start_registry(self):
        images = self.scenario["images"]
        build = images["upstream_build"]
        manifest = image_manifest(build, images["builds"][build]).encode()
        self.registry = RegistryFake({images["upstream_repository"]: {images["tag"]: manifest}})
        self.registry.start()
        self.components["registry"] = self.registry

    # --- control -----------------------------------------------------------------------------------------------
    def start_control(self):
        sandbox = self

        class Control(BackgroundServer):
            def wsgi_app(self, environ, start_response):
                request = Request(environ)
                parts = request.path.strip("/").split("/")
                if request.path == "/health":
                    response = Response("ok")
                elif request.path == "/requests":
                    response = Response(json.dumps(sandbox.request_counts()), content_type="application/json")
                elif request.path == "/coder/failure_rate" and request.method == "POST":
                    sandbox.coder.set_failure_rate(float(request.args["value"]))
                    response = Response(json.dumps({"failure_rate": float(request.args["value"])}),
                                        content_type="application/json")
                elif len(parts) == 3 and parts[:1] + parts[2:] == ["components", "fault"] and request.method == "POST":
                    response = sandbox.fault(parts[1], request.args)
                elif len(parts) == 3 and parts[0] == "components" and request.method == "POST":
                    response = sandbox.toggle(parts[1], parts[2])
                else:
                    response = Response("not found", status=404)
                return response(environ, start_response)

        self.control = Control()
        self.control.start()

    def request_counts(self):
        return dict((name, dict(component.requests)) for name, component in self.components.items())

    def toggle(self, name, action):
        component = self.components.get(name)
        if component is None or action not in ("start", "stop"):
            return Response("unknown component or action (components: %s)" % ", ".join(sorted(self.components)),
                            status=404)
        if action == "stop" and component.running:
            component.stop()
        elif action == "start" and not component.running:
            component.start(port=component.port)  # same port, so every URL already written stays valid
        return Response(json.dumps({"component": name, "running": component.running}),
                        content_type="application/json")

    def fault(self, name, args):
        """``POST /components/<name>/fault?mode=hang|status|none[&status=429&count=2&retry_after=1]``: the
        component misbehaves as httpserver.py's docstring says, until ``mode=none``."""
        component = self.components.get(name)
        if component is None:
            return Response("unknown component (components: %s)" % ", ".join(sorted(self.components)), status=404)
        try:
            fault = component.set_fault(args.get("mode", ""), status=args.get("status"),
                                        count=int(args.get("count", 0)), retry_after=args.get("retry_after"))
        except ValueError as err:
            return Response(str(err), status=400)
        return Response(json.dumps({"component": name, "fault": fault}), content_type="application/json")

    # --- whole -------------------------------------------------------------------------------------------------
    def start(self):
        self.start_aws()
        self.seed_ecr()
        self.seed_protection()
        self.start_kube()
        self.start_coder()
        self.start_litellm()
        self.start_registry()
        self.start_control()
        self.write_state()

    def write_state(self):
        workshop = self.scenario["workshop"]
        start = (self.now + timedelta(hours=workshop["starts_in_hours"])).replace(minute=0, second=0)
        kubeconfig = os.path.join(self.state_dir, "kubeconfig")
        write_kubeconfig(kubeconfig, [("sandbox-%s" % region, kube.url, kube.token)
                                      for region, kube in sorted(self.kubes.items())])
        images = self.scenario["images"]
        endpoints = {
            "scenario": self.scenario["name"], "pid": os.getpid(), "started_at": self.now.isoformat(),
            "time_scale": self.scenario["time_scale"],
            "aws": {"endpoint_url": self.aws_url, "access_key": self.secrets["aws_access_key"],
                    "secret_key": self.secrets["aws_secret_key"], "account_id": ACCOUNT_ID},
            "coder": {"url": self.coder.url, "token": self.secrets["coder_token"]},
            "litellm": {"url": self.litellm.url, "master_key": self.secrets["litellm_master_key"],
                        "workshop_key": self.secrets["litellm_workshop_key"]},
            "registry": {"url": self.registry.url,
                         "image": "127.0.0.1:%d/%s:%s" % (self.registry.port, images["upstream_repository"],
                                                          images["tag"]),
                         "ecr_repository": images["ecr_repository"]},
            "kube": {"kubeconfig": kubeconfig,
                     "contexts": dict((r, "sandbox-%s" % r) for r in self.kubes),
                     "tokens": dict((r, k.token) for r, k in self.kubes.items())},
            "control": {"url": self.control.url},
            "state_backend": dict((key, self.scenario["state_backend"].get(key, seed_state_backend.DEFAULTS.get(key)))
                                  for key in ("bucket", "state_key", "lock_table"))
            if self.scenario.get("state_backend") else {},
            "workshop": {"expected_users": workshop["expected_users"],
                         "workshop_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "workshop_duration_hours": workshop["duration_hours"],
                         "workshop_templates": workshop["templates"]},
        }
        path = os.path.join(self.state_dir, "endpoints.json")
        with open(path + ".tmp", "w") as handle:
            json.dump(endpoints, handle, indent=2)
        os.chmod(path + ".tmp", 0o600)
        os.replace(path + ".tmp", path)  # the launcher waits for this file: write it last, atomically

    def stop(self):
        for component in self.components.values():
            component.stop()
        self.control.stop()


def _deployment(spec, image):
    labels = spec["labels"]
    container = spec.get("container", spec["name"].split("-")[0])
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": spec["name"], "namespace": spec["namespace"], "labels": labels},
        "spec": {"replicas": spec["replicas"], "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": container, "image": image}],
                                       "terminationGracePeriodSeconds": spec.get("grace_s", 30)}}},
    }


def _cronjob(spec):
    return {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": spec["name"], "namespace": spec["namespace"]},
        "spec": {"schedule": spec["schedule"], "suspend": spec.get("suspend", False),
                 "concurrencyPolicy": "Forbid",
                 "jobTemplate": {"spec": {"template": {"spec": {
                     "restartPolicy": "OnFailure",
                     "containers": [{"name": "rotate", "image": "amazon/aws-cli:2.17.0",
                                     "args": ["secretsmanager", "rotate-secret", "--secret-id", "litellm/workshop"]}]}}}}},
    }


def load_scenario(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", required=True, help="path of the scenario YAML")
    parser.add_argument("--state-dir", required=True)
    args = parser.parse_args()
    sandbox = Sandbox(load_scenario(args.scenario), args.state_dir)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    sandbox.start()
    print("sandbox %s ready: %s" % (sandbox.scenario["name"], os.path.join(args.state_dir, "endpoints.json")),
          flush=True)
    stopped.wait()
    sandbox.stop()


if __name__ == "__main__":
    main()
