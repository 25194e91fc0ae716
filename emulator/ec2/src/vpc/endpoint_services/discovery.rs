//! DescribeVpcEndpointServices: the services a caller may create endpoints to. AWS's own
//! services of the region, the account's own available services, and other accounts'
//! available services that allow the caller.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::aws::{find_service, service_details};
use super::id_in_name;
use crate::generated::dto::{
    DescribeVpcEndpointServicesRequest, DescribeVpcEndpointServicesResult, PrivateDnsDetails, ServiceDetail,
};
use crate::generated::errors;
use crate::state::endpoint_services::EndpointServiceRecord;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

/// A service of `owner` as ServiceDetail, with the owner's tags when the caller owns it.
fn detail(
    state: &Ec2State,
    owner: &str,
    region: &str,
    record: &EndpointServiceRecord,
    now: DateTime<Utc>,
    own: bool,
) -> ServiceDetail {
    let c = &record.config;
    let verification = c.private_dns_name.as_ref().map(|_| {
        if record.dns_verified(state.transition_delay(), now) { "verified" } else { "pendingVerification" }.to_string()
    });
    ServiceDetail {
        service_name: c.service_name.clone(),
        service_id: c.service_id.clone(),
        service_type: c.service_type.clone(),
        service_region: Some(region.to_string()),
        availability_zone_ids: c.availability_zone_ids.clone(),
        availability_zones: c.availability_zones.clone(),
        owner: Some(owner.to_string()),
        base_endpoint_dns_names: c.base_endpoint_dns_names.clone(),
        private_dns_name: c.private_dns_name.clone(),
        private_dns_names: c.private_dns_name.clone().map(|n| vec![PrivateDnsDetails { private_dns_name: Some(n) }]),
        vpc_endpoint_policy_supported: Some(false),
        acceptance_required: c.acceptance_required,
        manages_vpc_endpoints: Some(false),
        payer_responsibility: c.payer_responsibility.clone(),
        tags: if own { state.dto_tags(record.id()) } else { Some(Vec::new()) },
        private_dns_name_verification_state: verification,
        supported_ip_address_types: c.supported_ip_address_types.clone(),
    }
}

/// The endpoint services of others and of the caller that the caller may use: available,
/// and allowing the caller.
pub fn visible_services(state: &Ec2State, shared: &Shared, ctx: &RequestContext) -> Vec<ServiceDetail> {
    let delay = state.transition_delay();
    let mut out: Vec<ServiceDetail> = state
        .endpoint_services
        .services
        .values()
        .filter(|r| r.life.settled(delay, ctx.now))
        .map(|r| detail(state, ctx.account(), &ctx.region, r, ctx.now, true))
        .collect();
    for p in shared.endpoint_services_of_others(&ctx.region, ctx.account()) {
        if p.record.life.settled(delay, ctx.now) && p.record.allows(&p.account, ctx.account(), &ctx.caller.arn) {
            out.push(detail(state, &p.account, &p.region, &p.record, ctx.now, false));
        }
    }
    out
}

impl Filterable for ServiceDetail {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "owner" => opt(&self.owner),
            "service-name" => opt(&self.service_name),
            "service-region" => opt(&self.service_region),
            "service-type" => self.service_type.iter().flatten().filter_map(|t| t.service_type.clone()).collect(),
            "supported-ip-address-types" => self.supported_ip_address_types.clone().unwrap_or_default(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_vpc_endpoint_services(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeVpcEndpointServicesRequest,
) -> Result<DescribeVpcEndpointServicesResult, ApiError> {
    let mut all = service_details(&ctx.region);
    let custom = visible_services(state, shared, ctx);
    let paging = input.page();
    let names = input.service_names.unwrap_or_default();
    for name in &names {
        let known = match id_in_name(&ctx.region, name) {
            Some(_) => custom.iter().any(|d| d.service_name.as_deref() == Some(name.as_str())),
            None => find_service(&ctx.region, name).is_some(),
        };
        if !known {
            return Err(errors::invalid_service_name(name));
        }
    }
    all.extend(custom);
    all.retain(|d| names.is_empty() || d.service_name.as_ref().is_some_and(|n| names.contains(n)));
    let key = |d: &ServiceDetail| {
        let kind = d.service_type.iter().flatten().find_map(|t| t.service_type.clone()).unwrap_or_default();
        format!("{}\u{1}{kind}", d.service_name.as_deref().unwrap_or_default())
    };
    all.sort_by_key(key);
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, key, paging, false)?;
    let mut service_names: Vec<String> = page.iter().filter_map(|d| d.service_name.clone()).collect();
    service_names.dedup();
    Ok(DescribeVpcEndpointServicesResult {
        service_names: Some(service_names),
        service_details: Some(page),
        next_token: next,
    })
}
