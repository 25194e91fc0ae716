//! Endpoint service configurations: create (from load balancer ARNs), describe, modify,
//! delete (refused while endpoints are connected), private DNS name verification and the
//! payer responsibility.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, regions, ApiError, RequestContext};

use super::{base_dns_name, check_id, connections, service, service_name, service_state};
use crate::generated::dto::{
    CreateVpcEndpointServiceConfigurationRequest, CreateVpcEndpointServiceConfigurationResult,
    DeleteVpcEndpointServiceConfigurationsRequest, DeleteVpcEndpointServiceConfigurationsResult,
    DescribeVpcEndpointServiceConfigurationsRequest, DescribeVpcEndpointServiceConfigurationsResult,
    ModifyVpcEndpointServiceConfigurationRequest, ModifyVpcEndpointServiceConfigurationResult,
    ModifyVpcEndpointServicePayerResponsibilityRequest, ModifyVpcEndpointServicePayerResponsibilityResult,
    PrivateDnsNameConfiguration, ServiceConfiguration, ServiceTypeDetail,
    StartVpcEndpointServicePrivateDnsVerificationRequest, StartVpcEndpointServicePrivateDnsVerificationResult,
    SupportedRegionDetail,
};
use crate::generated::{enums, errors};
use crate::state::endpoint_services::EndpointServiceRecord;
use crate::state::params::one_of;
use crate::state::shared::Shared;
use crate::state::support::{describe_page, spec_tags, tag_pairs, unsuccessful};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

const IP_ADDRESS_TYPES: &[&str] = &["ipv4", "ipv6"];

/// Checks a load balancer ARN: Elastic Load Balancing's, in this region, of the kind
/// (`net` for Network, `gwy` for Gateway Load Balancers). nimbus has no load balancers to
/// look it up in.
fn check_load_balancer(region: &str, arn: &str, kind: &str, parameter: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "elasticloadbalancing"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].strip_prefix(&format!("loadbalancer/{kind}/")).is_some_and(|rest| {
            let mut it = rest.split('/');
            matches!((it.next(), it.next(), it.next()), (Some(n), Some(h), None) if !n.is_empty() && !h.is_empty())
        });
    if !well_formed {
        return Err(errors::invalid_parameter_value(format!("Value ({arn}) for parameter {parameter} is invalid.")));
    }
    if parts[3] != region {
        return Err(errors::invalid_parameter(format!("The load balancer {arn} is not in the region {region}.")));
    }
    Ok(())
}

fn check_ip_address_types(types: &[String]) -> Result<(), ApiError> {
    for t in types {
        one_of("supportedIpAddressType", t, IP_ADDRESS_TYPES)?;
    }
    Ok(())
}

fn check_regions(names: &[String]) -> Result<(), ApiError> {
    match names.iter().find(|r| !regions::is_known(r)) {
        Some(r) => Err(errors::invalid_parameter(format!("The region {r} is not supported."))),
        None => Ok(()),
    }
}

fn check_private_dns_name(name: &str) -> Result<(), ApiError> {
    let labels: Vec<&str> = name.trim_start_matches("*.").split('.').collect();
    let ok = name.len() <= 255
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(errors::invalid_parameter_value(format!("Value ({name}) for parameter privateDnsName is invalid.")))
    }
}

/// A fresh verification record for a private DNS name: AWS's TXT record name and value.
fn dns_configuration(name: Option<&str>) -> Option<PrivateDnsNameConfiguration> {
    name.map(|_| PrivateDnsNameConfiguration {
        state: Some("pendingVerification".into()),
        r#type: Some("TXT".into()),
        value: Some(format!("vpce:{}", ids::key_id("", 20).to_ascii_lowercase())),
        name: Some(format!("_{}", ids::key_id("", 20).to_ascii_lowercase())),
    })
}

fn supported_regions(names: &[String]) -> Vec<SupportedRegionDetail> {
    names
        .iter()
        .map(|r| SupportedRegionDetail { region: Some(r.clone()), service_state: Some("Available".into()) })
        .collect()
}

/// A service as DescribeVpcEndpointServiceConfigurations shows it at `now`.
pub fn shown(
    state: &Ec2State,
    record: &EndpointServiceRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceConfiguration {
    let mut c = record.config.clone();
    c.service_state = Some(service_state(state, record, now).into());
    if let Some(dns) = c.private_dns_name_configuration.as_mut() {
        if record.dns_verified(state.transition_delay(), now) {
            dns.state = Some("verified".into());
        }
    }
    c.tags = state.dto_tags(record.id());
    c
}

pub fn create_vpc_endpoint_service_configuration(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVpcEndpointServiceConfigurationRequest,
) -> Result<CreateVpcEndpointServiceConfigurationResult, ApiError> {
    let nlbs = input.network_load_balancer_arns.clone().unwrap_or_default();
    let gwlbs = input.gateway_load_balancer_arns.clone().unwrap_or_default();
    let kind = match (nlbs.is_empty(), gwlbs.is_empty()) {
        (true, true) => {
            return Err(errors::invalid_parameter(
                "At least one Network Load Balancer or Gateway Load Balancer ARN must be specified.",
            ))
        }
        (false, false) => {
            return Err(errors::invalid_parameter_combination(
                "Network Load Balancers and Gateway Load Balancers cannot both be specified.",
            ))
        }
        (false, true) => "Interface",
        (true, false) => "GatewayLoadBalancer",
    };
    for arn in &nlbs {
        check_load_balancer(&ctx.region, arn, "net", "networkLoadBalancerArn")?;
    }
    for arn in &gwlbs {
        check_load_balancer(&ctx.region, arn, "gwy", "gatewayLoadBalancerArn")?;
    }
    let ip_types = input.supported_ip_address_types.clone().unwrap_or_else(|| vec!["ipv4".into()]);
    check_ip_address_types(&ip_types)?;
    let mut region_names = vec![ctx.region.clone()];
    for r in input.supported_regions.clone().unwrap_or_default() {
        if !region_names.contains(&r) {
            region_names.push(r);
        }
    }
    check_regions(&region_names)?;
    if let Some(name) = input.private_dns_name.as_deref() {
        if kind == "GatewayLoadBalancer" {
            return Err(errors::invalid_parameter(
                "Private DNS names are not supported for Gateway Load Balancer services.",
            ));
        }
        check_private_dns_name(name)?;
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "vpc-endpoint-service")?;
    let id = ids::resource_id("vpce-svc");
    let zones = regions::availability_zones(&ctx.region);
    let config = ServiceConfiguration {
        service_type: Some(vec![ServiceTypeDetail { service_type: Some(kind.into()) }]),
        service_id: Some(id.clone()),
        service_name: Some(service_name(&ctx.region, &id)),
        availability_zone_ids: Some(zones.iter().map(|z| z.zone_id.clone()).collect()),
        availability_zones: Some(zones.iter().map(|z| z.zone_name.clone()).collect()),
        acceptance_required: Some(input.acceptance_required.unwrap_or(true)),
        manages_vpc_endpoints: Some(false),
        network_load_balancer_arns: (!nlbs.is_empty()).then_some(nlbs),
        gateway_load_balancer_arns: (!gwlbs.is_empty()).then_some(gwlbs),
        supported_ip_address_types: Some(ip_types),
        base_endpoint_dns_names: Some(vec![base_dns_name(&ctx.region, &id)]),
        private_dns_name: input.private_dns_name.clone(),
        private_dns_name_configuration: dns_configuration(input.private_dns_name.as_deref()),
        supported_regions: Some(supported_regions(&region_names)),
        remote_access_enabled: Some(false),
        ..Default::default()
    };
    let record = EndpointServiceRecord {
        config,
        life: Life::new(Stage::Created, ctx.now),
        principals: Vec::new(),
        answers: Default::default(),
        dns_verification: None,
    };
    state.endpoint_services.services.insert(id.clone(), record);
    state.set_tags(&id, tags);
    state.unpublished.insert(id.clone());
    let mut answer = shown(state, &state.endpoint_services.services[&id], ctx.now);
    answer.service_state = Some("Pending".into());
    Ok(CreateVpcEndpointServiceConfigurationResult {
        service_configuration: Some(answer),
        client_token: input.client_token,
    })
}

impl Filterable for ServiceConfiguration {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "service-name" => opt(&self.service_name),
            "service-id" => opt(&self.service_id),
            "service-state" => opt(&self.service_state),
            "service-type" => self.service_type.iter().flatten().filter_map(|t| t.service_type.clone()).collect(),
            "supported-ip-address-types" => self.supported_ip_address_types.clone().unwrap_or_default(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_vpc_endpoint_service_configurations(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVpcEndpointServiceConfigurationsRequest,
) -> Result<DescribeVpcEndpointServiceConfigurationsResult, ApiError> {
    let paging = input.page();
    let ids = input.service_ids.unwrap_or_default();
    for id in &ids {
        check_id(id)?;
    }
    let services = &state.endpoint_services.services;
    let (page, next) = describe_page(
        &ids,
        |id| services.contains_key(id),
        errors::invalid_vpc_endpoint_service_id_not_found,
        services.values().map(|r| shown(state, r, ctx.now)),
        |c| c.service_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        paging,
    )?;
    Ok(DescribeVpcEndpointServiceConfigurationsResult { service_configurations: Some(page), next_token: next })
}

/// `list` with `add` appended (once each) and `remove` taken out.
fn edited(list: &[String], add: &[String], remove: &[String]) -> Vec<String> {
    let mut out: Vec<String> = list.iter().filter(|v| !remove.contains(v)).cloned().collect();
    for v in add {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

pub fn modify_vpc_endpoint_service_configuration(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifyVpcEndpointServiceConfigurationRequest,
) -> Result<ModifyVpcEndpointServiceConfigurationResult, ApiError> {
    let mut record = service(state, &input.service_id)?.clone();
    let id = input.service_id.clone();
    let none = Vec::new();
    let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    let interface = record.service_type() == "Interface";
    let c = &mut record.config;
    let (add_nlb, remove_nlb) =
        (list(&input.add_network_load_balancer_arns), list(&input.remove_network_load_balancer_arns));
    let (add_gwlb, remove_gwlb) =
        (list(&input.add_gateway_load_balancer_arns), list(&input.remove_gateway_load_balancer_arns));
    let nlb_change = !add_nlb.is_empty() || !remove_nlb.is_empty();
    let gwlb_change = !add_gwlb.is_empty() || !remove_gwlb.is_empty();
    if (interface && gwlb_change) || (!interface && nlb_change) {
        return Err(errors::invalid_parameter(
            "A service cannot have both Network Load Balancers and Gateway Load Balancers.",
        ));
    }
    for arn in &add_nlb {
        check_load_balancer(&ctx.region, arn, "net", "addNetworkLoadBalancerArn")?;
    }
    for arn in &add_gwlb {
        check_load_balancer(&ctx.region, arn, "gwy", "addGatewayLoadBalancerArn")?;
    }
    let removes_load_balancers = !remove_nlb.is_empty() || !remove_gwlb.is_empty();
    if interface {
        let nlbs = edited(c.network_load_balancer_arns.as_ref().unwrap_or(&none), &add_nlb, &remove_nlb);
        if nlbs.is_empty() {
            return Err(errors::invalid_parameter("The service must keep at least one Network Load Balancer."));
        }
        c.network_load_balancer_arns = Some(nlbs);
    } else {
        let gwlbs = edited(c.gateway_load_balancer_arns.as_ref().unwrap_or(&none), &add_gwlb, &remove_gwlb);
        if gwlbs.is_empty() {
            return Err(errors::invalid_parameter("The service must keep at least one Gateway Load Balancer."));
        }
        c.gateway_load_balancer_arns = Some(gwlbs);
    }
    if let Some(required) = input.acceptance_required {
        c.acceptance_required = Some(required);
    }
    let add_ip = list(&input.add_supported_ip_address_types);
    check_ip_address_types(&add_ip)?;
    let ip_types = edited(
        c.supported_ip_address_types.as_ref().unwrap_or(&none),
        &add_ip,
        &list(&input.remove_supported_ip_address_types),
    );
    if ip_types.is_empty() {
        return Err(errors::invalid_parameter("The service must support at least one IP address type."));
    }
    c.supported_ip_address_types = Some(ip_types);
    let add_regions = list(&input.add_supported_regions);
    let remove_regions = list(&input.remove_supported_regions);
    if remove_regions.contains(&ctx.region) {
        return Err(errors::invalid_parameter(format!("The service's own region {} cannot be removed.", ctx.region)));
    }
    check_regions(&add_regions)?;
    let current: Vec<String> = c.supported_regions.iter().flatten().filter_map(|r| r.region.clone()).collect();
    c.supported_regions = Some(supported_regions(&edited(&current, &add_regions, &remove_regions)));
    match (input.private_dns_name.as_deref(), input.remove_private_dns_name == Some(true)) {
        (Some(_), true) => {
            return Err(errors::invalid_parameter_combination(
                "PrivateDnsName and RemovePrivateDnsName cannot both be specified.",
            ))
        }
        (Some(name), false) if c.private_dns_name.as_deref() != Some(name) => {
            if !interface {
                return Err(errors::invalid_parameter(
                    "Private DNS names are not supported for Gateway Load Balancer services.",
                ));
            }
            check_private_dns_name(name)?;
            c.private_dns_name = Some(name.to_string());
            c.private_dns_name_configuration = dns_configuration(Some(name));
            record.dns_verification = None;
        }
        (None, true) => {
            c.private_dns_name = None;
            c.private_dns_name_configuration = None;
            record.dns_verification = None;
        }
        _ => {}
    }
    if removes_load_balancers && connections::has_active(state, shared, ctx, &id) {
        return Err(errors::existing_vpc_endpoint_connections());
    }
    state.endpoint_services.services.insert(id.clone(), record);
    state.unpublished.insert(id);
    Ok(ModifyVpcEndpointServiceConfigurationResult { r#return: Some(true) })
}

/// Each id is deleted, or answered in `Unsuccessful`: unknown, or with endpoints still
/// connected (`available`, `pending` or `pendingAcceptance`).
pub fn delete_vpc_endpoint_service_configurations(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DeleteVpcEndpointServiceConfigurationsRequest,
) -> Result<DeleteVpcEndpointServiceConfigurationsResult, ApiError> {
    let mut failed = Vec::new();
    for id in &input.service_ids {
        check_id(id)?;
    }
    for id in &input.service_ids {
        if !state.endpoint_services.services.contains_key(id) {
            failed.push(unsuccessful(id, errors::invalid_vpc_endpoint_service_not_found(id)));
            continue;
        }
        if connections::has_active(state, shared, ctx, id) {
            failed.push(unsuccessful(id, errors::existing_vpc_endpoint_connections()));
            continue;
        }
        state.endpoint_services.services.remove(id);
        state.endpoint_services.notifications.retain(|_, n| n.service_id.as_deref() != Some(id.as_str()));
        state.forget(id);
        state.unpublished.insert(id.clone());
    }
    Ok(DeleteVpcEndpointServiceConfigurationsResult { unsuccessful: Some(failed) })
}

/// Starts checking the service's private DNS name. nimbus has no public DNS to find the
/// TXT record in: the name counts as verified once the step settles.
pub fn start_vpc_endpoint_service_private_dns_verification(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: StartVpcEndpointServicePrivateDnsVerificationRequest,
) -> Result<StartVpcEndpointServicePrivateDnsVerificationResult, ApiError> {
    let record = service(state, &input.service_id)?;
    if record.config.private_dns_name.is_none() {
        return Err(errors::invalid_parameter(format!(
            "The service {} does not have a private DNS name to verify.",
            input.service_id
        )));
    }
    if let Some(r) = state.endpoint_services.services.get_mut(&input.service_id) {
        r.dns_verification = Some(ctx.now);
    }
    state.unpublished.insert(input.service_id);
    Ok(StartVpcEndpointServicePrivateDnsVerificationResult { return_value: Some(true) })
}

pub fn modify_vpc_endpoint_service_payer_responsibility(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyVpcEndpointServicePayerResponsibilityRequest,
) -> Result<ModifyVpcEndpointServicePayerResponsibilityResult, ApiError> {
    service(state, &input.service_id)?;
    one_of("payerResponsibility", &input.payer_responsibility, enums::PAYER_RESPONSIBILITY)?;
    if let Some(r) = state.endpoint_services.services.get_mut(&input.service_id) {
        r.config.payer_responsibility = Some(input.payer_responsibility.clone());
    }
    state.unpublished.insert(input.service_id);
    Ok(ModifyVpcEndpointServicePayerResponsibilityResult { return_value: Some(true) })
}
