"""The keep-RDS-stopped guard: stops the database again when AWS restarts it after 7 stopped days.

AWS starts a stopped instance after seven days and announces it with RDS-EVENT-0154. An EventBridge
rule on that event, for this instance only, starts a Step Functions state machine made of AWS SDK
integrations (no Lambda): wait, describe the instance, and once it is `available` stop it, but only
while the environment is meant to be down: the saved scale state says `down` (scaled to zero or
parked), or `ops rds stop` left its mark. Otherwise (a restore or `ops rds start` came in between)
it ends quietly. It keeps waiting while the instance is `starting` (or in any other transition), and
after 24 hours gives up with a notification on the alarm topic. The decision is read again before
every stop attempt (docs/design.md, "The ops state machine").
"""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnResource, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.contract import names
from stacks.contract.names import resource_name
from stacks.contract.scale_phase import Phase
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
            # [*] then item 0: a path with an index inside is a list to some interpreters (moto)
            result_selector={
                "status.$": "States.ArrayGetItem($.DbInstances[*].DbInstanceStatus, 0)"
            },
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
        read_state = self._read("ReadScaleState", names.scale_state_parameter(env_name), "$.state")
        read_mark = self._read("ReadStopMark", names.rds_stop_parameter(env_name), "$.mark")
        # An unreadable state fails the execution here (a Pass has no Catch): left running.
        parse_state = sfn.Pass(
            self,
            "ParseScaleState",
            parameters={"value.$": "States.StringToJson(States.ArrayGetItem($.state.values, 0))"},
            result_path="$.scale",
        )
        quiet = sfn.Succeed(
            self, "NotMeantToBeDown", comment="restored or started since: leave it running"
        )
        for task in (describe, stop, read_state, read_mark):
            task.add_retry(
                errors=["Rds.ThrottlingException", "Ssm.ThrottlingException"], max_attempts=3
            )
        for task in (describe, read_state, read_mark):
            task.add_catch(failed, result_path="$.error")
        stop.add_catch(count, errors=[NOT_READY_ERROR], result_path=sfn.JsonPath.DISCARD)
        stop.add_catch(failed, result_path="$.error")
        stop.next(sfn.Succeed(self, "Stopped"))
        count.next(wait)
        read_state.next(
            sfn.Choice(self, "HasScaleState")
            .when(sfn.Condition.is_present("$.state.values[0]"), parse_state)
            .otherwise(read_mark)
        )
        read_mark.next(
            sfn.Choice(self, "HasStopMark")
            .when(sfn.Condition.is_present("$.mark.values[0]"), stop)
            .otherwise(quiet)
        )
        phase, restored = "$.scale.value.phase", "$.scale.value.restored_at"
        meant_down = (
            sfn.Choice(self, "MeantToBeDown")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present(phase),
                    sfn.Condition.string_equals(phase, Phase.DOWN.value),
                ),
                stop,
            )
            .when(sfn.Condition.is_present(phase), read_mark)
            # a state saved before it had a phase: restored when it has a restored_at
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present(restored), sfn.Condition.is_not_null(restored)
                ),
                read_mark,
            )
            .otherwise(stop)
        )
        parse_state.next(meant_down)
        decide = (
            sfn.Choice(self, "InstanceStatus")
            .when(sfn.Condition.string_equals("$.db.status", "available"), read_state)
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

    def _read(self, name: str, parameter: str, path: str) -> tasks.CallAwsService:
        """GetParameters of one `ops` parameter: `<path>.values` holds its value, or nothing when
        it does not exist (GetParameters reports a missing name instead of failing)."""
        arn = Stack.of(self).format_arn(
            service="ssm", resource="parameter", resource_name=parameter.lstrip("/")
        )
        return tasks.CallAwsService(
            self,
            name,
            service="ssm",
            action="getParameters",
            iam_action="ssm:GetParameters",
            iam_resources=[arn],
            parameters={"Names": [parameter]},
            result_selector={"values.$": "$.Parameters[*].Value"},
            result_path=path,
        )

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
