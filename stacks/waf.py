"""The web ACL on the load balancer: AWS managed rules and a per-client rate limit, logged blocks.

REGIONAL scope, associated with the ALB, so it lives and is removed with the ALB (parked: no ACL,
no charge) and needs no stack in us-east-1. The per-client rule counts the connection's source
address while clients reach the ALB directly. Behind CloudFront that address is CloudFront's, so
the rule counts `client_ip_header` instead: a CloudFront Function (`client_ip_function_code`) sets
it to the viewer's address on every request, overwriting whatever a client sent, and only
CloudFront can reach the internal ALB. X-Forwarded-For would not do: WAF reads its first address,
which the client writes.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.contract import names
from stacks.log_groups import log_group

# AWS managed rule groups (no subscription fee): OWASP-style common rules; known exploit inputs
# (Log4j, Java deserialization, localhost Host headers).
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
RATE_RULE = "RateLimitPerClient"
RATE_WINDOW_SECONDS = 300


def client_ip_function_code(header: str) -> str:
    """A CloudFront viewer-request function: `header` = the viewer's IP, whatever was sent."""
    return (
        "function handler(event) {\n"
        "  var request = event.request;\n"
        f"  request.headers['{header.lower()}'] = {{ value: event.viewer.ip }};\n"
        "  return request;\n"
        "}\n"
    )


def waf_log_group_name(env: str) -> str:
    """WAF delivers logs only to groups whose name starts with `aws-waf-logs-`."""
    return f"aws-waf-logs-{names.resource_name(env)}"


def waf_log_group(scope: Construct, config: EnvConfig) -> logs.LogGroup:
    """Kept while parked too, so unparking does not meet a retained group of the same name."""
    return log_group(
        scope,
        "WafLogs",
        retention_days=config.log_retention_days,
        name=waf_log_group_name(config.name),
    )


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _managed(priority: int, group: str) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=group,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=group
            )
        ),
        visibility_config=_visibility(group),
    )


def _rate(priority: int, limit: int, client_ip_header: str | None) -> wafv2.CfnWebACL.RuleProperty:
    forwarded = (
        None
        if client_ip_header is None
        else wafv2.CfnWebACL.ForwardedIPConfigurationProperty(
            # The edge sets it on every request; one without it (a misconfigured behavior) is
            # let through uncounted rather than blocked with everyone else's.
            header_name=client_ip_header,
            fallback_behavior="NO_MATCH",
        )
    )
    return wafv2.CfnWebACL.RuleProperty(
        name=RATE_RULE,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=limit,
                evaluation_window_sec=RATE_WINDOW_SECONDS,
                aggregate_key_type="IP" if client_ip_header is None else "FORWARDED_IP",
                forwarded_ip_config=forwarded,
            )
        ),
        visibility_config=_visibility(RATE_RULE),
    )


class WebAcl(Construct):
    """A REGIONAL web ACL associated with `load_balancer_arn`; blocked requests are logged."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        load_balancer_arn: str,
        log_group: logs.LogGroup,
        client_ip_header: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        name = names.resource_name(config.name, "waf")
        rules = [_managed(index, group) for index, group in enumerate(MANAGED_RULE_GROUPS)]
        rules.append(_rate(len(rules), config.waf.rate_limit_per_5_minutes, client_ip_header))
        self.acl = wafv2.CfnWebACL(
            self,
            "Acl",
            name=name,
            description=f"OhMyCoins {config.name}: managed rules and a per-client rate limit",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            rules=rules,
        )
        wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=load_balancer_arn, web_acl_arn=self.acl.attr_arn
        )
        # Only blocked and counted requests: the ALB's access logs record every request already.
        wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.acl.attr_arn,
            log_destination_configs=[
                Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_group.log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            logging_filter={
                "DefaultBehavior": "DROP",
                "Filters": [
                    {
                        "Behavior": "KEEP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [
                            {"ActionCondition": {"Action": "BLOCK"}},
                            {"ActionCondition": {"Action": "COUNT"}},
                        ],
                    }
                ],
            },
        )
