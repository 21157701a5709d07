#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: image_digest_info
short_description: Compare an upstream image tag's digest with the region's ECR mirror
version_added: 0.1.0
description:
  - Resolves the upstream tag (for example C(ghcr.io/coder/coder-preview:latest)) to its manifest digest through the
    registry v2 API, including the anonymous bearer-token flow that ghcr.io uses, and reads the digest of the same
    tag in the region's ECR repository (C(ecr:DescribeImages), one call).
  - The digests the pods actually run come from M(coder.ai_platform.cluster_capacity_info), which reads the
    Kubernetes side with the kubernetes.core authentication options.
  - Does not fail when the registry or ECR is unreachable; the cause is returned in the C(error) of each side.
author:
  - Coder platform team (@coder)
options:
  upstream_image:
    description: The upstream image reference, C(registry/repository:tag).
    type: str
    required: true
  upstream_registry_url:
    description:
      - Base URL of the upstream registry's API. Defaults to C(https://) plus the registry host of O(upstream_image)
        (C(https://registry-1.docker.io) for Docker Hub).
    type: str
  ecr_repository:
    description: The ECR repository that mirrors the upstream image in this region.
    type: str
    required: true
  ecr_tag:
    description: The mirrored tag. Defaults to the tag of O(upstream_image).
    type: str
  ecr_registry_id:
    description: The AWS account ID that owns the ECR registry, when it is not the caller's.
    type: str
extends_documentation_fragment:
  - coder.ai_platform.gather
  - coder.ai_platform.http_options.aws
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Is the Oregon mirror current?
  coder.ai_platform.image_digest_info:
    region: us-west-2
    upstream_image: ghcr.io/coder/coder-preview:latest
    ecr_repository: coder-preview
  register: images

- name: Compare
  ansible.builtin.debug:
    msg: "{{ 'current' if images.ecr.digest == images.upstream.digest else 'stale' }}"
"""

RETURN = r"""
upstream:
  description: The upstream side - C(image), C(registry), C(repository), C(tag), C(digest), and C(error) when unreadable.
  returned: always
  type: dict
  sample: {"image": "ghcr.io/coder/coder-preview:latest", "digest": "sha256:3f1c...", "error": null}
ecr:
  description:
    - The mirror side - C(repository), C(tag), C(digest) (null when the tag or repository does not exist, see
      C(missing)), C(pushed_at), and C(error) when ECR could not be read.
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.coder.ai_platform.plugins.module_utils.aws.ecr import read_image_digest
from ansible_collections.coder.ai_platform.plugins.module_utils.clients.registry_gather import read_upstream_digest
from ansible_collections.coder.ai_platform.plugins.module_utils.core.http_args import (
    HTTP_REQUIRED_BY, check_http_params, http_argument_spec, http_client_options,
)


def main():
    argument_spec = dict(
        upstream_image=dict(type="str", required=True),
        upstream_registry_url=dict(type="str"),
        ecr_repository=dict(type="str", required=True),
        ecr_tag=dict(type="str"),
        ecr_registry_id=dict(type="str"),
    )
    # validate_certs is the AWS common option; it applies to the registry calls too.
    argument_spec.update(http_argument_spec(validate_certs=False))
    module = AnsibleAWSModule(argument_spec=argument_spec, required_by=HTTP_REQUIRED_BY, supports_check_mode=True)
    check_http_params(module)
    upstream = read_upstream_digest(module.params["upstream_image"], module.params["upstream_registry_url"],
                                    **http_client_options(module.params, bound_task=True))
    tag = module.params["ecr_tag"] or upstream.get("tag") or "latest"
    ecr = read_image_digest(module.client("ecr", retry_decorator=AWSRetry.jittered_backoff()),
                            module.params["ecr_repository"], tag, module.params["ecr_registry_id"], module.region)
    module.exit_json(changed=False, upstream=upstream, ecr=ecr)


if __name__ == "__main__":
    main()
