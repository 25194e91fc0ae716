//! ModifyVolume and its modifications, the volume attributes.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::ebs::volumes::create::{check_configuration, type_limits};
use crate::ebs::volumes::describe::get;
use crate::ebs::volumes::lifecycle::{modification_at, volume_at};
use crate::ebs::volumes::records::{default_performance, modification_key, MODIFICATION_INTERVAL};
use crate::generated::dto::{
    DescribeVolumeAttributeRequest, DescribeVolumeAttributeResult, DescribeVolumesModificationsRequest,
    DescribeVolumesModificationsResult, ModifyVolumeAttributeRequest, ModifyVolumeRequest, ModifyVolumeResult,
    VolumeModification,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::support::{bool_value, filtered, paginate};
use crate::state::Ec2State;

pub fn modify_volume(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVolumeRequest,
) -> Result<ModifyVolumeResult, ApiError> {
    let id = input.volume_id.clone();
    get(state, &id)?;
    let volume = volume_at(state, &id, ctx.now);
    if let Some(previous) = state.volume_modifications.get(&id).map(|_| modification_at(state, &id, ctx.now)) {
        let phase = previous.modification_state.clone().unwrap_or_default();
        if matches!(phase.as_str(), "modifying" | "optimizing") {
            return Err(errors::incorrect_modification_state(&id, phase.to_ascii_uppercase()));
        }
        let started = previous.start_time.map(|t| t.0).unwrap_or(DateTime::<Utc>::MIN_UTC);
        if ctx.now < started + MODIFICATION_INTERVAL {
            return Err(errors::volume_modification_rate_exceeded());
        }
    }
    if !matches!(volume.state.as_deref(), Some("available" | "in-use")) {
        return Err(errors::incorrect_state(format!(
            "Volume '{id}' is in the '{}' state.",
            volume.state.as_deref().unwrap_or_default()
        )));
    }
    let size = volume.size.unwrap_or(1);
    let current_type = volume.volume_type.clone().unwrap_or_else(|| "gp2".into());
    if let Some(new) = input.size {
        if new < size {
            return Err(errors::invalid_parameter_value(format!(
                "New size cannot be smaller than existing size. Existing size: {size}GiB, requested size: {new}GiB"
            )));
        }
    }
    let target_size = input.size.unwrap_or(size);
    let target_type = input.volume_type.clone().unwrap_or_else(|| current_type.clone());
    type_limits(&target_type)?;
    let same_type = target_type == current_type;
    // IOPS and throughput carry over within a type; a new type starts from its defaults
    // (ModifyVolume's: 3,000 IOPS for gp3, io1 and io2).
    let (default_iops, default_throughput) = default_performance(&target_type, target_size);
    let provisioned = |t: &str| matches!(t, "gp3" | "io1" | "io2");
    let target_iops = match input.iops {
        Some(i) => Some(i),
        None if same_type && provisioned(&target_type) => volume.iops,
        None if provisioned(&target_type) => Some(3000),
        None => default_iops,
    };
    let target_throughput = match input.throughput {
        Some(t) => Some(t),
        None if same_type => volume.throughput,
        None => default_throughput,
    };
    let checked_iops = if provisioned(&target_type) { target_iops } else { input.iops };
    let checked_throughput = if target_type == "gp3" { target_throughput } else { input.throughput };
    check_configuration(&target_type, target_size, checked_iops, checked_throughput)?;
    let target_multi = input.multi_attach_enabled.unwrap_or(volume.multi_attach_enabled.unwrap_or(false));
    if target_multi && !matches!(target_type.as_str(), "io1" | "io2") {
        return Err(errors::invalid_parameter_combination(format!(
            "The parameter multiAttachEnabled is not supported for {target_type} volumes."
        )));
    }
    let unchanged = target_size == size
        && same_type
        && target_iops == volume.iops
        && target_throughput == volume.throughput
        && target_multi == volume.multi_attach_enabled.unwrap_or(false);
    if unchanged {
        return Err(errors::invalid_parameter_combination(
            "New volume configuration is the same as the current configuration.",
        ));
    }
    let target_throughput = if target_type == "gp3" { target_throughput } else { None };
    let modification = VolumeModification {
        volume_id: Some(id.clone()),
        modification_state: Some("modifying".into()),
        target_size: Some(target_size),
        target_iops,
        target_volume_type: Some(target_type.clone()),
        target_throughput,
        target_multi_attach_enabled: Some(target_multi),
        original_size: Some(size),
        original_iops: volume.iops,
        original_volume_type: Some(current_type),
        original_throughput: volume.throughput,
        original_multi_attach_enabled: volume.multi_attach_enabled,
        progress: Some(0),
        start_time: Some(Timestamp(ctx.now)),
        ..Default::default()
    };
    // The new configuration is in effect at once (AWS's volume shows it while optimizing).
    if let Some(v) = state.volumes.get_mut(&id) {
        v.size = Some(target_size);
        v.volume_type = Some(target_type);
        v.iops = target_iops;
        v.throughput = target_throughput;
        v.multi_attach_enabled = Some(target_multi);
    }
    state.volume_modifications.insert(id.clone(), modification.clone());
    state.timestamps.insert(modification_key(&id), ctx.now);
    Ok(ModifyVolumeResult { volume_modification: Some(modification) })
}

impl Filterable for VolumeModification {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let num = |n: Option<i32>| n.map(|x| vec![x.to_string()]).unwrap_or_default();
        let b = |v: Option<bool>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        Some(match name {
            "modification-state" => opt(&self.modification_state),
            "original-iops" => num(self.original_iops),
            "original-size" => num(self.original_size),
            "original-volume-type" => opt(&self.original_volume_type),
            "original-multi-attach-enabled" => b(self.original_multi_attach_enabled),
            "original-throughput" => num(self.original_throughput),
            "start-time" => self.start_time.map(|t| vec![t.iso8601()]).unwrap_or_default(),
            "target-iops" => num(self.target_iops),
            "target-size" => num(self.target_size),
            "target-volume-type" => opt(&self.target_volume_type),
            "target-throughput" => num(self.target_throughput),
            "target-multi-attach-enabled" => b(self.target_multi_attach_enabled),
            "volume-id" => opt(&self.volume_id),
            _ => return None,
        })
    }
}

pub fn describe_volumes_modifications(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVolumesModificationsRequest,
) -> Result<DescribeVolumesModificationsResult, ApiError> {
    let ids = input.volume_ids.clone().unwrap_or_default();
    for id in &ids {
        get(state, id)?;
        if !state.volume_modifications.contains_key(id) {
            return Err(errors::invalid_volume_modification_not_found(id));
        }
    }
    let all = state
        .volume_modifications
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .map(|id| modification_at(state, id, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |m| m.volume_id.clone().unwrap_or_default(), input.page(), false)?;
    Ok(DescribeVolumesModificationsResult { volumes_modifications: Some(page), next_token: next })
}

pub fn describe_volume_attribute(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVolumeAttributeRequest,
) -> Result<DescribeVolumeAttributeResult, ApiError> {
    get(state, &input.volume_id)?;
    let mut out = DescribeVolumeAttributeResult { volume_id: Some(input.volume_id.clone()), ..Default::default() };
    match input.attribute.as_str() {
        "autoEnableIO" => out.auto_enable_io = Some(bool_value(state.volume_auto_enable_io.contains(&input.volume_id))),
        "productCodes" => out.product_codes = Some(Vec::new()),
        other => return Err(invalid_value("attribute", other, "Unknown attribute.")),
    }
    Ok(out)
}

pub fn modify_volume_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyVolumeAttributeRequest,
) -> Result<(), ApiError> {
    get(state, &input.volume_id)?;
    let Some(value) = input.auto_enable_io.and_then(|v| v.value) else {
        return Err(errors::missing_parameter("AutoEnableIO"));
    };
    if value {
        state.volume_auto_enable_io.insert(input.volume_id);
    } else {
        state.volume_auto_enable_io.remove(&input.volume_id);
    }
    Ok(())
}
