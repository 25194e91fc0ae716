//! Placement groups: cluster (one Availability Zone), spread (at most seven running
//! instances per zone, on distinct racks) and partition (one to seven partitions per
//! zone), and where RunInstances puts an instance in one.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreatePlacementGroupRequest, CreatePlacementGroupResult, DeletePlacementGroupRequest,
    DescribePlacementGroupsRequest, DescribePlacementGroupsResult, Placement, PlacementGroup,
};
use crate::generated::{enums, errors};
use crate::state::lifecycle::InstanceStateName;
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{filtered, spec_tags, tag_pairs};
use crate::state::Ec2State;

/// AWS's limits: instances per zone in a spread group, partitions in a partition group.
const SPREAD_PER_ZONE: usize = 7;
const MAX_PARTITIONS: i32 = 7;
const DEFAULT_PARTITIONS: i32 = 2;

fn arn(ctx: &RequestContext, name: &str) -> String {
    format!("arn:aws:ec2:{}:{}:placement-group/{name}", ctx.region, ctx.account())
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(errors::missing_parameter("groupName"));
    }
    if name.len() > 255 || !name.is_ascii() {
        return Err(invalid_value("groupName", name, "Length exceeds maximum of 255 ASCII characters"));
    }
    Ok(())
}

pub fn create_placement_group(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreatePlacementGroupRequest,
) -> Result<CreatePlacementGroupResult, ApiError> {
    let name = input.group_name.clone().unwrap_or_default();
    check_name(&name)?;
    let strategy = input.strategy.clone().ok_or_else(|| errors::missing_parameter("strategy"))?;
    one_of("strategy", &strategy, enums::PLACEMENT_STRATEGY)?;
    let partition_count = match (strategy.as_str(), input.partition_count) {
        ("partition", None) => Some(DEFAULT_PARTITIONS),
        ("partition", Some(n)) if (1..=MAX_PARTITIONS).contains(&n) => Some(n),
        ("partition", Some(n)) => {
            return Err(invalid_value("partitionCount", n, &format!("Valid values are 1 to {MAX_PARTITIONS}.")))
        }
        (_, None) => None,
        (_, Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "The partition count can only be specified for a placement group with the partition strategy.",
            ))
        }
    };
    let spread_level = match (strategy.as_str(), input.spread_level.as_deref()) {
        ("spread", None | Some("rack")) => Some("rack".to_string()),
        ("spread", Some(level)) => {
            one_of("spreadLevel", level, enums::SPREAD_LEVEL)?;
            return Err(invalid_value("spreadLevel", level, "Host-level spread is only available on AWS Outposts."));
        }
        (_, None) => None,
        (_, Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "The spread level can only be specified for a placement group with the spread strategy.",
            ))
        }
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "placement-group")?;
    if state.placement_groups.contains_key(&name) {
        return Err(errors::invalid_placement_group_duplicate(&name));
    }
    let id = ids::resource_id("pg");
    let group = PlacementGroup {
        group_name: Some(name.clone()),
        group_id: Some(id.clone()),
        group_arn: Some(arn(ctx, &name)),
        strategy: Some(strategy),
        partition_count,
        spread_level,
        state: Some("available".into()),
        ..Default::default()
    };
    state.placement_groups.insert(name, group);
    state.set_tags(&id, tags);
    Ok(CreatePlacementGroupResult { placement_group: Some(describe_one(state, &id)) })
}

fn describe_one(state: &Ec2State, id: &str) -> PlacementGroup {
    let mut g =
        state.placement_groups.values().find(|g| g.group_id.as_deref() == Some(id)).cloned().unwrap_or_default();
    g.tags = state.dto_tags(id);
    g
}

/// The instances that count as in a group: every one not terminated.
fn members<'a>(state: &'a Ec2State, name: &'a str) -> impl Iterator<Item = &'a Placement> + 'a {
    state
        .instances
        .values()
        .filter(|r| r.stored_state != InstanceStateName::Terminated)
        .filter_map(move |r| r.instance.placement.as_ref().filter(|p| p.group_name.as_deref() == Some(name)))
}

pub fn delete_placement_group(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeletePlacementGroupRequest,
) -> Result<(), ApiError> {
    let name = input.group_name;
    let Some(group) = state.placement_groups.get(&name) else {
        return Err(errors::invalid_placement_group_unknown(&name));
    };
    let id = group.group_id.clone().unwrap_or_default();
    if members(state, &name).next().is_some() {
        return Err(errors::invalid_placement_group_in_use(format!(
            "The placement group '{name}' is in use and may not be deleted."
        )));
    }
    state.placement_groups.remove(&name);
    state.forget(&id);
    Ok(())
}

impl Filterable for PlacementGroup {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        Some(match name {
            "group-name" => one(&self.group_name),
            "group-id" => one(&self.group_id),
            "group-arn" => one(&self.group_arn),
            "spread-level" => one(&self.spread_level),
            "state" => one(&self.state),
            "strategy" => one(&self.strategy),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_placement_groups(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribePlacementGroupsRequest,
) -> Result<DescribePlacementGroupsResult, ApiError> {
    let names = input.group_names.unwrap_or_default();
    let ids = input.group_ids.unwrap_or_default();
    for name in &names {
        if !state.placement_groups.contains_key(name) {
            return Err(errors::invalid_placement_group_unknown(name));
        }
    }
    for id in &ids {
        if !state.placement_groups.values().any(|g| g.group_id.as_deref() == Some(id)) {
            return Err(errors::invalid_placement_group_id_not_found(id));
        }
    }
    let items = state
        .placement_groups
        .values()
        .filter(|g| names.is_empty() || names.iter().any(|n| g.group_name.as_ref() == Some(n)))
        .filter(|g| ids.is_empty() || ids.iter().any(|i| g.group_id.as_ref() == Some(i)))
        .map(|g| describe_one(state, g.group_id.as_deref().unwrap_or_default()));
    Ok(DescribePlacementGroupsResult { placement_groups: Some(filtered(items, input.filters.as_deref())?) })
}

/// Where `count` instances launched in `zone` with this `Placement` go: the group's name
/// and id and, in a partition group, each one's partition (the one asked for, or the
/// least used). Refused as AWS refuses: an unknown group, a cluster group in use in
/// another zone, a spread group's zone full, a partition out of range.
pub fn place(
    state: &Ec2State,
    placement: Option<&Placement>,
    zone: &str,
    count: usize,
) -> Result<Vec<(String, String, Option<i32>)>, ApiError> {
    let wanted = placement
        .and_then(|p| p.group_name.clone().filter(|n| !n.is_empty()).map(Ok).or_else(|| p.group_id.clone().map(Err)));
    let group = match wanted {
        None => return Ok(vec![(String::new(), String::new(), None); count]),
        Some(Ok(name)) => {
            state.placement_groups.get(&name).ok_or_else(|| errors::invalid_placement_group_unknown(&name))?
        }
        Some(Err(id)) => state
            .placement_groups
            .values()
            .find(|g| g.group_id.as_deref() == Some(&id))
            .ok_or_else(|| errors::invalid_placement_group_id_not_found(&id))?,
    };
    let name = group.group_name.clone().unwrap_or_default();
    let id = group.group_id.clone().unwrap_or_default();
    let in_zone = || members(state, &name).filter(|p| p.availability_zone.as_deref() == Some(zone));
    match group.strategy.as_deref() {
        Some("cluster") => {
            if let Some(other) = members(state, &name).find_map(|p| p.availability_zone.clone().filter(|z| z != zone)) {
                return Err(errors::invalid_placement_group_in_use(format!(
                    "The placement group '{name}' is in use in another availability zone: {other}"
                )));
            }
            Ok(vec![(name, id, None); count])
        }
        Some("spread") => {
            if in_zone().count() + count > SPREAD_PER_ZONE {
                return Err(errors::insufficient_instance_capacity(format!(
                    "We currently do not have sufficient capacity to launch {count} more instances in the spread placement group '{name}' in the Availability Zone you requested ({zone}): a spread placement group has at most {SPREAD_PER_ZONE} running instances per Availability Zone."
                )));
            }
            Ok(vec![(name, id, None); count])
        }
        Some("partition") => {
            let partitions = group.partition_count.unwrap_or(DEFAULT_PARTITIONS);
            if let Some(n) = placement.and_then(|p| p.partition_number) {
                if !(1..=partitions).contains(&n) {
                    return Err(invalid_value(
                        "partitionNumber",
                        n,
                        &format!("The placement group '{name}' has {partitions} partitions."),
                    ));
                }
                return Ok(vec![(name, id, Some(n)); count]);
            }
            let mut used: Vec<usize> = vec![0; partitions as usize];
            for p in in_zone() {
                if let Some(n) = p.partition_number.filter(|n| (1..=partitions).contains(n)) {
                    used[(n - 1) as usize] += 1;
                }
            }
            let mut out = Vec::with_capacity(count);
            for _ in 0..count {
                let least = (0..used.len()).min_by_key(|i| used[*i]).unwrap_or(0);
                used[least] += 1;
                out.push((name.clone(), id.clone(), Some(least as i32 + 1)));
            }
            Ok(out)
        }
        _ => Ok(vec![(name, id, None); count]),
    }
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use crate::testing::{al2023, call, launch, refused, str_at};
    use crate::Ec2;

    fn create(ec2: &Ec2, ctx: &RequestContext, input: Value) -> Value {
        call(ec2, ctx, "CreatePlacementGroup", input)
    }

    #[test]
    fn groups_by_strategy_with_their_defaults_and_limits() {
        let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
        let out = create(&ec2, &ctx, json!({"GroupName": "hpc", "Strategy": "cluster"}));
        assert_eq!(str_at(&out, "/PlacementGroup/State"), "available");
        assert!(str_at(&out, "/PlacementGroup/GroupId").starts_with("pg-"));
        assert_eq!(str_at(&out, "/PlacementGroup/GroupArn"), "arn:aws:ec2:us-east-1:000000000000:placement-group/hpc");
        let spread = create(&ec2, &ctx, json!({"GroupName": "etcd", "Strategy": "spread"}));
        assert_eq!(str_at(&spread, "/PlacementGroup/SpreadLevel"), "rack");
        let part = create(&ec2, &ctx, json!({"GroupName": "kafka", "Strategy": "partition"}));
        assert_eq!(part["PlacementGroup"]["PartitionCount"], 2);
        let code = |input: Value| refused(&ec2, &ctx, "CreatePlacementGroup", input);
        assert_eq!(code(json!({"GroupName": "hpc", "Strategy": "cluster"})), "InvalidPlacementGroup.Duplicate");
        assert_eq!(
            code(json!({"GroupName": "p", "Strategy": "partition", "PartitionCount": 8})),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(json!({"GroupName": "c", "Strategy": "cluster", "PartitionCount": 2})),
            "InvalidParameterCombination"
        );
        assert_eq!(code(json!({"GroupName": "x", "Strategy": "diagonal"})), "InvalidParameterValue");
        assert_eq!(code(json!({"Strategy": "cluster"})), "MissingParameter");
        let all = call(&ec2, &ctx, "DescribePlacementGroups", json!({}));
        assert_eq!(all["PlacementGroups"].as_array().unwrap().len(), 3);
        let by_filter = call(
            &ec2,
            &ctx,
            "DescribePlacementGroups",
            json!({"Filters": [{"Name": "strategy", "Values": ["partition"]}]}),
        );
        assert_eq!(str_at(&by_filter, "/PlacementGroups/0/GroupName"), "kafka");
        let unknown = json!({"GroupNames": ["nope"]});
        assert_eq!(refused(&ec2, &ctx, "DescribePlacementGroups", unknown), "InvalidPlacementGroup.Unknown");
    }

    #[test]
    fn instances_go_into_groups_as_aws_places_them() {
        let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
        let image = al2023(&ec2, &ctx);
        create(&ec2, &ctx, json!({"GroupName": "hpc", "Strategy": "cluster"}));
        create(&ec2, &ctx, json!({"GroupName": "kafka", "Strategy": "partition", "PartitionCount": 3}));
        create(&ec2, &ctx, json!({"GroupName": "etcd", "Strategy": "spread"}));
        let zone_a = json!({"Placement": {"GroupName": "hpc", "AvailabilityZone": "us-east-1a"}});
        let (first, _) = launch(&ec2, &ctx, &image, zone_a);
        let out = call(&ec2, &ctx, "DescribeInstances", json!({ "InstanceIds": [first] }));
        assert_eq!(str_at(&out, "/Reservations/0/Instances/0/Placement/GroupName"), "hpc");
        assert!(str_at(&out, "/Reservations/0/Instances/0/Placement/GroupId").starts_with("pg-"));
        let elsewhere = json!({"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
            "Placement": {"GroupName": "hpc", "AvailabilityZone": "us-east-1b"}});
        assert_eq!(refused(&ec2, &ctx, "RunInstances", elsewhere), "InvalidPlacementGroup.InUse");
        assert_eq!(
            refused(&ec2, &ctx, "DeletePlacementGroup", json!({"GroupName": "hpc"})),
            "InvalidPlacementGroup.InUse"
        );

        let three = json!({"ImageId": image, "MinCount": 3, "MaxCount": 3, "InstanceType": "t3.micro",
            "Placement": {"GroupName": "kafka", "AvailabilityZone": "us-east-1a"}});
        let out = call(&ec2, &ctx, "RunInstances", three);
        let mut partitions: Vec<i64> = out["Instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["Placement"]["PartitionNumber"].as_i64().unwrap())
            .collect();
        partitions.sort();
        assert_eq!(partitions, [1, 2, 3], "spread over the partitions");

        let eight = json!({"ImageId": image, "MinCount": 8, "MaxCount": 8, "InstanceType": "t3.micro",
            "Placement": {"GroupName": "etcd", "AvailabilityZone": "us-east-1a"}});
        assert_eq!(refused(&ec2, &ctx, "RunInstances", eight), "InsufficientInstanceCapacity");
        let unknown = json!({"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro", "Placement": {"GroupName": "nope"}});
        assert_eq!(refused(&ec2, &ctx, "RunInstances", unknown), "InvalidPlacementGroup.Unknown");

        call(&ec2, &ctx, "TerminateInstances", json!({ "InstanceIds": [first] }));
        call(&ec2, &ctx, "DeletePlacementGroup", json!({"GroupName": "hpc"}));
        assert_eq!(
            refused(&ec2, &ctx, "DeletePlacementGroup", json!({"GroupName": "hpc"})),
            "InvalidPlacementGroup.Unknown"
        );
    }
}
