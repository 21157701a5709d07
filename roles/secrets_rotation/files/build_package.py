# Copyright: (c) 2026, Coder platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the rotation function's Lambda deployment package (a zip) from the handler and installed distributions.

    python build_package.py --output pkg.zip --handler coder_db_password_rotation.py --distribution pg8000 \
        [--extra-file ca-bundle.pem=/path/to/global-bundle.pem]

Each --distribution is vendored with its dependencies (followed recursively through the installed metadata, extras
left out): its modules, METADATA and license files. They must be pure Python; a compiled extension is refused, as
it might not match the Lambda runtime. The zip is byte-for-byte reproducible (sorted entries, fixed timestamps and
modes), so the same inputs give the same CodeSha256 and the Lambda is only updated when the code changes.
Prints one JSON line: {"path", "sha256", "distributions", "changed"}.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import re
import sys
import zipfile
from importlib import metadata

SKIPPED_METADATA = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
COMPILED = (".so", ".pyd", ".dylib", ".dll")


def marker_holds(marker):
    """Whether an environment marker holds for this Python, extras left out (a marker is rare among pure-Python
    database drivers; without `packaging` only unconditional requirements are followed)."""
    if not marker.strip():
        return True
    try:
        from packaging.markers import Marker
    except ImportError:
        return False
    return Marker(marker).evaluate({"extra": ""})


def requirement_names(distribution):
    """Names of the requirements a distribution needs here."""
    names = []
    for requirement in distribution.requires or []:
        spec, dummy_separator, marker = requirement.partition(";")
        if marker_holds(marker):
            names.append(re.match(r"[A-Za-z0-9._-]+", spec.strip()).group(0))
    return names


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def resolve(names):
    """Every installed distribution needed by `names`, by canonical name."""
    found, todo = {}, list(names)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise SystemExit("distribution %s is not installed for %s" % (name, sys.executable)) from None
        found[key] = distribution
        todo.extend(requirement_names(distribution))
    return found


def distribution_files(distribution):
    """(archive name, bytes) of a distribution's importable files, METADATA and licenses."""
    for path in distribution.files or []:
        name = path.as_posix()
        if name.startswith("..") or "__pycache__" in name or name.endswith(".pyc"):
            continue
        if ".dist-info/" in name and name.rsplit("/", 1)[-1] in SKIPPED_METADATA:
            continue
        if name.endswith(COMPILED):
            raise SystemExit("%s ships compiled code (%s): not packaged" % (distribution.metadata["Name"], name))
        yield name, read(distribution.locate_file(path))


def build(handler, distributions, extra_files):
    entries = {os.path.basename(handler): read(handler)}
    for archive_name, source in extra_files:
        entries[archive_name] = read(source)
    for distribution in distributions.values():
        entries.update(distribution_files(distribution))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, entries[name])
    return buffer.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--handler", required=True)
    parser.add_argument("--distribution", action="append", default=[])
    parser.add_argument("--extra-file", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args(argv)
    extra_files = [item.split("=", 1) for item in args.extra_file]
    distributions = resolve(args.distribution)
    content = build(args.handler, distributions, extra_files)
    previous = read(args.output) if os.path.exists(args.output) else None
    if content != previous:
        with open(args.output + ".tmp", "wb") as handle:
            handle.write(content)
        os.replace(args.output + ".tmp", args.output)
    print(json.dumps({
        "path": os.path.abspath(args.output),
        "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode("ascii"),
        "distributions": sorted("%s==%s" % (d.metadata["Name"], d.version) for d in distributions.values()),
        "changed": content != previous}))


if __name__ == "__main__":
    main()
