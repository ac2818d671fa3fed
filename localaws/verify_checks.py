"""One lookup per CloudFormation type: find a physical id through its own service's API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

Check = Callable[["Clients", str, dict[str, Any]], None]
"""A lookup: (clients, physical id, the resource's template properties); raises if absent."""


class Missing(LookupError):
    """The service does not know the resource."""


class Clients:
    """boto3 clients created once per service.

    The clients are untyped on purpose: the checks are a table over every CloudFormation type the
    templates use (a dozen services), many calling an operation named in the table (getattr).
    """

    def __init__(self, session: boto3.Session, endpoint_url: str | None = None) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        if service not in self._clients:
            # boto3-stubs types Session.client per literal name; this one comes from the table.
            self._clients[service] = self._session.client(  # type: ignore[call-overload]
                service, endpoint_url=self._endpoint_url
            )
        return self._clients[service]


def _need(found: Any, what: str) -> None:
    if not found:
        raise Missing(f"{what} not found")


def _ec2(call: str, key: str, ids_param: str) -> Check:
    return _listed("ec2", call, ids_param, key)


def _ec2_filtered(call: str, key: str, filter_name: str, what: str) -> Check:
    """An EC2 describe call filtered on `filter_name` equal to the physical id."""

    def check(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
        filters = [{"Name": filter_name, "Values": [physical_id]}]
        _need(getattr(clients.get("ec2"), call)(Filters=filters)[key], what)

    return check


def _route(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    table_id, destination = physical_id.split("~", 1)
    table = clients.get("ec2").describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]
    destinations = {
        r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") for r in table["Routes"]
    }
    _need(destination in destinations, f"route {destination}")


def _gateway_attachment(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    gateway_id, vpc_id = properties["InternetGatewayId"], properties["VpcId"]
    gateways = clients.get("ec2").describe_internet_gateways(InternetGatewayIds=[gateway_id])
    vpcs = {a["VpcId"] for g in gateways["InternetGateways"] for a in g.get("Attachments", [])}
    _need(vpc_id in vpcs, f"{gateway_id} attached to {vpc_id}")


def _iam_inline_policy(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    iam = clients.get("iam")
    name = properties["PolicyName"]
    if not isinstance(name, str):
        raise Missing(f"policy name {name} was not resolved")
    roles = properties.get("Roles", [])
    _need(roles, f"roles of policy {name}")
    for role in roles:
        if name not in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            raise Missing(f"inline policy {name} not on role {role}")


def _ecs_service(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    cluster = physical_id.split(":service/", 1)[1].split("/")[0]
    services = clients.get("ecs").describe_services(cluster=cluster, services=[physical_id])
    _need([s for s in services["services"] if s["status"] == "ACTIVE"], "active service")


def _log_group(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    groups = clients.get("logs").describe_log_groups(logGroupNamePrefix=physical_id)["logGroups"]
    _need([g for g in groups if g["logGroupName"] == physical_id], "log group")


def _alarm(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    alarms = clients.get("cloudwatch").describe_alarms(AlarmNames=[physical_id])["MetricAlarms"]
    _need(alarms, "alarm")
    for key in ("AlarmActions", "OKActions"):
        found, expected = len(alarms[0].get(key, [])), len(properties.get(key, []))
        if found != expected:
            raise Missing(f"{key}: {found} of {expected}")


def _events_rule(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    events = clients.get("events")
    events.describe_rule(Name=physical_id)
    targets = events.list_targets_by_rule(Rule=physical_id)["Targets"]
    expected = len(properties.get("Targets", []))
    if len(targets) != expected:
        raise Missing(f"{len(targets)} of {expected} targets")


def _target_attachment(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    value = clients.get("secretsmanager").get_secret_value(SecretId=physical_id)
    _need("host" in json.loads(value["SecretString"]), "attached database host in the secret")


def _scalable_target(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    resource_id, dimension, namespace = physical_id.split("|")
    targets = clients.get("application-autoscaling").describe_scalable_targets(
        ServiceNamespace=namespace, ResourceIds=[resource_id], ScalableDimension=dimension
    )["ScalableTargets"]
    _need(targets, "scalable target")


def _scaling_policy(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    namespace = physical_id.split(":resource/", 1)[1].split("/")[0]
    policies = clients.get("application-autoscaling").describe_scaling_policies(
        ServiceNamespace=namespace
    )["ScalingPolicies"]
    _need([p for p in policies if p["PolicyARN"] == physical_id], "scaling policy")


def _restricted_default_group(
    clients: Clients, physical_id: str, properties: dict[str, Any]
) -> None:
    groups = clients.get("ec2").describe_security_groups(GroupIds=[physical_id])["SecurityGroups"]
    _need(groups, "default security group")
    rules = groups[0]["IpPermissions"] + groups[0]["IpPermissionsEgress"]
    if rules:
        raise Missing(f"default security group {physical_id} still has {len(rules)} rules")


def _kms_alias(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    aliases = clients.get("kms").list_aliases()["Aliases"]
    _need([a for a in aliases if a["AliasName"] == physical_id and a.get("TargetKeyId")], "alias")


def _topic_policy(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    sns = clients.get("sns")
    expected = len(properties["PolicyDocument"].get("Statement", []))
    for topic_arn in properties["Topics"]:
        attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        policy = json.loads(attributes["Policy"])
        if policy.get("Id") == "__default_policy_ID" or len(policy["Statement"]) != expected:
            raise Missing(f"the template's policy on {topic_arn}")


def _event_invoke_config(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
    function = physical_id.split("|", 1)[0]
    clients.get("lambda").get_function_event_invoke_config(FunctionName=function)


def _call(service: str, method: str, param: str, *, as_list: bool = False) -> Check:
    def check(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
        getattr(clients.get(service), method)(**{param: [physical_id] if as_list else physical_id})

    return check


def _listed(service: str, method: str, param: str, key: str, *, as_list: bool = True) -> Check:
    def check(clients: Clients, physical_id: str, properties: dict[str, Any]) -> None:
        value = [physical_id] if as_list else physical_id
        _need(getattr(clients.get(service), method)(**{param: value})[key], method)

    return check


_security_group_rule = _ec2_filtered(
    "describe_security_group_rules",
    "SecurityGroupRules",
    "security-group-rule-id",
    "security group rule",
)

CHECKS: dict[str, Check] = {
    "AWS::EC2::VPC": _ec2("describe_vpcs", "Vpcs", "VpcIds"),
    "AWS::EC2::Subnet": _ec2("describe_subnets", "Subnets", "SubnetIds"),
    "AWS::EC2::RouteTable": _ec2("describe_route_tables", "RouteTables", "RouteTableIds"),
    "AWS::EC2::InternetGateway": _ec2(
        "describe_internet_gateways", "InternetGateways", "InternetGatewayIds"
    ),
    "AWS::EC2::NatGateway": _ec2("describe_nat_gateways", "NatGateways", "NatGatewayIds"),
    "AWS::EC2::EIP": _ec2("describe_addresses", "Addresses", "PublicIps"),
    "AWS::EC2::SecurityGroup": _ec2("describe_security_groups", "SecurityGroups", "GroupIds"),
    "AWS::EC2::FlowLog": _ec2("describe_flow_logs", "FlowLogs", "FlowLogIds"),
    "AWS::EC2::VPCEndpoint": _ec2("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointIds"),
    "AWS::EC2::Route": _route,
    "AWS::EC2::SubnetRouteTableAssociation": _ec2_filtered(
        "describe_route_tables",
        "RouteTables",
        "association.route-table-association-id",
        "route table association",
    ),
    "AWS::EC2::VPCGatewayAttachment": _gateway_attachment,
    "AWS::EC2::SecurityGroupIngress": _security_group_rule,
    "AWS::EC2::SecurityGroupEgress": _security_group_rule,
    "AWS::IAM::Role": _call("iam", "get_role", "RoleName"),
    "AWS::IAM::Policy": _iam_inline_policy,
    "AWS::IAM::ManagedPolicy": _call("iam", "get_policy", "PolicyArn"),
    "AWS::ECR::Repository": _listed(
        "ecr", "describe_repositories", "repositoryNames", "repositories"
    ),
    "AWS::KMS::Key": _call("kms", "describe_key", "KeyId"),
    "AWS::KMS::Alias": _kms_alias,
    "Custom::VpcRestrictDefaultSG": _restricted_default_group,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::S3::Bucket": _call("s3", "head_bucket", "Bucket"),
    "AWS::S3::BucketPolicy": _call("s3", "get_bucket_policy", "Bucket"),
    "AWS::SSM::Parameter": _call("ssm", "get_parameter", "Name"),
    "AWS::RDS::DBInstance": _listed(
        "rds", "describe_db_instances", "DBInstanceIdentifier", "DBInstances", as_list=False
    ),
    "AWS::RDS::DBSubnetGroup": _call("rds", "describe_db_subnet_groups", "DBSubnetGroupName"),
    "AWS::RDS::DBParameterGroup": _call(
        "rds", "describe_db_parameter_groups", "DBParameterGroupName"
    ),
    "AWS::SecretsManager::Secret": _call("secretsmanager", "describe_secret", "SecretId"),
    "AWS::SecretsManager::SecretTargetAttachment": _target_attachment,
    "AWS::ElastiCache::SubnetGroup": _call(
        "elasticache", "describe_cache_subnet_groups", "CacheSubnetGroupName"
    ),
    "AWS::ElastiCache::ReplicationGroup": _call(
        "elasticache", "describe_replication_groups", "ReplicationGroupId"
    ),
    "AWS::ECS::Cluster": _listed("ecs", "describe_clusters", "clusters", "clusters"),
    "AWS::ECS::TaskDefinition": _call("ecs", "describe_task_definition", "taskDefinition"),
    "AWS::ECS::Service": _ecs_service,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _listed(
        "elbv2", "describe_load_balancers", "LoadBalancerArns", "LoadBalancers"
    ),
    "AWS::ElasticLoadBalancingV2::TargetGroup": _listed(
        "elbv2", "describe_target_groups", "TargetGroupArns", "TargetGroups"
    ),
    "AWS::ElasticLoadBalancingV2::Listener": _listed(
        "elbv2", "describe_listeners", "ListenerArns", "Listeners"
    ),
    "AWS::ElasticLoadBalancingV2::ListenerRule": _listed(
        "elbv2", "describe_rules", "RuleArns", "Rules"
    ),
    "AWS::ApplicationAutoScaling::ScalableTarget": _scalable_target,
    "AWS::ApplicationAutoScaling::ScalingPolicy": _scaling_policy,
    "AWS::SNS::Topic": _call("sns", "get_topic_attributes", "TopicArn"),
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::SNS::Subscription": _call("sns", "get_subscription_attributes", "SubscriptionArn"),
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::Dashboard": _call("cloudwatch", "get_dashboard", "DashboardName"),
    "AWS::Events::Rule": _events_rule,
    "AWS::Lambda::Function": _call("lambda", "get_function", "FunctionName"),
    "AWS::Lambda::EventInvokeConfig": _event_invoke_config,
    "AWS::Scheduler::Schedule": _call("scheduler", "get_schedule", "Name"),
    "AWS::StepFunctions::StateMachine": _call(
        "stepfunctions", "describe_state_machine", "stateMachineArn"
    ),
}
