//! Key pairs: made here (real RSA and Ed25519 keys, the private half handed out once and
//! never kept) or imported from a public key. Names are unique per account and region;
//! ids are `key-` + 17 hex. RunInstances asks `exists` for its `KeyName`.

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateKeyPairRequest, DeleteKeyPairRequest, DeleteKeyPairResult, DescribeKeyPairsRequest, DescribeKeyPairsResult,
    ImportKeyPairRequest, ImportKeyPairResult, KeyPair, KeyPairInfo,
};
use crate::generated::enums;
use crate::generated::errors;
use crate::keys::material::{self, KeyKind, PrivateFormat};
use crate::state::params::invalid_value;
use crate::state::params::one_of;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, spec_tags};
use crate::state::Ec2State;

/// Whether a key pair of this name exists (RunInstances' `KeyName`).
pub fn exists(state: &Ec2State, name: &str) -> bool {
    state.key_pairs.contains_key(name)
}

/// The key pair with this id, if any.
pub fn by_id<'a>(state: &'a Ec2State, id: &str) -> Option<&'a KeyPairInfo> {
    state.key_pairs.values().find(|k| k.key_pair_id.as_deref() == Some(id))
}

/// AWS's not-found error for a key pair id (the name form is `errors::invalid_key_pair_not_found`).
pub fn id_not_found(id: &str) -> ApiError {
    ApiError::client("InvalidKeyPair.NotFound", format!("The key pair ID '{id}' does not exist"))
}

/// Key names are 1 to 255 ASCII characters.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(errors::invalid_parameter_value("Value () for parameter keyName is invalid. Empty key name."));
    }
    if name.len() > 255 || !name.is_ascii() {
        return Err(invalid_value("keyName", name, "Length exceeds maximum of 255 ASCII characters"));
    }
    Ok(())
}

fn record(
    state: &mut Ec2State,
    ctx: &RequestContext,
    name: &str,
    kind: KeyKind,
    public_blob: &[u8],
    fingerprint: String,
    tags: Vec<(String, String)>,
) -> String {
    let id = ids::resource_id("key");
    let info = KeyPairInfo {
        key_pair_id: Some(id.clone()),
        key_type: Some(kind.key_type().into()),
        tags: None,
        public_key: Some(material::openssh_public_line(public_blob, name)),
        create_time: Some(Timestamp(ctx.now)),
        key_name: Some(name.to_string()),
        key_fingerprint: Some(fingerprint),
    };
    state.key_pairs.insert(name.to_string(), info);
    state.set_tags(&id, tags);
    id
}

pub fn create_key_pair(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateKeyPairRequest,
) -> Result<KeyPair, ApiError> {
    let name = input.key_name;
    check_name(&name)?;
    one_of("keyType", input.key_type.as_deref().unwrap_or("rsa"), enums::KEY_TYPE)?;
    one_of("keyFormat", input.key_format.as_deref().unwrap_or("pem"), enums::KEY_FORMAT)?;
    let kind = match input.key_type.as_deref() {
        None | Some("rsa") => KeyKind::Rsa,
        Some("ed25519") => KeyKind::Ed25519,
        Some(_) => KeyKind::Rsa,
    };
    let format = match input.key_format.as_deref() {
        None | Some("pem") => PrivateFormat::Pem,
        Some("ppk") => PrivateFormat::Ppk,
        Some(_) => PrivateFormat::Pem,
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "key-pair")?;
    if exists(state, &name) {
        return Err(errors::invalid_key_pair_duplicate(&name));
    }
    let generated = match kind {
        KeyKind::Rsa => material::generate_rsa(format, &name).map_err(ApiError::internal)?,
        KeyKind::Ed25519 => material::generate_ed25519(format, &name),
    };
    let id = record(state, ctx, &name, kind, &generated.public_blob, generated.fingerprint.clone(), tags);
    Ok(KeyPair {
        key_pair_id: Some(id.clone()),
        tags: state.dto_tags(&id),
        key_name: Some(name),
        key_fingerprint: Some(generated.fingerprint),
        key_material: Some(generated.material),
    })
}

pub fn import_key_pair(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ImportKeyPairRequest,
) -> Result<ImportKeyPairResult, ApiError> {
    let name = input.key_name;
    check_name(&name)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "key-pair")?;
    if exists(state, &name) {
        return Err(errors::invalid_key_pair_duplicate(&name));
    }
    let imported = material::parse_public(&input.public_key_material.0).ok_or_else(errors::invalid_key_format)?;
    let id = record(state, ctx, &name, imported.kind, &imported.public_blob, imported.fingerprint.clone(), tags);
    Ok(ImportKeyPairResult {
        key_fingerprint: Some(imported.fingerprint),
        key_name: Some(name),
        tags: state.dto_tags(&id),
        key_pair_id: Some(id),
    })
}

/// Deleting a key pair that does not exist succeeds, as at AWS.
pub fn delete_key_pair(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteKeyPairRequest,
) -> Result<DeleteKeyPairResult, ApiError> {
    let name = match (&input.key_name, &input.key_pair_id) {
        (Some(name), _) => Some(name.clone()),
        (None, Some(id)) => by_id(state, id).and_then(|k| k.key_name.clone()),
        (None, None) => return Err(errors::missing_parameter("KeyName or KeyPairId")),
    };
    let removed = name.and_then(|n| state.key_pairs.remove(&n));
    let id = removed.and_then(|k| k.key_pair_id);
    if let Some(id) = &id {
        state.forget(id);
    }
    Ok(DeleteKeyPairResult { r#return: Some(true), key_pair_id: id.or(input.key_pair_id) })
}

impl Filterable for KeyPairInfo {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "key-pair-id" => opt(&self.key_pair_id),
            "fingerprint" => opt(&self.key_fingerprint),
            "key-name" => opt(&self.key_name),
            "key-type" => opt(&self.key_type),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

/// Names and ids that do not exist are refused (the first one named).
pub fn describe_key_pairs(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeKeyPairsRequest,
) -> Result<DescribeKeyPairsResult, ApiError> {
    let names = input.key_names.unwrap_or_default();
    let ids = input.key_pair_ids.unwrap_or_default();
    for name in &names {
        if !exists(state, name) {
            return Err(errors::invalid_key_pair_not_found(name));
        }
    }
    for id in &ids {
        if by_id(state, id).is_none() {
            return Err(id_not_found(id));
        }
    }
    let include_public = input.include_public_key == Some(true);
    let all = state
        .key_pairs
        .values()
        .filter(|k| names.is_empty() || k.key_name.as_ref().is_some_and(|n| names.contains(n)))
        .filter(|k| ids.is_empty() || k.key_pair_id.as_ref().is_some_and(|i| ids.contains(i)))
        .map(|k| {
            let mut k = k.clone();
            k.tags = state.dto_tags(k.key_pair_id.as_deref().unwrap_or_default());
            if !include_public {
                k.public_key = None;
            }
            k
        });
    Ok(DescribeKeyPairsResult { key_pairs: Some(filtered(all, input.filters.as_deref())?) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::{Filter, Tag, TagSpecification};
    use crate::state::support::testing::setup;
    use nimbus_core::types::Blob;

    fn create(s: &mut Ec2State, ctx: &RequestContext, name: &str, key_type: Option<&str>) -> KeyPair {
        let input = CreateKeyPairRequest {
            key_name: name.into(),
            key_type: key_type.map(str::to_string),
            ..Default::default()
        };
        create_key_pair(s, ctx, input).unwrap()
    }

    fn describe(s: &Ec2State, ctx: &RequestContext, input: DescribeKeyPairsRequest) -> Vec<KeyPairInfo> {
        describe_key_pairs(s, ctx, input).unwrap().key_pairs.unwrap()
    }

    #[test]
    fn created_keys_are_listed_without_their_private_half() {
        let (mut s, ctx) = setup();
        let rsa = create(&mut s, &ctx, "web", None);
        assert!(rsa.key_material.as_deref().unwrap().starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(rsa.key_pair_id.as_deref().unwrap().starts_with("key-"));
        assert_eq!(rsa.key_pair_id.as_deref().unwrap().len(), 21);
        assert_eq!(rsa.key_fingerprint.as_deref().unwrap().len(), 59, "SHA-1 as colon hex");
        let ed = create(&mut s, &ctx, "ops", Some("ed25519"));
        assert!(ed.key_material.as_deref().unwrap().starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        assert_eq!(ed.key_fingerprint.as_deref().unwrap().len(), 44, "base64 SHA-256 with padding");

        let all = describe(&s, &ctx, DescribeKeyPairsRequest::default());
        assert_eq!(all.iter().map(|k| k.key_name.clone().unwrap()).collect::<Vec<_>>(), vec!["ops", "web"]);
        assert!(all.iter().all(|k| k.public_key.is_none() && k.create_time.is_some()));
        let with_public =
            describe(&s, &ctx, DescribeKeyPairsRequest { include_public_key: Some(true), ..Default::default() });
        assert!(with_public[0].public_key.as_deref().unwrap().starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));
        assert!(with_public[1].public_key.as_deref().unwrap().starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
        assert!(exists(&s, "web"));
    }

    #[test]
    fn names_are_unique_and_checked() {
        let (mut s, ctx) = setup();
        create(&mut s, &ctx, "dup", None);
        let again =
            CreateKeyPairRequest { key_name: "dup".into(), key_type: Some("ed25519".into()), ..Default::default() };
        let err = create_key_pair(&mut s, &ctx, again).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("InvalidKeyPair.Duplicate", "The keypair 'dup' already exists.")
        );
        let long = CreateKeyPairRequest { key_name: "k".repeat(256), ..Default::default() };
        assert_eq!(create_key_pair(&mut s, &ctx, long).unwrap_err().code, "InvalidParameterValue");
        let odd = CreateKeyPairRequest { key_name: "clé".into(), ..Default::default() };
        assert_eq!(create_key_pair(&mut s, &ctx, odd).unwrap_err().code, "InvalidParameterValue");
        let bad_type =
            CreateKeyPairRequest { key_name: "x".into(), key_type: Some("dsa".into()), ..Default::default() };
        assert_eq!(create_key_pair(&mut s, &ctx, bad_type).unwrap_err().code, "InvalidParameterValue");
        let imported = ImportKeyPairRequest {
            key_name: "dup".into(),
            public_key_material: Blob(ED25519_PUBLIC.as_bytes().to_vec()),
            ..Default::default()
        };
        assert_eq!(import_key_pair(&mut s, &ctx, imported).unwrap_err().code, "InvalidKeyPair.Duplicate");
    }

    /// `ssh-keygen -t ed25519` output; `ssh-keygen -l` says SHA256:LSn5oqboH64t7HhJA3MkVlSokgZcOkoQGLV47cRstGk.
    const ED25519_PUBLIC: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICGLdoOpFdQG384E4YPaj0PO/70yeZHE+bz7FdefYKL9 someone@example";

    #[test]
    fn imported_keys_keep_their_public_half_and_tags() {
        let (mut s, ctx) = setup();
        let input = ImportKeyPairRequest {
            key_name: "mine".into(),
            public_key_material: Blob(ED25519_PUBLIC.as_bytes().to_vec()),
            tag_specifications: Some(vec![TagSpecification {
                resource_type: Some("key-pair".into()),
                tags: Some(vec![Tag { key: Some("team".into()), value: Some("ops".into()) }]),
            }]),
            dry_run: None,
        };
        let out = import_key_pair(&mut s, &ctx, input).unwrap();
        assert_eq!(out.key_fingerprint.as_deref(), Some("LSn5oqboH64t7HhJA3MkVlSokgZcOkoQGLV47cRstGk="));
        assert_eq!(out.tags.as_ref().unwrap().len(), 1);
        let bad = ImportKeyPairRequest {
            key_name: "bad".into(),
            public_key_material: Blob(b"ssh-rsa not-base64!".to_vec()),
            ..Default::default()
        };
        let err = import_key_pair(&mut s, &ctx, bad).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
        );

        let by = |name: &str, value: &str| DescribeKeyPairsRequest {
            filters: Some(vec![Filter { name: Some(name.into()), values: Some(vec![value.into()]) }]),
            include_public_key: Some(true),
            ..Default::default()
        };
        let found = describe(&s, &ctx, by("tag:team", "ops"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key_type.as_deref(), Some("ed25519"));
        assert!(found[0].public_key.as_deref().unwrap().starts_with(&ED25519_PUBLIC[..80]));
        assert_eq!(describe(&s, &ctx, by("key-type", "rsa")).len(), 0);
        assert_eq!(describe(&s, &ctx, by("fingerprint", "LSn5*")).len(), 1);
        let id = out.key_pair_id.unwrap();
        assert_eq!(describe(&s, &ctx, by("key-pair-id", &id)).len(), 1);
        let err = describe_key_pairs(&s, &ctx, by("owner-id", "x")).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
    }

    #[test]
    fn unknown_names_and_ids_are_refused_by_describe_but_not_by_delete() {
        let (mut s, ctx) = setup();
        let id = create(&mut s, &ctx, "a", Some("ed25519")).key_pair_id.unwrap();
        let err = describe_key_pairs(
            &s,
            &ctx,
            DescribeKeyPairsRequest { key_names: Some(vec!["a".into(), "nope".into()]), ..Default::default() },
        )
        .unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("InvalidKeyPair.NotFound", "The key pair 'nope' does not exist")
        );
        let err = describe_key_pairs(
            &s,
            &ctx,
            DescribeKeyPairsRequest { key_pair_ids: Some(vec!["key-00000000000000000".into()]), ..Default::default() },
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidKeyPair.NotFound");
        let by_id =
            describe(&s, &ctx, DescribeKeyPairsRequest { key_pair_ids: Some(vec![id.clone()]), ..Default::default() });
        assert_eq!(by_id[0].key_name.as_deref(), Some("a"));

        let gone =
            delete_key_pair(&mut s, &ctx, DeleteKeyPairRequest { key_name: Some("nope".into()), ..Default::default() })
                .unwrap();
        assert_eq!(gone.r#return, Some(true));
        let out =
            delete_key_pair(&mut s, &ctx, DeleteKeyPairRequest { key_pair_id: Some(id.clone()), ..Default::default() })
                .unwrap();
        assert_eq!(out.key_pair_id.as_deref(), Some(id.as_str()));
        assert!(!exists(&s, "a"));
        assert_eq!(
            delete_key_pair(&mut s, &ctx, DeleteKeyPairRequest::default()).unwrap_err().code,
            "MissingParameter"
        );
    }
}
