//! What AWS publishes rather than what an account makes: regions and zones, instance types
//! and their offerings, the public image catalogue and the user's seed images.
//!
//! EC2's public catalogues, from `fixtures/` (real data; see fixtures/README.md):
//! instance types, where each is offered, and the public base images. Parsed once, on
//! first use.

pub mod instance_types;
pub mod names;
pub mod regions;
pub mod seed_images;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use nimbus_core::types::Timestamp;

use crate::generated::dto::{Image, InstanceTypeInfo, Snapshot};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypesFile {
    instance_types: Vec<InstanceTypeInfo>,
}

pub fn instance_types() -> &'static [InstanceTypeInfo] {
    static TYPES: OnceLock<Vec<InstanceTypeInfo>> = OnceLock::new();
    TYPES.get_or_init(|| {
        serde_json::from_str::<TypesFile>(include_str!("../../../../fixtures/instance-types.json"))
            .expect("fixtures/instance-types.json is valid (checked by a unit test)")
            .instance_types
    })
}

pub fn instance_type(name: &str) -> Option<&'static InstanceTypeInfo> {
    instance_types().iter().find(|t| t.instance_type.as_deref() == Some(name))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RegionOfferings {
    pub zones: Vec<String>,
    /// Types offered in every zone of the region.
    pub every_zone: Vec<String>,
    /// Types offered in some zones only.
    #[serde(default)]
    pub some_zones: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct OfferingsFile {
    offerings: BTreeMap<String, RegionOfferings>,
}

fn offerings() -> &'static BTreeMap<String, RegionOfferings> {
    static OFFERINGS: OnceLock<BTreeMap<String, RegionOfferings>> = OnceLock::new();
    OFFERINGS.get_or_init(|| {
        serde_json::from_str::<OfferingsFile>(include_str!("../../../../fixtures/instance-type-offerings.json"))
            .expect("fixtures/instance-type-offerings.json is valid (checked by a unit test)")
            .offerings
    })
}

/// The zones of `region` that offer `instance_type`.
pub fn zones_offering(region: &str, instance_type: &str) -> Vec<String> {
    let Some(r) = offerings().get(region) else { return Vec::new() };
    if r.every_zone.iter().any(|t| t == instance_type) {
        return r.zones.clone();
    }
    r.some_zones.get(instance_type).cloned().unwrap_or_default()
}

/// Every (type, zone) offering of a region.
pub fn region_offerings(region: &str) -> Vec<(String, String)> {
    let Some(r) = offerings().get(region) else { return Vec::new() };
    let mut out = Vec::new();
    for t in &r.every_zone {
        for z in &r.zones {
            out.push((t.clone(), z.clone()));
        }
    }
    for (t, zones) in &r.some_zones {
        for z in zones {
            out.push((t.clone(), z.clone()));
        }
    }
    out.sort();
    out
}

#[derive(Deserialize)]
struct ImagesFile {
    images: Vec<Image>,
}

fn images() -> &'static [Image] {
    static IMAGES: OnceLock<Vec<Image>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        serde_json::from_str::<ImagesFile>(include_str!("../../../../fixtures/images.json"))
            .expect("fixtures/images.json is valid (checked by a unit test)")
            .images
    })
}

/// `ami-0` or `snap-0` + 16 hex digits of sha256(`key`): AWS's images have different ids
/// in every region, and these stay the same from one run to the next.
fn derived_id(prefix: &str, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("{prefix}-0{}", &hex::encode(digest)[..16])
}

/// The public images of a region, with their ids and snapshot ids.
pub fn public_images(region: &str) -> Vec<Image> {
    images()
        .iter()
        .map(|img| {
            let mut img = img.clone();
            let name = img.name.clone().unwrap_or_default();
            img.image_id = Some(derived_id("ami", &format!("{region}/{name}")));
            for m in img.block_device_mappings.iter_mut().flatten() {
                let device = m.device_name.clone().unwrap_or_default();
                if let Some(ebs) = m.ebs.as_mut() {
                    ebs.snapshot_id = Some(derived_id("snap", &format!("{region}/{name}/{device}")));
                }
            }
            img
        })
        .chain(crate::catalogue::seed_images::for_region(region, derived_id))
        .collect()
}

/// Whether `account` sees a catalogue image: the public ones, and its own seed images.
pub fn visible_to(image: &Image, account: &str) -> bool {
    image.public != Some(false) || image.owner_id.as_deref() == Some(account)
}

/// The snapshots behind the public images of a region: AWS's own, completed, and
/// restorable by every account (volumes can be made from them).
pub fn public_snapshots(region: &str) -> Vec<Snapshot> {
    let mut out: Vec<Snapshot> = public_images(region)
        .into_iter()
        .flat_map(|img| {
            let name = img.name.clone().unwrap_or_default();
            let created = img
                .creation_date
                .as_deref()
                .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                .map(|d| Timestamp(d.with_timezone(&chrono::Utc)));
            let owner = img.owner_id.clone();
            let alias = img.image_owner_alias.clone();
            img.block_device_mappings.unwrap_or_default().into_iter().filter_map(|m| m.ebs).map(move |ebs| Snapshot {
                snapshot_id: ebs.snapshot_id.clone(),
                owner_id: owner.clone(),
                owner_alias: alias.clone(),
                volume_id: Some("vol-ffffffff".into()),
                volume_size: ebs.volume_size,
                encrypted: Some(ebs.encrypted.unwrap_or(false)),
                state: Some("completed".into()),
                progress: Some("100%".into()),
                start_time: created,
                completion_time: created,
                description: Some(format!("Snapshot of {name}")),
                storage_tier: Some("standard".into()),
                ..Default::default()
            })
        })
        .collect();
    out.sort_by(|a, b| a.snapshot_id.cmp(&b.snapshot_id));
    out.dedup_by(|a, b| a.snapshot_id == b.snapshot_id);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_parse() {
        assert!(instance_types().len() > 100);
        let micro = instance_type("t3.micro").unwrap();
        assert_eq!(micro.v_cpu_info.as_ref().unwrap().default_v_cpus, Some(2));
        assert!(!zones_offering("us-east-1", "t3.micro").is_empty());
        let images = public_images("eu-west-1");
        assert!(images.len() > 50);
        assert!(images.iter().all(|i| i.image_id.as_deref().unwrap().len() == 21));
        assert_ne!(public_images("us-east-1")[0].image_id, images[0].image_id);
        assert_eq!(public_images("eu-west-1")[0].image_id, images[0].image_id);
    }
}
