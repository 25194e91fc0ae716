//! DescribeRegions and DescribeAvailabilityZones, from the partition's real data.

use nimbus_core::filter::Filterable;
use nimbus_core::regions::{self, Region, Zone};
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    AvailabilityZone, AvailabilityZoneGeography, AvailabilityZoneSubGeography, DescribeAvailabilityZonesRequest,
    DescribeAvailabilityZonesResult, DescribeRegionsRequest, DescribeRegionsResult, ModifyAvailabilityZoneGroupRequest,
    ModifyAvailabilityZoneGroupResult, Region as RegionDto, RegionGeography,
};
use crate::generated::{enums, errors};
use crate::state::params::one_of;
use crate::state::support::filtered_unchecked as filtered;
use crate::state::Ec2State;

#[derive(Clone)]
struct RegionRow(&'static Region);

impl Filterable for RegionRow {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let r = self.0;
        match name {
            "endpoint" => Some(vec![r.endpoint.clone()]),
            "region-name" => Some(vec![r.region_name.clone()]),
            "opt-in-status" => Some(vec![r.opt_in_status.clone()]),
            _ => None,
        }
    }
}

pub fn describe_regions(
    _state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeRegionsRequest,
) -> Result<DescribeRegionsResult, ApiError> {
    let mut rows: Vec<RegionRow> = regions::all().iter().map(RegionRow).collect();
    if let Some(names) = input.region_names.as_deref().filter(|n| !n.is_empty()) {
        let unknown: Vec<&str> = names.iter().filter(|n| !regions::is_known(n)).map(String::as_str).collect();
        if !unknown.is_empty() {
            return Err(errors::invalid_parameter_value(format!("Invalid region: {}", unknown.join(", "))));
        }
        rows.retain(|r| names.contains(&r.0.region_name));
    }
    if input.all_regions != Some(true) {
        rows.retain(|r| r.0.opt_in_status != "not-opted-in");
    }
    let rows = filtered(rows, input.filters.as_deref())?;
    Ok(DescribeRegionsResult {
        regions: Some(
            rows.into_iter()
                .map(|RegionRow(r)| RegionDto {
                    region_name: Some(r.region_name.clone()),
                    endpoint: Some(r.endpoint.clone()),
                    opt_in_status: Some(r.opt_in_status.clone()),
                    geography: Some(
                        r.geography.iter().map(|g| RegionGeography { name: Some(g.name.clone()) }).collect(),
                    ),
                })
                .collect(),
        ),
    })
}

/// A zone with the opt-in status this account sees.
#[derive(Clone)]
struct ZoneRow(&'static Zone, String);

impl Filterable for ZoneRow {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let z = self.0;
        let one = |s: &String| Some(vec![s.clone()]);
        match name {
            "group-name" => one(&z.group_name),
            "group-long-name" => Some(z.group_long_name.iter().cloned().collect()),
            "message" => Some(Vec::new()),
            "network-border-group" => one(&z.network_border_group),
            "opt-in-status" => one(&self.1),
            "parent-zone-id" => Some(z.parent_zone_id.iter().cloned().collect()),
            "parent-zone-name" => Some(z.parent_zone_name.iter().cloned().collect()),
            "region-name" => one(&z.region_name),
            "state" => one(&z.state),
            "zone-id" => one(&z.zone_id),
            "zone-name" => one(&z.zone_name),
            "zone-type" => one(&z.zone_type),
            "geography" => Some(z.geography.iter().map(|g| g.name.clone()).collect()),
            _ => None,
        }
    }
}

/// A zone's opt-in status as this account sees it: AWS's default for the zone, unless the
/// account opted its group in or out (ModifyAvailabilityZoneGroup).
pub fn opt_in_status(state: &Ec2State, zone: &Zone) -> String {
    match state.zone_group_opt_ins.get(&zone.group_name) {
        Some(status) if zone.opt_in_status != "opt-in-not-required" => status.clone(),
        _ => zone.opt_in_status.clone(),
    }
}

/// Whether the account has opted into a Wavelength Zone of the region (what a carrier
/// gateway needs).
pub fn wavelength_opted_in(state: &Ec2State, region: &str) -> bool {
    regions::zones()
        .iter()
        .any(|z| z.region_name == region && z.zone_type == "wavelength-zone" && opt_in_status(state, z) == "opted-in")
}

/// Opts the account into (or out of) a Local Zone or Wavelength Zone group of the region.
/// Availability Zones need no opt-in, and their groups are refused.
pub fn modify_availability_zone_group(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyAvailabilityZoneGroupRequest,
) -> Result<ModifyAvailabilityZoneGroupResult, ApiError> {
    one_of("OptInStatus", &input.opt_in_status, enums::MODIFY_AVAILABILITY_ZONE_OPT_IN_STATUS)?;
    let group: Vec<&Zone> =
        regions::zones().iter().filter(|z| z.region_name == ctx.region && z.group_name == input.group_name).collect();
    if group.is_empty() {
        return Err(errors::invalid_parameter_value(format!(
            "The zone group '{}' is not valid for region {}.",
            input.group_name, ctx.region
        )));
    }
    if group.iter().all(|z| z.opt_in_status == "opt-in-not-required") {
        return Err(errors::invalid_parameter_value(format!(
            "The zone group '{}' does not require opting in.",
            input.group_name
        )));
    }
    state.zone_group_opt_ins.insert(input.group_name, input.opt_in_status);
    Ok(ModifyAvailabilityZoneGroupResult { r#return: Some(true) })
}

pub fn describe_availability_zones(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeAvailabilityZonesRequest,
) -> Result<DescribeAvailabilityZonesResult, ApiError> {
    let in_region: Vec<ZoneRow> = regions::zones()
        .iter()
        .filter(|z| z.region_name == ctx.region)
        .map(|z| ZoneRow(z, opt_in_status(state, z)))
        .collect();
    let names = input.zone_names.unwrap_or_default();
    let ids = input.zone_ids.unwrap_or_default();
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !in_region.iter().any(|z| &z.0.zone_name == *n))
        .chain(ids.iter().filter(|i| !in_region.iter().any(|z| &z.0.zone_id == *i)))
        .collect();
    if !unknown.is_empty() {
        let list: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        return Err(errors::invalid_parameter_value(format!("Invalid availability zone: [{}]", list.join(", "))));
    }
    let named = !names.is_empty() || !ids.is_empty();
    let rows: Vec<ZoneRow> = in_region
        .into_iter()
        .filter(|z| {
            if named {
                names.contains(&z.0.zone_name) || ids.contains(&z.0.zone_id)
            } else {
                // Zones of groups the account has not opted into show only on request.
                input.all_availability_zones == Some(true) || z.1 != "not-opted-in"
            }
        })
        .collect();
    let rows = filtered(rows, input.filters.as_deref())?;
    Ok(DescribeAvailabilityZonesResult {
        availability_zones: Some(rows.into_iter().map(|ZoneRow(z, status)| zone_dto(z, status)).collect()),
    })
}

fn zone_dto(z: &Zone, opt_in_status: String) -> AvailabilityZone {
    AvailabilityZone {
        opt_in_status: Some(opt_in_status),
        messages: Some(Vec::new()),
        region_name: Some(z.region_name.clone()),
        zone_name: Some(z.zone_name.clone()),
        zone_id: Some(z.zone_id.clone()),
        group_name: Some(z.group_name.clone()),
        network_border_group: Some(z.network_border_group.clone()),
        zone_type: Some(z.zone_type.clone()),
        parent_zone_name: z.parent_zone_name.clone(),
        parent_zone_id: z.parent_zone_id.clone(),
        group_long_name: z.group_long_name.clone(),
        geography: Some(z.geography.iter().map(|g| AvailabilityZoneGeography { name: Some(g.name.clone()) }).collect()),
        sub_geography: (!z.sub_geography.is_empty()).then(|| {
            z.sub_geography.iter().map(|g| AvailabilityZoneSubGeography { name: Some(g.name.clone()) }).collect()
        }),
        state: Some(z.state.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::Filter;

    fn ctx(region: &str) -> RequestContext {
        let mut c = RequestContext::for_tests();
        c.region = region.into();
        c
    }

    #[test]
    fn regions_are_the_partitions_with_endpoints() {
        let out = describe_regions(&Ec2State::default(), &ctx("us-east-1"), DescribeRegionsRequest::default()).unwrap();
        let regions = out.regions.unwrap();
        assert!(regions.len() >= 30);
        let use1 = regions.iter().find(|r| r.region_name.as_deref() == Some("us-east-1")).unwrap();
        assert_eq!(use1.endpoint.as_deref(), Some("ec2.us-east-1.amazonaws.com"));
        assert_eq!(use1.opt_in_status.as_deref(), Some("opt-in-not-required"));
    }

    #[test]
    fn regions_by_name_and_filter() {
        let out = describe_regions(
            &Ec2State::default(),
            &ctx("us-east-1"),
            DescribeRegionsRequest {
                region_names: Some(vec!["eu-west-1".into(), "af-south-1".into()]),
                filters: Some(vec![Filter {
                    name: Some("opt-in-status".into()),
                    values: Some(vec!["opted-in".into()]),
                }]),
                ..Default::default()
            },
        )
        .unwrap();
        let names: Vec<_> = out.regions.unwrap().into_iter().filter_map(|r| r.region_name).collect();
        assert_eq!(names, vec!["af-south-1"]);
        let err = describe_regions(
            &Ec2State::default(),
            &ctx("us-east-1"),
            DescribeRegionsRequest { region_names: Some(vec!["mars-1".into()]), ..Default::default() },
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
    }

    #[test]
    fn zones_are_the_callers_regions() {
        let out = describe_availability_zones(
            &Ec2State::default(),
            &ctx("eu-west-1"),
            DescribeAvailabilityZonesRequest::default(),
        )
        .unwrap();
        let zones = out.availability_zones.unwrap();
        assert_eq!(zones.len(), 3);
        assert!(zones
            .iter()
            .all(|z| z.region_name.as_deref() == Some("eu-west-1")
                && z.zone_id.as_deref().unwrap().starts_with("euw1-az")));
    }

    #[test]
    fn local_zones_only_with_all_availability_zones() {
        let default = describe_availability_zones(
            &Ec2State::default(),
            &ctx("us-east-1"),
            DescribeAvailabilityZonesRequest::default(),
        )
        .unwrap();
        assert_eq!(default.availability_zones.unwrap().len(), 6);
        let all = describe_availability_zones(
            &Ec2State::default(),
            &ctx("us-east-1"),
            DescribeAvailabilityZonesRequest { all_availability_zones: Some(true), ..Default::default() },
        )
        .unwrap();
        let all = all.availability_zones.unwrap();
        assert!(all.len() > 6);
        assert!(all.iter().any(|z| z.zone_type.as_deref() == Some("local-zone") && z.parent_zone_id.is_some()));
    }

    #[test]
    fn unknown_zone_names_and_filters_are_refused() {
        let err = describe_availability_zones(
            &Ec2State::default(),
            &ctx("us-east-1"),
            DescribeAvailabilityZonesRequest { zone_names: Some(vec!["us-east-1z".into()]), ..Default::default() },
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        assert!(err.message.contains("us-east-1z"));
        let err = describe_availability_zones(
            &Ec2State::default(),
            &ctx("us-east-1"),
            DescribeAvailabilityZonesRequest {
                filters: Some(vec![Filter { name: Some("nope".into()), values: Some(vec!["x".into()]) }]),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.message, "The filter 'nope' is invalid");
    }
}
