"""AWS::ElastiCache::SubnetGroup and ::ReplicationGroup as real moto ElastiCache resources."""

from __future__ import annotations

from typing import Any, Self

from localaws.adapter.base import AdapterResource, CloudFormationModel, as_bool, tags_list
from localaws.adapter.compat import require

_ec = require("moto.elasticache.models", "elasticache_backends")


def _backend(account_id: str, region_name: str) -> Any:
    return _ec.elasticache_backends[account_id][region_name]


class CacheSubnetGroupResource(AdapterResource, CloudFormationModel):
    """A cache subnet group; Ref is its (lower-case) name."""

    cfn_type = "AWS::ElastiCache::SubnetGroup"
    name_property = "CacheSubnetGroupName"

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        group_name = name.lower()
        _backend(account_id, region_name).create_cache_subnet_group(
            cache_subnet_group_name=group_name,
            cache_subnet_group_description=p.get("Description", ""),
            subnet_ids=p.get("SubnetIds", []),
            tags=tags_list(p) or None,
        )
        return cls(group_name)

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).cache_subnet_groups.pop(self.physical_resource_id, None)


def _endpoint_attributes(group: Any) -> dict[str, Any]:
    """The GetAtt attributes of a replication group, from moto's endpoints."""
    attributes: dict[str, Any] = {}
    node_group = group.node_groups[0]
    if "primary_endpoint_address" in node_group:
        port = str(node_group["port"])
        attributes["PrimaryEndPoint.Address"] = node_group["primary_endpoint_address"]
        attributes["PrimaryEndPoint.Port"] = port
        attributes["ReaderEndPoint.Address"] = node_group["reader_endpoint_address"]
        attributes["ReaderEndPoint.Port"] = port
        addresses = [
            member["read_endpoint"]["address"] for member in node_group["node_group_members"]
        ]
        attributes["ReadEndPoint.Addresses.List"] = addresses
        attributes["ReadEndPoint.Addresses"] = ",".join(addresses)
        attributes["ReadEndPoint.Ports.List"] = [port] * len(addresses)
        attributes["ReadEndPoint.Ports"] = ",".join([port] * len(addresses))
    if getattr(group, "configuration_endpoint", None):
        attributes["ConfigurationEndPoint.Address"] = group.configuration_endpoint["address"]
        attributes["ConfigurationEndPoint.Port"] = str(group.configuration_endpoint["port"])
    return attributes


def _replicas(p: dict[str, Any]) -> int:
    """Replicas per node group; moto 5.2.5 ignores NumCacheClusters, so derive it from that."""
    if "ReplicasPerNodeGroup" in p:
        return int(p["ReplicasPerNodeGroup"])
    return max(int(p.get("NumCacheClusters", 1)) - 1, 0)


class ReplicationGroupResource(AdapterResource, CloudFormationModel):
    """A Redis/Valkey replication group; Ref is its id."""

    cfn_type = "AWS::ElastiCache::ReplicationGroup"
    name_property = "ReplicationGroupId"
    attributes = (
        "PrimaryEndPoint.Address",
        "PrimaryEndPoint.Port",
        "ReaderEndPoint.Address",
        "ReaderEndPoint.Port",
        "ReadEndPoint.Addresses",
        "ReadEndPoint.Addresses.List",
        "ReadEndPoint.Ports",
        "ReadEndPoint.Ports.List",
        "ConfigurationEndPoint.Address",
        "ConfigurationEndPoint.Port",
    )

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        group_id = name.lower()[:40]
        group = _backend(account_id, region_name).create_replication_group(
            replication_group_id=group_id,
            replication_group_description=p.get("ReplicationGroupDescription", ""),
            global_replication_group_id=p.get("GlobalReplicationGroupId"),
            primary_cluster_id=p.get("PrimaryClusterId"),
            automatic_failover_enabled=as_bool(p.get("AutomaticFailoverEnabled")),
            multi_az_enabled=as_bool(p.get("MultiAZEnabled")),
            num_cache_clusters=int(p["NumCacheClusters"]) if "NumCacheClusters" in p else None,
            preferred_cache_cluster_azs=p.get("PreferredCacheClusterAZs", []),
            num_node_groups=int(p["NumNodeGroups"]) if "NumNodeGroups" in p else None,
            replicas_per_node_group=_replicas(p),
            node_group_configuration=p.get("NodeGroupConfiguration", []),
            cache_node_type=p.get("CacheNodeType"),
            engine=p.get("Engine"),
            engine_version=p.get("EngineVersion"),
            cache_parameter_group_name=p.get("CacheParameterGroupName"),
            cache_subnet_group_name=p.get("CacheSubnetGroupName"),
            cache_security_group_names=p.get("CacheSecurityGroupNames", []),
            security_group_ids=p.get("SecurityGroupIds", []),
            tags=tags_list(p),
            snapshot_arns=p.get("SnapshotArns", []),
            snapshot_name=p.get("SnapshotName"),
            preferred_maintenance_window=p.get("PreferredMaintenanceWindow"),
            port=int(p["Port"]) if "Port" in p else None,
            notification_topic_arn=p.get("NotificationTopicArn"),
            auto_minor_version_upgrade=as_bool(p.get("AutoMinorVersionUpgrade"), True),
            snapshot_retention_limit=int(p.get("SnapshotRetentionLimit", 0)),
            snapshot_window=p.get("SnapshotWindow"),
            auth_token=p.get("AuthToken"),
            transit_encryption_enabled=as_bool(p.get("TransitEncryptionEnabled")),
            at_rest_encryption_enabled=as_bool(p.get("AtRestEncryptionEnabled")),
            kms_key_id=p.get("KmsKeyId"),
            user_group_ids=p.get("UserGroupIds", []),
            log_delivery_configurations=p.get("LogDeliveryConfigurations", []),
            data_tiering_enabled=as_bool(p.get("DataTieringEnabled")),
            network_type=p.get("NetworkType"),
            ip_discovery=p.get("IpDiscovery"),
            transit_encryption_mode=p.get("TransitEncryptionMode"),
            cluster_mode=p.get("ClusterMode"),
            serverless_cache_snapshot_name=None,
        )
        return cls(group_id, **_endpoint_attributes(group))

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        backend.delete_replication_group(
            replication_group_id=self.physical_resource_id, retain_primary_cluster=False
        )
        # moto keeps a deleted group as "deleting" forever; AWS removes it once deleted.
        backend.replication_groups.pop(self.physical_resource_id, None)
