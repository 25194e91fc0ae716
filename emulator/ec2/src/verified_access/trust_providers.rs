//! Verified Access trust providers: a user provider (IAM Identity Center, or an OIDC
//! identity provider with its endpoints and client) or a device provider (Jamf,
//! CrowdStrike, JumpCloud). A provider attached to an instance cannot be deleted.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, time};
use crate::generated::dto::{
    CreateVerifiedAccessTrustProviderRequest, CreateVerifiedAccessTrustProviderResult,
    DeleteVerifiedAccessTrustProviderRequest, DeleteVerifiedAccessTrustProviderResult,
    DescribeVerifiedAccessTrustProvidersRequest, DescribeVerifiedAccessTrustProvidersResult, DeviceOptions,
    ModifyVerifiedAccessTrustProviderRequest, ModifyVerifiedAccessTrustProviderResult, NativeApplicationOidcOptions,
    OidcOptions, VerifiedAccessTrustProvider,
};
use crate::generated::{enums, errors};
use crate::state::params::one_of;
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::Ec2State;

pub(super) fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a VerifiedAccessTrustProvider, ApiError> {
    state
        .verified_access
        .trust_providers
        .get(id)
        .ok_or_else(|| errors::invalid_verified_access_trust_provider_id_not_found(id))
}

/// A provider as Describe shows it (the OIDC client secret is never answered).
pub(super) fn describe_one(state: &Ec2State, id: &str) -> VerifiedAccessTrustProvider {
    let mut p = state.verified_access.trust_providers[id].clone();
    p.tags = state.dto_tags(id);
    p
}

fn require(value: &Option<String>, name: &str) -> Result<(), ApiError> {
    match value.as_deref() {
        Some(v) if !v.is_empty() => Ok(()),
        _ => Err(errors::missing_parameter(name)),
    }
}

/// A policy reference name is how Cedar policies name the provider's claims
/// (`context.<name>`): a letter, then letters, digits and underscores.
fn check_reference_name(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 100;
    if valid {
        Ok(())
    } else {
        Err(errors::invalid_parameter_value(format!(
            "The policy reference name '{name}' is not valid. It must start with a letter and contain only letters, digits and underscores."
        )))
    }
}

pub fn create_verified_access_trust_provider(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVerifiedAccessTrustProviderRequest,
) -> Result<CreateVerifiedAccessTrustProviderResult, ApiError> {
    one_of("TrustProviderType", &input.trust_provider_type, enums::TRUST_PROVIDER_TYPE)?;
    check_reference_name(&input.policy_reference_name)?;
    let combination = |m: &str| Err(errors::invalid_parameter_combination(m));
    let (mut oidc, mut native) = (None, None);
    let mut device = None;
    if input.trust_provider_type == "user" {
        let Some(user_type) = input.user_trust_provider_type.as_deref() else {
            return Err(errors::missing_parameter("UserTrustProviderType"));
        };
        one_of("UserTrustProviderType", user_type, enums::USER_TRUST_PROVIDER_TYPE)?;
        if input.device_trust_provider_type.is_some() || input.device_options.is_some() {
            return combination("DeviceTrustProviderType and DeviceOptions cannot be used with a user trust provider.");
        }
        if user_type == "oidc" {
            let Some(o) = input.oidc_options.clone() else {
                return Err(errors::missing_parameter("OidcOptions"));
            };
            for (v, n) in [
                (&o.issuer, "OidcOptions.Issuer"),
                (&o.authorization_endpoint, "OidcOptions.AuthorizationEndpoint"),
                (&o.token_endpoint, "OidcOptions.TokenEndpoint"),
                (&o.user_info_endpoint, "OidcOptions.UserInfoEndpoint"),
                (&o.client_id, "OidcOptions.ClientId"),
                (&o.client_secret, "OidcOptions.ClientSecret"),
            ] {
                require(v, n)?;
            }
            oidc = Some(OidcOptions {
                issuer: o.issuer,
                authorization_endpoint: o.authorization_endpoint,
                token_endpoint: o.token_endpoint,
                user_info_endpoint: o.user_info_endpoint,
                client_id: o.client_id,
                client_secret: None,
                scope: o.scope,
            });
        } else if input.oidc_options.is_some() {
            return combination("OidcOptions can only be used with the oidc user trust provider type.");
        }
        if let Some(n) = input.native_application_oidc_options.clone() {
            if user_type != "oidc" {
                return combination(
                    "NativeApplicationOidcOptions can only be used with the oidc user trust provider type.",
                );
            }
            require(&n.client_secret, "NativeApplicationOidcOptions.ClientSecret")?;
            native = Some(NativeApplicationOidcOptions {
                public_signing_key_endpoint: n.public_signing_key_endpoint,
                issuer: n.issuer,
                authorization_endpoint: n.authorization_endpoint,
                token_endpoint: n.token_endpoint,
                user_info_endpoint: n.user_info_endpoint,
                client_id: n.client_id,
                scope: n.scope,
            });
        }
    } else {
        let Some(device_type) = input.device_trust_provider_type.as_deref() else {
            return Err(errors::missing_parameter("DeviceTrustProviderType"));
        };
        one_of("DeviceTrustProviderType", device_type, enums::DEVICE_TRUST_PROVIDER_TYPE)?;
        if input.user_trust_provider_type.is_some()
            || input.oidc_options.is_some()
            || input.native_application_oidc_options.is_some()
        {
            return combination(
                "UserTrustProviderType, OidcOptions and NativeApplicationOidcOptions cannot be used with a device trust provider.",
            );
        }
        device = input.device_options.as_ref().map(|d| DeviceOptions {
            tenant_id: d.tenant_id.clone(),
            public_signing_key_url: d.public_signing_key_url.clone(),
        });
    }
    let sse = common::sse(input.sse_specification.as_ref())?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "verified-access-trust-provider")?;
    let id = ids::resource_id("vatp");
    let provider = VerifiedAccessTrustProvider {
        verified_access_trust_provider_id: Some(id.clone()),
        description: Some(input.description.unwrap_or_default()),
        trust_provider_type: Some(input.trust_provider_type),
        user_trust_provider_type: input.user_trust_provider_type,
        device_trust_provider_type: input.device_trust_provider_type,
        oidc_options: oidc,
        device_options: device,
        policy_reference_name: Some(input.policy_reference_name),
        creation_time: Some(time(ctx.now)),
        last_updated_time: Some(time(ctx.now)),
        tags: None,
        sse_specification: sse,
        native_application_oidc_options: native,
    };
    state.verified_access.trust_providers.insert(id.clone(), provider);
    state.set_tags(&id, tags);
    Ok(CreateVerifiedAccessTrustProviderResult { verified_access_trust_provider: Some(describe_one(state, &id)) })
}

impl Filterable for VerifiedAccessTrustProvider {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "verified-access-trust-provider-id" => opt(&self.verified_access_trust_provider_id),
            "description" => opt(&self.description),
            "trust-provider-type" => opt(&self.trust_provider_type),
            "user-trust-provider-type" => opt(&self.user_trust_provider_type),
            "device-trust-provider-type" => opt(&self.device_trust_provider_type),
            "policy-reference-name" => opt(&self.policy_reference_name),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_verified_access_trust_providers(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVerifiedAccessTrustProvidersRequest,
) -> Result<DescribeVerifiedAccessTrustProvidersResult, ApiError> {
    let paging = input.page();
    let ids = input.verified_access_trust_provider_ids.unwrap_or_default();
    let all = state.verified_access.trust_providers.keys().map(|id| describe_one(state, id));
    let (page, next) = describe_page(
        &ids,
        |id| state.verified_access.trust_providers.contains_key(id),
        errors::invalid_verified_access_trust_provider_id_not_found,
        all,
        |p| p.verified_access_trust_provider_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        paging,
    )?;
    Ok(DescribeVerifiedAccessTrustProvidersResult { verified_access_trust_providers: Some(page), next_token: next })
}

/// Sets each given member of `from` on `to`.
fn overlay(to: &mut Option<String>, from: &Option<String>) {
    if let Some(v) = from {
        *to = Some(v.clone());
    }
}

pub fn modify_verified_access_trust_provider(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVerifiedAccessTrustProviderRequest,
) -> Result<ModifyVerifiedAccessTrustProviderResult, ApiError> {
    let id = input.verified_access_trust_provider_id;
    let mut p = get(state, &id)?.clone();
    let is_oidc = p.user_trust_provider_type.as_deref() == Some("oidc");
    if let Some(o) = &input.oidc_options {
        if !is_oidc {
            return Err(errors::invalid_parameter_combination(
                "OidcOptions can only be modified for an oidc user trust provider.",
            ));
        }
        let to = p.oidc_options.get_or_insert_with(Default::default);
        overlay(&mut to.issuer, &o.issuer);
        overlay(&mut to.authorization_endpoint, &o.authorization_endpoint);
        overlay(&mut to.token_endpoint, &o.token_endpoint);
        overlay(&mut to.user_info_endpoint, &o.user_info_endpoint);
        overlay(&mut to.client_id, &o.client_id);
        overlay(&mut to.scope, &o.scope);
    }
    if let Some(n) = &input.native_application_oidc_options {
        if !is_oidc {
            return Err(errors::invalid_parameter_combination(
                "NativeApplicationOidcOptions can only be modified for an oidc user trust provider.",
            ));
        }
        let to = p.native_application_oidc_options.get_or_insert_with(Default::default);
        overlay(&mut to.public_signing_key_endpoint, &n.public_signing_key_endpoint);
        overlay(&mut to.issuer, &n.issuer);
        overlay(&mut to.authorization_endpoint, &n.authorization_endpoint);
        overlay(&mut to.token_endpoint, &n.token_endpoint);
        overlay(&mut to.user_info_endpoint, &n.user_info_endpoint);
        overlay(&mut to.client_id, &n.client_id);
        overlay(&mut to.scope, &n.scope);
    }
    if let Some(d) = &input.device_options {
        if p.trust_provider_type.as_deref() != Some("device") {
            return Err(errors::invalid_parameter_combination(
                "DeviceOptions can only be modified for a device trust provider.",
            ));
        }
        overlay(
            &mut p.device_options.get_or_insert_with(Default::default).public_signing_key_url,
            &d.public_signing_key_url,
        );
    }
    if input.sse_specification.is_some() {
        p.sse_specification = common::sse(input.sse_specification.as_ref())?;
    }
    overlay(&mut p.description, &input.description);
    p.last_updated_time = Some(time(ctx.now));
    state.verified_access.trust_providers.insert(id.clone(), p);
    Ok(ModifyVerifiedAccessTrustProviderResult { verified_access_trust_provider: Some(describe_one(state, &id)) })
}

pub fn delete_verified_access_trust_provider(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteVerifiedAccessTrustProviderRequest,
) -> Result<DeleteVerifiedAccessTrustProviderResult, ApiError> {
    let id = input.verified_access_trust_provider_id;
    get(state, &id)?;
    let attached = state.verified_access.instances.iter().find(|(_, i)| i.trust_providers.contains(&id));
    if let Some((vai, _)) = attached {
        return Err(errors::dependency_violation(format!(
            "The trust provider {id} is attached to Verified Access instance {vai}; detach it first."
        )));
    }
    let shown = describe_one(state, &id);
    state.verified_access.trust_providers.remove(&id);
    state.forget(&id);
    Ok(DeleteVerifiedAccessTrustProviderResult { verified_access_trust_provider: Some(shown) })
}
