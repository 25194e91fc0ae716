//! DescribeInstances: an instance as AWS shows it (interfaces, volumes, state), its
//! filters and the reservations it is grouped in.

use std::collections::HashMap;

use nimbus_core::filter::{self, Filterable};
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::compute::instances::lifecycle::{attached_interfaces, check_all};
use crate::ebs::volumes;
use crate::generated::dto::{
    DescribeInstancesRequest, DescribeInstancesResult, EbsInstanceBlockDevice, Instance, InstanceBlockDeviceMapping,
    InstanceIpv6Address, InstanceNetworkInterface, InstanceNetworkInterfaceAssociation,
    InstanceNetworkInterfaceAttachment, InstancePrivateIpAddress, OperatorResponse, Reservation, StateReason,
};
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::support::{check_filter_names, filtered, paginate, tag_pairs};
use crate::state::{Ec2State, InstanceRecord};
use crate::vpc::interfaces;

// ----------------------------------------------------------------------------- describe

/// What is attached to each instance (interfaces and volumes), gathered in one pass, so
/// that describing many instances does not scan every interface and volume per instance.
#[derive(Default)]
struct Attachments {
    interfaces: HashMap<String, Vec<(String, i32, bool)>>,
    volumes: HashMap<String, Vec<VolumeAttachmentRow>>,
}

/// (device, volume id, attach time, delete on termination), as `volumes::records::attached_to`.
type VolumeAttachmentRow = (String, String, Option<Timestamp>, bool);

impl Attachments {
    fn gather(state: &Ec2State, wanted: &[String]) -> Self {
        let wanted: std::collections::HashSet<&str> = wanted.iter().map(String::as_str).collect();
        let mut all = Attachments::default();
        for (id, e) in &state.network_interfaces {
            if let Some(a) = e.attachment.as_ref() {
                if let Some(instance) = a.instance_id.as_ref().filter(|i| wanted.contains(i.as_str())) {
                    all.interfaces.entry(instance.clone()).or_default().push((
                        id.clone(),
                        a.device_index.unwrap_or(0),
                        a.delete_on_termination.unwrap_or(false),
                    ));
                }
            }
        }
        for list in all.interfaces.values_mut() {
            list.sort_by_key(|(_, index, _)| *index);
        }
        for v in state.volumes.values() {
            for a in v.attachments.iter().flatten() {
                if let Some(instance) = a.instance_id.as_ref().filter(|i| wanted.contains(i.as_str())) {
                    all.volumes.entry(instance.clone()).or_default().push((
                        a.device.clone().unwrap_or_default(),
                        a.volume_id.clone().unwrap_or_default(),
                        a.attach_time,
                        a.delete_on_termination.unwrap_or(false),
                    ));
                }
            }
        }
        for list in all.volumes.values_mut() {
            list.sort();
        }
        all
    }
}

/// Instances as DescribeInstances shows them at `ctx.now`, in the order given.
pub fn describe_many(state: &Ec2State, ctx: &RequestContext, ids: &[String]) -> Vec<Instance> {
    if ids.len() <= 2 {
        return ids.iter().map(|id| describe_one(state, ctx, id)).collect();
    }
    let all = Attachments::gather(state, ids);
    ids.iter()
        .map(|id| {
            let interfaces = all.interfaces.get(id).cloned().unwrap_or_default();
            let volumes = all.volumes.get(id).cloned().unwrap_or_default();
            describe_with(state, ctx, id, interfaces, volumes)
        })
        .collect()
}

/// An instance as DescribeInstances shows it at `ctx.now`.
pub fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> Instance {
    describe_with(state, ctx, id, attached_interfaces(state, id), volumes::records::attached_to(state, id))
}

fn describe_with(
    state: &Ec2State,
    ctx: &RequestContext,
    id: &str,
    interfaces: Vec<(String, i32, bool)>,
    volumes: Vec<VolumeAttachmentRow>,
) -> Instance {
    let rec = &state.instances[id];
    let mut i = rec.instance.clone();
    let (shown, since) = shown_state(state, rec, ctx.now);
    i.state = Some(shown.dto());
    let dns_hostnames = i.vpc_id.as_ref().and_then(|v| state.vpcs.get(v)).is_some_and(|v| v.enable_dns_hostnames);
    if matches!(shown.as_str(), "stopping" | "stopped" | "shutting-down" | "terminated") {
        // When the user stopped or terminated it, as AWS writes it.
        let when = if matches!(shown.as_str(), "stopping" | "shutting-down") { since } else { rec.since };
        let when = when.format("%Y-%m-%d %H:%M:%S GMT");
        i.state_transition_reason = Some(format!("User initiated ({when})"));
        i.state_reason = Some(StateReason {
            code: Some("Client.UserInitiatedShutdown".into()),
            message: Some("Client.UserInitiatedShutdown: User initiated shutdown".into()),
        });
    }
    if shown == Name::Running {
        if let Some(m) = i.metadata_options.as_mut() {
            m.state = Some("applied".into());
        }
        if let Some(m) = i.monitoring.as_mut() {
            if m.state.as_deref() == Some("pending") {
                m.state = Some("enabled".into());
            }
        }
    }
    // Network interfaces and addresses, from the interfaces themselves.
    let mut nics = Vec::new();
    let mut groups = Vec::new();
    for (eni_id, index, delete) in interfaces {
        let eni = interfaces::records::describe_one(state, ctx, &eni_id);
        let auto = state.auto_public_ips.get(&eni_id);
        let association = |private: &str| -> Option<InstanceNetworkInterfaceAssociation> {
            let from_eip = eni
                .private_ip_addresses
                .iter()
                .flatten()
                .find(|p| p.private_ip_address.as_deref() == Some(private))
                .and_then(|p| p.association.clone())
                .map(|a| InstanceNetworkInterfaceAssociation {
                    ip_owner_id: a.ip_owner_id,
                    public_dns_name: Some(a.public_dns_name.unwrap_or_default()),
                    public_ip: a.public_ip,
                    ..Default::default()
                });
            from_eip.or_else(|| {
                let primary = eni.private_ip_address.as_deref() == Some(private);
                auto.filter(|_| primary).map(|ip| InstanceNetworkInterfaceAssociation {
                    ip_owner_id: Some("amazon".into()),
                    public_dns_name: Some(if dns_hostnames {
                        interfaces::records::public_dns_name(&ctx.region, ip)
                    } else {
                        String::new()
                    }),
                    public_ip: Some(ip.clone()),
                    ..Default::default()
                })
            })
        };
        let primary_ip = eni.private_ip_address.clone().unwrap_or_default();
        let att = eni.attachment.clone().unwrap_or_default();
        let nic = InstanceNetworkInterface {
            association: association(&primary_ip),
            attachment: Some(InstanceNetworkInterfaceAttachment {
                attach_time: att.attach_time,
                attachment_id: att.attachment_id.clone(),
                delete_on_termination: Some(delete),
                device_index: Some(index),
                status: Some(if shown == Name::Terminated { "detached" } else { "attached" }.into()),
                network_card_index: Some(att.network_card_index.unwrap_or(0)),
                ..Default::default()
            }),
            description: eni.description.clone(),
            groups: eni.groups.clone(),
            ipv6_addresses: Some(
                eni.ipv6_addresses
                    .iter()
                    .flatten()
                    .map(|a| InstanceIpv6Address {
                        ipv6_address: a.ipv6_address.clone(),
                        is_primary_ipv6: Some(a.is_primary_ipv6.unwrap_or(false)),
                    })
                    .collect(),
            ),
            mac_address: eni.mac_address.clone(),
            network_interface_id: Some(eni_id.clone()),
            owner_id: eni.owner_id.clone(),
            private_dns_name: eni.private_dns_name.clone(),
            private_ip_address: Some(primary_ip.clone()),
            private_ip_addresses: Some(
                eni.private_ip_addresses
                    .iter()
                    .flatten()
                    .map(|p| {
                        let ip = p.private_ip_address.clone().unwrap_or_default();
                        InstancePrivateIpAddress {
                            association: association(&ip),
                            primary: p.primary,
                            private_dns_name: p.private_dns_name.clone(),
                            private_ip_address: Some(ip),
                        }
                    })
                    .collect(),
            ),
            source_dest_check: eni.source_dest_check,
            status: Some("in-use".into()),
            subnet_id: eni.subnet_id.clone(),
            vpc_id: eni.vpc_id.clone(),
            interface_type: eni.interface_type.clone(),
            operator: Some(OperatorResponse { managed: Some(false), ..Default::default() }),
            ..Default::default()
        };
        if index == 0 {
            groups = eni.groups.clone().unwrap_or_default();
            let public = nic.association.clone();
            i.public_ip_address = public.as_ref().and_then(|a| a.public_ip.clone());
            i.public_dns_name = Some(public.and_then(|a| a.public_dns_name).unwrap_or_default());
            i.source_dest_check = eni.source_dest_check;
        }
        nics.push(nic);
    }
    if shown == Name::Terminated {
        i.network_interfaces = Some(Vec::new());
        i.security_groups = Some(Vec::new());
        i.private_dns_name = Some(String::new());
        i.private_ip_address = None;
        i.public_dns_name = Some(String::new());
        i.public_ip_address = None;
        i.subnet_id = None;
        i.vpc_id = None;
        i.block_device_mappings = Some(Vec::new());
    } else {
        i.network_interfaces = Some(nics);
        i.security_groups = Some(groups);
        i.block_device_mappings = Some(
            volumes
                .into_iter()
                .map(|(device, volume_id, attach_time, delete)| InstanceBlockDeviceMapping {
                    device_name: Some(device),
                    ebs: Some(EbsInstanceBlockDevice {
                        attach_time,
                        delete_on_termination: Some(delete),
                        status: Some(volumes::records::attachment_state(state, &volume_id, id)),
                        volume_id: Some(volume_id),
                        ..Default::default()
                    }),
                })
                .collect(),
        );
    }
    i.tags = state.dto_tags_if_any(id);
    i
}

impl Filterable for Instance {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let b = |v: Option<bool>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        let nics = self.network_interfaces.iter().flatten();
        let bdm = self.block_device_mappings.iter().flatten();
        let groups = self.security_groups.iter().flatten();
        let meta = self.metadata_options.as_ref();
        let placement = self.placement.as_ref();
        Some(match name {
            "affinity" => placement.and_then(|p| p.affinity.clone()).into_iter().collect(),
            "architecture" => opt(&self.architecture),
            "availability-zone" => placement.and_then(|p| p.availability_zone.clone()).into_iter().collect(),
            "availability-zone-id" => placement.and_then(|p| p.availability_zone_id.clone()).into_iter().collect(),
            "block-device-mapping.attach-time" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.attach_time.map(|t| t.iso8601())).collect()
            }
            "block-device-mapping.delete-on-termination" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.delete_on_termination.map(|d| d.to_string())).collect()
            }
            "block-device-mapping.device-name" => bdm.filter_map(|m| m.device_name.clone()).collect(),
            "block-device-mapping.status" => bdm.filter_map(|m| m.ebs.as_ref()?.status.clone()).collect(),
            "block-device-mapping.volume-id" => bdm.filter_map(|m| m.ebs.as_ref()?.volume_id.clone()).collect(),
            "boot-mode" => opt(&self.boot_mode),
            "client-token" => opt(&self.client_token),
            "current-instance-boot-mode" => opt(&self.current_instance_boot_mode),
            "dns-name" => opt(&self.public_dns_name),
            "ebs-optimized" => b(self.ebs_optimized),
            "ena-support" => b(self.ena_support),
            "group-id" | "instance.group-id" => groups.filter_map(|g| g.group_id.clone()).collect(),
            "group-name" | "instance.group-name" => groups.filter_map(|g| g.group_name.clone()).collect(),
            "hibernation-options.configured" => b(self.hibernation_options.as_ref().and_then(|h| h.configured)),
            "host-id" => placement.and_then(|p| p.host_id.clone()).into_iter().collect(),
            "hypervisor" => opt(&self.hypervisor),
            "iam-instance-profile.arn" => {
                self.iam_instance_profile.as_ref().and_then(|p| p.arn.clone()).into_iter().collect()
            }
            "iam-instance-profile.id" => {
                self.iam_instance_profile.as_ref().and_then(|p| p.id.clone()).into_iter().collect()
            }
            "image-id" => opt(&self.image_id),
            "instance-id" => opt(&self.instance_id),
            "instance-lifecycle" => opt(&self.instance_lifecycle),
            "instance-state-code" => {
                self.state.as_ref().and_then(|s| s.code).map(|c| vec![c.to_string()]).unwrap_or_default()
            }
            "instance-state-name" => self.state.as_ref().and_then(|s| s.name.clone()).into_iter().collect(),
            "instance-type" => opt(&self.instance_type),
            "ip-address" => opt(&self.public_ip_address),
            "ipv6-address" => opt(&self.ipv6_address),
            "kernel-id" => opt(&self.kernel_id),
            "key-name" => opt(&self.key_name),
            "launch-index" => self.ami_launch_index.map(|i| vec![i.to_string()]).unwrap_or_default(),
            "launch-time" => self.launch_time.map(|t| vec![t.iso8601()]).unwrap_or_default(),
            "metadata-options.http-tokens" => meta.and_then(|m| m.http_tokens.clone()).into_iter().collect(),
            "metadata-options.http-put-response-hop-limit" => {
                meta.and_then(|m| m.http_put_response_hop_limit).map(|h| vec![h.to_string()]).unwrap_or_default()
            }
            "metadata-options.http-endpoint" => meta.and_then(|m| m.http_endpoint.clone()).into_iter().collect(),
            "metadata-options.instance-metadata-tags" => {
                meta.and_then(|m| m.instance_metadata_tags.clone()).into_iter().collect()
            }
            "monitoring-state" => self.monitoring.as_ref().and_then(|m| m.state.clone()).into_iter().collect(),
            "network-interface.ipv6-addresses.ipv6-address" | "network-interface.ipv6-address" => {
                nics.flat_map(|n| n.ipv6_addresses.iter().flatten().filter_map(|a| a.ipv6_address.clone())).collect()
            }
            "network-interface.addresses.private-ip-address" => nics
                .flat_map(|n| n.private_ip_addresses.iter().flatten().filter_map(|p| p.private_ip_address.clone()))
                .collect(),
            "network-interface.addresses.primary" => nics
                .flat_map(|n| n.private_ip_addresses.iter().flatten().map(|p| p.primary.unwrap_or(false).to_string()))
                .collect(),
            "network-interface.addresses.association.public-ip" | "network-interface.association.public-ip" => {
                nics.filter_map(|n| n.association.as_ref()?.public_ip.clone()).collect()
            }
            "network-interface.addresses.association.ip-owner-id" | "network-interface.association.ip-owner-id" => {
                nics.filter_map(|n| n.association.as_ref()?.ip_owner_id.clone()).collect()
            }
            "network-interface.attachment.attachment-id" => {
                nics.filter_map(|n| n.attachment.as_ref()?.attachment_id.clone()).collect()
            }
            "network-interface.attachment.instance-id" => self.instance_id.iter().cloned().collect(),
            "network-interface.attachment.device-index" => {
                nics.filter_map(|n| n.attachment.as_ref()?.device_index.map(|d| d.to_string())).collect()
            }
            "network-interface.attachment.status" => {
                nics.filter_map(|n| n.attachment.as_ref()?.status.clone()).collect()
            }
            "network-interface.attachment.delete-on-termination" => {
                nics.filter_map(|n| n.attachment.as_ref()?.delete_on_termination.map(|d| d.to_string())).collect()
            }
            "network-interface.description" => nics.filter_map(|n| n.description.clone()).collect(),
            "network-interface.group-id" => {
                nics.flat_map(|n| n.groups.iter().flatten().filter_map(|g| g.group_id.clone())).collect()
            }
            "network-interface.group-name" => {
                nics.flat_map(|n| n.groups.iter().flatten().filter_map(|g| g.group_name.clone())).collect()
            }
            "network-interface.mac-address" => nics.filter_map(|n| n.mac_address.clone()).collect(),
            "network-interface.network-interface-id" => nics.filter_map(|n| n.network_interface_id.clone()).collect(),
            "network-interface.owner-id" => nics.filter_map(|n| n.owner_id.clone()).collect(),
            "network-interface.private-dns-name" => nics.filter_map(|n| n.private_dns_name.clone()).collect(),
            "network-interface.source-dest-check" => {
                nics.filter_map(|n| n.source_dest_check.map(|s| s.to_string())).collect()
            }
            "network-interface.status" => nics.filter_map(|n| n.status.clone()).collect(),
            "network-interface.subnet-id" => nics.filter_map(|n| n.subnet_id.clone()).collect(),
            "network-interface.vpc-id" => nics.filter_map(|n| n.vpc_id.clone()).collect(),
            "owner-id" => Vec::new(),
            "placement-group-name" => placement.and_then(|p| p.group_name.clone()).into_iter().collect(),
            "placement-partition-number" => {
                placement.and_then(|p| p.partition_number).map(|n| vec![n.to_string()]).unwrap_or_default()
            }
            "platform" => opt(&self.platform),
            "platform-details" => opt(&self.platform_details),
            "private-dns-name" => opt(&self.private_dns_name),
            "private-ip-address" => opt(&self.private_ip_address),
            "product-code" => self.product_codes.iter().flatten().filter_map(|p| p.product_code_id.clone()).collect(),
            "ramdisk-id" => opt(&self.ramdisk_id),
            "reason" => opt(&self.state_transition_reason),
            "requester-id" => Vec::new(),
            "reservation-id" => Vec::new(),
            "root-device-name" => opt(&self.root_device_name),
            "root-device-type" => opt(&self.root_device_type),
            "source-dest-check" => b(self.source_dest_check),
            "spot-instance-request-id" => opt(&self.spot_instance_request_id),
            "state-reason-code" => self.state_reason.as_ref().and_then(|r| r.code.clone()).into_iter().collect(),
            "state-reason-message" => self.state_reason.as_ref().and_then(|r| r.message.clone()).into_iter().collect(),
            "subnet-id" => opt(&self.subnet_id),
            "tenancy" => placement.and_then(|p| p.tenancy.clone()).into_iter().collect(),
            "tpm-support" => opt(&self.tpm_support),
            "usage-operation" => opt(&self.usage_operation),
            "virtualization-type" => opt(&self.virtualization_type),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

/// Filters that are about the reservation rather than the instance.
fn reservation_filters(filters: &mut Vec<crate::generated::dto::Filter>) -> Vec<(String, Vec<String>)> {
    let mut taken = Vec::new();
    filters.retain(|f| {
        let name = f.name.clone().unwrap_or_default();
        if ["owner-id", "requester-id", "reservation-id"].contains(&name.as_str()) {
            taken.push((name, f.values.clone().unwrap_or_default()));
            false
        } else {
            true
        }
    });
    taken
}

/// Filters answered from the stored record alone, with the same values the full
/// description gives: they are applied before an instance is described (building every
/// instance's description, interfaces and volumes included, is what costs), and all the
/// filters again after.
fn is_cheap(name: &str) -> bool {
    name.starts_with("tag:")
        || matches!(
            name,
            "tag-key"
                | "tag-value"
                | "instance-id"
                | "instance-state-name"
                | "instance-state-code"
                | "instance-type"
                | "image-id"
                | "key-name"
                | "availability-zone"
                | "subnet-id"
                | "vpc-id"
                | "private-ip-address"
        )
}

fn cheap_match(
    state: &Ec2State,
    ctx: &RequestContext,
    id: &str,
    rec: &InstanceRecord,
    cheap: &[filter::Filter],
) -> bool {
    if cheap.is_empty() {
        return true;
    }
    let (shown, _) = shown_state(state, rec, ctx.now);
    let view = StoredInstance { state, id, rec, shown };
    filter::matches(&view, cheap).unwrap_or(true)
}

/// An instance's stored record seen through the filters `is_cheap` names.
struct StoredInstance<'a> {
    state: &'a Ec2State,
    id: &'a str,
    rec: &'a InstanceRecord,
    shown: Name,
}

impl Filterable for StoredInstance<'_> {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let i = &self.rec.instance;
        let one = |v: &Option<String>| v.iter().cloned().collect();
        // A terminated instance has left its subnet, as `describe_one` shows it.
        let network = |v: &Option<String>| if self.shown == Name::Terminated { Vec::new() } else { one(v) };
        Some(match name {
            "instance-id" => vec![self.id.to_string()],
            "instance-state-name" => vec![self.shown.to_string()],
            "instance-state-code" => vec![self.shown.code().to_string()],
            "instance-type" => one(&i.instance_type),
            "image-id" => one(&i.image_id),
            "key-name" => one(&i.key_name),
            "availability-zone" => i.placement.as_ref().and_then(|p| p.availability_zone.clone()).into_iter().collect(),
            "subnet-id" => network(&i.subnet_id),
            "vpc-id" => network(&i.vpc_id),
            "private-ip-address" => network(&i.private_ip_address),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        self.state
            .tags
            .get(self.id)
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }
}

pub fn describe_instances(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeInstancesRequest,
) -> Result<DescribeInstancesResult, ApiError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    if !ids.is_empty() {
        check_all(state, &ids)?;
    }
    let mut filters = input.filters.clone().unwrap_or_default();
    let by_reservation = reservation_filters(&mut filters);
    check_filter_names::<Instance>(Some(&filters))?;
    let cheap: Vec<filter::Filter> = filters
        .iter()
        .filter(|f| is_cheap(f.name.as_deref().unwrap_or_default()))
        .map(|f| filter::Filter {
            name: f.name.clone().unwrap_or_default(),
            values: f.values.clone().unwrap_or_default(),
        })
        .collect();
    let candidates = state
        .instances
        .iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(_, rec)| {
            by_reservation.iter().all(|(name, values)| {
                let have = match name.as_str() {
                    "owner-id" => {
                        rec.instance.placement.as_ref().map(|_| ctx.account().to_string()).unwrap_or_default()
                    }
                    "reservation-id" => rec.reservation_id.clone(),
                    _ => String::new(),
                };
                values.iter().any(|v| nimbus_core::filter::wildcard(v, &have))
            })
        })
        .filter(|(id, rec)| cheap_match(state, ctx, id, rec, &cheap))
        .map(|(id, _)| id.clone())
        .collect::<Vec<_>>();
    let instances = filtered(describe_many(state, ctx, &candidates), Some(&filters))?;
    let (page, next) =
        paginate(instances, |i| i.instance_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    // Group into reservations, in the order of their first instance.
    let mut reservations: Vec<Reservation> = Vec::new();
    for inst in page {
        let rid = state.instances[inst.instance_id.as_deref().unwrap_or_default()].reservation_id.clone();
        match reservations.iter_mut().find(|r| r.reservation_id.as_deref() == Some(&rid)) {
            Some(r) => r.instances.get_or_insert_with(Vec::new).push(inst),
            None => reservations.push(Reservation {
                reservation_id: Some(rid),
                owner_id: Some(ctx.account().to_string()),
                requester_id: None,
                groups: Some(Vec::new()),
                instances: Some(vec![inst]),
            }),
        }
    }
    Ok(DescribeInstancesResult { reservations: Some(reservations), next_token: next })
}
