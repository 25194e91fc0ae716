//! The reachability walk: from a path's source, through the components nimbus's state
//! holds, to its destination, as Reachability Analyzer models a VPC.
//!
//! From an instance or interface: its security groups' egress rules, its subnet's
//! network ACL (outbound; not within one subnet), the subnet's route table (longest
//! prefix: local, internet gateway, NAT gateway, peering connection, transit gateway
//! with its route tables and attachments; blackholes), then the destination subnet's
//! ACL (inbound) and the destination's security groups (ingress; group references and
//! prefix lists). From an internet gateway: inbound to a public address. The return
//! path checks what is stateless (ACLs) and the route back. A blocked path is answered
//! with the first blocking component, in AWS's explanation codes
//! (docs.aws.amazon.com/vpc/latest/reachability/explanation-codes.html).
//! The walk reads one partition: resources of other accounts or Regions end the path
//! (`NO_POSSIBLE_DESTINATION`); IPv6, load balancers, firewalls and VPN are not modeled.

mod hops;
mod network;
pub mod rules;

use nimbus_core::RequestContext;

use crate::generated::dto::{AnalysisComponent, Explanation, NetworkInsightsPath, NetworkInterface, PathComponent};
use crate::state::cidr::Ipv4Cidr;
use crate::state::shared::Shared;
use crate::state::Ec2State;
use network::{addr, host};
use rules::{AclVerdict, FarEnd, Packet, Ports};

/// What an analysis found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub found: bool,
    pub forward: Vec<PathComponent>,
    pub ret: Vec<PathComponent>,
    pub explanations: Vec<Explanation>,
    /// The analysis could not run (`failed`), with AWS's status message.
    pub failure: Option<String>,
}

/// What the return path checks, recorded on the way out and checked in reverse.
enum Back {
    Component(Box<PathComponent>),
    /// A subnet's ACL on the answer (`egress` going out of the subnet).
    Acl {
        subnet: String,
        egress: bool,
        packet: Packet,
    },
    /// The subnet's route table must send the answer to `target`.
    Route {
        subnet: String,
        target: String,
        packet: Packet,
    },
    /// The transit gateway must route the answer from attachment `from` back to `to`.
    Transit {
        tgw: String,
        from: String,
        to: String,
        packet: Packet,
    },
}

type Step<T> = Result<T, Box<Explanation>>;

pub struct Walker<'a> {
    state: &'a Ec2State,
    shared: &'a Shared,
    ctx: &'a RequestContext,
    path: &'a NetworkInsightsPath,
    forward: Vec<PathComponent>,
    back: Vec<Back>,
    hops: usize,
}

fn explain(code: &str) -> Explanation {
    Explanation { explanation_code: Some(code.into()), ..Default::default() }
}

/// Analyzes a path against the partition as it is now. `filter_in` / `filter_out` are
/// the ARNs the path must / must not traverse.
pub fn analyze(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    path: &NetworkInsightsPath,
    filter_in: &[String],
    filter_out: &[String],
) -> Outcome {
    for id in [path.source.as_deref(), path.destination.as_deref()].into_iter().flatten() {
        if !state.exists(id) {
            return Outcome {
                failure: Some(format!("The request failed due to missing component {id}")),
                ..Default::default()
            };
        }
    }
    let mut w = Walker { state, shared, ctx, path, forward: Vec::new(), back: Vec::new(), hops: 0 };
    let source = path.source.clone().unwrap_or_default();
    let walked = if source.starts_with("i-") || source.starts_with("eni-") {
        w.walk_from_interface(&source)
    } else if source.starts_with("igw-") {
        w.walk_from_internet(&source)
    } else {
        return Outcome { failure: Some("The network configuration is not supported".into()), ..Default::default() };
    };
    let ret = walked.and_then(|()| w.return_path());
    let blocked = ret.err().map(|e| *e).or_else(|| w.filter_restriction(filter_in, filter_out));
    match blocked {
        Some(e) => Outcome { found: false, explanations: vec![e], ..Default::default() },
        None => {
            let ret = w.ret_components();
            Outcome { found: true, forward: w.forward, ret, ..Default::default() }
        }
    }
}

impl<'a> Walker<'a> {
    fn comp(&self, id: &str) -> AnalysisComponent {
        network::component(self.state, self.ctx, id)
    }

    fn push(&mut self, mut c: PathComponent) {
        c.sequence_number = Some(self.forward.len() as i32 + 1);
        self.forward.push(c.clone());
        self.back.push(Back::Component(Box::new(c)));
    }

    /// A component with its subnet and VPC.
    fn at(&self, id: &str, subnet: Option<&str>, vpc: Option<&str>) -> PathComponent {
        PathComponent {
            component: Some(self.comp(id)),
            subnet: subnet.map(|s| self.comp(s)),
            vpc: vpc.map(|v| self.comp(v)),
            ..Default::default()
        }
    }

    fn interface(&self, id: &str) -> Option<&'a NetworkInterface> {
        if id.starts_with("i-") {
            network::instance_interface(self.state, id)
        } else {
            self.state.network_interfaces.get(id)
        }
    }

    fn dest(&self) -> Option<&'a str> {
        self.path.destination.as_deref()
    }

    /// The destination interface, when the path ends at an instance or interface.
    fn dest_interface(&self) -> Option<&'a NetworkInterface> {
        self.dest().filter(|d| d.starts_with("i-") || d.starts_with("eni-")).and_then(|d| self.interface(d))
    }

    /// The destination address the path names, if any.
    fn named_destination_address(&self) -> Option<u32> {
        let p = self.path;
        p.destination_ip
            .as_deref()
            .or(p.filter_at_source.as_ref().and_then(|f| f.destination_address.as_deref()))
            .or(p.filter_at_destination.as_ref().and_then(|f| f.destination_address.as_deref()))
            .and_then(addr)
    }

    fn named_source_address(&self) -> Option<u32> {
        let p = self.path;
        p.source_ip.as_deref().or(p.filter_at_source.as_ref().and_then(|f| f.source_address.as_deref())).and_then(addr)
    }

    fn packet(&self, src: Ipv4Cidr, dst: Ipv4Cidr) -> Packet {
        let p = self.path;
        let range = |r: Option<&crate::generated::dto::FilterPortRange>| {
            r.map(|r| Ports::range(r.from_port.unwrap_or(0), r.to_port.unwrap_or(65535))).unwrap_or_else(Ports::all)
        };
        let at_source = p.filter_at_source.as_ref();
        let dst_ports = match p.destination_port {
            Some(port) => Ports::range(port, port),
            None => range(at_source.and_then(|f| f.destination_port_range.as_ref())),
        };
        Packet {
            src,
            dst,
            protocol: if p.protocol.as_deref() == Some("udp") { 17 } else { 6 },
            src_ports: range(at_source.and_then(|f| f.source_port_range.as_ref())),
            dst_ports,
        }
    }

    /// Judges the packet against a subnet's ACL in one direction; on the way it is
    /// narrowed to what passes and the ACL becomes a component of the path.
    fn acl(&mut self, subnet: &str, egress: bool, packet: &mut Packet) -> Step<()> {
        let Some(acl) = network::subnet_acl(self.state, subnet) else { return Ok(()) };
        let acl_id = acl.network_acl_id.clone().unwrap_or_default();
        let vpc = acl.vpc_id.clone();
        let far = if egress { packet.dst } else { packet.src };
        match rules::network_acl(
            acl.entries.as_deref().unwrap_or_default(),
            egress,
            packet.protocol,
            &packet.dst_ports,
            far,
        ) {
            AclVerdict::Allow { ports, peer, rule } => {
                packet.dst_ports = ports;
                if egress {
                    packet.dst = peer;
                } else {
                    packet.src = peer;
                }
                let mut c = self.at(&acl_id, Some(subnet), vpc.as_deref());
                c.acl_rule = Some(rule);
                self.push(c);
                Ok(())
            }
            AclVerdict::Deny(rule) => Err(Box::new(Explanation {
                acl: Some(self.comp(&acl_id)),
                acl_rule: Some(rule),
                component: Some(self.comp(&acl_id)),
                direction: Some(if egress { "egress" } else { "ingress" }.into()),
                subnet: Some(self.comp(subnet)),
                vpc: vpc.as_deref().map(|v| self.comp(v)),
                ..explain("SUBNET_ACL_RESTRICTION")
            })),
        }
    }

    /// Judges the packet against an interface's security groups in one direction.
    fn security_groups(
        &mut self,
        eni: &NetworkInterface,
        egress: bool,
        packet: &mut Packet,
        far_groups: &[String],
    ) -> Step<()> {
        let ids = network::groups(eni);
        let state = self.state;
        let groups = network::group_rules(state, &ids);
        let far = FarEnd { addresses: if egress { packet.dst } else { packet.src }, groups: far_groups };
        let pass =
            rules::security_groups(groups.iter().copied(), egress, packet.protocol, &packet.dst_ports, &far, |pl| {
                network::prefix_list_blocks(state, pl)
            });
        let eni_id = eni.network_interface_id.clone().unwrap_or_default();
        let Some(pass) = pass else {
            let none = groups.iter().all(|(_, rules)| rules.iter().all(|r| r.egress != egress));
            let first = ids.first().cloned().unwrap_or_default();
            return Err(Box::new(Explanation {
                component: Some(self.comp(&first)),
                direction: Some(if egress { "egress" } else { "ingress" }.into()),
                network_interface: Some(self.comp(&eni_id)),
                security_groups: Some(ids.iter().map(|g| self.comp(g)).collect()),
                subnet: eni.subnet_id.as_deref().map(|s| self.comp(s)),
                vpc: eni.vpc_id.as_deref().map(|v| self.comp(v)),
                ..explain(if none { "SG_HAS_NO_RULES" } else { "ENI_SG_RULES_MISMATCH" })
            }));
        };
        packet.dst_ports = pass.ports;
        if egress {
            packet.dst = pass.peer;
        } else {
            packet.src = pass.peer;
        }
        let group = pass.rule.security_group_id.clone().unwrap_or_default();
        let mut c = self.at(&group, None, eni.vpc_id.as_deref());
        c.security_group_rule = Some(pass.rule);
        self.forward.push(PathComponent { sequence_number: Some(self.forward.len() as i32 + 1), ..c });
        Ok(())
    }

    /// The source instance (if any) and interface, as the path's first components.
    fn push_endpoint(&mut self, eni: &NetworkInterface, header: Option<&Packet>, inbound: bool) {
        let (subnet, vpc) = (eni.subnet_id.as_deref(), eni.vpc_id.as_deref());
        let eni_id = eni.network_interface_id.clone().unwrap_or_default();
        let instance = network::attached_instance(eni);
        let mut iface = self.at(&eni_id, subnet, vpc);
        iface.attached_to = instance.as_deref().map(|i| self.comp(i));
        let mut parts = vec![iface];
        if let Some(i) = &instance {
            parts.push(self.at(i, subnet, vpc));
        }
        if !inbound {
            parts.reverse();
        }
        for part in parts.iter_mut() {
            let header = header.map(Packet::header);
            if inbound {
                part.inbound_header = header;
            } else {
                part.outbound_header = header;
            }
        }
        for c in parts {
            self.push(c);
        }
    }

    /// Whether the interface is the one the path ends at.
    fn is_destination(&self, eni: &NetworkInterface) -> bool {
        match self.dest() {
            None => true,
            Some(d) if d.starts_with("i-") => network::attached_instance(eni).as_deref() == Some(d),
            Some(d) => eni.network_interface_id.as_deref() == Some(d),
        }
    }

    fn no_path(&self) -> Box<Explanation> {
        Box::new(Explanation {
            component: self.dest().or(self.path.source.as_deref()).map(|d| self.comp(d)),
            ..explain("NO_PATH")
        })
    }

    /// Arrives at the interface that holds the destination address: the filters at the
    /// destination, its subnet's ACL (when the packet comes from another subnet), its
    /// security groups. `far_groups` are the sender's groups when they travel with it.
    fn arrive(
        &mut self,
        eni: &'a NetworkInterface,
        mut packet: Packet,
        crossed: bool,
        far_groups: &[String],
    ) -> Step<()> {
        if !self.is_destination(eni) {
            return Err(self.no_path());
        }
        if let Some(f) = &self.path.filter_at_destination {
            if let Some(r) = &f.destination_port_range {
                let ports =
                    packet.dst_ports.intersect(&Ports::range(r.from_port.unwrap_or(0), r.to_port.unwrap_or(65535)));
                if ports.is_empty() {
                    return Err(Box::new(explain("FILTER_AT_DESTINATION_DESTINATION_PORT_RANGE")));
                }
                packet.dst_ports = ports;
            }
            if let Some(s) = f.source_address.as_deref().and_then(addr) {
                match rules::meet(packet.src, host(s)) {
                    Some(b) => packet.src = b,
                    None => return Err(Box::new(explain("FILTER_AT_DESTINATION_SOURCE_ADDRESS"))),
                }
            }
        }
        let subnet = eni.subnet_id.clone().unwrap_or_default();
        if crossed {
            self.acl(&subnet, false, &mut packet)?;
            self.back.push(Back::Acl { subnet: subnet.clone(), egress: true, packet: packet.reply() });
        }
        self.security_groups(eni, false, &mut packet, far_groups)?;
        self.push_endpoint(eni, Some(&packet), true);
        Ok(())
    }

    fn walk_from_interface(&mut self, source: &str) -> Step<()> {
        let Some(eni) = self.interface(source) else { return Err(self.no_path()) };
        let subnet = eni.subnet_id.clone().unwrap_or_default();
        let vpc = eni.vpc_id.clone().unwrap_or_default();
        let src = self.named_source_address().or(network::private_ip(eni)).map(host).ok_or_else(|| self.no_path())?;
        let dest_eni = self.dest_interface();
        let dst = match (self.named_destination_address(), dest_eni) {
            (Some(a), _) => host(a),
            (None, Some(d)) => network::private_ip(d).map(host).ok_or_else(|| self.no_path())?,
            (None, None) => {
                // A gateway as the destination: the packets its route carries.
                let target = self.dest().unwrap_or_default();
                let target = self.route_target_of(target);
                let table = network::subnet_route_table(self.state, &subnet).unwrap_or_default();
                match network::route_to(self.state, &table, &target) {
                    Some((_, block)) => block,
                    // The internet beyond another hop (a NAT gateway): any address.
                    None if target.starts_with("igw-") => Ipv4Cidr { addr: 0, len: 0 },
                    None => return Err(self.no_route(&table, &subnet, &vpc)),
                }
            }
        };
        let mut packet = self.packet(src, dst);
        self.push_endpoint(eni, Some(&packet), false);
        let far_groups = dest_eni.map(network::groups).unwrap_or_default();
        self.security_groups(eni, true, &mut packet, &far_groups)?;
        let same_subnet = dest_eni.is_some_and(|d| d.subnet_id.as_deref() == Some(subnet.as_str()))
            && self.named_destination_address().is_none_or(|a| dest_eni.and_then(network::private_ip) == Some(a));
        if let (true, Some(d)) = (same_subnet, dest_eni) {
            return self.arrive(d, packet, false, &network::groups(eni));
        }
        self.acl(&subnet, true, &mut packet)?;
        self.back.push(Back::Acl { subnet: subnet.clone(), egress: false, packet: packet.reply() });
        let public = network::public_ip(self.state, eni.network_interface_id.as_deref().unwrap_or_default());
        self.route(&subnet, &vpc, packet, public, &network::groups(eni))
    }

    /// The gateway whose routes lead to a destination gateway (a transit gateway
    /// attachment is reached through its gateway).
    fn route_target_of(&self, dest: &str) -> String {
        if dest.starts_with("tgw-attach-") {
            if let Some(a) = self.state.transit.attachments.get(dest) {
                return a.tgw_id.clone();
            }
        }
        dest.to_string()
    }

    fn no_route(&self, table: &str, subnet: &str, vpc: &str) -> Box<Explanation> {
        Box::new(Explanation {
            component: Some(self.comp(table)),
            route_table: Some(self.comp(table)),
            subnet: Some(self.comp(subnet)),
            vpc: Some(self.comp(vpc)),
            ..explain("NO_ROUTE_TO_DESTINATION")
        })
    }

    fn walk_from_internet(&mut self, igw_id: &str) -> Step<()> {
        let igw_comp = self.comp(igw_id);
        let igw = self.state.internet_gateways.get(igw_id).ok_or_else(|| self.no_path())?;
        let Some(vpc) = crate::vpc::internet_gateways::attached_vpc(igw).map(str::to_string) else {
            return Err(Box::new(Explanation {
                component: Some(igw_comp.clone()),
                internet_gateway: Some(igw_comp),
                state: Some("detached".into()),
                ..explain("BAD_STATE")
            }));
        };
        let src = self.named_source_address().map(host).unwrap_or(Ipv4Cidr { addr: 0, len: 0 });
        if src.len == 32 && network::private_space(src) {
            return Err(Box::new(Explanation {
                component: Some(igw_comp.clone()),
                internet_gateway: Some(igw_comp),
                address: Some(std::net::Ipv4Addr::from(src.addr).to_string()),
                ..explain("IGW_SOURCE_ADDRESS_NOT_IN_RFC1918_INGRESS")
            }));
        }
        let dest_eni = self.dest_interface();
        let public = self.named_destination_address().or_else(|| {
            dest_eni.and_then(|d| network::public_ip(self.state, d.network_interface_id.as_deref().unwrap_or_default()))
        });
        let target = public.and_then(|a| network::interface_with(self.state, &vpc, a, true));
        let (Some(public), Some(eni)) = (public, target) else {
            let address =
                public.or(dest_eni.and_then(network::private_ip)).map(|a| std::net::Ipv4Addr::from(a).to_string());
            return Err(Box::new(Explanation {
                component: Some(igw_comp.clone()),
                internet_gateway: Some(igw_comp),
                address,
                ..explain("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS")
            }));
        };
        let inbound = self.packet(src, host(public));
        let mut packet = inbound.clone();
        packet.dst = network::private_ip(eni).map(host).unwrap_or(packet.dst);
        let mut c = self.at(igw_id, None, Some(&vpc));
        c.inbound_header = Some(inbound.header());
        c.outbound_header = Some(packet.header());
        self.push(c);
        let subnet = eni.subnet_id.clone().unwrap_or_default();
        self.back.push(Back::Route { subnet, target: igw_id.to_string(), packet: packet.reply() });
        self.arrive(eni, packet, true, &[])
    }

    /// The components of the return path, after checking what is stateless on it.
    fn return_path(&mut self) -> Step<()> {
        let back = std::mem::take(&mut self.back);
        let mut ret = Vec::new();
        for step in back.into_iter().rev() {
            match step {
                Back::Component(c) => ret.push(*c),
                Back::Acl { subnet, egress, mut packet } => {
                    let before = self.forward.len();
                    self.acl(&subnet, egress, &mut packet)?;
                    if self.forward.len() > before {
                        ret.extend(self.forward.pop());
                    }
                }
                Back::Route { subnet, target, packet } => {
                    let table = network::subnet_route_table(self.state, &subnet).unwrap_or_default();
                    let vpc = self.state.subnets.get(&subnet).and_then(|s| s.subnet.vpc_id.clone()).unwrap_or_default();
                    match network::lookup(self.state, &table, packet.dst) {
                        Some((r, _))
                            if network::route_target(&r) == Some(target.as_str())
                                && r.state.as_deref() != Some("blackhole") =>
                        {
                            let mut c = self.at(&table, Some(&subnet), Some(&vpc));
                            c.route_table_route = Some(hops::route_dto(&r));
                            ret.push(c);
                        }
                        _ => return Err(self.no_route(&table, &subnet, &vpc)),
                    }
                }
                Back::Transit { tgw, from, to, packet } => {
                    let (route, target) = self.tgw_route(&tgw, &from, packet.dst)?;
                    if target != to {
                        return Err(Box::new(Explanation {
                            component: Some(self.comp(&tgw)),
                            transit_gateway: Some(self.comp(&tgw)),
                            transit_gateway_attachment: Some(self.comp(&to)),
                            transit_gateway_route_table_route: Some(route),
                            ..explain("TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT")
                        }));
                    }
                    ret.push(PathComponent {
                        component: Some(self.comp(&tgw)),
                        transit_gateway_route_table_route: Some(route),
                        ..Default::default()
                    });
                }
            }
        }
        for (i, c) in ret.iter_mut().enumerate() {
            c.sequence_number = Some(i as i32 + 1);
        }
        self.back = ret.into_iter().map(|c| Back::Component(Box::new(c))).collect();
        Ok(())
    }

    fn ret_components(&mut self) -> Vec<PathComponent> {
        std::mem::take(&mut self.back)
            .into_iter()
            .filter_map(|b| match b {
                Back::Component(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// `COMPONENT_FILTER_RESTRICTION` when the path found misses a component it must
    /// traverse or traverses one it must not.
    fn filter_restriction(&self, filter_in: &[String], filter_out: &[String]) -> Option<Explanation> {
        let traversed: Vec<&str> =
            self.forward.iter().filter_map(|c| c.component.as_ref().and_then(|c| c.id.as_deref())).collect();
        let id = |arn: &String| crate::insights::paths::id_of(arn).to_string();
        let missing = filter_in.iter().map(id).find(|i| !traversed.contains(&i.as_str()));
        let excluded = filter_out.iter().map(id).find(|i| traversed.contains(&i.as_str()));
        missing
            .or(excluded)
            .map(|i| Explanation { component: Some(self.comp(&i)), ..explain("COMPONENT_FILTER_RESTRICTION") })
    }
}
