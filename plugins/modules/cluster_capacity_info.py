#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_capacity_info
short_description: Read a cluster's node storage, Karpenter NodePools, key Deployments, CronJobs and pod images
version_added: 0.1.0
description:
  - Gathers, in one task and few API calls, what the pre-workshop gate needs from one region's cluster - every
    node's ephemeral storage from the kubelet stats summary (C(/api/v1/nodes/<node>/proxy/stats/summary), read in
    parallel), Karpenter NodePools with their Ready condition and limits, the replicas of named Deployments
    (provisioners, LiteLLM), named CronJobs (the LiteLLM key rotation), and the image digest every container of
    the selected pods is running.
  - Uses kubernetes.core's client and authentication options, so kubeconfig contexts, EKS exec credentials and
    the E(K8S_AUTH_*) variables work as they do for M(kubernetes.core.k8s_info).
  - Calls raw API paths, so it needs no API discovery round trips.
  - Does not fail when the cluster is unreachable; the cause of each section is returned under RV(errors).
author:
  - Coder platform team (@coder)
options:
  node_stats:
    description: Read each node's kubelet stats summary (ephemeral storage).
    type: bool
    default: true
  nodepools:
    description: Read Karpenter C(karpenter.sh/v1) NodePools. A cluster without the CRD returns an empty list.
    type: bool
    default: true
  deployments:
    description: Deployments whose replicas to read.
    type: list
    elements: dict
    default: []
    suboptions:
      namespace:
        description: Namespace of the Deployment.
        type: str
        required: true
      name:
        description: Name of the Deployment.
        type: str
        required: true
  cronjobs:
    description: CronJobs whose schedule and suspension to read.
    type: list
    elements: dict
    default: []
    suboptions:
      namespace:
        description: Namespace of the CronJob.
        type: str
        required: true
      name:
        description: Name of the CronJob.
        type: str
        required: true
  pods:
    description: Pod selectors whose running image digests to read, each tagged with the component it stands for.
    type: list
    elements: dict
    default: []
    suboptions:
      component:
        description: What these pods are (C(server), C(proxy), C(provisioner)); copied into each pod's result.
        type: str
        required: true
      namespace:
        description: Namespace of the pods.
        type: str
        required: true
      label_selector:
        description: A Kubernetes label selector, e.g. C(app.kubernetes.io/name=coder).
        type: str
        required: true
  request_timeout:
    description: Seconds to wait for each API response.
    type: int
    default: 10
extends_documentation_fragment:
  - coder.ai_platform.gather
  - kubernetes.core.k8s_auth_options
requirements:
  - kubernetes >= 24.2.0
  - PyYAML
"""

EXAMPLES = r"""
- name: Read the control plane cluster
  coder.ai_platform.cluster_capacity_info:
    context: arn:aws:eks:us-east-2:123456789012:cluster/coder-control-plane
    deployments:
      - {namespace: coder, name: coder-provisioner-default}
      - {namespace: litellm, name: litellm}
    cronjobs:
      - {namespace: litellm, name: litellm-key-rotation}
    pods:
      - {component: server, namespace: coder, label_selector: app.kubernetes.io/name=coder}
  register: cluster

- name: Nodes above 70 % ephemeral storage
  ansible.builtin.debug:
    msg: "{{ cluster.nodes | selectattr('ephemeral') | selectattr('ephemeral.used_pct', 'ge', 70) | map(attribute='name') }}"
"""

RETURN = r"""
nodes:
  description: One entry per node with C(name), C(nodepool), C(allocatable), C(ephemeral) (C(capacity_bytes),
    C(used_bytes), C(used_pct)) or C(stats_error).
  returned: when readable
  type: list
  elements: dict
nodepools:
  description: Karpenter NodePools with C(name), C(ready), C(ready_message), C(limits), C(resources), C(disruption_budgets).
  returned: when readable
  type: list
  elements: dict
deployments:
  description: Per C(namespace/name), C(found), C(replicas), C(ready_replicas), C(available_replicas).
  returned: when readable
  type: dict
cronjobs:
  description: Per C(namespace/name), C(found), C(schedule), C(suspend), C(time_zone), C(last_schedule_time).
  returned: when readable
  type: dict
pods:
  description: Matching pods with C(name), C(namespace), C(component), C(phase) and C(images) (C(container), C(image), C(digest)).
  returned: when readable
  type: list
  elements: dict
errors:
  description: Cause per section that could not be read.
  returned: always
  type: dict
api_calls:
  description: Number of API requests made.
  returned: always
  type: int
"""

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.coder.ai_platform.plugins.module_utils.clients.kube_gather import (
    cluster_options, gather_cluster, make_reader, unreadable,
)


def argspec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(cluster_options())
    spec.update(request_timeout=dict(type="int", default=10))
    return spec


def main():
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=argspec(), supports_check_mode=True)
    params = module.params
    try:
        client = get_api_client(module)
    except CoreException as err:
        # A bad or missing kubeconfig is this region's dependency failing: report it, do not stop the gate.
        module.exit_json(changed=False, **unreadable("cannot build a Kubernetes client: %s" % err))
    facts = gather_cluster(make_reader(client.client, params["request_timeout"]), deployments=params["deployments"],
                           cronjobs=params["cronjobs"], pod_selectors=params["pods"],
                           node_stats=params["node_stats"], nodepools=params["nodepools"])
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
