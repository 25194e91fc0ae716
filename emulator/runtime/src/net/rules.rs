//! nftables rulesets, rendered as text for `nft -f` (pure functions, unit-tested):
//!
//! - an instance's security groups: table `inet nimbus` in the instance's namespace,
//!   stateful (conntrack), default deny both ways, the union of its groups' rules;
//!   a group reference is a named set of the member instances' private addresses;
//! - a VPC router's NAT and network ACLs: table `ip nimbus` in the router's namespace;
//!   ACLs are stateless (no conntrack match), numbered rules in order, first match wins,
//!   then the default deny; an ACL's ingress is checked as traffic enters its subnet's
//!   bridge, its egress as traffic leaves it (traffic inside one subnet never crosses
//!   the router, as at AWS);
//! - a NAT gateway: masquerade in its own namespace.
//!
//! Each ruleset replaces the previous one in one transaction (`table; delete table;
//! table {...}`), so a change never leaves a window with no filter.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::Ipv4Addr;

use crate::desired::{AclEntry, Cidr, Ports, Protocol, SecurityGroup, SgPeer};

/// IMDS's address: always reachable from an instance, whatever its groups say.
pub const IMDS_ADDR: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

fn set_name(group: &str) -> String {
    format!("g_{}", group.replace('-', "_"))
}

/// The protocol-and-port part of a match (`tcp dport 22`, `icmp type 8`, ...).
pub fn proto_match(protocol: Protocol, ports: Ports) -> String {
    match (protocol, ports) {
        (Protocol::All, _) => String::new(),
        (Protocol::Tcp | Protocol::Udp, Ports::Range(from, to)) if !(from == 0 && to == 65535) => {
            let p = if protocol == Protocol::Tcp { "tcp" } else { "udp" };
            if from == to {
                format!("{p} dport {from}")
            } else {
                format!("{p} dport {from}-{to}")
            }
        }
        (Protocol::Tcp, _) => "meta l4proto tcp".into(),
        (Protocol::Udp, _) => "meta l4proto udp".into(),
        (Protocol::Icmp, Ports::Icmp { icmp_type, code }) if icmp_type >= 0 => {
            if code >= 0 {
                format!("icmp type {icmp_type} icmp code {code}")
            } else {
                format!("icmp type {icmp_type}")
            }
        }
        (Protocol::Icmp, _) => "meta l4proto icmp".into(),
        (Protocol::Number(n), _) => format!("meta l4proto {n}"),
    }
}

fn cidr_match(dir: &str, cidr: Cidr) -> String {
    if cidr.len == 0 {
        String::new()
    } else if cidr.len == 32 {
        format!("ip {dir} {}", cidr.addr)
    } else {
        format!("ip {dir} {cidr}")
    }
}

fn join(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(" ")
}

fn replace_table(family: &str, body: &str) -> String {
    format!("table {family} nimbus\ndelete table {family} nimbus\ntable {family} nimbus {{\n{body}}}\n")
}

/// The ruleset of an instance with `groups`; `members` gives each referenced group's
/// member addresses.
pub fn security_groups(groups: &[&SecurityGroup], members: &BTreeMap<String, Vec<Ipv4Addr>>) -> String {
    let mut referenced: Vec<&str> = Vec::new();
    let mut input = String::new();
    let mut output = String::new();
    for group in groups {
        for (rules, out, dir) in [(&group.ingress, &mut input, "saddr"), (&group.egress, &mut output, "daddr")] {
            for rule in rules {
                let proto = proto_match(rule.protocol, rule.ports);
                for peer in &rule.peers {
                    let addr = match peer {
                        SgPeer::Cidr(c) => cidr_match(dir, *c),
                        SgPeer::Group(g) => {
                            if !referenced.contains(&g.as_str()) {
                                referenced.push(g);
                            }
                            format!("ip {dir} @{}", set_name(g))
                        }
                    };
                    let _ = writeln!(out, "    {}", join(&[&addr, &proto, "accept"]));
                }
            }
        }
    }
    referenced.sort();
    let mut body = String::new();
    for g in referenced {
        let _ = writeln!(body, "  set {} {{\n    type ipv4_addr", set_name(g));
        let addrs = members.get(g).map(Vec::as_slice).unwrap_or_default();
        if !addrs.is_empty() {
            let list: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
            let _ = writeln!(body, "    elements = {{ {} }}", list.join(", "));
        }
        body.push_str("  }\n");
    }
    let _ = write!(
        body,
        "  chain input {{\n    type filter hook input priority 0; policy drop;\n    iifname \"lo\" accept\n    ct state established,related accept\n    ct state invalid drop\n{input}  }}\n"
    );
    let _ = write!(
        body,
        "  chain output {{\n    type filter hook output priority 0; policy drop;\n    oifname \"lo\" accept\n    ct state established,related accept\n    ip daddr {IMDS_ADDR} accept\n{output}  }}\n"
    );
    replace_table("inet", &body)
}

/// One subnet's place in its router: its bridge and its ACL.
pub struct SubnetPort<'a> {
    pub bridge: &'a str,
    pub acl: Option<&'a crate::desired::NetworkAcl>,
}

/// A public address mapped 1:1 to a private one by the internet gateway.
pub struct PublicMapping {
    pub public: Ipv4Addr,
    pub private: Ipv4Addr,
}

fn acl_chain(name: &str, entries: &[AclEntry], dir: &str) -> String {
    let mut sorted: Vec<&AclEntry> = entries.iter().filter(|e| e.rule_number < 32767).collect();
    sorted.sort_by_key(|e| e.rule_number);
    let mut chain = format!("  chain {name} {{\n");
    for e in sorted {
        let verdict = if e.allow { "return" } else { "drop" };
        let _ =
            writeln!(chain, "    {}", join(&[&cidr_match(dir, e.cidr), &proto_match(e.protocol, e.ports), verdict]));
    }
    chain.push_str("    drop\n  }\n");
    chain
}

/// The router's table: the internet gateway's 1:1 NAT (when `igw` is attached) and every
/// subnet's network ACL.
pub fn router(subnets: &[SubnetPort], public: &[PublicMapping], igw: Option<&str>) -> String {
    let mut body = String::new();
    let mut pre = String::new();
    let mut post = String::new();
    let mut forward = String::new();
    if let Some(igw) = igw {
        let mut privates = Vec::new();
        for m in public {
            let _ = writeln!(pre, "    iifname \"{igw}\" ip daddr {} dnat to {}", m.public, m.private);
            let _ = writeln!(post, "    oifname \"{igw}\" ip saddr {} snat to {}", m.private, m.public);
            privates.push(m.private.to_string());
        }
        body.push_str("  set public_sources {\n    type ipv4_addr\n");
        if !privates.is_empty() {
            let _ = writeln!(body, "    elements = {{ {} }}", privates.join(", "));
        }
        body.push_str("  }\n");
        // Only addresses with a public side leave through the internet gateway.
        let _ = writeln!(forward, "    oifname \"{igw}\" ip saddr != @public_sources drop");
    }
    let mut chains = String::new();
    for (i, s) in subnets.iter().enumerate() {
        let Some(acl) = s.acl else { continue };
        let _ = writeln!(forward, "    iifname \"{}\" jump acl{i}_out", s.bridge);
        let _ = writeln!(forward, "    oifname \"{}\" jump acl{i}_in", s.bridge);
        chains.push_str(&acl_chain(&format!("acl{i}_out"), &acl.egress, "daddr"));
        chains.push_str(&acl_chain(&format!("acl{i}_in"), &acl.ingress, "saddr"));
    }
    let _ = write!(
        body,
        "  chain prerouting {{\n    type nat hook prerouting priority dstnat; policy accept;\n{pre}  }}\n"
    );
    let _ = write!(
        body,
        "  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n{post}  }}\n"
    );
    let _ = write!(
        body,
        "  chain forward {{\n    type filter hook forward priority filter; policy accept;\n{forward}  }}\n"
    );
    body.push_str(&chains);
    replace_table("ip", &body)
}

/// A NAT gateway: everything it forwards leaves with its own private address (the
/// router's internet gateway NAT then maps that to its Elastic IP).
pub fn nat_gateway(private_ip: Ipv4Addr) -> String {
    replace_table(
        "ip",
        &format!(
            "  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n    oifname \"eth0\" ip saddr != {private_ip} masquerade\n  }}\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{NetworkAcl, SgRule};

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn matches() {
        assert_eq!(proto_match(Protocol::Tcp, Ports::Range(22, 22)), "tcp dport 22");
        assert_eq!(proto_match(Protocol::Udp, Ports::Range(1024, 65535)), "udp dport 1024-65535");
        assert_eq!(proto_match(Protocol::Tcp, Ports::Range(0, 65535)), "meta l4proto tcp");
        assert_eq!(proto_match(Protocol::Icmp, Ports::Icmp { icmp_type: 8, code: -1 }), "icmp type 8");
        assert_eq!(proto_match(Protocol::Icmp, Ports::Icmp { icmp_type: -1, code: -1 }), "meta l4proto icmp");
        assert_eq!(proto_match(Protocol::All, Ports::Any), "");
        assert_eq!(proto_match(Protocol::Number(47), Ports::Any), "meta l4proto 47");
    }

    #[test]
    fn security_group_rules_and_group_sets() {
        let web = SecurityGroup {
            id: "sg-web".into(),
            ingress: vec![
                SgRule { protocol: Protocol::Tcp, ports: Ports::Range(22, 22), peers: vec![SgPeer::Cidr(Cidr::any())] },
                SgRule {
                    protocol: Protocol::Tcp,
                    ports: Ports::Range(80, 80),
                    peers: vec![SgPeer::Group("sg-lb".into())],
                },
            ],
            egress: vec![SgRule {
                protocol: Protocol::All,
                ports: Ports::Any,
                peers: vec![SgPeer::Cidr(c("0.0.0.0/0"))],
            }],
        };
        let members = BTreeMap::from([("sg-lb".to_string(), vec![Ipv4Addr::new(10, 0, 1, 5)])]);
        let text = security_groups(&[&web], &members);
        assert!(text.starts_with("table inet nimbus\ndelete table inet nimbus\n"), "{text}");
        assert!(text.contains("set g_sg_lb {\n    type ipv4_addr\n    elements = { 10.0.1.5 }"), "{text}");
        assert!(text.contains("    tcp dport 22 accept\n"), "{text}");
        assert!(text.contains("    ip saddr @g_sg_lb tcp dport 80 accept\n"), "{text}");
        assert!(text.contains("policy drop;\n    oifname \"lo\" accept\n    ct state established,related accept\n    ip daddr 169.254.169.254 accept\n    accept\n"), "{text}");
    }

    #[test]
    fn acl_order_first_match_and_default_deny() {
        let acl = NetworkAcl {
            id: "acl-1".into(),
            ingress: vec![
                AclEntry {
                    rule_number: 200,
                    protocol: Protocol::All,
                    ports: Ports::Any,
                    cidr: Cidr::any(),
                    allow: true,
                },
                AclEntry {
                    rule_number: 100,
                    protocol: Protocol::Tcp,
                    ports: Ports::Range(22, 22),
                    cidr: c("10.0.0.0/16"),
                    allow: false,
                },
                AclEntry {
                    rule_number: 32767,
                    protocol: Protocol::All,
                    ports: Ports::Any,
                    cidr: Cidr::any(),
                    allow: false,
                },
            ],
            egress: vec![],
        };
        let text = router(
            &[SubnetPort { bridge: "br0", acl: Some(&acl) }],
            &[PublicMapping { public: Ipv4Addr::new(54, 1, 2, 3), private: Ipv4Addr::new(10, 0, 0, 5) }],
            Some("igw"),
        );
        assert!(
            text.contains("chain acl0_in {\n    ip saddr 10.0.0.0/16 tcp dport 22 drop\n    return\n    drop\n  }"),
            "{text}"
        );
        assert!(text.contains("chain acl0_out {\n    drop\n  }"), "{text}");
        assert!(text.contains("iifname \"igw\" ip daddr 54.1.2.3 dnat to 10.0.0.5"), "{text}");
        assert!(text.contains("oifname \"igw\" ip saddr 10.0.0.5 snat to 54.1.2.3"), "{text}");
        assert!(text.contains("oifname \"igw\" ip saddr != @public_sources drop"), "{text}");
    }
}
