"""Seed the sandbox's moto with what the data-protection baseline (requirement 2) judges, one region at a time.

    seed(client, region, spec) -> dict of what was created (names -> ids/ARNs)

``client(service, region)`` returns a boto3 client on the sandbox's moto. ``spec`` is one region's ``baseline``
section of a scenario (every key optional; lists default to empty)::

    baseline:
      vpcs:
        - name: platform                      # tag Name; the key other entries refer to
          default: false                      # true: use the region's default VPC and its subnets (no cidr)
          cidr: 10.0.0.0/16
          subnets: [10.0.1.0/24, 10.0.2.0/24]  # default: the first two /24s (or cidr prefix + 8), in AZs <region>a, b
          flow_logs: false                    # or {log_group: /seed/vpc-flow-logs, kms: true, retention_days: 30,
                                              #     traffic_type: ALL}; kms/retention false/null make the gap
          security_groups:
            - name: web                       # names are unique within one region's spec
              description: Coder ingress
              attached: true                  # default true: a network interface in the first subnet carries it
              ingress:                        # one entry per rule source
                - {protocol: tcp, port: 443, cidr: 0.0.0.0/0}
                - {protocol: tcp, ports: [8000, 8100], cidr: 10.0.0.0/8}
                - {protocol: tcp, port: 22, cidr_ipv6: "::/0"}
                - {protocol: "-1", source_group: web}    # by name; "self" is the group itself
      rds_clusters:
        - id: coder-db
          vpc: platform                       # DB subnet group from the VPC's subnets (optional)
          engine: aurora-postgresql           # default
          engine_version: "15.4"
          encryption: cmk                     # cmk (a new customer-managed key) | aws-managed (alias/aws/rds) | none
          force_ssl: true                     # true/false: custom cluster parameter group <id>-params with
                                              # rds.force_ssl 1/0; null: the engine's default group
          instances: 1                        # writer/readers <id>-1..n
          instance_class: db.r6g.large
          security_groups: [db]               # names from the VPC's security_groups
      load_balancers:
        - name: coder                         # an internet-facing ALB in the VPC's subnets
          vpc: platform
          security_groups: [web]
          listeners:
            - {protocol: HTTPS, port: 443, ssl_policy: ELBSecurityPolicy-TLS13-1-2-2021-06}
            - {protocol: HTTP, port: 80, redirect_https: true}   # false: forwards plain HTTP (the gap)
      secrets:
        - name: coder/db-password
          tags: {kind: database}
          rotation_days: 30                   # null: rotation off (the gap)
      s3_buckets:                             # S3 is global: list buckets under one region only
        - name: coder-artifacts
          deny_insecure: true                 # false: a policy without the aws:SecureTransport deny; null: no policy

moto specifics the seed relies on (each differs from AWS): ``RotateSecret`` without a rotation Lambda enables
rotation and stamps ``LastRotatedDate`` (AWS requires the Lambda; moto invokes an existing one through Docker),
and moto creates no network interfaces for load balancers or DB instances, so ``attached`` makes one explicitly.
"""

import ipaddress
import json

CMK_ALIAS = "alias/seed-baseline-rds"
FLOW_LOG_ROLE = "seed-baseline-vpc-flow-logs"
TRUST_FLOW_LOGS = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _subnets(vpc_spec):
    if vpc_spec.get("subnets"):
        return list(vpc_spec["subnets"])
    network = ipaddress.ip_network(vpc_spec["cidr"])
    new_prefix = 24 if network.prefixlen < 24 else network.prefixlen + 2
    return [str(net) for net, dummy in zip(network.subnets(new_prefix=new_prefix), range(2))]


def _flow_log_role(client, region):
    iam = client("iam", region)
    try:
        return iam.get_role(RoleName=FLOW_LOG_ROLE)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName=FLOW_LOG_ROLE, AssumeRolePolicyDocument=json.dumps(TRUST_FLOW_LOGS))["Role"]["Arn"]


def _cmk(client, region, created):
    """The region's seed CMK, reused when an earlier seed of the same region made it (seeding twice is allowed)."""
    if "cmk_arn" not in created:
        kms = client("kms", region)
        try:
            created["cmk_arn"] = kms.describe_key(KeyId=CMK_ALIAS)["KeyMetadata"]["Arn"]
        except kms.exceptions.NotFoundException:
            created["cmk_arn"] = kms.create_key(Description="seed baseline RDS CMK")["KeyMetadata"]["Arn"]
            kms.create_alias(AliasName=CMK_ALIAS, TargetKeyId=created["cmk_arn"])
    return created["cmk_arn"]


def _port_range(rule):
    if rule.get("protocol", "tcp") in ("-1", "all"):
        return {}
    if "ports" in rule:
        return {"FromPort": int(rule["ports"][0]), "ToPort": int(rule["ports"][1])}
    return {"FromPort": int(rule["port"]), "ToPort": int(rule["port"])}


def _permission(rule, group_id, group_ids):
    permission = {"IpProtocol": "-1" if rule.get("protocol") in ("-1", "all") else rule.get("protocol", "tcp")}
    permission.update(_port_range(rule))
    if rule.get("cidr"):
        permission["IpRanges"] = [{"CidrIp": rule["cidr"]}]
    elif rule.get("cidr_ipv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule["cidr_ipv6"]}]
    elif rule.get("source_group"):
        source = group_id if rule["source_group"] == "self" else group_ids[rule["source_group"]]
        permission["UserIdGroupPairs"] = [{"GroupId": source}]
    else:
        raise ValueError("ingress rule %r needs cidr, cidr_ipv6 or source_group" % (rule,))
    return permission


def _seed_vpc(client, region, vpc_spec, created):
    ec2 = client("ec2", region)
    if vpc_spec.get("default"):
        vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnet_ids = sorted(s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"])
    else:
        vpc_id = ec2.create_vpc(CidrBlock=vpc_spec["cidr"])["Vpc"]["VpcId"]
        ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": vpc_spec["name"]}])
        subnet_ids = []
        for index, cidr in enumerate(_subnets(vpc_spec)):
            subnet_ids.append(ec2.create_subnet(
                VpcId=vpc_id, CidrBlock=cidr,
                AvailabilityZone="%s%s" % (region, "abc"[index % 3]))["Subnet"]["SubnetId"])
    created["vpcs"][vpc_spec["name"]] = vpc_id
    created["subnets"][vpc_spec["name"]] = subnet_ids
    groups = vpc_spec.get("security_groups") or []
    for group in groups:  # create all first: rules may reference each other
        created["security_groups"][group["name"]] = ec2.create_security_group(
            GroupName=group["name"], Description=group.get("description") or group["name"], VpcId=vpc_id)["GroupId"]
    for group in groups:
        group_id = created["security_groups"][group["name"]]
        permissions = [_permission(rule, group_id, created["security_groups"]) for rule in group.get("ingress") or []]
        if permissions:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
        if group.get("attached", True):
            ec2.create_network_interface(SubnetId=subnet_ids[0], Groups=[group_id],
                                         Description="seed: carries %s" % group["name"])
    flow = vpc_spec.get("flow_logs")
    if flow:
        _seed_flow_log(client, region, vpc_id, flow if isinstance(flow, dict) else {}, created)


def _seed_flow_log(client, region, vpc_id, flow, created):
    logs = client("logs", region)
    name = flow.get("log_group") or "/seed/vpc-flow-logs"
    existing = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    if not existing:
        request = {"logGroupName": name}
        if flow.get("kms", True):
            request["kmsKeyId"] = client("kms", region).create_key(Description="seed flow logs")["KeyMetadata"]["Arn"]
        logs.create_log_group(**request)
        if flow.get("retention_days", 30):
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(flow.get("retention_days", 30)))
    answer = client("ec2", region).create_flow_logs(
        ResourceIds=[vpc_id], ResourceType="VPC", TrafficType=flow.get("traffic_type", "ALL"),
        LogDestinationType="cloud-watch-logs", LogGroupName=name,
        DeliverLogsPermissionArn=_flow_log_role(client, region))
    created["flow_logs"][vpc_id] = answer["FlowLogIds"][0]


def _seed_cluster(client, region, spec, created):
    rds = client("rds", region)
    engine = spec.get("engine", "aurora-postgresql")
    request = {"DBClusterIdentifier": spec["id"], "Engine": engine,
               "EngineVersion": str(spec.get("engine_version", "15.4")), "MasterUsername": "coder",
               "MasterUserPassword": "seed-password-not-secret"}
    encryption = spec.get("encryption", "cmk")
    if encryption == "cmk":
        request.update(StorageEncrypted=True, KmsKeyId=_cmk(client, region, created))
    elif encryption == "aws-managed":
        request.update(StorageEncrypted=True, KmsKeyId="alias/aws/rds")
    elif encryption != "none":
        raise ValueError("rds cluster %s: encryption must be cmk, aws-managed or none" % spec["id"])
    if spec.get("force_ssl") is not None:
        family = "%s%s" % (engine, str(spec.get("engine_version", "15.4")).split(".", maxsplit=1)[0])
        group = "%s-params" % spec["id"]
        rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=group, DBParameterGroupFamily=family,
                                              Description="seed: %s" % spec["id"])
        rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=[{
            "ParameterName": "rds.force_ssl", "ParameterValue": "1" if spec["force_ssl"] else "0",
            "ApplyMethod": "pending-reboot"}])
        request["DBClusterParameterGroupName"] = group
    if spec.get("vpc"):
        subnet_group = "%s-subnets" % spec["id"]
        rds.create_db_subnet_group(DBSubnetGroupName=subnet_group, DBSubnetGroupDescription="seed",
                                   SubnetIds=created["subnets"][spec["vpc"]])
        request["DBSubnetGroupName"] = subnet_group
    if spec.get("security_groups"):
        request["VpcSecurityGroupIds"] = [created["security_groups"][name] for name in spec["security_groups"]]
    cluster = rds.create_db_cluster(**request)["DBCluster"]
    for index in range(int(spec.get("instances", 1))):
        rds.create_db_instance(DBInstanceIdentifier="%s-%d" % (spec["id"], index + 1), DBClusterIdentifier=spec["id"],
                               Engine=engine, DBInstanceClass=spec.get("instance_class", "db.r6g.large"))
    created["clusters"][spec["id"]] = {"arn": cluster["DBClusterArn"], "kms_key_id": cluster.get("KmsKeyId"),
                                       "storage_encrypted": cluster.get("StorageEncrypted")}


def _seed_load_balancer(client, region, spec, created):
    elb = client("elbv2", region)
    vpc_id = created["vpcs"][spec["vpc"]]
    balancer = elb.create_load_balancer(
        Name=spec["name"], Subnets=created["subnets"][spec["vpc"]], Type="application", Scheme="internet-facing",
        SecurityGroups=[created["security_groups"][n] for n in spec.get("security_groups") or []])["LoadBalancers"][0]
    target_group = elb.create_target_group(Name="%s-tg" % spec["name"], Protocol="HTTP", Port=8080,
                                           VpcId=vpc_id)["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": target_group}]
    for listener in spec.get("listeners") or []:
        request = {"LoadBalancerArn": balancer["LoadBalancerArn"], "Protocol": listener["protocol"],
                   "Port": int(listener["port"]), "DefaultActions": forward}
        if listener["protocol"] == "HTTPS":
            certificate = client("acm", region).request_certificate(
                DomainName="%s.seed.example.com" % spec["name"])["CertificateArn"]
            request.update(SslPolicy=listener.get("ssl_policy", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
                           Certificates=[{"CertificateArn": certificate}])
        elif listener.get("redirect_https"):
            request["DefaultActions"] = [{"Type": "redirect", "RedirectConfig": {
                "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
        elb.create_listener(**request)
    created["load_balancers"][spec["name"]] = balancer["LoadBalancerArn"]


def _seed_secret(client, region, spec, created):
    secrets = client("secretsmanager", region)
    arn = secrets.create_secret(Name=spec["name"], SecretString=json.dumps({"seed": spec["name"]}),
                                Tags=[{"Key": k, "Value": str(v)} for k, v in (spec.get("tags") or {}).items()])["ARN"]
    if spec.get("rotation_days"):
        secrets.rotate_secret(SecretId=arn, RotationRules={"AutomaticallyAfterDays": int(spec["rotation_days"])})
    created["secrets"][spec["name"]] = arn


def _seed_bucket(client, region, spec, created):
    s3 = client("s3", region)
    name = spec["name"]
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    deny = spec.get("deny_insecure", True)
    if deny is not None:
        statement = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": ["arn:aws:s3:::%s" % name, "arn:aws:s3:::%s/*" % name],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        if not deny:
            statement = {"Sid": "ReadOnlyForAccount", "Effect": "Allow",
                         "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject",
                         "Resource": "arn:aws:s3:::%s/*" % name}
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    created["buckets"].append(name)


def seed(client, region, spec):
    """Create what ``spec`` describes in ``region``; returns {vpcs, subnets, security_groups, flow_logs, clusters,
    load_balancers, secrets, buckets, cmk_arn (when a cmk cluster was seeded)}."""
    spec = spec or {}
    created = {"region": region, "vpcs": {}, "subnets": {}, "security_groups": {}, "flow_logs": {}, "clusters": {},
               "load_balancers": {}, "secrets": {}, "buckets": []}
    for vpc_spec in spec.get("vpcs") or []:
        _seed_vpc(client, region, vpc_spec, created)
    for cluster in spec.get("rds_clusters") or []:
        _seed_cluster(client, region, cluster, created)
    for balancer in spec.get("load_balancers") or []:
        _seed_load_balancer(client, region, balancer, created)
    for secret in spec.get("secrets") or []:
        _seed_secret(client, region, secret, created)
    for bucket in spec.get("s3_buckets") or []:
        _seed_bucket(client, region, bucket, created)
    return created
