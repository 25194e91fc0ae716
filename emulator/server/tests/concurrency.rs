//! 32 clients on real sockets, signed, creating, tagging and deleting subnets,
//! interfaces, instances and security-group rules in one VPC at once. Afterwards the
//! partition must be consistent: no duplicate private IPs, no lost tags, no orphaned
//! attachments, every acknowledged create visible unless its creator deleted it, every
//! DependencyViolation where AWS gives one, no rule lost or duplicated. A watchdog fails
//! the test rather than let a deadlock hang it.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use support::{send, Req, Resp, Server};

const CLIENTS: usize = 32;
const ROUNDS: usize = 10;

/// splitmix64: a seeded, dependency-free generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn ec2(addr: SocketAddr, params: &str) -> Resp {
    let body = format!("Action={params}&Version=2016-11-15");
    send(addr, &Req::form("ec2", &body).to_bytes(addr))
}

/// A successful EC2 call's body.
fn ok(addr: SocketAddr, params: &str) -> String {
    let r = ec2(addr, params);
    assert_eq!(r.status, 200, "{params}: {}", r.text());
    r.text()
}

/// The text of the first `<tag>` element.
fn first(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {xml}")) + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    xml[start..end].to_string()
}

/// What one client did and was told.
#[derive(Default)]
struct Log {
    /// Subnets it created and kept, with the tag it put on each.
    subnets: Vec<(String, String)>,
    /// Subnets it created and then deleted.
    deleted_subnets: Vec<String>,
    /// Interfaces it created and kept: (id, subnet, private IP).
    interfaces: Vec<(String, String, String)>,
    deleted_interfaces: Vec<String>,
    /// Instances it launched and kept running: (id, private IP).
    instances: Vec<(String, String)>,
    terminated: Vec<String>,
    /// Tags it put on the shared subnet and the shared group.
    shared_tags: Vec<(String, String)>,
    /// Ingress ports it opened on the shared group and left open.
    rules: BTreeSet<i64>,
    /// Ports it opened and then revoked.
    revoked: BTreeSet<i64>,
    dependency_violations: usize,
}

struct Shared {
    vpc: String,
    subnet: String,
    group: String,
    image: String,
}

fn client(addr: SocketAddr, n: usize, shared: &Shared) -> Log {
    let mut rng = Rng(0x5eed_0000 + n as u64);
    let mut log = Log::default();
    for round in 0..ROUNDS {
        // A subnet of its own (distinct CIDRs: 10.0.<16+n>.<16*round>/28), tagged.
        let cidr = format!("10.0.{}.{}/28", 16 + n, 16 * round);
        let subnet = first(&ok(addr, &format!("CreateSubnet&VpcId={}&CidrBlock={cidr}", shared.vpc)), "subnetId");
        let owner = format!("c{n}r{round}");
        ok(addr, &format!("CreateTags&ResourceId.1={subnet}&Tag.1.Key=owner&Tag.1.Value={owner}"));

        // An interface in it: the subnet cannot go while the interface is there.
        let created = ok(addr, &format!("CreateNetworkInterface&SubnetId={subnet}"));
        let eni = first(&created, "networkInterfaceId");
        let eni_ip = first(&created, "privateIpAddress");
        let r = ec2(addr, &format!("DeleteSubnet&SubnetId={subnet}"));
        assert_eq!((r.status, r.error_code().as_deref()), (400, Some("DependencyViolation")), "{}", r.text());
        log.dependency_violations += 1;

        // An interface in the shared subnet too, now and then.
        if rng.chance(50) {
            let created = ok(addr, &format!("CreateNetworkInterface&SubnetId={}", shared.subnet));
            let id = first(&created, "networkInterfaceId");
            let ip = first(&created, "privateIpAddress");
            ok(addr, &format!("CreateTags&ResourceId.1={id}&Tag.1.Key=owner&Tag.1.Value={owner}"));
            log.interfaces.push((id, shared.subnet.clone(), ip));
        }

        // An instance in the shared subnet, in the shared group, tagged at launch.
        let launched = ok(
            addr,
            &format!(
                "RunInstances&ImageId={}&InstanceType=t3.micro&MinCount=1&MaxCount=1&SubnetId={}&SecurityGroupId.1={}\
                 &TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=owner&TagSpecification.1.Tag.1.Value={owner}",
                shared.image, shared.subnet, shared.group
            ),
        );
        let instance = first(&launched, "instanceId");
        let instance_ip = first(&launched, "privateIpAddress");

        // Tags on the shared resources, one key per client (AWS allows 50 tags a
        // resource), rewritten every round.
        let key = format!("k-c{n}");
        ok(
            addr,
            &format!(
                "CreateTags&ResourceId.1={}&ResourceId.2={}&Tag.1.Key={key}&Tag.1.Value=v{}",
                shared.subnet,
                shared.group,
                rng.next() % 1000
            ),
        );
        let value = {
            // What was acknowledged last for this key is what must remain.
            let v = format!("w{}", rng.next() % 1000);
            ok(
                addr,
                &format!(
                    "CreateTags&ResourceId.1={}&ResourceId.2={}&Tag.1.Key={key}&Tag.1.Value={v}",
                    shared.subnet, shared.group
                ),
            );
            v
        };
        log.shared_tags.retain(|(k, _)| *k != key);
        log.shared_tags.push((key, value));

        // A rule on the shared group (at most one open per client: AWS allows 60 a
        // group): the previous round's goes first, the new one sometimes goes at once.
        let perm = |port: i64, round: usize| {
            format!(
                "GroupId={}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort={port}&IpPermissions.1.ToPort={port}\
                 &IpPermissions.1.IpRanges.1.CidrIp=10.{n}.{round}.0/24",
                shared.group
            )
        };
        if let Some(open) = log.rules.pop_first() {
            ok(addr, &format!("RevokeSecurityGroupIngress&{}", perm(open, round - 1)));
            log.revoked.insert(open);
        }
        let port = 1000 + (n * ROUNDS + round) as i64;
        ok(addr, &format!("AuthorizeSecurityGroupIngress&{}", perm(port, round)));
        let again = ec2(addr, &format!("AuthorizeSecurityGroupIngress&{}", perm(port, round)));
        assert_eq!(again.error_code().as_deref(), Some("InvalidPermission.Duplicate"), "{}", again.text());
        if rng.chance(40) {
            ok(addr, &format!("RevokeSecurityGroupIngress&{}", perm(port, round)));
            log.revoked.insert(port);
        } else {
            log.rules.insert(port);
        }

        // The shared subnet and group are in use by everyone's instances.
        if rng.chance(25) {
            let r = ec2(addr, &format!("DeleteSubnet&SubnetId={}", shared.subnet));
            assert_eq!(r.error_code().as_deref(), Some("DependencyViolation"), "{}", r.text());
            log.dependency_violations += 1;
        }
        if rng.chance(25) {
            let r = ec2(addr, &format!("DeleteSecurityGroup&GroupId={}", shared.group));
            assert_eq!(r.error_code().as_deref(), Some("DependencyViolation"), "{}", r.text());
            log.dependency_violations += 1;
        }

        // Clean up the own subnet (interface first, then the subnet) or keep both.
        if rng.chance(50) {
            ok(addr, &format!("DeleteNetworkInterface&NetworkInterfaceId={eni}"));
            ok(addr, &format!("DeleteSubnet&SubnetId={subnet}"));
            log.deleted_interfaces.push(eni);
            log.deleted_subnets.push(subnet);
        } else {
            log.interfaces.push((eni, subnet.clone(), eni_ip));
            log.subnets.push((subnet, owner));
        }
        if rng.chance(40) {
            ok(addr, &format!("TerminateInstances&InstanceId.1={instance}"));
            log.terminated.push(instance);
        } else {
            log.instances.push((instance, instance_ip));
        }
    }
    log
}

fn setup(s: &Server) -> Shared {
    let addr = s.addr;
    let vpc = first(&ok(addr, "CreateVpc&CidrBlock=10.0.0.0/16"), "vpcId");
    let subnet = first(&ok(addr, &format!("CreateSubnet&VpcId={vpc}&CidrBlock=10.0.0.0/20")), "subnetId");
    let group = first(
        &ok(addr, &format!("CreateSecurityGroup&GroupName=shared&GroupDescription=shared&VpcId={vpc}")),
        "groupId",
    );
    let images = ok(addr, "DescribeImages&Owner.1=amazon&Filter.1.Name=architecture&Filter.1.Value.1=x86_64");
    let image = first(&images, "imageId");
    Shared { vpc, subnet, group, image }
}

#[test]
fn thirty_two_clients_in_one_vpc_leave_it_consistent() {
    let s = Server::start(nimbus_server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        max_connections: 256,
        ..nimbus_server::Config::default()
    });
    let shared = std::sync::Arc::new(setup(&s));
    let addr = s.addr;

    // The watchdog: all clients must be done within two minutes.
    let (done_tx, done_rx) = mpsc::channel::<(usize, Log)>();
    for n in 0..CLIENTS {
        let done = done_tx.clone();
        let shared = shared.clone();
        std::thread::spawn(move || {
            let log = client(addr, n, &shared);
            let _ = done.send((n, log));
        });
    }
    drop(done_tx);
    let mut logs = BTreeMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while logs.len() < CLIENTS {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match done_rx.recv_timeout(left) {
            Ok((n, log)) => {
                logs.insert(n, log);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("deadlock or livelock: only {} of {CLIENTS} clients finished in 120 s", logs.len())
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("a client failed (see its panic above); {} finished", logs.len())
            }
        }
    }

    // The dump shows stored lifecycle states; a Describe first settles them (with the
    // default 0 s transitions) as any request to an unsettled partition does.
    ok(addr, "DescribeInstances");
    let state = s.state();
    let p = &state["ec2"]["000000000000"]["us-east-1"];
    let subnets = p["subnets"].as_object().unwrap();
    let interfaces = p["network_interfaces"].as_object().unwrap();
    let instances = p["instances"].as_object().unwrap();
    let tags = &p["tags"];

    // No duplicate private IPs in any subnet, and the subnet's used set agrees.
    let mut by_subnet: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for eni in interfaces.values() {
        let subnet = eni["SubnetId"].as_str().unwrap();
        by_subnet.entry(subnet).or_default().push(eni["PrivateIpAddress"].as_str().unwrap());
    }
    for (subnet, ips) in &by_subnet {
        let unique: BTreeSet<&&str> = ips.iter().collect();
        assert_eq!(unique.len(), ips.len(), "duplicate private IPs in {subnet}: {ips:?}");
        let used = subnets[*subnet]["used_ips"].as_array().unwrap().len();
        assert!(used >= ips.len(), "{subnet}: {used} addresses marked used for {} interfaces", ips.len());
    }

    // No interface attached to a missing or terminated instance; every live instance's
    // primary interface exists and points back at it.
    for (id, eni) in interfaces {
        if let Some(attached) = eni["Attachment"]["InstanceId"].as_str() {
            let i = instances.get(attached).unwrap_or_else(|| panic!("{id} attached to missing {attached}"));
            assert_ne!(i["stored_state"], "terminated", "{id} attached to terminated {attached}");
        }
    }
    for (id, i) in instances {
        if i["stored_state"] != "terminated" {
            let primary = i["primary_interface"].as_str().unwrap();
            assert_eq!(interfaces[primary]["Attachment"]["InstanceId"], id.as_str(), "{id}'s primary interface");
        }
    }

    let mut expected_rules = BTreeSet::new();
    let mut violations = 0;
    let mut instance_ips = BTreeSet::new();
    for (n, log) in &logs {
        violations += log.dependency_violations;
        // Every acknowledged create still there, with its tags, unless its creator deleted it.
        for (subnet, owner) in &log.subnets {
            assert!(subnets.contains_key(subnet), "client {n}: subnet {subnet} lost");
            assert_eq!(tags[subnet]["owner"], owner.as_str(), "client {n}: tag on {subnet}");
        }
        for subnet in &log.deleted_subnets {
            assert!(!subnets.contains_key(subnet), "client {n}: deleted subnet {subnet} is back");
            assert!(tags.get(subnet).is_none(), "client {n}: deleted subnet {subnet} kept its tags");
        }
        for (eni, subnet, ip) in &log.interfaces {
            let e = interfaces.get(eni).unwrap_or_else(|| panic!("client {n}: interface {eni} lost"));
            assert_eq!(
                (e["SubnetId"].as_str(), e["PrivateIpAddress"].as_str()),
                (Some(subnet.as_str()), Some(ip.as_str()))
            );
        }
        for eni in &log.deleted_interfaces {
            assert!(!interfaces.contains_key(eni), "client {n}: deleted interface {eni} is back");
        }
        for (id, ip) in &log.instances {
            let i = instances.get(id).unwrap_or_else(|| panic!("client {n}: instance {id} lost"));
            assert_eq!(i["stored_state"], "running", "client {n}: {id}");
            assert_eq!(i["instance"]["PrivateIpAddress"], ip.as_str(), "client {n}: {id}");
            assert!(tags[id]["owner"].as_str().is_some_and(|o| o.starts_with(&format!("c{n}r"))), "client {n}: {id}");
            assert!(instance_ips.insert(ip.clone()), "client {n}: {ip} given twice");
        }
        for id in &log.terminated {
            assert_eq!(instances[id]["stored_state"], "terminated", "client {n}: {id}");
        }
        for (key, value) in &log.shared_tags {
            assert_eq!(tags[&shared.subnet][key], value.as_str(), "client {n}: tag {key} on the shared subnet");
            assert_eq!(tags[&shared.group][key], value.as_str(), "client {n}: tag {key} on the shared group");
        }
        expected_rules.extend(log.rules.iter().copied());
    }
    assert!(violations >= CLIENTS * ROUNDS);

    // The shared group has exactly the rules left open: none lost, none duplicated.
    let rules: Vec<i64> = p["security_groups"][&shared.group]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["egress"] == false)
        .map(|r| r["from_port"].as_i64().unwrap())
        .collect();
    let unique: BTreeSet<i64> = rules.iter().copied().collect();
    assert_eq!(unique.len(), rules.len(), "duplicated rules: {rules:?}");
    assert_eq!(unique, expected_rules);

    // The API agrees with the state dump: every kept instance described, running.
    let kept: Vec<&String> = logs.values().flat_map(|l| l.instances.iter().map(|(id, _)| id)).collect();
    let params: String = kept.iter().enumerate().map(|(i, id)| format!("&InstanceId.{}={id}", i + 1)).collect();
    let described = ok(addr, &format!("DescribeInstances{params}"));
    for id in &kept {
        assert!(described.contains(&format!("<instanceId>{id}</instanceId>")), "{id} not described");
    }
    assert_eq!(described.matches("<name>running</name>").count(), kept.len());
    let _: &Value = p;
}

/// Requests refused for what they ask (not how they are written) change nothing either:
/// a multi-resource request with one bad member is refused whole, as AWS does.
#[test]
fn refused_multi_resource_requests_change_nothing() {
    let s = Server::new();
    let shared = setup(&s);
    let addr = s.addr;
    let small = first(&ok(addr, &format!("CreateSubnet&VpcId={}&CidrBlock=10.0.16.0/28", shared.vpc)), "subnetId");
    let launched = ok(
        addr,
        &format!(
            "RunInstances&ImageId={}&InstanceType=t3.micro&MinCount=1&MaxCount=1&SubnetId={}&SecurityGroupId.1={}",
            shared.image, shared.subnet, shared.group
        ),
    );
    let instance = first(&launched, "instanceId");
    ok(
        addr,
        &format!(
            "AuthorizeSecurityGroupIngress&GroupId={}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8",
            shared.group
        ),
    );
    ok(addr, "DescribeInstances");
    let cases = [
        (
            format!("CreateTags&ResourceId.1={}&ResourceId.2=vpc-0123456789abcdef0&Tag.1.Key=k&Tag.1.Value=v", shared.vpc),
            "InvalidVpcID.NotFound",
        ),
        (format!("TerminateInstances&InstanceId.1={instance}&InstanceId.2=i-0123456789abcdef0"), "InvalidInstanceID.NotFound"),
        (
            format!(
                "RunInstances&ImageId={}&InstanceType=t3.micro&MinCount=12&MaxCount=12&SubnetId={small}",
                shared.image
            ),
            "InsufficientFreeAddressesInSubnet",
        ),
        (
            format!(
                "AuthorizeSecurityGroupIngress&GroupId={}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8\
                 &IpPermissions.2.IpProtocol=tcp&IpPermissions.2.FromPort=22&IpPermissions.2.ToPort=22&IpPermissions.2.IpRanges.1.CidrIp=10.0.0.0/8",
                shared.group
            ),
            "InvalidPermission.Duplicate",
        ),
        (format!("DeleteSecurityGroup&GroupId={}", shared.group), "DependencyViolation"),
        (format!("DeleteVpc&VpcId={}", shared.vpc), "DependencyViolation"),
    ];
    let mut failures = Vec::new();
    for (params, code) in &cases {
        let before = s.state();
        let r = ec2(addr, params);
        if r.error_code().as_deref() != Some(*code) {
            failures.push(format!("{params}: want {code}, got {} {:?}", r.status, r.error_code()));
        }
        if s.state() != before {
            failures.push(format!("{params}: state changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
