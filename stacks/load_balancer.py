"""The public ALB: access logs, HTTPS + redirect when a certificate is set, path routing."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.contract import names

# Paths the ALB sends to the backend; everything else goes to the frontend.
BACKEND_PATHS: tuple[str, ...] = ("/api/*", "/docs", "/openapi.json")
ACCESS_LOG_DAYS = 90


class LoadBalancer(Construct):
    """Internet-facing ALB with one target group per service (IP targets, health-checked)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvConfig, vpc: ec2.IVpc
    ) -> None:
        super().__init__(scope, construct_id)
        env = config.name
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            security_group_name=names.resource_name(env, "alb"),
            description="OhMyCoins ALB: HTTP(S) from the internet, out to the services only",
            allow_all_outbound=False,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
        )
        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            load_balancer_name=names.resource_name(env, "alb"),
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=self.security_group,
            drop_invalid_header_fields=True,
        )
        self.alb.log_access_logs(self.access_logs, prefix="alb")
        self.target_groups = {
            service: self._target_group(env, vpc, service, port, path)
            for service, port, path in (
                (names.BACKEND, names.BACKEND_PORT, names.BACKEND_HEALTH_PATH),
                (names.FRONTEND, names.FRONTEND_PORT, names.FRONTEND_HEALTH_PATH),
            )
        }
        self.listener = self._listener(config)
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

    def _listener(self, config: EnvConfig) -> elbv2.ApplicationListener:
        """HTTPS on 443 with an HTTP->HTTPS redirect when a certificate is set, else HTTP on 80."""
        frontend = elbv2.ListenerAction.forward([self.target_groups[names.FRONTEND]])
        if config.certificate_arn is None:
            return self.alb.add_listener(
                "Http", port=80, protocol=elbv2.ApplicationProtocol.HTTP, default_action=frontend
            )
        self.alb.add_redirect(source_port=80, target_port=443)
        return self.alb.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_arn(config.certificate_arn)],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            default_action=frontend,
        )

    @property
    def full_name(self) -> str:
        return self.alb.load_balancer_full_name

    @property
    def dns_name(self) -> str:
        return self.alb.load_balancer_dns_name
