use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{GetCallerIdentityRequest, GetCallerIdentityResponse};

pub fn get_caller_identity(
    ctx: &RequestContext,
    _input: GetCallerIdentityRequest,
) -> Result<GetCallerIdentityResponse, ApiError> {
    Ok(GetCallerIdentityResponse {
        user_id: Some(ctx.caller.user_id.clone()),
        account: Some(ctx.caller.account.clone()),
        arn: Some(ctx.caller.arn.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_the_caller() {
        let ctx = RequestContext::for_tests();
        let out = get_caller_identity(&ctx, GetCallerIdentityRequest::default()).unwrap();
        assert_eq!(out.account.as_deref(), Some("000000000000"));
        assert_eq!(out.arn.as_deref(), Some("arn:aws:iam::000000000000:root"));
    }
}
