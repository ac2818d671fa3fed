"""The ALB: path routing to the services, access logs, HTTP on port 80.

Behind CloudFront (`edge.cloudfront: true`, stacks/edge.py) it is internal, in the private app
subnets, with no public address: CloudFront's VPC origin is its only client and serves HTTPS.
With `edge.cloudfront: false` (an acknowledged plain-HTTP env) it is internet-facing.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.contract import names
from stacks.network import APP as APP_SUBNETS

# Paths the ALB sends to the backend; everything else goes to the frontend.
BACKEND_PATHS: tuple[str, ...] = ("/api/*", "/docs", "/openapi.json")
ACCESS_LOG_DAYS = 90


def access_log_bucket(scope: Construct) -> s3.Bucket:
    """The access logs of the ALB and of CloudFront (prefixes `alb/` and `cloudfront/`).

    It belongs to the Service stack, not to the load balancer, so parking keeps it: a retained
    bucket removed with the ALB would be orphaned on every park and recreated on every unpark.
    CloudFront's standard logs are written with ACLs, hence object-writer ownership.
    """
    return s3.Bucket(
        scope,
        "AccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
        lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
    )


class LoadBalancer(Construct):
    """The ALB with one target group per service (IP targets, health-checked)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        vpc: ec2.IVpc,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        env = config.name
        internal = config.edge.cloudfront
        source = "the CloudFront VPC origin" if internal else "the internet"
        # Whether clients connect to it themselves (the WAF's per-client rule depends on it).
        self.internet_facing = not internal
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            security_group_name=names.resource_name(env, "alb"),
            description=f"OhMyCoins ALB: HTTP from {source}, out to the services only",
            allow_all_outbound=False,
        )
        self.access_logs = access_logs
        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            load_balancer_name=names.load_balancer_name(env),
            vpc=vpc,
            internet_facing=self.internet_facing,
            vpc_subnets=ec2.SubnetSelection(subnet_group_name=APP_SUBNETS)
            if internal
            else ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=self.security_group,
            drop_invalid_header_fields=True,
            # `ops park` lifts the protection before the parked deploy removes the load balancer.
            deletion_protection=config.alb_deletion_protection,
        )
        self.alb.log_access_logs(self.access_logs, prefix="alb")
        self.target_groups = {
            service: self._target_group(env, vpc, service, port, path)
            for service, port, path in (
                (names.BACKEND, names.BACKEND_PORT, names.BACKEND_HEALTH_PATH),
                (names.FRONTEND, names.FRONTEND_PORT, names.FRONTEND_HEALTH_PATH),
            )
        }
        # HTTP only. Behind CloudFront viewers get HTTPS from the distribution, which reaches this
        # internal ALB privately through its VPC origin; that traffic comes from CloudFront's own
        # address ranges, so the listener admits any source (nothing outside the VPC can route
        # to an internal ALB).
        self.listener = self.alb.add_listener(
            "Http",
            port=80,
            protocol=elbv2.ApplicationProtocol.HTTP,
            default_action=elbv2.ListenerAction.forward([self.target_groups[names.FRONTEND]]),
        )
        self.listener.add_target_groups(
            "Backend",
            priority=10,
            conditions=[elbv2.ListenerCondition.path_patterns(list(BACKEND_PATHS))],
            target_groups=[self.target_groups[names.BACKEND]],
        )

    def _target_group(
        self, env: str, vpc: ec2.IVpc, service: str, port: int, path: str
    ) -> elbv2.ApplicationTargetGroup:
        return elbv2.ApplicationTargetGroup(
            self,
            f"{service.capitalize()}TargetGroup",
            target_group_name=names.resource_name(env, service),
            vpc=vpc,
            port=port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=path,
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )

    @property
    def full_name(self) -> str:
        return self.alb.load_balancer_full_name

    @property
    def dns_name(self) -> str:
        return self.alb.load_balancer_dns_name
