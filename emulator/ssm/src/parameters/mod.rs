//! Parameter Store: the records and how they read back.

pub mod by_path;
pub mod delete;
pub mod describe;
pub mod filters;
pub mod get;
pub mod history;
pub mod labels;
pub mod put;

use std::collections::BTreeMap;

use base64::Engine as _;
use nimbus_core::types::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::generated::dto;
use crate::public::Published;

/// Everything SSM keeps for one account in one region.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SsmState {
    pub parameters: BTreeMap<String, Parameter>,
}

/// A parameter and its versions (AWS keeps the latest 100).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    /// Oldest first; never empty.
    pub versions: Vec<Version>,
    /// In the order they were added, as ListTagsForResource answers them.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Version {
    pub version: i64,
    pub value: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: Option<String>,
    pub key_id: Option<String>,
    pub allowed_pattern: Option<String>,
    pub tier: String,
    pub data_type: String,
    pub labels: Vec<String>,
    pub modified: Timestamp,
    /// The ARN of who wrote it (none for AWS's public parameters).
    pub user: Option<String>,
    /// The JSON of PutParameter's `Policies`.
    pub policies: Option<String>,
}

impl Parameter {
    pub fn latest(&self) -> &Version {
        self.versions.last().expect("a parameter has a version")
    }

    pub fn version(&self, n: i64) -> Option<&Version> {
        self.versions.iter().find(|v| v.version == n)
    }

    pub fn labelled(&self, label: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.labels.iter().any(|l| l == label))
    }
}

/// AWS's own parameters live under `/aws/`; no account writes there.
pub fn is_public(name: &str) -> bool {
    name.starts_with("/aws/")
}

/// A parameter by name: AWS's public one, or the account's own.
pub fn lookup<'a>(state: &'a SsmState, published: &'a Published, name: &str) -> Option<&'a Parameter> {
    if is_public(name) {
        published.get(name)
    } else {
        state.parameters.get(name)
    }
}

/// `arn:aws:ssm:<region>:<account>:parameter/<name>`; AWS's public parameters have no
/// account in theirs.
pub fn arn(region: &str, account: &str, name: &str) -> String {
    let account = if is_public(name) { "" } else { account };
    let name = name.strip_prefix('/').unwrap_or(name);
    format!("arn:aws:ssm:{region}:{account}:parameter/{name}")
}

/// What a SecureString reads as without decryption: an opaque base64 ciphertext,
/// the same for the same version every time.
fn ciphertext(name: &str, v: &Version) -> String {
    let digest = Sha256::digest(format!("{name}:{}:{}", v.version, v.value).as_bytes());
    let mut blob = vec![0x01, 0x02, 0x02, 0x00, 0x78];
    blob.extend_from_slice(&digest);
    blob.extend(v.value.bytes().zip(digest.iter().cycle()).map(|(b, k)| b ^ k));
    base64::engine::general_purpose::STANDARD.encode(blob)
}

pub fn shown_value(name: &str, v: &Version, decrypt: bool) -> String {
    if v.kind == "SecureString" && !decrypt {
        ciphertext(name, v)
    } else {
        v.value.clone()
    }
}

pub struct Where<'a> {
    pub region: &'a str,
    pub account: &'a str,
}

pub fn to_parameter(p: &Parameter, v: &Version, at: &Where, decrypt: bool, selector: Option<String>) -> dto::Parameter {
    dto::Parameter {
        name: Some(p.name.clone()),
        r#type: Some(v.kind.clone()),
        value: Some(shown_value(&p.name, v, decrypt)),
        version: Some(v.version),
        selector,
        source_result: None,
        last_modified_date: Some(v.modified),
        arn: Some(arn(at.region, at.account, &p.name)),
        data_type: Some(v.data_type.clone()),
    }
}

pub fn policies(v: &Version) -> Vec<dto::ParameterInlinePolicy> {
    let Some(text) = v.policies.as_deref() else { return Vec::new() };
    let list: Vec<serde_json::Value> = serde_json::from_str(text).unwrap_or_default();
    list.into_iter()
        .map(|p| dto::ParameterInlinePolicy {
            policy_type: p.get("Type").and_then(|t| t.as_str()).map(str::to_string),
            policy_text: Some(p.to_string()),
            policy_status: Some("Pending".into()),
        })
        .collect()
}

pub fn to_metadata(p: &Parameter, at: &Where) -> dto::ParameterMetadata {
    let v = p.latest();
    dto::ParameterMetadata {
        name: Some(p.name.clone()),
        arn: Some(arn(at.region, at.account, &p.name)),
        r#type: Some(v.kind.clone()),
        key_id: v.key_id.clone(),
        last_modified_date: Some(v.modified),
        last_modified_user: v.user.clone(),
        description: v.description.clone(),
        allowed_pattern: v.allowed_pattern.clone(),
        version: Some(v.version),
        tier: Some(v.tier.clone()),
        policies: Some(policies(v)),
        data_type: Some(v.data_type.clone()),
    }
}

pub fn to_history(p: &Parameter, v: &Version, decrypt: bool) -> dto::ParameterHistory {
    dto::ParameterHistory {
        name: Some(p.name.clone()),
        r#type: Some(v.kind.clone()),
        key_id: v.key_id.clone(),
        last_modified_date: Some(v.modified),
        last_modified_user: v.user.clone(),
        description: v.description.clone(),
        value: Some(shown_value(&p.name, v, decrypt)),
        allowed_pattern: v.allowed_pattern.clone(),
        version: Some(v.version),
        labels: Some(v.labels.clone()),
        tier: Some(v.tier.clone()),
        policies: Some(policies(v)),
        data_type: Some(v.data_type.clone()),
    }
}

/// Pages of a list sorted by `key`: the token is the base64 of the key of the first
/// item of the next page.
pub fn page_after<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    token: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), nimbus_core::ApiError> {
    let engine = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let start = match token {
        None => 0,
        Some(t) => {
            let from = engine
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(crate::errors::invalid_next_token)?;
            items.iter().position(|i| key(i) >= from).unwrap_or(items.len())
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = if rest.len() > size { Some(engine.encode(key(&rest[size]).as_bytes())) } else { None };
    rest.truncate(size);
    Ok((rest, next))
}

/// A page size as the request asks it, within the model's range (the request was
/// checked against it), or the service's default.
pub fn page_size(max: Option<i32>, default: usize) -> usize {
    max.and_then(|m| usize::try_from(m).ok()).filter(|m| *m > 0).unwrap_or(default)
}

#[cfg(test)]
pub(crate) mod testing {
    use nimbus_core::RequestContext;

    use super::*;

    pub fn put(state: &mut SsmState, name: &str, value: &str, kind: &str) -> i64 {
        let input = dto::PutParameterRequest {
            name: name.into(),
            value: value.into(),
            r#type: Some(kind.into()),
            overwrite: Some(true),
            ..Default::default()
        };
        put::put_parameter(state, &RequestContext::for_tests(), input).unwrap().version.unwrap()
    }
}
