# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The HTTP options every module that calls an HTTP API shares (plugins/module_utils/core/http_args.py).
    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - Seconds one HTTP call may take, its retries and their backoff included; a server that accepts the
        connection and never answers costs exactly this.
      - The C(_info) modules bound their whole read by it too, every call together, so a throttled or hanging
        service cannot stretch the task beyond O(timeout).
    type: int
    default: 10
  retries:
    description:
      - How many times to repeat a call answered C(429) or C(5xx), or cut off mid-answer, with jittered
        exponential backoff (half a second, doubling, at most 5 s) or the server's C(Retry-After) when it is at
        most 10 s. Only within O(timeout).
      - A C(401), C(403), C(404) or other C(4xx) is never repeated; a C(POST) is repeated only on C(429) and C(503).
      - C(0) turns retries off.
    type: int
    default: 3
  validate_certs:
    description:
      - Verify the server's TLS certificate. Turn off only for a test deployment with a self-signed certificate;
        prefer O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify the server with, instead of the system's trust store (a private
        CA in front of the platform).
    type: path
  client_cert:
    description:
      - A PEM certificate chain to present for mutual TLS. It may hold the private key too, else give O(client_key).
    type: path
  client_key:
    description:
      - The PEM private key of O(client_cert), when that file does not hold it. Requires O(client_cert).
    type: path
  use_proxy:
    description:
      - Use the proxy that the C(https_proxy), C(http_proxy) and C(no_proxy) environment variables name. C(false)
        connects directly.
    type: bool
    default: true
notes:
  - The HTTP client never reads C(~/.netrc), so a netrc entry for the host cannot replace the module's token.
  - Every request carries C(User-Agent) C(coder.ai_platform/<version>), so the server's logs show the collection.
"""

    # The same for a module built on AnsibleAWSModule, whose own validate_certs (an AWS common option) also
    # applies to its HTTP calls.
    AWS = r"""
options:
  timeout:
    description:
      - Seconds one HTTP call may take, its retries and their backoff included; a server that accepts the
        connection and never answers costs exactly this.
      - The C(_info) modules bound their whole HTTP read by it too, every call together.
    type: int
    default: 10
  retries:
    description:
      - How many times to repeat an HTTP call answered C(429) or C(5xx), or cut off mid-answer, with jittered
        exponential backoff or the server's C(Retry-After) when it is at most 10 s. Only within O(timeout). A
        C(4xx) other than C(429) is never repeated. C(0) turns retries off.
    type: int
    default: 3
  ca_path:
    description:
      - A PEM file of CA certificates to verify the HTTP server with, instead of the system's trust store.
      - The AWS option O(validate_certs) turns verification off for the HTTP calls too.
    type: path
  client_cert:
    description:
      - A PEM certificate chain to present for mutual TLS. It may hold the private key too, else give O(client_key).
    type: path
  client_key:
    description:
      - The PEM private key of O(client_cert), when that file does not hold it. Requires O(client_cert).
    type: path
  use_proxy:
    description:
      - Use the proxy that the C(https_proxy), C(http_proxy) and C(no_proxy) environment variables name for the
        HTTP calls. C(false) connects directly.
    type: bool
    default: true
notes:
  - The HTTP client never reads C(~/.netrc), and every request carries C(User-Agent) C(coder.ai_platform/<version>).
"""
