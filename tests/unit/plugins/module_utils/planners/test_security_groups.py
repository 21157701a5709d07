# -*- coding: utf-8 -*-
"""Every branch of the least-privilege security group analysis (plugins/module_utils/planners/security_groups.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import security_groups as sg


def rule(protocol="tcp", start=None, end=None, cidrs=(), cidrs6=(), groups=(), prefix_lists=()):
    permission = {"IpProtocol": protocol, "IpRanges": [{"CidrIp": c, "Description": "x"} for c in cidrs],
                  "Ipv6Ranges": [{"CidrIpv6": c} for c in cidrs6],
                  "UserIdGroupPairs": [{"GroupId": g, "UserId": "123456789012"} for g in groups],
                  "PrefixListIds": [{"PrefixListId": p} for p in prefix_lists]}
    if start is not None:
        permission["FromPort"] = start
        permission["ToPort"] = start if end is None else end
    return permission


def group(group_id="sg-1", name="web", rules=(), enis=1, vpc="vpc-1"):
    return {"group_id": group_id, "group_name": name, "vpc_id": vpc, "ip_permissions": list(rules),
            "network_interface_count": enis}


def test_normalize_group_and_interface_counts():
    raw = {"GroupId": "sg-1", "GroupName": "web", "VpcId": "vpc-1", "Description": "d", "IpPermissions": [rule()]}
    assert sg.normalize_group(raw, 2) == {"group_id": "sg-1", "group_name": "web", "vpc_id": "vpc-1",
                                          "description": "d", "ip_permissions": [rule()],
                                          "network_interface_count": 2}
    assert sg.normalize_group({})["ip_permissions"] == []
    enis = [{"Groups": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}]}, {"Groups": [{"GroupId": "sg-1"}]}, {}]
    assert sg.interface_counts(enis) == {"sg-1": 2, "sg-2": 1}
    assert sg.interface_counts(None) == {}


def test_port_text_covers_every_protocol_shape():
    assert sg.port_text(rule("-1")) == "all traffic"
    assert sg.port_text(rule("tcp", 22)) == "tcp 22"
    assert sg.port_text(rule("6", 8000, 8100)) == "tcp 8000-8100"
    assert sg.port_text(rule("udp", 0, 65535)) == "udp all ports"
    assert sg.port_text(rule("tcp")) == "tcp all ports"
    assert sg.port_text(rule("icmp", -1, -1)) == "icmp"
    assert sg.port_text(rule("icmp")) == "icmp"
    assert sg.port_text(rule("1", 8, 0)) == "icmp type 8"
    assert sg.port_text(rule("50")) == "50"  # ESP by number


def test_public_rules_on_allowed_ports_are_fine():
    web = group(rules=[rule("tcp", 443, cidrs=["0.0.0.0/0"], cidrs6=["::/0"]), rule("tcp", 80, cidrs=["0.0.0.0/0"]),
                       rule("udp", 443, cidrs=["0.0.0.0/0"]), rule("tcp", 80, 80, cidrs=["0.0.0.0/0"])])
    assert sg.audit([web], [443, 80])["findings"] == []


def test_public_rules_elsewhere_are_findings_one_per_source():
    bastion = group(rules=[rule("tcp", 22, cidrs=["10.0.0.0/8", "0.0.0.0/0"], cidrs6=["::/0"])])
    findings = sg.audit([bastion], [443, 80])["findings"]
    assert [f["rule"] for f in findings] == ["tcp 22 from 0.0.0.0/0", "tcp 22 from ::/0"]
    assert all(f["kind"] == "public_ingress" for f in findings)
    assert findings[0]["revoke"] == {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    assert findings[1]["revoke"]["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}]
    assert findings[0]["summary"] == "sg-1 (web): tcp 22 from 0.0.0.0/0"


def test_public_ranges_icmp_all_traffic_and_odd_ports_are_findings():
    open_group = group(rules=[
        rule("tcp", 80, 443, cidrs=["0.0.0.0/0"]),      # reaches beyond the allow-list
        rule("tcp", 443, 444, cidrs=["0.0.0.0/0"]),     # as long as the list but not inside it
        rule("tcp", cidrs=["0.0.0.0/0"]),               # no ports at all
        rule("tcp", 443, 80, cidrs=["0.0.0.0/0"]),      # reversed range
        rule("icmp", -1, -1, cidrs=["0.0.0.0/0"]),
        rule("-1", cidrs=["0.0.0.0/0"]),
    ])
    findings = sg.audit([open_group], [443, 80])["findings"]
    assert len(findings) == 6
    assert {f["kind"] for f in findings} == {"public_ingress"}
    assert findings[-1]["revoke"] == {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def test_private_sources_on_specific_ports_are_fine_but_all_protocol_is_not():
    db = group("sg-db", "db", rules=[rule("tcp", 5432, groups=["sg-web"]), rule("tcp", 22, cidrs=["10.0.0.0/8"]),
                                     rule("-1", cidrs=["10.0.0.0/8"]), rule("-1", groups=["sg-web"]),
                                     rule("-1", prefix_lists=["pl-1"])])
    findings = sg.audit([db], [443])["findings"]
    assert [(f["kind"], f["rule"]) for f in findings] == [
        ("any_protocol", "all traffic from 10.0.0.0/8"), ("any_protocol", "all traffic from sg-web"),
        ("any_protocol", "all traffic from pl-1")]
    assert findings[1]["revoke"] == {"IpProtocol": "-1", "UserIdGroupPairs": [
        {"GroupId": "sg-web", "UserId": "123456789012"}]}
    assert findings[2]["revoke"] == {"IpProtocol": "-1", "PrefixListIds": [{"PrefixListId": "pl-1"}]}


def test_self_reference_is_exempt_unless_asked():
    nodes = group("sg-nodes", "nodes", rules=[rule("-1", groups=["sg-nodes"])])
    assert sg.audit([nodes], [443])["findings"] == []
    findings = sg.audit([nodes], [443], exempt_self_reference=False)["findings"]
    assert [f["rule"] for f in findings] == ["all traffic from sg-nodes"]


def test_unused_groups_and_default_groups_reported_apart():
    found = sg.audit([group("sg-2", "spare", enis=0), group("sg-3", "default", enis=0), group("sg-4", "used")], [443])
    assert found["unused"] == [{"group_id": "sg-2", "group_name": "spare", "vpc_id": "vpc-1"}]
    assert found["unused_default"] == [{"group_id": "sg-3", "group_name": "default", "vpc_id": "vpc-1"}]
    assert found["groups"] == 3
    assert sg.audit(None, None) == {"groups": 0, "findings": [], "unused": [], "unused_default": []}


def test_revoke_plan_keeps_only_the_asked_kinds():
    groups = [group("sg-a", rules=[rule("tcp", 22, cidrs=["0.0.0.0/0"]), rule("-1", cidrs=["10.0.0.0/8"])]),
              group("sg-b", rules=[rule("tcp", 3389, cidrs=["0.0.0.0/0"])])]
    findings = sg.audit(groups, [443])["findings"]
    plan = sg.revoke_plan(findings, ["public_ingress"])
    assert sorted(plan) == ["sg-a", "sg-b"]
    assert plan["sg-a"] == [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    assert len(sg.revoke_plan(findings, ["public_ingress", "any_protocol"])["sg-a"]) == 2
    assert sg.revoke_plan(findings, []) == {}


def test_group_diff_removes_exactly_the_revoked_source():
    bastion = group(rules=[rule("tcp", 22, cidrs=["10.0.0.0/8", "0.0.0.0/0"]), rule("tcp", 443, cidrs=["0.0.0.0/0"])])
    plan = sg.revoke_plan(sg.audit([bastion], [443])["findings"], ["public_ingress"])
    diff = sg.group_diff(bastion, plan["sg-1"])
    assert diff["before"] == "tcp 22 from 0.0.0.0/0\ntcp 22 from 10.0.0.0/8\ntcp 443 from 0.0.0.0/0\n"
    assert diff["after"] == "tcp 22 from 10.0.0.0/8\ntcp 443 from 0.0.0.0/0\n"
    assert diff["before_header"] == "sg-1 (web) ingress"
    # A revoke for a line that is not there leaves the text alone.
    assert sg.group_diff(bastion, [rule("tcp", 25, cidrs=["0.0.0.0/0"])])["after"] == diff["before"]
    assert sg.revoked_lines(plan["sg-1"]) == ["tcp 22 from 0.0.0.0/0"]
    # A group left without ingress is empty text, not an empty line (a diff would show a bare "+").
    only = group(rules=[rule("tcp", 22, cidrs=["0.0.0.0/0"])])
    assert sg.group_diff(only, sg.revoke_plan(sg.audit([only], [443])["findings"], ["public_ingress"])["sg-1"])[
        "after"] == ""
