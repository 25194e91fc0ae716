//! AttachNetworkInterface and DetachNetworkInterface.

use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use super::records::{get, MANAGED_ATTACHMENT_PREFIX};
use crate::generated::dto::{
    AttachNetworkInterfaceRequest, AttachNetworkInterfaceResult, DetachNetworkInterfaceRequest,
    NetworkInterfaceAttachment,
};
use crate::generated::errors;
use crate::state::{resources, Ec2State};

pub fn attach_network_interface(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AttachNetworkInterfaceRequest,
) -> Result<AttachNetworkInterfaceResult, ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?;
    if !state.exists(&input.instance_id) {
        return Err(resources::not_found(&input.instance_id));
    }
    if eni.attachment.is_some() {
        return Err(errors::invalid_network_interface_in_use(id));
    }
    if !(0..=31).contains(&input.device_index) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter deviceIndex is invalid.",
            input.device_index
        )));
    }
    let taken = state.network_interfaces.values().any(|e| {
        e.attachment.as_ref().is_some_and(|a| {
            a.instance_id.as_deref() == Some(input.instance_id.as_str()) && a.device_index == Some(input.device_index)
        })
    });
    if taken {
        return Err(errors::invalid_parameter_value(format!(
            "Instance '{}' already has an interface attached at device index '{}'.",
            input.instance_id, input.device_index
        )));
    }
    let attachment_id = ids::resource_id("eni-attach");
    let card = input.network_card_index.unwrap_or(0);
    let eni = state.network_interfaces.get_mut(id).expect("checked above");
    eni.attachment = Some(NetworkInterfaceAttachment {
        attach_time: Some(Timestamp(ctx.now)),
        attachment_id: Some(attachment_id.clone()),
        delete_on_termination: Some(false),
        device_index: Some(input.device_index),
        network_card_index: Some(card),
        instance_id: Some(input.instance_id.clone()),
        instance_owner_id: Some(ctx.account().to_string()),
        status: Some("attached".into()),
        ..Default::default()
    });
    eni.status = Some("in-use".into());
    state.index.attach(&input.instance_id, id);
    Ok(AttachNetworkInterfaceResult { attachment_id: Some(attachment_id), network_card_index: Some(card) })
}

/// The interface an attachment belongs to.
fn by_attachment(state: &Ec2State, attachment_id: &str) -> Result<String, ApiError> {
    state
        .network_interfaces
        .iter()
        .find(|(_, e)| e.attachment.as_ref().and_then(|a| a.attachment_id.as_deref()) == Some(attachment_id))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| errors::invalid_attachment_id_not_found(attachment_id))
}

pub fn detach_network_interface(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DetachNetworkInterfaceRequest,
) -> Result<(), ApiError> {
    let id = by_attachment(state, &input.attachment_id)?;
    if input.attachment_id.starts_with(MANAGED_ATTACHMENT_PREFIX) {
        return Err(errors::operation_not_permitted(format!(
            "You are not allowed to manage '{MANAGED_ATTACHMENT_PREFIX}' attachments."
        )));
    }
    let eni = state.network_interfaces.get_mut(&id).expect("found above");
    if eni.attachment.as_ref().and_then(|a| a.device_index) == Some(0) {
        return Err(errors::operation_not_permitted("The network interface at device index 0 cannot be detached."));
    }
    eni.attachment = None;
    eni.status = Some("available".into());
    Ok(())
}
