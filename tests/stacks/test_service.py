"""Service: secrets through ECS, no desired count, autoscaling, routing, HTTPS, collectors."""

from __future__ import annotations

import json

import pytest
from stack_templates import AWS_ENVS, SynthesizedEnv

from stacks.collectors import collector_command
from stacks.contract import names
from stacks.load_balancer import BACKEND_PATHS

TASK = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"


def _container(synth: SynthesizedEnv, service: str) -> dict:
    for task in synth.resources(names.SERVICE, TASK).values():
        (container,) = task["Properties"]["ContainerDefinitions"]
        if container["Name"] == service:
            return container
    raise AssertionError(f"no {service} container")


def test_backend_gets_every_secret_through_ecs_secrets(staging: SynthesizedEnv) -> None:
    container = _container(staging, names.BACKEND)
    secrets = {item["Name"]: item["ValueFrom"] for item in container["Secrets"]}
    expected = {
        *names.APP_SECRET_INJECTED_KEYS, "POSTGRES_USER", "POSTGRES_PASSWORD", "REDIS_PASSWORD"
    }  # fmt: skip
    assert set(secrets) == expected
    # The JWT grace keys come from the app secret's own JSON keys (present from its creation).
    for key in (names.JWT_PREVIOUS_KEY, names.JWT_ROTATED_AT):
        assert secrets[key]["Fn::Join"][1][-1] == f":{key}::"
    plain = {item["Name"] for item in container["Environment"]}
    assert plain.isdisjoint(expected)
    assert {"POSTGRES_SERVER", "POSTGRES_DB", "REDIS_URL"} <= plain
    (redis_url,) = (e["Value"] for e in container["Environment"] if e["Name"] == "REDIS_URL")
    assert redis_url["Fn::Join"][1][0] == "rediss://"  # TLS; the password is not in the URL
    (sslmode,) = (e["Value"] for e in container["Environment"] if e["Name"] == "POSTGRES_SSLMODE")
    assert sslmode == "verify-full"


def test_services_leave_desired_count_to_autoscaling(envs: dict[str, SynthesizedEnv]) -> None:
    for synth in envs.values():
        services = synth.resources(names.SERVICE, SERVICE).values()
        assert len(services) == 2
        for service in services:
            props = service["Properties"]
            assert "DesiredCount" not in props
            breaker = props["DeploymentConfiguration"]["DeploymentCircuitBreaker"]
            assert breaker == {"Enable": True, "Rollback": True}
            assert props["LaunchType"] == "FARGATE"


def test_autoscaling_bounds_follow_config(production: SynthesizedEnv) -> None:
    targets = production.resources(
        names.SERVICE, "AWS::ApplicationAutoScaling::ScalableTarget"
    ).values()
    bounds = sorted(
        (t["Properties"]["MinCapacity"], t["Properties"]["MaxCapacity"]) for t in targets
    )
    expected = sorted(
        (production.config.services[name].min_tasks, production.config.services[name].max_tasks)
        for name in names.SERVICES
    )
    assert bounds == expected


def test_cluster_has_container_insights(staging: SynthesizedEnv) -> None:
    cluster = staging.one(names.SERVICE, "AWS::ECS::Cluster")["Properties"]
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["ClusterSettings"]


def test_api_paths_route_to_backend_and_health_checks(staging: SynthesizedEnv) -> None:
    rule = staging.one(names.SERVICE, "AWS::ElasticLoadBalancingV2::ListenerRule")["Properties"]
    (condition,) = rule["Conditions"]
    assert condition["PathPatternConfig"]["Values"] == list(BACKEND_PATHS)
    groups = staging.resources(names.SERVICE, "AWS::ElasticLoadBalancingV2::TargetGroup")
    checks = {g["Properties"]["Port"]: g["Properties"]["HealthCheckPath"] for g in groups.values()}
    assert checks == {
        names.BACKEND_PORT: names.BACKEND_HEALTH_PATH,
        names.FRONTEND_PORT: names.FRONTEND_HEALTH_PATH,
    }


def test_alb_access_logs_enabled(staging: SynthesizedEnv) -> None:
    alb = staging.one(names.SERVICE, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]
    attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"


def test_the_alb_listens_on_http_only(envs: dict[str, SynthesizedEnv]) -> None:
    """TLS ends at CloudFront (or, with acknowledged plain HTTP, nowhere): no ALB certificate."""
    for synth in envs.values():
        listeners = synth.resources(names.SERVICE, "AWS::ElasticLoadBalancingV2::Listener")
        assert [
            (lst["Properties"]["Port"], lst["Properties"]["Protocol"]) for lst in listeners.values()
        ] == [(80, "HTTP")]


def test_one_scheduled_task_per_collector(staging: SynthesizedEnv) -> None:
    rules = staging.resources(names.SERVICE, "AWS::Events::Rule").values()
    backend = [
        key
        for key, task in staging.resources(names.SERVICE, TASK).items()
        if task["Properties"]["ContainerDefinitions"][0]["Name"] == names.BACKEND
    ]
    (backend_service,) = (
        svc["Properties"]
        for svc in staging.resources(names.SERVICE, "AWS::ECS::Service").values()
        if svc["Properties"]["ServiceName"] == names.resource_name("staging", names.BACKEND)
    )
    backend_subnets = backend_service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    seen = {}
    for rule in rules:
        props = rule["Properties"]
        (target,) = props["Targets"]
        assert target["EcsParameters"]["TaskDefinitionArn"] == {"Ref": backend[0]}
        assert target["EcsParameters"]["LaunchType"] == "FARGATE"
        network = target["EcsParameters"]["NetworkConfiguration"]["AwsVpcConfiguration"]
        assert network["Subnets"] == backend_subnets  # the services' app subnets
        seen[props["Name"]] = (props["ScheduleExpression"], json.loads(target["Input"]))
    assert len(seen) == len(staging.config.collectors)
    for collector, schedule in staging.config.collectors.items():
        expression, overrides = seen[names.resource_name("staging", "collect", collector)]
        assert expression == schedule
        assert overrides == {
            "containerOverrides": [{"name": names.BACKEND, "command": collector_command(collector)}]
        }
    assert collector_command("nansen") == ["python", "-m", "app.collect", "nansen"]


@pytest.mark.parametrize("env", AWS_ENVS)
def test_images_are_docker_assets_built_from_app_src(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    for service in names.SERVICES:
        image = _container(envs[env], service)["Image"]
        assert "container-assets" in str(image)


def test_local_uses_the_configured_public_images(envs: dict[str, SynthesizedEnv]) -> None:
    local = envs["local"]
    for service in names.SERVICES:
        assert _container(local, service)["Image"] == local.config.services[service].image_uri
    assert not list(local.outdir.glob("asset.*/Dockerfile"))
