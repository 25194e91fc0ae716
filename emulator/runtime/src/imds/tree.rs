//! The instance metadata tree (`/latest/meta-data/...`) and the instance identity
//! document, built from the desired instance: the layout and item names follow AWS's
//! "Instance metadata categories" page.

use std::collections::BTreeMap;

use serde_json::json;

use crate::boot;
use crate::desired::Instance;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Leaf(String),
    Dir(BTreeMap<String, Node>),
}

fn leaf(s: impl Into<String>) -> Node {
    Node::Leaf(s.into())
}

fn dir(entries: Vec<(&str, Node)>) -> Node {
    Node::Dir(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

impl Node {
    /// The node at `path` (`a/b/c`, trailing slash allowed).
    pub fn find(&self, path: &str) -> Option<&Node> {
        path.split('/').filter(|p| !p.is_empty()).try_fold(self, |node, part| match node {
            Node::Dir(children) => children.get(part),
            Node::Leaf(_) => None,
        })
    }

    /// A leaf's text, or a directory's listing (sub-directories with a trailing slash).
    pub fn render(&self) -> String {
        match self {
            Node::Leaf(s) => s.clone(),
            Node::Dir(children) => children
                .iter()
                .map(|(k, v)| if matches!(v, Node::Dir(_)) { format!("{k}/") } else { k.clone() })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// `meta-data/` for `inst`; `credentials` is the role's JSON document when it has one.
pub fn meta_data(inst: &Instance, credentials: Option<String>, info: Option<String>) -> Node {
    let id = &inst.identity;
    let local_hostname = if id.private_dns_name.is_empty() {
        format!("{}.{}.compute.internal", boot::hostname(inst), id.region)
    } else {
        id.private_dns_name.clone()
    };
    let groups = inst.security_group_names.join("\n");
    let mut mac_entries = vec![
        ("device-number", leaf("0")),
        ("interface-id", leaf(inst.interface_id.clone())),
        ("local-hostname", leaf(local_hostname.clone())),
        (
            "local-ipv4s",
            leaf(
                std::iter::once(inst.private_ip)
                    .chain(inst.secondary_ips.iter().copied())
                    .map(|ip| ip.to_string())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ),
        ("mac", leaf(inst.mac.clone())),
        ("owner-id", leaf(id.account_id.clone())),
        ("security-group-ids", leaf(inst.security_groups.join("\n"))),
        ("security-groups", leaf(groups.clone())),
        ("subnet-id", leaf(inst.subnet.clone())),
        ("vpc-id", leaf(inst.vpc.clone())),
    ];
    if let Some(c) = id.subnet_cidr {
        mac_entries.push(("subnet-ipv4-cidr-block", leaf(c.to_string())));
    }
    if let Some(first) = id.vpc_cidrs.first() {
        mac_entries.push(("vpc-ipv4-cidr-block", leaf(first.to_string())));
        mac_entries.push((
            "vpc-ipv4-cidr-blocks",
            leaf(id.vpc_cidrs.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("\n")),
        ));
    }
    let mut entries = vec![
        ("ami-id", leaf(inst.image_id.clone())),
        ("ami-launch-index", leaf(id.launch_index.to_string())),
        ("ami-manifest-path", leaf("(unknown)")),
        ("block-device-mapping", dir(vec![("ami", leaf("/dev/xvda")), ("root", leaf("/dev/xvda"))])),
        ("hostname", leaf(local_hostname.clone())),
        ("instance-action", leaf("none")),
        ("instance-id", leaf(inst.id.clone())),
        ("instance-life-cycle", leaf("on-demand")),
        ("instance-type", leaf(id.instance_type.clone())),
        ("local-hostname", leaf(local_hostname)),
        ("local-ipv4", leaf(inst.private_ip.to_string())),
        ("mac", leaf(inst.mac.clone())),
        (
            "placement",
            dir(vec![
                ("availability-zone", leaf(id.availability_zone.clone())),
                ("availability-zone-id", leaf(id.availability_zone_id.clone())),
                ("region", leaf(id.region.clone())),
            ]),
        ),
        ("profile", leaf("default-hvm")),
        ("reservation-id", leaf(id.reservation_id.clone())),
        ("security-groups", leaf(groups)),
        ("services", dir(vec![("domain", leaf("amazonaws.com")), ("partition", leaf("aws"))])),
    ];
    if let Some(public) = inst.public_ip {
        entries.push(("public-ipv4", leaf(public.to_string())));
        mac_entries.push(("public-ipv4s", leaf(public.to_string())));
        let host = id
            .public_dns_name
            .clone()
            .unwrap_or_else(|| format!("ec2-{}.compute-1.amazonaws.com", public.to_string().replace('.', "-")));
        entries.push(("public-hostname", leaf(host.clone())));
        mac_entries.push(("public-hostname", leaf(host)));
    }
    entries.push((
        "network",
        dir(vec![("interfaces", dir(vec![("macs", dir(vec![(inst.mac.as_str(), dir(mac_entries))]))]))]),
    ));
    if let (Some(name), Some(key)) = (&inst.key_name, &inst.public_key) {
        let mut keys = BTreeMap::new();
        keys.insert(format!("0={name}"), dir(vec![("openssh-key", leaf(key.trim().to_string()))]));
        entries.push(("public-keys", Node::Dir(keys)));
    }
    if let (Some(role), Some(info)) = (&inst.iam, info) {
        let mut creds = BTreeMap::new();
        if let Some(c) = credentials {
            creds.insert(role.role_name.clone(), leaf(c));
        }
        entries.push(("iam", dir(vec![("info", leaf(info)), ("security-credentials", Node::Dir(creds))])));
    }
    if inst.metadata.instance_metadata_tags && !id.tags.is_empty() {
        let tags = id.tags.iter().map(|(k, v)| (k.clone(), leaf(v.clone()))).collect();
        entries.push(("tags", dir(vec![("instance", Node::Dir(tags))])));
    }
    dir(entries)
}

/// The instance identity document, as `dynamic/instance-identity/document` serves it.
pub fn identity_document(inst: &Instance) -> String {
    let id = &inst.identity;
    let doc = json!({
        "accountId": id.account_id,
        "architecture": "x86_64",
        "availabilityZone": id.availability_zone,
        "billingProducts": null,
        "devpayProductCodes": null,
        "marketplaceProductCodes": null,
        "imageId": inst.image_id,
        "instanceId": inst.id,
        "instanceType": id.instance_type,
        "kernelId": null,
        "pendingTime": id.pending_time,
        "privateIp": inst.private_ip.to_string(),
        "ramdiskId": null,
        "region": id.region,
        "version": "2017-09-30"
    });
    serde_json::to_string_pretty(&doc).expect("json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::instance;

    #[test]
    fn tree_listing_and_lookup() {
        let inst = instance();
        let md = meta_data(&inst, None, None);
        assert_eq!(md.find("instance-id").unwrap().render(), inst.id);
        assert_eq!(md.find("placement/region/").unwrap().render(), "us-east-1");
        let listing = md.render();
        assert!(listing.contains("placement/\n"), "{listing}");
        assert!(listing.contains("public-keys/"), "{listing}");
        assert_eq!(md.find("public-keys").unwrap().render(), "0=k1/");
        assert!(md.find("public-keys/0=k1/openssh-key").unwrap().render().starts_with("ssh-ed25519"));
        let mac = md.find(&format!("network/interfaces/macs/{}/subnet-id", inst.mac)).unwrap();
        assert_eq!(mac.render(), inst.subnet);
        assert!(md.find("nothing/here").is_none());
        assert!(md.find("iam").is_none());
        let doc: serde_json::Value = serde_json::from_str(&identity_document(&inst)).unwrap();
        assert_eq!(doc["instanceId"], inst.id.as_str());
        assert_eq!(doc["privateIp"], "10.0.1.10");
    }
}
