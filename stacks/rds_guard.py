"""The keep-RDS-stopped guard: stops the database again when AWS restarts it after 7 stopped days.

AWS starts a stopped instance after seven days and announces it with RDS-EVENT-0154. An EventBridge
rule on that event, for this instance only, starts a Step Functions state machine made of AWS SDK
integrations (no Lambda): wait, describe the instance, stop it once it is `available`, keep waiting
while it is `starting` (or in any other transition), and after 24 hours give up with a notification
on the alarm topic.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnResource, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.contract.names import resource_name
from stacks.log_groups import log_group

AUTO_START_EVENT = "RDS-EVENT-0154"
WAIT = Duration.minutes(5)
GIVE_UP_AFTER = Duration.hours(24)
MAX_ATTEMPTS = GIVE_UP_AFTER.to_seconds() // WAIT.to_seconds()
# The SDK error of StopDBInstance while the instance is still in a transition: wait and retry.
NOT_READY_ERROR = "Rds.InvalidDbInstanceStateException"


class RdsStoppedGuard(Construct):
    """Rule + state machine that keep one RDS instance stopped; only that instance is in its IAM."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        instance_identifier: str,
        topic: sns.ITopic,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        instance_arn = Stack.of(self).format_arn(
            service="rds",
            resource="db",
            resource_name=instance_identifier,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=resource_name(env_name, "rds-stopped-guard"),
            definition_body=sfn.DefinitionBody.from_chainable(
                self._definition(env_name, instance_identifier, instance_arn, topic)
            ),
            timeout=GIVE_UP_AFTER.plus(Duration.hours(1)),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group(
                    self,
                    "Logs",
                    name=f"/aws/vendedlogs/states/{resource_name(env_name, 'rds-guard')}",
                    retention_days=log_retention_days,
                ),
                level=sfn.LogLevel.ALL,
            ),
        )
        # CDK adds DependsOn the role that the RoleArn GetAtt already implies (cfn-lint W3005).
        policy = self.state_machine.role.node.find_child("DefaultPolicy").node.default_child
        machine = self.state_machine.node.default_child
        assert isinstance(policy, CfnResource) and isinstance(machine, CfnResource)
        machine.add_override("DependsOn", [Stack.of(self).get_logical_id(policy)])
        if topic.master_key is not None:  # publishing to an encrypted topic needs its key
            topic.master_key.grant(self.state_machine, "kms:Decrypt", "kms:GenerateDataKey")
        # Its cdk-nag acknowledgement (IAM5 on log delivery) lives in stacks/validation/nag.py.
        self.rule = events.Rule(
            self,
            "AutoStartRule",
            rule_name=resource_name(env_name, "rds-auto-start"),
            description=f"{AUTO_START_EVENT}: AWS started the stopped instance after 7 days",
            event_pattern=events.EventPattern(
                source=["aws.rds"],
                detail_type=["RDS DB Instance Event"],
                resources=[instance_arn],
                detail={"EventID": [AUTO_START_EVENT], "SourceIdentifier": [instance_identifier]},
            ),
            targets=[targets.SfnStateMachine(self.state_machine)],
        )

    def _definition(
        self, env_name: str, instance_id: str, instance_arn: str, topic: sns.ITopic
    ) -> sfn.IChainable:
        start = sfn.Pass(self, "Start", parameters={"attempts": 0})
        wait = sfn.Wait(self, "WaitForInstance", time=sfn.WaitTime.duration(WAIT))
        describe = tasks.CallAwsService(
            self,
            "DescribeInstance",
            service="rds",
            action="describeDBInstances",
            iam_action="rds:DescribeDBInstances",
            iam_resources=[instance_arn],
            parameters={"DbInstanceIdentifier": instance_id},
            result_selector={"status.$": "$.DbInstances[0].DbInstanceStatus"},
            result_path="$.db",
        )
        stop = tasks.CallAwsService(
            self,
            "StopInstance",
            service="rds",
            action="stopDBInstance",
            iam_action="rds:StopDBInstance",
            iam_resources=[instance_arn],
            parameters={"DbInstanceIdentifier": instance_id},
            result_path=sfn.JsonPath.DISCARD,
        )
        count = sfn.Pass(
            self,
            "CountAttempt",
            parameters={"attempts.$": "States.MathAdd($.attempts, 1)"},
        )
        give_up = self._notify(
            env_name, "GiveUp", topic, f"{instance_id} did not become available within 24 h"
        )
        failed = self._notify(env_name, "NotifyError", topic, f"{instance_id}: an AWS call failed")
        for task in (describe, stop):
            task.add_retry(errors=["Rds.ThrottlingException"], max_attempts=3)
        describe.add_catch(failed, result_path="$.error")
        stop.add_catch(count, errors=[NOT_READY_ERROR], result_path=sfn.JsonPath.DISCARD)
        stop.add_catch(failed, result_path="$.error")
        stop.next(sfn.Succeed(self, "Stopped"))
        count.next(wait)
        decide = (
            sfn.Choice(self, "InstanceStatus")
            .when(sfn.Condition.string_equals("$.db.status", "available"), stop)
            .when(
                sfn.Condition.or_(
                    sfn.Condition.string_equals("$.db.status", "stopped"),
                    sfn.Condition.string_equals("$.db.status", "stopping"),
                ),
                sfn.Succeed(self, "AlreadyStopped"),
            )
            .when(sfn.Condition.number_greater_than_equals("$.attempts", MAX_ATTEMPTS), give_up)
            .otherwise(count)
        )
        return start.next(wait).next(describe).next(decide)

    def _notify(self, env_name: str, name: str, topic: sns.ITopic, what: str) -> sfn.IChainable:
        """Publish on the alarm topic, then fail the execution so it shows as failed."""
        message = sfn.JsonPath.format(
            f"{resource_name(env_name)}: the keep-RDS-stopped guard gave up: {what}. "
            "Stop it with `ops rds stop`. Execution: {}",
            sfn.JsonPath.string_at("$$.Execution.Id"),
        )
        publish = tasks.SnsPublish(
            self,
            f"{name}Notify",
            topic=topic,
            subject=f"OhMyCoins {env_name}: RDS instance left running",
            message=sfn.TaskInput.from_text(message),
            result_path=sfn.JsonPath.DISCARD,
        )
        return publish.next(sfn.Fail(self, f"{name}Failed", error=name, cause=what))
