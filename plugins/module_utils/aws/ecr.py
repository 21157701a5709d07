# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the digest of one tag of a region's ECR repository (``ecr:DescribeImages``, one call).

A boto3 ECR client (with the collection's retry wrapper) in, a plain dict out; never raises for an AWS error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.coder.ai_platform.plugins.module_utils.aws.connection import aws_errors

MISSING_CODES = ["ImageNotFoundException", "RepositoryNotFoundException"]


def read_image_digest(ecr, repository, tag, registry_id=None, region=None):
    """``{repository, tag, digest, pushed_at, missing, error}``: ``missing`` names why there is no such image
    (a fact the judge fails), ``error`` why ECR could not be read (the judge's ``error``)."""
    side = {"repository": repository, "tag": tag, "digest": None, "pushed_at": None, "missing": None, "error": None}
    query = {"repositoryName": repository, "imageIds": [{"imageTag": tag}]}
    if registry_id:
        query["registryId"] = registry_id
    try:
        images = ecr.describe_images(aws_retry=True, **query)["imageDetails"]
    except is_boto3_error_code(MISSING_CODES) as err:
        side["missing"] = err.response["Error"]["Code"]
        return side
    except aws_errors() as err:  # pylint: disable=duplicate-except
        side["error"] = "ECR DescribeImages %s:%s in %s: %s" % (repository, tag, region, err)
        return side
    if images:
        side["digest"] = images[0].get("imageDigest")
        pushed = images[0].get("imagePushedAt")
        side["pushed_at"] = pushed.isoformat() if hasattr(pushed, "isoformat") else pushed
    return side
