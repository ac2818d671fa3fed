"""AWS::Scheduler::Schedule and AWS::Lambda::EventInvokeConfig (the scale schedule's resources)."""

from __future__ import annotations

from typing import Any, Self

from localaws.adapter.base import AdapterResource, CloudFormationModel
from localaws.adapter.compat import require

_scheduler = require("moto.scheduler.models", "scheduler_backends")
_lambda = require("moto.awslambda.models", "lambda_backends")


class ScheduleResource(AdapterResource, CloudFormationModel):
    """An EventBridge Scheduler schedule; Ref is its name, GetAtt Arn its ARN."""

    cfn_type = "AWS::Scheduler::Schedule"
    name_property = "Name"
    attributes = ("Arn",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        backend = _scheduler.scheduler_backends[account_id][region_name]
        group = p.get("GroupName") or "default"
        schedule = backend.create_schedule(
            description=p.get("Description", ""),
            end_date=p.get("EndDate"),
            flexible_time_window=p["FlexibleTimeWindow"],
            group_name=group,
            kms_key_arn=p.get("KmsKeyArn"),
            name=p.get("Name", name),
            schedule_expression=p["ScheduleExpression"],
            schedule_expression_timezone=p.get("ScheduleExpressionTimezone"),
            start_date=p.get("StartDate"),
            state=p.get("State", "ENABLED"),
            target=dict(p["Target"]),
            action_after_completion=p.get("ActionAfterCompletion"),
        )
        return cls(f"{group}/{schedule.name}", Arn=schedule.arn)

    @property
    def physical_resource_id(self) -> str:
        return self._physical_id.split("/", 1)[1]

    def delete(self, account_id: str, region_name: str) -> None:
        group, name = self._physical_id.split("/", 1)
        _scheduler.scheduler_backends[account_id][region_name].delete_schedule(group, name)


class EventInvokeConfigResource(AdapterResource, CloudFormationModel):
    """A function's asynchronous invocation settings (retries, event age)."""

    cfn_type = "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        function = p["FunctionName"]
        config = {
            key: p[key]
            for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
            if key in p
        }
        _lambda.lambda_backends[account_id][region_name].put_function_event_invoke_config(
            function, config
        )
        return cls(f"{function}|{p.get('Qualifier', '$LATEST')}")

    def delete(self, account_id: str, region_name: str) -> None:
        function = self.physical_resource_id.split("|", 1)[0]
        _lambda.lambda_backends[account_id][region_name].delete_function_event_invoke_config(
            function
        )
