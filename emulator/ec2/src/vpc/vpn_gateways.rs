//! Virtual private gateways and customer gateways, as records (no tunnels): create,
//! attach a VPN gateway to one VPC (`attaching` -> `attached`), detach (`detaching` ->
//! `detached`), delete (`deleted`, still shown for a while, as at AWS), route
//! propagation into route tables.

use chrono::{DateTime, TimeDelta, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AttachVpnGatewayRequest, AttachVpnGatewayResult, CreateCustomerGatewayRequest, CreateCustomerGatewayResult,
    CreateVpnGatewayRequest, CreateVpnGatewayResult, CustomerGateway, DeleteCustomerGatewayRequest,
    DeleteVpnGatewayRequest, DescribeCustomerGatewaysRequest, DescribeCustomerGatewaysResult,
    DescribeVpnGatewaysRequest, DescribeVpnGatewaysResult, DetachVpnGatewayRequest, DisableVgwRoutePropagationRequest,
    EnableVgwRoutePropagationRequest, PropagatingVgw, VpcAttachment, VpnGateway,
};
use crate::generated::enums;
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::params::one_of;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, mark_changed, older_than, settled, spec_tags};
use crate::state::Ec2State;
use crate::vpc::vpcs;

/// The ASN of the Amazon side when the request names none.
const DEFAULT_AMAZON_SIDE_ASN: i64 = 64512;
/// The customer side's ASN when the request names none (AWS's documented default).
const DEFAULT_BGP_ASN: i32 = 65000;
/// How long deleted gateways stay visible in Describe calls.
const DELETED_VISIBLE: TimeDelta = TimeDelta::hours(1);

/// The timestamp key of a VPN gateway's attachment (the gateway's own key is its id).
pub fn attachment_key(vgw_id: &str) -> String {
    format!("{vgw_id}/attachment")
}

/// Whether a VPN gateway exists and is not deleted.
pub fn is_live(state: &Ec2State, id: &str) -> bool {
    state.vpn_gateways.get(id).is_some_and(|g| g.state.as_deref() != Some("deleted"))
}

/// The VPC a live VPN gateway is attached (or attaching) to.
pub fn attached_vpc<'a>(state: &'a Ec2State, id: &str) -> Option<&'a str> {
    let g = state.vpn_gateways.get(id).filter(|_| is_live(state, id))?;
    g.vpc_attachments
        .iter()
        .flatten()
        .find(|a| a.state.as_deref() == Some("attached"))
        .and_then(|a| a.vpc_id.as_deref())
}

/// Every VPC with a VPN gateway attached.
pub fn attached_vpcs(state: &Ec2State) -> impl Iterator<Item = &str> {
    state.vpn_gateways.keys().filter_map(|id| attached_vpc(state, id))
}

/// Forgets gateways deleted longer ago than AWS keeps showing them.
fn prune(state: &mut Ec2State, now: DateTime<Utc>) {
    let gone: Vec<String> = state
        .vpn_gateways
        .iter()
        .filter(|(id, g)| g.state.as_deref() == Some("deleted") && older_than(state, id, now, DELETED_VISIBLE))
        .map(|(id, _)| id.clone())
        .chain(
            state
                .customer_gateways
                .iter()
                .filter(|(id, g)| g.state.as_deref() == Some("deleted") && older_than(state, id, now, DELETED_VISIBLE))
                .map(|(id, _)| id.clone()),
        )
        .collect();
    for id in gone {
        state.vpn_gateways.remove(&id);
        state.customer_gateways.remove(&id);
        state.timestamps.remove(&attachment_key(&id));
        state.forget(&id);
    }
}

fn visible(state: &Ec2State, id: &str, stored: Option<&str>, now: DateTime<Utc>) -> bool {
    stored != Some("deleted") || !older_than(state, id, now, DELETED_VISIBLE)
}

fn get_vgw<'a>(state: &'a Ec2State, id: &str) -> Result<&'a VpnGateway, ApiError> {
    state
        .vpn_gateways
        .get(id)
        .filter(|g| g.state.as_deref() != Some("deleted"))
        .ok_or_else(|| errors::invalid_vpn_gateway_id_not_found(id))
}

/// A VPN gateway as Describe shows it at `now`.
fn describe_vgw(state: &Ec2State, id: &str, now: DateTime<Utc>) -> VpnGateway {
    let mut g = state.vpn_gateways[id].clone();
    if g.state.as_deref() == Some("deleted") && !settled(state, id, now) {
        g.state = Some("deleting".into());
    }
    if !settled(state, &attachment_key(id), now) {
        if let Some(last) = g.vpc_attachments.as_mut().and_then(|a| a.last_mut()) {
            last.state = Some(if last.state.as_deref() == Some("attached") { "attaching" } else { "detaching" }.into());
        }
    }
    g.tags = state.dto_tags(id);
    g
}

fn valid_amazon_asn(asn: i64) -> bool {
    (64512..=65534).contains(&asn) || (4_200_000_000..=4_294_967_294).contains(&asn)
}

pub fn create_vpn_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVpnGatewayRequest,
) -> Result<CreateVpnGatewayResult, ApiError> {
    one_of("type", &input.r#type, enums::GATEWAY_TYPE)?;
    let asn = input.amazon_side_asn.unwrap_or(DEFAULT_AMAZON_SIDE_ASN);
    if !valid_amazon_asn(asn) {
        return Err(errors::invalid_parameter_value(format!(
            "Invalid amazonSideAsn {asn}: a private ASN in the range 64512-65534 or 4200000000-4294967294 is required"
        )));
    }
    // An empty zone counts as none, as AWS takes it (Terraform's aws_vpn_gateway sends one).
    let zone = input.availability_zone.clone().filter(|z| !z.is_empty());
    if let Some(zone) = zone.as_deref() {
        if !nimbus_core::regions::availability_zones(&ctx.region).iter().any(|z| z.zone_name == zone) {
            return Err(invalid_value("availabilityZone", zone, ""));
        }
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "vpn-gateway")?;
    prune(state, ctx.now);
    let id = ids::resource_id("vgw");
    state.vpn_gateways.insert(
        id.clone(),
        VpnGateway {
            amazon_side_asn: Some(asn),
            tags: None,
            vpn_gateway_id: Some(id.clone()),
            state: Some("available".into()),
            r#type: Some("ipsec.1".into()),
            availability_zone: zone,
            vpc_attachments: Some(Vec::new()),
        },
    );
    state.set_tags(&id, tags);
    mark_changed(state, &id, ctx.now);
    Ok(CreateVpnGatewayResult { vpn_gateway: Some(describe_vgw(state, &id, ctx.now)) })
}

pub fn attach_vpn_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AttachVpnGatewayRequest,
) -> Result<AttachVpnGatewayResult, ApiError> {
    get_vgw(state, &input.vpn_gateway_id)?;
    vpcs::get(state, &input.vpc_id)?;
    if let Some(vpc) = attached_vpc(state, &input.vpn_gateway_id) {
        return Err(errors::vpn_gateway_attachment_limit_exceeded(&input.vpn_gateway_id, vpc));
    }
    if let Some(other) = state.vpn_gateways.keys().find(|g| attached_vpc(state, g) == Some(input.vpc_id.as_str())) {
        return Err(errors::invalid_vpc_state(other, &input.vpc_id));
    }
    let g = state.vpn_gateways.get_mut(&input.vpn_gateway_id).expect("checked above");
    let attachments = g.vpc_attachments.get_or_insert_with(Vec::new);
    attachments.retain(|a| a.vpc_id.as_deref() != Some(input.vpc_id.as_str()));
    attachments.push(VpcAttachment { vpc_id: Some(input.vpc_id.clone()), state: Some("attached".into()) });
    mark_changed(state, &attachment_key(&input.vpn_gateway_id), ctx.now);
    Ok(AttachVpnGatewayResult {
        vpc_attachment: Some(VpcAttachment { vpc_id: Some(input.vpc_id), state: Some("attaching".into()) }),
    })
}

/// The gateway keeps the attachment, `detached`, as AWS shows it.
pub fn detach_vpn_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DetachVpnGatewayRequest,
) -> Result<(), ApiError> {
    get_vgw(state, &input.vpn_gateway_id)?;
    // A VPC that is gone has no attachment either: AWS answers the attachment's error
    // (Terraform's aws_vpn_gateway detaches from the VPC it last saw before deleting,
    // and takes InvalidVpnGatewayAttachment.NotFound as done).
    if attached_vpc(state, &input.vpn_gateway_id) != Some(input.vpc_id.as_str()) {
        return Err(errors::invalid_vpn_gateway_attachment_not_found(&input.vpn_gateway_id, &input.vpc_id));
    }
    let g = state.vpn_gateways.get_mut(&input.vpn_gateway_id).expect("checked above");
    for a in g.vpc_attachments.iter_mut().flatten() {
        if a.vpc_id.as_deref() == Some(input.vpc_id.as_str()) {
            a.state = Some("detached".into());
        }
    }
    mark_changed(state, &attachment_key(&input.vpn_gateway_id), ctx.now);
    Ok(())
}

/// Refused while attached; the gateway's route propagations end with it.
pub fn delete_vpn_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteVpnGatewayRequest,
) -> Result<(), ApiError> {
    let id = input.vpn_gateway_id.as_str();
    get_vgw(state, id)?;
    // AWS's words (terraform-provider-aws #5831).
    if state.connectivity.uses_vpn_gateway(id) {
        return Err(errors::incorrect_state("The VPN gateway is in use."));
    }
    if let Some(vpc) = attached_vpc(state, id) {
        return Err(errors::incorrect_state(format!(
            "The vpnGateway '{id}' is attached to {vpc}. Detach it before deleting it."
        )));
    }
    state.vpn_gateways.get_mut(id).expect("checked above").state = Some("deleted".into());
    for t in state.route_tables.values_mut() {
        if let Some(p) = t.propagating_vgws.as_mut() {
            p.retain(|p| p.gateway_id.as_deref() != Some(id));
        }
    }
    mark_changed(state, id, ctx.now);
    Ok(())
}

impl Filterable for VpnGateway {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let att = self.vpc_attachments.iter().flatten();
        Some(match name {
            "amazon-side-asn" => self.amazon_side_asn.iter().map(|a| a.to_string()).collect(),
            "attachment.state" => att.filter_map(|a| a.state.clone()).collect(),
            "attachment.vpc-id" => att.filter_map(|a| a.vpc_id.clone()).collect(),
            "availability-zone" => opt(&self.availability_zone),
            "state" => opt(&self.state),
            "type" => opt(&self.r#type),
            "vpn-gateway-id" => opt(&self.vpn_gateway_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_vpn_gateways(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVpnGatewaysRequest,
) -> Result<DescribeVpnGatewaysResult, ApiError> {
    let shown = |id: &String| visible(state, id, state.vpn_gateways[id].state.as_deref(), ctx.now);
    let ids = input.vpn_gateway_ids.unwrap_or_default();
    for id in &ids {
        if !state.vpn_gateways.contains_key(id) || !shown(id) {
            return Err(errors::invalid_vpn_gateway_id_not_found(id));
        }
    }
    let all = state
        .vpn_gateways
        .keys()
        .filter(|id| shown(id) && (ids.is_empty() || ids.contains(id)))
        .map(|id| describe_vgw(state, id, ctx.now));
    Ok(DescribeVpnGatewaysResult { vpn_gateways: Some(filtered(all, input.filters.as_deref())?) })
}

/// Adds the gateway to the table's `PropagatingVgws`: the table shows the static routes
/// of the gateway's VPN connections (`route_tables::describe_one`).
pub fn enable_vgw_route_propagation(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: EnableVgwRoutePropagationRequest,
) -> Result<(), ApiError> {
    let vpc_id = propagation_target(state, &input.route_table_id, &input.gateway_id)?;
    if attached_vpc(state, &input.gateway_id) != Some(vpc_id.as_str()) {
        return Err(errors::gateway_not_attached(&input.gateway_id, &vpc_id));
    }
    let t = state.route_tables.get_mut(&input.route_table_id).expect("checked above");
    let list = t.propagating_vgws.get_or_insert_with(Vec::new);
    if !list.iter().any(|p| p.gateway_id.as_deref() == Some(input.gateway_id.as_str())) {
        list.push(PropagatingVgw { gateway_id: Some(input.gateway_id.clone()) });
    }
    Ok(())
}

pub fn disable_vgw_route_propagation(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DisableVgwRoutePropagationRequest,
) -> Result<(), ApiError> {
    propagation_target(state, &input.route_table_id, &input.gateway_id)?;
    let t = state.route_tables.get_mut(&input.route_table_id).expect("checked above");
    if let Some(list) = t.propagating_vgws.as_mut() {
        list.retain(|p| p.gateway_id.as_deref() != Some(input.gateway_id.as_str()));
    }
    Ok(())
}

/// Checks a propagation's route table and gateway; the table's VPC.
fn propagation_target(state: &Ec2State, rtb: &str, vgw: &str) -> Result<String, ApiError> {
    let table = state.route_tables.get(rtb).ok_or_else(|| errors::invalid_route_table_id_not_found(rtb))?;
    get_vgw(state, vgw)?;
    Ok(table.vpc_id.clone().unwrap_or_default())
}

fn get_cgw<'a>(state: &'a Ec2State, id: &str) -> Result<&'a CustomerGateway, ApiError> {
    state
        .customer_gateways
        .get(id)
        .filter(|g| g.state.as_deref() != Some("deleted"))
        .ok_or_else(|| errors::invalid_customer_gateway_id_not_found(id))
}

fn describe_cgw(state: &Ec2State, id: &str, now: DateTime<Utc>) -> CustomerGateway {
    let mut g = state.customer_gateways[id].clone();
    if g.state.as_deref() == Some("deleted") && !settled(state, id, now) {
        g.state = Some("deleting".into());
    }
    g.tags = state.dto_tags(id);
    g
}

/// A gateway with the same address, ASN and type as a live one is that one, as AWS
/// answers it.
pub fn create_customer_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateCustomerGatewayRequest,
) -> Result<CreateCustomerGatewayResult, ApiError> {
    one_of("type", &input.r#type, enums::GATEWAY_TYPE)?;
    let ip = input.ip_address.clone().or(input.public_ip.clone());
    let Some(ip) = ip else {
        if input.certificate_arn.is_none() {
            return Err(errors::missing_parameter("IpAddress"));
        }
        return Err(errors::invalid_parameter_value(
            "Certificate-based customer gateways are not supported by nimbus; give an IpAddress.",
        ));
    };
    if ip.parse::<std::net::Ipv4Addr>().is_err() {
        return Err(invalid_value("ipAddress", ip, ""));
    }
    let (bgp_asn, extended) = match (input.bgp_asn, input.bgp_asn_extended) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_parameter_combination("Specify either BgpAsn or BgpAsnExtended, not both."))
        }
        (Some(a), None) if !(1..=2_147_483_647).contains(&a) => return Err(invalid_value("bgpAsn", a, "")),
        (None, Some(a)) if !(2_147_483_648..=4_294_967_294).contains(&a) => {
            return Err(invalid_value("bgpAsnExtended", a, "It must be between 2147483648 and 4294967294."))
        }
        (a, None) => (a.unwrap_or(DEFAULT_BGP_ASN).to_string(), None),
        (None, Some(a)) => (a.to_string(), Some(a.to_string())),
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "customer-gateway")?;
    prune(state, ctx.now);
    let existing = state.customer_gateways.iter().find(|(_, g)| {
        g.state.as_deref() == Some("available")
            && g.ip_address.as_deref() == Some(ip.as_str())
            && g.bgp_asn.as_deref() == Some(bgp_asn.as_str())
    });
    if let Some((id, _)) = existing {
        let id = id.clone();
        return Ok(CreateCustomerGatewayResult { customer_gateway: Some(describe_cgw(state, &id, ctx.now)) });
    }
    let id = ids::resource_id("cgw");
    state.customer_gateways.insert(
        id.clone(),
        CustomerGateway {
            certificate_arn: None,
            device_name: input.device_name.clone(),
            tags: None,
            bgp_asn_extended: extended,
            customer_gateway_id: Some(id.clone()),
            state: Some("available".into()),
            r#type: Some("ipsec.1".into()),
            ip_address: Some(ip),
            bgp_asn: Some(bgp_asn),
        },
    );
    state.set_tags(&id, tags);
    mark_changed(state, &id, ctx.now);
    Ok(CreateCustomerGatewayResult { customer_gateway: Some(describe_cgw(state, &id, ctx.now)) })
}

pub fn delete_customer_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteCustomerGatewayRequest,
) -> Result<(), ApiError> {
    get_cgw(state, &input.customer_gateway_id)?;
    // AWS's words (terraform-provider-aws #23632).
    if state.connectivity.uses_customer_gateway(&input.customer_gateway_id) {
        return Err(errors::incorrect_state("The customer gateway is in use."));
    }
    state.customer_gateways.get_mut(&input.customer_gateway_id).expect("checked above").state = Some("deleted".into());
    mark_changed(state, &input.customer_gateway_id, ctx.now);
    Ok(())
}

impl Filterable for CustomerGateway {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "bgp-asn" => opt(&self.bgp_asn),
            "customer-gateway-id" => opt(&self.customer_gateway_id),
            "ip-address" => opt(&self.ip_address),
            "state" => opt(&self.state),
            "type" => opt(&self.r#type),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_customer_gateways(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeCustomerGatewaysRequest,
) -> Result<DescribeCustomerGatewaysResult, ApiError> {
    let shown = |id: &String| visible(state, id, state.customer_gateways[id].state.as_deref(), ctx.now);
    let ids = input.customer_gateway_ids.unwrap_or_default();
    for id in &ids {
        if !state.customer_gateways.contains_key(id) || !shown(id) {
            return Err(errors::invalid_customer_gateway_id_not_found(id));
        }
    }
    let all = state
        .customer_gateways
        .keys()
        .filter(|id| shown(id) && (ids.is_empty() || ids.contains(id)))
        .map(|id| describe_cgw(state, id, ctx.now));
    Ok(DescribeCustomerGatewaysResult { customer_gateways: Some(filtered(all, input.filters.as_deref())?) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::CreateRouteRequest;
    use crate::state::support::testing::{delete_vpc, route_table, routes, setup, vpc};
    use crate::vpc::route_tables;

    fn new_vgw(s: &mut Ec2State, ctx: &RequestContext) -> String {
        let input = CreateVpnGatewayRequest { r#type: "ipsec.1".into(), ..Default::default() };
        let g = create_vpn_gateway(s, ctx, input).unwrap().vpn_gateway.unwrap();
        assert_eq!((g.amazon_side_asn, g.state.as_deref()), (Some(64512), Some("available")));
        g.vpn_gateway_id.unwrap()
    }

    fn shown(s: &Ec2State, ctx: &RequestContext, id: &str) -> VpnGateway {
        let input = DescribeVpnGatewaysRequest { vpn_gateway_ids: Some(vec![id.into()]), ..Default::default() };
        describe_vpn_gateways(s, ctx, input).unwrap().vpn_gateways.unwrap().remove(0)
    }

    #[test]
    fn a_vpn_gateway_attaches_to_one_vpc_and_is_deleted_detached() {
        let (mut s, ctx) = setup();
        let vgw = new_vgw(&mut s, &ctx);
        let (a, b) = (vpc(&mut s, &ctx, "10.0.0.0/16"), vpc(&mut s, &ctx, "10.1.0.0/16"));
        let attach = |v: &str| AttachVpnGatewayRequest { vpc_id: v.into(), vpn_gateway_id: vgw.clone(), dry_run: None };
        let out = attach_vpn_gateway(&mut s, &ctx, attach(&a)).unwrap().vpc_attachment.unwrap();
        assert_eq!(out.state.as_deref(), Some("attaching"));
        assert_eq!(shown(&s, &ctx, &vgw).vpc_attachments.unwrap()[0].state.as_deref(), Some("attached"));
        assert_eq!(attach_vpn_gateway(&mut s, &ctx, attach(&b)).unwrap_err().code, "VpnGatewayAttachmentLimitExceeded");
        let other = new_vgw(&mut s, &ctx);
        let second = AttachVpnGatewayRequest { vpc_id: a.clone(), vpn_gateway_id: other, dry_run: None };
        assert_eq!(attach_vpn_gateway(&mut s, &ctx, second).unwrap_err().code, "InvalidVpcState");
        assert_eq!(delete_vpc(&mut s, &ctx, &a).unwrap_err().code, "DependencyViolation");

        let delete = DeleteVpnGatewayRequest { vpn_gateway_id: vgw.clone(), dry_run: None };
        assert_eq!(delete_vpn_gateway(&mut s, &ctx, delete.clone()).unwrap_err().code, "IncorrectState");
        let detach = |v: &str| DetachVpnGatewayRequest { vpc_id: v.into(), vpn_gateway_id: vgw.clone(), dry_run: None };
        assert_eq!(
            detach_vpn_gateway(&mut s, &ctx, detach(&b)).unwrap_err().code,
            "InvalidVpnGatewayAttachment.NotFound"
        );
        detach_vpn_gateway(&mut s, &ctx, detach(&a)).unwrap();
        assert_eq!(shown(&s, &ctx, &vgw).vpc_attachments.unwrap()[0].state.as_deref(), Some("detached"));
        delete_vpn_gateway(&mut s, &ctx, delete.clone()).unwrap();
        assert_eq!(shown(&s, &ctx, &vgw).state.as_deref(), Some("deleted"));
        assert_eq!(delete_vpn_gateway(&mut s, &ctx, delete).unwrap_err().code, "InvalidVpnGatewayID.NotFound");
        // Gone from Describe after an hour.
        let mut later = ctx.clone();
        later.now += TimeDelta::hours(2);
        let left = describe_vpn_gateways(&s, &later, Default::default()).unwrap().vpn_gateways.unwrap();
        assert!(!left.iter().any(|g| g.vpn_gateway_id.as_deref() == Some(vgw.as_str())));
    }

    #[test]
    fn routes_and_propagation_follow_the_attachment() {
        let (mut s, ctx) = setup();
        let vgw = new_vgw(&mut s, &ctx);
        let v = vpc(&mut s, &ctx, "10.0.0.0/16");
        let rtb = route_table(&mut s, &ctx, &v);
        let propagate =
            EnableVgwRoutePropagationRequest { gateway_id: vgw.clone(), route_table_id: rtb.clone(), dry_run: None };
        assert_eq!(
            enable_vgw_route_propagation(&mut s, &ctx, propagate.clone()).unwrap_err().code,
            "Gateway.NotAttached"
        );
        attach_vpn_gateway(
            &mut s,
            &ctx,
            AttachVpnGatewayRequest { vpc_id: v.clone(), vpn_gateway_id: vgw.clone(), dry_run: None },
        )
        .unwrap();
        enable_vgw_route_propagation(&mut s, &ctx, propagate.clone()).unwrap();
        enable_vgw_route_propagation(&mut s, &ctx, propagate).unwrap();
        assert_eq!(s.route_tables[&rtb].propagating_vgws.as_ref().unwrap().len(), 1);
        let route = CreateRouteRequest {
            route_table_id: rtb.clone(),
            destination_cidr_block: Some("192.168.0.0/16".into()),
            gateway_id: Some(vgw.clone()),
            ..Default::default()
        };
        route_tables::create_route(&mut s, &ctx, route).unwrap();
        assert_eq!(routes(&s, &ctx, &rtb).last().unwrap().state.as_deref(), Some("active"));
        detach_vpn_gateway(
            &mut s,
            &ctx,
            DetachVpnGatewayRequest { vpc_id: v, vpn_gateway_id: vgw.clone(), dry_run: None },
        )
        .unwrap();
        assert_eq!(routes(&s, &ctx, &rtb).last().unwrap().state.as_deref(), Some("blackhole"));
        let stop = DisableVgwRoutePropagationRequest { gateway_id: vgw, route_table_id: rtb.clone(), dry_run: None };
        disable_vgw_route_propagation(&mut s, &ctx, stop).unwrap();
        assert!(s.route_tables[&rtb].propagating_vgws.as_ref().unwrap().is_empty());
    }

    #[test]
    fn customer_gateways_are_one_per_address_and_asn() {
        let (mut s, ctx) = setup();
        let input = |ip: &str| CreateCustomerGatewayRequest {
            r#type: "ipsec.1".into(),
            ip_address: Some(ip.into()),
            ..Default::default()
        };
        let a = create_customer_gateway(&mut s, &ctx, input("198.51.100.1")).unwrap().customer_gateway.unwrap();
        assert_eq!((a.bgp_asn.as_deref(), a.state.as_deref()), (Some("65000"), Some("available")));
        let again = create_customer_gateway(&mut s, &ctx, input("198.51.100.1")).unwrap().customer_gateway.unwrap();
        assert_eq!(again.customer_gateway_id, a.customer_gateway_id);
        assert_eq!(create_customer_gateway(&mut s, &ctx, input("nope")).unwrap_err().code, "InvalidParameterValue");
        let id = a.customer_gateway_id.unwrap();
        let delete = DeleteCustomerGatewayRequest { customer_gateway_id: id.clone(), dry_run: None };
        delete_customer_gateway(&mut s, &ctx, delete.clone()).unwrap();
        let shown = describe_customer_gateways(&s, &ctx, Default::default()).unwrap().customer_gateways.unwrap();
        assert_eq!(shown[0].state.as_deref(), Some("deleted"));
        assert_eq!(
            delete_customer_gateway(&mut s, &ctx, delete).unwrap_err().code,
            "InvalidCustomerGatewayID.NotFound"
        );
    }
}
