//! A provider account and a consumer account, each with its partition, meeting through
//! the cross-partition registry as the service makes them meet (publish after each write).

use chrono::Duration;
use nimbus_core::RequestContext;

use super::{configurations, connections, discovery, notifications, permissions};
use crate::generated::dto;
use crate::state::shared::Shared;
use crate::state::support::testing::{setup, subnet, vpc};
use crate::state::Ec2State;
use crate::vpc::{endpoints, vpcs};

const NLB: &str = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/web/0123456789abcdef";

struct Side {
    state: Ec2State,
    ctx: RequestContext,
}

impl Side {
    fn publish(&mut self, shared: &Shared) {
        shared.publish(&self.ctx.caller.account.clone(), &self.ctx.region.clone(), &mut self.state);
    }
}

fn provider() -> Side {
    let (state, ctx) = setup();
    Side { state, ctx }
}

/// Another account, at the provider's instant.
fn consumer(p: &Side) -> Side {
    let mut ctx = RequestContext { now: p.ctx.now, ..RequestContext::for_tests() };
    ctx.caller.account = "111111111111".into();
    ctx.caller.arn = "arn:aws:iam::111111111111:root".into();
    let mut state = Ec2State::default();
    vpcs::ensure_initialized(&mut state, &ctx);
    Side { state, ctx }
}

fn create_service(p: &mut Side, shared: &Shared, acceptance: bool) -> (String, String) {
    let input = dto::CreateVpcEndpointServiceConfigurationRequest {
        acceptance_required: Some(acceptance),
        network_load_balancer_arns: Some(vec![NLB.into()]),
        private_dns_name: Some("api.example.com".into()),
        ..Default::default()
    };
    let c = configurations::create_vpc_endpoint_service_configuration(&mut p.state, &p.ctx, input)
        .unwrap()
        .service_configuration
        .unwrap();
    p.publish(shared);
    (c.service_id.unwrap(), c.service_name.unwrap())
}

fn allow(p: &mut Side, shared: &Shared, service_id: &str, principal: &str) {
    let input = dto::ModifyVpcEndpointServicePermissionsRequest {
        service_id: service_id.into(),
        add_allowed_principals: Some(vec![principal.into()]),
        ..Default::default()
    };
    permissions::modify_vpc_endpoint_service_permissions(&mut p.state, &p.ctx, input).unwrap();
    p.publish(shared);
}

fn create_endpoint(c: &mut Side, shared: &Shared, service_name: &str) -> Result<dto::VpcEndpoint, String> {
    let v = vpc(&mut c.state, &c.ctx, "10.1.0.0/16");
    let s = subnet(&mut c.state, &c.ctx, &v, "10.1.1.0/24", "us-east-1a");
    let input = dto::CreateVpcEndpointRequest {
        vpc_id: v,
        vpc_endpoint_type: Some("Interface".into()),
        service_name: Some(service_name.into()),
        subnet_ids: Some(vec![s]),
        private_dns_enabled: Some(false),
        ..Default::default()
    };
    let e = endpoints::create_vpc_endpoint(&mut c.state, &c.ctx, shared, input).map_err(|e| e.code)?;
    c.publish(shared);
    Ok(e.vpc_endpoint.unwrap())
}

fn endpoint_state(c: &Side, shared: &Shared, id: &str) -> String {
    let input = dto::DescribeVpcEndpointsRequest { vpc_endpoint_ids: Some(vec![id.into()]), ..Default::default() };
    let out = endpoints::describe_vpc_endpoints(&c.state, &c.ctx, shared, input).unwrap();
    out.vpc_endpoints.unwrap()[0].state.clone().unwrap()
}

fn connection_states(p: &Side, shared: &Shared) -> Vec<(String, String, String)> {
    let out = connections::describe_vpc_endpoint_connections(&p.state, &p.ctx, shared, Default::default()).unwrap();
    out.vpc_endpoint_connections
        .unwrap()
        .into_iter()
        .map(|c| (c.vpc_endpoint_id.unwrap(), c.vpc_endpoint_owner.unwrap(), c.vpc_endpoint_state.unwrap()))
        .collect()
}

fn answer(p: &mut Side, shared: &Shared, service_id: &str, endpoint: &str, accept: bool) -> Vec<dto::UnsuccessfulItem> {
    let failed = if accept {
        let input = dto::AcceptVpcEndpointConnectionsRequest {
            service_id: service_id.into(),
            vpc_endpoint_ids: vec![endpoint.into()],
            ..Default::default()
        };
        connections::accept_vpc_endpoint_connections(&mut p.state, &p.ctx, shared, input).unwrap().unsuccessful
    } else {
        let input = dto::RejectVpcEndpointConnectionsRequest {
            service_id: service_id.into(),
            vpc_endpoint_ids: vec![endpoint.into()],
            ..Default::default()
        };
        connections::reject_vpc_endpoint_connections(&mut p.state, &p.ctx, shared, input).unwrap().unsuccessful
    };
    p.publish(shared);
    failed.unwrap()
}

fn delete_service(p: &mut Side, shared: &Shared, id: &str) -> Vec<dto::UnsuccessfulItem> {
    let input = dto::DeleteVpcEndpointServiceConfigurationsRequest { service_ids: vec![id.into()], dry_run: None };
    let out = configurations::delete_vpc_endpoint_service_configurations(&mut p.state, &p.ctx, shared, input);
    p.publish(shared);
    out.unwrap().unsuccessful.unwrap()
}

#[test]
fn another_account_connects_once_allowed_and_accepted() {
    let shared = Shared::default();
    let mut p = provider();
    let mut c = consumer(&p);
    let (svc, name) = create_service(&mut p, &shared, true);
    assert!(name.starts_with("com.amazonaws.vpce.us-east-1.vpce-svc-"));
    assert_eq!(svc.len(), "vpce-svc-".len() + 17);

    // Not allowed yet: the service is invisible to the consumer.
    assert_eq!(create_endpoint(&mut c, &shared, &name).unwrap_err(), "InvalidServiceName");
    let names = |c: &Side| {
        let out = discovery::describe_vpc_endpoint_services(&c.state, &c.ctx, &shared, Default::default()).unwrap();
        out.service_names.unwrap()
    };
    assert!(!names(&c).contains(&name));
    assert!(names(&p).contains(&name), "the owner sees its own service");

    allow(&mut p, &shared, &svc, "arn:aws:iam::111111111111:root");
    assert!(names(&c).contains(&name));
    let e = create_endpoint(&mut c, &shared, &name).unwrap();
    let id = e.vpc_endpoint_id.unwrap();
    assert_eq!(e.state.as_deref(), Some("pendingAcceptance"));
    assert!(e.dns_entries.unwrap()[0].dns_name.as_deref().unwrap().contains(&format!(".{svc}.us-east-1.vpce.")));
    assert_eq!(endpoint_state(&c, &shared, &id), "pendingAcceptance");
    assert_eq!(connection_states(&p, &shared), vec![(id.clone(), "111111111111".into(), "pendingAcceptance".into())]);

    // The service cannot go while the endpoint waits on it.
    let failed = delete_service(&mut p, &shared, &svc);
    assert_eq!(failed[0].error.as_ref().unwrap().code.as_deref(), Some("ExistingVpcEndpointConnections"));

    let unknown = answer(&mut p, &shared, &svc, "vpce-0123456789abcdef0", true);
    assert_eq!(unknown[0].error.as_ref().unwrap().code.as_deref(), Some("InvalidVpcEndpointId.NotFound"));
    assert!(answer(&mut p, &shared, &svc, &id, true).is_empty());
    assert_eq!(endpoint_state(&c, &shared, &id), "available");
    assert!(answer(&mut p, &shared, &svc, &id, false).is_empty(), "an accepted connection can be cut off");
    assert_eq!(endpoint_state(&c, &shared, &id), "rejected");
    assert_eq!(connection_states(&p, &shared)[0].2, "rejected");
    let again = answer(&mut p, &shared, &svc, &id, true);
    assert_eq!(again[0].error.as_ref().unwrap().code.as_deref(), Some("IncorrectState"));

    // Rejected endpoints do not hold the service; once deleted, theirs shows rejected.
    assert!(delete_service(&mut p, &shared, &svc).is_empty());
    assert_eq!(endpoint_state(&c, &shared, &id), "rejected");
    let gone = delete_service(&mut p, &shared, &svc);
    assert_eq!(gone[0].error.as_ref().unwrap().code.as_deref(), Some("InvalidVpcEndpointService.NotFound"));
    let delete = dto::DeleteVpcEndpointsRequest { vpc_endpoint_ids: vec![id], dry_run: None };
    endpoints::delete_vpc_endpoints(&mut c.state, &c.ctx, delete).unwrap();
    c.publish(&shared);
    assert!(shared.connections_to(&svc).is_empty());
}

#[test]
fn without_acceptance_an_endpoint_is_available_and_holds_the_service() {
    let shared = Shared::default();
    let mut p = provider();
    let (svc, name) = create_service(&mut p, &shared, false);
    // The owner connects to its own service without being listed.
    let mut own = Side { state: std::mem::take(&mut p.state), ctx: p.ctx.clone() };
    let e = create_endpoint(&mut own, &shared, &name).unwrap();
    let id = e.vpc_endpoint_id.unwrap();
    assert_eq!(e.state.as_deref(), Some("pending"));
    assert_eq!(endpoint_state(&own, &shared, &id), "available");
    assert_eq!(connection_states(&own, &shared), vec![(id.clone(), "000000000000".into(), "available".into())]);
    let failed = delete_service(&mut own, &shared, &svc);
    assert_eq!(failed[0].error.as_ref().unwrap().code.as_deref(), Some("ExistingVpcEndpointConnections"));
    let remove_nlb = dto::ModifyVpcEndpointServiceConfigurationRequest {
        service_id: svc.clone(),
        add_network_load_balancer_arns: Some(vec![NLB.replace("/web/", "/api/")]),
        remove_network_load_balancer_arns: Some(vec![NLB.into()]),
        ..Default::default()
    };
    let err = configurations::modify_vpc_endpoint_service_configuration(&mut own.state, &own.ctx, &shared, remove_nlb);
    assert_eq!(err.unwrap_err().code, "ExistingVpcEndpointConnections");
    let delete = dto::DeleteVpcEndpointsRequest { vpc_endpoint_ids: vec![id], dry_run: None };
    endpoints::delete_vpc_endpoints(&mut own.state, &own.ctx, delete).unwrap();
    own.publish(&shared);
    assert!(delete_service(&mut own, &shared, &svc).is_empty());
}

#[test]
fn a_configuration_is_pending_then_available_with_its_private_dns_to_verify() {
    let shared = Shared::default();
    let mut p = provider();
    p.state.transition_delay_secs = 5;
    let (svc, _) = create_service(&mut p, &shared, true);
    let describe = |p: &Side, at: chrono::DateTime<chrono::Utc>| {
        let ctx = RequestContext { now: at, ..p.ctx.clone() };
        let input = dto::DescribeVpcEndpointServiceConfigurationsRequest {
            service_ids: Some(vec![svc.clone()]),
            ..Default::default()
        };
        let out = configurations::describe_vpc_endpoint_service_configurations(&p.state, &ctx, input).unwrap();
        out.service_configurations.unwrap().remove(0)
    };
    let now = p.ctx.now;
    assert_eq!(describe(&p, now).service_state.as_deref(), Some("Pending"));
    let c = describe(&p, now + Duration::seconds(5));
    assert_eq!(c.service_state.as_deref(), Some("Available"));
    assert_eq!(c.acceptance_required, Some(true));
    assert_eq!(c.supported_ip_address_types.as_deref(), Some(&["ipv4".to_string()][..]));
    assert_eq!(c.base_endpoint_dns_names.unwrap()[0], format!("{svc}.us-east-1.vpce.amazonaws.com"));
    assert_eq!(c.supported_regions.unwrap()[0].region.as_deref(), Some("us-east-1"));
    let dns = c.private_dns_name_configuration.unwrap();
    assert_eq!((dns.state.as_deref(), dns.r#type.as_deref()), (Some("pendingVerification"), Some("TXT")));
    assert!(dns.value.unwrap().starts_with("vpce:") && dns.name.unwrap().starts_with('_'));
    let start = dto::StartVpcEndpointServicePrivateDnsVerificationRequest { service_id: svc.clone(), dry_run: None };
    configurations::start_vpc_endpoint_service_private_dns_verification(&mut p.state, &p.ctx, start).unwrap();
    let later = describe(&p, now + Duration::seconds(10));
    assert_eq!(later.private_dns_name_configuration.unwrap().state.as_deref(), Some("verified"));

    let missing = dto::DescribeVpcEndpointServiceConfigurationsRequest {
        service_ids: Some(vec!["vpce-svc-0123456789abcdef0".into()]),
        ..Default::default()
    };
    let err = configurations::describe_vpc_endpoint_service_configurations(&p.state, &p.ctx, missing).unwrap_err();
    assert_eq!(err.code, "InvalidVpcEndpointServiceId.NotFound");
    let bad = dto::CreateVpcEndpointServiceConfigurationRequest {
        network_load_balancer_arns: Some(vec!["arn:aws:elasticloadbalancing:us-east-1:000000000000:nope".into()]),
        ..Default::default()
    };
    let err = configurations::create_vpc_endpoint_service_configuration(&mut p.state, &p.ctx, bad).unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    let none = dto::CreateVpcEndpointServiceConfigurationRequest::default();
    let err = configurations::create_vpc_endpoint_service_configuration(&mut p.state, &p.ctx, none).unwrap_err();
    assert_eq!(err.code, "InvalidParameter");
}

#[test]
fn notifications_name_a_topic_and_events_of_a_service() {
    let shared = Shared::default();
    let mut p = provider();
    let (svc, _) = create_service(&mut p, &shared, true);
    let create = |svc: &str, arn: &str, events: &[&str]| dto::CreateVpcEndpointConnectionNotificationRequest {
        service_id: Some(svc.into()),
        connection_notification_arn: arn.into(),
        connection_events: events.iter().map(|e| e.to_string()).collect(),
        ..Default::default()
    };
    let topic = "arn:aws:sns:us-east-1:000000000000:endpoint-events";
    let n = notifications::create_vpc_endpoint_connection_notification(
        &mut p.state,
        &p.ctx,
        create(&svc, topic, &["Connect", "Accept"]),
    )
    .unwrap()
    .connection_notification
    .unwrap();
    let id = n.connection_notification_id.clone().unwrap();
    assert!(id.starts_with("vpce-nfn-"));
    assert_eq!(
        (n.connection_notification_state.as_deref(), n.connection_notification_type.as_deref()),
        (Some("Enabled"), Some("Topic"))
    );
    let code = |p: &mut Side, input| {
        notifications::create_vpc_endpoint_connection_notification(&mut p.state, &p.ctx, input).unwrap_err().code
    };
    assert_eq!(code(&mut p, create(&svc, topic, &["Bogus"])), "InvalidParameterValue");
    assert_eq!(
        code(&mut p, create(&svc, "arn:aws:sqs:us-east-1:000000000000:q", &["Connect"])),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(&mut p, create("vpce-svc-0123456789abcdef0", topic, &["Connect"])),
        "InvalidVpcEndpointServiceId.NotFound"
    );
    let modify = dto::ModifyVpcEndpointConnectionNotificationRequest {
        connection_notification_id: id.clone(),
        connection_events: Some(vec!["Reject".into(), "Delete".into()]),
        ..Default::default()
    };
    notifications::modify_vpc_endpoint_connection_notification(&mut p.state, &p.ctx, modify).unwrap();
    let described = dto::DescribeVpcEndpointConnectionNotificationsRequest {
        connection_notification_id: Some(id.clone()),
        ..Default::default()
    };
    let out = notifications::describe_vpc_endpoint_connection_notifications(&p.state, &p.ctx, described).unwrap();
    assert_eq!(out.connection_notification_set.unwrap()[0].connection_events.as_deref().unwrap(), ["Reject", "Delete"]);
    // The service's notifications go with it.
    assert!(delete_service(&mut p, &shared, &svc).is_empty());
    let missing = dto::DescribeVpcEndpointConnectionNotificationsRequest {
        connection_notification_id: Some(id),
        ..Default::default()
    };
    let err = notifications::describe_vpc_endpoint_connection_notifications(&p.state, &p.ctx, missing).unwrap_err();
    assert_eq!(err.code, "InvalidConnectionNotification");
}
