//! The partition nimbus emulates: AWS's commercial regions and their zones, from
//! `fixtures/` (real data; see fixtures/README.md).

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Region {
    pub region_name: String,
    pub endpoint: String,
    pub opt_in_status: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub geography: Vec<Named>,
    /// An opt-in region (off by default in a new account).
    #[serde(default)]
    pub opt_in: bool,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Zone {
    pub region_name: String,
    pub zone_name: String,
    pub zone_id: String,
    pub zone_type: String,
    pub group_name: String,
    #[serde(default)]
    pub group_long_name: Option<String>,
    pub network_border_group: String,
    pub opt_in_status: String,
    pub state: String,
    #[serde(default)]
    pub parent_zone_name: Option<String>,
    #[serde(default)]
    pub parent_zone_id: Option<String>,
    #[serde(default)]
    pub geography: Vec<Named>,
    #[serde(default)]
    pub sub_geography: Vec<Named>,
}

#[derive(Deserialize)]
struct RegionsFile {
    regions: Vec<Region>,
}

#[derive(Deserialize)]
struct ZonesFile {
    zones: Vec<Zone>,
}

pub fn all() -> &'static [Region] {
    static REGIONS: OnceLock<Vec<Region>> = OnceLock::new();
    REGIONS.get_or_init(|| {
        serde_json::from_str::<RegionsFile>(include_str!("../../../fixtures/regions.json"))
            .expect("fixtures/regions.json is valid (checked by a unit test)")
            .regions
    })
}

pub fn zones() -> &'static [Zone] {
    static ZONES: OnceLock<Vec<Zone>> = OnceLock::new();
    ZONES.get_or_init(|| {
        serde_json::from_str::<ZonesFile>(include_str!("../../../fixtures/availability-zones.json"))
            .expect("fixtures/availability-zones.json is valid (checked by a unit test)")
            .zones
    })
}

pub fn get(name: &str) -> Option<&'static Region> {
    all().iter().find(|r| r.region_name == name)
}

pub fn is_known(name: &str) -> bool {
    get(name).is_some()
}

/// The availability zones (not local zones) of a region, in name order.
pub fn availability_zones(region: &str) -> Vec<&'static Zone> {
    let mut z: Vec<&Zone> =
        zones().iter().filter(|z| z.region_name == region && z.zone_type == "availability-zone").collect();
    z.sort_by(|a, b| a.zone_name.cmp(&b.zone_name));
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_parse_and_every_region_has_zones() {
        assert!(all().len() >= 30);
        assert!(is_known("us-east-1") && is_known("eu-west-1") && !is_known("us-nowhere-1"));
        for r in all() {
            assert!(availability_zones(&r.region_name).len() >= 2, "{} has too few zones", r.region_name);
        }
        let use1 = availability_zones("us-east-1");
        assert_eq!(use1.len(), 6);
        assert!(use1.iter().all(|z| z.zone_id.starts_with("use1-az")));
    }
}
