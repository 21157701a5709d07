"""What the sandbox really reads of a scenario is documented: the real server.py seeds a traced scenario.

A subprocess (so that moto_patches stay out of this pytest process) starts ``server.Sandbox`` on a scenario whose
mappings record every key looked up - found or not - including what the fakes read of the parts handed to them, and
this test holds every recorded key to scenario.KEYS: a key the code reads and the README does not document fails.
(The other direction, a documented key that nothing reads any more, is test_scenario_format.py's.)
"""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import scenario

HERE = Path(__file__).resolve()
SANDBOX = HERE.parents[3] / "tests" / "sandbox"


class Reads:
    """The set of KEYS paths looked up, found or not."""

    def __init__(self):
        self.paths = set()


def _child_path(schema_path, key):
    names = scenario.children(schema_path)
    if len(names) == 1 and names[0].startswith("<"):
        return scenario.join(schema_path, names[0])
    return scenario.join(schema_path, str(key))


def trace(value, reads, schema_path=""):
    """value with every mapping that has documented keys below it recording its lookups (free-form ones stay)."""
    if isinstance(value, dict) and (not schema_path or scenario.children(schema_path)):
        return TracedDict(value, reads, schema_path)
    if isinstance(value, list) and any(p.startswith(schema_path + "[]") for p in scenario.PATHS):
        return TracedList(trace(item, reads, schema_path + "[]") for item in value)
    return value


class TracedList(list):
    pass


class TracedDict(dict):
    def __init__(self, value, reads, schema_path):
        super().__init__((k, trace(v, reads, _child_path(schema_path, k))) for k, v in value.items())
        self._reads, self._path = reads, schema_path

    def _read(self, key):
        self._reads.paths.add(_child_path(self._path, key))

    def __getitem__(self, key):
        self._read(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._read(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._read(key)
        return super().__contains__(key)

    def pop(self, key, *default):
        self._read(key)
        return super().pop(key, *default)

    def setdefault(self, key, default=None):
        self._read(key)
        return super().setdefault(key, default)

    def __iter__(self):
        for key in super().__iter__():
            self._read(key)
            yield key

    def keys(self):
        return list(self.__iter__())

    def items(self):
        return [(key, super(TracedDict, self).__getitem__(key)) for key in self.__iter__()]

    def values(self):
        return [value for dummy_key, value in self.items()]

    def __deepcopy__(self, memo):
        return TracedDict(dict((k, copy.deepcopy(super(TracedDict, self).__getitem__(k), memo))
                               for k in super().__iter__()), self._reads, self._path)

    def __reduce_ex__(self, protocol):
        return dict, (dict(super().items()),)


def _documented(path):
    """A KEYS path, or a mapping that holds some (regions.<region>, images.builds.<build>)."""
    return path in scenario.PATHS or any(p.startswith(path + ".") or p.startswith(path + "[]")
                                         for p in scenario.PATHS)


def _run_traced(name, state_dir):
    """In the subprocess: seed the sandbox from the traced, expanded scenario; print the paths read."""
    sys.path.insert(0, str(SANDBOX))
    import server  # noqa: E402  pylint: disable=import-outside-toplevel

    reads = Reads()
    sandbox = server.Sandbox(trace(scenario.load(name), reads), state_dir)
    # The AWS seeding of requirements 1 and 2 takes most of a start; what the seeders read is held to KEYS exactly
    # by test_scenario_format.py (seed_state_backend's DEFAULTS, seed_baseline's reads), so it is left out here.
    sandbox.seed_protection = lambda: None
    try:
        sandbox.start()
    finally:
        sandbox.stop()
    print(json.dumps(sorted(reads.paths)))


def _traced_reads(name, tmp_path):
    run = subprocess.run([sys.executable, str(HERE), name, str(tmp_path)], capture_output=True, text=True,
                         timeout=240, check=False, cwd=str(SANDBOX), env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                             [str(SANDBOX), os.environ.get("PYTHONPATH", "")])))
    assert run.returncode == 0, run.stderr[-3000:]
    return set(json.loads(run.stdout.strip().splitlines()[-1]))


@pytest.mark.timeout(180)
def test_the_sandbox_reads_only_documented_keys(tmp_path):
    """stale_pods goes through every seeding path of server.py and the fakes (sept2024 takes the same ones)."""
    reads = _traced_reads("stale_pods", tmp_path)
    assert {"regions.<region>.deployments[].image", "coder.templates[].build_time_p50_s",
            "coder.templates[].version_name", "regions.<region>.nodes[].used_pct", "state_backend.bucket"} <= reads
    undocumented = sorted(path for path in reads if not _documented(path))
    assert not undocumented, "the sandbox reads keys tests/sandbox/README.md does not list: %s" % undocumented


def test_the_trace_records_a_lookup_of_an_undocumented_key():
    """The check above is not vacuous: a read of a key the format does not know shows up as such."""
    reads = Reads()
    traced = trace({"regions": {"us-east-2": {"deployments": [{"name": "coder", "labels": {"a": "b"}}]}}}, reads)
    deployment = traced["regions"]["us-east-2"]["deployments"][0]
    assert deployment.get("rollout_strategy") is None
    assert deployment["labels"]["a"] == "b"  # free-form: not traced below
    assert reads.paths == {"regions", "regions.<region>", "regions.<region>.deployments",
                           "regions.<region>.deployments[].rollout_strategy", "regions.<region>.deployments[].labels"}
    assert not _documented("regions.<region>.deployments[].rollout_strategy")
    assert _documented("regions.<region>") and _documented("regions.<region>.deployments[].labels")


if __name__ == "__main__":
    _run_traced(sys.argv[1], sys.argv[2])
