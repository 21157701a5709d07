"""Seed a world into the running sandbox's moto (molecule prepare): seed.py <state dir> <world as JSON>."""

import json
import os
import sys

import boto3

sys.path.insert(0, os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "tests", "sandbox"))

from seed_baseline import seed  # noqa: E402


def main(state_dir, world_json):
    with open(os.path.join(state_dir, "endpoints.json")) as handle:
        aws = json.load(handle)["aws"]
    world = json.loads(world_json)

    def client(service, region):
        return boto3.client(service, region_name=region, endpoint_url=aws["endpoint_url"],
                            aws_access_key_id=aws["access_key"], aws_secret_access_key=aws["secret_key"])
    print(json.dumps(dict((region, seed(client, region, spec)) for region, spec in world.items()), sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:3])
