"""The CloudFront distribution: the app's one public HTTPS address, kept while parked.

It reaches the internal load balancer through a CloudFront VPC origin, so the ALB has no public
address. While parked (no load balancer), a CloudFront Function answers every request with a
"paused" 503, so the public URL stays the same and says why it does not serve.
"""

from __future__ import annotations

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.contract import names
from stacks.waf import client_ip_function_code

# Paths served by the backend (the ALB routes them the same way): never cached.
API_PATHS: tuple[str, ...] = ("/api/*", "/docs", "/openapi.json")
# The frontend's fingerprinted static files (nginx serves them with `expires 1h`).
STATIC_PATHS: tuple[str, ...] = ("/assets/*",)
# CloudFront's own header with the viewer's address and port: the backend's per-IP rate limits
# read it (CLIENT_ADDRESS_HEADER), since the ALB sees CloudFront, not the client.
VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"
# While parked the function answers before any origin is contacted; this reserved name (RFC 2606)
# never resolves, so nothing could be reached even without the function.
PARKED_ORIGIN = "paused.invalid"
PAUSED_FUNCTION = """\
function handler(event) {
  return {
    statusCode: 503,
    statusDescription: 'Service Unavailable',
    headers: {
      'content-type': { value: 'text/plain; charset=utf-8' },
      'cache-control': { value: 'no-store' },
      'retry-after': { value: '3600' }
    },
    body: { encoding: 'text', data: 'OhMyCoins %s is paused (parked) to save cost: no data is lost. It is back after `ops unpark`.\\n' }
  };
}
"""  # noqa: E501


class Edge(Construct):
    """HTTPS on the distribution's *.cloudfront.net name (and `edge.domain_name`, if set).

    `distribution` stays reachable so that a web ACL can be attached to it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        alb: elbv2.IApplicationLoadBalancer | None,
        log_bucket: s3.IBucket,
        client_ip_header: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.paused_function: cloudfront.Function | None = None
        associations: list[cloudfront.FunctionAssociation] = []
        # The WAF behind this edge counts requests per viewer by `client_ip_header` (stacks/waf.py).
        client_ip = None if alb is None else client_ip_header
        if client_ip is not None:
            associations.append(
                cloudfront.FunctionAssociation(
                    function=cloudfront.Function(
                        self,
                        "ClientIp",
                        function_name=names.resource_name(config.name, "client-ip"),
                        comment=f"Sets {client_ip} to the viewer's address for the WAF",
                        runtime=cloudfront.FunctionRuntime.JS_2_0,
                        code=cloudfront.FunctionCode.from_inline(
                            client_ip_function_code(client_ip)
                        ),
                    ),
                    event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                )
            )
        forward_client_ip = (
            None
            if client_ip is None
            else cloudfront.OriginRequestPolicy(
                self,
                "ClientIpRequests",
                origin_request_policy_name=names.resource_name(config.name, "client-ip"),
                comment="Pages and assets: the viewer's address for the WAF, nothing else",
                header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(client_ip),
            )
        )
        if alb is None:
            self.paused_function = cloudfront.Function(
                self,
                "Paused",
                function_name=names.resource_name(config.name, "paused"),
                comment="Answers 503 paused while the environment is parked",
                runtime=cloudfront.FunctionRuntime.JS_2_0,
                code=cloudfront.FunctionCode.from_inline(PAUSED_FUNCTION % config.name),
            )
            associations.append(
                cloudfront.FunctionAssociation(
                    function=self.paused_function,
                    event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                )
            )
        origin = self._origin(config, alb)
        api = cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            # Every viewer header (Authorization included), cookie and query string, plus the
            # viewer's address.
            origin_request_policy=cloudfront.OriginRequestPolicy(
                self,
                "ApiRequests",
                origin_request_policy_name=names.resource_name(config.name, "api"),
                comment="API: every viewer header, cookie and query string, and the viewer address",
                header_behavior=cloudfront.OriginRequestHeaderBehavior.all(VIEWER_ADDRESS_HEADER),
                cookie_behavior=cloudfront.OriginRequestCookieBehavior.all(),
                query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            ),
            function_associations=associations,
        )
        static = cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            origin_request_policy=forward_client_ip,
            compress=True,
            function_associations=associations,
        )
        pages = cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            # nginx marks pages `no-cache`: CloudFront revalidates them on every request.
            cache_policy=cloudfront.CachePolicy.USE_ORIGIN_CACHE_CONTROL_HEADERS,
            origin_request_policy=forward_client_ip,
            compress=True,
            function_associations=associations,
        )
        domain = config.edge.domain_name
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"OhMyCoins {config.name}",
            default_behavior=pages,
            additional_behaviors={
                **{path: api for path in API_PATHS},
                **{path: static for path in STATIC_PATHS},
            },
            domain_names=None if domain is None else [domain],
            certificate=None
            if config.certificate_arn is None
            else acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn),
            # The default *.cloudfront.net certificate fixes its own policy; a custom one gets this.
            minimum_protocol_version=None
            if config.certificate_arn is None
            else cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            log_bucket=log_bucket,
            log_file_prefix="cloudfront/",
        )
        self.domain_name = domain or self.distribution.distribution_domain_name

    @staticmethod
    def _origin(
        config: EnvConfig, alb: elbv2.IApplicationLoadBalancer | None
    ) -> cloudfront.IOrigin:
        if alb is None:
            return origins.HttpOrigin(
                PARKED_ORIGIN, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY
            )
        # Inside the VPC CloudFront talks HTTP to the ALB's port 80; viewers only get HTTPS.
        return origins.VpcOrigin.with_application_load_balancer(
            alb,
            vpc_origin_name=names.resource_name(config.name, "alb"),
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY,
            http_port=80,
        )

    @property
    def url(self) -> str:
        """`https://<domain>`: the public URL (the stack output PublicUrl)."""
        return f"https://{self.domain_name}"
