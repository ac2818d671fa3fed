"""The saved moto state behind the `deployed` fixture: each restore is whole, fresh and coherent."""

from __future__ import annotations

import pytest
from moto_env import Deployed
from moto_state import MotoState, discard

from stacks.contract import names


def test_a_restore_undoes_every_change_of_the_previous_test(deployed: Deployed) -> None:
    rds, ssm = deployed.client("rds"), deployed.client("ssm")
    saved = MotoState.save()
    rds.delete_db_instance(DBInstanceIdentifier=deployed.ids["db"], SkipFinalSnapshot=True)
    ssm.put_parameter(Name="/left/over", Value="x", Type="String")
    deployed.client("s3").create_bucket(
        Bucket="not-in-the-saved-state",
        CreateBucketConfiguration={"LocationConstraint": deployed.region},
    )
    saved.restore()
    instances = rds.describe_db_instances()["DBInstances"]
    assert [i["DBInstanceIdentifier"] for i in instances] == [deployed.ids["db"]]
    assert ssm.get_parameters(Names=["/left/over"])["InvalidParameters"] == ["/left/over"]
    assert deployed.client("s3").list_buckets()["Buckets"] == []


def test_each_restore_is_a_copy_of_its_own(deployed: Deployed) -> None:
    saved, cloudwatch = MotoState.save(), deployed.client("cloudwatch")
    alarm = names.alarm_name(deployed.env, "redis-evictions")
    cloudwatch.enable_alarm_actions(AlarmNames=[alarm])
    saved.restore()
    cloudwatch.disable_alarm_actions(AlarmNames=[alarm])  # changes this copy only
    saved.restore()
    assert not cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["ActionsEnabled"]
    cloudwatch.enable_alarm_actions(AlarmNames=[alarm])
    saved.restore()
    assert not cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["ActionsEnabled"]


def test_backends_that_refer_to_each_other_still_do(deployed: Deployed) -> None:
    """ELBv2 checks subnets against EC2: both come from the same copy."""
    ec2, elb = deployed.client("ec2"), deployed.client("elbv2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"][0]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc["VpcId"], CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{deployed.region}{z}"
        )["Subnet"]["SubnetId"]
        for i, z in ((8, "a"), (9, "b"))
    ]
    created = elb.create_load_balancer(Name="made-after-the-restore", Subnets=subnets)
    assert created["LoadBalancers"][0]["VpcId"] == vpc["VpcId"]


def test_ssm_keeps_its_region_after_a_restore(deployed: Deployed) -> None:
    """moto's ParameterDict (a defaultdict with attributes) survives the copy whole."""
    ssm = deployed.client("ssm")
    marker = f"/test/{deployed.env}/{names.DATA}"
    assert ssm.get_parameter(Name=marker)["Parameter"]["Value"] == names.DATA
    regions = ssm.get_parameters_by_path(Path="/aws/service/global-infrastructure/regions")
    assert deployed.region in {p["Value"] for p in regions["Parameters"]}


def test_discard_leaves_no_backend(deployed: Deployed) -> None:
    discard()
    with pytest.raises(deployed.client("rds").exceptions.DBInstanceNotFoundFault):
        deployed.client("rds").describe_db_instances(DBInstanceIdentifier=deployed.ids["db"])
