# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fact sources of the pre-workshop gate, registered with ``core/gather.py`` and run by ``preflight_facts_info``.

| source          | scope  | reads                                                      | result shape of          |
|-----------------|--------|------------------------------------------------------------|--------------------------|
| coder           | global | Coder REST API                                             | coder_deployment_info    |
| litellm         | global | LiteLLM ``/key/info``                                      | litellm_key_info         |
| plan            | global | nothing (the queueing model, after ``coder``)              | workshop_capacity_plan   |
| state_backend   | global | S3, KMS, DynamoDB, STS (the state backend's region)        | terraform_state_backend_info |
| images          | region | the upstream registry, ECR                                 | image_digest_info        |
| cluster         | region | the region's Kubernetes API                                | cluster_capacity_info    |
| protection      | region | RDS, KMS, Secrets Manager, EC2, CloudWatch Logs, ELBv2, S3 | data_protection_info     |

A new family's source is a reader (``aws/``, ``clients/``) plus one ``register_source()`` call here: it then runs
in the same module, in the same thread pool, under the same deadline, with no new task in the play.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coder.ai_platform.plugins.module_utils.aws.data_protection import (
    SECTIONS as PROTECTION_SECTIONS, protection_options, read_protection,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.aws.ecr import read_image_digest
from ansible_collections.coder.ai_platform.plugins.module_utils.aws.state_backend import (
    read_state_backend, state_backend_options,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.plan import plan_workshop
from ansible_collections.coder.ai_platform.plugins.module_utils.capacity.workshop_plan import (
    capacity_argument_spec, plan_inputs, workload,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.clients import coder_api, kube_gather
from ansible_collections.coder.ai_platform.plugins.module_utils.clients.litellm_api import key_info
from ansible_collections.coder.ai_platform.plugins.module_utils.clients.registry_gather import read_upstream_digest
from ansible_collections.coder.ai_platform.plugins.module_utils.core.gather import InputError, register_source
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_args import (
    coder_connection_spec, http_argument_spec, http_client_options, http_problems, litellm_connection_spec,
)
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_json import ApiError


def _http(params):
    return http_client_options(params, bound_task=True)


def _http_problems(*urls):
    def problems(params):
        return http_problems(params, [url for url in urls if params.get(url)])
    return problems


# --- Coder ---------------------------------------------------------------------------------------------------------
def _coder_spec():
    spec = coder_connection_spec()
    spec.update(templates=dict(type="list", elements="str", default=[]))
    spec.update(http_argument_spec())
    return spec


def read_coder(context, params):
    client = coder_api.CoderClient(params["coder_url"], params["coder_token"],
                                   **_http(params))
    return coder_api.gather_deployment(client, params["templates"])


# --- LiteLLM -------------------------------------------------------------------------------------------------------
def _litellm_spec():
    spec = litellm_connection_spec()
    spec.update(key=dict(type="str", required=True, no_log=True))
    spec.update(http_argument_spec())
    return spec


def read_litellm(context, params):
    options = _http(params)
    try:
        info = key_info(params["litellm_url"], params["litellm_master_key"], params["key"], **options)
    except ApiError as err:
        return {"key": None, "errors": {"key": err.message}}
    return {"key": info, "errors": {}}


# --- the capacity plan ---------------------------------------------------------------------------------------------
def _plan_spec():
    spec = capacity_argument_spec()
    spec.update(templates=dict(type="list", elements="str", default=[]),
                organization=dict(type="str", default=""))
    return spec


def read_plan(context, params):
    """The workshop_capacity_plan result; build times and the online provisioners come from the ``coder`` source
    when it ran, else from the parameters."""
    inputs = plan_inputs(context.results.get("coder"), params["templates"], params["organization"])
    stats = params["build_time_stats"] or inputs["build_time_stats"]
    current = params["current_provisioners"] or inputs["current_provisioners"]
    capacity = params["capacity"]
    planned_workload, source = workload(capacity, stats)
    try:
        plan = plan_workshop(params["expected_users"], template=capacity["template"],
                             headroom_pct=capacity["headroom_pct"], workload=planned_workload,
                             current_provisioners=current or None)
    except ValueError as err:
        raise InputError("workshop_capacity: %s" % err)
    plan["build_stats_source"] = source
    return {"plan": plan}


# --- the Terraform state backend -----------------------------------------------------------------------------------
STATE_BACKEND_SPEC = dict(state_backend_options(), region=dict(type="str"))


def read_state_backend_source(context, params):
    region = params["region"] or context.region
    return read_state_backend(context.aws, region, params["bucket"], params["state_key"], params["lock_table"],
                              params["backend_hcl_path"], context.deadline_s)


# --- images --------------------------------------------------------------------------------------------------------
def _images_spec():
    spec = dict(
        upstream_image=dict(type="str", required=True),
        upstream_registry_url=dict(type="str"),
        ecr_repository=dict(type="str", required=True),
        ecr_tag=dict(type="str"),
        ecr_registry_id=dict(type="str"),
    )
    spec.update(http_argument_spec())
    return spec


def read_images(context, params):
    """The image_digest_info result: the upstream tag's digest and this region's ECR mirror of it."""
    options = _http(params)
    upstream = read_upstream_digest(params["upstream_image"], params["upstream_registry_url"] or None, **options)
    tag = params["ecr_tag"] or upstream.get("tag") or "latest"
    ecr = read_image_digest(context.aws("ecr"), params["ecr_repository"], tag, params["ecr_registry_id"],
                            context.region)
    return {"upstream": upstream, "ecr": ecr}


# --- the cluster ---------------------------------------------------------------------------------------------------
CLUSTER_SPEC = kube_gather.cluster_options()


def read_cluster(context, params):
    """The cluster_capacity_info result for this region's cluster."""
    try:
        get_json = context.kube()
    except kube_gather.KubeReadError as err:
        return kube_gather.unreadable(err.message)
    return kube_gather.gather_cluster(get_json, deployments=params["deployments"], cronjobs=params["cronjobs"],
                                      pod_selectors=params["pods"], node_stats=params["node_stats"],
                                      nodepools=params["nodepools"])


# --- data protection -----------------------------------------------------------------------------------------------
PROTECTION_SPEC = protection_options()


def read_protection_source(context, params):
    """The data_protection_info result for this region, its sections read concurrently."""
    return read_protection(context.aws, context.region, params["sections"], params["s3_buckets"],
                           context.deadline_s)


def _register():
    register_source("coder", "global", _coder_spec(), read_coder, sections=coder_api.SECTIONS,
                    problems=_http_problems("coder_url"),
                    description="The Coder deployment (coder_deployment_info)")
    register_source("litellm", "global", _litellm_spec(), read_litellm, sections=("key",),
                    problems=_http_problems("litellm_url"),
                    description="The LiteLLM workshop key (litellm_key_info)")
    register_source("plan", "global", _plan_spec(), read_plan, after=("coder",), sections=("plan",),
                    description="The workshop capacity plan (workshop_capacity_plan)")
    register_source("state_backend", "global", STATE_BACKEND_SPEC, read_state_backend_source,
                    sections=("bucket", "state_object", "lock_table", "replicas", "backend_config"),
                    description="The Terraform state backend (terraform_state_backend_info)")
    register_source("images", "region", _images_spec(), read_images, sections=("upstream", "ecr"),
                    problems=_http_problems("upstream_registry_url"),
                    description="Upstream image digest and the region's ECR mirror (image_digest_info)")
    register_source("cluster", "region", CLUSTER_SPEC, read_cluster, sections=kube_gather.SECTIONS,
                    description="The region's cluster (cluster_capacity_info)")
    register_source("protection", "region", PROTECTION_SPEC, read_protection_source, sections=PROTECTION_SECTIONS,
                    description="The region's data-protection facts (data_protection_info)")


_register()
