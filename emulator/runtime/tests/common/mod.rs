//! What the runtime's root tests share: a runtime with a prefix of its own (so tests run
//! side by side and never touch another nimbus), the base image, and desired states.
//!
//! These tests need root, runc, nftables, namespaces, overlayfs and cgroups. On a host
//! without them they print why and skip; under CI (`CI` set) a host that cannot run them
//! is a failure, so they never pass by not running.
#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use nimbus_runtime::desired::*;
use nimbus_runtime::host;
use nimbus_runtime::{Runtime, RuntimeConfig};

/// The base root filesystem, built (once, cached) by the documented script.
pub fn base_rootfs() -> PathBuf {
    if let Some(p) = std::env::var_os("NIMBUS_BASE_ROOTFS") {
        return PathBuf::from(p);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = repo.join("target/nimbus-images/debian-bookworm");
    let status =
        Command::new(repo.join("emulator/runtime/images/build-base.sh")).arg(&out).status().expect("run build-base.sh");
    assert!(status.success(), "building the base image failed");
    out.join("rootfs")
}

/// A runtime for test `tag`, or `None` (with the reason printed) on a host that cannot.
pub fn runtime(tag: &str) -> Option<Runtime> {
    let check = host::check(&format!("t{}probe{tag}", std::process::id()));
    if !check.fit() {
        let why = format!("SKIPPED {tag}: this host cannot run instances: {}", check.describe());
        if std::env::var_os("CI").is_some() {
            panic!("{why} (CI must be able to run them)");
        }
        eprintln!("{why}");
        return None;
    }
    let prefix = format!("t{}{tag}", std::process::id());
    let data = std::env::temp_dir().join(format!("nimbus-runtime-test-{prefix}"));
    let mut config = RuntimeConfig::new(&prefix, data, base_rootfs());
    config.stop_grace = Duration::from_secs(2);
    Some(Runtime::start(config).expect("runtime starts"))
}

pub fn cidr(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

pub fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub fn allow_all_acl(id: &str) -> NetworkAcl {
    let all =
        |n| AclEntry { rule_number: n, protocol: Protocol::All, ports: Ports::Any, cidr: Cidr::any(), allow: true };
    NetworkAcl { id: id.into(), ingress: vec![all(100)], egress: vec![all(100)] }
}

pub fn tcp(port: u16, peer: SgPeer) -> SgRule {
    SgRule { protocol: Protocol::Tcp, ports: Ports::Range(port, port), peers: vec![peer] }
}

pub fn group(id: &str, ingress: Vec<SgRule>) -> SecurityGroup {
    let egress = vec![SgRule { protocol: Protocol::All, ports: Ports::Any, peers: vec![SgPeer::Cidr(Cidr::any())] }];
    SecurityGroup { id: id.into(), ingress, egress }
}

/// A VPC 10.N.0.0/16 with a public subnet 10.N.1.0/24 (route to the internet gateway)
/// and a private one 10.N.2.0/24 (its own table, no default route).
pub fn vpc(n: u8) -> Vpc {
    let vpc_id = format!("vpc-{n}");
    Vpc {
        id: vpc_id.clone(),
        cidrs: vec![cidr(&format!("10.{n}.0.0/16"))],
        internet_gateway: Some(format!("igw-{n}")),
        subnets: vec![
            Subnet {
                id: format!("subnet-{n}-public"),
                cidr: cidr(&format!("10.{n}.1.0/24")),
                route_table: format!("rtb-{n}-public"),
                network_acl: format!("acl-{n}"),
            },
            Subnet {
                id: format!("subnet-{n}-private"),
                cidr: cidr(&format!("10.{n}.2.0/24")),
                route_table: format!("rtb-{n}-private"),
                network_acl: format!("acl-{n}"),
            },
        ],
        route_tables: vec![
            RouteTable {
                id: format!("rtb-{n}-public"),
                routes: vec![Route {
                    destination: Cidr::any(),
                    target: RouteTarget::InternetGateway(format!("igw-{n}")),
                }],
            },
            RouteTable { id: format!("rtb-{n}-private"), routes: vec![] },
        ],
        network_acls: vec![allow_all_acl(&format!("acl-{n}"))],
        security_groups: vec![group(&format!("sg-{n}-default"), vec![tcp(22, SgPeer::Cidr(Cidr::any()))])],
    }
}

/// An instance of the base image in `vpc`'s `subnet` ("public" or "private") at host `host`.
pub fn instance(id: &str, vpc: u8, subnet: &str, host: u8, public: bool) -> Instance {
    let third = if subnet == "public" { 1 } else { 2 };
    Instance {
        id: id.into(),
        vpc: format!("vpc-{vpc}"),
        subnet: format!("subnet-{vpc}-{subnet}"),
        private_ip: Ipv4Addr::new(10, vpc, third, host),
        public_ip: public.then(|| Ipv4Addr::new(54, 0, vpc, host)),
        mac: format!("02:00:0a:{vpc:02x}:{third:02x}:{host:02x}"),
        interface_id: format!("eni-{id}"),
        security_groups: vec![format!("sg-{vpc}-default")],
        security_group_names: vec!["default".into()],
        image_id: "ami-base".into(),
        default_user: "ec2-user".into(),
        key_name: None,
        public_key: None,
        user_data: None,
        power: Power::Running,
        boot_generation: 0,
        metadata: MetadataOptions::default(),
        identity: Identity {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            availability_zone: "us-east-1a".into(),
            instance_type: "t3.micro".into(),
            subnet_cidr: Some(Cidr { addr: Ipv4Addr::new(10, vpc, third, 0), len: 24 }),
            vpc_cidrs: vec![Cidr { addr: Ipv4Addr::new(10, vpc, 0, 0), len: 16 }],
            ..Identity::default()
        },
        vcpus: 2,
        memory_mib: 256,
        iam: None,
        volumes: vec![],
        secondary_ips: vec![],
    }
}

/// Waits (bounded) until every instance of `ids` has sshd listening; returns the time it took.
pub fn wait_ready(rt: &Runtime, ids: &[&str]) -> Duration {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(30);
    loop {
        let ready = ids.iter().all(|id| rt.report(id).is_some_and(|r| r.ssh_ready));
        if ready {
            return start.elapsed();
        }
        if Instant::now() > deadline {
            for id in ids {
                let console = rt.console_output(id, 4000).unwrap_or_default();
                eprintln!("{id}: {:?}\n{}", rt.report(id), String::from_utf8_lossy(&console));
            }
            panic!("instances not ready within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `from` (an instance) opens a TCP connection to `to:port` within a second.
pub fn tcp_open(rt: &Runtime, from: &str, to: Ipv4Addr, port: u16) -> bool {
    let (code, _) = rt.exec(from, &["nc", "-z", "-w", "1", &to.to_string(), &port.to_string()]).unwrap();
    code == 0
}

/// Starts a TCP server on `port` inside `id` (python's http.server, in the background).
pub fn serve(rt: &Runtime, id: &str, port: u16) {
    let cmd = format!("nohup python3 -m http.server {port} >/dev/null 2>&1 &");
    let (code, out) = rt.exec(id, &["sh", "-c", &cmd]).unwrap();
    assert_eq!(code, 0, "{out}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let (code, _) =
            rt.exec(id, &["sh", "-c", &format!("grep -q ':{port:04X} 00000000:0000 0A' /proc/net/tcp")]).unwrap();
        if code == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server on {id}:{port} did not start");
}

/// Lines of the host's own addresses, routes, rules and nftables ruleset that mention
/// any of `needles` (emulated addresses): there must be none.
pub fn host_mentions(needles: &[&str]) -> Vec<String> {
    let mut text = String::new();
    for args in [&["-4", "addr"][..], &["-4", "route", "show", "table", "all"], &["rule"]] {
        let out = Command::new("ip").args(args).output().unwrap();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    let out = Command::new("nft").args(["list", "ruleset"]).output().unwrap();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    text.lines().filter(|l| needles.iter().any(|n| l.contains(n))).map(String::from).collect()
}
