//! GetParameter and GetParameters (a name, `name:version` or `name:label`), and the
//! lookup behind EC2's `resolve:ssm:`.

use nimbus_core::{ApiError, RequestContext};

use super::{lookup, to_parameter, Parameter, SsmState, Version, Where};
use crate::generated::dto::{GetParameterRequest, GetParameterResult, GetParametersRequest, GetParametersResult};
use crate::names::{parse_selector, Select, Selector};
use crate::public::Published;
use crate::{errors, ResolveError};

/// The version a selector names, or AWS's refusal.
fn selected<'a>(p: &'a Parameter, sel: &Selector) -> Result<&'a Version, ApiError> {
    match &sel.select {
        None => Ok(p.latest()),
        Some(Select::Version(n)) => p.version(*n).ok_or_else(|| errors::version_not_found(&p.name, *n)),
        Some(Select::Label(l)) => p.labelled(l).ok_or_else(|| errors::label_not_found(&p.name, l)),
    }
}

pub fn get_parameter(
    state: &SsmState,
    published: &Published,
    ctx: &RequestContext,
    input: GetParameterRequest,
) -> Result<GetParameterResult, ApiError> {
    let sel = parse_selector(&input.name);
    let p = lookup(state, published, &sel.name).ok_or_else(errors::parameter_not_found)?;
    let v = selected(p, &sel)?;
    let at = Where { region: &ctx.region, account: ctx.account() };
    Ok(GetParameterResult {
        parameter: Some(to_parameter(p, v, &at, input.with_decryption.unwrap_or(false), sel.written)),
    })
}

pub fn get_parameters(
    state: &SsmState,
    published: &Published,
    ctx: &RequestContext,
    input: GetParametersRequest,
) -> Result<GetParametersResult, ApiError> {
    let at = Where { region: &ctx.region, account: ctx.account() };
    let decrypt = input.with_decryption.unwrap_or(false);
    let mut found = Vec::new();
    let mut invalid: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for raw in &input.names {
        if !seen.insert(raw.clone()) {
            continue;
        }
        let sel = parse_selector(raw);
        match lookup(state, published, &sel.name).map(|p| (p, selected(p, &sel))) {
            Some((p, Ok(v))) => found.push(to_parameter(p, v, &at, decrypt, sel.written)),
            _ => invalid.push(raw.clone()),
        }
    }
    Ok(GetParametersResult { parameters: Some(found), invalid_parameters: Some(invalid) })
}

/// `resolve:ssm:`'s lookup: AWS's public parameters resolve whatever their data type;
/// the account's own must be `aws:ec2:image`.
pub fn resolve_image(state: &SsmState, published: &Published, name: &str) -> Result<String, ResolveError> {
    let sel = parse_selector(name);
    let p = lookup(state, published, &sel.name).ok_or(ResolveError::NotFound)?;
    let v = selected(p, &sel).map_err(|_| ResolveError::NotFound)?;
    if !super::is_public(&p.name) && v.data_type != "aws:ec2:image" {
        return Err(ResolveError::NotAnImage);
    }
    Ok(v.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameters::testing::put;

    #[test]
    fn selectors_pick_versions_and_labels() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        put(&mut s, "/a", "one", "String");
        put(&mut s, "/a", "two", "String");
        s.parameters.get_mut("/a").unwrap().versions[0].labels.push("old".into());
        let none = Published::default();
        let get = |name: &str| {
            get_parameter(&s, &none, &ctx, GetParameterRequest { name: name.into(), with_decryption: None })
        };
        assert_eq!(get("/a").unwrap().parameter.unwrap().value.as_deref(), Some("two"));
        let old = get("/a:old").unwrap().parameter.unwrap();
        assert_eq!((old.value.as_deref(), old.selector.as_deref(), old.version), (Some("one"), Some(":old"), Some(1)));
        assert_eq!(get("/a:1").unwrap().parameter.unwrap().value.as_deref(), Some("one"));
        assert_eq!(get("/a:3").unwrap_err().code, "ParameterVersionNotFound");
        assert_eq!(get("/a:nope").unwrap_err().code, "ParameterVersionNotFound");
        assert_eq!(get("/b").unwrap_err().code, "ParameterNotFound");
        assert_eq!(
            get("/a").unwrap().parameter.unwrap().arn.as_deref(),
            Some("arn:aws:ssm:us-east-1:000000000000:parameter/a")
        );

        let many = get_parameters(
            &s,
            &none,
            &ctx,
            GetParametersRequest { names: vec!["/a".into(), "/b".into(), "/a:9".into()], with_decryption: None },
        )
        .unwrap();
        assert_eq!(many.parameters.unwrap().len(), 1);
        assert_eq!(many.invalid_parameters.unwrap(), vec!["/b".to_string(), "/a:9".to_string()]);
    }

    #[test]
    fn secure_strings_read_encrypted_unless_decrypted() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        put(&mut s, "/pw", "hunter2", "SecureString");
        let none = Published::default();
        let read = |d| {
            get_parameter(&s, &none, &ctx, GetParameterRequest { name: "/pw".into(), with_decryption: Some(d) })
                .unwrap()
                .parameter
                .unwrap()
                .value
                .unwrap()
        };
        assert_eq!(read(true), "hunter2");
        assert_ne!(read(false), "hunter2");
        assert_eq!(read(false), read(false));
    }

    #[test]
    fn only_image_parameters_resolve() {
        let mut s = SsmState::default();
        put(&mut s, "/text", "ami-12345678", "String");
        let none = Published::default();
        assert_eq!(resolve_image(&s, &none, "/text"), Err(ResolveError::NotAnImage));
        assert_eq!(resolve_image(&s, &none, "/missing"), Err(ResolveError::NotFound));
        s.parameters.get_mut("/text").unwrap().versions[0].data_type = "aws:ec2:image".into();
        assert_eq!(resolve_image(&s, &none, "/text:1").unwrap(), "ami-12345678");
        assert_eq!(resolve_image(&s, &none, "/text:2"), Err(ResolveError::NotFound));
    }
}
