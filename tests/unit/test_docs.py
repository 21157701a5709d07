"""Every check id has a runbook with the three sections a person on call needs, and the README names every
variable the gate's role reads."""

import re
from pathlib import Path

import yaml

from ansible_collections.coder.ai_platform.plugins.module_utils.checks.catalog import CATALOG  # every family

REPO = Path(__file__).resolve().parents[2]


def test_every_check_has_a_runbook_with_diagnosis_fix_and_verify():
    assert CATALOG
    for check_id, entry in CATALOG.items():
        path = REPO / entry["runbook"]
        assert path.is_file(), "no runbook for %s at %s" % (check_id, path)
        text = path.read_text()
        assert text.startswith("# %s" % check_id)
        for section in ("## Diagnosis", "## Fix", "## Verify"):
            assert section in text, "%s lacks %s" % (path, section)


def test_no_orphan_runbooks():
    ids = set(CATALOG)
    for path in (REPO / "docs" / "runbooks").glob("*.md"):
        assert path.stem in ids, "runbook %s has no check" % path.name


def test_readme_documents_every_variable_of_every_role():
    readme = (REPO / "README.md").read_text()
    for spec in sorted((REPO / "roles").glob("*/meta/argument_specs.yml")):
        options = yaml.safe_load(spec.read_text())["argument_specs"]["main"]["options"]
        missing = [name for name in options if not re.search(r"`%s`" % re.escape(name), readme)]
        assert not missing, "README lacks %s from %s" % (missing, spec.relative_to(REPO))
