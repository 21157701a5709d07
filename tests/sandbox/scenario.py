"""The scenario format: every key a scenario may hold, its default and what it seeds; validation; expansion.

``launcher.py start`` loads a scenario, rejects any key that ``KEYS`` does not list (naming it), resolves what the
format lets a scenario say without spelling it out (which build each Deployment's pods run, the build a proxy or the
primary reports), and hands ``server.py`` the expanded scenario it has always read. ``KEYS`` is the single list: the
key table in ``README.md`` is generated from it (``python tests/sandbox/scenario.py --markdown``);
``tests/unit/sandbox/test_scenario_format.py`` fails when the two drift or when a key is no longer read, and
``test_scenario_reads.py`` when the sandbox reads a key that is not here.

Paths: ``a.b`` a key of a mapping, ``a[]`` every item of a list, ``<region>`` / ``<build>`` any key of a mapping.
"""

import copy
import hashlib
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")
ACCOUNT_ID = "123456789012"  # moto's default account
REQUIRED = "required"


class Prose(str):
    """A default that is a rule, not a value (shown as words in the table)."""


# (path, default, what it seeds). A path without child rows takes any value (e.g. a labels mapping).
KEYS = [
    ("name", REQUIRED, "the scenario's name, reported in `endpoints.json` (`scenario`)"),
    ("description", REQUIRED, "one paragraph: what is wrong in this world and which checks fail; "
                              "`launcher.py list` prints its first sentence"),
    ("time_scale", REQUIRED, "wall-clock seconds per platform second in the Coder fake (0.01: a 60 s build takes "
                             "0.6 s)"),
    ("rng_seed", 0, "seed of the Coder fake's build durations and injected failures"),
    ("workshop", REQUIRED, "the workshop inputs the sandbox inventory passes to the gate"),
    ("workshop.expected_users", REQUIRED, "`expected_users`"),
    ("workshop.starts_in_hours", REQUIRED, "`workshop_start`: this many hours after the sandbox starts, on the hour"),
    ("workshop.duration_hours", REQUIRED, "`workshop_duration_hours`"),
    ("workshop.templates", REQUIRED, "`workshop_templates` (names of `coder.templates`)"),
    ("images", REQUIRED, "the Coder image: upstream registry, ECR mirrors, and the builds pods run"),
    ("images.upstream_repository", REQUIRED, "repository in the registry fake (`coder/coder-preview`)"),
    ("images.ecr_repository", REQUIRED, "ECR repository created in every region"),
    ("images.tag", REQUIRED, "the tag upstream and in every mirror (`latest`)"),
    ("images.upstream_build", REQUIRED, "the build the upstream tag points at (a name under `images.builds`)"),
    ("images.builds", REQUIRED, "the builds that exist, by name (`current`, `previous`, ...)"),
    ("images.builds.<build>.version", REQUIRED, "the version that build reports (`/buildinfo`, proxies); its "
                                                "manifest, hence its digest, is derived from name and version"),
    ("litellm", REQUIRED, "the LiteLLM fake"),
    ("litellm.keys", REQUIRED, "virtual keys `GET /key/info` knows (each gets the generated workshop key)"),
    ("litellm.keys[].alias", REQUIRED, "`key_alias`"),
    ("litellm.keys[].expires_in_hours", None, "expiry, hours after start; null: never expires"),
    ("coder", REQUIRED, "the Coder fake"),
    ("coder.build", Prose("the control plane's `coder` Deployment build"),
     "the build whose version `/buildinfo` reports (a name or version of `images.builds`)"),
    ("coder.organizations", REQUIRED, "organizations; exactly one `is_default`"),
    ("coder.organizations[].name", REQUIRED, "organization name"),
    ("coder.organizations[].display_name", Prose("name, title-cased"), "display name"),
    ("coder.organizations[].is_default", False, "the default organization"),
    ("coder.organizations[].provisioners", 0, "online external provisioner daemons when no `deployment` is named"),
    ("coder.organizations[].deployment", None, "`<region>/<namespace>/<name>`: the daemons online are that "
                                               "Deployment's `spec.replicas`, live (scaling it changes them)"),
    ("coder.proxies", [], "workspace proxies `/api/v2/regions` lists"),
    ("coder.proxies[].name", REQUIRED, "proxy name (the inventory's `coder_proxy_name`)"),
    ("coder.proxies[].display_name", Prose("name"), "display name"),
    ("coder.proxies[].url", REQUIRED, "proxy URL"),
    ("coder.proxies[].wildcard_hostname", "", "wildcard app hostname"),
    ("coder.proxies[].icon_url", "/emojis/1f30e.png", "icon"),
    ("coder.proxies[].healthy", True, "false: the proxy reports unhealthy with `error`"),
    ("coder.proxies[].error", Prose("a healthz-report error"), "the error an unhealthy proxy reports"),
    ("coder.proxies[].region", None, "the region whose `coder` Deployment serves the proxy; without `build`, the "
                                     "proxy reports the build that Deployment's pods run"),
    ("coder.proxies[].build", Prose("its region's `coder` Deployment build"),
     "the build whose version the proxy reports (a name or version of `images.builds`)"),
    ("coder.templates", [], "templates, each with an active version whose import succeeded or failed"),
    ("coder.templates[].name", REQUIRED, "template name"),
    ("coder.templates[].display_name", Prose("name"), "display name"),
    ("coder.templates[].icon", "", "icon"),
    ("coder.templates[].organization", Prose("the default organization"), "owning organization"),
    ("coder.templates[].deprecated", False, "deprecated template"),
    ("coder.templates[].deprecation_message", "", "message of a deprecated template"),
    ("coder.templates[].import_status", "succeeded", "`succeeded` or `failed` (the active version's import job)"),
    ("coder.templates[].version_name", "v1", "active version name"),
    ("coder.templates[].build_time_p50_s", REQUIRED, "median build time, platform seconds (log-normal)"),
    ("coder.templates[].build_time_p95_s", REQUIRED, "95th percentile build time, platform seconds"),
    ("coder.queue", {}, "the provisioner queue"),
    ("coder.queue.failure_rate", 0.0, "share of start builds whose job fails (stop/delete never fail)"),
    ("coder.queue.agent_ready_s", 15, "job completion to agent `ready`, platform seconds"),
    ("regions", REQUIRED, "one moto region, ECR mirror and Kubernetes fake (context `sandbox-<region>`) each"),
    ("regions.<region>.role", REQUIRED, "`control_plane` or `proxy`; the control plane's `coder` Deployment sets "
                                        "the default `coder.build`"),
    ("regions.<region>.ecr_build", REQUIRED, "the build the region's ECR tag holds; null: the tag is missing"),
    ("regions.<region>.nodes", [], "Nodes, with the kubelet stats summary's ephemeral storage"),
    ("regions.<region>.nodes[].name", REQUIRED, "node name"),
    ("regions.<region>.nodes[].nodepool", "workspaces", "`karpenter.sh/nodepool` label"),
    ("regions.<region>.nodes[].instance_type", "m6i.4xlarge", "`node.kubernetes.io/instance-type` label"),
    ("regions.<region>.nodes[].capacity_gib", 100, "ephemeral-storage capacity (allocatable is 5 GiB less)"),
    ("regions.<region>.nodes[].used_pct", REQUIRED, "ephemeral storage used, percent"),
    ("regions.<region>.nodepools", [], "Karpenter NodePools (`karpenter.sh/v1`)"),
    ("regions.<region>.nodepools[].name", REQUIRED, "NodePool name"),
    ("regions.<region>.nodepools[].limits", {}, "`spec.limits` (e.g. `{cpu: \"64\", memory: 256Gi}`)"),
    ("regions.<region>.nodepools[].ready", True, "the `Ready` condition"),
    ("regions.<region>.nodepools[].reason", "NodeClassNotReady", "reason of a NodePool that is not ready"),
    ("regions.<region>.nodepools[].message", "EC2NodeClass default is not ready",
     "message of a NodePool that is not ready"),
    ("regions.<region>.deployments", [], "Deployments (namespaces are created); their ReplicaSets and Running "
                                         "pods follow"),
    ("regions.<region>.deployments[].namespace", REQUIRED, "namespace"),
    ("regions.<region>.deployments[].name", REQUIRED, "name"),
    ("regions.<region>.deployments[].labels", REQUIRED, "labels of the Deployment, its selector and its pods"),
    ("regions.<region>.deployments[].replicas", REQUIRED, "`spec.replicas`"),
    ("regions.<region>.deployments[].image", REQUIRED, "`ecr`: the region's mirror, `<account>.dkr.ecr.<region>"
                                                       ".amazonaws.com/<ecr_repository>:<tag>`; else the reference "
                                                       "itself"),
    ("regions.<region>.deployments[].build", Prose("`ecr_build`"),
     "with `image: ecr`, the build the pods run (a name or version of `images.builds`): a build other than "
     "`ecr_build` pins the image to that build's digest (`...:<tag>@sha256:...`), as pods that have not restarted "
     "since the tag moved"),
    ("regions.<region>.deployments[].container", Prose("name up to the first `-`"), "container name"),
    ("regions.<region>.deployments[].grace_s", 30, "`terminationGracePeriodSeconds`"),
    ("regions.<region>.cronjobs", [], "CronJobs (a secrets-manager rotation job)"),
    ("regions.<region>.cronjobs[].namespace", REQUIRED, "namespace"),
    ("regions.<region>.cronjobs[].name", REQUIRED, "name"),
    ("regions.<region>.cronjobs[].schedule", REQUIRED, "cron schedule"),
    ("regions.<region>.cronjobs[].suspend", False, "`spec.suspend`"),
    ("state_backend", None, "the Terraform state backend (`seed_state_backend.py`); absent: none, and the "
                            "inventory's `preflight_state_backend` is empty"),
    ("state_backend.bucket", REQUIRED, "the state bucket"),
    ("state_backend.region", "us-east-2", "primary region"),
    ("state_backend.state_key", "platform/terraform.tfstate", "key of the state object"),
    ("state_backend.state_object", True, "write a state object (two versions when versioned)"),
    ("state_backend.kms_alias", "alias/terraform-state", "the CMK's alias, in region and dr_region"),
    ("state_backend.key_rotation", True, "false: the CMK's automatic rotation is off"),
    ("state_backend.versioning", "Enabled", "`Enabled`, `Suspended` or null (never enabled)"),
    ("state_backend.sse", "cmk", "`cmk`, `aws-managed` or `none` (SSE-S3)"),
    ("state_backend.lock_table", "terraform-state-locks", "DynamoDB lock table; null: none"),
    ("state_backend.table_sse", "cmk", "`cmk`, `aws-managed` or `aws-owned`"),
    ("state_backend.pitr", True, "point-in-time recovery of the lock table"),
    ("state_backend.deletion_protection", True, "deletion protection of the lock table"),
    ("state_backend.replication", True, "replica bucket, role and rule (only when versioning is `Enabled`)"),
    ("state_backend.dr_region", "us-west-2", "region of the replica"),
    ("state_backend.replica_bucket", None, "null: `<bucket>-<dr_region>`"),
    ("state_backend.replica_versioning", "Enabled", "`Enabled`, `Suspended` or null"),
    ("state_backend.noncurrent_days", 90, "lifecycle: noncurrent versions expire after this many days"),
    ("baseline", {}, "per region, the data-protection baseline (`seed_baseline.py`)"),
    ("baseline.<region>.vpcs", [], "VPCs"),
    ("baseline.<region>.vpcs[].name", REQUIRED, "tag `Name`; other entries refer to the VPC by it"),
    ("baseline.<region>.vpcs[].default", False, "true: the region's default VPC and its subnets (no `cidr`)"),
    ("baseline.<region>.vpcs[].cidr", REQUIRED, "VPC CIDR (not with `default`)"),
    ("baseline.<region>.vpcs[].subnets", Prose("the first two /24s"), "subnet CIDRs, in AZs `<region>a`, `b`, ..."),
    ("baseline.<region>.vpcs[].flow_logs", False, "false: none; or a mapping: a flow log to CloudWatch Logs"),
    ("baseline.<region>.vpcs[].flow_logs.log_group", "/seed/vpc-flow-logs", "log group"),
    ("baseline.<region>.vpcs[].flow_logs.kms", True, "false: the log group is not KMS-encrypted"),
    ("baseline.<region>.vpcs[].flow_logs.retention_days", 30, "retention; null/0: never expires"),
    ("baseline.<region>.vpcs[].flow_logs.traffic_type", "ALL", "`ALL`, `ACCEPT` or `REJECT`"),
    ("baseline.<region>.vpcs[].security_groups", [], "security groups in the VPC"),
    ("baseline.<region>.vpcs[].security_groups[].name", REQUIRED, "group name (unique within the region)"),
    ("baseline.<region>.vpcs[].security_groups[].description", Prose("name"), "group description"),
    ("baseline.<region>.vpcs[].security_groups[].attached", True, "a network interface in the first subnet "
                                                                  "carries the group"),
    ("baseline.<region>.vpcs[].security_groups[].ingress", [], "ingress rules, one per source"),
    ("baseline.<region>.vpcs[].security_groups[].ingress[].protocol", "tcp", "`tcp`, `udp`, `-1`/`all`"),
    ("baseline.<region>.vpcs[].security_groups[].ingress[].port", REQUIRED, "one port (or `ports`)"),
    ("baseline.<region>.vpcs[].security_groups[].ingress[].ports", None, "`[from, to]`"),
    ("baseline.<region>.vpcs[].security_groups[].ingress[].cidr", None, "IPv4 source (one of the three sources)"),
    ("baseline.<region>.vpcs[].security_groups[].ingress[].cidr_ipv6", None, "IPv6 source"),
    ("baseline.<region>.vpcs[].security_groups[].ingress[].source_group", None, "a group by name; `self`: itself"),
    ("baseline.<region>.rds_clusters", [], "Aurora clusters"),
    ("baseline.<region>.rds_clusters[].id", REQUIRED, "cluster identifier; instances `<id>-1..n`"),
    ("baseline.<region>.rds_clusters[].vpc", None, "a DB subnet group from that VPC's subnets"),
    ("baseline.<region>.rds_clusters[].engine", "aurora-postgresql", "engine"),
    ("baseline.<region>.rds_clusters[].engine_version", "15.4", "engine version"),
    ("baseline.<region>.rds_clusters[].encryption", "cmk", "`cmk` (a new CMK), `aws-managed` or `none`"),
    ("baseline.<region>.rds_clusters[].force_ssl", None, "true/false: parameter group `<id>-params` with "
                                                         "`rds.force_ssl` 1/0; null: the default group"),
    ("baseline.<region>.rds_clusters[].instances", 1, "number of instances"),
    ("baseline.<region>.rds_clusters[].instance_class", "db.r6g.large", "instance class"),
    ("baseline.<region>.rds_clusters[].security_groups", [], "security group names from the VPC"),
    ("baseline.<region>.load_balancers", [], "internet-facing ALBs"),
    ("baseline.<region>.load_balancers[].name", REQUIRED, "name"),
    ("baseline.<region>.load_balancers[].vpc", REQUIRED, "VPC (its subnets)"),
    ("baseline.<region>.load_balancers[].security_groups", [], "security group names"),
    ("baseline.<region>.load_balancers[].listeners", [], "listeners"),
    ("baseline.<region>.load_balancers[].listeners[].protocol", REQUIRED, "`HTTPS` (with an ACM certificate) or "
                                                                          "`HTTP`"),
    ("baseline.<region>.load_balancers[].listeners[].port", REQUIRED, "port"),
    ("baseline.<region>.load_balancers[].listeners[].ssl_policy", "ELBSecurityPolicy-TLS13-1-2-2021-06",
     "TLS policy of an HTTPS listener"),
    ("baseline.<region>.load_balancers[].listeners[].redirect_https", False, "true: HTTP redirects to HTTPS; "
                                                                             "false: forwards plain HTTP"),
    ("baseline.<region>.secrets", [], "Secrets Manager secrets"),
    ("baseline.<region>.secrets[].name", REQUIRED, "secret name"),
    ("baseline.<region>.secrets[].tags", {}, "tags"),
    ("baseline.<region>.secrets[].rotation_days", None, "rotation every N days; null: rotation off"),
    ("baseline.<region>.s3_buckets", [], "S3 buckets (global: list them under one region)"),
    ("baseline.<region>.s3_buckets[].name", REQUIRED, "bucket name"),
    ("baseline.<region>.s3_buckets[].deny_insecure", True, "true: TLS-deny policy; false: a policy without it; "
                                                           "null: no policy"),
]
PATHS = dict((path, (default, doc)) for path, default, doc in KEYS)


class ScenarioError(ValueError):
    """A scenario the sandbox cannot seed; the message names the key."""


# --- the key list ------------------------------------------------------------------------------------------------
def children(prefix):
    """Names directly under prefix ('' for the top), in KEYS order."""
    found = []
    for path in PATHS:
        if prefix and not path.startswith(prefix):
            continue
        rest = path[len(prefix):]
        if prefix:
            if not rest.startswith(".") and not rest.startswith("[]."):
                continue
            rest = rest[1:] if rest.startswith(".") else rest[3:]
        name = rest.split(".", 1)[0].split("[]", 1)[0]
        if name and name not in found:
            found.append(name)
    return found


def join(prefix, name):
    return "%s.%s" % (prefix, name) if prefix else name


def validate(scenario):
    """Every key of scenario is in KEYS and every required key is there; raises ScenarioError naming them."""
    if not isinstance(scenario, dict):
        raise ScenarioError("a scenario is a mapping, not %s" % type(scenario).__name__)
    problems = []
    _walk(scenario, "", "", problems)
    if problems:
        raise ScenarioError("scenario %s: %s (tests/sandbox/README.md lists every key)"
                            % (scenario.get("name", "?"), "; ".join(problems)))


def _walk(value, schema_path, where, problems):
    """schema_path: the KEYS path value sits at ('' the top); where: the same with real keys/indices."""
    if isinstance(value, list):
        if schema_path and any(p.startswith(schema_path + "[].") for p in PATHS):
            for index, item in enumerate(value):
                _walk(item, schema_path + "[]", "%s[%d]" % (where, index), problems)
        return
    if not isinstance(value, dict):
        return
    names = children(schema_path)
    if not names:
        return  # a free-form mapping (labels, limits, tags)
    if len(names) == 1 and names[0].startswith("<"):
        for key, item in value.items():
            _walk(item, join(schema_path, names[0]), join(where, str(key)), problems)
        return
    for key, item in value.items():
        if key not in names:
            problems.append("unknown key %s (known here: %s)" % (join(where, str(key)), ", ".join(names)))
            continue
        _walk(item, join(schema_path, key), join(where, key), problems)
    for name in names:
        default = PATHS[join(schema_path, name)][0] if join(schema_path, name) in PATHS else None
        if default is REQUIRED and name not in value and not _exempt(schema_path, name, value):
            problems.append("%s is required" % join(where, name))


def _exempt(schema_path, name, value):
    """Required-unless cases: a default VPC has no cidr; an ingress rule gives port or ports (not for -1)."""
    if schema_path.endswith("vpcs[]") and name == "cidr":
        return bool(value.get("default"))
    if schema_path.endswith("ingress[]") and name == "port":
        return "ports" in value or value.get("protocol") in ("-1", "all")
    return False


def _default_text(default):
    if default is REQUIRED:
        return "required"
    if isinstance(default, Prose):
        return str(default)
    return "`%s`" % json.dumps(default)


def markdown_table():
    """The README's key table (between its generated-table markers)."""
    lines = ["| key | default | what it seeds |", "|---|---|---|"]
    for path, default, doc in KEYS:
        lines.append("| `%s` | %s | %s |" % (path, _default_text(default), doc))
    return "\n".join(lines) + "\n"


# --- builds and digests ------------------------------------------------------------------------------------------
def image_manifest(build_name, build):
    """A single-platform OCI image manifest whose bytes (hence digest) are unique to the build.

    The same bytes ``server.py`` puts into ECR and the registry fake (a unit test holds the two to it)."""
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


def image_digest(build_name, build):
    """The digest ECR and the registry give that build's manifest (sha256 of its bytes)."""
    return "sha256:" + hashlib.sha256(image_manifest(build_name, build).encode()).hexdigest()


def ecr_image(region, repository, tag):
    return "%s.dkr.ecr.%s.amazonaws.com/%s:%s" % (ACCOUNT_ID, region, repository, tag)


def build_name(scenario, ref, where):
    """The name under images.builds that ref names (a build name, or the version of exactly one build)."""
    builds = scenario["images"]["builds"]
    if ref in builds:
        return ref
    named = [name for name, build in sorted(builds.items()) if build.get("version") == ref]
    if len(named) == 1:
        return named[0]
    raise ScenarioError("%s: %r is not a build; images.builds has %s" % (
        where, ref, ", ".join("%s (%s)" % (n, b.get("version")) for n, b in sorted(builds.items()))))


def expand(scenario):
    """The scenario server.py reads: builds resolved to names, pods pinned to the digest of the build they run.

    Resolves regions.<region>.deployments[].build (dropped; a build other than the region's ECR tag pins the image
    to that build's digest), coder.proxies[].build (from the proxy's region when absent; region dropped) and
    coder.build (from the control plane when absent). A scenario without these keys comes out as it went in."""
    scenario = copy.deepcopy(scenario)
    images = scenario["images"]
    running = {}  # region -> [(deployment, build name or None)]
    for region, spec in sorted(scenario["regions"].items()):
        running[region] = []
        for index, deployment in enumerate(spec.get("deployments") or []):
            name = spec.get("ecr_build") if deployment["image"] == "ecr" else None
            if "build" in deployment:
                where = "regions.%s.deployments[%d].build" % (region, index)
                if deployment["image"] != "ecr":
                    raise ScenarioError("%s: only a Deployment with image: ecr runs a build (image is %r)"
                                        % (where, deployment["image"]))
                name = build_name(scenario, deployment.pop("build"), where)
                if name != spec.get("ecr_build"):
                    deployment["image"] = "%s@%s" % (ecr_image(region, images["ecr_repository"], images["tag"]),
                                                     image_digest(name, images["builds"][name]))
            running[region].append((deployment, name))
    coder = scenario["coder"]
    for index, proxy in enumerate(coder.get("proxies") or []):
        where = "coder.proxies[%d].build" % index
        if proxy.get("build") is None:
            if not proxy.get("region"):
                raise ScenarioError("%s: give it, or give the proxy's region" % where)
            proxy["build"] = _coder_build(running, proxy["region"], where)
        proxy["build"] = build_name(scenario, proxy["build"], where)
        proxy.pop("region", None)
    if coder.get("build") is None:
        planes = sorted(r for r, s in scenario["regions"].items() if s.get("role") == "control_plane")
        if len(planes) != 1:
            raise ScenarioError("coder.build: give it, or give exactly one region role: control_plane (found %s)"
                                % planes)
        coder["build"] = _coder_build(running, planes[0], "coder.build")
    coder["build"] = build_name(scenario, coder["build"], "coder.build")
    return scenario


def _coder_build(running, region, where):
    """The build the pods of region's Coder Deployment (label app.kubernetes.io/name: coder) run."""
    if region not in running:
        raise ScenarioError("%s: no region %r under regions" % (where, region))
    found = set(name for deployment, name in running[region]
                if (deployment.get("labels") or {}).get("app.kubernetes.io/name") == "coder")
    if len(found) != 1 or None in found:
        raise ScenarioError("%s: give it, or give regions.%s one Coder Deployment (label app.kubernetes.io/name: "
                            "coder) on the ECR image (found builds %s)" % (where, region, sorted(map(str, found))))
    return found.pop()


# --- files -------------------------------------------------------------------------------------------------------
def path_of(name):
    path = name if os.path.isfile(name) else os.path.join(SCENARIOS, "%s.yml" % name)
    if not os.path.isfile(path):
        raise ScenarioError("unknown scenario %r; available: %s" % (name, ", ".join(names())))
    return path


def names():
    return sorted(f[:-4] for f in os.listdir(SCENARIOS) if f.endswith(".yml"))


def load(name):
    """The validated, expanded scenario of a name under scenarios/ or a path."""
    path = path_of(name)
    with open(path) as handle:
        try:
            scenario = yaml.safe_load(handle)
        except yaml.YAMLError as err:
            raise ScenarioError("scenario %s is not valid YAML: %s" % (path, err)) from None
    validate(scenario)
    return expand(scenario)


def summary(name):
    """The first sentence of a scenario's description (what `launcher.py list` prints)."""
    with open(path_of(name)) as handle:
        description = " ".join(str(yaml.safe_load(handle).get("description", "")).split())
    head, dot, dummy_rest = description.partition(". ")
    return head + ("." if dot else "")


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        sys.stdout.write(markdown_table())
    else:
        raise SystemExit("usage: scenario.py --markdown   (print the README's key table)")
