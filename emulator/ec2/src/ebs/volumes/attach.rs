//! AttachVolume and DetachVolume.

use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::ebs::volumes::create::valid_device_name;
use crate::ebs::volumes::describe::get;
use crate::ebs::volumes::lifecycle::volume_at;
use crate::ebs::volumes::records::{add_attachment, attached_to, attachment_key, MAX_MULTI_ATTACH};
use crate::generated::dto::{AttachVolumeRequest, DetachVolumeRequest, VolumeAttachment};
use crate::generated::errors;
use crate::state::lifecycle::InstanceStateName;
use crate::state::Ec2State;

pub fn attach_volume(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AttachVolumeRequest,
) -> Result<VolumeAttachment, ApiError> {
    let volume = volume_at(state, get(state, &input.volume_id).map(|_| input.volume_id.as_str())?, ctx.now);
    let rec = crate::state::lookup::instance(state, &input.instance_id)?;
    let (instance_state, _) = crate::state::lifecycle::shown_state(state, rec, ctx.now);
    if !valid_device_name(&input.device) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({0}) for parameter device is invalid. {0} is not a valid EBS device name.",
            input.device
        )));
    }
    let zone = rec.instance.placement.as_ref().and_then(|p| p.availability_zone.clone()).unwrap_or_default();
    if volume.availability_zone.as_deref() != Some(zone.as_str()) {
        return Err(errors::invalid_volume_zone_mismatch(&input.instance_id, &input.volume_id));
    }
    let attachments = volume.attachments.clone().unwrap_or_default();
    match volume.state.as_deref() {
        Some("available") => {}
        Some("in-use") if volume.multi_attach_enabled == Some(true) => {
            if attachments.iter().any(|a| a.instance_id.as_deref() == Some(input.instance_id.as_str())) {
                return Err(errors::volume_in_use(format!(
                    "{} is already attached to instance {}",
                    input.volume_id, input.instance_id
                )));
            }
            if attachments.len() >= MAX_MULTI_ATTACH {
                return Err(errors::volume_in_use(format!(
                    "{} is already attached to {MAX_MULTI_ATTACH} instances",
                    input.volume_id
                )));
            }
        }
        Some("in-use") => {
            return Err(errors::volume_in_use(format!("{} is already attached to an instance", input.volume_id)))
        }
        other => {
            return Err(errors::incorrect_state(format!(
                "Volume '{}' is in the '{}' state.",
                input.volume_id,
                other.unwrap_or_default()
            )))
        }
    }
    if !matches!(instance_state.as_str(), "running" | "stopped") {
        return Err(errors::incorrect_state(format!(
            "Instance '{}' is not 'running' or 'stopped'.",
            input.instance_id
        )));
    }
    let taken = attached_to(state, &input.instance_id).iter().any(|(d, ..)| *d == input.device);
    if taken {
        return Err(errors::invalid_parameter_value(format!("Attachment point {} is already in use", input.device)));
    }
    add_attachment(state, &input.volume_id, &input.instance_id, &input.device, false, "attaching", ctx.now);
    Ok(VolumeAttachment {
        volume_id: Some(input.volume_id.clone()),
        instance_id: Some(input.instance_id.clone()),
        device: Some(input.device.clone()),
        state: Some("attaching".into()),
        attach_time: Some(Timestamp(ctx.now)),
        ..Default::default()
    })
}

pub fn detach_volume(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DetachVolumeRequest,
) -> Result<VolumeAttachment, ApiError> {
    get(state, &input.volume_id)?;
    let volume = volume_at(state, &input.volume_id, ctx.now);
    let attachments = volume.attachments.clone().unwrap_or_default();
    if attachments.is_empty() {
        return Err(errors::incorrect_state(format!(
            "Volume '{}' is in the '{}' state.",
            input.volume_id,
            volume.state.as_deref().unwrap_or_default()
        )));
    }
    if let Some(i) = input.instance_id.as_deref() {
        crate::state::lookup::instance(state, i)?;
    }
    let attachment = match input.instance_id.as_deref() {
        Some(i) => attachments.iter().find(|a| a.instance_id.as_deref() == Some(i)).ok_or_else(|| {
            errors::invalid_attachment_not_found(format!(
                "Volume {} can not be detached from {i} because it is not attached",
                input.volume_id
            ))
        })?,
        None if attachments.len() > 1 => return Err(errors::missing_parameter("instanceId")),
        None => &attachments[0],
    };
    let instance_id = attachment.instance_id.clone().unwrap_or_default();
    let device = attachment.device.clone().unwrap_or_default();
    if let Some(d) = input.device.as_deref().filter(|d| *d != device) {
        return Err(errors::invalid_attachment_not_found(format!(
            "The volume {} is not attached to instance {instance_id} as device {d}",
            input.volume_id
        )));
    }
    if attachment.state.as_deref() == Some("detaching") {
        return Err(errors::incorrect_state(format!("Volume '{}' is in the 'detaching' state.", input.volume_id)));
    }
    // The root device of an instance that is not stopped stays (Force is for a stuck detach, not this).
    let rec = crate::state::lookup::instance(state, &instance_id)?;
    let (instance_state, _) = crate::state::lifecycle::shown_state(state, rec, ctx.now);
    let is_root = rec.instance.root_device_name.as_deref() == Some(device.as_str());
    if is_root && instance_state != InstanceStateName::Stopped {
        return Err(errors::operation_not_permitted(format!(
            "Unable to detach root volume '{}' from instance '{instance_id}'",
            input.volume_id
        )));
    }
    if let Some(v) = state.volumes.get_mut(&input.volume_id) {
        for a in v.attachments.iter_mut().flatten() {
            if a.instance_id.as_deref() == Some(instance_id.as_str()) {
                a.state = Some("detaching".into());
            }
        }
    }
    state.index.volume(&input.volume_id);
    state.timestamps.insert(attachment_key(&input.volume_id, &instance_id), ctx.now);
    Ok(VolumeAttachment {
        volume_id: Some(input.volume_id.clone()),
        instance_id: Some(instance_id),
        device: Some(device),
        state: Some("detaching".into()),
        attach_time: attachment.attach_time,
        delete_on_termination: attachment.delete_on_termination,
        ..Default::default()
    })
}
