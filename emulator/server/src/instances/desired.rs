//! EC2's state, as `Service::snapshot` serialises it (AWS's own member names for the
//! resources, snake_case for nimbus's records), turned into the runtime's desired state.
//! Reading the snapshot keeps this glue out of EC2's internals; every partition (account
//! and region) is read, and an instance's whole VPC comes along with it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use base64::Engine;
use nimbus_runtime::desired::*;
use serde_json::Value;

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn map(v: &Value, key: &str) -> Vec<(String, Value)> {
    v.get(key)
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn ports(protocol: Protocol, from: Option<i64>, to: Option<i64>) -> Ports {
    match protocol {
        Protocol::Icmp => Ports::Icmp { icmp_type: from.unwrap_or(-1) as i32, code: to.unwrap_or(-1) as i32 },
        Protocol::Tcp | Protocol::Udp => match (from, to) {
            (Some(f), Some(t)) if f >= 0 && t >= 0 => Ports::Range(f as u16, t as u16),
            _ => Ports::Any,
        },
        _ => Ports::Any,
    }
}

/// The default login user of an image, from its name (AWS's catalogue naming).
pub fn default_user(image_name: &str) -> &'static str {
    let n = image_name.to_ascii_lowercase();
    if n.contains("ubuntu") {
        "ubuntu"
    } else if n.contains("debian") {
        "admin"
    } else {
        "ec2-user"
    }
}

/// An image the runtime must know: one CreateImage made from an instance, or one
/// RegisterImage made of a root filesystem on this host (`ImageLocation=file:///dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baked {
    pub image_id: String,
    pub default_user: String,
    pub source: BakedFrom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BakedFrom {
    /// The instance's disk, copied live with CreateImage's NoReboot, else across a reboot.
    Instance { instance_id: String, no_reboot: bool },
    /// A directory of this host, used in place.
    RootFilesystem(std::path::PathBuf),
}

/// The desired state of every partition of an EC2 snapshot, and the images made from
/// instances. `image_names` gives the names of catalogue images (the snapshot holds only
/// the accounts' own).
pub fn from_snapshot(snapshot: &Value, image_names: &dyn Fn(&str, &str) -> Option<String>) -> (Desired, Vec<Baked>) {
    let mut d = Desired::default();
    let mut baked = Vec::new();
    let Some(accounts) = snapshot.as_object() else { return (d, baked) };
    for (account, regions) in accounts {
        let Some(regions) = regions.as_object() else { continue };
        for (region, p) in regions {
            let first = d.instances.len();
            partition(&mut d, account, region, p, image_names);
            for (id, r) in map(p, "images") {
                if s(&r["image"], "State") == "deregistered" {
                    continue;
                }
                if let Some(dir) = s(&r["image"], "ImageLocation").strip_prefix("file://") {
                    baked.push(Baked {
                        image_id: id,
                        default_user: "ec2-user".into(),
                        source: BakedFrom::RootFilesystem(dir.into()),
                    });
                    continue;
                }
                let Some(source) = r["image"].get("SourceInstanceId").and_then(Value::as_str) else { continue };
                let user = d.instances[first..].iter().find(|i| i.id == source).map(|i| i.default_user.clone());
                baked.push(Baked {
                    image_id: id,
                    default_user: user.unwrap_or_else(|| "ec2-user".into()),
                    source: BakedFrom::Instance {
                        instance_id: source.to_string(),
                        no_reboot: r["no_reboot"].as_bool().unwrap_or(false),
                    },
                });
            }
        }
    }
    (d, baked)
}

fn partition(
    d: &mut Desired,
    account: &str,
    region: &str,
    p: &Value,
    image_names: &dyn Fn(&str, &str) -> Option<String>,
) {
    let prefix_lists: BTreeMap<String, Vec<Cidr>> = map(p, "prefix_lists")
        .into_iter()
        .map(|(id, r)| {
            let version = r["list"]["Version"].as_i64().unwrap_or(0).to_string();
            let entries = r["versions"][&version].as_array().cloned().unwrap_or_default();
            (id, entries.iter().filter_map(|e| Cidr::parse(s(e, "Cidr"))).collect())
        })
        .collect();
    let igw_of: BTreeMap<String, String> = map(p, "internet_gateways")
        .into_iter()
        .flat_map(|(id, g)| {
            list(&g, "Attachments")
                .filter(|a| matches!(s(a, "State"), "available" | "attached"))
                .map(|a| (s(a, "VpcId").to_string(), id.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut groups_by_vpc: BTreeMap<String, Vec<SecurityGroup>> = BTreeMap::new();
    let mut group_names: BTreeMap<String, String> = BTreeMap::new();
    for (id, g) in map(p, "security_groups") {
        group_names.insert(id.clone(), s(&g, "group_name").to_string());
        let mut sg = SecurityGroup { id: id.clone(), ingress: vec![], egress: vec![] };
        for r in list(&g, "rules") {
            let Some(protocol) = Protocol::parse(s(r, "protocol")) else { continue };
            let ports = ports(protocol, r["from_port"].as_i64(), r["to_port"].as_i64());
            let peer = &r["peer"];
            let peers: Vec<SgPeer> = if let Some(c) = peer.get("Ipv4").and_then(Value::as_str) {
                Cidr::parse(c).into_iter().map(SgPeer::Cidr).collect()
            } else if let Some(pl) = peer.get("PrefixList").and_then(Value::as_str) {
                prefix_lists.get(pl).into_iter().flatten().map(|c| SgPeer::Cidr(*c)).collect()
            } else if let Some(g) = peer.get("Group") {
                vec![SgPeer::Group(s(g, "group_id").to_string())]
            } else {
                vec![] // IPv6: instances have no IPv6
            };
            if peers.is_empty() {
                continue;
            }
            let rule = SgRule { protocol, ports, peers };
            if r["egress"].as_bool().unwrap_or(false) {
                sg.egress.push(rule);
            } else {
                sg.ingress.push(rule);
            }
        }
        groups_by_vpc.entry(s(&g, "vpc_id").to_string()).or_default().push(sg);
    }
    let mut acls_by_vpc: BTreeMap<String, Vec<NetworkAcl>> = BTreeMap::new();
    let mut acl_of_subnet: BTreeMap<String, String> = BTreeMap::new();
    for (id, a) in map(p, "network_acls") {
        let mut acl = NetworkAcl { id: id.clone(), ingress: vec![], egress: vec![] };
        for e in list(&a, "Entries") {
            let (Some(protocol), Some(cidr)) = (Protocol::parse(s(e, "Protocol")), Cidr::parse(s(e, "CidrBlock")))
            else {
                continue;
            };
            let ports = match protocol {
                Protocol::Icmp => Ports::Icmp {
                    icmp_type: e["IcmpTypeCode"]["Type"].as_i64().unwrap_or(-1) as i32,
                    code: e["IcmpTypeCode"]["Code"].as_i64().unwrap_or(-1) as i32,
                },
                _ => ports(protocol, e["PortRange"]["From"].as_i64(), e["PortRange"]["To"].as_i64()),
            };
            let entry = AclEntry {
                rule_number: e["RuleNumber"].as_u64().unwrap_or(32767) as u32,
                protocol,
                ports,
                cidr,
                allow: s(e, "RuleAction") == "allow",
            };
            if e["Egress"].as_bool().unwrap_or(false) {
                acl.egress.push(entry);
            } else {
                acl.ingress.push(entry);
            }
        }
        for assoc in list(&a, "Associations") {
            acl_of_subnet.insert(s(assoc, "SubnetId").to_string(), id.clone());
        }
        acls_by_vpc.entry(s(&a, "VpcId").to_string()).or_default().push(acl);
    }
    let mut tables_by_vpc: BTreeMap<String, Vec<RouteTable>> = BTreeMap::new();
    let mut table_of_subnet: BTreeMap<String, String> = BTreeMap::new();
    let mut main_table: BTreeMap<String, String> = BTreeMap::new();
    for (id, t) in map(p, "route_tables") {
        let mut routes = Vec::new();
        for r in list(&t, "Routes") {
            let dests: Vec<Cidr> = match Cidr::parse(s(r, "DestinationCidrBlock")) {
                Some(c) => vec![c],
                None => prefix_lists.get(s(r, "DestinationPrefixListId")).cloned().unwrap_or_default(),
            };
            let gateway = s(r, "GatewayId");
            let target = if s(r, "State") == "blackhole" {
                RouteTarget::Blackhole
            } else if gateway == "local" {
                continue;
            } else if gateway.starts_with("igw-") {
                RouteTarget::InternetGateway(gateway.to_string())
            } else if !s(r, "NatGatewayId").is_empty() {
                RouteTarget::NatGateway(s(r, "NatGatewayId").to_string())
            } else if !s(r, "VpcPeeringConnectionId").is_empty() {
                RouteTarget::Peering(s(r, "VpcPeeringConnectionId").to_string())
            } else if !s(r, "InstanceId").is_empty() {
                RouteTarget::Instance(s(r, "InstanceId").to_string())
            } else {
                RouteTarget::Blackhole
            };
            routes.extend(dests.into_iter().map(|destination| Route { destination, target: target.clone() }));
        }
        for assoc in list(&t, "Associations") {
            if assoc["Main"].as_bool().unwrap_or(false) {
                main_table.insert(s(&t, "VpcId").to_string(), id.clone());
            } else if !s(assoc, "SubnetId").is_empty() {
                table_of_subnet.insert(s(assoc, "SubnetId").to_string(), id.clone());
            }
        }
        tables_by_vpc.entry(s(&t, "VpcId").to_string()).or_default().push(RouteTable { id, routes });
    }
    let mut subnets_by_vpc: BTreeMap<String, Vec<Subnet>> = BTreeMap::new();
    let mut subnet_cidr: BTreeMap<String, Cidr> = BTreeMap::new();
    for (id, r) in map(p, "subnets") {
        let sub = &r["subnet"];
        let Some(cidr) = Cidr::parse(s(sub, "CidrBlock")) else { continue };
        let vpc = s(sub, "VpcId").to_string();
        subnet_cidr.insert(id.clone(), cidr);
        let route_table = table_of_subnet.get(&id).or_else(|| main_table.get(&vpc)).cloned().unwrap_or_default();
        let network_acl = acl_of_subnet.get(&id).cloned().unwrap_or_default();
        subnets_by_vpc.entry(vpc).or_default().push(Subnet { id, cidr, route_table, network_acl });
    }

    // Public addresses: Elastic IPs by interface, then the ones given at launch.
    let mut public_of: BTreeMap<String, Ipv4Addr> = BTreeMap::new();
    for (eni, ip) in map(p, "auto_public_ips") {
        if let Some(ip) = ip.as_str().and_then(|i| i.parse().ok()) {
            public_of.insert(eni, ip);
        }
    }
    for (_, a) in map(p, "addresses") {
        let addr = &a["address"];
        if let (Some(eni), Some(ip)) =
            (addr.get("NetworkInterfaceId").and_then(Value::as_str), s(addr, "PublicIp").parse::<Ipv4Addr>().ok())
        {
            public_of.insert(eni.to_string(), ip);
        }
    }
    let interfaces: BTreeMap<String, Value> = map(p, "network_interfaces").into_iter().collect();
    let keys: BTreeMap<String, String> = map(p, "key_pairs")
        .into_iter()
        .map(|(_, k)| (s(&k, "KeyName").to_string(), s(&k, "PublicKey").to_string()))
        .collect();
    let own_images: BTreeMap<String, String> =
        map(p, "images").into_iter().map(|(id, r)| (id, s(&r["image"], "Name").to_string())).collect();

    let mut vpcs_in_use: BTreeSet<String> = BTreeSet::new();
    for (id, r) in map(p, "instances") {
        let power = match s(&r, "stored_state") {
            "pending" | "running" => Power::Running,
            "stopping" | "stopped" => Power::Stopped,
            _ => continue,
        };
        let i = &r["instance"];
        let eni_id = s(&r, "primary_interface").to_string();
        let Some(eni) = interfaces.get(&eni_id) else { continue };
        let Ok(private_ip) = s(i, "PrivateIpAddress").parse::<Ipv4Addr>() else { continue };
        let vpc = s(i, "VpcId").to_string();
        let subnet = s(i, "SubnetId").to_string();
        let image_id = s(i, "ImageId").to_string();
        let name = own_images.get(&image_id).cloned().or_else(|| image_names(region, &image_id)).unwrap_or_default();
        let key_name = i.get("KeyName").and_then(Value::as_str).map(String::from);
        let groups: Vec<String> = list(eni, "Groups").map(|g| s(g, "GroupId").to_string()).collect();
        let mo = &i["MetadataOptions"];
        let itype = s(i, "InstanceType").to_string();
        let (vcpus, memory_mib) = crate::instances::shape(&itype);
        let tags: Vec<(String, String)> =
            list(i, "Tags").map(|t| (s(t, "Key").to_string(), s(t, "Value").to_string())).collect();
        let iam = i.get("IamInstanceProfile").map(|p| {
            let arn = s(p, "Arn").to_string();
            let role = arn.rsplit('/').next().unwrap_or("").to_string();
            IamProfile {
                instance_profile_arn: arn.clone(),
                instance_profile_id: s(p, "Id").to_string(),
                role_arn: format!("arn:aws:iam::{account}:role/{role}"),
                role_name: role,
            }
        });
        d.instances.push(Instance {
            id: id.clone(),
            vpc: vpc.clone(),
            subnet: subnet.clone(),
            private_ip,
            public_ip: public_of.get(&eni_id).copied(),
            mac: s(eni, "MacAddress").to_string(),
            interface_id: eni_id.clone(),
            security_group_names: groups.iter().map(|g| group_names.get(g).cloned().unwrap_or_default()).collect(),
            security_groups: groups,
            default_user: default_user(&name).to_string(),
            image_id,
            public_key: key_name.as_ref().and_then(|k| keys.get(k)).filter(|k| !k.is_empty()).cloned(),
            key_name,
            user_data: r["user_data"].as_str().and_then(|u| base64::engine::general_purpose::STANDARD.decode(u).ok()),
            power,
            boot_generation: r["reboots"].as_u64().unwrap_or(0),
            metadata: MetadataOptions {
                http_endpoint_enabled: s(mo, "HttpEndpoint") != "disabled",
                http_tokens_required: s(mo, "HttpTokens") == "required",
                http_put_response_hop_limit: mo["HttpPutResponseHopLimit"].as_u64().unwrap_or(1).clamp(1, 64) as u8,
                instance_metadata_tags: s(mo, "InstanceMetadataTags") == "enabled",
            },
            identity: Identity {
                account_id: account.to_string(),
                region: region.to_string(),
                availability_zone: s(&i["Placement"], "AvailabilityZone").to_string(),
                availability_zone_id: s(&i["Placement"], "AvailabilityZoneId").to_string(),
                instance_type: itype,
                reservation_id: s(&r, "reservation_id").to_string(),
                launch_index: i["AmiLaunchIndex"].as_u64().unwrap_or(0) as u32,
                pending_time: s(&r, "since").to_string(),
                private_dns_name: s(i, "PrivateDnsName").to_string(),
                public_dns_name: i
                    .get("PublicDnsName")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                    .map(String::from),
                subnet_cidr: subnet_cidr.get(&subnet).copied(),
                vpc_cidrs: vec![],
                tags,
                detailed_monitoring: s(&i["Monitoring"], "State") == "enabled",
            },
            vcpus,
            memory_mib,
            iam,
            volumes: vec![],
            secondary_ips: list(eni, "PrivateIpAddresses")
                .filter(|a| !a["Primary"].as_bool().unwrap_or(false))
                .filter_map(|a| s(a, "PrivateIpAddress").parse().ok())
                .collect(),
        });
        vpcs_in_use.insert(vpc);
    }
    volumes(d, p);
    for (id, n) in map(p, "nat_gateways") {
        let nat = if n.get("nat").is_some() { &n["nat"] } else { &n };
        if !matches!(s(nat, "State"), "available" | "pending") {
            continue;
        }
        let Some(addr) = list(nat, "NatGatewayAddresses").next() else { continue };
        let Ok(private_ip) = s(addr, "PrivateIp").parse() else { continue };
        let vpc = s(nat, "VpcId").to_string();
        vpcs_in_use.insert(vpc.clone());
        d.nat_gateways.push(NatGateway {
            id,
            vpc,
            subnet: s(nat, "SubnetId").to_string(),
            private_ip,
            public_ip: s(addr, "PublicIp").parse().ok(),
        });
    }
    for (id, pcx) in map(p, "vpc_peering_connections") {
        if s(&pcx["Status"], "Code") != "active" {
            continue;
        }
        d.peerings.push(Peering {
            id,
            requester_vpc: s(&pcx["RequesterVpcInfo"], "VpcId").to_string(),
            accepter_vpc: s(&pcx["AccepterVpcInfo"], "VpcId").to_string(),
        });
    }
    // Only VPCs with something running in them get a router.
    for (id, r) in map(p, "vpcs") {
        if !vpcs_in_use.contains(&id) {
            continue;
        }
        let cidrs: Vec<Cidr> =
            list(&r["vpc"], "CidrBlockAssociationSet").filter_map(|a| Cidr::parse(s(a, "CidrBlock"))).collect();
        for inst in d.instances.iter_mut().filter(|i| i.vpc == id) {
            inst.identity.vpc_cidrs = cidrs.clone();
        }
        d.vpcs.push(Vpc {
            id: id.clone(),
            cidrs,
            internet_gateway: igw_of.get(&id).cloned(),
            subnets: subnets_by_vpc.remove(&id).unwrap_or_default(),
            route_tables: tables_by_vpc.remove(&id).unwrap_or_default(),
            network_acls: acls_by_vpc.remove(&id).unwrap_or_default(),
            security_groups: groups_by_vpc.remove(&id).unwrap_or_default(),
        });
    }
}

/// EBS data volumes and their snapshots. A root volume (attached at its instance's root
/// device name) is the instance's overlayfs disk, not a block device; an attachment that
/// is attaching or attached is a device in the instance (detaching is already gone).
fn volumes(d: &mut Desired, p: &Value) {
    let roots: BTreeMap<String, String> =
        map(p, "instances").into_iter().map(|(id, r)| (id, s(&r["instance"], "RootDeviceName").to_string())).collect();
    for (id, v) in map(p, "volumes") {
        if matches!(s(&v, "State"), "deleting" | "deleted" | "error") {
            continue;
        }
        let attachments: Vec<(&str, &str, &str)> =
            list(&v, "Attachments").map(|a| (s(a, "InstanceId"), s(a, "Device"), s(a, "State"))).collect();
        if attachments.iter().any(|(i, dev, _)| roots.get(*i).is_some_and(|r| r == dev)) {
            continue;
        }
        for (instance, device, _) in attachments.iter().filter(|(_, _, st)| matches!(*st, "attaching" | "attached")) {
            if let Some(inst) = d.instances.iter_mut().find(|i| i.id == *instance) {
                inst.volumes.push(VolumeAttachment { volume: id.clone(), device: device.to_string() });
            }
        }
        let snapshot = Some(s(&v, "SnapshotId").to_string()).filter(|s| !s.is_empty());
        d.volumes.push(Volume { id, size_gib: v["Size"].as_u64().unwrap_or(1), snapshot });
    }
    for (id, r) in map(p, "snapshots") {
        let volume = s(&r["snapshot"], "VolumeId");
        if !volume.is_empty() && s(&r["snapshot"], "State") != "error" {
            d.snapshots.push(Snapshot { id, volume: volume.to_string() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::service::Caller;
    use nimbus_core::{RequestContext, Service};
    use serde_json::json;

    fn ctx() -> RequestContext {
        RequestContext {
            caller: Caller {
                account: "000000000000".into(),
                access_key: "test".into(),
                arn: "arn:aws:iam::000000000000:root".into(),
                user_id: "000000000000".into(),
                session_token: None,
            },
            region: "us-east-1".into(),
            request_id: "r".into(),
            now: chrono::Utc::now(),
            protocol: nimbus_core::model::Protocol::Ec2,
            endpoint: None,
        }
    }

    /// Guards the snapshot's shape this module reads: a change in EC2's records shows here.
    #[test]
    fn an_ec2_snapshot_becomes_the_desired_state() {
        let ec2 = nimbus_ec2::Ec2::default();
        let c = ctx();
        let call = |op: &str, input: Value| ec2.call(&c, op, input).unwrap_or_else(|e| panic!("{op}: {e:?}"));
        let images = call(
            "DescribeImages",
            json!({"Owners": ["amazon", "099720109477"], "Filters": [{"Name": "name", "Values": ["ubuntu/images/*"]}, {"Name": "architecture", "Values": ["x86_64"]}]}),
        );
        let image = images["Images"][0]["ImageId"].as_str().expect("an Ubuntu image in the catalogue").to_string();
        let vpc = call("CreateVpc", json!({"CidrBlock": "10.5.0.0/16"}))["Vpc"]["VpcId"].as_str().unwrap().to_string();
        let subnet = call("CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.5.1.0/24"}))["Subnet"]["SubnetId"]
            .as_str()
            .unwrap()
            .to_string();
        let igw = call("CreateInternetGateway", json!({}))["InternetGateway"]["InternetGatewayId"]
            .as_str()
            .unwrap()
            .to_string();
        call("AttachInternetGateway", json!({"InternetGatewayId": igw, "VpcId": vpc}));
        let sg = call("CreateSecurityGroup", json!({"GroupName": "web", "Description": "web", "VpcId": vpc}))
            ["GroupId"]
            .as_str()
            .unwrap()
            .to_string();
        call(
            "AuthorizeSecurityGroupIngress",
            json!({"GroupId": sg, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}),
        );
        call("CreateKeyPair", json!({"KeyName": "k"}));
        let run = call(
            "RunInstances",
            json!({"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.small", "KeyName": "k",
                   "SubnetId": subnet, "SecurityGroupIds": [sg], "UserData": "IyEvYmluL3NoCg==",
                   "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}}),
        );
        let id = run["Instances"][0]["InstanceId"].as_str().unwrap().to_string();
        let alloc = call("AllocateAddress", json!({"Domain": "vpc"}));
        call("AssociateAddress", json!({"AllocationId": alloc["AllocationId"], "InstanceId": id}));

        let (d, baked) =
            from_snapshot(&ec2.snapshot().unwrap(), &|region, image| nimbus_ec2::public_image_name(region, image));
        assert!(baked.is_empty());
        let inst = d.instances.iter().find(|i| i.id == id).expect("the instance");
        assert_eq!(inst.default_user, "ubuntu");
        assert_eq!(inst.subnet, subnet);
        assert_eq!(inst.security_groups, vec![sg.clone()]);
        assert_eq!(inst.public_ip.map(|p| p.to_string()).as_deref(), alloc["PublicIp"].as_str());
        assert!(inst.public_key.as_deref().is_some_and(|k| k.starts_with("ssh-rsa ")));
        assert_eq!(inst.user_data.as_deref(), Some(&b"#!/bin/sh\n"[..]));
        assert!(inst.metadata.http_tokens_required);
        assert_eq!(inst.metadata.http_put_response_hop_limit, 2);
        assert_eq!((inst.vcpus, inst.memory_mib), (2, 2048));
        assert_eq!(inst.power, Power::Running);
        let v = d.vpcs.iter().find(|v| v.id == vpc).expect("the VPC has a router");
        assert_eq!(v.internet_gateway.as_deref(), Some(igw.as_str()));
        let s = v.subnets.iter().find(|s| s.id == subnet).unwrap();
        assert!(!s.route_table.is_empty() && !s.network_acl.is_empty());
        let acl = v.network_acls.iter().find(|a| a.id == s.network_acl).unwrap();
        assert!(acl.ingress.iter().any(|e| e.rule_number == 100 && e.allow));
        let group = v.security_groups.iter().find(|g| g.id == sg).unwrap();
        assert_eq!(group.ingress[0].ports, Ports::Range(22, 22));
        assert_eq!(group.egress[0].peers, vec![SgPeer::Cidr(Cidr::any())]);

        // EBS: the root volume is the instance's disk, not a device; a data volume
        // attached is; a snapshot names its volume; a volume from it, its snapshot.
        assert!(d.volumes.is_empty() && inst.volumes.is_empty(), "{:?}", d.volumes);
        let zone = inst.identity.availability_zone.clone();
        let vol = call("CreateVolume", json!({"AvailabilityZone": zone, "Size": 3}))["VolumeId"]
            .as_str()
            .unwrap()
            .to_string();
        call("AttachVolume", json!({"VolumeId": vol, "InstanceId": id, "Device": "/dev/sdf"}));
        let snap = call("CreateSnapshot", json!({"VolumeId": vol}))["SnapshotId"].as_str().unwrap().to_string();
        let copy = call("CreateVolume", json!({"AvailabilityZone": zone, "SnapshotId": snap}))["VolumeId"]
            .as_str()
            .unwrap()
            .to_string();
        let (d, _) = from_snapshot(&ec2.snapshot().unwrap(), &|_, _| None);
        let inst = d.instances.iter().find(|i| i.id == id).unwrap();
        assert_eq!(inst.volumes, vec![VolumeAttachment { volume: vol.clone(), device: "/dev/sdf".into() }]);
        assert_eq!(d.snapshots, vec![Snapshot { id: snap.clone(), volume: vol.clone() }]);
        assert!(d.volumes.contains(&Volume { id: vol.clone(), size_gib: 3, snapshot: None }), "{:?}", d.volumes);
        assert!(d.volumes.contains(&Volume { id: copy, size_gib: 3, snapshot: Some(snap) }), "{:?}", d.volumes);
        call("DetachVolume", json!({"VolumeId": vol}));
        let (d, _) = from_snapshot(&ec2.snapshot().unwrap(), &|_, _| None);
        assert!(d.instances.iter().find(|i| i.id == id).unwrap().volumes.is_empty(), "detaching: no device");

        // A secondary private address of the primary interface.
        let eni = d.instances.iter().find(|i| i.id == id).unwrap().interface_id.clone();
        call("AssignPrivateIpAddresses", json!({"NetworkInterfaceId": eni, "SecondaryPrivateIpAddressCount": 1}));
        let (d, _) = from_snapshot(&ec2.snapshot().unwrap(), &|_, _| None);
        let inst = d.instances.iter().find(|i| i.id == id).unwrap();
        assert_eq!(inst.secondary_ips.len(), 1, "{:?}", inst.secondary_ips);
        assert!(
            inst.identity.subnet_cidr.unwrap().contains(inst.secondary_ips[0])
                && inst.secondary_ips[0] != inst.private_ip
        );

        call("StopInstances", json!({"InstanceIds": [id]}));
        let image =
            call("CreateImage", json!({"InstanceId": id, "Name": "baked"}))["ImageId"].as_str().unwrap().to_string();
        let (d, baked) = from_snapshot(&ec2.snapshot().unwrap(), &|_, _| None);
        assert_eq!(d.instances.iter().find(|i| i.id == id).unwrap().power, Power::Stopped);
        assert_eq!(
            baked,
            vec![Baked {
                image_id: image,
                default_user: "ec2-user".into(),
                source: BakedFrom::Instance { instance_id: id.clone(), no_reboot: false },
            }]
        );
        call("TerminateInstances", json!({"InstanceIds": [id]}));
        let (d, _) = from_snapshot(&ec2.snapshot().unwrap(), &|_, _| None);
        assert!(d.instances.iter().all(|i| i.id != id));
    }
}
