//! PutParameter: a new parameter, or a new version of one (`Overwrite`).

use nimbus_core::{ApiError, RequestContext};
use regex_automata::meta::Regex;

use super::{Parameter, SsmState, Version};
use crate::errors;
use crate::generated::dto::{PutParameterRequest, PutParameterResult};
use crate::names;

/// The key AWS encrypts a SecureString with when none is named.
pub const DEFAULT_KEY: &str = "alias/aws/ssm";
const MAX_VERSIONS: usize = 100;
const STANDARD_MAX: usize = 4096;
const ADVANCED_MAX: usize = 8192;
pub const MAX_TAGS: usize = 50;
const DATA_TYPES: &[&str] = &["text", "aws:ec2:image", "aws:ssm:integration"];

pub fn put_parameter(
    state: &mut SsmState,
    ctx: &RequestContext,
    input: PutParameterRequest,
) -> Result<PutParameterResult, ApiError> {
    let name = names::check_new(&input.name)?;
    let overwrite = input.overwrite.unwrap_or(false);
    if overwrite && input.tags.is_some() {
        return Err(errors::validation(
            "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please \
             remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or \
             RemoveTagsFromResource.",
        ));
    }
    let existing = state.parameters.get(&name);
    if existing.is_some() && !overwrite {
        return Err(errors::already_exists());
    }
    let previous = existing.map(Parameter::latest);
    let kind = match (&input.r#type, previous) {
        (Some(t), _) => t.clone(),
        (None, Some(p)) => p.kind.clone(),
        (None, None) => return Err(errors::validation("A parameter type is required when you create a parameter.")),
    };
    let data_type = input.data_type.clone().or_else(|| previous.map(|p| p.data_type.clone())).unwrap_or("text".into());
    check_data_type(&data_type, &kind, &input.value)?;
    let allowed_pattern = input.allowed_pattern.clone().or_else(|| previous.and_then(|p| p.allowed_pattern.clone()));
    if let Some(pattern) = allowed_pattern.as_deref().filter(|p| !p.is_empty()) {
        check_pattern(pattern, &input.value)?;
    }
    let tier = tier(input.tier.as_deref(), previous.map(|p| p.tier.as_str()), &input)?;
    let key_id = (kind == "SecureString").then(|| {
        input
            .key_id
            .clone()
            .or_else(|| previous.filter(|p| p.kind == "SecureString").and_then(|p| p.key_id.clone()))
            .unwrap_or(DEFAULT_KEY.into())
    });
    let mut tags = Vec::new();
    for t in input.tags.iter().flatten() {
        crate::tags::set(&mut tags, &t.key, &t.value);
    }
    if tags.len() > MAX_TAGS {
        return Err(ApiError::client("TooManyTagsError", "The parameter has too many tags."));
    }

    let version = Version {
        version: previous.map_or(1, |p| p.version + 1),
        value: input.value,
        kind,
        description: input.description.or_else(|| previous.and_then(|p| p.description.clone())),
        key_id,
        allowed_pattern,
        tier: tier.clone(),
        data_type,
        labels: Vec::new(),
        modified: ctx.now.into(),
        user: Some(ctx.caller.arn.clone()),
        policies: input.policies,
    };
    let number = version.version;
    match state.parameters.get_mut(&name) {
        Some(p) => {
            if p.versions.len() >= MAX_VERSIONS {
                let oldest = &p.versions[0];
                if !oldest.labels.is_empty() {
                    return Err(ApiError::client(
                        "ParameterMaxVersionLimitExceeded",
                        format!(
                            "You attempted to create a new version of {name} by calling the PutParameter API with \
                             the overwrite flag. Version {}, the oldest version, can't be deleted because it has a \
                             label associated with it. Move the label to another version of the parameter, and try \
                             again.",
                            oldest.version
                        ),
                    ));
                }
                p.versions.remove(0);
            }
            p.versions.push(version);
        }
        None => {
            state.parameters.insert(name.clone(), Parameter { name, versions: vec![version], tags });
        }
    }
    Ok(PutParameterResult { version: Some(number), tier: Some(tier) })
}

fn check_data_type(data_type: &str, kind: &str, value: &str) -> Result<(), ApiError> {
    if !DATA_TYPES.contains(&data_type) {
        return Err(errors::validation(format!(
            "The following data type is not supported: {data_type} (Data type names are all lowercase.)"
        )));
    }
    if data_type == "aws:ec2:image" {
        if kind != "String" {
            return Err(errors::validation("The aws:ec2:image data type is only supported for String parameters."));
        }
        if !is_ami_id(value) {
            return Err(errors::validation(format!(
                "Invalid value {value} for data type aws:ec2:image: the value must be an AMI ID in the format \
                 ami-12345abcdeEXAMPLE."
            )));
        }
    }
    Ok(())
}

/// `ami-` and 8 or 17 lowercase hex digits.
pub fn is_ami_id(value: &str) -> bool {
    value.strip_prefix("ami-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn check_pattern(pattern: &str, value: &str) -> Result<(), ApiError> {
    let re = Regex::new(pattern).map_err(|_| {
        ApiError::client(
            "InvalidAllowedPatternException",
            format!("The allowed pattern {pattern} is not a valid regular expression."),
        )
    })?;
    if !re.is_match(value) {
        return Err(ApiError::client(
            "ParameterPatternMismatchException",
            format!("Parameter value, cannot be validated against allowedPattern: {pattern}"),
        ));
    }
    Ok(())
}

/// The tier a write lands in: as asked (Intelligent-Tiering picks the cheapest that
/// holds the value), else the parameter's current one, else Standard; never a
/// downgrade from Advanced.
fn tier(asked: Option<&str>, current: Option<&str>, input: &PutParameterRequest) -> Result<String, ApiError> {
    let needs_advanced = input.value.chars().count() > STANDARD_MAX || input.policies.is_some();
    let tier = match asked {
        Some("Intelligent-Tiering") if needs_advanced || current == Some("Advanced") => "Advanced",
        Some("Intelligent-Tiering") => "Standard",
        Some(t) => t,
        None => current.unwrap_or("Standard"),
    };
    if tier == "Standard" && current == Some("Advanced") {
        return Err(errors::validation(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the \
             advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced \
             parameter and recreate it as a standard parameter.",
        ));
    }
    let len = input.value.chars().count();
    if tier == "Standard" && input.policies.is_some() {
        return Err(errors::validation(
            "Parameter policies are supported only for advanced-tier parameters. Change the tier to Advanced or \
             Intelligent-Tiering, and try again.",
        ));
    }
    if tier == "Standard" && len > STANDARD_MAX {
        return Err(errors::validation(
            "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger \
             parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see \
             https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
        ));
    }
    if len > ADVANCED_MAX {
        return Err(errors::validation(
            "Advanced tier parameters support a maximum parameter value of 8192 characters.",
        ));
    }
    Ok(tier.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::Tag;

    fn req(name: &str, value: &str) -> PutParameterRequest {
        PutParameterRequest {
            name: name.into(),
            value: value.into(),
            r#type: Some("String".into()),
            ..Default::default()
        }
    }

    #[test]
    fn versions_overwrite_and_refusals() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        let out = put_parameter(&mut s, &ctx, req("/app/url", "a")).unwrap();
        assert_eq!((out.version, out.tier.as_deref()), (Some(1), Some("Standard")));
        assert_eq!(put_parameter(&mut s, &ctx, req("/app/url", "b")).unwrap_err().code, "ParameterAlreadyExists");
        let mut again = req("/app/url", "b");
        again.overwrite = Some(true);
        again.r#type = None;
        assert_eq!(put_parameter(&mut s, &ctx, again.clone()).unwrap().version, Some(2));
        again.tags = Some(vec![Tag { key: "k".into(), value: "v".into() }]);
        assert_eq!(put_parameter(&mut s, &ctx, again).unwrap_err().code, "ValidationException");
        let mut untyped = req("/new", "x");
        untyped.r#type = None;
        assert_eq!(put_parameter(&mut s, &ctx, untyped).unwrap_err().code, "ValidationException");
        assert_eq!(put_parameter(&mut s, &ctx, req("/aws/x", "x")).unwrap_err().code, "AccessDeniedException");
        assert_eq!(s.parameters["/app/url"].versions.len(), 2);
    }

    #[test]
    fn secure_strings_patterns_data_types_and_tiers() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        let mut secret = req("/db/pw", "hunter2");
        secret.r#type = Some("SecureString".into());
        put_parameter(&mut s, &ctx, secret).unwrap();
        assert_eq!(s.parameters["/db/pw"].latest().key_id.as_deref(), Some(DEFAULT_KEY));

        let mut digits = req("/n", "12a");
        digits.allowed_pattern = Some("^\\d+$".into());
        assert_eq!(put_parameter(&mut s, &ctx, digits.clone()).unwrap_err().code, "ParameterPatternMismatchException");
        digits.value = "12".into();
        put_parameter(&mut s, &ctx, digits).unwrap();
        let mut bad = req("/bad", "x");
        bad.allowed_pattern = Some("(".into());
        assert_eq!(put_parameter(&mut s, &ctx, bad).unwrap_err().code, "InvalidAllowedPatternException");

        let mut image = req("/golden", "ami-12345678");
        image.data_type = Some("aws:ec2:image".into());
        put_parameter(&mut s, &ctx, image.clone()).unwrap();
        image.name = "/golden2".into();
        image.value = "not-an-ami".into();
        assert_eq!(put_parameter(&mut s, &ctx, image).unwrap_err().code, "ValidationException");

        let big = "x".repeat(5000);
        assert_eq!(put_parameter(&mut s, &ctx, req("/big", &big)).unwrap_err().code, "ValidationException");
        let mut smart = req("/big", &big);
        smart.tier = Some("Intelligent-Tiering".into());
        assert_eq!(put_parameter(&mut s, &ctx, smart).unwrap().tier.as_deref(), Some("Advanced"));
        let mut down = req("/big", "small");
        down.overwrite = Some(true);
        down.tier = Some("Standard".into());
        assert_eq!(put_parameter(&mut s, &ctx, down).unwrap_err().code, "ValidationException");
    }

    #[test]
    fn the_oldest_of_a_hundred_versions_goes_unless_labelled() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        let mut r = req("/v", "0");
        r.overwrite = Some(true);
        for _ in 0..100 {
            put_parameter(&mut s, &ctx, r.clone()).unwrap();
        }
        assert_eq!(put_parameter(&mut s, &ctx, r.clone()).unwrap().version, Some(101));
        assert_eq!(s.parameters["/v"].versions[0].version, 2);
        s.parameters.get_mut("/v").unwrap().versions[0].labels.push("keep".into());
        assert_eq!(put_parameter(&mut s, &ctx, r).unwrap_err().code, "ParameterMaxVersionLimitExceeded");
    }
}
