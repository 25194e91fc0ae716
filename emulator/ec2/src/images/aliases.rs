//! `resolve:ssm:<parameter>` as an image id: RunInstances launches the AMI the Systems
//! Manager parameter holds at launch time (AWS's public parameters, or the account's own
//! of data type `aws:ec2:image`); launch templates keep the alias as written, checked
//! when the version is made.

use nimbus_core::{ApiError, RequestContext};

use crate::generated::errors;
use crate::state::shared::{ParameterRefusal, Shared};

pub const PREFIX: &str = "resolve:ssm:";

/// The AMI id an image id names: itself, or what its `resolve:ssm:` parameter holds.
pub fn resolve(ctx: &RequestContext, shared: &Shared, image_id: &str) -> Result<String, ApiError> {
    let Some(name) = image_id.strip_prefix(PREFIX) else {
        return Ok(image_id.to_string());
    };
    shared.resolve_parameter(ctx.account(), &ctx.region, name).map_err(|refusal| match refusal {
        ParameterRefusal::NotFound => {
            errors::ssm_invalid_parameter(format!("The following aliases are invalid: {name}"))
        }
        ParameterRefusal::NotAnImage => errors::ssm_invalid_parameter(
            "Unsupported data type. The following parameter data types are supported: aws:ec2:image",
        ),
    })
}

/// Checks a launch template's image id: an alias must resolve now (the template keeps
/// the alias, not its value).
pub fn check(ctx: &RequestContext, shared: &Shared, image_id: Option<&str>) -> Result<(), ApiError> {
    match image_id {
        Some(id) if id.starts_with(PREFIX) => resolve(ctx, shared, id).map(|_| ()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::state::shared::ParameterResolver;

    struct Fixed;

    impl ParameterResolver for Fixed {
        fn resolve_image(&self, _: &str, _: &str, name: &str) -> Result<String, ParameterRefusal> {
            match name {
                "/golden" | "/golden:1" => Ok("ami-12345678".into()),
                "/text" => Err(ParameterRefusal::NotAnImage),
                _ => Err(ParameterRefusal::NotFound),
            }
        }
    }

    #[test]
    fn aliases_resolve_or_are_refused() {
        let ctx = RequestContext::for_tests();
        let mut shared = Shared::default();
        assert_eq!(resolve(&ctx, &shared, "resolve:ssm:/golden").unwrap_err().code, "SsmInvalidParameter");
        shared.set_parameters(Arc::new(Fixed));
        assert_eq!(resolve(&ctx, &shared, "ami-0abc").unwrap(), "ami-0abc");
        assert_eq!(resolve(&ctx, &shared, "resolve:ssm:/golden:1").unwrap(), "ami-12345678");
        let missing = resolve(&ctx, &shared, "resolve:ssm:/nope").unwrap_err();
        assert_eq!(missing.message, "The following aliases are invalid: /nope");
        assert!(resolve(&ctx, &shared, "resolve:ssm:/text").unwrap_err().message.starts_with("Unsupported data type"));
        assert!(check(&ctx, &shared, Some("ami-0abc")).is_ok());
        assert!(check(&ctx, &shared, Some("resolve:ssm:/nope")).is_err());
    }
}
