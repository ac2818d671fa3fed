"""Small hand-written templates using every type the adapter adds."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _att(name: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, attribute]}


NETWORK: dict[str, Any] = {
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": _ref("Vpc"),
                "CidrBlock": "10.0.0.0/24",
                "AvailabilityZone": "ap-southeast-2a",
            },
        },
        "SubnetB": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": _ref("Vpc"),
                "CidrBlock": "10.0.1.0/24",
                "AvailabilityZone": "ap-southeast-2b",
            },
        },
        "Sg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "test", "VpcId": _ref("Vpc")},
        },
        "SgIngress": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": _att("Sg", "GroupId"),
                "IpProtocol": "tcp",
                "FromPort": 8000,
                "ToPort": 8000,
                "SourceSecurityGroupId": _att("Sg", "GroupId"),
            },
        },
        "RouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": _ref("Vpc")}},
        "RouteTableAssociation": {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"RouteTableId": _ref("RouteTable"), "SubnetId": _ref("SubnetA")},
        },
        "RestrictDefaultSg": {
            "Type": "Custom::VpcRestrictDefaultSG",
            "Properties": {
                "ServiceToken": "arn:aws:lambda:ap-southeast-2:123456789012:function:unused",
                "DefaultSecurityGroupId": _att("Vpc", "DefaultSecurityGroup"),
                "Account": _ref("AWS::AccountId"),
            },
        },
        "SgEgress": {
            "Type": "AWS::EC2::SecurityGroupEgress",
            "Properties": {
                "GroupId": _att("Sg", "GroupId"),
                "IpProtocol": "tcp",
                "FromPort": 6379,
                "ToPort": 6379,
                "CidrIp": "10.0.0.0/16",
                "Description": "to redis",
            },
        },
    },
    "Outputs": {"SubnetA": {"Value": _ref("SubnetA")}},
}

DATA: dict[str, Any] = {
    "Resources": {
        "DbSubnets": {
            "Type": "AWS::RDS::DBSubnetGroup",
            "Properties": {
                "DBSubnetGroupDescription": "db",
                "SubnetIds": [_ref("SubnetA"), _ref("SubnetB")],
            },
        },
        "DbSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Description": "db credentials",
                "GenerateSecretString": {
                    "SecretStringTemplate": '{"username":"app"}',
                    "GenerateStringKey": "password",
                    "PasswordLength": 30,
                    "ExcludeCharacters": " %+~`#$&*()|[]{}:;<>?!'/@\"\\",
                },
            },
        },
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "DBInstanceClass": "db.t3.small",
                "Engine": "postgres",
                "AllocatedStorage": "20",
                "MasterUsername": "app",
                "MasterUserPassword": {
                    "Fn::Join": [
                        "",
                        [
                            "{{resolve:secretsmanager:",
                            _ref("DbSecret"),
                            ":SecretString:password::}}",
                        ],
                    ]
                },
                "DBSubnetGroupName": _ref("DbSubnets"),
            },
        },
        "DbSecretAttachment": {
            "Type": "AWS::SecretsManager::SecretTargetAttachment",
            "Properties": {
                "SecretId": _ref("DbSecret"),
                "TargetId": _ref("Db"),
                "TargetType": "AWS::RDS::DBInstance",
            },
        },
        "AppSecretKeyCopy": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": "/test/app-api-key",
                "Type": "String",
                "Value": "{{resolve:secretsmanager:test-app-secret:SecretString:API_KEY}}",
            },
            "DependsOn": ["AppSecret"],
        },
        "AppSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": "test-app-secret",
                "GenerateSecretString": {
                    "SecretStringTemplate": '{"API_KEY":"CHANGE_ME"}',
                    "GenerateStringKey": "SECRET_KEY",
                },
            },
        },
        "CacheSubnets": {
            "Type": "AWS::ElastiCache::SubnetGroup",
            "Properties": {
                "Description": "cache",
                "SubnetIds": [_ref("SubnetA"), _ref("SubnetB")],
            },
        },
        "Cache": {
            "Type": "AWS::ElastiCache::ReplicationGroup",
            "Properties": {
                "ReplicationGroupDescription": "redis",
                "Engine": "redis",
                "CacheNodeType": "cache.t3.small",
                "NumCacheClusters": 2,
                "AutomaticFailoverEnabled": True,
                "TransitEncryptionEnabled": True,
                "AtRestEncryptionEnabled": True,
                "CacheSubnetGroupName": _ref("CacheSubnets"),
                "SecurityGroupIds": [_att("Sg", "GroupId")],
            },
        },
    },
    "Outputs": {
        "DbSecretArn": {"Value": _ref("DbSecretAttachment")},
        "AppSecretArn": {"Value": _ref("AppSecret")},
        "CacheId": {"Value": _ref("Cache")},
        "CacheAddress": {"Value": _att("Cache", "PrimaryEndPoint.Address")},
        "CachePort": {"Value": _att("Cache", "PrimaryEndPoint.Port")},
    },
}

SERVICE: dict[str, Any] = {
    "Resources": {
        "LogsBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "test-alb-logs"}},
        "LogsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": _ref("LogsBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:*",
                            "Resource": "arn:aws:s3:::test-alb-logs/*",
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        },
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "test-cluster"}},
        "TaskDef": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "test-backend",
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": "256",
                "Memory": "512",
                "ContainerDefinitions": [{"Name": "app", "Image": "public.ecr.aws/nginx/nginx"}],
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": _ref("Cluster"),
                "ServiceName": "test-backend",
                "TaskDefinition": _ref("TaskDef"),
                "LaunchType": "FARGATE",
                "LoadBalancers": [
                    {
                        "ContainerName": "app",
                        "ContainerPort": 8000,
                        "TargetGroupArn": _ref("TargetGroup"),
                    }
                ],
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {
                        "Subnets": [_ref("SubnetA")],
                        "SecurityGroups": [_att("Sg", "GroupId")],
                        "AssignPublicIp": "DISABLED",
                    }
                },
            },
            "DependsOn": ["Listener"],
        },
        "ScalableTarget": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "ServiceNamespace": "ecs",
                "ScalableDimension": "ecs:service:DesiredCount",
                "ResourceId": {
                    "Fn::Join": ["", ["service/", _ref("Cluster"), "/", _att("Service", "Name")]]
                },
                "MinCapacity": 1,
                "MaxCapacity": 4,
                "RoleARN": "arn:aws:iam::123456789012:role/autoscaling",
            },
        },
        "ScalingPolicy": {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Properties": {
                "PolicyName": "cpu",
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": _ref("ScalableTarget"),
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 60,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                    },
                },
            },
        },
        "Alb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {
                "Scheme": "internet-facing",
                "Type": "application",
                "Subnets": [_ref("SubnetA"), _ref("SubnetB")],
                "SecurityGroups": [_att("Sg", "GroupId")],
            },
        },
        "TargetGroup": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {
                "Port": 8000,
                "Protocol": "HTTP",
                "TargetType": "ip",
                "VpcId": _ref("Vpc"),
            },
        },
        "Listener": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Properties": {
                "LoadBalancerArn": _ref("Alb"),
                "Port": 80,
                "Protocol": "HTTP",
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": _ref("TargetGroup")}],
            },
        },
    },
    "Outputs": {
        "AlbFullName": {"Value": _att("Alb", "LoadBalancerFullName")},
        "TargetGroupFullName": {"Value": _att("TargetGroup", "TargetGroupFullName")},
        "TargetGroupName": {"Value": _att("TargetGroup", "TargetGroupName")},
        "TargetGroupArn": {"Value": _ref("TargetGroup")},
        "AlbArn": {"Value": _ref("Alb")},
    },
}

MONITORING: dict[str, Any] = {
    "Resources": {
        "TopicKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
                "EnableKeyRotation": True,
                "Tags": [{"Key": "project", "Value": "test"}],
            },
        },
        "TopicKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {
                "AliasName": "alias/test-alarms",
                "TargetKeyId": _att("TopicKey", "Arn"),
            },
        },
        "Topic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": "test-alarms", "KmsMasterKeyId": _ref("TopicKey")},
        },
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [_ref("Topic")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": _ref("Topic"),
                        }
                    ],
                },
            },
        },
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": _ref("Topic"),
                "Protocol": "email",
                "Endpoint": "ops@example.com",
            },
        },
        "AlbLatencyAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": "test-alb-latency-high",
                "AlarmDescription": "runbooks/alb-latency-high.md",
                "Namespace": "AWS/ApplicationELB",
                "MetricName": "TargetResponseTime",
                "ExtendedStatistic": "p95",
                "Dimensions": [
                    {"Name": "LoadBalancer", "Value": _att("Alb", "LoadBalancerFullName")}
                ],
                "Period": 60,
                "EvaluationPeriods": 5,
                "DatapointsToAlarm": 3,
                "Threshold": 1.5,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [_ref("Topic")],
                "OKActions": [_ref("Topic")],
            },
        },
        "Alb5xxAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": "test-alb-5xx",
                "Metrics": [
                    {
                        "Id": "elb",
                        "ReturnData": False,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/ApplicationELB",
                                "MetricName": "HTTPCode_ELB_5XX_Count",
                                "Dimensions": [
                                    {
                                        "Name": "LoadBalancer",
                                        "Value": _att("Alb", "LoadBalancerFullName"),
                                    }
                                ],
                            },
                            "Period": 60,
                            "Stat": "Sum",
                        },
                    },
                    {
                        "Id": "target",
                        "ReturnData": False,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/ApplicationELB",
                                "MetricName": "HTTPCode_Target_5XX_Count",
                                "Dimensions": [
                                    {
                                        "Name": "TargetGroup",
                                        "Value": _att("TargetGroup", "TargetGroupFullName"),
                                    }
                                ],
                            },
                            "Period": 60,
                            "Stat": "Sum",
                        },
                    },
                    {"Id": "total", "Expression": "elb + target", "Label": "5xx"},
                ],
                "EvaluationPeriods": 3,
                "Threshold": 10,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [_ref("Topic")],
            },
        },
    },
    "Outputs": {"AlarmTopicArn": {"Value": _ref("Topic")}},
}
MONITORING["Resources"].update(
    {
        "ScaleRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ]
                }
            },
        },
        "ScaleFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": "test-scheduled-scale",
                "Runtime": "python3.13",
                "Handler": "index.handler",
                "Role": _att("ScaleRole", "Arn"),
                "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
            },
        },
        "ScaleInvokeConfig": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": _ref("ScaleFunction"),
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 0,
            },
        },
        "ScaleDown": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Name": "test-scale-down",
                "ScheduleExpression": "cron(0 18 ? * MON,TUE,WED,THU,FRI *)",
                "ScheduleExpressionTimezone": "Australia/Sydney",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": _att("ScaleFunction", "Arn"),
                    "RoleArn": _att("ScaleRole", "Arn"),
                    "Input": '{"action": "down"}',
                },
            },
        },
    }
)


def full_template() -> dict[str, Any]:
    """Every part above in one template (cross-references resolve inside one stack)."""
    template: dict[str, Any] = {"Resources": {}, "Outputs": {}}
    for part in (NETWORK, DATA, SERVICE, MONITORING):
        template["Resources"].update(part["Resources"])
        template["Outputs"].update(part.get("Outputs", {}))
    return template
