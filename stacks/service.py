"""`OhMyCoins-<env>-Service`: the ECS cluster, the two Fargate services, the ALB, the collectors,
and the CloudFront distribution in front of them (stacks/edge.py)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.cache import REDIS_PORT
from stacks.collectors import add_collectors
from stacks.contract import names, parked
from stacks.data import POSTGRES_PORT, DataStack
from stacks.edge import Edge
from stacks.load_balancer import LoadBalancer, access_log_bucket
from stacks.network import APP as APP_SUBNETS
from stacks.tasks import backend_environment, backend_secrets, task_definition
from stacks.waf import WebAcl, waf_log_group


class ServiceStack(Stack):
    """Services with autoscaling and a rolling-back circuit breaker.

    No service sets a desired count: CloudFormation starts a new service at one task, Application
    Auto Scaling keeps it within min/max, and later deploys leave the running count untouched
    (so a count set by `ops scale` or by autoscaling survives a deploy).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        vpc: ec2.IVpc,
        data: DataStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=names.cluster_name(config.name),
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        # Parked (stacks/contract/parked.py): no load balancer and no scheduled collectors; the
        # access-log bucket and the distribution (answering "paused") stay.
        self.access_logs = access_log_bucket(self)
        self.load_balancer = (
            None
            if config.parked
            else LoadBalancer(
                self, "LoadBalancer", config=config, vpc=vpc, access_logs=self.access_logs
            )
        )
        self.edge = (
            Edge(
                self,
                "Edge",
                config=config,
                alb=None if self.load_balancer is None else self.load_balancer.alb,
                log_bucket=self.access_logs,
                client_ip_header=names.CLIENT_IP_HEADER if config.waf.enabled else None,
            )
            if config.edge.cloudfront
            else None
        )
        self.web_acl = self._web_acl()
        backend_security_group = self._backend_security_group(vpc, data)
        backend_task = task_definition(
            self,
            config=config,
            service=names.BACKEND,
            port=names.BACKEND_PORT,
            environment=backend_environment(config, data),
            secrets=backend_secrets(data),
        )
        frontend_task = task_definition(
            self, config=config, service=names.FRONTEND, port=names.FRONTEND_PORT
        )
        frontend_security_group = ec2.SecurityGroup(
            self,
            "FrontendSecurityGroup",
            vpc=vpc,
            security_group_name=names.resource_name(config.name, names.FRONTEND),
            description="OhMyCoins frontend tasks",
            allow_all_outbound=False,
        )
        frontend_security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS for image pulls and logs"
        )
        self.services = {
            names.BACKEND: self._service(names.BACKEND, backend_task, backend_security_group),
            names.FRONTEND: self._service(names.FRONTEND, frontend_task, frontend_security_group),
        }
        self.task_definitions = {names.BACKEND: backend_task, names.FRONTEND: frontend_task}
        self.collector_rules = (
            {}
            if config.parked
            else add_collectors(
                self,
                config=config,
                cluster=self.cluster,
                task_definition=backend_task,
                security_group=backend_security_group,
            )
        )
        self._outputs()

    def _service(
        self,
        service: str,
        definition: ecs.FargateTaskDefinition,
        security_group: ec2.ISecurityGroup,
    ) -> ecs.FargateService:
        sizing = self.config.services[service]
        lb = self.load_balancer
        fargate = ecs.FargateService(
            self,
            f"{service.capitalize()}Service",
            service_name=names.resource_name(self.config.name, service),
            cluster=self.cluster,
            task_definition=definition,
            security_groups=[security_group],
            vpc_subnets=ec2.SubnetSelection(subnet_group_name=APP_SUBNETS),
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            # The backend migrates the database before it listens (app.prestart).
            health_check_grace_period=None if lb is None else Duration.seconds(120),
        )
        if lb is not None:
            # Also admits the ALB's group to the service's group on the container port (both ways).
            fargate.attach_to_application_target_group(lb.target_groups[service])
        scaling = fargate.auto_scale_task_count(
            min_capacity=sizing.min_tasks, max_capacity=sizing.max_tasks
        )
        scaling.scale_on_cpu_utilization(
            "CpuScaling",
            target_utilization_percent=sizing.cpu_target_percent,
            scale_in_cooldown=Duration.seconds(300),
            scale_out_cooldown=Duration.seconds(60),
        )
        return fargate

    def _web_acl(self) -> WebAcl | None:
        """The WAF on the load balancer when enabled (its log group stays while parked)."""
        config, lb = self.config, self.load_balancer
        if not config.waf.enabled:
            return None
        logs = waf_log_group(self, config)
        if lb is None:
            return None
        return WebAcl(
            self,
            "Waf",
            config=config,
            load_balancer_arn=lb.alb.load_balancer_arn,
            log_group=logs,
            client_ip_header=None if lb.internet_facing else names.CLIENT_IP_HEADER,
        )

    def _backend_security_group(self, vpc: ec2.IVpc, data: DataStack) -> ec2.SecurityGroup:
        """Backend tasks and collectors: out to HTTPS, PostgreSQL and Redis only.

        The ingress rules on the data stores' groups are created here, in the consumer's stack.
        """
        group = ec2.SecurityGroup(
            self,
            "BackendSecurityGroup",
            vpc=vpc,
            security_group_name=names.resource_name(self.config.name, names.BACKEND),
            description="OhMyCoins backend tasks and scheduled collectors",
            allow_all_outbound=False,
        )
        # Image pulls, Secrets Manager, CloudWatch Logs and the collectors' APIs are all HTTPS.
        group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs and data providers"
        )
        for store, target, port in (
            ("Postgres", data.database_security_group, POSTGRES_PORT),
            ("Redis", data.cache.security_group, REDIS_PORT),
        ):
            group.add_egress_rule(target, ec2.Port.tcp(port), f"{store} from the backend")
            ec2.CfnSecurityGroupIngress(
                self,
                f"BackendTo{store}",
                group_id=target.security_group_id,
                source_security_group_id=group.security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{store} from the backend",
            )
        return group

    def _outputs(self) -> None:
        lb = self.load_balancer
        outputs = {
            names.Outputs.CLUSTER_NAME: self.cluster.cluster_name,
            **{
                key: self.services[role].service_name
                for role, key in names.SERVICE_NAME_OUTPUTS.items()
            },
        }
        if self.edge is not None:
            outputs[names.Outputs.PUBLIC_URL] = self.edge.url
            outputs[names.Outputs.DISTRIBUTION_ID] = self.edge.distribution.distribution_id
        elif lb is not None:  # acknowledged plain HTTP (edge.cloudfront: false)
            outputs[names.Outputs.PUBLIC_URL] = f"http://{lb.dns_name}"
        if lb is not None:
            outputs[names.Outputs.LOAD_BALANCER_DNS_NAME] = lb.dns_name
            for role, key in names.TARGET_GROUP_ARN_OUTPUTS.items():
                outputs[key] = lb.target_groups[role].target_group_arn
        if self.collector_rules:  # `ops scale --to 0` pauses these rules
            outputs[names.Outputs.COLLECTOR_RULE_NAMES] = ",".join(
                rule.rule_name for rule in self.collector_rules.values()
            )
        for key in parked.outputs(self.config, names.SERVICE):
            CfnOutput(self, key, value=outputs[key])
