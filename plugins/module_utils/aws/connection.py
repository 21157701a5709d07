# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""boto3 clients for readers that run in threads: one session, one client per (service, region), each call bounded.

``AnsibleAWSModule.client()`` builds a new boto3 session for every client, and a new session parses the service's
model again (EC2's alone takes 0.3-0.5 s of CPU). A gather that reads a dozen services in several regions shares one
session here, so each model is parsed once, and creates the clients under a lock (a boto3 session is not
thread-safe; its clients are). Connection settings are the module's own (``get_aws_connection_info``: profile,
keys, endpoint, CA bundle, ``aws_config``), exactly as ``module.client()`` would use them; every client gets the
collection's retry decorator (``aws_retry=True`` calls) and connect/read timeouts, so one hung endpoint ends as an
error after about ``timeout`` seconds instead of botocore's 60 s times its retries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

try:
    import boto3
    import botocore.config
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper


def aws_errors():
    """The exceptions an AWS read can raise (a service error, or no answer)."""
    return (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)


class AwsClients(object):
    """``clients(service, region=None)`` -> a retrying client of the module's connection, for ``region``."""

    def __init__(self, module, timeout=None, user_agent=None):
        self.region, self.endpoint_url, params = get_aws_connection_info(module)
        params = dict(params)
        self.profile = params.pop("profile_name", None)
        config = botocore.config.Config(user_agent_extra=user_agent) if user_agent else botocore.config.Config()
        if timeout:
            # One retry for a transient failure; throttling is retried by AWSRetry on each aws_retry=True call.
            config = config.merge(botocore.config.Config(connect_timeout=timeout, read_timeout=timeout,
                                                         retries={"mode": "standard", "total_max_attempts": 2}))
        for name in ("config", "aws_config"):
            extra = params.pop(name, None)
            if extra:  # the user's own aws_config wins over these defaults
                config = config.merge(extra if isinstance(extra, botocore.config.Config)
                                      else botocore.config.Config(**extra))
        self.config = config
        self.params = params
        self.retry = AWSRetry.jittered_backoff()
        self.lock = threading.Lock()
        self.session = None
        self.cache = {}

    def __call__(self, service, region=None):
        region = region or self.region
        with self.lock:
            if (service, region) not in self.cache:
                if self.session is None:
                    self.session = boto3.session.Session(profile_name=self.profile)
                client = self.session.client(service, config=self.config, region_name=region,
                                             endpoint_url=self.endpoint_url, **self.params)
                self.cache[(service, region)] = RetryingBotoClientWrapper(client, self.retry)
            return self.cache[(service, region)]


def module_clients(module):
    """``clients(service, region=None)`` over ``module.client()`` (a session per client, as amazon.aws does it): for
    single-purpose modules, which create few clients; a gather that creates many uses AwsClients."""
    retry = AWSRetry.jittered_backoff()

    def client(service, region=None):
        if region:
            return module.client(service, retry_decorator=retry, region=region)
        return module.client(service, retry_decorator=retry)
    return client
