//! What a packet is to the analysis, and how security groups and network ACLs judge it.
//!
//! A packet's addresses are CIDR blocks (a single address is a /32; "any internet
//! address" is 0.0.0.0/0) and its ports are sets of ranges. Each filter keeps the part
//! of the packet it lets through: the path found is the set of packets that pass every
//! component, as Reachability Analyzer's headers show it.

use crate::generated::dto::{
    AnalysisAclRule, AnalysisPacketHeader, AnalysisSecurityGroupRule, NetworkAclEntry, PortRange,
};
use crate::state::cidr::Ipv4Cidr;
use crate::state::{Peer, SgRule};

/// A set of ports as sorted, disjoint, inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports(pub Vec<(u16, u16)>);

impl Ports {
    pub fn all() -> Ports {
        Ports(vec![(0, 65535)])
    }

    pub fn range(from: i32, to: i32) -> Ports {
        let clamp = |p: i32| p.clamp(0, 65535) as u16;
        if from > to {
            return Ports(Vec::new());
        }
        Ports(vec![(clamp(from), clamp(to))])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn intersect(&self, other: &Ports) -> Ports {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            for &(c, d) in &other.0 {
                let (lo, hi) = (a.max(c), b.min(d));
                if lo <= hi {
                    out.push((lo, hi));
                }
            }
        }
        Ports(out).normalized()
    }

    pub fn union(&self, other: &Ports) -> Ports {
        Ports(self.0.iter().chain(&other.0).copied().collect()).normalized()
    }

    pub fn minus(&self, other: &Ports) -> Ports {
        let mut out = self.0.clone();
        for &(c, d) in &other.0 {
            let mut next = Vec::new();
            for (a, b) in out {
                if d < a || c > b {
                    next.push((a, b));
                    continue;
                }
                if c > a {
                    next.push((a, c - 1));
                }
                if d < b {
                    next.push((d + 1, b));
                }
            }
            out = next;
        }
        Ports(out).normalized()
    }

    fn normalized(mut self) -> Ports {
        self.0.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::new();
        for (a, b) in self.0 {
            match out.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Ports(out)
    }

    pub fn dto(&self) -> Vec<PortRange> {
        self.0.iter().map(|&(a, b)| PortRange { from: Some(i32::from(a)), to: Some(i32::from(b)) }).collect()
    }
}

/// The packets a path carries in one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub src: Ipv4Cidr,
    pub dst: Ipv4Cidr,
    /// 6 (TCP) or 17 (UDP).
    pub protocol: u8,
    pub src_ports: Ports,
    pub dst_ports: Ports,
}

impl Packet {
    /// The answer going back: addresses and ports swapped.
    pub fn reply(&self) -> Packet {
        Packet {
            src: self.dst,
            dst: self.src,
            protocol: self.protocol,
            src_ports: self.dst_ports.clone(),
            dst_ports: self.src_ports.clone(),
        }
    }

    pub fn header(&self) -> AnalysisPacketHeader {
        AnalysisPacketHeader {
            destination_addresses: Some(vec![self.dst.to_string()]),
            destination_port_ranges: Some(self.dst_ports.dto()),
            protocol: Some(self.protocol.to_string()),
            source_addresses: Some(vec![self.src.to_string()]),
            source_port_ranges: Some(self.src_ports.dto()),
        }
    }
}

/// The common part of two blocks, if they overlap.
pub fn meet(a: Ipv4Cidr, b: Ipv4Cidr) -> Option<Ipv4Cidr> {
    if a.contains(&b) {
        Some(b)
    } else if b.contains(&a) {
        Some(a)
    } else {
        None
    }
}

/// Whether a rule's protocol (`-1`, a name or a number) carries the packet's.
fn protocol_matches(rule: &str, protocol: u8) -> bool {
    match rule.to_ascii_lowercase().as_str() {
        "-1" | "all" => true,
        "tcp" => protocol == 6,
        "udp" => protocol == 17,
        n => n.parse::<u8>().is_ok_and(|n| n == protocol),
    }
}

fn protocol_name(rule: &str) -> String {
    match rule {
        "-1" => "all".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        other => other.to_string(),
    }
}

/// What the other end of a security group check is: its addresses, and the groups it
/// belongs to when they travel with the packet (same VPC or a peering).
pub struct FarEnd<'a> {
    pub addresses: Ipv4Cidr,
    pub groups: &'a [String],
}

/// The rules of one group that pass: the ports they let through (within `ports`), the
/// narrowed other-end block and the first rule that passes, for the path's component.
pub struct SgPass {
    pub ports: Ports,
    pub peer: Ipv4Cidr,
    pub rule: AnalysisSecurityGroupRule,
}

/// Judges a packet against the rules of an interface's groups in one direction
/// (`egress`): security groups allow only, so the union of what matching rules allow.
/// `prefix_list` gives a list's entries.
pub fn security_groups<'a>(
    groups: impl IntoIterator<Item = (&'a str, &'a [SgRule])>,
    egress: bool,
    protocol: u8,
    ports: &Ports,
    other: &FarEnd,
    prefix_list: impl Fn(&str) -> Vec<Ipv4Cidr>,
) -> Option<SgPass> {
    let mut pass: Option<SgPass> = None;
    for (group_id, rules) in groups {
        for rule in rules.iter().filter(|r| r.egress == egress) {
            if !protocol_matches(&rule.protocol, protocol) {
                continue;
            }
            let range = match (rule.protocol.as_str(), rule.from_port, rule.to_port) {
                ("-1", _, _) | (_, None, _) | (_, _, None) => Ports::all(),
                (_, Some(a), Some(_)) if a < 0 => Ports::all(),
                (_, Some(a), Some(b)) => Ports::range(a, b),
            };
            let hit = ports.intersect(&range);
            if hit.is_empty() {
                continue;
            }
            let (peer, cidr, prefix_list_id) = match &rule.peer {
                Peer::Ipv4(c) => {
                    let Some(block) = Ipv4Cidr::parse_loose(c) else { continue };
                    (meet(block, other.addresses), Some(c.clone()), None)
                }
                Peer::PrefixList(id) => {
                    (prefix_list(id).into_iter().find_map(|b| meet(b, other.addresses)), None, Some(id.clone()))
                }
                Peer::Group { group_id, .. } => {
                    (other.groups.contains(group_id).then_some(other.addresses), None, None)
                }
                Peer::Ipv6(_) => (None, None, None),
            };
            let Some(peer) = peer else { continue };
            let shown = AnalysisSecurityGroupRule {
                cidr,
                direction: Some(if egress { "egress" } else { "ingress" }.into()),
                security_group_id: Some(group_id.to_string()),
                port_range: (rule.protocol != "-1").then(|| range.dto().into_iter().next()).flatten(),
                prefix_list_id,
                protocol: Some(protocol_name(&rule.protocol)),
            };
            match &mut pass {
                None => pass = Some(SgPass { ports: hit, peer, rule: shown }),
                Some(p) => {
                    p.ports = p.ports.union(&hit);
                    if peer.contains(&p.peer) {
                        p.peer = peer;
                    }
                }
            }
        }
    }
    pass
}

/// The verdict of a network ACL on a packet in one direction.
pub enum AclVerdict {
    /// Let through: the ports allowed, the narrowed other-end block and the rule.
    Allow { ports: Ports, peer: Ipv4Cidr, rule: AnalysisAclRule },
    /// Refused by this rule.
    Deny(AnalysisAclRule),
}

fn shown_acl_rule(e: &NetworkAclEntry) -> AnalysisAclRule {
    AnalysisAclRule {
        cidr: e.cidr_block.clone(),
        egress: e.egress,
        port_range: e.port_range.clone(),
        protocol: e.protocol.as_deref().map(protocol_name),
        rule_action: e.rule_action.clone(),
        rule_number: e.rule_number,
    }
}

/// Judges a packet against an ACL's entries in one direction: entries in rule-number
/// order, the first that matches a port decides it. `other` is the address on the far
/// side (the destination going out, the source coming in) and `ports` the destination
/// ports. A narrower allow entry lets part of a wider block through when nothing lets
/// the whole block through.
pub fn network_acl(
    entries: &[NetworkAclEntry],
    egress: bool,
    protocol: u8,
    ports: &Ports,
    other: Ipv4Cidr,
) -> AclVerdict {
    let mut rules: Vec<&NetworkAclEntry> =
        entries.iter().filter(|e| e.egress == Some(egress) && e.cidr_block.is_some()).collect();
    rules.sort_by_key(|e| e.rule_number.unwrap_or(i32::MAX));
    let mut remaining = ports.clone();
    let mut allowed = Ports(Vec::new());
    let mut first_allow: Option<&NetworkAclEntry> = None;
    let mut first_deny: Option<&NetworkAclEntry> = None;
    let mut partial: Option<(&NetworkAclEntry, Ports, Ipv4Cidr)> = None;
    for e in rules {
        if remaining.is_empty() {
            break;
        }
        if !protocol_matches(e.protocol.as_deref().unwrap_or("-1"), protocol) {
            continue;
        }
        let range = match (&e.port_range, e.protocol.as_deref()) {
            (_, Some("-1")) | (None, _) => Ports::all(),
            (Some(r), _) => Ports::range(r.from.unwrap_or(0), r.to.unwrap_or(65535)),
        };
        let hit = remaining.intersect(&range);
        if hit.is_empty() {
            continue;
        }
        let Some(block) = e.cidr_block.as_deref().and_then(Ipv4Cidr::parse_loose) else { continue };
        let allow = e.rule_action.as_deref() == Some("allow");
        if block.contains(&other) {
            if allow {
                allowed = allowed.union(&hit);
                first_allow.get_or_insert(e);
            } else {
                first_deny.get_or_insert(e);
            }
            remaining = remaining.minus(&hit);
        } else if other.contains(&block) && allow && partial.is_none() {
            partial = Some((e, hit, block));
        }
    }
    if let Some(rule) = first_allow {
        return AclVerdict::Allow { ports: allowed, peer: other, rule: shown_acl_rule(rule) };
    }
    if let Some((rule, ports, block)) = partial {
        return AclVerdict::Allow { ports, peer: block, rule: shown_acl_rule(rule) };
    }
    let deny = first_deny.map(shown_acl_rule).unwrap_or(AnalysisAclRule {
        cidr: Some("0.0.0.0/0".into()),
        egress: Some(egress),
        protocol: Some("all".into()),
        rule_action: Some("deny".into()),
        rule_number: Some(32767),
        ..Default::default()
    });
    AclVerdict::Deny(deny)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Ipv4Cidr {
        Ipv4Cidr::parse_loose(s).unwrap()
    }

    #[test]
    fn port_sets_intersect_unite_and_subtract() {
        let a = Ports::range(0, 1023);
        assert_eq!(a.intersect(&Ports::range(22, 80)).0, vec![(22, 80)]);
        assert_eq!(a.minus(&Ports::range(22, 22)).0, vec![(0, 21), (23, 1023)]);
        assert_eq!(Ports::range(1, 5).union(&Ports::range(6, 9)).0, vec![(1, 9)]);
        assert!(Ports::range(5, 1).is_empty());
    }

    fn acl_entry(n: i32, egress: bool, action: &str, cidr: &str, ports: Option<(i32, i32)>) -> NetworkAclEntry {
        NetworkAclEntry {
            cidr_block: Some(cidr.into()),
            egress: Some(egress),
            protocol: Some(if ports.is_some() { "6" } else { "-1" }.into()),
            rule_action: Some(action.into()),
            rule_number: Some(n),
            port_range: ports.map(|(a, b)| PortRange { from: Some(a), to: Some(b) }),
            ..Default::default()
        }
    }

    #[test]
    fn the_first_matching_acl_entry_decides_each_port() {
        let entries = vec![
            acl_entry(90, false, "deny", "0.0.0.0/0", Some((22, 22))),
            acl_entry(100, false, "allow", "0.0.0.0/0", None),
            acl_entry(32767, false, "deny", "0.0.0.0/0", None),
        ];
        let ssh = Ports::range(22, 22);
        match network_acl(&entries, false, 6, &ssh, cidr("10.0.0.5/32")) {
            AclVerdict::Deny(rule) => assert_eq!(rule.rule_number, Some(90)),
            AclVerdict::Allow { .. } => panic!("port 22 is denied by rule 90"),
        }
        match network_acl(&entries, false, 6, &Ports::all(), cidr("10.0.0.5/32")) {
            AclVerdict::Allow { ports, rule, .. } => {
                assert_eq!(ports.0, vec![(0, 21), (23, 65535)]);
                assert_eq!(rule.rule_number, Some(100));
            }
            AclVerdict::Deny(_) => panic!("other ports are allowed"),
        }
        // A custom ACL with only its `*` entry refuses everything.
        let closed = vec![acl_entry(32767, true, "deny", "0.0.0.0/0", None)];
        assert!(matches!(network_acl(&closed, true, 6, &ssh, cidr("1.2.3.4/32")), AclVerdict::Deny(_)));
    }

    #[test]
    fn security_group_rules_allow_by_cidr_group_and_prefix_list() {
        let rule = |protocol: &str, from, to, peer: Peer| SgRule {
            id: "sgr-1".into(),
            egress: false,
            protocol: protocol.into(),
            from_port: Some(from),
            to_port: Some(to),
            peer,
            description: None,
        };
        let rules = vec![
            rule("tcp", 5432, 5432, Peer::Group { group_id: "sg-app".into(), user_id: "1".into(), vpc_id: None }),
            rule("tcp", 443, 443, Peer::PrefixList("pl-1".into())),
            rule("tcp", 22, 22, Peer::Ipv4("10.9.0.0/16".into())),
        ];
        let groups = vec![("sg-db", rules.as_slice())];
        let app = vec!["sg-app".to_string()];
        let from_app = FarEnd { addresses: cidr("10.0.1.5/32"), groups: &app };
        let pl = |_: &str| vec![cidr("10.0.0.0/8")];
        let pass = security_groups(groups.clone(), false, 6, &Ports::range(5432, 5432), &from_app, pl).unwrap();
        assert_eq!(pass.rule.security_group_id.as_deref(), Some("sg-db"));
        assert!(security_groups(groups.clone(), false, 6, &Ports::range(3306, 3306), &from_app, pl).is_none());
        assert!(security_groups(groups.clone(), false, 17, &Ports::range(5432, 5432), &from_app, pl).is_none());
        let internet = FarEnd { addresses: cidr("0.0.0.0/0"), groups: &[] };
        let ssh = security_groups(groups.clone(), false, 6, &Ports::range(22, 22), &internet, pl).unwrap();
        assert_eq!(ssh.peer, cidr("10.9.0.0/16"));
        let https = security_groups(groups, false, 6, &Ports::all(), &from_app, pl).unwrap();
        assert_eq!(https.ports.0, vec![(443, 443), (5432, 5432)]);
    }
}
