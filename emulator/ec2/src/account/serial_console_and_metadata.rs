//! Serial console access and the account's instance metadata defaults (what RunInstances
//! gives an instance whose request leaves a metadata option out).

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    DisableSerialConsoleAccessRequest, DisableSerialConsoleAccessResult, EnableSerialConsoleAccessRequest,
    EnableSerialConsoleAccessResult, GetInstanceMetadataDefaultsRequest, GetInstanceMetadataDefaultsResult,
    GetSerialConsoleAccessStatusRequest, GetSerialConsoleAccessStatusResult, InstanceMetadataDefaultsResponse,
    ModifyInstanceMetadataDefaultsRequest, ModifyInstanceMetadataDefaultsResult,
};
use crate::generated::enums;
use crate::state::params::{invalid_value, one_of};
use crate::state::Ec2State;

pub fn enable_serial_console_access(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _input: EnableSerialConsoleAccessRequest,
) -> Result<EnableSerialConsoleAccessResult, ApiError> {
    state.account.serial_console_access = true;
    Ok(EnableSerialConsoleAccessResult { serial_console_access_enabled: Some(true) })
}

pub fn disable_serial_console_access(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _input: DisableSerialConsoleAccessRequest,
) -> Result<DisableSerialConsoleAccessResult, ApiError> {
    state.account.serial_console_access = false;
    Ok(DisableSerialConsoleAccessResult { serial_console_access_enabled: Some(false) })
}

pub fn get_serial_console_access_status(
    state: &Ec2State,
    _ctx: &RequestContext,
    _input: GetSerialConsoleAccessStatusRequest,
) -> Result<GetSerialConsoleAccessStatusResult, ApiError> {
    Ok(GetSerialConsoleAccessStatusResult {
        serial_console_access_enabled: Some(state.account.serial_console_access),
        managed_by: Some("account".into()),
    })
}

/// `no-preference` clears a value, as at AWS; a value left out stays as it was.
fn preference(value: Option<String>, current: &mut Option<String>) {
    match value.as_deref() {
        None => {}
        Some("no-preference") => *current = None,
        Some(_) => *current = value,
    }
}

pub fn modify_instance_metadata_defaults(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyInstanceMetadataDefaultsRequest,
) -> Result<ModifyInstanceMetadataDefaultsResult, ApiError> {
    for (name, value, valid) in [
        ("HttpTokens", &input.http_tokens, enums::METADATA_DEFAULT_HTTP_TOKENS_STATE),
        ("HttpEndpoint", &input.http_endpoint, enums::DEFAULT_INSTANCE_METADATA_ENDPOINT_STATE),
        ("InstanceMetadataTags", &input.instance_metadata_tags, enums::DEFAULT_INSTANCE_METADATA_TAGS_STATE),
        ("HttpTokensEnforced", &input.http_tokens_enforced, enums::DEFAULT_HTTP_TOKENS_ENFORCED_STATE),
    ] {
        if let Some(v) = value {
            one_of(name, v, valid)?;
        }
    }
    // -1 is "no preference"; otherwise 1 to 64 hops.
    let hops = match input.http_put_response_hop_limit {
        Some(-1) => Some(None),
        Some(h) if (1..=64).contains(&h) => Some(Some(h)),
        Some(h) => return Err(invalid_value("HttpPutResponseHopLimit", h, "Valid values: 1-64, or -1")),
        None => None,
    };
    let d = &mut state.account.metadata_defaults;
    preference(input.http_tokens, &mut d.http_tokens);
    preference(input.http_endpoint, &mut d.http_endpoint);
    preference(input.instance_metadata_tags, &mut d.instance_metadata_tags);
    preference(input.http_tokens_enforced, &mut d.http_tokens_enforced);
    if let Some(h) = hops {
        d.http_put_response_hop_limit = h;
    }
    Ok(ModifyInstanceMetadataDefaultsResult { r#return: Some(true) })
}

pub fn get_instance_metadata_defaults(
    state: &Ec2State,
    _ctx: &RequestContext,
    _input: GetInstanceMetadataDefaultsRequest,
) -> Result<GetInstanceMetadataDefaultsResult, ApiError> {
    let d = &state.account.metadata_defaults;
    Ok(GetInstanceMetadataDefaultsResult {
        account_level: Some(InstanceMetadataDefaultsResponse {
            http_tokens: d.http_tokens.clone(),
            http_put_response_hop_limit: d.http_put_response_hop_limit,
            http_endpoint: d.http_endpoint.clone(),
            instance_metadata_tags: d.instance_metadata_tags.clone(),
            http_tokens_enforced: d.http_tokens_enforced.clone(),
            ..Default::default()
        }),
    })
}
