#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: preflight_facts_info
short_description: Read every fact source of the pre-workshop gate, concurrently, within one deadline
version_added: 0.2.0
description:
  - Runs the gate's fact sources - the readers registered in C(plugins/module_utils/core/sources.py) - at once, each
    in its own thread, across every region given in O(regions) and every global source given in O(sources), and
    returns each source's result with the same shape as the single-purpose module that reads it alone
    (M(coder.ai_platform.coder_deployment_info), M(coder.ai_platform.litellm_key_info),
    M(coder.ai_platform.workshop_capacity_plan), M(coder.ai_platform.terraform_state_backend_info),
    M(coder.ai_platform.image_digest_info), M(coder.ai_platform.cluster_capacity_info),
    M(coder.ai_platform.data_protection_info)).
  - The sources are C(coder), C(litellm), C(plan) (runs after C(coder), from its build times) and C(state_backend)
    (global); C(images), C(cluster) and C(protection) (per region). Each source's parameters are those of its
    single-purpose module (C(plan) also takes C(templates) and C(organization); C(state_backend) takes C(region)),
    validated the same way. A new source registered in module_utils joins the same run with no change here.
  - One boto3 session serves every AWS read (each service model is parsed once), every call has a timeout of
    O(timeout) seconds, and the whole gather ends after O(deadline) seconds - a source that has not answered by then
    is returned as failed (C(failed), C(msg) and its cause under C(errors)), so a hanging dependency becomes an
    C(error) row of the checks that need it, never a stuck play.
  - Never fails for an unreachable dependency. Fails, naming the source and option, for bad input.
author:
  - Coder platform team (@coder)
options:
  sources:
    description:
      - The global sources to read, by name, each with its parameters (see the description).
    type: dict
    default: {}
  regions:
    description: The regions to read, each with its regional sources.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The region's name in the result (the inventory host).
        type: str
        required: true
      region:
        description: The region's AWS region. Defaults to O(region).
        type: str
      kubernetes:
        description:
          - How to reach the region's cluster, with kubernetes.core's authentication options (unset ones fall back
            to the E(K8S_AUTH_*) variables and the default kubeconfig). Only used when O(regions[].sources) asks for
            C(cluster).
        type: dict
        suboptions:
          kubeconfig:
            description: Path to a kubeconfig, or the kubeconfig as a dict.
            type: raw
          context:
            description: The kubeconfig context.
            type: str
          host:
            description: The API server URL.
            type: str
          api_key:
            description: A bearer token.
            type: str
          validate_certs:
            description: Verify the API server's certificate.
            type: bool
          ca_cert:
            description: CA bundle of the API server.
            type: path
          client_cert:
            description: Client certificate.
            type: path
          client_key:
            description: Client certificate's key.
            type: path
          proxy:
            description: HTTP proxy URL.
            type: str
      sources:
        description: The regional sources to read in this region, by name, each with its parameters.
        type: dict
        default: {}
  timeout:
    description: Seconds to wait for each API answer (the default of every source's own C(timeout)).
    type: int
    default: 10
  deadline:
    description: Seconds after which the gather returns, whatever has not answered reported as failed. Default twice
      O(timeout).
    type: int
extends_documentation_fragment:
  - coder.ai_platform.gather
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
requirements:
  - kubernetes >= 24.2.0 (for the C(cluster) source)
"""

EXAMPLES = r"""
- name: Gather the gate's facts for two regions at once
  coder.ai_platform.preflight_facts_info:
    region: us-east-2
    timeout: 10
    sources:
      coder: {coder_url: https://ai.coder.com, coder_token: "{{ coder_token }}", templates: [ai-workshop]}
      plan: {expected_users: 40, templates: [ai-workshop]}
    regions:
      - name: us-east-2
        kubernetes: {context: arn:aws:eks:us-east-2:111122223333:cluster/coder-control-plane}
        sources:
          images: {upstream_image: "ghcr.io/coder/coder-preview:latest", ecr_repository: coder-preview}
          protection: {sections: [rds, secrets, security_groups, flow_logs, load_balancers, s3]}
      - name: us-west-2
        region: us-west-2
        sources:
          images: {upstream_image: "ghcr.io/coder/coder-preview:latest", ecr_repository: coder-preview}
  register: facts

- name: The Coder version and the Oregon mirror's digest
  ansible.builtin.debug:
    msg: "{{ facts.sources.coder.buildinfo.version }} / {{ facts.regions['us-west-2'].images.ecr.digest }}"
"""

RETURN = r"""
sources:
  description: Each global source's result by name (the shape of its single-purpose module's result).
  returned: always
  type: dict
regions:
  description: Per region name, each regional source's result by name.
  returned: always
  type: dict
timings:
  description: Seconds each source took, by C(source) or C(region/source).
  returned: always
  type: dict
started_at:
  description: When the gather started (seconds since the epoch); the gate reports its duration from it.
  returned: always
  type: float
input_error:
  description: True when the module failed for bad input (then C(msg) names the source and option).
  returned: on failure for bad input
  type: bool
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.coder.ai_platform.plugins.module_utils.aws.connection import AwsClients
from ansible_collections.coder.ai_platform.plugins.module_utils.clients.kube_gather import client_reader
# Importing the sources registers them with core/gather.py.
# pylint: disable-next=unused-import
from ansible_collections.coder.ai_platform.plugins.module_utils.core import sources  # noqa: F401
from ansible_collections.coder.ai_platform.plugins.module_utils.core.gather import (
    SOURCES, Context, InputError, Job, run_jobs, validate_params,
)

KUBE_OPTIONS = dict(
    kubeconfig=dict(type="raw", no_log=True), context=dict(type="str"), host=dict(type="str"),
    api_key=dict(type="str", no_log=True), validate_certs=dict(type="bool"), ca_cert=dict(type="path"),
    client_cert=dict(type="path"), client_key=dict(type="path", no_log=False), proxy=dict(type="str"),
)


def argument_spec():
    return dict(
        sources=dict(type="dict", default={}),
        regions=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            region=dict(type="str"),
            kubernetes=dict(type="dict", options=KUBE_OPTIONS),
            sources=dict(type="dict", default={}),
        )),
        timeout=dict(type="int", default=10),
        deadline=dict(type="int"),
    )


def plan_jobs(params, default_region, aws, timeout, deadline_s):
    """(jobs, values never to show) for the requested sources; raises InputError for bad input."""
    secrets, jobs = set(), []

    def job(key, name, raw, context, scope):
        source = SOURCES.get(name)
        raw = dict(raw or {})
        if "timeout" in (source.spec if source else {}) and raw.get("timeout") is None:
            raw["timeout"] = timeout
        try:
            validated, hidden = validate_params(name, raw)
        except InputError as err:
            raise InputError(str(err), secrets | err.no_log_values)
        secrets.update(hidden)
        if source.scope != scope:
            raise InputError("%s: %s is a %s source" % (key, name, source.scope), secrets)
        return Job(key, name, validated, context)

    platform = Context("platform", default_region, aws, None, timeout, deadline_s)
    global_jobs = dict((name, job(name, name, raw, platform, "global")) for name, raw in params["sources"].items())
    for region in params["regions"]:
        auth = region["kubernetes"] or {}
        secrets.update(str(auth[k]) for k in ("api_key", "kubeconfig") if isinstance(auth.get(k), str))
        context = Context(region["name"], region["region"] or default_region, aws,
                          _kube_factory(auth, timeout), timeout, deadline_s)
        for name, raw in region["sources"].items():
            jobs.append(job("%s/%s" % (region["name"], name), name, raw, context, "region"))
    for current in global_jobs.values():
        current.after = [global_jobs[name] for name in SOURCES[current.source_name].after
                         if name in global_jobs]
    return list(global_jobs.values()) + jobs, secrets


def _kube_factory(auth, timeout):
    return lambda: client_reader(auth, timeout)


def main():
    started_at = time.time()
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True, no_log=True)
    params = module.params
    timeout = params["timeout"]
    deadline_s = params["deadline"] or 2 * timeout
    if timeout < 1 or deadline_s < 1:
        module.fail_json(msg="timeout and deadline must be at least 1 second")
    aws = AwsClients(module, timeout=timeout)
    try:
        jobs, secrets = plan_jobs(params, module.region, aws, timeout, deadline_s)
    except InputError as err:
        module.no_log_values.update(err.no_log_values)
        module.fail_json(msg=str(err), input_error=True)
    module.no_log_values.update(secrets)
    run_jobs(jobs, deadline_s)
    problems = [j.input_error for j in jobs if j.input_error]
    if problems:
        module.fail_json(msg="; ".join(problems), input_error=True)
    result = {"sources": {}, "regions": dict((r["name"], {}) for r in params["regions"]), "timings": {},
              "started_at": started_at}
    for current in jobs:
        region, dummy_sep, name = current.key.rpartition("/")
        (result["regions"][region] if region else result["sources"])[name] = current.result
        result["timings"][current.key] = current.seconds
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
