//! Target networks: AssociateClientVpnTargetNetwork, DisassociateClientVpnTargetNetwork,
//! DescribeClientVpnTargetNetworks and ApplySecurityGroupsToClientVpnTargetNetwork.
//!
//! The first association fixes the endpoint's VPC (and gives it the VPC's default
//! security group unless it has groups); later subnets must be in that VPC, one per
//! Availability Zone, and must not overlap the client CIDR block. Each association holds
//! a requester-managed interface in its subnet, behind the endpoint's groups, and adds
//! the route to the VPC's CIDR (`Origin` `associate`), which disassociating removes.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::endpoints::{endpoint_groups, get_live, get_mut};
use crate::generated::dto::{
    ApplySecurityGroupsToClientVpnTargetNetworkRequest, ApplySecurityGroupsToClientVpnTargetNetworkResult,
    AssociateClientVpnTargetNetworkRequest, AssociateClientVpnTargetNetworkResult, AssociationStatus,
    DescribeClientVpnTargetNetworksRequest, DescribeClientVpnTargetNetworksResult,
    DisassociateClientVpnTargetNetworkRequest, DisassociateClientVpnTargetNetworkResult, GroupIdentifier,
    TargetNetwork,
};
use crate::generated::errors;
use crate::state::cidr::Ipv4Cidr;
use crate::state::client_vpn::{ClientVpnAssociation, ClientVpnRecord, ClientVpnRouteRecord};
use crate::state::support::{filtered, paginate};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;
use crate::vpc::interfaces::records::{create_interface_record, remove_interface_record, NewInterface};
use crate::vpc::{subnets, vpcs};

/// The description AWS gives the interfaces of a Client VPN endpoint.
const INTERFACE_DESCRIPTION: &str = "ClientVPN Endpoint resource";
/// The description of the route an association adds.
const ASSOCIATE_ROUTE_DESCRIPTION: &str = "Default Route";

fn status(code: &str) -> Option<AssociationStatus> {
    Some(AssociationStatus { code: Some(code.into()), message: None })
}

fn group_identifiers(state: &Ec2State, ids: &[String]) -> Vec<GroupIdentifier> {
    ids.iter()
        .map(|id| GroupIdentifier {
            group_id: Some(id.clone()),
            group_name: state.security_groups.get(id).map(|g| g.group_name.clone()),
        })
        .collect()
}

pub fn associate_client_vpn_target_network(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AssociateClientVpnTargetNetworkRequest,
) -> Result<AssociateClientVpnTargetNetworkResult, ApiError> {
    let id = input.client_vpn_endpoint_id.clone();
    let rec = get_live(state, &id)?;
    let subnet_id = input.subnet_id.clone().ok_or_else(|| errors::missing_parameter("SubnetId"))?;
    let subnet = subnets::get(state, &subnet_id)?.subnet.clone();
    let vpc_id = subnet.vpc_id.clone().unwrap_or_default();
    let zone = subnet.availability_zone.clone().unwrap_or_default();
    let live: Vec<&ClientVpnAssociation> = rec.live_associations().collect();
    if live.iter().any(|a| a.subnet_id == subnet_id) {
        return Err(errors::invalid_client_vpn_duplicate_association_exception(&id, &subnet_id));
    }
    if let Some(endpoint_vpc) = rec.endpoint.vpc_id.as_deref().filter(|v| *v != vpc_id) {
        return Err(errors::invalid_client_vpn_subnet_id_not_found(format!(
            "Subnet {subnet_id} is not in VPC {endpoint_vpc}, the VPC of endpoint {id}."
        )));
    }
    if live.iter().any(|a| a.zone == zone) {
        return Err(errors::invalid_client_vpn_subnet_id_duplicate_az(&id, &zone));
    }
    let client_cidr = rec.endpoint.client_cidr_block.clone().unwrap_or_default();
    let overlaps = match (Ipv4Cidr::parse(&client_cidr), subnet.cidr_block.as_deref().and_then(Ipv4Cidr::parse)) {
        (Some(c), Some(s)) => c.overlaps(&s),
        _ => false,
    };
    if overlaps {
        return Err(errors::invalid_client_vpn_subnet_id_overlapping_cidr(&client_cidr, &id, &subnet_id));
    }
    let groups = match rec.endpoint.security_group_ids.clone().filter(|g| !g.is_empty()) {
        Some(g) => g,
        None => endpoint_groups(state, &vpc_id, None)?,
    };
    let vpc_cidr = vpcs::get(state, &vpc_id)?.vpc.cidr_block.clone().unwrap_or_default();
    let ip = subnets::allocate_ip(state, &subnet_id, None)?;
    let interface_id = create_interface_record(
        state,
        ctx,
        NewInterface {
            subnet_id: subnet_id.clone(),
            ips: vec![ip],
            groups: group_identifiers(state, &groups),
            description: INTERFACE_DESCRIPTION.into(),
            interface_type: "interface".into(),
            requester_managed: true,
        },
    );
    let association_id = ids::resource_id("cvpn-assoc");
    let rec = get_mut(state, ctx, &id)?;
    rec.endpoint.vpc_id = Some(vpc_id.clone());
    rec.endpoint.security_group_ids = Some(groups);
    let life = Life::new(Stage::Created, ctx.now);
    rec.associations.insert(
        association_id.clone(),
        ClientVpnAssociation {
            association_id: association_id.clone(),
            subnet_id: subnet_id.clone(),
            vpc_id,
            zone,
            zone_id: subnet.availability_zone_id.clone().unwrap_or_default(),
            interface_id,
            life,
        },
    );
    rec.routes.push(ClientVpnRouteRecord {
        cidr: vpc_cidr,
        subnet_id,
        origin: "associate".into(),
        description: Some(ASSOCIATE_ROUTE_DESCRIPTION.into()),
        life,
    });
    rec.routes.sort_by_key(|r| r.key());
    Ok(AssociateClientVpnTargetNetworkResult { association_id: Some(association_id), status: status("associating") })
}

pub fn disassociate_client_vpn_target_network(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DisassociateClientVpnTargetNetworkRequest,
) -> Result<DisassociateClientVpnTargetNetworkResult, ApiError> {
    let id = input.client_vpn_endpoint_id.clone();
    let rec = get_mut(state, ctx, &id)?;
    let assoc = rec
        .associations
        .get_mut(&input.association_id)
        .filter(|a| a.life.stage != Stage::Deleted)
        .ok_or_else(|| errors::invalid_client_vpn_association_id_not_found(&id, &input.association_id))?;
    assoc.life = Life::new(Stage::Deleted, ctx.now);
    let (subnet_id, interface_id) = (assoc.subnet_id.clone(), assoc.interface_id.clone());
    for route in rec.routes.iter_mut().filter(|r| r.subnet_id == subnet_id && r.origin == "associate") {
        route.life = Life::new(Stage::Deleted, ctx.now);
    }
    remove_interface_record(state, &interface_id);
    Ok(DisassociateClientVpnTargetNetworkResult {
        association_id: Some(input.association_id),
        status: status("disassociating"),
    })
}

/// An association as described at `now` (`None` once its removal has settled).
fn describe_one(
    state: &Ec2State,
    rec: &ClientVpnRecord,
    a: &ClientVpnAssociation,
    ctx: &RequestContext,
) -> Option<TargetNetwork> {
    let code = a.life.association_state(state.transition_delay(), ctx.now)?;
    Some(TargetNetwork {
        association_id: Some(a.association_id.clone()),
        vpc_id: Some(a.vpc_id.clone()),
        target_network_id: Some(a.subnet_id.clone()),
        client_vpn_endpoint_id: Some(rec.id().to_string()),
        status: status(code),
        security_groups: rec.endpoint.security_group_ids.clone(),
        availability_zones: None,
        availability_zone_ids: None,
    })
}

impl Filterable for TargetNetwork {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "association-id" => opt(&self.association_id),
            "target-network-id" => opt(&self.target_network_id),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }
}

pub fn describe_client_vpn_target_networks(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeClientVpnTargetNetworksRequest,
) -> Result<DescribeClientVpnTargetNetworksResult, ApiError> {
    let paging = input.page();
    let rec = get_live(state, &input.client_vpn_endpoint_id)?;
    let ids = input.association_ids.unwrap_or_default();
    let items: Vec<TargetNetwork> = rec
        .associations
        .values()
        .filter(|a| ids.is_empty() || ids.contains(&a.association_id))
        .filter_map(|a| describe_one(state, rec, a, ctx))
        .collect();
    let items = filtered(items, input.filters.as_deref())?;
    let (page, next) = paginate(items, |t| t.association_id.clone().unwrap_or_default(), paging, false)?;
    Ok(DescribeClientVpnTargetNetworksResult { client_vpn_target_networks: Some(page), next_token: next })
}

/// Replaces the endpoint's security groups (all in the VPC of its target networks) on
/// the endpoint and its interfaces.
pub fn apply_security_groups_to_client_vpn_target_network(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ApplySecurityGroupsToClientVpnTargetNetworkRequest,
) -> Result<ApplySecurityGroupsToClientVpnTargetNetworkResult, ApiError> {
    let id = input.client_vpn_endpoint_id.clone();
    let rec = get_live(state, &id)?;
    if rec.endpoint.vpc_id.as_deref().is_some_and(|v| v != input.vpc_id) {
        return Err(errors::invalid_parameter_value(format!(
            "VPC {} is not the VPC of endpoint {id}'s target networks.",
            input.vpc_id
        )));
    }
    if input.security_group_ids.is_empty() {
        return Err(errors::missing_parameter("SecurityGroupId"));
    }
    let groups = endpoint_groups(state, &input.vpc_id, Some(&input.security_group_ids))?;
    set_groups(state, ctx, &id, &input.vpc_id, groups.clone())?;
    Ok(ApplySecurityGroupsToClientVpnTargetNetworkResult { security_group_ids: Some(groups) })
}

/// Gives the endpoint (in `vpc_id`) these groups, on its interfaces too.
pub fn set_groups(
    state: &mut Ec2State,
    ctx: &RequestContext,
    id: &str,
    vpc_id: &str,
    groups: Vec<String>,
) -> Result<(), ApiError> {
    let identifiers = group_identifiers(state, &groups);
    let rec = get_mut(state, ctx, id)?;
    rec.endpoint.vpc_id = Some(vpc_id.to_string());
    rec.endpoint.security_group_ids = Some(groups);
    let interfaces: Vec<String> = rec.live_associations().map(|a| a.interface_id.clone()).collect();
    for eni in interfaces {
        if let Some(i) = state.network_interfaces.get_mut(&eni) {
            i.groups = Some(identifiers.clone());
        }
    }
    Ok(())
}
