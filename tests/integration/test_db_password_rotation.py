"""Requirement 2.2, for real: the Coder database password lives in Secrets Manager and rotates automatically.

- A real PostgreSQL (initdb + pg_ctl in a temp dir, a loopback port, password authentication only, and after the
  bootstrap every statement logged) with a role `coder` and a database `coder`.
- The sandbox's Secrets Manager, Lambda and IAM (moto). The role coder.ai_platform.secrets_rotation deploys the
  function and the secret with rotation enabled; enabling rotation makes Secrets Manager (RotateSecret, which
  community.aws.secretsmanager_secret calls) create the empty AWSPENDING version whose id is the rotation's
  ClientRequestToken, and invoke the function. moto cannot run a Lambda here (that needs Docker), so this test plays
  the Lambda service for those invocations: it runs the deployed package (checked byte for byte against the
  function's CodeSha256) in a fresh Python process per invocation, with the function's configured handler and
  environment and the event Secrets Manager sends, {"SecretId", "ClientRequestToken", "Step"}, on the token
  Secrets Manager created. The function's boto3 reaches moto through AWS_ENDPOINT_URL_SECRETS_MANAGER, set in the
  function's environment by the role.
"""

import glob
import io
import json
import os
import pwd
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import boto3
import pg8000.exceptions
import pg8000.native
import pytest

pytestmark = pytest.mark.sandbox

REPO = Path(__file__).resolve().parents[2]
ROLE_FILES = REPO / "roles" / "secrets_rotation" / "files"
REGION = "us-east-2"
SECRET_NAME = "coder/database-rotation-test"
FUNCTION_NAME = "coder-db-password-rotation-test"
PG_PROGRAMS = ("initdb", "pg_ctl", "postgres")

# What the Lambda Python runtime does around a handler: import it from the task directory, call it with the event,
# and on an exception log the error and its traceback (CloudWatch gets both) and report a failed invocation. Logging
# is at DEBUG so that anything a library would log at any level shows up here.
RUNTIME = r"""
import importlib, json, logging, sys, traceback
task_dir, handler, event = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(levelname)s %(name)s %(message)s")
sys.path.insert(0, task_dir)
module_name, function_name = handler.rsplit(".", 1)
function = getattr(importlib.import_module(module_name), function_name)
import pg8000
assert pg8000.__file__.startswith(task_dir), "pg8000 must come from the package, not " + pg8000.__file__
try:
    function(event, None)
except Exception as error:
    logging.getLogger("runtime").error("%s: %s", type(error).__name__, error)
    traceback.print_exc(file=sys.stdout)
    sys.exit(1)
"""


def random_password(length=24):
    return "".join(secrets.choice(string.ascii_letters + string.digits) for dummy in range(length))


def pg_program(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/%s" % name), key=lambda p: float(p.split("/")[4]))
    return candidates[-1] if candidates else None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL cluster; as root, its processes run as the `postgres` (or `nobody`) user."""

    def __init__(self):
        programs = dict((name, pg_program(name)) for name in PG_PROGRAMS)
        missing = [name for name, path in programs.items() if not path]
        if missing:
            pytest.fail("PostgreSQL server programs missing: %s (Debian: apt-get install postgresql; they live in "
                        "/usr/lib/postgresql/<version>/bin)" % ", ".join(missing))
        self.programs = programs
        self.dir = Path(tempfile.mkdtemp(prefix="coder-rotation-pg-"))
        self.user = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            for name in ("postgres", "nobody"):
                try:
                    self.user = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            if self.user is None:
                pytest.fail("running as root and no `postgres` or `nobody` user to run PostgreSQL as")
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        self.port = free_port()
        self.superuser, self.superuser_password = "bootstrap", random_password()
        self.log = self.dir / "server.log"

    def run(self, *argv):
        kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []} if self.user else {}
        run = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, cwd=str(self.dir),
                             **kwargs)
        assert run.returncode == 0, "%s failed: %s%s" % (argv[0], run.stdout, run.stderr)
        return run

    def start(self):
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.superuser_password + "\n")
        if self.user:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        self.run(self.programs["initdb"], "-D", str(self.dir / "data"), "-U", self.superuser, "--pwfile", str(pwfile),
                 "--auth=scram-sha-256", "-E", "UTF8")
        pwfile.unlink()
        options = "-c listen_addresses=127.0.0.1 -p %d -k %s" % (self.port, self.dir)
        self.run(self.programs["pg_ctl"], "-D", str(self.dir / "data"), "-l", str(self.log), "-w", "-t", "60",
                 "-o", options, "start")
        return self

    def stop(self):
        if (self.dir / "data" / "postmaster.pid").exists():
            self.run(self.programs["pg_ctl"], "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def connect(self, user, password, database="postgres"):
        return pg8000.native.Connection(user=user, password=password, host="127.0.0.1", port=self.port,
                                        database=database, timeout=10)

    def superuser_run(self, sql):
        connection = self.connect(self.superuser, self.superuser_password)
        try:
            return connection.run(sql)
        finally:
            connection.close()

    def logs_in(self, user, password):
        """True when the server accepts the password (and a query runs), False when it rejects it."""
        try:
            connection = self.connect(user, password, database="coder")
        except pg8000.exceptions.DatabaseError as error:
            if error.args[0].get("C") == "28P01":
                return False
            raise
        try:
            return connection.run("SELECT current_user")[0][0] == user
        finally:
            connection.close()


@pytest.fixture(scope="module")
def postgres():
    server = Postgres().start()
    server.initial_password = random_password()
    try:
        server.superuser_run("CREATE ROLE coder LOGIN PASSWORD %s" % pg8000.native.literal(server.initial_password))
        server.superuser_run("CREATE DATABASE coder OWNER coder")
        # From here on the server logs every statement, so the test can check that no password reaches it.
        server.superuser_run("ALTER SYSTEM SET log_statement = 'all'")
        server.superuser_run("SELECT pg_reload_conf()")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def aws(sandbox_factory):
    sandbox = sandbox_factory("healthy")
    endpoint = sandbox.endpoints["aws"]
    session = boto3.Session(aws_access_key_id=endpoint["access_key"], aws_secret_access_key=endpoint["secret_key"],
                            region_name=REGION)

    class Aws:
        pass
    result = Aws()
    result.sandbox, result.endpoint = sandbox, endpoint
    result.secretsmanager = session.client("secretsmanager", endpoint_url=endpoint["endpoint_url"])
    result.awslambda = session.client("lambda", endpoint_url=endpoint["endpoint_url"])
    return result


@pytest.fixture(scope="module")
def deployed(aws, postgres, tmp_path_factory):
    """Run the role against the sandbox for the test's PostgreSQL; return the function's configuration."""
    tmp_path = tmp_path_factory.mktemp("rotation-deploy")
    playbook = tmp_path / "deploy.yml"
    playbook.write_text(
        "- name: Deploy the Coder database password rotation\n"
        "  hosts: %s\n"
        "  gather_facts: false\n"
        "  roles:\n"
        "    - coder.ai_platform.secrets_rotation\n" % REGION)
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({
        "secrets_rotation_secret_name": SECRET_NAME, "secrets_rotation_function_name": FUNCTION_NAME,
        "secrets_rotation_role_name": FUNCTION_NAME, "secrets_rotation_db_host": "127.0.0.1",
        "secrets_rotation_db_port": postgres.port, "secrets_rotation_db_password": postgres.initial_password,
        # The test's server has no TLS; real RDS gets the default, require.
        "secrets_rotation_db_tls": "disable",
        "secrets_rotation_secretsmanager_endpoint": aws.endpoint["endpoint_url"]}))
    run = aws.sandbox.playbook(str(playbook), tmp_path, "-e", "@%s" % variables)
    assert run.returncode == 0, run.output[-3000:]
    assert postgres.initial_password not in run.output
    function = aws.awslambda.get_function_configuration(FunctionName=FUNCTION_NAME)
    function["secret_arn"] = aws.secretsmanager.describe_secret(SecretId=SECRET_NAME)["ARN"]
    function["ansible_output"] = run.output
    return function


class LambdaService:
    """Invokes the deployed function the way Lambda does for Secrets Manager: a fresh runtime per invocation, the
    function's handler and environment, the execution role's credentials, one JSON event."""

    def __init__(self, function, aws, task_dir):
        self.function, self.task_dir = function, task_dir
        self.env = {"PATH": os.environ["PATH"], "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                    "AWS_ACCESS_KEY_ID": aws.endpoint["access_key"],
                    "AWS_SECRET_ACCESS_KEY": aws.endpoint["secret_key"],
                    "AWS_LAMBDA_FUNCTION_NAME": function["FunctionName"],
                    **function["Environment"]["Variables"]}
        self.outputs = []

    def invoke(self, step, token):
        event = {"SecretId": self.function["secret_arn"], "ClientRequestToken": token, "Step": step}
        run = subprocess.run([sys.executable, "-I", "-c", RUNTIME, str(self.task_dir), self.function["Handler"],
                              json.dumps(event)], env=self.env, capture_output=True, text=True, timeout=60,
                             check=False)
        output = run.stdout + run.stderr
        self.outputs.append(output)
        return run.returncode == 0, output


@pytest.fixture(scope="module")
def lambda_service(deployed, aws, tmp_path_factory):
    """The deployed package, rebuilt from the same inputs (the build is reproducible) and checked against the
    function's CodeSha256, then unpacked as Lambda unpacks it into its task directory."""
    tmp_path = tmp_path_factory.mktemp("rotation-lambda")
    build = subprocess.run([sys.executable, str(ROLE_FILES / "build_package.py"), "--output",
                            str(tmp_path / "function.zip"), "--handler",
                            str(ROLE_FILES / "coder_db_password_rotation.py"), "--distribution", "pg8000"],
                           capture_output=True, text=True, timeout=60, check=True)
    package = json.loads(build.stdout)
    assert package["sha256"] == deployed["CodeSha256"], "the package differs from the deployed function"
    task_dir = tmp_path / "task"
    with zipfile.ZipFile(io.BytesIO((tmp_path / "function.zip").read_bytes())) as archive:
        archive.extractall(task_dir)
    return LambdaService(deployed, aws, task_dir)


def stages(aws, arn):
    return aws.secretsmanager.describe_secret(SecretId=arn)["VersionIdsToStages"]


def secret_value(aws, arn, stage, version=None):
    kwargs = {"SecretId": arn, "VersionStage": stage}
    if version:
        kwargs["VersionId"] = version
    response = aws.secretsmanager.get_secret_value(**kwargs)
    return response["VersionId"], json.loads(response["SecretString"])


def pending_token(aws, arn):
    """The version RotateSecret created for the rotation in progress: AWSPENDING and not (yet) AWSCURRENT."""
    tokens = [version for version, labels in stages(aws, arn).items()
              if "AWSPENDING" in labels and "AWSCURRENT" not in labels]
    assert len(tokens) == 1, stages(aws, arn)
    return tokens[0]


def test_the_rotation_secrets_manager_started_changes_the_password(aws, postgres, deployed, lambda_service):
    arn = deployed["secret_arn"]
    invoke = lambda_service.invoke
    initial_version, initial = secret_value(aws, arn, "AWSCURRENT")
    assert initial == {"engine": "postgres", "host": "127.0.0.1", "port": postgres.port, "username": "coder",
                       "password": postgres.initial_password, "dbname": "coder"}
    assert aws.secretsmanager.describe_secret(SecretId=arn)["RotationEnabled"] is True

    # Enabling rotation started one: Secrets Manager created the AWSPENDING version, still without a value.
    token = pending_token(aws, arn)
    with pytest.raises(aws.secretsmanager.exceptions.ResourceNotFoundException):
        secret_value(aws, arn, "AWSPENDING", token)

    # createSecret puts a new password as that version; invoked again (a Lambda retry) it keeps it.
    ok, output = invoke("createSecret", token)
    assert ok, output
    dummy_version, pending = secret_value(aws, arn, "AWSPENDING", token)
    new_password = pending["password"]
    assert new_password != postgres.initial_password and len(new_password) == 32 and new_password.isalnum()
    assert dict(pending, password=None) == dict(initial, password=None)
    ok, output = invoke("createSecret", token)
    assert ok and "already holds the new password" in output, output
    assert secret_value(aws, arn, "AWSPENDING", token)[1]["password"] == new_password

    # A testSecret that fails (here: the database does not have the pending password yet) changes nothing.
    ok, output = invoke("testSecret", token)
    assert not ok and "ValueError: testSecret: the AWSPENDING password" in output, output
    assert secret_value(aws, arn, "AWSCURRENT") == (initial_version, initial)
    assert postgres.logs_in("coder", postgres.initial_password)
    assert not postgres.logs_in("coder", new_password)

    # setSecret changes the password in PostgreSQL; again, it sees the pending password already works.
    ok, output = invoke("setSecret", token)
    assert ok and "logged in with AWSCURRENT and set the AWSPENDING password" in output, output
    assert postgres.logs_in("coder", new_password)
    assert not postgres.logs_in("coder", postgres.initial_password)
    ok, output = invoke("setSecret", token)
    assert ok and "already logs in" in output, output

    for dummy_attempt in range(2):
        ok, output = invoke("testSecret", token)
        assert ok and "logs in and runs a query" in output, output

    # finishSecret makes the new version AWSCURRENT; the old one becomes AWSPREVIOUS.
    ok, output = invoke("finishSecret", token)
    assert ok and "moved AWSCURRENT" in output, output
    assert secret_value(aws, arn, "AWSCURRENT") == (token, pending)
    assert secret_value(aws, arn, "AWSPREVIOUS") == (initial_version, initial)
    labels = stages(aws, arn)
    # The two end states AWS allows: AWSPENDING gone, or on the AWSCURRENT version.
    assert [v for v, stage in labels.items() if "AWSPENDING" in stage] in ([], [token]), labels

    # Every step invoked again after the rotation finished is harmless.
    for step in ("finishSecret", "createSecret", "setSecret", "testSecret"):
        ok, output = invoke(step, token)
        assert ok and "already AWSCURRENT" in output, output
    assert secret_value(aws, arn, "AWSCURRENT") == (token, pending)
    assert postgres.logs_in("coder", new_password)
    assert not postgres.logs_in("coder", postgres.initial_password)

    # No password in anything the function logged (DEBUG included, tracebacks included), nor in the statements the
    # server logged: ALTER ROLE was given a SCRAM verifier, never the password.
    server_log = postgres.log.read_text()
    assert "ALTER ROLE" in server_log
    for text in lambda_service.outputs + [server_log, deployed["ansible_output"]]:
        for password in (postgres.initial_password, new_password):
            assert password not in text


def test_the_next_rotation_recovers_with_awsprevious_after_a_restore(aws, postgres, deployed, lambda_service):
    """The next scheduled rotation, after the database was restored from a snapshot taken before the last one (so
    it has the AWSPREVIOUS password again): setSecret logs in with AWSPREVIOUS and sets the new password."""
    arn = deployed["secret_arn"]
    dummy_version, current = secret_value(aws, arn, "AWSCURRENT")
    dummy_version, previous = secret_value(aws, arn, "AWSPREVIOUS")
    assert current["password"] != previous["password"], "runs after the first rotation"
    postgres.superuser_run("ALTER ROLE coder PASSWORD %s" % pg8000.native.literal(previous["password"]))

    # What Secrets Manager does when the rotation is due (RotateSecret with the configured function).
    try:
        token = aws.secretsmanager.rotate_secret(SecretId=arn, RotationLambdaARN=deployed["FunctionArn"])["VersionId"]
    except aws.secretsmanager.exceptions.InvalidRequestException as error:
        pytest.fail("RotateSecret after a finished rotation: %s. AWS removes AWSPENDING when finishSecret moves "
                    "AWSCURRENT; moto 5.2 does not, then refuses: the sandbox needs its Secrets Manager patch in "
                    "tests/sandbox/moto_patches.py" % error)
    assert token == pending_token(aws, arn)
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        ok, output = lambda_service.invoke(step, token)
        assert ok, output
        if step == "setSecret":
            assert "logged in with AWSPREVIOUS" in output, output
    dummy_version, rotated = secret_value(aws, arn, "AWSCURRENT")
    assert dummy_version == token
    assert postgres.logs_in("coder", rotated["password"])
    assert not postgres.logs_in("coder", previous["password"])
    for text in lambda_service.outputs:
        for password in (current["password"], previous["password"], rotated["password"]):
            assert password not in text
