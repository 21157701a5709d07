# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A read-only Kubernetes ``get_json`` straight from a kubeconfig, without importing the ``kubernetes`` package.

Why: the gate's cluster reads are a dozen raw GETs, and importing the ``kubernetes`` client (every API class and
model) costs more CPU than all of the gate's other imports together - measured in docs/gate-performance.md. So
the gather reads kubeconfigs itself when they use only what kubectl's common cases use:

- the cluster's ``server``, ``certificate-authority`` / ``-data``, ``insecure-skip-tls-verify``;
- the user's ``token``, ``tokenFile``, ``client-certificate`` / ``-data`` and ``client-key`` / ``-data``, or an
  ``exec`` credential plugin (``client.authentication.k8s.io`` v1 or v1beta1: what ``aws eks update-kubeconfig``
  writes), run once per reader; its token or client certificate is used as kubectl would;
- kubernetes.core's option names and fallbacks: ``kubeconfig`` (a path or a dict), ``context``, ``host``,
  ``api_key``, ``validate_certs``, ``ca_cert``, ``client_cert``, ``client_key``, then E(K8S_AUTH_KUBECONFIG),
  E(K8S_AUTH_CONTEXT), E(K8S_AUTH_HOST), E(K8S_AUTH_API_KEY), E(K8S_AUTH_VERIFY_SSL), E(K8S_AUTH_SSL_CA_CERT),
  E(K8S_AUTH_CERT_FILE), E(K8S_AUTH_KEY_FILE), E(KUBECONFIG) and C(~/.kube/config).

Anything else (an ``auth-provider``, user name and password, a proxy, impersonation) raises ``Unsupported``, and the
caller builds kubernetes.core's client instead, so no kubeconfig that works with kubernetes.core stops working.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import Request, make_context

try:
    import yaml
except ImportError:  # PyYAML comes with ansible-core
    yaml = None

from ansible_collections.coder.ai_platform.plugins.module_utils.clients.kube_gather import KubeReadError

SUPPORTED_OPTIONS = ("kubeconfig", "context", "host", "api_key", "validate_certs", "ca_cert", "client_cert",
                     "client_key")
ENV_FALLBACKS = {"kubeconfig": "K8S_AUTH_KUBECONFIG", "context": "K8S_AUTH_CONTEXT", "host": "K8S_AUTH_HOST",
                 "api_key": "K8S_AUTH_API_KEY", "validate_certs": "K8S_AUTH_VERIFY_SSL",
                 "ca_cert": "K8S_AUTH_SSL_CA_CERT", "client_cert": "K8S_AUTH_CERT_FILE",
                 "client_key": "K8S_AUTH_KEY_FILE"}
USER_KEYS = ("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key", "client-key-data",
             "exec")
EXEC_TIMEOUT = 60


class Unsupported(Exception):
    """This connection needs kubernetes.core's client."""


def _env_options(auth):
    options = {}
    for name in SUPPORTED_OPTIONS:
        value = auth.get(name)
        if value is None and os.environ.get(ENV_FALLBACKS[name]):
            value = os.environ[ENV_FALLBACKS[name]]
            if name == "validate_certs":
                value = value.lower() not in ("false", "no", "0", "off")
        if value is not None:
            options[name] = value
    return options


def _load_config(kubeconfig):
    if isinstance(kubeconfig, dict):
        return kubeconfig
    paths = [kubeconfig] if kubeconfig else (
        os.environ.get("KUBECONFIG", "").split(os.pathsep) if os.environ.get("KUBECONFIG")
        else [os.path.expanduser("~/.kube/config")])
    merged = {"clusters": [], "users": [], "contexts": [], "current-context": None}
    for path in [p for p in paths if p]:
        try:
            with open(os.path.expanduser(path)) as handle:
                data = yaml.safe_load(handle) or {}
        except (IOError, OSError) as err:
            if kubeconfig:
                raise KubeReadError("cannot build a Kubernetes client: kubeconfig %s: %s" % (path, err))
            continue
        except yaml.YAMLError as err:
            raise KubeReadError("cannot build a Kubernetes client: kubeconfig %s is not YAML: %s" % (path, err))
        for kind in ("clusters", "users", "contexts"):
            known = set(item.get("name") for item in merged[kind])
            merged[kind].extend(item for item in data.get(kind) or [] if item.get("name") not in known)
        merged["current-context"] = merged["current-context"] or data.get("current-context")
        merged.setdefault("base", os.path.dirname(os.path.abspath(os.path.expanduser(path))))
    return merged


def _named(config, kind, name):
    for item in config.get(kind) or []:
        if item.get("name") == name:
            return item.get(kind[:-1]) or {}
    raise KubeReadError("cannot build a Kubernetes client: kubeconfig has no %s named %r" % (kind[:-1], name))


class Connection(object):
    """Where and how to connect: ``server``, TLS files, and the headers (the bearer token)."""

    def __init__(self, server, validate_certs=True, ca_file=None, cert_file=None, key_file=None, token=None):
        self.server = server.rstrip("/")
        self.validate_certs = validate_certs
        self.ca_file = ca_file
        self.cert_file = cert_file
        self.key_file = key_file
        self.token = token


def resolve(auth, tmpdir):
    """The Connection that ``auth`` (kubernetes.core's option names) means. Raises Unsupported or KubeReadError."""
    auth = dict((k, v) for k, v in (auth or {}).items() if v is not None)
    extra = sorted(set(auth) - set(SUPPORTED_OPTIONS))
    if extra:
        raise Unsupported(", ".join(extra))
    if yaml is None:
        raise Unsupported("PyYAML is missing")
    options = _env_options(auth)
    if options.get("host") and not options.get("kubeconfig") and not os.environ.get("KUBECONFIG"):
        cluster, user, base = {"server": options["host"]}, {}, os.getcwd()
    else:
        config = _load_config(options.get("kubeconfig"))
        name = options.get("context") or config.get("current-context")
        if not name:
            raise KubeReadError("cannot build a Kubernetes client: no context given and no current-context")
        context = _named(config, "contexts", name)
        cluster = dict(_named(config, "clusters", context.get("cluster")))
        user = dict(_named(config, "users", context.get("user"))) if context.get("user") else {}
        base = config.get("base") or os.getcwd()
        unknown = sorted(set(user) - set(USER_KEYS))
        if unknown or cluster.get("proxy-url"):
            raise Unsupported(", ".join(unknown + (["proxy-url"] if cluster.get("proxy-url") else [])))
    server = options.get("host") or cluster.get("server")
    if not server:
        raise KubeReadError("cannot build a Kubernetes client: the cluster has no server")
    validate = options.get("validate_certs")
    if validate is None:
        validate = not cluster.get("insecure-skip-tls-verify", False)
    connection = Connection(server, validate_certs=bool(validate))
    connection.ca_file = options.get("ca_cert") or _file(cluster, "certificate-authority", base, tmpdir)
    connection.cert_file = options.get("client_cert") or _file(user, "client-certificate", base, tmpdir)
    connection.key_file = options.get("client_key") or _file(user, "client-key", base, tmpdir)
    connection.token = options.get("api_key") or user.get("token")
    if not connection.token and user.get("tokenFile"):
        connection.token = _read(os.path.join(base, user["tokenFile"])).strip()
    if not (options.get("api_key") or user.get("token") or user.get("tokenFile")) and user.get("exec"):
        _run_exec(user["exec"], connection, tmpdir, server)
    return connection


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError) as err:
        raise KubeReadError("cannot build a Kubernetes client: %s" % err)


def _file(section, key, base, tmpdir):
    """A path for ``key`` (relative to the kubeconfig) or ``key-data`` (base64, written to a private file)."""
    if section.get(key + "-data"):
        return _write(tmpdir, key, base64.b64decode(section[key + "-data"]))
    if section.get(key):
        return os.path.join(base, os.path.expanduser(section[key]))
    return None


def _write(tmpdir, name, data):
    path = os.path.join(tmpdir, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _run_exec(spec, connection, tmpdir, server):
    """Run a client-go credential plugin and take its token or client certificate."""
    if not spec.get("command"):
        raise KubeReadError("cannot build a Kubernetes client: the exec credential plugin has no command")
    command = [spec["command"]] + list(spec.get("args") or [])
    env = dict(os.environ)
    for item in spec.get("env") or []:
        env[item["name"]] = item.get("value", "")
    api_version = spec.get("apiVersion") or "client.authentication.k8s.io/v1"
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": api_version, "kind": "ExecCredential",
                                              "spec": {"interactive": False}})
    try:
        run = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                             timeout=EXEC_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise KubeReadError("cannot build a Kubernetes client: exec credential plugin %s: %s" % (command[0], err))
    if run.returncode != 0:
        detail = (run.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise KubeReadError("cannot build a Kubernetes client: exec credential plugin %s exited %d: %s" % (
            command[0], run.returncode, detail[-1] if detail else "no message"))
    try:
        status = json.loads(run.stdout.decode("utf-8")).get("status") or {}
    except ValueError:
        raise KubeReadError("cannot build a Kubernetes client: exec credential plugin %s did not print JSON"
                            % command[0])
    if status.get("token"):
        connection.token = status["token"]
    elif status.get("clientCertificateData") and status.get("clientKeyData"):
        connection.cert_file = _write(tmpdir, "exec-client-certificate", status["clientCertificateData"])
        connection.key_file = _write(tmpdir, "exec-client-key", status["clientKeyData"])
    else:
        raise KubeReadError("cannot build a Kubernetes client: exec credential plugin %s gave no token or "
                            "certificate for %s" % (command[0], server))


def http_reader(auth, timeout):
    """A ``get_json(path, query)`` for the cluster ``auth`` names; raises Unsupported (use kubernetes.core) or
    KubeReadError (the cluster cannot be reached with this configuration)."""
    tmpdir = tempfile.mkdtemp(prefix="coder-ai-kube-")
    try:
        connection = resolve(auth, tmpdir)
        # The SSL context reads the CA and the client key now; the private copies of *-data are gone after it.
        context = make_context(cafile=connection.ca_file, validate_certs=connection.validate_certs,
                               client_cert=connection.cert_file, client_key=connection.key_file)
    except (IOError, OSError, ValueError) as err:
        raise KubeReadError("cannot build a Kubernetes client: TLS settings: %s" % err)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    headers = {"Accept": "application/json"}
    if connection.token:
        headers["Authorization"] = "Bearer %s" % connection.token

    def get_json(path, query):
        url = connection.server + path
        if query:
            url += "?" + urlencode(sorted(query.items()))
        try:
            response = Request().open("GET", url, headers=headers, timeout=timeout, context=context,
                                      validate_certs=connection.validate_certs, use_netrc=False,
                                      follow_redirects="safe")
            return json.loads(response.read().decode("utf-8"))
        except HTTPError as err:
            raise KubeReadError("GET %s: HTTP %s %s" % (path, err.code, _status_message(err)),
                                not_found=err.code == 404)
        except URLError as err:
            raise KubeReadError("GET %s: cannot reach the cluster (%s)" % (path, getattr(err, "reason", err)))
        except (socket.timeout, OSError) as err:
            raise KubeReadError("GET %s: cannot reach the cluster (%s)" % (path, err or "timed out"))
        except ValueError as err:
            raise KubeReadError("GET %s: the answer is not JSON (%s)" % (path, err))
    return get_json


def _status_message(err):
    try:
        body = json.loads(err.read().decode("utf-8"))
        return body.get("message") or err.reason
    except (ValueError, AttributeError, IOError):
        return err.reason
