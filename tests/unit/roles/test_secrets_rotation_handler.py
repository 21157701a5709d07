"""The Coder database password rotation function (roles/secrets_rotation/files/coder_db_password_rotation.py):
its pure logic, and its four steps against an in-memory Secrets Manager with AWS's staging-label semantics and an
in-memory PostgreSQL that checks passwords against the SCRAM verifiers ALTER ROLE stored, as the server does."""

import base64
import importlib.util
import json
import logging
import re
import ssl
from pathlib import Path

import pg8000.exceptions
import pytest
import scramp

PATH = Path(__file__).resolve().parents[3] / "roles" / "secrets_rotation" / "files" / "coder_db_password_rotation.py"
SPEC = importlib.util.spec_from_file_location("coder_db_password_rotation", PATH)
handler = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(handler)

ARN = "arn:aws:secretsmanager:us-east-2:123456789012:secret:coder/database-AbCdEf"
INITIAL = {"engine": "postgres", "host": "db.example", "port": 5432, "username": "coder",
           "password": "Initial0Password", "dbname": "coder"}


class NotFound(Exception):
    pass


class FakeSecretsManager:
    """Secrets Manager as the rotation function sees it (staging labels as AWS documents them)."""

    class exceptions:  # pylint: disable=invalid-name
        ResourceNotFoundException = NotFound

    def __init__(self, value, rotation_enabled=True):
        self.versions = {"v-initial": {"stages": ["AWSCURRENT"], "value": json.dumps(value)}}
        self.rotation_enabled = rotation_enabled
        self.passwords = iter(["Generated%02dPasswordAbcdefghijkl" % n for n in range(1, 10)])
        self.random_requests = []

    def start_rotation(self, token):
        """What RotateSecret does before invoking the function: an empty AWSPENDING version with the token as id."""
        for version in self.versions.values():
            if "AWSPENDING" in version["stages"]:
                version["stages"].remove("AWSPENDING")
        self.versions[token] = {"stages": ["AWSPENDING"], "value": None}

    def describe_secret(self, SecretId):
        assert SecretId == ARN
        return {"ARN": ARN, "Name": "coder/database", "RotationEnabled": self.rotation_enabled,
                "VersionIdsToStages": dict((v, list(d["stages"])) for v, d in self.versions.items())}

    def get_secret_value(self, SecretId, VersionStage, VersionId=None):
        assert SecretId == ARN
        for version_id, version in self.versions.items():
            if VersionStage in version["stages"] and VersionId in (None, version_id):
                if version["value"] is None:
                    raise NotFound("no value")
                return {"VersionId": version_id, "SecretString": version["value"]}
        raise NotFound(VersionStage)

    def get_random_password(self, **kwargs):
        self.random_requests.append(kwargs)
        return {"RandomPassword": next(self.passwords)}

    def put_secret_value(self, SecretId, ClientRequestToken, SecretString, VersionStages):
        assert SecretId == ARN and VersionStages == ["AWSPENDING"]
        version = self.versions.setdefault(ClientRequestToken, {"stages": ["AWSPENDING"], "value": None})
        assert version["value"] is None, "a version's value cannot change"
        version["value"] = SecretString

    def update_secret_version_stage(self, SecretId, VersionStage, MoveToVersionId, RemoveFromVersionId=None):
        assert SecretId == ARN and VersionStage == "AWSCURRENT"
        assert "AWSCURRENT" in self.versions[RemoveFromVersionId]["stages"]
        for version in self.versions.values():
            if "AWSPREVIOUS" in version["stages"]:
                version["stages"].remove("AWSPREVIOUS")
        self.versions[RemoveFromVersionId]["stages"].remove("AWSCURRENT")
        self.versions[RemoveFromVersionId]["stages"].append("AWSPREVIOUS")
        target = self.versions[MoveToVersionId]["stages"]
        target.append("AWSCURRENT")
        if "AWSPENDING" in target:
            target.remove("AWSPENDING")

    def value(self, stage):
        return json.loads(self.get_secret_value(ARN, stage)["SecretString"])


class FakeDatabase:
    """Roles with SCRAM verifiers; a login recomputes the verifier with the stored salt, like the server."""

    def __init__(self, passwords):
        self.verifiers = dict((user, handler.scram_sha256_verifier(pw)) for user, pw in passwords.items())
        self.statements = []

    def logs_in(self, user, password):
        match = re.match(r"SCRAM-SHA-256\$(\d+):([^$]+)\$", self.verifiers.get(user, ""))
        return bool(match) and handler.scram_sha256_verifier(
            password, base64.b64decode(match.group(2)), int(match.group(1))) == self.verifiers[user]

    def connect(self, secret):
        if not self.logs_in(secret["username"], secret["password"]):
            return None
        return FakeConnection(self, secret["username"])


class FakeConnection:
    def __init__(self, database, user):
        self.database, self.user, self.closed = database, user, False

    def run(self, sql):
        self.database.statements.append(sql)
        match = re.match(r'ALTER ROLE "((?:[^"]|"")+)" WITH PASSWORD \'([^\']+)\'\Z', sql)
        if match:
            assert match.group(1).replace('""', '"') == self.user, "a user changes its own password"
            self.database.verifiers[self.user] = match.group(2)
        return [[1]]

    def close(self):
        self.closed = True


@pytest.fixture
def world(monkeypatch):
    client = FakeSecretsManager(INITIAL)
    database = FakeDatabase({"coder": INITIAL["password"]})
    monkeypatch.setattr(handler, "secretsmanager_client", lambda: client)
    monkeypatch.setattr(handler, "connect", database.connect)
    return client, database


def invoke(step, token):
    handler.lambda_handler({"SecretId": ARN, "ClientRequestToken": token, "Step": step}, None)


def rotate(steps=handler.STEPS, token="t-1"):
    for step in steps:
        invoke(step, token)


# Event and version validation.

def test_parse_event_returns_arn_token_and_step():
    assert handler.parse_event({"SecretId": ARN, "ClientRequestToken": "t", "Step": "setSecret"}) == (
        ARN, "t", "setSecret")


@pytest.mark.parametrize("event, message", [
    (None, "must be an object"),
    ({"SecretId": ARN, "Step": "setSecret"}, "lacks ClientRequestToken"),
    ({"ClientRequestToken": "t", "Step": ""}, "lacks SecretId, Step"),
    ({"SecretId": ARN, "ClientRequestToken": "t", "Step": "deleteSecret"}, "invalid step 'deleteSecret'"),
])
def test_parse_event_rejects_malformed_events(event, message):
    with pytest.raises(ValueError, match=message):
        handler.parse_event(event)


def metadata(stages, **extra):
    return dict({"ARN": ARN, "RotationEnabled": True, "VersionIdsToStages": stages}, **extra)


def test_rotation_pending_for_the_awspending_version():
    assert handler.rotation_pending(metadata({"a": ["AWSCURRENT"], "t": ["AWSPENDING"]}), "t") is True
    assert handler.rotation_pending({"VersionIdsToStages": {"t": ["AWSPENDING"]}}, "t") is True


def test_rotation_already_finished_when_the_token_is_awscurrent():
    assert handler.rotation_pending(metadata({"t": ["AWSCURRENT", "AWSPENDING"]}), "t") is False
    assert handler.rotation_pending(metadata({"t": ["AWSCURRENT"]}), "t") is False


@pytest.mark.parametrize("meta, message", [
    (metadata({"t": ["AWSPENDING"]}, RotationEnabled=False), "not enabled for rotation"),
    (metadata({"a": ["AWSCURRENT"]}), "has no version t"),
    (metadata({"a": ["AWSCURRENT"], "t": ["AWSPREVIOUS"]}), "is not AWSPENDING"),
])
def test_rotation_pending_rejects_what_aws_templates_reject(meta, message):
    with pytest.raises(ValueError, match=message):
        handler.rotation_pending(meta, "t")


def test_current_version():
    assert handler.current_version(metadata({"a": ["AWSPREVIOUS"], "b": ["AWSCURRENT"]})) == "b"
    assert handler.current_version(metadata({"a": ["AWSPREVIOUS"]})) is None


# Secret parsing and settings.

def test_parse_secret_fills_port_and_dbname():
    secret = handler.parse_secret(json.dumps({"engine": "aurora-postgresql", "host": "h", "username": "u",
                                              "password": "p"}))
    assert (secret["port"], secret["dbname"]) == (5432, "postgres")
    assert handler.parse_secret(json.dumps(dict(INITIAL, port="6543")))["port"] == 6543


@pytest.mark.parametrize("value, message", [
    ("password=Initial0Password", "not JSON"),
    ("[1]", "not a JSON object"),
    (json.dumps({"engine": "postgres", "host": "h", "password": "Initial0Password"}), "lacks username"),
    (json.dumps(dict(INITIAL, engine="mysql")), "engine is 'mysql'"),
])
def test_parse_secret_errors_name_the_problem_never_the_value(value, message):
    with pytest.raises(ValueError, match=message) as error:
        handler.parse_secret(value)
    assert "Initial0Password" not in str(error.value)
    assert error.value.__cause__ is None


def test_settings_defaults_and_overrides():
    assert handler.settings({}) == {"tls": "require", "ca_file": "", "timeout": 5.0, "password_length": 32,
                                    "exclude_punctuation": True, "exclude_characters": ""}
    config = handler.settings({"DB_TLS": "disable", "PASSWORD_LENGTH": "40", "EXCLUDE_PUNCTUATION": "false",
                               "EXCLUDE_CHARACTERS": "lI1O0", "DB_TIMEOUT": "2.5"})
    assert (config["tls"], config["password_length"], config["exclude_punctuation"], config["exclude_characters"],
            config["timeout"]) == ("disable", 40, False, "lI1O0", 2.5)
    with pytest.raises(ValueError, match="DB_TLS is 'prefer'"):
        handler.settings({"DB_TLS": "prefer"})


def test_tls_context_per_mode(monkeypatch):
    assert handler.tls_context("disable") is None
    require = handler.tls_context("require")
    assert require.verify_mode == ssl.CERT_NONE and not require.check_hostname
    verify = handler.tls_context("verify-full")
    assert verify.verify_mode == ssl.CERT_REQUIRED and verify.check_hostname
    seen = []
    monkeypatch.setattr(handler.ssl, "create_default_context", lambda cafile=None: seen.append(cafile))
    handler.tls_context("verify-full", "ca-bundle.pem")
    handler.tls_context("verify-full", "/etc/rds.pem")
    assert seen == [str(PATH.parent / "ca-bundle.pem"), "/etc/rds.pem"]


# SQL building: identifiers quoted, the password only ever as a SCRAM verifier.

@pytest.mark.parametrize("name, quoted", [
    ("coder", '"coder"'),
    ("Coder", '"Coder"'),
    ('co"der', '"co""der"'),
    ('coder" WITH SUPERUSER; --', '"coder"" WITH SUPERUSER; --"'),
])
def test_quote_ident(name, quoted):
    assert handler.quote_ident(name) == quoted


@pytest.mark.parametrize("name", ["", "co\x00der"])
def test_quote_ident_rejects_empty_and_nul(name):
    with pytest.raises(ValueError):
        handler.quote_ident(name)


def test_scram_verifier_matches_scramp():
    salt = b"0123456789abcdef"
    dummy_salt, stored_key, server_key, dummy_iterations = scramp.ScramMechanism("SCRAM-SHA-256").make_auth_info(
        "pencil", 4096, salt)
    b64 = base64.b64encode
    assert handler.scram_sha256_verifier("pencil", salt) == "SCRAM-SHA-256$4096:%s$%s:%s" % (
        b64(salt).decode(), b64(stored_key).decode(), b64(server_key).decode())


def test_scram_verifier_uses_a_fresh_salt():
    assert handler.scram_sha256_verifier("pencil") != handler.scram_sha256_verifier("pencil")


@pytest.mark.parametrize("password", ["", "pässword", "tab\tinside"])
def test_scram_verifier_refuses_what_postgresql_would_saslprep(password):
    with pytest.raises(ValueError, match="printable ASCII") as error:
        handler.scram_sha256_verifier(password)
    assert not password or password not in str(error.value)


def test_alter_role_sql_carries_a_verifier_not_the_password():
    password = "it's\\a'; DROP ROLE coder; --"
    sql = handler.alter_role_sql('co"der', password, salt=b"s" * 16)
    assert sql.startswith('ALTER ROLE "co""der" WITH PASSWORD \'SCRAM-SHA-256$4096:')
    assert password not in sql and "DROP" not in sql
    assert sql.count("'") == 2 and "\\" not in sql


def test_is_authentication_failure():
    def error(code):
        return pg8000.exceptions.DatabaseError({"S": "FATAL", "C": code, "M": "m"})
    assert handler.is_authentication_failure(error("28P01"))
    assert handler.is_authentication_failure(error("28000"))
    assert not handler.is_authentication_failure(error("57P03"))
    assert not handler.is_authentication_failure(pg8000.exceptions.DatabaseError("text"))


def test_connect_returns_none_on_rejected_credentials_and_raises_otherwise(monkeypatch):
    def refuse(code):
        def connection(**dummy_kwargs):
            raise pg8000.exceptions.DatabaseError({"C": code, "M": "m"})
        return connection
    monkeypatch.setattr(handler.pg8000.native, "Connection", refuse("28P01"))
    assert handler.connect(handler.parse_secret(json.dumps(INITIAL))) is None
    monkeypatch.setattr(handler.pg8000.native, "Connection", refuse("53300"))
    with pytest.raises(pg8000.exceptions.DatabaseError):
        handler.connect(handler.parse_secret(json.dumps(INITIAL)))


# The four steps.

def test_a_rotation_changes_the_password_and_labels(world):
    client, database = world
    client.start_rotation("t-1")
    rotate()
    new = client.value("AWSCURRENT")
    assert new == dict(INITIAL, password="Generated01PasswordAbcdefghijkl")
    assert client.value("AWSPREVIOUS") == INITIAL
    assert client.describe_secret(ARN)["VersionIdsToStages"] == {"v-initial": ["AWSPREVIOUS"], "t-1": ["AWSCURRENT"]}
    assert database.logs_in("coder", new["password"]) and not database.logs_in("coder", INITIAL["password"])
    assert client.random_requests == [{"PasswordLength": 32, "ExcludeCharacters": "", "ExcludePunctuation": True,
                                       "IncludeSpace": False, "RequireEachIncludedType": True}]


def test_every_step_invoked_twice_is_harmless(world):
    client, database = world
    client.start_rotation("t-1")
    for step in handler.STEPS:
        invoke(step, "t-1")
        invoke(step, "t-1")
    assert len(client.random_requests) == 1
    assert len([s for s in database.statements if s.startswith("ALTER ROLE")]) == 1
    assert client.describe_secret(ARN)["VersionIdsToStages"] == {"v-initial": ["AWSPREVIOUS"], "t-1": ["AWSCURRENT"]}
    rotate()  # all four again after the rotation finished: nothing happens
    assert len(client.random_requests) == 1 and client.value("AWSCURRENT")["password"].startswith("Generated01")


def test_a_failed_test_secret_leaves_awscurrent_and_the_retry_finishes(world):
    client, database = world
    client.start_rotation("t-1")
    invoke("createSecret", "t-1")
    with pytest.raises(ValueError, match="AWSPENDING password of .* does not log in"):
        invoke("testSecret", "t-1")
    assert client.value("AWSCURRENT") == INITIAL and database.logs_in("coder", INITIAL["password"])
    rotate(("setSecret", "testSecret", "finishSecret"))
    assert database.logs_in("coder", client.value("AWSCURRENT")["password"])


def test_set_secret_logs_in_with_awsprevious_when_awscurrent_no_longer_works(world, caplog):
    client, database = world
    client.start_rotation("t-1")
    rotate()
    # The database is restored from a snapshot older than the last rotation: it has the AWSPREVIOUS password.
    database.verifiers["coder"] = handler.scram_sha256_verifier(INITIAL["password"])
    client.start_rotation("t-2")
    with caplog.at_level(logging.INFO, logger="coder_db_password_rotation"):
        rotate(token="t-2")
    assert "logged in with AWSPREVIOUS" in caplog.text
    assert database.logs_in("coder", client.value("AWSCURRENT")["password"])
    assert client.value("AWSPREVIOUS")["password"] == "Generated01PasswordAbcdefghijkl"


def test_set_secret_fails_when_no_password_logs_in(world):
    client, database = world
    client.start_rotation("t-1")
    invoke("createSecret", "t-1")
    database.verifiers["coder"] = handler.scram_sha256_verifier("SomebodyElseChangedIt")
    with pytest.raises(ValueError, match="neither the AWSPENDING, AWSCURRENT nor AWSPREVIOUS password"):
        invoke("setSecret", "t-1")
    assert not [s for s in database.statements if s.startswith("ALTER ROLE")]
    assert client.value("AWSCURRENT") == INITIAL


def test_set_secret_refuses_a_pending_version_for_another_user(world):
    client, database = world
    client.start_rotation("t-1")
    client.put_secret_value(ARN, "t-1", json.dumps(dict(INITIAL, username="postgres", password="Xx1" * 8)),
                            ["AWSPENDING"])
    with pytest.raises(ValueError, match="AWSCURRENT user or host .* differs"):
        invoke("setSecret", "t-1")
    assert not database.statements


def test_the_handler_rejects_tokens_secrets_manager_did_not_stage(world):
    client, dummy_database = world
    with pytest.raises(ValueError, match="has no version t-9"):
        invoke("createSecret", "t-9")
    client.rotation_enabled = False
    client.start_rotation("t-1")
    with pytest.raises(ValueError, match="not enabled for rotation"):
        invoke("createSecret", "t-1")


def test_no_password_is_logged_even_at_debug(world, caplog):
    client, dummy_database = world
    client.start_rotation("t-1")
    with caplog.at_level(logging.DEBUG):
        rotate()
        rotate()
    new = client.value("AWSCURRENT")["password"]
    assert "createSecret" in caplog.text and "finishSecret" in caplog.text
    assert INITIAL["password"] not in caplog.text and new not in caplog.text


def test_botocore_never_logs_bodies_even_when_the_function_runs_at_debug():
    """botocore logs request bodies (PutSecretValue's SecretString) at DEBUG; the function keeps it at INFO."""
    root, botocore = logging.getLogger(), logging.getLogger("botocore")
    saved = (root.level, botocore.level)
    try:
        root.setLevel(logging.DEBUG)
        botocore.setLevel(logging.NOTSET)
        fresh = importlib.util.module_from_spec(SPEC)
        SPEC.loader.exec_module(fresh)
        assert botocore.getEffectiveLevel() == logging.INFO
    finally:
        root.setLevel(saved[0])
        botocore.setLevel(saved[1])
