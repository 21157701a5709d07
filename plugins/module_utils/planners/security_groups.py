# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege analysis of EC2 security groups (requirement 2.3), as pure functions.

Input is the normalized group shape that ``normalize_group`` builds from ``ec2:DescribeSecurityGroups`` (the
``IpPermissions`` entries are kept exactly as EC2 returns them) plus how many network interfaces carry the group.
Only ingress is judged: every group's default egress rule (all traffic to 0.0.0.0/0) is AWS's default and not a
finding here.

Finding kinds:

- ``public_ingress``: a source of 0.0.0.0/0 or ::/0 on anything but TCP/UDP ports of the allow-list (a port
  range that reaches outside the allow-list, ICMP, or every protocol).
- ``any_protocol``: an IpProtocol -1 (all traffic) rule from any other source - a private CIDR, a prefix list or
  another security group. A group referencing itself is exempt by default (members of one group talking to each
  other: the EKS cluster security group and AWS's default group carry such a rule and need it).

Every finding names the one source it is about and carries ``revoke``: the minimal ``IpPermissions`` entry that
``ec2:RevokeSecurityGroupIngress`` takes to remove exactly that source from exactly that rule, leaving the rule's
other sources in place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PUBLIC_CIDRS = ("0.0.0.0/0", "::/0")
FINDING_KINDS = ("public_ingress", "any_protocol")
PROTOCOL_NAMES = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
DEFAULT_GROUP_NAME = "default"


def normalize_group(group, network_interface_count=0):
    """The fields the analysis needs from one DescribeSecurityGroups entry."""
    return {
        "group_id": group.get("GroupId"),
        "group_name": group.get("GroupName"),
        "vpc_id": group.get("VpcId"),
        "description": group.get("Description"),
        "ip_permissions": list(group.get("IpPermissions") or []),
        "network_interface_count": network_interface_count,
    }


def interface_counts(network_interfaces):
    """{group id: number of network interfaces carrying it} from DescribeNetworkInterfaces entries."""
    counts = {}
    for interface in network_interfaces or []:
        for group in interface.get("Groups") or []:
            counts[group.get("GroupId")] = counts.get(group.get("GroupId"), 0) + 1
    return counts


def protocol_name(permission):
    protocol = str(permission.get("IpProtocol", "-1")).lower()
    return PROTOCOL_NAMES.get(protocol, protocol)


def port_text(permission):
    protocol = protocol_name(permission)
    if protocol == "all":
        return "all traffic"
    start, end = permission.get("FromPort"), permission.get("ToPort")
    if protocol in ("tcp", "udp"):
        if start is None or (start in (0, -1) and end in (65535, -1)):
            return "%s all ports" % protocol
        return "%s %s" % (protocol, start) if start == end else "%s %s-%s" % (protocol, start, end)
    if start in (None, -1):
        return protocol
    return "%s type %s" % (protocol, start)


def _ports_allowed(permission, allowed_ports):
    """True when the rule is TCP/UDP and every port it opens is in the allow-list."""
    if protocol_name(permission) not in ("tcp", "udp"):
        return False
    start, end = permission.get("FromPort"), permission.get("ToPort")
    if start is None or end is None or start < 0 or end < start:
        return False
    if end - start + 1 > len(allowed_ports):
        return False
    return all(port in allowed_ports for port in range(start, end + 1))


def sources(permission):
    """[(source text, the permission's source entry key, minimal source entry)] - one per source of the rule."""
    found = []
    for entry in permission.get("IpRanges") or []:
        found.append((entry.get("CidrIp"), "IpRanges", {"CidrIp": entry.get("CidrIp")}))
    for entry in permission.get("Ipv6Ranges") or []:
        found.append((entry.get("CidrIpv6"), "Ipv6Ranges", {"CidrIpv6": entry.get("CidrIpv6")}))
    for entry in permission.get("PrefixListIds") or []:
        found.append((entry.get("PrefixListId"), "PrefixListIds", {"PrefixListId": entry.get("PrefixListId")}))
    for entry in permission.get("UserIdGroupPairs") or []:
        pair = dict((key, entry[key]) for key in ("GroupId", "UserId", "VpcPeeringConnectionId") if entry.get(key))
        found.append((entry.get("GroupId") or entry.get("GroupName"), "UserIdGroupPairs", pair))
    return found


def revoke_entry(permission, source_key, source_entry):
    """The IpPermissions entry that revokes one source of one rule."""
    entry = {"IpProtocol": permission.get("IpProtocol")}
    for key in ("FromPort", "ToPort"):
        if permission.get(key) is not None:
            entry[key] = permission[key]
    entry[source_key] = [source_entry]
    return entry


def rule_text(permission, source):
    return "%s from %s" % (port_text(permission), source)


def group_label(group):
    return "%s (%s)" % (group.get("group_id"), group.get("group_name"))


def group_findings(group, allowed_ports, exempt_self_reference=True):
    findings = []
    for permission in group.get("ip_permissions") or []:
        any_protocol = protocol_name(permission) == "all"
        for source, source_key, source_entry in sources(permission):
            if source in PUBLIC_CIDRS:
                if _ports_allowed(permission, allowed_ports):
                    continue
                kind = "public_ingress"
            elif any_protocol:
                if exempt_self_reference and source_key == "UserIdGroupPairs" and source == group.get("group_id"):
                    continue
                kind = "any_protocol"
            else:
                continue
            text = rule_text(permission, source)
            findings.append({
                "group_id": group.get("group_id"), "group_name": group.get("group_name"),
                "vpc_id": group.get("vpc_id"), "kind": kind, "rule": text,
                "summary": "%s: %s" % (group_label(group), text),
                "revoke": revoke_entry(permission, source_key, source_entry),
            })
    return findings


def audit(groups, allowed_ports, exempt_self_reference=True):
    """Findings, unused groups and unused default groups of the given normalized groups."""
    allowed = set(int(port) for port in allowed_ports or [])
    findings, unused, unused_default = [], [], []
    for group in sorted(groups or [], key=lambda g: (g.get("vpc_id") or "", g.get("group_id") or "")):
        findings.extend(group_findings(group, allowed, exempt_self_reference))
        if not group.get("network_interface_count"):
            entry = {"group_id": group.get("group_id"), "group_name": group.get("group_name"),
                     "vpc_id": group.get("vpc_id")}
            (unused_default if group.get("group_name") == DEFAULT_GROUP_NAME else unused).append(entry)
    return {"groups": len(groups or []), "findings": findings, "unused": unused, "unused_default": unused_default}


def revoke_plan(findings, kinds):
    """{group id: [IpPermissions entries]} revoking every finding of the given kinds, in finding order."""
    plan = {}
    for finding in findings:
        if finding["kind"] in kinds:
            plan.setdefault(finding["group_id"], []).append(finding["revoke"])
    return plan


def ingress_lines(group):
    """One line per (rule, source) of a group's ingress, sorted: the text a diff shows."""
    lines = []
    for permission in group.get("ip_permissions") or []:
        for source, dummy_key, dummy_entry in sources(permission):
            lines.append(rule_text(permission, source))
    return sorted(lines)


def revoked_lines(revokes):
    lines = []
    for permission in revokes:
        for source, dummy_key, dummy_entry in sources(permission):
            lines.append(rule_text(permission, source))
    return lines


def group_diff(group, revokes):
    """An Ansible diff (before/after text) of one group's ingress when ``revokes`` are removed."""
    before = ingress_lines(group)
    after = list(before)
    for line in revoked_lines(revokes):
        if line in after:
            after.remove(line)
    header = "%s ingress" % group_label(group)
    return {"before_header": header, "after_header": header,
            "before": "".join(line + "\n" for line in before), "after": "".join(line + "\n" for line in after)}
