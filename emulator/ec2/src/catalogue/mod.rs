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

/// The instance types, one JSON object a line, sorted by name (fixtures/generate_instance_types.py).
const TYPES_JSON: &str = include_str!("../../../../fixtures/instance-types.json");

/// Each type's name and JSON object in `TYPES_JSON`, sorted by name. A type is parsed only
/// when it is asked for, so the ~1,400 types cost a few dozen KiB until then.
fn type_index() -> &'static [(&'static str, &'static str)] {
    static INDEX: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: Vec<(&str, &str)> = TYPES_JSON
            .lines()
            .filter_map(|line| {
                let object = line.strip_suffix(',').unwrap_or(line);
                let rest = object.strip_prefix("{\"InstanceType\":\"")?;
                Some((&rest[..rest.find('"')?], object))
            })
            .collect();
        index.sort_unstable_by_key(|(name, _)| *name);
        index
    })
}

/// The names of every instance type of the catalogue, sorted.
pub fn instance_type_names() -> impl Iterator<Item = &'static str> {
    type_index().iter().map(|(name, _)| *name)
}

pub fn is_instance_type(name: &str) -> bool {
    type_index().binary_search_by_key(&name, |(n, _)| n).is_ok()
}

/// A type's `InstanceTypeInfo`, parsed from the catalogue.
pub fn instance_type(name: &str) -> Option<InstanceTypeInfo> {
    let index = type_index();
    let at = index.binary_search_by_key(&name, |(n, _)| n).ok()?;
    Some(serde_json::from_str(index[at].1).expect("fixtures/instance-types.json is valid (checked by a unit test)"))
}

/// Where a region offers instance types; the names borrow from the embedded fixture.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RegionOfferings<'a> {
    #[serde(borrow)]
    zones: Vec<&'a str>,
    /// Types offered in every zone of the region, sorted.
    #[serde(borrow)]
    every_zone: Vec<&'a str>,
    /// Types offered in some zones only.
    #[serde(borrow, default)]
    some_zones: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> RegionOfferings<'a> {
    fn zones_of(&self, instance_type: &str) -> &[&'a str] {
        if self.every_zone.binary_search(&instance_type).is_ok() {
            return &self.zones;
        }
        self.some_zones.get(instance_type).map(Vec::as_slice).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct OfferingsFile<'a> {
    #[serde(borrow)]
    offerings: BTreeMap<&'a str, RegionOfferings<'a>>,
}

fn offerings() -> &'static BTreeMap<&'static str, RegionOfferings<'static>> {
    static OFFERINGS: OnceLock<BTreeMap<&'static str, RegionOfferings<'static>>> = OnceLock::new();
    OFFERINGS.get_or_init(|| {
        serde_json::from_str::<OfferingsFile>(include_str!("../../../../fixtures/instance-type-offerings.json"))
            .expect("fixtures/instance-type-offerings.json is valid (checked by a unit test)")
            .offerings
    })
}

/// The zones of `region` that offer `instance_type`.
pub fn zones_offering(region: &str, instance_type: &str) -> Vec<String> {
    offerings()
        .get(region)
        .map(|r| r.zones_of(instance_type).iter().map(|z| z.to_string()).collect())
        .unwrap_or_default()
}

/// `Unsupported` unless `zone` offers `instance_type`: AWS names the zones that do, or,
/// when no zone of the region does, answers its generic refusal.
pub fn check_offered(region: &str, instance_type: &str, zone: &str) -> Result<(), nimbus_core::ApiError> {
    let offered = zones_offering(region, instance_type);
    if offered.iter().any(|z| z == zone) {
        return Ok(());
    }
    if offered.is_empty() {
        return Err(nimbus_core::ApiError::client(
            "Unsupported",
            "The requested configuration is currently not supported. Please check the documentation for supported configurations.",
        ));
    }
    Err(crate::generated::errors::unsupported(instance_type, zone, offered.join(", ")))
}

/// Whether some zone of `region` offers `instance_type`.
pub fn offered_in(region: &str, instance_type: &str) -> bool {
    offerings().get(region).is_some_and(|r| !r.zones_of(instance_type).is_empty())
}

/// Every (type, zone) offering of a region, sorted.
pub fn region_offerings(region: &str) -> Vec<(&'static str, &'static str)> {
    let Some(r) = offerings().get(region) else { return Vec::new() };
    let mut out = Vec::new();
    for t in &r.every_zone {
        for z in &r.zones {
            out.push((*t, *z));
        }
    }
    for (t, zones) in &r.some_zones {
        for z in zones {
            out.push((*t, *z));
        }
    }
    out.sort_unstable();
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
mod tests;
