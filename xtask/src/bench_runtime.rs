//! `cargo xtask bench instances` (root; with `--instances run`'s host tools): the
//! runtime's figures for docs/benchmarks.md, using nimbus-runtime directly.
//!
//! - launch to SSH-ready: converge with one new instance until its sshd sends its banner
//!   to a connection from the internet namespace (median and worst of 5);
//! - 50 running instances on this machine: time until all answer SSH, memory per
//!   instance (the cgroups' own figure, and the fall in the host's MemAvailable), and a
//!   security-group change converged across all of them.

use std::io::Read;
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant};

use nimbus_runtime::desired::*;
use nimbus_runtime::{Runtime, RuntimeConfig};

use crate::{root, Result};

fn vpc() -> Vpc {
    let any = Cidr::any();
    let all = |n| AclEntry { rule_number: n, protocol: Protocol::All, ports: Ports::Any, cidr: any, allow: true };
    let rule =
        |port| SgRule { protocol: Protocol::Tcp, ports: Ports::Range(port, port), peers: vec![SgPeer::Cidr(any)] };
    let egress = vec![SgRule { protocol: Protocol::All, ports: Ports::Any, peers: vec![SgPeer::Cidr(any)] }];
    Vpc {
        id: "vpc-bench".into(),
        cidrs: vec![Cidr::parse("10.9.0.0/16").unwrap()],
        internet_gateway: Some("igw-bench".into()),
        subnets: vec![Subnet {
            id: "subnet-bench".into(),
            cidr: Cidr::parse("10.9.1.0/24").unwrap(),
            route_table: "rtb-bench".into(),
            network_acl: "acl-bench".into(),
        }],
        route_tables: vec![RouteTable {
            id: "rtb-bench".into(),
            routes: vec![Route { destination: any, target: RouteTarget::InternetGateway("igw-bench".into()) }],
        }],
        network_acls: vec![NetworkAcl { id: "acl-bench".into(), ingress: vec![all(100)], egress: vec![all(100)] }],
        security_groups: vec![SecurityGroup { id: "sg-bench".into(), ingress: vec![rule(22)], egress }],
    }
}

fn instance(n: u8) -> Instance {
    Instance {
        id: format!("i-bench{n:03}"),
        vpc: "vpc-bench".into(),
        subnet: "subnet-bench".into(),
        private_ip: Ipv4Addr::new(10, 9, 1, 10 + n),
        public_ip: Some(Ipv4Addr::new(54, 9, 1, 10 + n)),
        mac: format!("02:00:0a:09:01:{:02x}", 10 + n),
        interface_id: format!("eni-bench{n:03}"),
        security_groups: vec!["sg-bench".into()],
        security_group_names: vec!["bench".into()],
        image_id: "ami-base".into(),
        default_user: "ec2-user".into(),
        key_name: None,
        public_key: None,
        user_data: None,
        power: Power::Running,
        boot_generation: 0,
        metadata: MetadataOptions::default(),
        identity: Identity { instance_type: "t3.micro".into(), ..Identity::default() },
        vcpus: 2,
        memory_mib: 1024,
        iam: None,
        volumes: vec![],
        secondary_ips: vec![],
    }
}

fn ssh_banner(rt: &Runtime, ip: Ipv4Addr) -> bool {
    let Ok(mut s) = rt.connect(ip, 22, Duration::from_millis(500)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut b = [0u8; 8];
    s.read_exact(&mut b).is_ok() && &b == b"SSH-2.0-"
}

fn wait_ssh(rt: &Runtime, ips: &[Ipv4Addr], limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    let mut pending: Vec<Ipv4Addr> = ips.to_vec();
    while !pending.is_empty() {
        if Instant::now() > deadline {
            return Err(format!("{} instances not SSH-ready within {limit:?}", pending.len()));
        }
        pending.retain(|ip| !ssh_banner(rt, *ip));
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    Ok(())
}

fn mem_available_kib() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub fn instances() -> Result {
    let root = root();
    let status =
        Command::new(root.join("emulator/runtime/images/build-base.sh")).status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("building the base image failed".into());
    }
    let base = root.join("target/nimbus-images/debian-bookworm/rootfs");
    let data = std::env::temp_dir().join(format!("nimbus-bench-{}", std::process::id()));
    let mut config = RuntimeConfig::new(&format!("bench{}", std::process::id()), data, base);
    config.stop_grace = Duration::from_secs(1);
    let rt = Runtime::start(config).map_err(|e| e.to_string())?;
    let mut desired = Desired { vpcs: vec![vpc()], ..Desired::default() };
    rt.converge(&desired).map_err(|e| e.to_string())?;

    println!("\n== instances (nimbus-runtime on runc, release build)");
    let mut launches = Vec::new();
    for n in 0..5u8 {
        let inst = instance(n);
        let ip = inst.public_ip.unwrap();
        desired.instances = vec![inst];
        let t = Instant::now();
        rt.converge(&desired).map_err(|e| e.to_string())?;
        wait_ssh(&rt, &[ip], Duration::from_secs(30))?;
        launches.push(t.elapsed());
        desired.instances.clear();
        rt.converge(&desired).map_err(|e| e.to_string())?;
    }
    launches.sort();
    println!(
        "launch to SSH-ready (banner through the internet gateway), 5 launches: median {:.0} ms, worst {:.0} ms",
        launches[2].as_secs_f64() * 1000.0,
        launches[4].as_secs_f64() * 1000.0
    );

    let before = mem_available_kib();
    desired.instances = (0..50u8).map(instance).collect();
    let ips: Vec<Ipv4Addr> = desired.instances.iter().filter_map(|i| i.public_ip).collect();
    let t = Instant::now();
    rt.converge(&desired).map_err(|e| e.to_string())?;
    let converged = t.elapsed();
    wait_ssh(&rt, &ips, Duration::from_secs(300))?;
    let ready = t.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let after = mem_available_kib();
    let samples = rt.sample();
    let cgroup_total: u64 = samples.iter().map(|s| s.memory_bytes).sum();
    println!(
        "50 instances: converge {:.2} s, all SSH-ready after {:.2} s",
        converged.as_secs_f64(),
        ready.as_secs_f64()
    );
    println!(
        "memory per running instance: {:.1} MiB by its cgroup (page cache included), {:.1} MiB fall in MemAvailable",
        cgroup_total as f64 / samples.len().max(1) as f64 / 1048576.0,
        before.saturating_sub(after) as f64 / 50.0 / 1024.0
    );
    desired.vpcs[0].security_groups[0].ingress.push(SgRule {
        protocol: Protocol::Tcp,
        ports: Ports::Range(80, 80),
        peers: vec![SgPeer::Cidr(Cidr::any())],
    });
    let t = Instant::now();
    rt.converge(&desired).map_err(|e| e.to_string())?;
    println!("a security-group rule added, converged on 50 instances: {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
    let t = Instant::now();
    rt.shutdown().map_err(|e| e.to_string())?;
    println!("shutdown with 50 running instances: {:.2} s", t.elapsed().as_secs_f64());
    Ok(())
}
