"""The edge: HTTPS on CloudFront in front of an internal ALB, stable across park/unpark."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from stack_templates import AWS_ENVS, ENVS, SynthesizedEnv, ref_target

from cdk_app.config import EnvConfig, load
from stacks.contract import names
from stacks.edge import API_PATHS, STATIC_PATHS, VIEWER_ADDRESS_HEADER

DISTRIBUTION = "AWS::CloudFront::Distribution"
ALB = "AWS::ElasticLoadBalancingV2::LoadBalancer"
# AWS-managed cache policies (ids are fixed by CloudFront).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CERT = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
DOMAIN = "app.example.org"
HTTPS_ENVS = AWS_ENVS  # every env but local must serve HTTPS


def _parked(config: EnvConfig) -> EnvConfig:
    return dataclasses.replace(config, parked=True)


@pytest.fixture(scope="module")
def staging_parked(synth_env: Callable[[EnvConfig], SynthesizedEnv]) -> SynthesizedEnv:
    return synth_env(_parked(load("staging")))


@pytest.fixture(scope="module")
def custom_domain(synth_env: Callable[[EnvConfig], SynthesizedEnv]) -> SynthesizedEnv:
    base = load("production")
    edge = dataclasses.replace(base.edge, domain_name=DOMAIN)
    return synth_env(dataclasses.replace(base, certificate_arn=CERT, edge=edge))


def _config(synth: SynthesizedEnv) -> dict[str, Any]:
    (props,) = (r["Properties"] for r in synth.resources(names.SERVICE, DISTRIBUTION).values())
    config: dict[str, Any] = props["DistributionConfig"]
    return config


def _behaviors(synth: SynthesizedEnv) -> dict[str, dict[str, Any]]:
    config = _config(synth)
    found = {"*": config["DefaultCacheBehavior"]}
    found.update({b["PathPattern"]: b for b in config.get("CacheBehaviors", [])})
    return found


@pytest.mark.parametrize("env", HTTPS_ENVS)
def test_the_alb_is_internal_in_the_app_subnets(envs: dict[str, SynthesizedEnv], env: str) -> None:
    synth = envs[env]
    template = Template.from_json(synth.templates[names.SERVICE])
    template.has_resource_properties(ALB, {"Scheme": "internal"})
    alb = synth.one(names.SERVICE, ALB)["Properties"]
    network = synth.templates[names.NETWORK]["Resources"]
    for subnet in alb["Subnets"]:
        export = subnet["Fn::ImportValue"]
        logical = next(lid for lid in network if lid in export and "Subnet" in lid)
        tags = {t["Key"]: t["Value"] for t in network[logical]["Properties"]["Tags"]}
        assert tags["aws-cdk:subnet-type"] == "Private", logical


@pytest.mark.parametrize("env", HTTPS_ENVS)
def test_cloudfront_reaches_the_alb_through_a_vpc_origin(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    synth = envs[env]
    (alb_id,) = synth.resources(names.SERVICE, ALB)
    origin = synth.one(names.SERVICE, "AWS::CloudFront::VpcOrigin")["Properties"]
    endpoint = origin["VpcOriginEndpointConfig"]
    assert ref_target(endpoint["Arn"]) == alb_id
    assert endpoint["OriginProtocolPolicy"] == "http-only"
    (cf_origin,) = _config(synth)["Origins"]
    assert "VpcOriginConfig" in cf_origin


@pytest.mark.parametrize("env", HTTPS_ENVS)
def test_no_plain_http_for_viewers(envs: dict[str, SynthesizedEnv], env: str) -> None:
    behaviors = _behaviors(envs[env])
    assert set(behaviors) == {"*", *API_PATHS, *STATIC_PATHS}
    for path, behavior in behaviors.items():
        expected = "https-only" if path in API_PATHS else "redirect-to-https"
        assert behavior["ViewerProtocolPolicy"] == expected, path


@pytest.mark.parametrize("env", HTTPS_ENVS)
def test_api_never_cached_and_gets_auth_query_and_client_address(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    synth = envs[env]
    behaviors = _behaviors(synth)
    policies = synth.resources(names.SERVICE, "AWS::CloudFront::OriginRequestPolicy")
    for path in API_PATHS:
        behavior = behaviors[path]
        assert behavior["CachePolicyId"] == CACHING_DISABLED, path
        assert {"POST", "PUT", "DELETE", "PATCH"} <= set(behavior["AllowedMethods"])
        policy = policies[ref_target(behavior["OriginRequestPolicyId"]) or ""]
        config = policy["Properties"]["OriginRequestPolicyConfig"]
        # "allViewerAndWhitelistCloudFront": every viewer header (Authorization included).
        assert config["HeadersConfig"] == {
            "HeaderBehavior": "allViewerAndWhitelistCloudFront",
            "Headers": [VIEWER_ADDRESS_HEADER],
        }
        assert config["QueryStringsConfig"]["QueryStringBehavior"] == "all"
        assert config["CookiesConfig"]["CookieBehavior"] == "all"


@pytest.mark.parametrize("env", HTTPS_ENVS)
def test_static_assets_are_cached_pages_follow_the_origin(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    behaviors = _behaviors(envs[env])
    for path in STATIC_PATHS:
        assert behaviors[path]["CachePolicyId"] == CACHING_OPTIMIZED
        assert behaviors[path]["Compress"] is True
    assert behaviors["*"]["CachePolicyId"] not in (CACHING_DISABLED, CACHING_OPTIMIZED)


@pytest.mark.parametrize("env", HTTPS_ENVS)
def test_public_url_is_the_distribution_over_https(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    synth = envs[env]
    (dist_id,) = synth.resources(names.SERVICE, DISTRIBUTION)
    url = synth.templates[names.SERVICE]["Outputs"][names.Outputs.PUBLIC_URL]["Value"]
    assert url == {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [dist_id, "DomainName"]}]]}
    template = Template.from_json(synth.templates[names.SERVICE])
    template.has_output(names.Outputs.DISTRIBUTION_ID, {"Value": {"Ref": dist_id}})


@pytest.mark.parametrize("env", HTTPS_ENVS)
def test_backend_reads_the_client_address_from_cloudfront(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    template = Template.from_json(envs[env].templates[names.SERVICE])
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Name": names.BACKEND,
                        "Environment": Match.array_with(
                            [{"Name": "CLIENT_ADDRESS_HEADER", "Value": VIEWER_ADDRESS_HEADER}]
                        ),
                    }
                )
            ]
        },
    )


def test_parked_keeps_the_distribution_and_answers_paused(
    staging: SynthesizedEnv, staging_parked: SynthesizedEnv
) -> None:
    assert set(staging_parked.resources(names.SERVICE, DISTRIBUTION)) == set(
        staging.resources(names.SERVICE, DISTRIBUTION)
    )
    outputs = (
        staging.templates[names.SERVICE]["Outputs"],
        staging_parked.templates[names.SERVICE]["Outputs"],
    )
    assert outputs[0][names.Outputs.PUBLIC_URL] == outputs[1][names.Outputs.PUBLIC_URL]
    assert not staging_parked.resources(names.SERVICE, "AWS::CloudFront::VpcOrigin")
    assert not staging_parked.resources(names.SERVICE, ALB)
    ((function_id, function),) = staging_parked.resources(
        names.SERVICE, "AWS::CloudFront::Function"
    ).items()
    assert "statusCode: 503" in function["Properties"]["FunctionCode"]
    assert "paused" in function["Properties"]["FunctionCode"]
    for path, behavior in _behaviors(staging_parked).items():
        (association,) = behavior["FunctionAssociations"]
        assert association["EventType"] == "viewer-request", path
        assert association["FunctionARN"]["Fn::GetAtt"][0] == function_id
    # Running: no function on the request path (no per-request charge).
    assert not staging.resources(names.SERVICE, "AWS::CloudFront::Function")
    assert all(not b.get("FunctionAssociations") for b in _behaviors(staging).values())


@pytest.mark.parametrize("env", ENVS)
def test_park_and_unpark_leave_nothing_behind(
    envs: dict[str, SynthesizedEnv],
    synth_env: Callable[[EnvConfig], SynthesizedEnv],
    env: str,
) -> None:
    """Whatever parking removes is deleted with it, never retained outside the stacks."""
    running, parked = envs[env], synth_env(_parked(envs[env].config))
    removed_retained = []
    for part in names.STACK_PARTS:
        before = running.templates[part]["Resources"]
        after = parked.templates[part]["Resources"]
        for logical_id in set(before) - set(after):
            policy = before[logical_id].get("DeletionPolicy", "Delete")
            if policy != "Delete":
                removed_retained.append((part, logical_id, before[logical_id]["Type"], policy))
        # what parking keeps keeps its logical id, so unparking never makes a second one
        buckets = set(running.resources(part, "AWS::S3::Bucket"))
        assert buckets == set(parked.resources(part, "AWS::S3::Bucket")), part
    assert removed_retained == []


def test_custom_domain_uses_the_us_east_1_certificate(custom_domain: SynthesizedEnv) -> None:
    template = Template.from_json(custom_domain.templates[names.SERVICE])
    template.has_resource_properties(
        DISTRIBUTION,
        {
            "DistributionConfig": Match.object_like(
                {
                    "Aliases": [DOMAIN],
                    "ViewerCertificate": {
                        "AcmCertificateArn": CERT,
                        "MinimumProtocolVersion": "TLSv1.2_2021",
                        "SslSupportMethod": "sni-only",
                    },
                }
            )
        },
    )
    url = custom_domain.templates[names.SERVICE]["Outputs"][names.Outputs.PUBLIC_URL]["Value"]
    assert url == f"https://{DOMAIN}"


def test_local_acknowledges_plain_http_on_a_public_alb(envs: dict[str, SynthesizedEnv]) -> None:
    local = envs["local"]
    assert not local.config.edge.cloudfront and local.config.edge.plain_http_reason
    assert not local.resources(names.SERVICE, DISTRIBUTION)
    assert local.one(names.SERVICE, ALB)["Properties"]["Scheme"] == "internet-facing"
    url = local.templates[names.SERVICE]["Outputs"][names.Outputs.PUBLIC_URL]["Value"]
    assert url["Fn::Join"][1][0] == "http://"


@pytest.mark.parametrize("env", ENVS)
def test_every_env_pages_someone(envs: dict[str, SynthesizedEnv], env: str) -> None:
    template = Template.from_json(envs[env].templates[names.MONITORING])
    subscriptions = template.find_resources("AWS::SNS::Subscription")
    assert len(subscriptions) >= 1
    for email in envs[env].config.alarm_emails:
        template.has_resource_properties(
            "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": email}
        )


def test_webhook_recipients_subscribe_over_https(
    synth_env: Callable[[EnvConfig], SynthesizedEnv],
) -> None:
    hooks = (
        "https://events.pagerduty.com/integration/abc/enqueue",
        "{{resolve:secretsmanager:ohmycoins/opsgenie:SecretString:url}}",
    )
    synth = synth_env(dataclasses.replace(load("staging"), alarm_emails=(), alarm_webhooks=hooks))
    template = Template.from_json(synth.templates[names.MONITORING])
    for hook in hooks:
        template.has_resource_properties(
            "AWS::SNS::Subscription", {"Protocol": "https", "Endpoint": hook}
        )
    assert len(template.find_resources("AWS::SNS::Subscription")) == len(hooks)
