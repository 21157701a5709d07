# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one argument spec of the HTTP modules, and the connection options of the ``platform`` action group.

Documented by the doc fragments ``coder.ai_platform.http_options`` (this spec) and
``coder.ai_platform.platform_group`` (the group's connection options). The modules of
``group/coder.ai_platform.platform`` all accept the same connection option names, so one ``module_defaults``
block can carry both services' URLs and credentials:
``coder_url``/``coder_token`` reach only the modules that call Coder, ``litellm_url``/``litellm_master_key`` only
the one that calls LiteLLM, and each module accepts the other service's options without using them.
``url``, ``token`` and ``master_key`` stay as aliases for tasks that name them; in a ``module_defaults`` block use
the prefixed names, since a group's defaults reach every module of the group.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import urlparse

# required_by for AnsibleModule: a key without its certificate means nothing.
HTTP_REQUIRED_BY = {"client_key": ["client_cert"]}
MAX_RETRIES = 10


def http_argument_spec(timeout=10, validate_certs=True):
    """timeout, retries, validate_certs, ca_path, client_cert, client_key, use_proxy.

    ``validate_certs=False`` leaves that option out, for modules that already have it (the AWS common options of
    an ``AnsibleAWSModule``, which then applies to both).
    """
    spec = dict(
        timeout=dict(type="int", default=timeout),
        retries=dict(type="int", default=3),
        ca_path=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path", no_log=False),
        use_proxy=dict(type="bool", default=True),
    )
    if validate_certs:
        spec["validate_certs"] = dict(type="bool", default=True)
    return spec


def coder_connection_spec():
    """Connection options of a module that calls Coder (the LiteLLM pair is accepted, unused)."""
    return dict(
        coder_url=dict(type="str", required=True, aliases=["url"], fallback=(env_fallback, ["CODER_URL"])),
        coder_token=dict(type="str", required=True, no_log=True, aliases=["token"],
                         fallback=(env_fallback, ["CODER_SESSION_TOKEN"])),
        litellm_url=dict(type="str"),
        litellm_master_key=dict(type="str", no_log=True),
    )


def litellm_connection_spec():
    """Connection options of a module that calls LiteLLM (the Coder pair is accepted, unused)."""
    return dict(
        litellm_url=dict(type="str", required=True, aliases=["url"], fallback=(env_fallback, ["LITELLM_URL"])),
        litellm_master_key=dict(type="str", required=True, no_log=True, aliases=["master_key"],
                                fallback=(env_fallback, ["LITELLM_MASTER_KEY"])),
        coder_url=dict(type="str"),
        coder_token=dict(type="str", no_log=True),
    )


def url_problem(name, value):
    """Why ``value`` is not a usable base URL for option ``name``, or None when it is."""
    parsed = urlparse(value or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return "%s must be an http:// or https:// URL with a host, got %r" % (name, value)
    return None


def http_problems(params, urls=()):
    """Messages for every bad HTTP input among ``params``; ``urls`` names the URL options to check (when set)."""
    problems = []
    for name in urls:
        if params.get(name) is not None:
            problem = url_problem(name, params[name])
            if problem:
                problems.append(problem)
    if params["timeout"] < 1:
        problems.append("timeout must be at least 1 second, got %d" % params["timeout"])
    if not 0 <= params["retries"] <= MAX_RETRIES:
        problems.append("retries must be between 0 and %d, got %d" % (MAX_RETRIES, params["retries"]))
    return problems


def check_http_params(module, urls=()):
    """Fail the module, naming the option, when an HTTP input is bad; never reaches the network."""
    problems = http_problems(module.params, urls)
    if problems:
        module.fail_json(msg="; ".join(problems))


def http_client_options(params, bound_task=False, now=None):
    """Keyword arguments for ``JsonHttpClient`` (and the clients built on it) from the module's params.

    ``bound_task``: every call of the task shares one deadline, ``timeout`` seconds from ``now``, so the whole
    read -- each call, retry and backoff -- ends within ``timeout`` (what a gate's time bound needs).
    """
    options = dict(timeout=params["timeout"], validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                   client_cert=params["client_cert"], client_key=params["client_key"],
                   use_proxy=params["use_proxy"], retries=params["retries"])
    if bound_task:
        options["deadline"] = (time.monotonic() if now is None else now) + params["timeout"]
    return options
