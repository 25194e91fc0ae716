//! The hops of the walk after a subnet's route table: the VPC itself (`local`), an
//! internet gateway, a NAT gateway, a VPC peering connection, a transit gateway.

use std::net::Ipv4Addr;

use super::network::{self, host};
use super::rules::Packet;
use super::{explain, Back, Step, Walker};
use crate::generated::dto::{
    AnalysisRouteTableRoute, Explanation, PathComponent, Route, TransitGatewayRouteTableRoute,
};
use crate::state::cidr::Ipv4Cidr;
use crate::transit::{common as tgw_common, routes as tgw_routes};
use crate::vpc::nat_gateways;

/// How many route tables one path may pass through (a NAT gateway's subnet routing
/// back to it would loop).
const MAX_HOPS: usize = 6;

pub fn route_dto(r: &Route) -> AnalysisRouteTableRoute {
    AnalysisRouteTableRoute {
        destination_cidr: r.destination_cidr_block.clone(),
        destination_prefix_list_id: r.destination_prefix_list_id.clone(),
        egress_only_internet_gateway_id: r.egress_only_internet_gateway_id.clone(),
        gateway_id: r.gateway_id.clone(),
        instance_id: r.instance_id.clone(),
        nat_gateway_id: r.nat_gateway_id.clone(),
        network_interface_id: r.network_interface_id.clone(),
        origin: r.origin.clone(),
        transit_gateway_id: r.transit_gateway_id.clone(),
        vpc_peering_connection_id: r.vpc_peering_connection_id.clone(),
        state: r.state.clone(),
        carrier_gateway_id: r.carrier_gateway_id.clone(),
        core_network_arn: r.core_network_arn.clone(),
        local_gateway_id: r.local_gateway_id.clone(),
    }
}

fn address(block: Ipv4Cidr) -> String {
    if block.len == 32 {
        Ipv4Addr::from(block.addr).to_string()
    } else {
        block.to_string()
    }
}

impl<'a> Walker<'a> {
    /// Routes the packet from a subnet: the route its table has for the destination,
    /// then the hop that route leads to. `public` is the address the sender has on the
    /// internet; `groups` the sender's security groups.
    pub(super) fn route(
        &mut self,
        subnet: &str,
        vpc: &str,
        packet: Packet,
        public: Option<u32>,
        groups: &[String],
    ) -> Step<()> {
        self.hops += 1;
        if self.hops > MAX_HOPS {
            return Err(self.no_path());
        }
        let table = network::subnet_route_table(self.state, subnet).unwrap_or_default();
        let Some((route, _)) = network::lookup(self.state, &table, packet.dst) else {
            return Err(self.no_route(&table, subnet, vpc));
        };
        if route.state.as_deref() == Some("blackhole") {
            return Err(Box::new(Explanation {
                component: Some(self.comp(&table)),
                route_table: Some(self.comp(&table)),
                route_table_route: Some(route_dto(&route)),
                state: Some("blackhole".into()),
                subnet: Some(self.comp(subnet)),
                vpc: Some(self.comp(vpc)),
                ..explain("BAD_STATE_ROUTE")
            }));
        }
        let mut c = self.at(&table, Some(subnet), Some(vpc));
        c.route_table_route = Some(route_dto(&route));
        self.push(c);
        let target = network::route_target(&route).unwrap_or_default().to_string();
        match target.split('-').next().unwrap_or_default() {
            "local" => self.local(vpc, packet, groups),
            "igw" => self.internet(&target, vpc, packet, public),
            "nat" => self.nat(&target, subnet, packet),
            "pcx" => self.peering(&target, vpc, packet, groups),
            "tgw" => self.transit(&target, subnet, vpc, packet),
            _ if self.dest() == Some(target.as_str()) => {
                let mut c = self.at(&target, None, Some(vpc));
                c.inbound_header = Some(packet.header());
                self.push(c);
                Ok(())
            }
            _ => {
                Err(Box::new(Explanation { component: Some(self.comp(&target)), ..explain("NO_POSSIBLE_DESTINATION") }))
            }
        }
    }

    /// Delivery within the VPC, to the interface that holds the address.
    fn local(&mut self, vpc: &str, packet: Packet, groups: &[String]) -> Step<()> {
        let eni =
            (packet.dst.len == 32).then(|| network::interface_with(self.state, vpc, packet.dst.addr, false)).flatten();
        match eni {
            Some(eni) => self.arrive(eni, packet, true, groups),
            None => Err(self.no_path()),
        }
    }

    fn internet(&mut self, igw: &str, vpc: &str, packet: Packet, public: Option<u32>) -> Step<()> {
        let igw_comp = self.comp(igw);
        let Some(public) = public else {
            return Err(Box::new(Explanation {
                component: Some(igw_comp.clone()),
                internet_gateway: Some(igw_comp),
                address: Some(address(packet.src)),
                vpc: Some(self.comp(vpc)),
                ..explain("IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS")
            }));
        };
        if packet.dst.len == 32 && network::private_space(packet.dst) {
            return Err(Box::new(Explanation {
                component: Some(igw_comp.clone()),
                internet_gateway: Some(igw_comp),
                address: Some(address(packet.dst)),
                ..explain("IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS")
            }));
        }
        if self.dest().is_some_and(|d| d != igw) {
            return Err(Box::new(Explanation {
                component: Some(igw_comp.clone()),
                internet_gateway: Some(igw_comp),
                ..explain("IGW_NAT_REFLECTION")
            }));
        }
        let mut out = packet.clone();
        out.src = host(public);
        let mut c = self.at(igw, None, Some(vpc));
        c.inbound_header = Some(packet.header());
        c.outbound_header = Some(out.header());
        self.push(c);
        Ok(())
    }

    fn nat(&mut self, nat_id: &str, from_subnet: &str, mut packet: Packet) -> Step<()> {
        let nat_comp = self.comp(nat_id);
        let (shown, _) = nat_gateways::state_at(self.state, nat_id, self.ctx.now);
        let Some(nat) = self.state.nat_gateways.get(nat_id).filter(|_| shown == "available") else {
            return Err(Box::new(Explanation {
                component: Some(nat_comp.clone()),
                nat_gateway: Some(nat_comp),
                state: Some(shown),
                ..explain("BAD_STATE")
            }));
        };
        let subnet = nat.subnet_id.clone().unwrap_or_default();
        let vpc = nat.vpc_id.clone().unwrap_or_default();
        let primary = nat.nat_gateway_addresses.iter().flatten().find(|a| a.is_primary != Some(false));
        let private = primary.and_then(|a| a.private_ip.as_deref()).and_then(network::addr);
        let public = primary.and_then(|a| a.public_ip.as_deref()).and_then(network::addr);
        if subnet != from_subnet {
            self.acl(&subnet, false, &mut packet)?;
            self.back.push(Back::Acl { subnet: subnet.clone(), egress: true, packet: packet.reply() });
        }
        let mut c = self.at(nat_id, Some(&subnet), Some(&vpc));
        c.inbound_header = Some(packet.header());
        if self.dest() == Some(nat_id) {
            self.push(c);
            return Ok(());
        }
        let Some(private) = private else { return Err(self.no_path()) };
        let before = packet.clone();
        packet.src = host(private);
        c.outbound_header = Some(packet.header());
        self.push(c);
        // The answer comes back to the gateway, which sends it on to the sender.
        let mut answer = before.reply();
        answer.dst = host(private);
        self.acl(&subnet, true, &mut packet)?;
        self.back.push(Back::Acl { subnet: subnet.clone(), egress: false, packet: answer });
        let public = if nat.connectivity_type.as_deref() == Some("private") { None } else { public };
        self.route(&subnet, &vpc, packet, public, &[])
    }

    fn peering(&mut self, pcx_id: &str, vpc: &str, packet: Packet, groups: &[String]) -> Step<()> {
        let pcx_comp = self.comp(pcx_id);
        let pcx = self.state.vpc_peering_connections.get(pcx_id);
        let code = pcx.and_then(|p| p.status.as_ref()).and_then(|s| s.code.clone()).unwrap_or_default();
        let Some(pcx) = pcx.filter(|_| code == "active") else {
            return Err(Box::new(Explanation {
                component: Some(pcx_comp.clone()),
                vpc_peering_connection: Some(pcx_comp),
                state: Some(code),
                ..explain("BAD_STATE")
            }));
        };
        let ends = [pcx.requester_vpc_info.as_ref(), pcx.accepter_vpc_info.as_ref()];
        let other = ends.into_iter().flatten().find(|i| i.vpc_id.as_deref() != Some(vpc)).cloned().unwrap_or_default();
        let other_vpc = other.vpc_id.clone().unwrap_or_default();
        let mut c = PathComponent {
            component: Some(pcx_comp.clone()),
            source_vpc: Some(self.comp(vpc)),
            destination_vpc: Some(self.comp(&other_vpc)),
            inbound_header: Some(packet.header()),
            ..Default::default()
        };
        if self.dest() == Some(pcx_id) {
            c.outbound_header = None;
            self.push(c);
            return Ok(());
        }
        let here = other.owner_id.as_deref() == Some(self.ctx.account()) && self.state.vpcs.contains_key(&other_vpc);
        if !here {
            return Err(Box::new(Explanation { component: Some(pcx_comp), ..explain("NO_POSSIBLE_DESTINATION") }));
        }
        if !network::in_vpc(self.state, &other_vpc, packet.dst) {
            return Err(Box::new(Explanation {
                component: Some(pcx_comp.clone()),
                vpc_peering_connection: Some(pcx_comp),
                address: Some(address(packet.dst)),
                cidrs: Some(network::vpc_blocks(self.state, &other_vpc)),
                destination_vpc: Some(self.comp(&other_vpc)),
                ..explain("PCX_REQUIRES_ADDRESS_IN_VPC_CIDR")
            }));
        }
        self.push(c);
        let eni = (packet.dst.len == 32)
            .then(|| network::interface_with(self.state, &other_vpc, packet.dst.addr, false))
            .flatten();
        let Some(eni) = eni else { return Err(self.no_path()) };
        let subnet = eni.subnet_id.clone().unwrap_or_default();
        self.back.push(Back::Route { subnet, target: pcx_id.to_string(), packet: packet.reply() });
        self.arrive(eni, packet, true, groups)
    }

    fn transit(&mut self, tgw: &str, subnet: &str, vpc: &str, packet: Packet) -> Step<()> {
        let (state, shared, ctx) = (self.state, self.shared, self.ctx);
        let tgw_comp = self.comp(tgw);
        let Some((attachment, attached)) =
            state.transit.live_vpc_attachments().find(|(a, v)| a.tgw_id == tgw && v.vpc_id == vpc)
        else {
            return Err(self.no_path());
        };
        let att_id = attachment.id.clone();
        let att_comp = self.comp(&att_id);
        if !tgw_common::attachment_up(state, shared, ctx, &att_id) {
            return Err(Box::new(Explanation {
                component: Some(att_comp.clone()),
                transit_gateway_attachment: Some(att_comp),
                transit_gateway: Some(tgw_comp),
                ..explain("BAD_STATE_ATTACHMENT")
            }));
        }
        let zone = state.subnets.get(subnet).and_then(|s| s.subnet.availability_zone.clone()).unwrap_or_default();
        let zones: Vec<String> =
            attached.subnet_ids.iter().filter_map(|s| state.subnets.get(s)?.subnet.availability_zone.clone()).collect();
        if !zones.contains(&zone) {
            return Err(Box::new(Explanation {
                component: Some(tgw_comp.clone()),
                transit_gateway: Some(tgw_comp),
                transit_gateway_attachment: Some(att_comp),
                availability_zones: Some(vec![zone]),
                subnet: Some(self.comp(subnet)),
                ..explain("TGW_ROUTE_AZ_RESTRICTION")
            }));
        }
        let mut enter = self.at(&att_id, None, Some(vpc));
        enter.inbound_header = Some(packet.header());
        enter.transit_gateway = Some(tgw_comp.clone());
        if self.dest() == Some(att_id.as_str()) {
            self.push(enter);
            return Ok(());
        }
        self.push(enter);
        if self.dest() == Some(tgw) {
            self.push(PathComponent { component: Some(tgw_comp), ..Default::default() });
            return Ok(());
        }
        let out = self.tgw_route(tgw, &att_id, packet.dst)?;
        let out_comp = self.comp(&out.1);
        self.push(PathComponent {
            component: Some(tgw_comp.clone()),
            transit_gateway_route_table_route: Some(out.0),
            ..Default::default()
        });
        let out_id = out.1;
        let mut leave =
            PathComponent { component: Some(out_comp), transit_gateway: Some(tgw_comp), ..Default::default() };
        if self.dest() == Some(out_id.as_str()) {
            self.push(leave);
            return Ok(());
        }
        let Some(dest_vpc) = state.transit.attachments.get(&out_id).and_then(|a| a.vpc()).map(|v| v.vpc_id.clone())
        else {
            return Err(Box::new(Explanation {
                component: Some(self.comp(&out_id)),
                ..explain("NO_POSSIBLE_DESTINATION")
            }));
        };
        leave.vpc = Some(self.comp(&dest_vpc));
        leave.outbound_header = Some(packet.header());
        self.push(leave);
        let eni =
            (packet.dst.len == 32).then(|| network::interface_with(state, &dest_vpc, packet.dst.addr, false)).flatten();
        let Some(eni) = eni else { return Err(self.no_path()) };
        let dest_subnet = eni.subnet_id.clone().unwrap_or_default();
        self.back.push(Back::Transit {
            tgw: tgw.to_string(),
            from: out_id.clone(),
            to: att_id,
            packet: packet.reply(),
        });
        self.back.push(Back::Route { subnet: dest_subnet, target: tgw.to_string(), packet: packet.reply() });
        // Security group references do not cross a transit gateway here.
        self.arrive(eni, packet, true, &[])
    }

    /// The transit gateway route that carries `dst` from an attachment: the table the
    /// attachment is associated with, its longest matching route, the attachment it
    /// leads to.
    pub(super) fn tgw_route(
        &self,
        tgw: &str,
        attachment: &str,
        dst: Ipv4Cidr,
    ) -> Step<(TransitGatewayRouteTableRoute, String)> {
        let (state, shared, ctx) = (self.state, self.shared, self.ctx);
        let table = tgw_common::association_of(state, ctx, attachment, tgw).filter(|(_, s)| *s == "associated");
        let Some((table_id, _)) = table else {
            return Err(Box::new(Explanation {
                component: Some(self.comp(attachment)),
                transit_gateway_attachment: Some(self.comp(attachment)),
                transit_gateway: Some(self.comp(tgw)),
                ..explain("TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION")
            }));
        };
        let rec = &state.transit.route_tables[&table_id];
        let best = tgw_routes::routes_of(state, shared, ctx, rec)
            .into_iter()
            .filter_map(|r| {
                let block = r.destination_cidr_block.as_deref().and_then(Ipv4Cidr::parse_loose)?;
                block.contains(&dst).then_some((r, block))
            })
            .max_by_key(|(_, b)| b.len);
        let Some((route, _)) = best else {
            return Err(Box::new(Explanation {
                component: Some(self.comp(&table_id)),
                transit_gateway_route_table: Some(self.comp(&table_id)),
                transit_gateway: Some(self.comp(tgw)),
                ..explain("NO_ROUTE_TO_DESTINATION")
            }));
        };
        let target = route.transit_gateway_attachments.iter().flatten().next();
        let shown = TransitGatewayRouteTableRoute {
            destination_cidr: route.destination_cidr_block.clone(),
            state: route.state.clone(),
            route_origin: route.r#type.clone(),
            prefix_list_id: route.prefix_list_id.clone(),
            attachment_id: target.and_then(|t| t.transit_gateway_attachment_id.clone()),
            resource_id: target.and_then(|t| t.resource_id.clone()),
            resource_type: target.and_then(|t| t.resource_type.clone()),
        };
        match (route.state.as_deref(), shown.attachment_id.clone()) {
            (Some("active"), Some(out)) => Ok((shown, out)),
            _ => Err(Box::new(Explanation {
                component: Some(self.comp(&table_id)),
                transit_gateway_route_table: Some(self.comp(&table_id)),
                transit_gateway_route_table_route: Some(shown),
                ..explain("TGW_RTB_BAD_STATE_ROUTE")
            })),
        }
    }
}
