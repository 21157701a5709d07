"""The gather mechanism (core/gather.py): sources run at once, each bounded by the deadline; a reader that hangs,
crashes or waits on a source that never finishes becomes a failed result naming why; parameters are validated
like a module's, naming the source, and no_log values are collected."""

import threading
import time

import pytest

from ansible_collections.coder.ai_platform.plugins.module_utils.core import gather


@pytest.fixture
def sources(monkeypatch):
    """A private registry, so the tests' sources do not leak into the gate's."""
    registry = {}
    monkeypatch.setattr(gather, "SOURCES", registry)
    return registry


def ctx():
    return gather.Context("region-a", "us-east-2", timeout=1, deadline_s=2)


def test_sources_run_at_once_so_the_gather_takes_as_long_as_the_slowest(sources):
    barrier = threading.Barrier(3, timeout=2)

    def read(context, params):
        barrier.wait()  # only passes when all three run at the same time
        return {"value": params["n"]}
    gather.register_source("s", "region", {"n": {"type": "int"}}, read)
    jobs = [gather.Job("r%d/s" % n, "s", {"n": n}, ctx()) for n in range(3)]
    started = time.monotonic()
    gather.run_jobs(jobs, 5)
    assert time.monotonic() - started < 2
    assert [j.result for j in jobs] == [{"value": 0}, {"value": 1}, {"value": 2}]
    assert all(j.seconds is not None and not j.timed_out for j in jobs)


def test_a_hanging_source_ends_at_the_deadline_as_a_failure_of_each_section_and_others_are_kept(sources):
    release = threading.Event()
    gather.register_source("hang", "region", {}, lambda c, p: release.wait(30) and {}, sections=("a", "b"))
    gather.register_source("quick", "region", {}, lambda c, p: {"ok": True})
    jobs = [gather.Job("r/hang", "hang", {}, ctx()), gather.Job("r/quick", "quick", {}, ctx())]
    started = time.monotonic()
    gather.run_jobs(jobs, 0.5)
    elapsed = time.monotonic() - started
    release.set()
    assert 0.5 <= elapsed < 1.5
    hang, quick = jobs
    assert hang.timed_out and hang.result["failed"] is True
    assert "r/hang: no answer within 0.5s" in hang.result["msg"]
    assert hang.result["errors"] == {"a": hang.result["msg"], "b": hang.result["msg"]}
    assert quick.result == {"ok": True}
    hang.finish({"late": True}, 9)  # a late answer does not replace the deadline's verdict
    assert hang.result["failed"] is True


def test_a_crashing_reader_is_a_failure_naming_the_exception_and_where(sources):
    def read(context, params):
        return {}["missing"]
    gather.register_source("buggy", "global", {}, read, sections=("x",))
    job = gather.Job("buggy", "buggy", {}, ctx())
    gather.run_jobs([job], 2)
    assert job.result["failed"] is True and job.input_error is None
    assert "buggy: the reader crashed: KeyError: 'missing'" in job.result["msg"]
    assert "test_gather.py" in job.result["msg"]  # the frame that raised
    assert job.result["errors"] == {"x": job.result["msg"]}


def test_a_source_runs_after_the_ones_it_needs_and_reads_their_results(sources):
    order = []

    def first(context, params):
        time.sleep(0.2)
        order.append("first")
        return {"n": 41}

    def second(context, params):
        order.append("second")
        return {"n": context.results["first"]["n"] + 1}
    gather.register_source("first", "global", {}, first)
    gather.register_source("second", "global", {}, second, after=("first",))
    context = ctx()
    one = gather.Job("first", "first", {}, context)
    two = gather.Job("second", "second", {}, context, after=[one])
    gather.run_jobs([two, one], 2)
    assert order == ["first", "second"] and two.result == {"n": 42}


def test_a_source_whose_dependency_never_finishes_says_so(sources):
    gather.register_source("slow", "global", {}, lambda c, p: time.sleep(5) or {})
    gather.register_source("after_slow", "global", {}, lambda c, p: {"ran": True}, after=("slow",))
    context = ctx()
    slow = gather.Job("slow", "slow", {}, context)
    dependent = gather.Job("after_slow", "after_slow", {}, context, after=[slow])
    gather.run_jobs([slow, dependent], 0.3)
    assert dependent.result["failed"] is True
    assert "slow" in dependent.result["msg"]


def test_an_input_error_is_kept_apart_from_dependency_failures(sources):
    def read(context, params):
        raise gather.InputError("capacity.confidence must be below 1")
    gather.register_source("plan", "global", {}, read)
    job = gather.Job("plan", "plan", {}, ctx())
    gather.run_jobs([job], 2)
    assert job.input_error == "plan: capacity.confidence must be below 1"


def test_registration_refuses_duplicates_unknown_dependencies_and_bad_scopes(sources):
    gather.register_source("one", "global", {}, lambda c, p: {})
    with pytest.raises(ValueError, match="registered twice"):
        gather.register_source("one", "global", {}, lambda c, p: {})
    with pytest.raises(ValueError, match="not registered"):
        gather.register_source("two", "global", {}, lambda c, p: {}, after=("nope",))
    with pytest.raises(ValueError, match="scope must be one of"):
        gather.register_source("three", "everywhere", {}, lambda c, p: {})


def test_parameters_are_validated_like_module_options_and_secrets_are_collected(sources):
    spec = {"url": {"type": "str", "required": True}, "token": {"type": "str", "no_log": True},
            "retries": {"type": "int", "default": 3}}
    gather.register_source("svc", "global", spec, lambda c, p: {})
    params, secrets = gather.validate_params("svc", {"url": "https://x", "token": "s3cr3t-value"})
    assert params == {"url": "https://x", "token": "s3cr3t-value", "retries": 3}
    assert secrets == {"s3cr3t-value"}
    with pytest.raises(gather.InputError, match="gather source svc: .*url"):
        gather.validate_params("svc", {})
    with pytest.raises(gather.InputError, match="gather source svc: .*retries"):
        gather.validate_params("svc", {"url": "https://x", "retries": "many"})
    with pytest.raises(gather.InputError, match="unknown gather source 'nope'"):
        gather.validate_params("nope", {})


def test_a_source_s_own_input_checks_run_at_validation(sources):
    gather.register_source("svc", "global", {"url": {"type": "str"}}, lambda c, p: {},
                           problems=lambda p: [] if p["url"].startswith("http") else ["url needs a scheme"])
    with pytest.raises(gather.InputError, match="url needs a scheme"):
        gather.validate_params("svc", {"url": "coder.example"})


def test_run_parallel_bounds_each_call_and_returns_errors_as_values():
    calls = {"ok": lambda: 1, "boom": lambda: 1 / 0, "slow": lambda: time.sleep(3)}
    started = time.monotonic()
    out = gather.run_parallel(calls, 0.3)
    assert time.monotonic() - started < 1.5
    assert out["ok"] == (1, None)
    assert isinstance(out["boom"][1], ZeroDivisionError)
    assert isinstance(out["slow"][1], gather.GatherTimeout)


def test_the_context_builds_the_kubernetes_reader_once_and_names_a_missing_connection():
    built = []
    context = gather.Context("r", "eu-west-2", kube_factory=lambda: built.append(1) or "reader")
    assert context.kube() == "reader" and context.kube() == "reader" and built == [1]
    with pytest.raises(ValueError, match="r: no AWS connection"):
        context.aws("ec2")
    with pytest.raises(ValueError, match="no Kubernetes connection"):
        gather.Context("q", "eu-west-2").kube()


def test_the_gate_s_sources_are_registered_with_their_scopes():
    from ansible_collections.coder.ai_platform.plugins.module_utils.core import sources  # noqa: F401
    registered = dict((name, s.scope) for name, s in gather.SOURCES.items())
    expected = {"coder": "global", "litellm": "global", "plan": "global", "state_backend": "global",
                "images": "region", "cluster": "region", "protection": "region"}
    assert dict((name, registered.get(name)) for name in expected) == expected
    assert gather.SOURCES["plan"].after == ("coder",)
