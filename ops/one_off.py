"""One-off Fargate tasks from the backend's task definition (migrations, a collector check run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NotRequired, TypedDict

from ops import services
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError
from ops.waiting import POLL_SECONDS, poll
from stacks.contract import names

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import (
        ContainerDefinitionOutputTypeDef,
        RunTaskRequestTypeDef,
        TaskDefinitionTypeDef,
        TaskTypeDef,
    )


class Plan(TypedDict):
    """The RunTask request and the container it runs the command in."""

    request: RunTaskRequestTypeDef
    container: ContainerDefinitionOutputTypeDef


class TaskRun(TypedDict):
    """What a one-off task did: the task once started, its exit code and log once it stopped."""

    cluster: str
    task_definition: str
    command: list[str]
    task: NotRequired[str]
    exit_code: NotRequired[int | None]
    stopped_reason: NotRequired[str]
    log_tail: NotRequired[list[str]]


LOG_TAIL_LINES = 30


def _container(task_def: TaskDefinitionTypeDef) -> ContainerDefinitionOutputTypeDef:
    """The backend container: the one serving the backend port (else the first)."""
    containers = task_def["containerDefinitions"]
    for container in containers:
        ports = {p.get("containerPort") for p in container.get("portMappings", [])}
        if names.BACKEND_PORT in ports:
            return container
    return containers[0]


def plan(aws: Aws, outputs: StackOutputs, command: list[str], *, started_by: str) -> Plan:
    """The RunTask request: the backend service's task definition and network, `command`."""
    cluster = outputs.value(names.Outputs.CLUSTER_NAME)
    service_name = outputs.value(names.Outputs.BACKEND_SERVICE_NAME)
    service = services.describe(aws, cluster, [service_name])[service_name]
    task_def = aws.client("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])[
        "taskDefinition"
    ]
    container = _container(task_def)
    request: RunTaskRequestTypeDef = {
        "cluster": cluster,
        "taskDefinition": service["taskDefinition"],
        "count": 1,
        "startedBy": started_by,
        "networkConfiguration": service["networkConfiguration"],
        "overrides": {"containerOverrides": [{"name": container["name"], "command": command}]},
    }
    if service.get("capacityProviderStrategy"):
        request["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    else:
        request["launchType"] = service.get("launchType", "FARGATE")
    if service.get("platformVersion"):
        request["platformVersion"] = service["platformVersion"]
    return {"request": request, "container": container}


def run(
    aws: Aws,
    outputs: StackOutputs,
    command: list[str],
    *,
    started_by: str,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> TaskRun:
    """Start the task; with `wait`, wait for it to stop and report its exit code and log tail."""
    planned = plan(aws, outputs, command, started_by=started_by)
    request, container = planned["request"], planned["container"]
    result: TaskRun = {
        "cluster": request["cluster"],
        "task_definition": request["taskDefinition"],
        "command": command,
    }
    if dry_run:
        return result
    response = aws.client("ecs").run_task(**request)
    if response.get("failures") or not response.get("tasks"):
        raise OpsError(f"RunTask failed: {response.get('failures')}")
    task_arn = response["tasks"][0]["taskArn"]
    result["task"] = task_arn
    if not wait:
        return result
    task = _wait_stopped(aws, request["cluster"], task_arn, poll_seconds=poll_seconds)
    exit_codes = [
        c.get("exitCode") for c in task.get("containers", []) if c["name"] == container["name"]
    ]
    result["exit_code"] = exit_codes[0] if exit_codes else None
    result["stopped_reason"] = task.get("stoppedReason", "")
    result["log_tail"] = log_tail(aws, container, task_arn)
    return result


def _wait_stopped(aws: Aws, cluster: str, task_arn: str, *, poll_seconds: float) -> TaskTypeDef:
    found: list[TaskTypeDef] = []

    def check() -> tuple[bool, str]:
        tasks = aws.client("ecs").describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"]
        if not tasks:
            raise OpsError(f"task {task_arn} disappeared")
        found[:] = tasks[:1]
        return tasks[0]["lastStatus"] == "STOPPED", tasks[0]["lastStatus"]

    poll(check, what="one-off task", poll_seconds=poll_seconds)
    return found[0]


def log_tail(aws: Aws, container: ContainerDefinitionOutputTypeDef, task_arn: str) -> list[str]:
    """The last lines the container logged (awslogs driver), [] if it has no such log."""
    from botocore.exceptions import ClientError

    log_config = container.get("logConfiguration")
    options = log_config.get("options", {}) if log_config else {}
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if not group or not prefix:
        return []
    stream = f"{prefix}/{container['name']}/{task_arn.rsplit('/', 1)[-1]}"
    try:
        events = aws.client("logs").get_log_events(
            logGroupName=group, logStreamName=stream, limit=LOG_TAIL_LINES, startFromHead=False
        )["events"]
    except ClientError:
        return []
    return [e["message"] for e in events]
