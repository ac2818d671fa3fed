"""cdk-nag AwsSolutions checks and cfn-lint on the real app, and every acknowledgement + reason.

This module is the one place where findings are acknowledged. Each acknowledgement sits on the
narrowest construct, and the environment-dependent ones apply only where the config causes them.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from cdk_app.config import EnvConfig
from stacks.app import EnvStacks
from stacks.contract import names
from stacks.db_rotation.infrastructure import DatabaseRotation
from stacks.edge import Edge
from stacks.rds_guard import RdsStoppedGuard
from stacks.schedule import ScaleSchedule
from stacks.validation.cfn_lint_plugin import LintRun, overlapping_plugins

NAG = "AwsSolutions::AwsSolutions-"


def enable_checks(app: cdk.App, *, regions: list[str], builtin: bool = True) -> LintRun:
    """Register cdk-nag (AwsSolutions) and cfn-lint; any unacknowledged finding fails synthesis.

    Returns the cfn-lint run, which tells after synthesis what was linted and found.

    cfn-lint (Python) starts first and runs while the built-in validation and cdk-nag check in the
    CDK's node process, so the validations overlap on two cores.
    """
    start, finish = overlapping_plugins(regions=regions)
    # Registering the built-in plugin explicitly replaces the automatic instance and lets it run
    # after cfn-lint has started (it is the slowest check of the CDK's own). Without `builtin`
    # (the app created with `validation=False`), cfn-lint's schema checks stand in for it.
    own = [cdk.CloudFormationValidatePlugin()] if builtin else []
    cdk.Validations.of(app).add_plugins(start, *own, AwsSolutionsChecks(app), finish)
    return finish.run


def _ack(construct: IConstruct, rule: str, reason: str) -> None:
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=NAG + rule, reason=reason))


def _lint_ignore(resource: IConstruct | None, check: str) -> None:
    """cfn-lint's own in-template acknowledgement, honoured however cfn-lint is run."""
    assert isinstance(resource, cdk.CfnResource)
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": [check]}})


def acknowledge(stacks: EnvStacks, config: EnvConfig) -> None:
    """Acknowledge the findings this design accepts."""
    _network(stacks)
    _data(stacks, config)
    _service(stacks, config)
    if stacks.monitoring.rds_guard is not None:
        acknowledge_rds_guard(stacks.monitoring.rds_guard)
    if stacks.schedule is not None:
        acknowledge_scale_schedule(stacks.schedule.scale_schedule)


def acknowledge_rds_guard(guard: RdsStoppedGuard) -> None:
    """The keep-RDS-stopped guard's state machine (also used on its own in tests)."""
    _ack(
        guard.state_machine,
        "IAM5[Resource::*]",
        "Log delivery and X-Ray tracing accept only Resource '*'; the RDS actions are limited to "
        "this one instance ARN.",
    )


def acknowledge_database_rotation(rotation: DatabaseRotation) -> None:
    """The database rotation function's role (also used on its own in tests)."""
    _ack(
        rotation.role,
        "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaVPCAccessExecutionRole]",
        "The function runs in the VPC to reach the database; AWS maintains this policy for "
        "exactly the network interfaces Lambda creates there.",
    )
    _ack(
        rotation.role,
        "IAM5[Resource::*]",
        "secretsmanager:GetRandomPassword accepts only Resource '*'; every other action names "
        "this environment's secrets, database instance, parameter and backend service.",
    )


def acknowledge_scale_schedule(schedule: ScaleSchedule) -> None:
    """The scheduled-scale function's role (also used on its own in tests)."""
    _ack(
        schedule.role,
        "IAM5[Resource::*]",
        "Application Auto Scaling's DescribeScalableTargets and RegisterScalableTarget, and "
        "Elastic Load Balancing's DescribeLoadBalancers and DescribeLoadBalancerAttributes (a "
        "parking schedule), accept only Resource '*'; every other action names this "
        "environment's resources.",
    )
    stack = cdk.Stack.of(schedule)

    def rendered(value: str, token: str) -> str:  # how cdk-nag prints an unresolved value
        return token if cdk.Token.is_unresolved(value) else value

    partition = rendered(stack.partition, "<AWS::Partition>")
    account = rendered(stack.account, "<AWS::AccountId>")
    for stack_name in schedule.stack_names:
        arn = f"arn:{partition}:cloudformation:{stack.region}:{account}:stack/{stack_name}/*"
        _ack(
            schedule.role,
            f"IAM5[Resource::{arn}]",
            "A stack ARN ends in an id generated at creation; the stack name is exact.",
        )
    if schedule.parks:
        alb = names.load_balancer_name(schedule.env_name)
        _ack(
            schedule.role,
            f"IAM5[Resource::arn:{partition}:elasticloadbalancing:{stack.region}:{account}:"
            f"loadbalancer/app/{alb}/*]",
            "A load balancer ARN ends in an id generated at creation; the name is exact (parking "
            "lifts its deletion protection, as `ops park` does).",
        )
    secret = names.app_database_secret(schedule.env_name)
    _ack(
        schedule.role,
        f"IAM5[Resource::arn:{partition}:secretsmanager:{stack.region}:{account}:secret:"
        f"{secret}-??????]",
        "A secret ARN ends in six characters generated at creation; the secret name is exact "
        "(a restore starts the database user's rotation that waited for the database).",
    )


def _network(stacks: EnvStacks) -> None:
    # W3010: the three AZs are explicit by design (config `availability_zones`), so that every
    # environment gets exactly three and the subnets never move between zones.
    for subnet in stacks.network.vpc.public_subnets + stacks.network.vpc.private_subnets:
        _lint_ignore(subnet.node.default_child, "W3010")
    for subnet in stacks.network.vpc.isolated_subnets:
        _lint_ignore(subnet.node.default_child, "W3010")
    # W3005: aws-cdk-lib's generated handler that locks the default security group declares a
    # DependsOn its role that a GetAtt already implies; the resource is not ours to change.
    provider = stacks.network.node.try_find_child(
        "Custom::VpcRestrictDefaultSGCustomResourceProvider"
    )
    if provider is not None:
        _lint_ignore(provider.node.find_child("Handler"), "W3005")


def _data(stacks: EnvStacks, config: EnvConfig) -> None:
    data = stacks.data
    _ack(
        data.database.node.find_child("Secret"),
        "SMG4",
        "The master user is not the app's: the rotation function uses it to set the passwords of "
        "the app's two alternating users, whose secret rotates on a schedule; nothing else "
        "connects with it except the break-glass procedure of the credentials runbook."
        if data.rotation is not None
        else f"{config.name} runs without database rotation (rds.credential_rotation_days: "
        "null): its tasks connect as the master, rotated by the credentials runbook.",
    )
    _ack(
        data.cache.auth_secret,
        "SMG4",
        "An ElastiCache AUTH token rotates only through ModifyReplicationGroup (ROTATE, then SET) "
        "with a redeploy in between: `ops secrets rotate REDIS_AUTH`, not a rotation Lambda.",
    )
    _ack(
        data.app_secret,
        "SMG4",
        "Holds third-party API keys that only their providers can reissue and the JWT signing "
        "key; each rotates with `ops secrets rotate KEY` (new version, redeploy, check, "
        "rollback on failure), not a rotation Lambda.",
    )
    if data.rotation is not None:
        acknowledge_database_rotation(data.rotation)
    _ack(
        data.database,
        "RDS11",
        "5432 is the backend's contract; only the backend's security group is admitted, over TLS.",
    )
    monitoring_role = data.database.node.try_find_child("MonitoringRole")
    if monitoring_role is not None:  # rds.enhanced_monitoring_seconds > 0
        _ack(
            monitoring_role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonRDSEnhancedMonitoringRole]",
            "The role RDS assumes to publish enhanced-monitoring OS metrics to CloudWatch Logs; "
            "AWS maintains this managed policy for exactly that and nothing else.",
        )
    group = data.cache.replication_group  # None while parked
    if group is not None:
        _ack(
            group,
            "AEC5",
            "6379 is the backend's contract; only the backend's security group is admitted, with "
            "TLS and an AUTH token.",
        )
    if not config.rds.multi_az:
        _ack(
            data.database,
            "RDS3",
            f"{config.name} runs single-AZ by configuration (rds.multi_az: false) to halve its "
            "cost; production runs Multi-AZ.",
        )
    if not config.rds.deletion_protection:
        _ack(
            data.database,
            "RDS10",
            f"{config.name} is disposable (rds.deletion_protection: false); removal still takes a "
            "final snapshot, and production enables deletion protection.",
        )
    if config.redis.replicas == 0 and group is not None:
        _ack(
            group,
            "AEC4",
            f"{config.name} runs Redis without a replica by configuration (redis.replicas: 0); "
            "it holds only cache entries and rate-limit counters. Production has a replica.",
        )


def _edge(edge: Edge, config: EnvConfig) -> None:
    distribution = edge.distribution
    if config.certificate_arn is None:
        _ack(
            distribution,
            "CFR4",
            "No custom domain is configured (edge.domain_name): the default *.cloudfront.net "
            "certificate's policy is fixed by CloudFront; a custom certificate gets TLSv1.2_2021.",
        )
    _ack(
        distribution,
        "CFR1",
        "The app serves users worldwide; no country is excluded by design.",
    )
    _ack(
        distribution,
        "CFR2",
        "The web ACL sits on the distribution's only origin, the internal ALB (REGIONAL, "
        "stacks/waf.py), counting viewers by the address the edge sets; a CLOUDFRONT-scope ACL "
        "would need a stack in us-east-1."
        if config.waf.enabled
        else f"{config.name} runs without a web ACL by configuration (waf.enabled: false); "
        "production puts one on the ALB behind the distribution.",
    )


def _service(stacks: EnvStacks, config: EnvConfig) -> None:
    service = stacks.service
    lb = service.load_balancer  # None while parked
    if lb is not None:
        _ack(
            lb.security_group,
            "EC23",
            "Behind CloudFront the ALB is internal (no public address) and its VPC origin's "
            "traffic arrives from CloudFront's address ranges; with acknowledged plain HTTP "
            "(edge.cloudfront: false) it exists to accept HTTP from anywhere. Either way it "
            "forwards only to the services' ports.",
        )
    _ack(
        service.access_logs,
        "S1",
        "This bucket is the ALB and CloudFront access-log destination; logging access to it "
        "would recurse.",
    )
    if service.edge is not None:
        _edge(service.edge, config)
    _ack(
        service.task_definitions[names.BACKEND],
        "ECS2",
        "Only non-secret settings (environment name, hosts, ports, database name) are plain "
        "variables; every secret is injected through ECS secrets.",
    )
    for name in names.SERVICES:
        if config.services[name].image_uri is not None:
            continue
        role = service.task_definitions[name].execution_role
        assert role is not None
        _ack(
            role.node.find_child("DefaultPolicy"),
            "IAM5[Resource::*]",
            "ecr:GetAuthorizationToken supports no resource-level permission; image pulls are "
            "limited to the CDK asset repository.",
        )
    cluster = service.cluster.node.default_child
    assert isinstance(cluster, cdk.CfnResource)
    cluster_id = service.get_logical_id(cluster)
    events_role = service.task_definitions[names.BACKEND].node.try_find_child("EventsRole")
    if events_role is not None:
        _ack(
            events_role.node.find_child("DefaultPolicy"),
            f"IAM5[Resource::arn:aws:ecs:{config.region}:*:task/<{cluster_id}>/*]",
            "The scheduler tags the collector tasks it starts in this cluster; task ids are not "
            "known in advance.",
        )
