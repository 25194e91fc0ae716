//! Verified Access instances and the trust providers attached to them: any number of
//! device providers and at most one user provider per instance. An instance with groups
//! or attached providers cannot be deleted.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, time};
use super::logging;
use crate::generated::dto::{
    AttachVerifiedAccessTrustProviderRequest, AttachVerifiedAccessTrustProviderResult,
    CreateVerifiedAccessInstanceRequest, CreateVerifiedAccessInstanceResult, DeleteVerifiedAccessInstanceRequest,
    DeleteVerifiedAccessInstanceResult, DescribeVerifiedAccessInstancesRequest, DescribeVerifiedAccessInstancesResult,
    DetachVerifiedAccessTrustProviderRequest, DetachVerifiedAccessTrustProviderResult,
    ExportVerifiedAccessInstanceClientConfigurationRequest, ExportVerifiedAccessInstanceClientConfigurationResult,
    ModifyVerifiedAccessInstanceRequest, ModifyVerifiedAccessInstanceResult, VerifiedAccessInstance,
    VerifiedAccessInstanceCustomSubDomain, VerifiedAccessInstanceOpenVpnClientConfiguration,
    VerifiedAccessInstanceOpenVpnClientConfigurationRoute, VerifiedAccessInstanceUserTrustProviderClientConfiguration,
    VerifiedAccessTrustProviderCondensed,
};
use crate::generated::errors;
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::verified_access::VaInstanceRecord;
use crate::state::Ec2State;

/// An instance as Describe shows it: its attached providers, condensed, and its tags.
pub(super) fn describe_one(state: &Ec2State, id: &str) -> VerifiedAccessInstance {
    let record = &state.verified_access.instances[id];
    let mut instance = record.instance.clone();
    let providers = record
        .trust_providers
        .iter()
        .filter_map(|p| state.verified_access.trust_providers.get(p))
        .map(|p| VerifiedAccessTrustProviderCondensed {
            verified_access_trust_provider_id: p.verified_access_trust_provider_id.clone(),
            description: p.description.clone(),
            trust_provider_type: p.trust_provider_type.clone(),
            user_trust_provider_type: p.user_trust_provider_type.clone(),
            device_trust_provider_type: p.device_trust_provider_type.clone(),
        })
        .collect();
    instance.verified_access_trust_providers = Some(providers);
    instance.tags = state.dto_tags(id);
    instance
}

/// The custom subdomain of an instance's CIDR endpoints, with the name servers AWS
/// delegates it to (derived from the subdomain, so they are stable).
fn sub_domain(name: &str) -> Result<VerifiedAccessInstanceCustomSubDomain, ApiError> {
    let labels: Vec<&str> = name.split('.').collect();
    let valid = labels.len() >= 2
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if !valid {
        return Err(errors::invalid_parameter_value(format!(
            "The value '{name}' for parameter CidrEndpointsCustomSubDomain is not a valid domain name."
        )));
    }
    let n = crate::state::support::stable_hash(name);
    let servers = (0..4)
        .map(|i| {
            let tld = ["com", "net", "org", "co.uk"][i];
            format!("ns-{}.awsdns-{:02}.{tld}", (n >> (i * 4)) % 2048, (n >> (i * 3)) % 64)
        })
        .collect();
    Ok(VerifiedAccessInstanceCustomSubDomain { sub_domain: Some(name.to_string()), nameservers: Some(servers) })
}

pub fn create_verified_access_instance(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVerifiedAccessInstanceRequest,
) -> Result<CreateVerifiedAccessInstanceResult, ApiError> {
    let tags = spec_tags(input.tag_specifications.as_deref(), "verified-access-instance")?;
    let sub = input.cidr_endpoints_custom_sub_domain.as_deref().map(sub_domain).transpose()?;
    let id = ids::resource_id("vai");
    let instance = VerifiedAccessInstance {
        verified_access_instance_id: Some(id.clone()),
        description: Some(input.description.unwrap_or_default()),
        creation_time: Some(time(ctx.now)),
        last_updated_time: Some(time(ctx.now)),
        fips_enabled: Some(input.fips_enabled.unwrap_or(false)),
        cidr_endpoints_custom_sub_domain: sub,
        ..Default::default()
    };
    let record = VaInstanceRecord { instance, trust_providers: Vec::new(), logs: logging::default_logs() };
    state.verified_access.instances.insert(id.clone(), record);
    state.set_tags(&id, tags);
    Ok(CreateVerifiedAccessInstanceResult { verified_access_instance: Some(describe_one(state, &id)) })
}

impl Filterable for VerifiedAccessInstance {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "verified-access-instance-id" => opt(&self.verified_access_instance_id),
            "description" => opt(&self.description),
            "fips-enabled" => vec![self.fips_enabled.unwrap_or(false).to_string()],
            "verified-access-trust-provider-id" => self
                .verified_access_trust_providers
                .iter()
                .flatten()
                .filter_map(|p| p.verified_access_trust_provider_id.clone())
                .collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_verified_access_instances(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVerifiedAccessInstancesRequest,
) -> Result<DescribeVerifiedAccessInstancesResult, ApiError> {
    let paging = input.page();
    let ids = input.verified_access_instance_ids.unwrap_or_default();
    let all = state.verified_access.instances.keys().map(|id| describe_one(state, id));
    let (page, next) = describe_page(
        &ids,
        |id| state.verified_access.instances.contains_key(id),
        errors::invalid_verified_access_instance_id_not_found,
        all,
        |i| i.verified_access_instance_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        paging,
    )?;
    Ok(DescribeVerifiedAccessInstancesResult { verified_access_instances: Some(page), next_token: next })
}

pub fn modify_verified_access_instance(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVerifiedAccessInstanceRequest,
) -> Result<ModifyVerifiedAccessInstanceResult, ApiError> {
    let id = input.verified_access_instance_id;
    common::instance(state, &id)?;
    let sub = input.cidr_endpoints_custom_sub_domain.as_deref().map(sub_domain).transpose()?;
    let record = state.verified_access.instances.get_mut(&id).expect("checked above");
    if let Some(d) = input.description {
        record.instance.description = Some(d);
    }
    if let Some(sub) = sub {
        record.instance.cidr_endpoints_custom_sub_domain = Some(sub);
    }
    record.instance.last_updated_time = Some(time(ctx.now));
    Ok(ModifyVerifiedAccessInstanceResult { verified_access_instance: Some(describe_one(state, &id)) })
}

pub fn delete_verified_access_instance(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteVerifiedAccessInstanceRequest,
) -> Result<DeleteVerifiedAccessInstanceResult, ApiError> {
    let id = input.verified_access_instance_id;
    let record = common::instance(state, &id)?;
    let groups: Vec<&String> = state
        .verified_access
        .groups
        .iter()
        .filter(|(_, g)| g.group.verified_access_instance_id.as_deref() == Some(id.as_str()))
        .map(|(gid, _)| gid)
        .collect();
    if let Some(first) = groups.first() {
        return Err(errors::dependency_violation(format!(
            "The Verified Access instance {id} has dependent Verified Access groups ({first}) and cannot be deleted."
        )));
    }
    if let Some(provider) = record.trust_providers.first() {
        return Err(errors::dependency_violation(format!(
            "The Verified Access instance {id} has an attached trust provider ({provider}); detach it first."
        )));
    }
    let shown = describe_one(state, &id);
    state.verified_access.instances.remove(&id);
    state.forget(&id);
    Ok(DeleteVerifiedAccessInstanceResult { verified_access_instance: Some(shown) })
}

pub fn attach_verified_access_trust_provider(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AttachVerifiedAccessTrustProviderRequest,
) -> Result<AttachVerifiedAccessTrustProviderResult, ApiError> {
    let (vai, vatp) = (input.verified_access_instance_id, input.verified_access_trust_provider_id);
    let record = common::instance(state, &vai)?;
    let provider = super::trust_providers::get(state, &vatp)?;
    if record.trust_providers.contains(&vatp) {
        return Err(errors::invalid_parameter_value(format!(
            "The trust provider {vatp} is already attached to instance {vai}."
        )));
    }
    if provider.trust_provider_type.as_deref() == Some("user") {
        let user = record.trust_providers.iter().find(|p| {
            state.verified_access.trust_providers.get(*p).and_then(|t| t.trust_provider_type.as_deref()) == Some("user")
        });
        if let Some(user) = user {
            return Err(errors::invalid_parameter_value(format!(
                "The Verified Access instance {vai} already has a user trust provider ({user}) attached. \
                 An instance can have only one user trust provider."
            )));
        }
    }
    let record = state.verified_access.instances.get_mut(&vai).expect("checked above");
    record.trust_providers.push(vatp.clone());
    record.instance.last_updated_time = Some(time(ctx.now));
    Ok(AttachVerifiedAccessTrustProviderResult {
        verified_access_trust_provider: Some(super::trust_providers::describe_one(state, &vatp)),
        verified_access_instance: Some(describe_one(state, &vai)),
    })
}

pub fn detach_verified_access_trust_provider(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DetachVerifiedAccessTrustProviderRequest,
) -> Result<DetachVerifiedAccessTrustProviderResult, ApiError> {
    let (vai, vatp) = (input.verified_access_instance_id, input.verified_access_trust_provider_id);
    let record = common::instance(state, &vai)?;
    super::trust_providers::get(state, &vatp)?;
    if !record.trust_providers.contains(&vatp) {
        return Err(errors::invalid_parameter_value(format!(
            "The trust provider {vatp} is not attached to instance {vai}."
        )));
    }
    let record = state.verified_access.instances.get_mut(&vai).expect("checked above");
    record.trust_providers.retain(|p| *p != vatp);
    record.instance.last_updated_time = Some(time(ctx.now));
    Ok(DetachVerifiedAccessTrustProviderResult {
        verified_access_trust_provider: Some(super::trust_providers::describe_one(state, &vatp)),
        verified_access_instance: Some(describe_one(state, &vai)),
    })
}

/// What the Verified Access client needs to connect to the instance's CIDR and network
/// interface endpoints: the attached providers and one OpenVPN profile routing each
/// endpoint's range.
pub fn export_verified_access_instance_client_configuration(
    state: &Ec2State,
    ctx: &RequestContext,
    input: ExportVerifiedAccessInstanceClientConfigurationRequest,
) -> Result<ExportVerifiedAccessInstanceClientConfigurationResult, ApiError> {
    let vai = input.verified_access_instance_id;
    let record = common::instance(state, &vai)?;
    let providers: Vec<_> =
        record.trust_providers.iter().filter_map(|p| state.verified_access.trust_providers.get(p)).collect();
    let devices = providers.iter().filter_map(|p| p.device_trust_provider_type.clone()).collect::<Vec<String>>();
    let user = providers.iter().find(|p| p.trust_provider_type.as_deref() == Some("user")).map(|p| {
        let oidc = p.oidc_options.clone().unwrap_or_default();
        let native = p.native_application_oidc_options.clone();
        VerifiedAccessInstanceUserTrustProviderClientConfiguration {
            r#type: p.user_trust_provider_type.clone(),
            scopes: native.as_ref().and_then(|n| n.scope.clone()).or(oidc.scope),
            issuer: native.as_ref().and_then(|n| n.issuer.clone()).or(oidc.issuer),
            authorization_endpoint: native
                .as_ref()
                .and_then(|n| n.authorization_endpoint.clone())
                .or(oidc.authorization_endpoint),
            public_signing_key_endpoint: native.as_ref().and_then(|n| n.public_signing_key_endpoint.clone()),
            token_endpoint: native.as_ref().and_then(|n| n.token_endpoint.clone()).or(oidc.token_endpoint),
            user_info_endpoint: native.as_ref().and_then(|n| n.user_info_endpoint.clone()).or(oidc.user_info_endpoint),
            client_id: native.as_ref().and_then(|n| n.client_id.clone()).or(oidc.client_id),
            client_secret: None,
            pkce_enabled: Some(true),
        }
    });
    let routes: Vec<VerifiedAccessInstanceOpenVpnClientConfigurationRoute> = state
        .verified_access
        .endpoints
        .values()
        .filter(|e| e.endpoint.verified_access_instance_id.as_deref() == Some(vai.as_str()))
        .filter_map(|e| e.endpoint.cidr_options.as_ref().and_then(|c| c.cidr.clone()))
        .map(|cidr| VerifiedAccessInstanceOpenVpnClientConfigurationRoute { cidr: Some(cidr) })
        .collect();
    let vpn = (!routes.is_empty()).then(|| {
        let config = format!(
            "client\ndev tun\nproto tcp\nremote {vai}.verified-access.{}.amazonaws.com 443\nremote-cert-tls server\n",
            ctx.region
        );
        vec![VerifiedAccessInstanceOpenVpnClientConfiguration { config: Some(config), routes: Some(routes) }]
    });
    Ok(ExportVerifiedAccessInstanceClientConfigurationResult {
        version: Some("1.0".into()),
        verified_access_instance_id: Some(vai),
        region: Some(ctx.region.clone()),
        device_trust_providers: Some(devices),
        user_trust_provider: user,
        open_vpn_configurations: Some(vpn.unwrap_or_default()),
    })
}
