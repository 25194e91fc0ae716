//! Converging namespaces, links, routes and nftables to a [`Desired`] state. What was
//! applied is remembered, so a converge only changes what differs.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use crate::cmd;
use crate::desired::{Desired, Instance, NatGateway, RouteTarget, Vpc};
use crate::error::Result;
use crate::names::Names;
use crate::net::links::{self, Link, LinkAlloc};
use crate::net::rules::{self, PublicMapping, SubnetPort, IMDS_ADDR};
use crate::net::{ns, INTERNET_HOST};

const IGW_IF: &str = "igw";

#[derive(Debug)]
struct Bridge {
    name: String,
    cidr: crate::desired::Cidr,
}

/// What exists of one VPC's router.
#[derive(Debug)]
struct RouterState {
    ns: String,
    bridges: BTreeMap<String, Bridge>,
    next_bridge: u32,
    next_port: u32,
    tables: BTreeMap<String, u32>,
    next_table: u32,
    routes: BTreeMap<u32, BTreeMap<String, String>>,
    rules: BTreeSet<(u32, String, u32)>,
    igw: Option<(String, Link)>,
    nft: String,
}

/// An interface on a subnet bridge: an instance's ENI or a NAT gateway.
#[derive(Debug)]
struct Port {
    ns: String,
    vpc: String,
    subnet: String,
    ip: Ipv4Addr,
    /// Secondary private addresses on eth0.
    secondary: BTreeSet<Ipv4Addr>,
    nft: String,
}

#[derive(Debug)]
struct PeerState {
    a_vpc: String,
    b_vpc: String,
    link: Link,
}

/// The network part of the runtime.
#[derive(Debug)]
pub struct Network {
    names: Names,
    internet: bool,
    internet_routes: BTreeMap<Ipv4Addr, String>,
    routers: BTreeMap<String, RouterState>,
    ports: BTreeMap<String, Port>,
    peerings: BTreeMap<String, PeerState>,
    alloc: LinkAlloc,
}

impl Network {
    pub fn new(names: Names) -> Network {
        Network {
            names,
            internet: false,
            internet_routes: BTreeMap::new(),
            routers: BTreeMap::new(),
            ports: BTreeMap::new(),
            peerings: BTreeMap::new(),
            alloc: LinkAlloc::default(),
        }
    }

    /// The namespace of an instance, NAT gateway or VPC router.
    pub fn namespace_of(&self, id: &str) -> Option<&str> {
        self.ports.get(id).map(|p| p.ns.as_str()).or_else(|| self.routers.get(id).map(|r| r.ns.as_str()))
    }

    /// Routers that exist, as (VPC id, namespace).
    pub fn routers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.routers.iter().map(|(id, r)| (id.as_str(), r.ns.as_str()))
    }

    pub fn internet_ns(&self) -> String {
        self.names.internet_netns()
    }

    /// Brings namespaces, links, routes and rules to `desired`.
    pub fn converge(&mut self, desired: &Desired) -> Result<()> {
        self.ensure_internet()?;
        let vpcs: BTreeMap<&str, &Vpc> = desired.vpcs.iter().map(|v| (v.id.as_str(), v)).collect();

        // Removals first: ports, peerings, then routers (and their links with them).
        let wanted_ports: BTreeSet<&str> = desired
            .instances
            .iter()
            .filter(|i| vpcs.contains_key(i.vpc.as_str()))
            .map(|i| i.id.as_str())
            .chain(desired.nat_gateways.iter().map(|n| n.id.as_str()))
            .collect();
        let gone: Vec<String> = self.ports.keys().filter(|k| !wanted_ports.contains(k.as_str())).cloned().collect();
        for id in gone {
            if let Some(port) = self.ports.remove(&id) {
                ns::delete(&port.ns)?;
            }
        }
        let wanted_peerings: BTreeSet<&str> = desired
            .peerings
            .iter()
            .filter(|p| vpcs.contains_key(p.requester_vpc.as_str()) && vpcs.contains_key(p.accepter_vpc.as_str()))
            .map(|p| p.id.as_str())
            .collect();
        let gone: Vec<String> =
            self.peerings.keys().filter(|k| !wanted_peerings.contains(k.as_str())).cloned().collect();
        for id in gone {
            if let Some(p) = self.peerings.remove(&id) {
                links::delete(&p.link);
                self.alloc.release(p.link.index);
            }
        }
        let gone: Vec<String> = self.routers.keys().filter(|k| !vpcs.contains_key(k.as_str())).cloned().collect();
        for id in gone {
            if let Some(r) = self.routers.remove(&id) {
                if let Some((_, link)) = r.igw {
                    self.alloc.release(link.index);
                }
                ns::delete(&r.ns)?;
            }
        }

        for vpc in &desired.vpcs {
            self.converge_router(vpc)?;
        }
        for p in &desired.peerings {
            if wanted_peerings.contains(p.id.as_str()) && !self.peerings.contains_key(&p.id) {
                let index = self.alloc.take()?;
                let a_ns = self.names.netns(&p.requester_vpc);
                let b_ns = self.names.netns(&p.accepter_vpc);
                let ifname = format!("p{index}");
                let link = links::create(index, &a_ns, &ifname, &b_ns, &ifname)?;
                self.peerings.insert(
                    p.id.clone(),
                    PeerState { a_vpc: p.requester_vpc.clone(), b_vpc: p.accepter_vpc.clone(), link },
                );
            }
        }
        for nat in &desired.nat_gateways {
            if vpcs.contains_key(nat.vpc.as_str()) {
                self.converge_nat(nat)?;
            }
        }
        for inst in &desired.instances {
            if vpcs.contains_key(inst.vpc.as_str()) {
                self.converge_port(&inst.id, &inst.vpc, &inst.subnet, inst.private_ip, Some(&inst.mac))?;
                self.converge_secondary_ips(&inst.id, &inst.vpc, &inst.subnet, &inst.secondary_ips)?;
            }
        }
        for vpc in &desired.vpcs {
            self.converge_routes(vpc, desired)?;
            self.converge_router_rules(vpc, desired)?;
        }
        self.converge_internet_routes(desired)?;
        self.converge_security_groups(desired)
    }

    fn ensure_internet(&mut self) -> Result<()> {
        if self.internet {
            return Ok(());
        }
        let inet = self.names.internet_netns();
        ns::create(&inet)?;
        cmd::ip_in(&inet, &["addr", "replace", &format!("{INTERNET_HOST}/32"), "dev", "lo"])?;
        ns::sysctls(&inet, &[("net/ipv4/ip_forward", "1")])?;
        self.internet = true;
        Ok(())
    }

    fn converge_router(&mut self, vpc: &Vpc) -> Result<()> {
        if !self.routers.contains_key(&vpc.id) {
            let name = self.names.netns(&vpc.id);
            ns::create(&name)?;
            ns::sysctls(
                &name,
                &[
                    ("net/ipv4/ip_forward", "1"),
                    ("net/bridge/bridge-nf-call-iptables", "0"),
                    ("net/bridge/bridge-nf-call-arptables", "0"),
                    ("net/bridge/bridge-nf-call-ip6tables", "0"),
                ],
            )?;
            cmd::ip_in(&name, &["addr", "replace", &format!("{IMDS_ADDR}/32"), "dev", "lo"])?;
            // Destinations inside the VPC (the bridges' connected routes) win over any
            // subnet's route table, as the `local` route does at AWS.
            cmd::ip_in(&name, &["rule", "add", "pref", "50", "lookup", "main", "suppress_prefixlength", "0"])?;
            self.routers.insert(
                vpc.id.clone(),
                RouterState {
                    ns: name,
                    bridges: BTreeMap::new(),
                    next_bridge: 0,
                    next_port: 0,
                    tables: BTreeMap::new(),
                    next_table: 100,
                    routes: BTreeMap::new(),
                    rules: BTreeSet::new(),
                    igw: None,
                    nft: String::new(),
                },
            );
        }
        let inet = self.names.internet_netns();
        let router = self.routers.get_mut(&vpc.id).expect("made above");
        let wanted: BTreeSet<&str> = vpc.subnets.iter().map(|s| s.id.as_str()).collect();
        let gone: Vec<String> = router.bridges.keys().filter(|k| !wanted.contains(k.as_str())).cloned().collect();
        for id in gone {
            if let Some(b) = router.bridges.remove(&id) {
                cmd::ip_in(&router.ns, &["link", "del", &b.name])?;
            }
        }
        for subnet in &vpc.subnets {
            if router.bridges.contains_key(&subnet.id) {
                continue;
            }
            let name = format!("br{}", router.next_bridge);
            router.next_bridge += 1;
            cmd::ip_in(&router.ns, &["link", "add", &name, "type", "bridge"])?;
            let gw = format!("{}/{}", subnet.cidr.gateway(), subnet.cidr.len);
            cmd::ip_in(&router.ns, &["addr", "add", &gw, "dev", &name])?;
            cmd::ip_in(&router.ns, &["link", "set", &name, "up"])?;
            router.bridges.insert(subnet.id.clone(), Bridge { name, cidr: subnet.cidr });
        }
        match (&vpc.internet_gateway, &router.igw) {
            (Some(want), Some((have, _))) if want == have => {}
            (want, have) => {
                if let Some((_, link)) = have {
                    links::delete(link);
                    self.alloc.release(link.index);
                }
                router.igw = None;
                if let Some(igw) = want {
                    let index = self.alloc.take()?;
                    let link = links::create(index, &router.ns, IGW_IF, &inet, &format!("x{index}"))?;
                    router.igw = Some((igw.clone(), link));
                }
            }
        }
        Ok(())
    }

    fn converge_nat(&mut self, nat: &NatGateway) -> Result<()> {
        let fresh = !self.ports.contains_key(&nat.id);
        self.converge_port(&nat.id, &nat.vpc, &nat.subnet, nat.private_ip, None)?;
        if fresh {
            let port = &self.ports[&nat.id];
            ns::sysctls(&port.ns, &[("net/ipv4/ip_forward", "1")])?;
            cmd::nft_in(&port.ns, &rules::nat_gateway(nat.private_ip))?;
        }
        Ok(())
    }

    /// An interface on a subnet's bridge with its own namespace.
    fn converge_port(&mut self, id: &str, vpc: &str, subnet: &str, ip: Ipv4Addr, mac: Option<&str>) -> Result<()> {
        if let Some(p) = self.ports.get(id) {
            if p.subnet == subnet && p.ip == ip && p.vpc == vpc {
                return Ok(());
            }
            let old = self.ports.remove(id).expect("present");
            ns::delete(&old.ns)?;
        }
        let Some(router) = self.routers.get_mut(vpc) else { return Ok(()) };
        let Some(bridge) = router.bridges.get(subnet) else { return Ok(()) };
        let bridge = bridge.name.clone();
        let name = self.names.netns(id);
        ns::create(&name)?;
        let router_if = format!("e{}", router.next_port);
        router.next_port += 1;
        cmd::ip_in(&router.ns, &["link", "add", &router_if, "type", "veth", "peer", "name", "eth0", "netns", &name])?;
        cmd::ip_in(&router.ns, &["link", "set", &router_if, "master", &bridge, "up"])?;
        if let Some(mac) = mac {
            cmd::ip_in(&name, &["link", "set", "eth0", "address", mac])?;
        }
        let subnet_cidr = self.subnet_cidr(vpc, subnet);
        let len = subnet_cidr.map(|c| c.len).unwrap_or(24);
        let gw = subnet_cidr.map(|c| c.gateway()).unwrap_or(ip);
        cmd::ip_in(&name, &["addr", "add", &format!("{ip}/{len}"), "dev", "eth0"])?;
        cmd::ip_in(&name, &["link", "set", "eth0", "up"])?;
        cmd::ip_in(&name, &["route", "add", "default", "via", &gw.to_string()])?;
        self.ports.insert(
            id.to_string(),
            Port {
                ns: name,
                vpc: vpc.to_string(),
                subnet: subnet.to_string(),
                ip,
                secondary: BTreeSet::new(),
                nft: String::new(),
            },
        );
        Ok(())
    }

    /// Secondary private addresses: added to and removed from eth0 as assigned (only
    /// addresses inside the subnet, as EC2 assigns them).
    fn converge_secondary_ips(&mut self, id: &str, vpc: &str, subnet: &str, ips: &[Ipv4Addr]) -> Result<()> {
        let Some(cidr) = self.subnet_cidr(vpc, subnet) else { return Ok(()) };
        let Some(port) = self.ports.get_mut(id) else { return Ok(()) };
        let want: BTreeSet<Ipv4Addr> = ips.iter().copied().filter(|ip| cidr.contains(*ip) && *ip != port.ip).collect();
        for ip in port.secondary.difference(&want).copied().collect::<Vec<_>>() {
            cmd::ip_in(&port.ns, &["addr", "del", &format!("{ip}/{}", cidr.len), "dev", "eth0"])?;
            port.secondary.remove(&ip);
        }
        for ip in want.difference(&port.secondary.clone()) {
            cmd::ip_in(&port.ns, &["addr", "add", &format!("{ip}/{}", cidr.len), "dev", "eth0"])?;
            port.secondary.insert(*ip);
        }
        Ok(())
    }

    fn subnet_cidr(&self, vpc: &str, subnet: &str) -> Option<crate::desired::Cidr> {
        Some(self.routers.get(vpc)?.bridges.get(subnet)?.cidr)
    }

    fn converge_routes(&mut self, vpc: &Vpc, desired: &Desired) -> Result<()> {
        let router = self.routers.get_mut(&vpc.id).expect("converged");
        let mut batch = String::new();
        // Route tables in use -> kernel table numbers.
        for rt in &vpc.route_tables {
            if !router.tables.contains_key(&rt.id) {
                router.tables.insert(rt.id.clone(), router.next_table);
                router.next_table += 1;
            }
        }
        for rt in &vpc.route_tables {
            let table = router.tables[&rt.id];
            let mut want: BTreeMap<String, String> = BTreeMap::new();
            for route in &rt.routes {
                let dest = route.destination.to_string();
                let spec = match &route.target {
                    RouteTarget::InternetGateway(id) => match &router.igw {
                        Some((igw, link)) if igw == id => format!("via {} dev {IGW_IF} onlink", link.b.2),
                        _ => "blackhole".into(),
                    },
                    RouteTarget::NatGateway(id) => {
                        let nat = desired.nat_gateways.iter().find(|n| &n.id == id && n.vpc == vpc.id);
                        match nat.and_then(|n| router.bridges.get(&n.subnet).map(|b| (n.private_ip, b))) {
                            Some((ip, b)) => format!("via {ip} dev {} onlink", b.name),
                            None => "blackhole".into(),
                        }
                    }
                    RouteTarget::Instance(id) => {
                        let inst = desired.instances.iter().find(|i| &i.id == id && i.vpc == vpc.id);
                        match inst.and_then(|i| router.bridges.get(&i.subnet).map(|b| (i.private_ip, b))) {
                            Some((ip, b)) => format!("via {ip} dev {} onlink", b.name),
                            None => "blackhole".into(),
                        }
                    }
                    RouteTarget::Peering(id) => match self.peerings.get(id) {
                        Some(p) if p.a_vpc == vpc.id => format!("via {} dev {} onlink", p.link.b.2, p.link.a.1),
                        Some(p) if p.b_vpc == vpc.id => format!("via {} dev {} onlink", p.link.a.2, p.link.b.1),
                        _ => "blackhole".into(),
                    },
                    RouteTarget::Blackhole => "blackhole".into(),
                };
                want.insert(dest, spec);
            }
            let have = router.routes.entry(table).or_default();
            for dest in have.keys() {
                if !want.contains_key(dest) {
                    batch.push_str(&format!("route del {dest} table {table}\n"));
                }
            }
            for (dest, spec) in &want {
                if have.get(dest) != Some(spec) {
                    if spec == "blackhole" {
                        batch.push_str(&format!("route replace blackhole {dest} table {table}\n"));
                    } else {
                        batch.push_str(&format!("route replace {dest} {spec} table {table}\n"));
                    }
                }
            }
            *have = want;
        }
        // One rule per subnet: traffic entering from its bridge uses its route table.
        let mut rules_want = BTreeSet::new();
        for (i, subnet) in vpc.subnets.iter().enumerate() {
            if let (Some(b), Some(t)) = (router.bridges.get(&subnet.id), router.tables.get(&subnet.route_table)) {
                rules_want.insert((1000 + i as u32, b.name.clone(), *t));
            }
        }
        for r in router.rules.difference(&rules_want) {
            batch.push_str(&format!("rule del pref {} iif {} lookup {}\n", r.0, r.1, r.2));
        }
        for r in rules_want.difference(&router.rules) {
            batch.push_str(&format!("rule add pref {} iif {} lookup {}\n", r.0, r.1, r.2));
        }
        router.rules = rules_want;
        cmd::ip_batch(&router.ns, &batch)?;
        Ok(())
    }

    fn converge_router_rules(&mut self, vpc: &Vpc, desired: &Desired) -> Result<()> {
        let router = self.routers.get_mut(&vpc.id).expect("converged");
        let acls: BTreeMap<&str, &crate::desired::NetworkAcl> =
            vpc.network_acls.iter().map(|a| (a.id.as_str(), a)).collect();
        let ports: Vec<SubnetPort> = vpc
            .subnets
            .iter()
            .filter_map(|s| {
                let bridge = router.bridges.get(&s.id)?;
                Some(SubnetPort { bridge: &bridge.name, acl: acls.get(s.network_acl.as_str()).copied() })
            })
            .collect();
        let public: Vec<PublicMapping> =
            public_mappings(desired).into_iter().filter(|(vpc_id, _)| *vpc_id == vpc.id).map(|(_, m)| m).collect();
        let text = rules::router(&ports, &public, router.igw.as_ref().map(|_| IGW_IF));
        if text != router.nft {
            cmd::nft_in(&router.ns, &text)?;
            router.nft = text;
        }
        Ok(())
    }

    fn converge_internet_routes(&mut self, desired: &Desired) -> Result<()> {
        let inet = self.names.internet_netns();
        let mut want: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
        for (vpc, m) in public_mappings(desired) {
            if let Some((_, link)) = self.routers.get(vpc).and_then(|r| r.igw.as_ref()) {
                want.insert(m.public, format!("via {} dev {} src {INTERNET_HOST}", link.a.2, link.b.1));
            }
        }
        let mut batch = String::new();
        for ip in self.internet_routes.keys() {
            if !want.contains_key(ip) {
                batch.push_str(&format!("route del {ip}/32\n"));
            }
        }
        for (ip, spec) in &want {
            if self.internet_routes.get(ip) != Some(spec) {
                batch.push_str(&format!("route replace {ip}/32 {spec}\n"));
            }
        }
        // A route whose link went with a router is already gone: deleting it again fails.
        let result = cmd::ip_batch(&inet, &batch);
        self.internet_routes = want;
        match result {
            Err(e) if batch.lines().all(|l| l.starts_with("route del")) => {
                tracing::debug!(error = %e, "internet routes already gone");
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    fn converge_security_groups(&mut self, desired: &Desired) -> Result<()> {
        let groups: BTreeMap<&str, &crate::desired::SecurityGroup> =
            desired.vpcs.iter().flat_map(|v| v.security_groups.iter()).map(|g| (g.id.as_str(), g)).collect();
        let mut members: BTreeMap<String, Vec<Ipv4Addr>> = BTreeMap::new();
        for inst in &desired.instances {
            for g in &inst.security_groups {
                let list = members.entry(g.clone()).or_default();
                list.push(inst.private_ip);
                list.extend(inst.secondary_ips.iter().copied());
            }
        }
        let mut jobs: Vec<(String, String)> = Vec::new();
        let mut owners: Vec<String> = Vec::new();
        for inst in &desired.instances {
            let Some(port) = self.ports.get(&inst.id) else { continue };
            let mine: Vec<&crate::desired::SecurityGroup> =
                inst.security_groups.iter().filter_map(|g| groups.get(g.as_str()).copied()).collect();
            let text = rules::security_groups(&mine, &members);
            if text != port.nft {
                jobs.push((port.ns.clone(), text));
                owners.push(inst.id.clone());
            }
        }
        let mut first_error = None;
        for ((id, (_, text)), result) in owners.iter().zip(&jobs).zip(cmd::nft_many(&jobs)) {
            match result {
                Ok(_) => {
                    if let Some(port) = self.ports.get_mut(id) {
                        port.nft = text.clone();
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Every public-to-private mapping the internet gateways carry, with its VPC.
fn public_mappings(desired: &Desired) -> Vec<(&str, PublicMapping)> {
    let instances = desired.instances.iter().filter_map(|i: &Instance| {
        i.public_ip.map(|public| (i.vpc.as_str(), PublicMapping { public, private: i.private_ip }))
    });
    let nats = desired
        .nat_gateways
        .iter()
        .filter_map(|n| n.public_ip.map(|public| (n.vpc.as_str(), PublicMapping { public, private: n.private_ip })));
    instances.chain(nats).collect()
}
