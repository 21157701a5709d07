"""The rotation function's Lambda package (roles/secrets_rotation/files/build_package.py): complete, pure Python,
and reproducible byte for byte, so an unchanged function is never re-uploaded."""

import importlib.util
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[3] / "roles" / "secrets_rotation" / "files"
SPEC = importlib.util.spec_from_file_location("build_package", FILES / "build_package.py")
build_package = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(build_package)
HANDLER = str(FILES / "coder_db_password_rotation.py")


def names(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.namelist()


def test_pg8000_comes_with_its_whole_dependency_tree():
    assert sorted(build_package.resolve(["pg8000"])) == ["asn1crypto", "pg8000", "python-dateutil", "scramp", "six"]


def test_the_package_holds_the_handler_and_importable_pure_python_modules_only():
    content = build_package.build(HANDLER, build_package.resolve(["pg8000"]), [])
    entries = names(content)
    assert "coder_db_password_rotation.py" in entries
    for module in ("pg8000/native.py", "scramp/core.py", "asn1crypto/core.py", "dateutil/parser/_parser.py",
                   "six.py"):
        assert module in entries
    assert not [e for e in entries if e.endswith(".pyc") or "__pycache__" in e or e.endswith("/RECORD")]
    assert [e for e in entries if e.startswith("pg8000-") and e.endswith("METADATA")]


def test_the_package_is_reproducible():
    distributions = build_package.resolve(["pg8000"])
    assert build_package.build(HANDLER, distributions, []) == build_package.build(HANDLER, distributions, [])


def test_an_extra_file_goes_in_under_its_name(tmp_path):
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    content = build_package.build(HANDLER, {}, [("ca-bundle.pem", str(bundle))])
    assert names(content) == ["ca-bundle.pem", "coder_db_password_rotation.py"]


def test_a_missing_distribution_is_named():
    with pytest.raises(SystemExit, match="distribution no-such-driver is not installed"):
        build_package.resolve(["no-such-driver"])


def test_the_command_reports_the_code_sha256_and_whether_the_file_changed(tmp_path):
    command = [sys.executable, str(FILES / "build_package.py"), "--output", str(tmp_path / "f.zip"), "--handler",
               HANDLER, "--distribution=pg8000"]
    first = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    second = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    assert first["changed"] and not second["changed"]
    assert first["sha256"] == second["sha256"] and "pg8000==" in " ".join(first["distributions"])
