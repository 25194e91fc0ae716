//! Connection notifications: an SNS topic told of connection events (`Connect`, `Accept`,
//! `Reject`, `Delete`) of one of this account's services, or of one of its endpoints.
//! nimbus keeps the configuration; it has no SNS to publish to.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::service;
use crate::generated::dto::{
    ConnectionNotification, CreateVpcEndpointConnectionNotificationRequest,
    CreateVpcEndpointConnectionNotificationResult, DeleteVpcEndpointConnectionNotificationsRequest,
    DeleteVpcEndpointConnectionNotificationsResult, DescribeVpcEndpointConnectionNotificationsRequest,
    DescribeVpcEndpointConnectionNotificationsResult, ModifyVpcEndpointConnectionNotificationRequest,
    ModifyVpcEndpointConnectionNotificationResult,
};
use crate::generated::errors;
use crate::state::support::{filtered, paginate, unsuccessful};
use crate::state::Ec2State;

const EVENTS: &[&str] = &["Accept", "Connect", "Delete", "Reject"];

/// Checks an SNS topic ARN (`arn:aws:sns:<region>:<account>:<name>`).
fn check_topic(arn: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty()
        && parts[5].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(errors::invalid_parameter_value(format!(
            "Value ({arn}) for parameter connectionNotificationArn is invalid."
        )))
    }
}

fn check_events(events: &[String]) -> Result<Vec<String>, ApiError> {
    if events.is_empty() {
        return Err(errors::missing_parameter("connectionEvents"));
    }
    let mut out: Vec<String> = Vec::new();
    for e in events {
        if !EVENTS.contains(&e.as_str()) {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({e}) for parameter connectionEvents is invalid. Valid values are Accept, Connect, Delete and Reject."
            )));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a ConnectionNotification, ApiError> {
    state.endpoint_services.notifications.get(id).ok_or_else(|| errors::invalid_connection_notification(id))
}

pub fn create_vpc_endpoint_connection_notification(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVpcEndpointConnectionNotificationRequest,
) -> Result<CreateVpcEndpointConnectionNotificationResult, ApiError> {
    match (input.service_id.as_deref(), input.vpc_endpoint_id.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "Specify either a service ID or a VPC endpoint ID, not both.",
            ))
        }
        (None, None) => return Err(errors::missing_parameter("serviceId")),
        (Some(id), None) => {
            service(state, id)?;
        }
        (None, Some(id)) => {
            if !state.vpc_endpoints.contains_key(id) {
                return Err(errors::invalid_vpc_endpoint_id_not_found(id));
            }
        }
    }
    check_topic(&input.connection_notification_arn)?;
    let events = check_events(&input.connection_events)?;
    let id = ids::resource_id("vpce-nfn");
    let n = ConnectionNotification {
        connection_notification_id: Some(id.clone()),
        service_id: input.service_id.clone(),
        vpc_endpoint_id: input.vpc_endpoint_id.clone(),
        connection_notification_type: Some("Topic".into()),
        connection_notification_arn: Some(input.connection_notification_arn.clone()),
        connection_events: Some(events),
        connection_notification_state: Some("Enabled".into()),
        service_region: Some(ctx.region.clone()),
    };
    state.endpoint_services.notifications.insert(id, n.clone());
    Ok(CreateVpcEndpointConnectionNotificationResult {
        connection_notification: Some(n),
        client_token: input.client_token,
    })
}

impl Filterable for ConnectionNotification {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "connection-notification-arn" => opt(&self.connection_notification_arn),
            "connection-notification-id" => opt(&self.connection_notification_id),
            "connection-notification-state" => opt(&self.connection_notification_state),
            "connection-notification-type" => opt(&self.connection_notification_type),
            "service-id" => opt(&self.service_id),
            "vpc-endpoint-id" => opt(&self.vpc_endpoint_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

pub fn describe_vpc_endpoint_connection_notifications(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVpcEndpointConnectionNotificationsRequest,
) -> Result<DescribeVpcEndpointConnectionNotificationsResult, ApiError> {
    let paging = input.page();
    let all: Vec<ConnectionNotification> = match input.connection_notification_id.as_deref() {
        Some(id) => vec![get(state, id)?.clone()],
        None => state.endpoint_services.notifications.values().cloned().collect(),
    };
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |n| n.connection_notification_id.clone().unwrap_or_default(), paging, false)?;
    Ok(DescribeVpcEndpointConnectionNotificationsResult { connection_notification_set: Some(page), next_token: next })
}

pub fn modify_vpc_endpoint_connection_notification(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyVpcEndpointConnectionNotificationRequest,
) -> Result<ModifyVpcEndpointConnectionNotificationResult, ApiError> {
    let mut n = get(state, &input.connection_notification_id)?.clone();
    if let Some(arn) = input.connection_notification_arn {
        check_topic(&arn)?;
        n.connection_notification_arn = Some(arn);
    }
    if let Some(events) = input.connection_events {
        n.connection_events = Some(check_events(&events)?);
    }
    state.endpoint_services.notifications.insert(input.connection_notification_id, n);
    Ok(ModifyVpcEndpointConnectionNotificationResult { return_value: Some(true) })
}

pub fn delete_vpc_endpoint_connection_notifications(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteVpcEndpointConnectionNotificationsRequest,
) -> Result<DeleteVpcEndpointConnectionNotificationsResult, ApiError> {
    let mut failed = Vec::new();
    for id in &input.connection_notification_ids {
        if state.endpoint_services.notifications.remove(id).is_none() {
            failed.push(unsuccessful(id, errors::invalid_connection_notification(id)));
        }
    }
    Ok(DeleteVpcEndpointConnectionNotificationsResult { unsuccessful: Some(failed) })
}
