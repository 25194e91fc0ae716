//! The VPC as a network, with real TCP connections between instances: security groups
//! (stateful, group references) follow each converge, a network ACL deny beats a
//! security-group allow, a private subnet reaches the internet only through a NAT
//! gateway, a peering without routes carries nothing, and the host's own namespace
//! never sees an emulated address. Needs root (see common/mod.rs).

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use nimbus_runtime::desired::*;

fn sg<'a>(d: &'a mut Desired, vpc: usize, id: &str) -> &'a mut SecurityGroup {
    d.vpcs[vpc].security_groups.iter_mut().find(|g| g.id == id).unwrap()
}

fn timed_converge(rt: &nimbus_runtime::Runtime, d: &Desired, what: &str) {
    let t = Instant::now();
    rt.converge(d).expect("converge");
    println!("converge after {what}: {:?}", t.elapsed());
}

#[test]
fn security_groups_acls_nat_and_peering_carry_real_tcp() {
    let Some(rt) = runtime("net") else { return };
    let mut d = Desired { vpcs: vec![vpc(1), vpc(2)], ..Desired::default() };
    d.vpcs[0].security_groups.push(group("sg-1-client", vec![]));
    d.vpcs[0].security_groups.push(group("sg-1-server", vec![tcp(22, SgPeer::Cidr(Cidr::any()))]));
    let mut a = instance("i-a", 1, "public", 10, true);
    a.security_groups = vec!["sg-1-client".into(), "sg-1-default".into()];
    let mut b = instance("i-b", 1, "public", 11, true);
    b.security_groups = vec!["sg-1-server".into()];
    let c = instance("i-c", 1, "private", 12, false);
    let dd = instance("i-d", 2, "public", 20, true);
    d.instances = vec![a, b, c, dd];
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-a", "i-b", "i-c", "i-d"]);
    for id in ["i-a", "i-b", "i-c", "i-d"] {
        serve(&rt, id, 8080);
    }
    let (b_ip, c_ip, d_ip) = (ip("10.1.1.11"), ip("10.1.2.12"), ip("10.2.1.20"));

    // An ingress rule opens a port; its revocation closes it.
    assert!(!tcp_open(&rt, "i-a", b_ip, 8080), "no rule yet");
    sg(&mut d, 0, "sg-1-server").ingress.push(tcp(8080, SgPeer::Cidr(cidr("10.1.0.0/16"))));
    timed_converge(&rt, &d, "authorize");
    assert!(tcp_open(&rt, "i-a", b_ip, 8080), "rule added");
    sg(&mut d, 0, "sg-1-server").ingress.retain(|r| r.ports != Ports::Range(8080, 8080));
    timed_converge(&rt, &d, "revoke");
    assert!(!tcp_open(&rt, "i-a", b_ip, 8080), "rule revoked");

    // A group reference admits the group's members only.
    sg(&mut d, 0, "sg-1-server").ingress.push(tcp(8080, SgPeer::Group("sg-1-client".into())));
    timed_converge(&rt, &d, "group rule");
    assert!(tcp_open(&rt, "i-a", b_ip, 8080), "member admitted");
    assert!(!tcp_open(&rt, "i-c", b_ip, 8080), "non-member refused");
    d.instances[2].security_groups.push("sg-1-client".into());
    timed_converge(&rt, &d, "joining the group");
    assert!(tcp_open(&rt, "i-c", b_ip, 8080), "new member admitted");

    // A network ACL deny beats a security-group allow (i-c's group allows 8080 from anywhere).
    sg(&mut d, 0, "sg-1-default").ingress.push(tcp(8080, SgPeer::Cidr(Cidr::any())));
    timed_converge(&rt, &d, "open i-c");
    assert!(tcp_open(&rt, "i-a", c_ip, 8080));
    d.vpcs[0].network_acls.push(allow_all_acl("acl-1-private"));
    let private = d.vpcs[0].network_acls.last_mut().unwrap();
    private.ingress.push(AclEntry {
        rule_number: 50,
        protocol: Protocol::Tcp,
        ports: Ports::Range(8080, 8080),
        cidr: cidr("10.1.1.0/24"),
        allow: false,
    });
    d.vpcs[0].subnets[1].network_acl = "acl-1-private".into();
    timed_converge(&rt, &d, "ACL deny");
    assert!(!tcp_open(&rt, "i-a", c_ip, 8080), "ACL deny wins");
    assert!(tcp_open(&rt, "i-a", b_ip, 8080), "the public subnet is not affected");
    // ...and an ACL without its default allow denies everything (the `*` rule).
    d.vpcs[0].network_acls.last_mut().unwrap().ingress.clear();
    timed_converge(&rt, &d, "empty ACL");
    assert!(!tcp_open(&rt, "i-a", c_ip, 22));
    d.vpcs[0].subnets[1].network_acl = "acl-1".into();
    rt.converge(&d).unwrap();
    assert!(tcp_open(&rt, "i-a", c_ip, 8080));

    // The internet: a server at 198.51.100.1 in the internet namespace.
    let listener = rt.listen_on_internet(9000).unwrap();
    listener.set_nonblocking(true).unwrap();
    let internet = ip("198.51.100.1");
    assert!(tcp_open(&rt, "i-a", internet, 9000), "public subnet with a public IP reaches the internet");
    assert!(!tcp_open(&rt, "i-c", internet, 9000), "private subnet without a NAT gateway does not");
    d.nat_gateways.push(NatGateway {
        id: "nat-1".into(),
        vpc: "vpc-1".into(),
        subnet: "subnet-1-public".into(),
        private_ip: ip("10.1.1.100"),
        public_ip: Some(ip("54.0.1.100")),
    });
    d.vpcs[0].route_tables[1]
        .routes
        .push(Route { destination: Cidr::any(), target: RouteTarget::NatGateway("nat-1".into()) });
    timed_converge(&rt, &d, "NAT gateway");
    let (code, out) = rt.exec("i-c", &["sh", "-c", "echo hello-from-private | nc -w 1 198.51.100.1 9000"]).unwrap();
    assert_eq!(code, 0, "{out}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let (mut conn, peer) = loop {
        match listener.accept() {
            // i-a's probe above is still in the backlog.
            Ok((_, peer)) if peer.ip().to_string() == "54.0.1.10" => continue,
            Ok(x) => break x,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("no connection through the NAT gateway: {e}"),
        }
    };
    assert_eq!(peer.ip().to_string(), "54.0.1.100", "leaves with the NAT gateway's Elastic IP");
    conn.set_nonblocking(false).unwrap();
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hello-from-private\n");
    drop(conn);

    // The host reaches a public IP through the internet namespace; the source is 198.51.100.1.
    let mut s = rt.connect(ip("54.0.1.11"), 8080, Duration::from_secs(2));
    assert!(s.is_err(), "i-b's group admits 8080 from the VPC and sg-1-client only");
    sg(&mut d, 0, "sg-1-server").ingress.push(tcp(8080, SgPeer::Cidr(cidr("198.51.100.1/32"))));
    rt.converge(&d).unwrap();
    s = rt.connect(ip("54.0.1.11"), 8080, Duration::from_secs(2));
    let mut s = s.expect("the internet host is admitted");
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");

    // Peering: without routes nothing crosses; with routes on both sides it does.
    sg(&mut d, 1, "sg-2-default").ingress.push(tcp(8080, SgPeer::Cidr(cidr("10.1.0.0/16"))));
    d.peerings.push(Peering { id: "pcx-1".into(), requester_vpc: "vpc-1".into(), accepter_vpc: "vpc-2".into() });
    rt.converge(&d).unwrap();
    assert!(!tcp_open(&rt, "i-a", d_ip, 8080), "a peering without routes carries nothing");
    d.vpcs[0].route_tables[0]
        .routes
        .push(Route { destination: cidr("10.2.0.0/16"), target: RouteTarget::Peering("pcx-1".into()) });
    d.vpcs[1].route_tables[0]
        .routes
        .push(Route { destination: cidr("10.1.0.0/16"), target: RouteTarget::Peering("pcx-1".into()) });
    rt.converge(&d).unwrap();
    assert!(tcp_open(&rt, "i-a", d_ip, 8080), "routed peering carries traffic");
    d.peerings.clear();
    rt.converge(&d).unwrap();
    assert!(!tcp_open(&rt, "i-a", d_ip, 8080), "a deleted peering's routes are blackholes");

    // Nothing of it is in the host's own namespace.
    let mentions = host_mentions(&["10.1.", "10.2.", "54.0.", "198.51.100.1", "169.254.169.254"]);
    assert!(mentions.is_empty(), "{mentions:?}");

    // Terminating an instance removes its sandbox and namespace.
    d.instances.retain(|i| i.id != "i-d");
    rt.converge(&d).unwrap();
    assert!(rt.report("i-d").is_none());
    assert!(!nimbus_runtime::cleanup::survey(rt.names()).namespaces.iter().any(|n| n.ends_with("i-d")));
    rt.shutdown().unwrap();
    assert!(nimbus_runtime::cleanup::survey(rt.names()).is_empty());
}

#[test]
fn secondary_private_addresses_answer_tcp_and_go_when_unassigned() {
    let Some(rt) = runtime("secip") else { return };
    let mut v = vpc(6);
    v.security_groups[0].ingress.push(tcp(8080, SgPeer::Cidr(cidr("10.6.0.0/16"))));
    let mut server = instance("i-srv", 6, "public", 10, false);
    let client = instance("i-cli", 6, "public", 11, false);
    let secondary = ip("10.6.1.50");
    server.secondary_ips = vec![secondary];
    let mut d = Desired { vpcs: vec![v], instances: vec![server.clone(), client], ..Desired::default() };
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-srv", "i-cli"]);
    let (_, addrs) = rt.exec("i-srv", &["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).unwrap();
    assert!(addrs.contains("10.6.1.10/24") && addrs.contains("10.6.1.50/24"), "{addrs}");
    serve(&rt, "i-srv", 8080);
    assert!(tcp_open(&rt, "i-cli", secondary, 8080), "TCP to the secondary address");
    assert!(tcp_open(&rt, "i-cli", ip("10.6.1.10"), 8080), "and to the primary");
    assert!(host_mentions(&["10.6."]).is_empty(), "{:?}", host_mentions(&["10.6."]));

    // UnassignPrivateIpAddresses: the address is gone from the instance.
    server.secondary_ips.clear();
    d.instances[0] = server;
    rt.converge(&d).unwrap();
    let (_, addrs) = rt.exec("i-srv", &["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).unwrap();
    assert!(!addrs.contains("10.6.1.50"), "{addrs}");
    assert!(!tcp_open(&rt, "i-cli", secondary, 8080));
    assert!(tcp_open(&rt, "i-cli", ip("10.6.1.10"), 8080));
    rt.shutdown().unwrap();
}
