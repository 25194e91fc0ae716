//! The interface attributes: describe, modify, reset.

use nimbus_core::{ApiError, RequestContext};

use super::records::{get, refuse_managed, resolve_groups};
use crate::generated::dto::{
    AttributeValue, DescribeNetworkInterfaceAttributeRequest, DescribeNetworkInterfaceAttributeResult,
    ModifyNetworkInterfaceAttributeRequest, ResetNetworkInterfaceAttributeRequest,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::support::bool_value;
use crate::state::Ec2State;

pub fn modify_network_interface_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyNetworkInterfaceAttributeRequest,
) -> Result<(), ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?.clone();
    refuse_managed(&eni)?;
    let unsupported = input.ena_srd_specification.is_some()
        || input.enable_primary_ipv6.is_some()
        || input.connection_tracking_specification.is_some()
        || input.associate_public_ip_address.is_some()
        || input.associated_subnet_ids.is_some();
    if unsupported {
        return Err(errors::invalid_parameter_value(
            "nimbus supports modifying description, sourceDestCheck, groupSet and attachment.",
        ));
    }
    let given = [
        input.description.is_some(),
        input.source_dest_check.is_some(),
        input.groups.is_some(),
        input.attachment.is_some(),
    ];
    if !given.iter().any(|g| *g) {
        return Err(errors::missing_parameter("an attribute to modify"));
    }
    let groups = match input.groups.as_deref() {
        Some([]) => return Err(errors::missing_parameter("groupId")),
        Some(g) => Some(resolve_groups(
            state,
            eni.vpc_id.as_deref().unwrap_or_default(),
            eni.subnet_id.as_deref().unwrap_or_default(),
            Some(g),
        )?),
        None => None,
    };
    let delete_on_termination = match &input.attachment {
        Some(changes) => {
            let wanted = changes.attachment_id.as_deref().unwrap_or_default();
            let current = eni.attachment.as_ref().and_then(|a| a.attachment_id.as_deref());
            if current != Some(wanted) {
                return Err(errors::invalid_attachment_id_not_found(wanted));
            }
            changes.delete_on_termination
        }
        None => None,
    };
    let source_dest_check = match &input.source_dest_check {
        Some(v) => Some(v.value.ok_or_else(|| errors::missing_parameter("SourceDestCheck.Value"))?),
        None => None,
    };
    let eni = state.network_interfaces.get_mut(id).expect("checked above");
    if let Some(d) = &input.description {
        eni.description = Some(d.value.clone().unwrap_or_default());
    }
    if let Some(v) = source_dest_check {
        eni.source_dest_check = Some(v);
    }
    if let Some(g) = groups {
        eni.groups = Some(g);
    }
    if let (Some(v), Some(a)) = (delete_on_termination, eni.attachment.as_mut()) {
        a.delete_on_termination = Some(v);
    }
    Ok(())
}

pub fn describe_network_interface_attribute(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeNetworkInterfaceAttributeRequest,
) -> Result<DescribeNetworkInterfaceAttributeResult, ApiError> {
    let eni = get(state, &input.network_interface_id)?;
    let mut out = DescribeNetworkInterfaceAttributeResult {
        network_interface_id: Some(input.network_interface_id.clone()),
        ..Default::default()
    };
    match input.attribute.as_deref() {
        Some("description") => out.description = Some(AttributeValue { value: eni.description.clone() }),
        Some("groupSet") => out.groups = eni.groups.clone(),
        Some("sourceDestCheck") => out.source_dest_check = Some(bool_value(eni.source_dest_check.unwrap_or(true))),
        Some("attachment") => out.attachment = eni.attachment.clone(),
        Some("associatePublicIpAddress") => out.associate_public_ip_address = Some(false),
        Some(other) => return Err(invalid_value("attribute", other, "Unknown attribute.")),
        None => return Err(errors::missing_parameter("attribute")),
    }
    Ok(out)
}

pub fn reset_network_interface_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ResetNetworkInterfaceAttributeRequest,
) -> Result<(), ApiError> {
    refuse_managed(get(state, &input.network_interface_id)?)?;
    match input.source_dest_check.as_deref() {
        Some(_) => {
            let eni = state.network_interfaces.get_mut(&input.network_interface_id).expect("checked above");
            eni.source_dest_check = Some(true);
            Ok(())
        }
        None => Err(errors::missing_parameter("sourceDestCheck")),
    }
}
