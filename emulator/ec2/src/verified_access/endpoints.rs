//! Verified Access endpoints: an application behind a load balancer, a network interface,
//! an RDS database or a CIDR range, in a group. `pending` -> `active` after creation,
//! `updating` -> `active` after a change, `deleting` -> gone.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, step_over, time};
use super::options::{self, modify_ranges, port_ranges};
use crate::generated::dto::{
    CreateVerifiedAccessEndpointRequest, CreateVerifiedAccessEndpointResult, DeleteVerifiedAccessEndpointRequest,
    DeleteVerifiedAccessEndpointResult, DescribeVerifiedAccessEndpointsRequest, DescribeVerifiedAccessEndpointsResult,
    GetVerifiedAccessEndpointPolicyRequest, GetVerifiedAccessEndpointPolicyResult,
    GetVerifiedAccessEndpointTargetsRequest, GetVerifiedAccessEndpointTargetsResult,
    ModifyVerifiedAccessEndpointPolicyRequest, ModifyVerifiedAccessEndpointPolicyResult,
    ModifyVerifiedAccessEndpointRequest, ModifyVerifiedAccessEndpointResult, VerifiedAccessEndpoint,
    VerifiedAccessEndpointStatus, VerifiedAccessEndpointTarget,
};
use crate::generated::{enums, errors};
use crate::state::cidr::Ipv4Cidr;
use crate::state::params::one_of;
use crate::state::support::{filtered, mark_changed, paginate, spec_tags, stable_hash, tag_pairs};
use crate::state::verified_access::{VaEndpointRecord, VaEndpointStage};
use crate::state::Ec2State;

/// The status an endpoint shows at `now`.
fn status(state: &Ec2State, id: &str, stage: VaEndpointStage, now: chrono::DateTime<chrono::Utc>) -> &'static str {
    match (stage, step_over(state, id, now)) {
        (VaEndpointStage::Created, false) => "pending",
        (VaEndpointStage::Updated, false) => "updating",
        (VaEndpointStage::Deleting, _) => "deleting",
        _ => "active",
    }
}

fn describe_one(state: &Ec2State, id: &str, now: chrono::DateTime<chrono::Utc>) -> VerifiedAccessEndpoint {
    let record = &state.verified_access.endpoints[id];
    let mut e = record.endpoint.clone();
    e.status =
        Some(VerifiedAccessEndpointStatus { code: Some(status(state, id, record.stage, now).into()), message: None });
    e.tags = state.dto_tags(id);
    e
}

pub fn create_verified_access_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVerifiedAccessEndpointRequest,
) -> Result<CreateVerifiedAccessEndpointResult, ApiError> {
    common::drop_deleted_endpoints(state, ctx.now);
    one_of("EndpointType", &input.endpoint_type, enums::VERIFIED_ACCESS_ENDPOINT_TYPE)?;
    one_of("AttachmentType", &input.attachment_type, enums::VERIFIED_ACCESS_ENDPOINT_ATTACHMENT_TYPE)?;
    let group = common::group(state, &input.verified_access_group_id)?;
    let vai = group.group.verified_access_instance_id.clone().unwrap_or_default();
    let opts = options::for_create(state, &input)?;
    let groups = input.security_group_ids.clone().unwrap_or_default();
    options::security_groups(state, &groups, opts.vpc_id.as_deref())?;
    let id = ids::resource_id("vae");
    let (endpoint_domain, application_domain, certificate) = if opts.web {
        let app = input.application_domain.clone().ok_or_else(|| errors::missing_parameter("ApplicationDomain"))?;
        let cert =
            input.domain_certificate_arn.clone().ok_or_else(|| errors::missing_parameter("DomainCertificateArn"))?;
        if !cert.starts_with("arn:") || cert.split(':').nth(2) != Some("acm") {
            return Err(errors::invalid_parameter_value(format!(
                "The value '{cert}' for parameter DomainCertificateArn is not a valid certificate ARN."
            )));
        }
        let prefix =
            input.endpoint_domain_prefix.clone().ok_or_else(|| errors::missing_parameter("EndpointDomainPrefix"))?;
        let domain = format!(
            "{prefix}.edge-{:017x}.{vai}.prod.verified-access.{}.amazonaws.com",
            u64::from(stable_hash(&id)) << 20 | u64::from(stable_hash(&vai) & 0xfffff),
            ctx.region
        );
        (domain, Some(app), Some(cert))
    } else {
        (format!("{id}.{vai}.prod.verified-access.{}.amazonaws.com", ctx.region), None, None)
    };
    let sse = common::sse(input.sse_specification.as_ref())?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "verified-access-endpoint")?;
    let endpoint = VerifiedAccessEndpoint {
        verified_access_instance_id: Some(vai.clone()),
        verified_access_group_id: Some(input.verified_access_group_id.clone()),
        verified_access_endpoint_id: Some(id.clone()),
        application_domain,
        endpoint_type: Some(input.endpoint_type.clone()),
        attachment_type: Some(input.attachment_type.clone()),
        domain_certificate_arn: certificate,
        device_validation_domain: opts
            .web
            .then(|| format!("{:08x}.{vai}.prod.verified-access.{}.amazonaws.com", stable_hash(&id), ctx.region)),
        endpoint_domain: Some(endpoint_domain),
        security_group_ids: Some(groups),
        load_balancer_options: opts.load_balancer,
        network_interface_options: opts.eni,
        status: None,
        description: Some(input.description.clone().unwrap_or_default()),
        creation_time: Some(time(ctx.now)),
        last_updated_time: Some(time(ctx.now)),
        deletion_time: None,
        tags: None,
        sse_specification: sse,
        rds_options: opts.rds,
        cidr_options: opts.cidr,
    };
    let policy = common::initial_policy(input.policy_document.as_deref());
    state
        .verified_access
        .endpoints
        .insert(id.clone(), VaEndpointRecord { endpoint, policy, stage: VaEndpointStage::Created });
    state.set_tags(&id, tags);
    mark_changed(state, &id, ctx.now);
    let mut shown = describe_one(state, &id, ctx.now);
    shown.status = Some(VerifiedAccessEndpointStatus { code: Some("pending".into()), message: None });
    Ok(CreateVerifiedAccessEndpointResult { verified_access_endpoint: Some(shown) })
}

impl Filterable for VerifiedAccessEndpoint {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "verified-access-endpoint-id" => opt(&self.verified_access_endpoint_id),
            "verified-access-group-id" => opt(&self.verified_access_group_id),
            "verified-access-instance-id" => opt(&self.verified_access_instance_id),
            "endpoint-type" => opt(&self.endpoint_type),
            "attachment-type" => opt(&self.attachment_type),
            "application-domain" => opt(&self.application_domain),
            "status-code" => self.status.iter().filter_map(|s| s.code.clone()).collect(),
            "description" => opt(&self.description),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_verified_access_endpoints(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVerifiedAccessEndpointsRequest,
) -> Result<DescribeVerifiedAccessEndpointsResult, ApiError> {
    let paging = input.page();
    let ids = input.verified_access_endpoint_ids.unwrap_or_default();
    for id in &ids {
        common::endpoint(state, id, ctx.now)?;
    }
    if let Some(vai) = &input.verified_access_instance_id {
        common::instance(state, vai)?;
    }
    if let Some(vagr) = &input.verified_access_group_id {
        common::group(state, vagr)?;
    }
    let all = state
        .verified_access
        .endpoints
        .iter()
        .filter(|(id, _)| common::endpoint(state, id, ctx.now).is_ok())
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(_, e)| {
            input.verified_access_instance_id.is_none()
                || e.endpoint.verified_access_instance_id == input.verified_access_instance_id
        })
        .filter(|(_, e)| {
            input.verified_access_group_id.is_none()
                || e.endpoint.verified_access_group_id == input.verified_access_group_id
        })
        .map(|(id, _)| describe_one(state, id, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |e| e.verified_access_endpoint_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeVerifiedAccessEndpointsResult { verified_access_endpoints: Some(page), next_token: next })
}

/// Refuses changing an endpoint that is still being created, changed or deleted.
fn settled_endpoint(state: &Ec2State, id: &str, now: chrono::DateTime<chrono::Utc>) -> Result<(), ApiError> {
    let record = common::endpoint(state, id, now)?;
    let shown = status(state, id, record.stage, now);
    if shown != "active" {
        return Err(errors::incorrect_state(format!(
            "The Verified Access endpoint {id} is in the {shown} state and cannot be modified."
        )));
    }
    Ok(())
}

fn wrong_type(member: &str, endpoint_type: &str) -> ApiError {
    errors::invalid_parameter_combination(format!(
        "{member} cannot be specified for an endpoint of type {endpoint_type}."
    ))
}

pub fn modify_verified_access_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVerifiedAccessEndpointRequest,
) -> Result<ModifyVerifiedAccessEndpointResult, ApiError> {
    common::drop_deleted_endpoints(state, ctx.now);
    let id = input.verified_access_endpoint_id.clone();
    settled_endpoint(state, &id, ctx.now)?;
    let mut e = state.verified_access.endpoints[&id].endpoint.clone();
    let t = e.endpoint_type.clone().unwrap_or_default();
    if let Some(vagr) = &input.verified_access_group_id {
        let group = common::group(state, vagr)?;
        if group.group.verified_access_instance_id != e.verified_access_instance_id {
            return Err(errors::invalid_parameter_value(format!(
                "The Verified Access group {vagr} belongs to another Verified Access instance."
            )));
        }
        e.verified_access_group_id = Some(vagr.clone());
    }
    if let Some(o) = &input.load_balancer_options {
        let current = e.load_balancer_options.as_mut().ok_or_else(|| wrong_type("LoadBalancerOptions", &t))?;
        if let Some(subnets) = &o.subnet_ids {
            let vpc = options::subnets_vpc(state, subnets)?;
            let before = options::subnets_vpc(state, current.subnet_ids.as_deref().unwrap_or_default())?;
            if before.is_some() && vpc != before {
                return Err(errors::invalid_parameter_value("The subnets must be in the endpoint's VPC."));
            }
            current.subnet_ids = Some(subnets.clone());
        }
        if let Some(p) = options::modified_protocol(o.protocol.as_deref(), "LoadBalancerOptions.Protocol")? {
            current.protocol = Some(p);
        }
        current.port = o.port.or(current.port);
        if let Some(r) = port_ranges(modify_ranges(&o.port_ranges), "LoadBalancerOptions.PortRanges")? {
            current.port_ranges = Some(r);
        }
    }
    if let Some(o) = &input.network_interface_options {
        let current = e.network_interface_options.as_mut().ok_or_else(|| wrong_type("NetworkInterfaceOptions", &t))?;
        if let Some(p) = options::modified_protocol(o.protocol.as_deref(), "NetworkInterfaceOptions.Protocol")? {
            current.protocol = Some(p);
        }
        current.port = o.port.or(current.port);
        if let Some(r) = port_ranges(modify_ranges(&o.port_ranges), "NetworkInterfaceOptions.PortRanges")? {
            current.port_ranges = Some(r);
        }
    }
    if let Some(o) = &input.rds_options {
        let current = e.rds_options.as_mut().ok_or_else(|| wrong_type("RdsOptions", &t))?;
        if let Some(subnets) = &o.subnet_ids {
            options::subnets_vpc(state, subnets)?;
            current.subnet_ids = Some(subnets.clone());
        }
        current.port = o.port.or(current.port);
        if o.rds_endpoint.is_some() {
            current.rds_endpoint = o.rds_endpoint.clone();
        }
    }
    if let Some(o) = &input.cidr_options {
        let current = e.cidr_options.as_mut().ok_or_else(|| wrong_type("CidrOptions", &t))?;
        if let Some(r) = port_ranges(modify_ranges(&o.port_ranges), "CidrOptions.PortRanges")? {
            current.port_ranges = Some(r);
        }
    }
    if let Some(d) = &input.description {
        e.description = Some(d.clone());
    }
    e.last_updated_time = Some(time(ctx.now));
    let record = state.verified_access.endpoints.get_mut(&id).expect("checked above");
    record.endpoint = e;
    record.stage = VaEndpointStage::Updated;
    mark_changed(state, &id, ctx.now);
    let mut shown = describe_one(state, &id, ctx.now);
    shown.status = Some(VerifiedAccessEndpointStatus { code: Some("updating".into()), message: None });
    Ok(ModifyVerifiedAccessEndpointResult { verified_access_endpoint: Some(shown) })
}

pub fn delete_verified_access_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteVerifiedAccessEndpointRequest,
) -> Result<DeleteVerifiedAccessEndpointResult, ApiError> {
    common::drop_deleted_endpoints(state, ctx.now);
    let id = input.verified_access_endpoint_id;
    let record = common::endpoint(state, &id, ctx.now)?;
    if record.stage == VaEndpointStage::Deleting {
        return Err(errors::incorrect_state(format!("The Verified Access endpoint {id} is already being deleted.")));
    }
    let record = state.verified_access.endpoints.get_mut(&id).expect("checked above");
    record.stage = VaEndpointStage::Deleting;
    record.endpoint.deletion_time = Some(time(ctx.now));
    mark_changed(state, &id, ctx.now);
    let shown = describe_one(state, &id, ctx.now);
    Ok(DeleteVerifiedAccessEndpointResult { verified_access_endpoint: Some(shown) })
}

pub fn get_verified_access_endpoint_policy(
    state: &Ec2State,
    ctx: &RequestContext,
    input: GetVerifiedAccessEndpointPolicyRequest,
) -> Result<GetVerifiedAccessEndpointPolicyResult, ApiError> {
    let policy = &common::endpoint(state, &input.verified_access_endpoint_id, ctx.now)?.policy;
    Ok(GetVerifiedAccessEndpointPolicyResult {
        policy_enabled: Some(policy.enabled),
        policy_document: policy.document.clone(),
    })
}

pub fn modify_verified_access_endpoint_policy(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVerifiedAccessEndpointPolicyRequest,
) -> Result<ModifyVerifiedAccessEndpointPolicyResult, ApiError> {
    common::drop_deleted_endpoints(state, ctx.now);
    let id = input.verified_access_endpoint_id;
    let record = common::endpoint(state, &id, ctx.now)?;
    let policy = common::modified_policy(&record.policy, input.policy_enabled, input.policy_document.as_deref())?;
    let sse = match &input.sse_specification {
        Some(given) => common::sse(Some(given))?,
        None => record.endpoint.sse_specification.clone(),
    };
    let record = state.verified_access.endpoints.get_mut(&id).expect("checked above");
    record.policy = policy.clone();
    record.endpoint.sse_specification = sse.clone();
    record.endpoint.last_updated_time = Some(time(ctx.now));
    Ok(ModifyVerifiedAccessEndpointPolicyResult {
        policy_enabled: Some(policy.enabled),
        policy_document: policy.document,
        sse_specification: sse,
    })
}

/// What an endpoint reaches: the interface's private addresses, the interfaces of the
/// endpoint's subnets inside a CIDR endpoint's range, an RDS endpoint's name. A load
/// balancer's targets are ELB's to know, and nimbus has no ELB.
pub fn get_verified_access_endpoint_targets(
    state: &Ec2State,
    ctx: &RequestContext,
    input: GetVerifiedAccessEndpointTargetsRequest,
) -> Result<GetVerifiedAccessEndpointTargetsResult, ApiError> {
    let paging = input.page();
    let id = input.verified_access_endpoint_id;
    let e = &common::endpoint(state, &id, ctx.now)?.endpoint;
    let target = |ip: Option<String>, dns: Option<String>| VerifiedAccessEndpointTarget {
        verified_access_endpoint_id: Some(id.clone()),
        verified_access_endpoint_target_ip_address: ip,
        verified_access_endpoint_target_dns: dns,
    };
    let mut targets = Vec::new();
    if let Some(eni) = e.network_interface_options.as_ref().and_then(|o| o.network_interface_id.as_deref()) {
        for ip in state.network_interfaces.get(eni).and_then(|i| i.private_ip_addresses.clone()).unwrap_or_default() {
            targets.push(target(ip.private_ip_address, None));
        }
    }
    if let Some(c) = &e.cidr_options {
        let range = c.cidr.as_deref().and_then(Ipv4Cidr::parse);
        let subnets = c.subnet_ids.clone().unwrap_or_default();
        for i in state.network_interfaces.values().filter(|i| i.subnet_id.as_ref().is_some_and(|s| subnets.contains(s)))
        {
            for ip in i.private_ip_addresses.iter().flatten().filter_map(|a| a.private_ip_address.clone()) {
                let inside =
                    ip.parse::<std::net::Ipv4Addr>().ok().zip(range).is_some_and(|(a, r)| r.contains_addr(a.into()));
                if inside {
                    targets.push(target(Some(ip), None));
                }
            }
        }
    }
    if let Some(dns) = e.rds_options.as_ref().and_then(|r| r.rds_endpoint.clone()) {
        targets.push(target(None, Some(dns)));
    }
    let key = |t: &VerifiedAccessEndpointTarget| {
        t.verified_access_endpoint_target_ip_address
            .clone()
            .or(t.verified_access_endpoint_target_dns.clone())
            .unwrap_or_default()
    };
    targets.sort_by_key(key);
    targets.dedup_by_key(|t| key(t));
    let (page, next) = paginate(targets, key, paging, false)?;
    Ok(GetVerifiedAccessEndpointTargetsResult { verified_access_endpoint_targets: Some(page), next_token: next })
}
