# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DR snapshots of the Coder database (requirement 7): what to create, copy and prune, given what RDS describes.

Pure functions only. ``dr_snapshot`` (which changes things) and ``dr_snapshot_info`` (which only reads, for the gate)
normalize what ``DescribeDBClusterSnapshots`` / ``DescribeDBSnapshots`` return with ``normalize_snapshot`` and plan
with ``plan``; the readers that call AWS live in ``aws/dr_snapshot.py``.

A snapshot is a plain dict::

    {id, arn, kind ("cluster" | "instance"), region, status, snapshot_type ("manual" | "automated" | ...),
     source_id (the cluster or instance identifier), created_at (ISO, when RDS made this snapshot or copy),
     data_time (ISO, the time of the data it holds: our created-at tag, else OriginalSnapshotCreateTime, else
     created_at), encrypted, kms_key_id, tags, ours (carries our managed tag), source_arn (our tag), copy_of (our tag:
     the ARN of the primary snapshot a DR copy was made from)}

Only snapshots that carry ``TAG_MANAGED: "true"`` and this source's ``TAG_SOURCE`` are ever used, copied or pruned:
automated snapshots and snapshots that people made by hand are read (the gate counts them) and never touched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from ansible_collections.coder.ai_platform.plugins.module_utils.core.timeutil import isoformat, parse_timestamp

TAG_MANAGED = "coder.ai_platform/dr-snapshot"
TAG_SOURCE = "coder.ai_platform/source-arn"
TAG_CREATED_AT = "coder.ai_platform/created-at"
TAG_PURPOSE = "coder.ai_platform/purpose"
TAG_COPY_OF = "coder.ai_platform/copy-of"
MANAGED_TAGS = (TAG_MANAGED, TAG_SOURCE, TAG_CREATED_AT, TAG_PURPOSE, TAG_COPY_OF)
DEFAULT_PURPOSE = "disaster-recovery"
KINDS = ("cluster", "instance")
# A snapshot in one of these states will become (or is) usable; anything else (failed, deleting, ...) is ignored.
USABLE = ("available", "creating", "copying", "pending")
READY = "available"
IDENTIFIER = re.compile(r"^[a-z][a-z0-9-]{0,254}$")
STAMP = "%Y%m%d-%H%M%S"
SNAPSHOT_ID_MAX = 63
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


# --- parameters ----------------------------------------------------------------------------------------------------
def parse_duration(value):
    """Seconds in ``value``: a whole number with an optional unit s, m, h, d or w (``24h``, ``90m``, ``3600``).
    Raises ValueError naming the value."""
    match = _DURATION.match(str(value)) if value is not None else None
    if not match or int(match.group(1)) <= 0:
        raise ValueError("%r is not a positive duration such as 30m, 24h or 7d" % (value,))
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def arn_region(arn):
    """The region field of an ARN (``arn:aws:kms:us-west-2:123:key/...`` -> us-west-2), or None."""
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


def default_prefix(source_id):
    return ("dr-%s" % source_id)[:SNAPSHOT_ID_MAX - len("-20260101-000000")].rstrip("-")


def snapshot_identifier(prefix, now):
    """``<prefix>-YYYYMMDD-HHMMSS`` (RDS keeps identifiers in lower case; they must not hold ``--``)."""
    return "%s-%s" % (prefix.lower().rstrip("-"), now.strftime(STAMP))


def parameter_errors(params):
    """Every problem with the module's parameters, before any API call."""
    errors = []
    if not params.get("region"):
        errors.append("region is required (the primary region of the database, e.g. us-east-2)")
    if not params.get("dr_region") or params.get("dr_region") == params.get("region"):
        errors.append("dr_region %r must be a region other than the primary region %r"
                      % (params.get("dr_region"), params.get("region")))
    if not params.get("dr_kms_key_id"):
        errors.append("dr_kms_key_id is required: the customer managed KMS key of dr_region the copy is encrypted with")
    elif arn_region(params["dr_kms_key_id"]) not in (None, params.get("dr_region")):
        errors.append("dr_kms_key_id %s is a key of %s, not of dr_region %s (a copy can only be encrypted with a key "
                      "of its own region)" % (params["dr_kms_key_id"], arn_region(params["dr_kms_key_id"]),
                                              params.get("dr_region")))
    try:
        parse_duration(params.get("max_age"))
    except ValueError as err:
        errors.append("max_age: %s" % err)
    keep = params.get("keep")
    if not isinstance(keep, int) or keep < 1:
        errors.append("keep must be a whole number, at least 1 (got %r)" % (keep,))
    prefix = params.get("snapshot_prefix")
    if prefix is not None:
        if not IDENTIFIER.match(prefix.lower()) or "--" in prefix or prefix.endswith("-"):
            errors.append("snapshot_prefix %r must start with a letter and hold only letters, digits and single "
                          "hyphens" % prefix)
        elif len(prefix) > SNAPSHOT_ID_MAX - len("-20260101-000000"):
            errors.append("snapshot_prefix %r is too long: at most %d characters (RDS allows %d in an identifier, "
                          "with the time stamp)" % (prefix, SNAPSHOT_ID_MAX - 16, SNAPSHOT_ID_MAX))
    wait_timeout = params.get("wait_timeout")
    if not isinstance(wait_timeout, int) or wait_timeout < 1:
        errors.append("wait_timeout must be a whole number of seconds, at least 1 (got %r)" % (wait_timeout,))
    return errors


# --- what RDS describes --------------------------------------------------------------------------------------------
def _iso(value):
    return isoformat(parse_timestamp(value)) if value else None


def normalize_snapshot(raw, kind, region, tags=None):
    """A snapshot dict (see the module docstring) from one DescribeDBClusterSnapshots / DescribeDBSnapshots entry.
    ``tags`` is an Ansible tag dict (the entry's TagList when omitted)."""
    if tags is None:
        tags = dict((t["Key"], t["Value"]) for t in raw.get("TagList") or [])
    if kind == "cluster":
        ident, arn, source = raw.get("DBClusterSnapshotIdentifier"), raw.get("DBClusterSnapshotArn"), \
            raw.get("DBClusterIdentifier")
        encrypted = raw.get("StorageEncrypted")
    else:
        ident, arn, source = raw.get("DBSnapshotIdentifier"), raw.get("DBSnapshotArn"), raw.get("DBInstanceIdentifier")
        encrypted = raw.get("Encrypted")
    created = _iso(raw.get("SnapshotCreateTime"))
    data_time = None
    if tags.get(TAG_CREATED_AT):
        try:
            data_time = _iso(tags[TAG_CREATED_AT])
        except ValueError:
            data_time = None
    data_time = data_time or _iso(raw.get("OriginalSnapshotCreateTime")) or created
    return {
        "id": ident, "arn": arn, "kind": kind, "region": region, "status": raw.get("Status"),
        "snapshot_type": raw.get("SnapshotType"), "source_id": source, "created_at": created, "data_time": data_time,
        "encrypted": bool(encrypted), "kms_key_id": raw.get("KmsKeyId"), "tags": tags,
        "ours": tags.get(TAG_MANAGED) == "true", "source_arn": tags.get(TAG_SOURCE), "copy_of": tags.get(TAG_COPY_OF),
    }


def _newest_first(snapshots):
    return sorted(snapshots, key=lambda s: (s.get("data_time") or "", s.get("id") or ""), reverse=True)


def own_snapshots(snapshots, source_arn):
    """This source's snapshots that dr_snapshot made (tagged), newest data first."""
    return _newest_first([s for s in snapshots if s.get("ours") and s.get("source_arn") == source_arn])


def age_seconds(snapshot, now):
    if not snapshot or not snapshot.get("data_time"):
        return None
    return int((now - parse_timestamp(snapshot["data_time"])).total_seconds())


def newest(snapshots, usable_only=True):
    """The snapshot with the newest data (optionally only usable ones), or None."""
    candidates = [s for s in snapshots if not usable_only or s.get("status") in USABLE]
    ordered = _newest_first(candidates)
    return ordered[0] if ordered else None


def copies_of(dr_snapshots, primary_arn):
    return _newest_first([s for s in dr_snapshots if s.get("ours") and s.get("copy_of") == primary_arn])


# --- the plan ------------------------------------------------------------------------------------------------------
def primary_tags(source_arn, now, purpose, extra=None):
    tags = dict(extra or {})
    tags.update({TAG_MANAGED: "true", TAG_SOURCE: source_arn, TAG_CREATED_AT: isoformat(now), TAG_PURPOSE: purpose})
    return tags


def copy_tags(primary, purpose, extra=None):
    """The DR copy carries the primary's source and data time, plus where it was copied from."""
    tags = dict(extra or {})
    tags.update({TAG_MANAGED: "true", TAG_SOURCE: primary["source_arn"], TAG_CREATED_AT: primary["data_time"],
                 TAG_PURPOSE: purpose})
    if primary.get("arn"):  # a snapshot still to be made has no ARN yet: the module tags the copy once it has one
        tags[TAG_COPY_OF] = primary["arn"]
    return tags


def _prune_list(own, keep, protected, planned_new):
    """Ids to delete from one region: beyond the ``keep`` newest (a snapshot about to be made counts as the newest),
    never a protected one (the snapshot this run uses or copies), and only snapshots that are available (RDS refuses to
    delete one that is still being made; the next run takes it)."""
    own_ids = [s["id"] for s in own]
    kept = [ident for ident in protected if ident in own_ids]
    budget = keep - (1 if planned_new else 0)
    delete = []
    for snap in own:
        if snap["id"] in protected:
            continue
        if len(kept) < budget:
            kept.append(snap["id"])
        elif snap.get("status") == READY:
            delete.append(snap["id"])
    return delete


def plan(source, primary, dr, params, now):
    """What one run must do. ``source``: ``{kind, id, arn}``; ``primary`` / ``dr``: normalized snapshots of the
    primary and DR regions; ``params``: ``{max_age (seconds), keep, prune, purpose, prefix, dr_kms_key_arn, tags}``;
    ``now``: an aware datetime.

    Returns ``{refusal, snapshot (the primary snapshot used, or None when one is to be made), create ({id, tags} |
    None), copy (the DR copy used, or None), copy_request ({target_id, source_arn, kms_key_arn, tags} | None),
    prune ({primary: [ids], dr: [ids]}), prunable (the same, when prune is off), changes (one line each)}``."""
    out = {"refusal": None, "snapshot": None, "create": None, "copy": None, "copy_request": None,
           "prune": {"primary": [], "dr": []}, "prunable": {"primary": [], "dr": []}, "changes": []}
    purpose = params.get("purpose") or DEFAULT_PURPOSE
    key_arn = params["dr_kms_key_arn"]
    own_primary = own_snapshots(primary, source["arn"])
    own_dr = own_snapshots(dr, source["arn"])
    current = newest(own_primary)
    age = age_seconds(current, now)
    if current is not None and age is not None and age <= params["max_age"]:
        out["snapshot"] = current
        primary_view = current
    else:
        ident = snapshot_identifier(params["prefix"], now)
        if any(s["id"] == ident for s in primary):
            out["refusal"] = "a snapshot named %s already exists in %s; run again in a second" % (
                ident, source.get("region"))
            return out
        tags = primary_tags(source["arn"], now, purpose, params.get("tags"))
        out["create"] = {"id": ident, "tags": tags}
        out["changes"].append("%s %s: create snapshot %s (%s)" % (
            source["kind"], source["id"], ident, "none of ours yet" if current is None else
            "newest of ours, %s, is %ds old > max_age %ds" % (current["id"], age, params["max_age"])))
        primary_view = {"id": ident, "arn": None, "source_arn": source["arn"], "data_time": tags[TAG_CREATED_AT]}

    wanted = None
    if primary_view.get("arn"):
        for copy in copies_of(dr, primary_view["arn"]):
            if copy.get("status") in USABLE and copy.get("kms_key_id") == key_arn:
                wanted = copy
                break
    if wanted is not None:
        out["copy"] = wanted
    else:
        target = primary_view["id"]
        clash = [s for s in dr if s["id"] == target]
        if clash:
            snap = clash[0]
            out["refusal"] = ("snapshot %s already exists in the DR region but is not a usable copy of %s under %s "
                              "(status %s, key %s, %s); rename or delete it, or let the next snapshot be copied"
                              % (target, primary_view["arn"] or target, key_arn, snap.get("status"),
                                 snap.get("kms_key_id"), "ours" if snap.get("ours") else "not made by dr_snapshot"))
            return out
        out["copy_request"] = {"target_id": target, "source_arn": primary_view.get("arn"), "kms_key_arn": key_arn,
                               "tags": copy_tags(primary_view, purpose, params.get("tags"))}
        out["changes"].append("snapshot %s: copy to the DR region, encrypted with %s" % (target, key_arn))

    lists = {
        "primary": _prune_list(own_primary, params["keep"], [primary_view["id"]],
                               planned_new=out["create"] is not None),
        "dr": _prune_list(own_dr, params["keep"], [out["copy"]["id"]] if out["copy"] else [],
                          planned_new=out["copy_request"] is not None),
    }
    if params.get("prune"):
        out["prune"] = lists
        for region_role in ("primary", "dr"):
            for ident in lists[region_role]:
                out["changes"].append("snapshot %s (%s region): delete (beyond keep %d)" % (
                    ident, region_role, params["keep"]))
    else:
        out["prunable"] = lists
    return out


def freshness(snapshot, now):
    """``{id, data_time, age_seconds}`` of a snapshot, for results and the gate."""
    if not snapshot:
        return None
    return {"id": snapshot["id"], "arn": snapshot.get("arn"), "data_time": snapshot.get("data_time"),
            "age_seconds": age_seconds(snapshot, now), "status": snapshot.get("status"),
            "kms_key_id": snapshot.get("kms_key_id")}
