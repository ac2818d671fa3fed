"""`OhMyCoins-<env>-Monitoring`: the encrypted alarm topic, every catalog alarm, the dashboard."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.contract import alarm_catalog as catalog
from stacks.contract import names, parked
from stacks.dashboard import build_dashboard
from stacks.metrics import MetricSources, alarm_metric
from stacks.rds_guard import RdsStoppedGuard


def _enum_name(cloudformation_value: str) -> str:
    """CloudFormation's camel case to the CDK enum member name (notBreaching -> NOT_BREACHING)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cloudformation_value).upper()


def alarm_description(alarm: catalog.AlarmSpec, runbook_base_url: str | None) -> str:
    """Summary, severity and the runbook (path, plus its URL when a base URL is configured)."""
    text = f"[{alarm.severity.label}] {alarm.summary} Runbook: {alarm.runbook}"
    if runbook_base_url:
        text += f" ({runbook_base_url.rstrip('/')}/{alarm.id}.md)"
    return text


class MonitoringStack(Stack):
    """Alarms with ALARM and OK actions on one KMS-encrypted SNS topic, plus the dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        sources: MetricSources,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.topic = self._topic()
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        action = actions.SnsAction(self.topic)
        for spec in parked.alarms(config):
            alarm = cloudwatch.Alarm(
                self,
                f"Alarm-{spec.id}",
                alarm_name=names.alarm_name(config.name, spec.id),
                alarm_description=alarm_description(spec, config.runbook_base_url),
                metric=alarm_metric(spec, sources),
                threshold=spec.threshold,
                comparison_operator=cloudwatch.ComparisonOperator[_enum_name(spec.comparison)],
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.datapoints_to_alarm,
                treat_missing_data=cloudwatch.TreatMissingData[_enum_name(spec.treat_missing_data)],
                # Only muted alarms carry the property: the others' templates stay as they were.
                actions_enabled=False if parked.muted(config, spec) else None,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[spec.id] = alarm
        self.dashboard = build_dashboard(
            self,
            name=names.resource_name(config.name, "dashboard"),
            alarms=parked.alarms(config),
            sources=sources,
        )
        self.rds_guard = None
        if config.keep_rds_stopped:
            self.rds_guard = RdsStoppedGuard(
                self,
                "KeepRdsStopped",
                env_name=config.name,
                instance_identifier=sources.db_instance_id,
                topic=self.topic,
                log_retention_days=config.log_retention_days,
            )
        outputs = {
            names.Outputs.ALARM_TOPIC_ARN: self.topic.topic_arn,
            names.Outputs.DASHBOARD_NAME: self.dashboard.dashboard_name,
        }
        for key in names.OUTPUTS_BY_STACK[names.MONITORING]:
            CfnOutput(self, key, value=outputs[key])

    def _topic(self) -> sns.Topic:
        key = kms.Key(
            self,
            "TopicKey",
            alias=f"alias/{names.resource_name(self.config.name, 'alarms')}",
            description="Encrypts the OhMyCoins alarm topic",
            enable_key_rotation=True,
        )
        # CloudWatch alarms (and EventBridge) publish to the encrypted topic.
        for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[iam.ServicePrincipal(service)],
                    resources=["*"],
                )
            )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=names.resource_name(self.config.name, "alarms"),
            display_name=f"OhMyCoins {self.config.name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        for email in self.config.alarm_emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        # PagerDuty/Opsgenie-style HTTPS endpoints; an endpoint may be a dynamic reference to
        # Secrets Manager, which the URL helper would reject as not starting with https://.
        for index, endpoint in enumerate(self.config.alarm_webhooks):
            sns.Subscription(
                self,
                f"AlarmWebhook{index}",
                topic=topic,
                endpoint=endpoint,
                protocol=sns.SubscriptionProtocol.HTTPS,
            )
        return topic
