//! From what a fleet request names to capacity pools: each launch template config with
//! each of its overrides (or none) becomes one pool, checked as far as it can be before
//! anything launches. Both APIs, and the Spot Fleet launch specifications, end here.

use nimbus_core::{ids, ApiError};

use crate::compute::launch_templates;
use crate::compute::spot::prices::parse_price;
use crate::generated::dto::{
    FleetLaunchTemplateOverrides, FleetLaunchTemplateSpecification, LaunchTemplateAndOverridesResponse,
    LaunchTemplateSpecification, Placement, PlacementResponse, RunInstancesRequest,
};
use crate::generated::errors;
use crate::state::fleet::Pool;
use crate::state::Ec2State;
use crate::vpc::subnets;

/// A launch template config, in terms both APIs share.
#[derive(Debug, Clone, Default)]
pub struct TemplateConfig {
    pub id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub overrides: Vec<Override>,
}

/// One override of a launch template config.
#[derive(Debug, Clone, Default)]
pub struct Override {
    pub instance_type: Option<String>,
    pub max_price: Option<String>,
    pub subnet_id: Option<String>,
    pub availability_zone: Option<String>,
    pub weight: Option<f64>,
    pub priority: Option<f64>,
    pub image_id: Option<String>,
    pub key_name: Option<String>,
    pub group_name: Option<String>,
    /// Attribute-based instance type selection was asked for.
    pub requirements: bool,
}

/// A deterministic id in AWS's fleet form, `fleet-` + a UUID.
pub fn uuid_id(prefix: &str) -> String {
    let (a, b) = (ids::random_u64(), ids::random_u64());
    let hex = format!("{a:016x}{b:016x}");
    format!("{prefix}-{}-{}-4{}-a{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

/// A client token for a fleet request that came without one (AWS makes one up).
pub fn client_token() -> String {
    uuid_id("x").trim_start_matches("x-").to_string()
}

fn check_weight(weight: Option<f64>) -> Result<f64, ApiError> {
    match weight {
        None => Ok(1.0),
        Some(w) if w > 0.0 && w.is_finite() => Ok(w),
        Some(w) => Err(errors::invalid_parameter_value(format!(
            "Value ({w}) for parameter WeightedCapacity is invalid. The weighted capacity must be greater than 0." // guessed wording
        ))),
    }
}

/// The pools of launch template configs. At least one config is needed; each names a
/// template that exists and a version it has.
pub fn template_pools(state: &Ec2State, configs: &[TemplateConfig]) -> Result<Vec<Pool>, ApiError> {
    if configs.is_empty() {
        return Err(errors::missing_parameter("LaunchTemplateConfigs"));
    }
    let mut pools = Vec::new();
    for config in configs {
        let spec = LaunchTemplateSpecification {
            launch_template_id: config.id.clone(),
            launch_template_name: config.name.clone(),
            version: config.version.clone(),
        };
        let (template_id, version, data) = launch_templates::data::resolve(state, &spec)?;
        let overrides = if config.overrides.is_empty() { vec![Override::default()] } else { config.overrides.clone() };
        for o in overrides {
            if o.requirements {
                return Err(errors::invalid_parameter_value(
                    "nimbus does not select instance types by attributes (InstanceRequirements); name the instance types in the overrides.",
                ));
            }
            let max_price =
                o.max_price.as_deref().filter(|p| !p.is_empty()).map(|p| parse_price("MaxPrice", p)).transpose()?;
            let subnet_zone = match o.subnet_id.as_deref() {
                Some(id) => subnets::get(state, id)?.subnet.availability_zone.clone(),
                None => None,
            };
            let template_zone =
                data.placement.as_ref().and_then(|p| p.availability_zone.clone()).filter(|z| !z.is_empty());
            let instance_type =
                o.instance_type.clone().or(data.instance_type.clone()).unwrap_or_else(|| "m1.small".into());
            let launch = RunInstancesRequest {
                launch_template: Some(LaunchTemplateSpecification {
                    launch_template_id: Some(template_id.clone()),
                    launch_template_name: None,
                    version: config.version.clone(),
                }),
                instance_type: o.instance_type.clone(),
                subnet_id: o.subnet_id.clone(),
                image_id: o.image_id.clone(),
                key_name: o.key_name.clone(),
                placement: (o.availability_zone.is_some() || o.group_name.is_some()).then(|| Placement {
                    availability_zone: o.availability_zone.clone(),
                    group_name: o.group_name.clone(),
                    ..Default::default()
                }),
                min_count: 1,
                max_count: 1,
                ..Default::default()
            };
            let weight = check_weight(o.weight)?;
            pools.push(Pool {
                launch,
                instance_type: instance_type.clone(),
                zone: o.availability_zone.clone().or(subnet_zone).or(template_zone.clone()),
                weight,
                priority: o.priority,
                max_price,
                template_and_overrides: Some(LaunchTemplateAndOverridesResponse {
                    launch_template_specification: Some(FleetLaunchTemplateSpecification {
                        launch_template_id: Some(template_id.clone()),
                        launch_template_name: None,
                        version: Some(version.to_string()),
                    }),
                    overrides: Some(FleetLaunchTemplateOverrides {
                        instance_type: o.instance_type.clone(),
                        max_price: o.max_price.clone(),
                        subnet_id: o.subnet_id.clone(),
                        availability_zone: o.availability_zone.clone(),
                        weighted_capacity: o.weight,
                        priority: o.priority,
                        image_id: o.image_id.clone(),
                        placement: o.group_name.clone().map(|g| PlacementResponse { group_name: Some(g) }),
                        ..Default::default()
                    }),
                }),
            });
        }
    }
    Ok(pools)
}
