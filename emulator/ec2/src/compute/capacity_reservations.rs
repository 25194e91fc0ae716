//! On-Demand Capacity Reservations: capacity of one instance type, platform and zone held
//! for the account. Instances use it when they launch: into a reservation they target, or
//! into a matching reservation with `open` match criteria (the default preference). The
//! state moves on with the clock (`pending` -> `active`, `expired` at a limited end
//! date); the available count is what running instances leave.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::regions::{self, Zone};
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::catalogue;
use crate::generated::dto::{
    CancelCapacityReservationRequest, CancelCapacityReservationResult, CapacityReservation,
    CapacityReservationSpecification, CreateCapacityReservationRequest, CreateCapacityReservationResult,
    DescribeCapacityReservationsRequest, DescribeCapacityReservationsResult, ModifyCapacityReservationRequest,
    ModifyCapacityReservationResult,
};
use crate::generated::{enums, errors};
use crate::state::capacity::CapacityReservationRecord;
use crate::state::lifecycle::shown_state;
use crate::state::params::one_of;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::Ec2State;

fn zone_by(region: &str, wanted: impl Fn(&Zone) -> bool) -> Option<&'static Zone> {
    regions::zones().iter().find(|z| z.region_name == region && wanted(z))
}

fn check_id(state: &Ec2State, id: &str) -> Result<(), ApiError> {
    if !id.starts_with("cr-") {
        return Err(errors::invalid_capacity_reservation_id_malformed(id));
    }
    if !state.capacity_reservations.contains_key(id) {
        return Err(errors::invalid_capacity_reservation_id_not_found(id));
    }
    Ok(())
}

/// The reservation's state at `now`.
fn state_at(state: &Ec2State, rec: &CapacityReservationRecord, now: DateTime<Utc>) -> &'static str {
    if rec.cancelled_at.is_some() {
        return "cancelled";
    }
    let r = &rec.reservation;
    if r.end_date_type.as_deref() == Some("limited") && r.end_date.as_ref().is_some_and(|e| e.0 <= now) {
        return "expired";
    }
    if now < rec.created + state.transition_delay() {
        return "pending";
    }
    "active"
}

/// The instances running in a reservation: pending or running, launched into it.
fn used(state: &Ec2State, id: &str, now: DateTime<Utc>) -> i32 {
    state
        .instances
        .values()
        .filter(|r| r.instance.capacity_reservation_id.as_deref() == Some(id))
        .filter(|r| shown_state(state, r, now).0.is_up())
        .count() as i32
}

fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> CapacityReservation {
    let Some(rec) = state.capacity_reservations.get(id) else { return CapacityReservation::default() };
    let mut r = rec.reservation.clone();
    let st = state_at(state, rec, now);
    r.state = Some(st.into());
    let total = r.total_instance_count.unwrap_or(0);
    r.available_instance_count = Some(if st == "active" { (total - used(state, id, now)).max(0) } else { 0 });
    r.tags = state.dto_tags(id);
    r
}

fn check_end(end_type: &str, end: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<(), ApiError> {
    one_of("EndDateType", end_type, enums::END_DATE_TYPE)?;
    // AWS documents both rules; the wording is a guess.
    match (end_type, end) {
        ("unlimited", Some(_)) => {
            Err(errors::invalid_parameter_combination("EndDate cannot be specified when EndDateType is unlimited."))
        }
        ("limited", None) => {
            Err(errors::invalid_parameter_combination("EndDate must be specified when EndDateType is limited."))
        }
        ("limited", Some(e)) if e <= now => {
            Err(errors::invalid_parameter_value("EndDate must be in the future.".to_string()))
        }
        _ => Ok(()),
    }
}

pub fn create_capacity_reservation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateCapacityReservationRequest,
) -> Result<CreateCapacityReservationResult, ApiError> {
    if !catalogue::is_instance_type(&input.instance_type) {
        return Err(errors::invalid_parameter_value(format!(
            "Invalid value '{}' for InstanceType.",
            input.instance_type
        )));
    }
    one_of("InstancePlatform", &input.instance_platform, enums::CAPACITY_RESERVATION_INSTANCE_PLATFORM)?;
    if input.instance_count < 1 {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter instanceCount is invalid. Expected a positive integer.",
            input.instance_count
        )));
    }
    let zone = match (input.availability_zone.clone().filter(|z| !z.is_empty()), input.availability_zone_id.clone()) {
        (Some(z), _) => z,
        (None, Some(id)) => zone_by(&ctx.region, |z| z.zone_id == id)
            .map(|z| z.zone_name.clone())
            .ok_or_else(|| errors::invalid_parameter_value(format!("Invalid availability zone: [{id}]")))?,
        (None, None) => return Err(errors::missing_parameter("AvailabilityZone")),
    };
    catalogue::check_offered(&ctx.region, &input.instance_type, &zone)?;
    let tenancy = input.tenancy.clone().unwrap_or_else(|| "default".into());
    one_of("Tenancy", &tenancy, enums::CAPACITY_RESERVATION_TENANCY)?;
    let end_type = input.end_date_type.clone().unwrap_or_else(|| "unlimited".into());
    check_end(&end_type, input.end_date.as_ref().map(|t| t.0), ctx.now)?;
    let criteria = input.instance_match_criteria.clone().unwrap_or_else(|| "open".into());
    one_of("InstanceMatchCriteria", &criteria, enums::INSTANCE_MATCH_CRITERIA)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "capacity-reservation")?;
    let id = ids::resource_id("cr");
    let zone_id = zone_by(&ctx.region, |z| z.zone_name == zone).map(|z| z.zone_id.clone());
    let reservation = CapacityReservation {
        capacity_reservation_id: Some(id.clone()),
        owner_id: Some(ctx.account().to_string()),
        capacity_reservation_arn: Some(format!(
            "arn:aws:ec2:{}:{}:capacity-reservation/{id}",
            ctx.region,
            ctx.account()
        )),
        availability_zone_id: zone_id,
        instance_type: Some(input.instance_type),
        instance_platform: Some(input.instance_platform),
        availability_zone: Some(zone),
        tenancy: Some(tenancy),
        total_instance_count: Some(input.instance_count),
        ebs_optimized: Some(input.ebs_optimized.unwrap_or(false)),
        ephemeral_storage: Some(input.ephemeral_storage.unwrap_or(false)),
        start_date: Some(Timestamp(ctx.now)),
        end_date: input.end_date,
        end_date_type: Some(end_type),
        instance_match_criteria: Some(criteria),
        create_date: Some(Timestamp(ctx.now)),
        placement_group_arn: input.placement_group_arn.filter(|a| !a.is_empty()),
        reservation_type: Some("default".into()),
        capacity_allocations: Some(Vec::new()),
        delivery_preference: Some("fixed".into()),
        ..Default::default()
    };
    state
        .capacity_reservations
        .insert(id.clone(), CapacityReservationRecord { reservation, created: ctx.now, cancelled_at: None });
    state.set_tags(&id, tags);
    Ok(CreateCapacityReservationResult { capacity_reservation: Some(describe_one(state, &id, ctx.now)) })
}

pub fn modify_capacity_reservation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyCapacityReservationRequest,
) -> Result<ModifyCapacityReservationResult, ApiError> {
    let id = input.capacity_reservation_id.clone();
    check_id(state, &id)?;
    let st = state_at(state, &state.capacity_reservations[&id], ctx.now);
    if st != "active" && st != "pending" {
        return Err(errors::incorrect_state(format!(
            "The Capacity Reservation {id} is in the {st} state and cannot be modified." // guessed wording
        )));
    }
    if let Some(n) = input.instance_count {
        if n < 1 {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({n}) for parameter instanceCount is invalid. Expected a positive integer."
            )));
        }
    }
    let current = state.capacity_reservations[&id].reservation.clone();
    let end_type = input.end_date_type.clone().or(current.end_date_type.clone()).unwrap_or_else(|| "unlimited".into());
    let end = if end_type == "unlimited" && input.end_date_type.is_some() {
        input.end_date.as_ref().map(|t| t.0)
    } else {
        input.end_date.as_ref().map(|t| t.0).or(current.end_date.as_ref().map(|t| t.0))
    };
    check_end(&end_type, end, ctx.now)?;
    if let Some(c) = input.instance_match_criteria.as_deref() {
        one_of("InstanceMatchCriteria", c, enums::INSTANCE_MATCH_CRITERIA)?;
    }
    let rec = state.capacity_reservations.get_mut(&id).expect("checked above");
    let r = &mut rec.reservation;
    if let Some(n) = input.instance_count {
        r.total_instance_count = Some(n);
    }
    r.end_date_type = Some(end_type);
    r.end_date = end.map(Timestamp);
    if let Some(c) = input.instance_match_criteria {
        r.instance_match_criteria = Some(c);
    }
    Ok(ModifyCapacityReservationResult { r#return: Some(true), adjustment_details: None, adjustment_status: None })
}

pub fn cancel_capacity_reservation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CancelCapacityReservationRequest,
) -> Result<CancelCapacityReservationResult, ApiError> {
    let id = input.capacity_reservation_id;
    check_id(state, &id)?;
    let st = state_at(state, &state.capacity_reservations[&id], ctx.now);
    if st != "active" && st != "pending" {
        return Err(errors::incorrect_state(format!(
            "The Capacity Reservation {id} is in the {st} state and cannot be cancelled." // guessed wording
        )));
    }
    if let Some(rec) = state.capacity_reservations.get_mut(&id) {
        rec.cancelled_at = Some(ctx.now);
    }
    // Instances in a cancelled reservation run on as ordinary On-Demand instances.
    for rec in state.instances.values_mut() {
        if rec.instance.capacity_reservation_id.as_deref() == Some(id.as_str()) {
            rec.instance.capacity_reservation_id = None;
        }
    }
    Ok(CancelCapacityReservationResult { r#return: Some(true) })
}

impl Filterable for CapacityReservation {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| -> Vec<String> { v.iter().cloned().collect() };
        let time = |v: &Option<Timestamp>| -> Vec<String> {
            v.iter().map(|t| t.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).collect()
        };
        Some(match name {
            "capacity-reservation-id" => one(&self.capacity_reservation_id),
            "instance-type" => one(&self.instance_type),
            "owner-id" => one(&self.owner_id),
            "instance-platform" => one(&self.instance_platform),
            "availability-zone" => one(&self.availability_zone),
            "availability-zone-id" => one(&self.availability_zone_id),
            "tenancy" => one(&self.tenancy),
            "outpost-arn" => one(&self.outpost_arn),
            "state" => one(&self.state),
            "start-date" => time(&self.start_date),
            "end-date" => time(&self.end_date),
            "end-date-type" => one(&self.end_date_type),
            "instance-match-criteria" => one(&self.instance_match_criteria),
            "placement-group-arn" => one(&self.placement_group_arn),
            "reservation-type" => one(&self.reservation_type),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_capacity_reservations(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeCapacityReservationsRequest,
) -> Result<DescribeCapacityReservationsResult, ApiError> {
    let wanted = input.capacity_reservation_ids.clone().unwrap_or_default();
    for id in &wanted {
        check_id(state, id)?;
    }
    let items = state
        .capacity_reservations
        .keys()
        .filter(|id| wanted.is_empty() || wanted.contains(id))
        .map(|id| describe_one(state, id, ctx.now));
    let items = filtered(items, input.filters.as_deref())?;
    let (page, next_token) =
        paginate(items, |r| r.capacity_reservation_id.clone().unwrap_or_default(), input.page(), !wanted.is_empty())?;
    Ok(DescribeCapacityReservationsResult { capacity_reservations: Some(page), next_token })
}

/// Where RunInstances puts `count` instances of `instance_type` in `zone`: the
/// reservation each one uses (`None`: On-Demand capacity), as the request's
/// `CapacityReservationSpecification` says. A targeted reservation must match and hold
/// them all; with the `open` preference matching open reservations are used first.
pub fn place(
    state: &Ec2State,
    now: DateTime<Utc>,
    spec: Option<&CapacityReservationSpecification>,
    instance_type: &str,
    zone: &str,
    platform: &str,
    count: usize,
) -> Result<Vec<Option<String>>, ApiError> {
    let preference = spec.and_then(|s| s.capacity_reservation_preference.clone()).unwrap_or_else(|| "open".into());
    if let Some(id) =
        spec.and_then(|s| s.capacity_reservation_target.as_ref()).and_then(|t| t.capacity_reservation_id.clone())
    {
        check_id(state, &id)?;
        let r = describe_one(state, &id, now);
        // The wording of these refusals is a guess.
        if r.state.as_deref() != Some("active") {
            return Err(errors::invalid_parameter_value(format!("The Capacity Reservation {id} is not active.")));
        }
        if r.instance_type.as_deref() != Some(instance_type) || r.availability_zone.as_deref() != Some(zone) {
            return Err(errors::invalid_parameter_combination(format!(
                "The instance type and Availability Zone must match those of the Capacity Reservation {id} ({}, {}).",
                r.instance_type.unwrap_or_default(),
                r.availability_zone.unwrap_or_default()
            )));
        }
        if (r.available_instance_count.unwrap_or(0) as usize) < count {
            return Err(errors::insufficient_instance_capacity(format!(
                "There is not enough capacity in the Capacity Reservation {id} for {count} more instances."
            )));
        }
        return Ok(vec![Some(id); count]);
    }
    one_of("CapacityReservationPreference", &preference, enums::CAPACITY_RESERVATION_PREFERENCE)?;
    let mut out = Vec::with_capacity(count);
    if preference == "open" {
        for id in state.capacity_reservations.keys() {
            let r = describe_one(state, id, now);
            let fits = r.state.as_deref() == Some("active")
                && r.instance_match_criteria.as_deref() == Some("open")
                && r.instance_type.as_deref() == Some(instance_type)
                && r.availability_zone.as_deref() == Some(zone)
                && r.instance_platform.as_deref() == Some(platform);
            if fits {
                let free = r.available_instance_count.unwrap_or(0).max(0) as usize;
                out.extend(std::iter::repeat_n(Some(id.clone()), free.min(count - out.len())));
            }
            if out.len() == count {
                break;
            }
        }
    }
    out.resize(count, None);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use nimbus_core::RequestContext;
    use serde_json::json;

    use crate::testing::{al2023, call, refused, str_at};
    use crate::Ec2;

    #[test]
    fn reservations_hold_capacity_for_matching_instances() {
        let (ec2, mut ctx) = (Ec2::default(), RequestContext::for_tests());
        let image = al2023(&ec2, &ctx);
        let made = call(
            &ec2,
            &ctx,
            "CreateCapacityReservation",
            json!({"InstanceType": "t3.micro", "InstancePlatform": "Linux/UNIX", "InstanceCount": 2,
                "AvailabilityZone": "us-east-1a"}),
        );
        let id = str_at(&made, "/CapacityReservation/CapacityReservationId");
        assert!(id.starts_with("cr-"));
        assert_eq!(str_at(&made, "/CapacityReservation/State"), "active");
        let describe = |ctx: &RequestContext| {
            call(&ec2, ctx, "DescribeCapacityReservations", json!({"CapacityReservationIds": [id]}))
                ["CapacityReservations"][0]
                .clone()
        };
        let run = json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1,
            "Placement": {"AvailabilityZone": "us-east-1a"}});
        let open = call(&ec2, &ctx, "RunInstances", run.clone());
        assert_eq!(str_at(&open, "/Instances/0/CapacityReservationId"), id, "an open reservation is used");
        let mut targeted = run.clone();
        targeted["CapacityReservationSpecification"] =
            json!({"CapacityReservationTarget": {"CapacityReservationId": id}});
        let t = call(&ec2, &ctx, "RunInstances", targeted.clone());
        assert_eq!(
            str_at(&t, "/Instances/0/CapacityReservationSpecification/CapacityReservationTarget/CapacityReservationId"),
            id
        );
        assert_eq!(describe(&ctx)["AvailableInstanceCount"], 0);
        assert_eq!(refused(&ec2, &ctx, "RunInstances", targeted), "InsufficientInstanceCapacity");
        let plain = call(&ec2, &ctx, "RunInstances", run);
        assert!(plain["Instances"][0].get("CapacityReservationId").is_none(), "a full reservation is not used");
        call(&ec2, &ctx, "ModifyCapacityReservation", json!({"CapacityReservationId": id, "InstanceCount": 3}));
        assert_eq!(describe(&ctx)["AvailableInstanceCount"], 1);
        let until = (ctx.now + Duration::hours(1)).timestamp();
        call(
            &ec2,
            &ctx,
            "ModifyCapacityReservation",
            json!({"CapacityReservationId": id, "EndDateType": "limited", "EndDate": until}),
        );
        ctx.now += Duration::hours(2);
        assert_eq!(str_at(&describe(&ctx), "/State"), "expired");
        let code = refused(&ec2, &ctx, "CancelCapacityReservation", json!({"CapacityReservationId": id}));
        assert_eq!(code, "IncorrectState");
        let bad = json!({"CapacityReservationIds": ["cr-0123456789abcdef0"]});
        assert_eq!(refused(&ec2, &ctx, "DescribeCapacityReservations", bad), "InvalidCapacityReservationId.NotFound");
        let unlimited_with_end = json!({"InstanceType": "t3.micro", "InstancePlatform": "Linux/UNIX",
            "InstanceCount": 1, "AvailabilityZone": "us-east-1a", "EndDate": until + 86400});
        assert_eq!(refused(&ec2, &ctx, "CreateCapacityReservation", unlimited_with_end), "InvalidParameterCombination");
    }
}
