# Copyright: (c) 2026, Coder platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Secrets Manager rotation function for the Coder PostgreSQL password (single-user strategy).

Secrets Manager invokes `lambda_handler` four times per rotation with {"SecretId", "ClientRequestToken", "Step"}:

- createSecret: put a new password (GetRandomPassword) as the AWSPENDING version whose id is the token; nothing
  to do when that version already holds a value (a retried invocation).
- setSecret: log in with AWSPENDING (already set: done), else AWSCURRENT, else AWSPREVIOUS (a retried rotation whose
  AWSCURRENT no longer works), and change the user's own password to the pending one.
- testSecret: log in with AWSPENDING and run a query.
- finishSecret: move AWSCURRENT to the token's version (Secrets Manager moves AWSPREVIOUS to the old one); nothing
  to do when it is already there.

The secret is JSON like the ones RDS creates: engine (postgres), host, port, username, password, dbname.
Every step is idempotent: Lambda retries a failed invocation and Secrets Manager retries a failed rotation.

The password never appears in a log line, an exception or a SQL statement: ALTER ROLE is given a SCRAM-SHA-256
verifier computed here (as psql's \\password does), so even statement logging on the server records no password.

Environment:
  DB_TLS               require (default: TLS, server certificate not verified), verify-full (TLS, certificate and
                       host name verified against DB_TLS_CA_FILE or the system store), or disable (plain TCP).
  DB_TLS_CA_FILE       PEM bundle for verify-full, absolute or relative to this file (e.g. the RDS global bundle).
  DB_TIMEOUT           seconds for connecting and for each query (default 5).
  PASSWORD_LENGTH      length of new passwords (default 32).
  EXCLUDE_PUNCTUATION  true (default) keeps passwords to letters and digits, safe in a connection URL.
  EXCLUDE_CHARACTERS   further characters new passwords must not contain (default none).
  AWS_ENDPOINT_URL_SECRETS_MANAGER  Secrets Manager endpoint override; boto3 reads it itself (tests, VPC endpoints).
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import ssl

import boto3
import pg8000.exceptions
import pg8000.native

logger = logging.getLogger("coder_db_password_rotation")
logger.setLevel(logging.INFO)
# botocore logs request and response bodies at DEBUG, secret values included: never below INFO in this function.
if logging.getLogger("botocore").getEffectiveLevel() < logging.INFO:
    logging.getLogger("botocore").setLevel(logging.INFO)

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
ENGINES = ("postgres", "aurora-postgresql")
SCRAM_ITERATIONS = 4096  # PostgreSQL's default scram_iterations
_B64 = "[A-Za-z0-9+/]+={0,2}"
_VERIFIER = re.compile(r"SCRAM-SHA-256\$[0-9]+:%s\$%s:%s\Z" % (_B64, _B64, _B64))


def lambda_handler(event, context):  # pylint: disable=unused-argument
    """Entry point Secrets Manager invokes, once per rotation step."""
    arn, token, step = parse_event(event)
    client = secretsmanager_client()
    metadata = client.describe_secret(SecretId=arn)
    if not rotation_pending(metadata, token):
        logger.info("%s: version %s of %s is already AWSCURRENT; nothing to do", step, token, arn)
        return
    logger.info("%s: rotating %s to version %s", step, arn, token)
    STEP_FUNCTIONS[step](client, arn, token)


def secretsmanager_client():
    return boto3.client("secretsmanager")


# Pure logic: event and version validation, secret parsing, settings, SQL building.

def parse_event(event):
    """(SecretId, ClientRequestToken, Step) of a rotation event, or ValueError."""
    if not isinstance(event, dict):
        raise ValueError("the event must be an object with SecretId, ClientRequestToken and Step")
    missing = [key for key in ("SecretId", "ClientRequestToken", "Step") if not event.get(key)]
    if missing:
        raise ValueError("the event lacks %s" % ", ".join(missing))
    if event["Step"] not in STEPS:
        raise ValueError("invalid step %r: expected one of %s" % (event["Step"], ", ".join(STEPS)))
    return event["SecretId"], event["ClientRequestToken"], event["Step"]


def rotation_pending(metadata, token):
    """True when the token's version is the AWSPENDING one to rotate to, False when it is already AWSCURRENT
    (a finished rotation invoked again); ValueError when the secret is not set up for this rotation."""
    name = metadata.get("ARN") or metadata.get("Name")
    if "RotationEnabled" in metadata and not metadata["RotationEnabled"]:
        raise ValueError("secret %s is not enabled for rotation" % name)
    stages = metadata.get("VersionIdsToStages", {})
    if token not in stages:
        raise ValueError("secret %s has no version %s to rotate to" % (name, token))
    if "AWSCURRENT" in stages[token]:
        return False
    if "AWSPENDING" not in stages[token]:
        raise ValueError("version %s of secret %s is not AWSPENDING" % (token, name))
    return True


def current_version(metadata):
    for version, stages in metadata.get("VersionIdsToStages", {}).items():
        if "AWSCURRENT" in stages:
            return version
    return None


def parse_secret(secret_string):
    """The secret's JSON as a dict with port and dbname filled in; ValueError naming what is wrong (never a value)."""
    try:
        secret = json.loads(secret_string)
    except ValueError:
        raise ValueError("the secret value is not JSON") from None
    if not isinstance(secret, dict):
        raise ValueError("the secret value is not a JSON object")
    missing = [key for key in ("engine", "host", "username", "password") if not secret.get(key)]
    if missing:
        raise ValueError("the secret lacks %s" % ", ".join(missing))
    if secret["engine"] not in ENGINES:
        raise ValueError("the secret's engine is %r, expected one of %s" % (secret["engine"], ", ".join(ENGINES)))
    secret["port"] = int(secret.get("port") or 5432)
    secret["dbname"] = secret.get("dbname") or "postgres"
    return secret


def settings(environ=None):
    environ = os.environ if environ is None else environ
    tls = environ.get("DB_TLS", "require")
    if tls not in ("require", "verify-full", "disable"):
        raise ValueError("DB_TLS is %r, expected require, verify-full or disable" % tls)
    return {
        "tls": tls,
        "ca_file": environ.get("DB_TLS_CA_FILE", ""),
        "timeout": float(environ.get("DB_TIMEOUT", "5")),
        "password_length": int(environ.get("PASSWORD_LENGTH", "32")),
        "exclude_punctuation": environ.get("EXCLUDE_PUNCTUATION", "true").lower() in ("true", "1", "yes"),
        "exclude_characters": environ.get("EXCLUDE_CHARACTERS", ""),
    }


def tls_context(mode, ca_file=""):
    """The ssl_context pg8000 gets for a DB_TLS mode (None: no TLS)."""
    if mode == "disable":
        return None
    if mode == "verify-full":
        if ca_file and not os.path.isabs(ca_file):
            ca_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), ca_file)
        return ssl.create_default_context(cafile=ca_file or None)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def quote_ident(name):
    """A PostgreSQL identifier, always double-quoted, so the role named in the secret is exactly the one changed."""
    if not name or "\x00" in name:
        raise ValueError("invalid role name")
    return '"%s"' % name.replace('"', '""')


def scram_sha256_verifier(password, salt=None, iterations=SCRAM_ITERATIONS):
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, PostgreSQL's text format).
    PostgreSQL stores a verifier given in ALTER ROLE ... PASSWORD as is, so the password itself never reaches the
    server in a statement. ASCII only: PostgreSQL uses an ASCII password unchanged (no SASLprep mapping)."""
    if not password or not password.isascii() or not password.isprintable():
        raise ValueError("the new password must be printable ASCII")
    salt = os.urandom(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("ascii"), salt, iterations)
    stored_key = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, _b64(salt), _b64(stored_key), _b64(server_key))


def alter_role_sql(username, password, salt=None):
    """ALTER ROLE for the user's new password; the literal is a verifier, checked to hold no quote or escape."""
    verifier = scram_sha256_verifier(password, salt)
    if not _VERIFIER.match(verifier):
        raise ValueError("unexpected verifier format")
    return "ALTER ROLE %s WITH PASSWORD '%s'" % (quote_ident(username), verifier)


def _b64(data):
    return base64.b64encode(data).decode("ascii")


# Secrets Manager and PostgreSQL.

def get_secret(client, arn, stage, token=None):
    """The parsed secret of a staging label (and version); ResourceNotFoundException when there is none."""
    kwargs = {"SecretId": arn, "VersionStage": stage}
    if token:
        kwargs["VersionId"] = token
    return parse_secret(client.get_secret_value(**kwargs)["SecretString"])


def connect(secret):
    """A pg8000 connection logged in with the secret's credentials, or None when the server rejects them.
    Any other failure (unreachable host, TLS) raises: the invocation fails and Secrets Manager retries it."""
    config = settings()
    try:
        return pg8000.native.Connection(
            user=secret["username"], password=secret["password"], host=secret["host"], port=secret["port"],
            database=secret["dbname"], ssl_context=tls_context(config["tls"], config["ca_file"]),
            timeout=config["timeout"], application_name="coder-db-password-rotation")
    except pg8000.exceptions.DatabaseError as error:
        if is_authentication_failure(error):
            return None
        raise


def is_authentication_failure(error):
    """SQLSTATE class 28 (invalid authorization: wrong password, no such role, pg_hba rejection)."""
    fields = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return str(fields.get("C", "")).startswith("28")


def create_secret(client, arn, token):
    current = get_secret(client, arn, "AWSCURRENT")
    try:
        get_secret(client, arn, "AWSPENDING", token)
        logger.info("createSecret: version %s of %s already holds the new password", token, arn)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    config = settings()
    password = client.get_random_password(
        PasswordLength=config["password_length"], ExcludeCharacters=config["exclude_characters"],
        ExcludePunctuation=config["exclude_punctuation"], IncludeSpace=False,
        RequireEachIncludedType=True)["RandomPassword"]
    pending = dict(current, password=password)
    client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(pending),
                            VersionStages=["AWSPENDING"])
    logger.info("createSecret: put a new password as version %s (AWSPENDING) of %s", token, arn)


def set_secret(client, arn, token):
    pending = get_secret(client, arn, "AWSPENDING", token)
    connection = connect(pending)
    if connection:
        connection.close()
        logger.info("setSecret: the AWSPENDING password of %s already logs in; nothing to change", arn)
        return
    current = get_secret(client, arn, "AWSCURRENT")
    try:
        previous = get_secret(client, arn, "AWSPREVIOUS")
    except (client.exceptions.ResourceNotFoundException, ValueError):
        previous = None
    for label, secret in (("AWSCURRENT", current), ("AWSPREVIOUS", previous)):
        if secret and (secret["username"], secret["host"]) != (pending["username"], pending["host"]):
            raise ValueError("setSecret: the %s user or host of %s differs from the AWSPENDING one" % (label, arn))
    used = "AWSCURRENT"
    connection = connect(current)
    if not connection and previous:
        used = "AWSPREVIOUS"
        connection = connect(dict(current, password=previous["password"]))
    if not connection:
        raise ValueError("setSecret: neither the AWSPENDING, AWSCURRENT nor AWSPREVIOUS password of %s logs in"
                         % arn)
    try:
        connection.run(alter_role_sql(pending["username"], pending["password"]))
    finally:
        connection.close()
    logger.info("setSecret: logged in with %s and set the AWSPENDING password of %s for user %s",
                used, arn, pending["username"])


def test_secret(client, arn, token):
    pending = get_secret(client, arn, "AWSPENDING", token)
    connection = connect(pending)
    if not connection:
        raise ValueError("testSecret: the AWSPENDING password of %s does not log in" % arn)
    try:
        connection.run("SELECT 1")
    finally:
        connection.close()
    logger.info("testSecret: the AWSPENDING password of %s logs in and runs a query", arn)


def finish_secret(client, arn, token):
    current = current_version(client.describe_secret(SecretId=arn))
    if current == token:
        logger.info("finishSecret: version %s of %s is already AWSCURRENT", token, arn)
        return
    move = {"SecretId": arn, "VersionStage": "AWSCURRENT", "MoveToVersionId": token}
    if current:
        move["RemoveFromVersionId"] = current
    client.update_secret_version_stage(**move)
    logger.info("finishSecret: moved AWSCURRENT of %s from version %s to %s", arn, current, token)


STEP_FUNCTIONS = {"createSecret": create_secret, "setSecret": set_secret, "testSecret": test_secret,
                  "finishSecret": finish_secret}
