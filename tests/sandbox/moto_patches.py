"""Patches to the in-process moto server, each restoring one AWS behaviour a module depends on.

The architecture rule: where moto answers differently from AWS in a way our modules trip on, patch the server here
(never the module), and say which AWS behaviour the patch restores.
"""

import hashlib

from moto.ecr import models as ecr_models


def _ecr_digest_is_manifest_sha256():
    """AWS: an ECR imageDigest is the sha256 of the manifest bytes, exactly as any registry computes it, so the
    same manifest has the same digest upstream (ghcr.io) and in every mirror. moto 5.2 hashes the concatenated layer
    digests instead, which would make a faithful mirror look stale."""
    def _create_digest(self):
        self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode("utf-8")).hexdigest()

    ecr_models.Image._create_digest = _create_digest


def apply_all():
    _ecr_digest_is_manifest_sha256()
