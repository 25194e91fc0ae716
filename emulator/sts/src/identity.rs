use nimbus_core::auth::CredentialStore;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    GetAccessKeyInfoRequest, GetAccessKeyInfoResponse, GetCallerIdentityRequest, GetCallerIdentityResponse,
};

pub fn get_caller_identity(
    _store: &CredentialStore,
    ctx: &RequestContext,
    _input: GetCallerIdentityRequest,
) -> Result<GetCallerIdentityResponse, ApiError> {
    Ok(GetCallerIdentityResponse {
        user_id: Some(ctx.caller.user_id.clone()),
        account: Some(ctx.caller.account.clone()),
        arn: Some(ctx.caller.arn.clone()),
    })
}

/// The account an access key belongs to. Keys nimbus knows answer their account; any
/// other key answers the account its id encodes, as AWS does for every key it issued
/// since 2019 (after the four-letter prefix, base32, bits 1 to 40 of the first six bytes).
pub fn get_access_key_info(
    store: &CredentialStore,
    _ctx: &RequestContext,
    input: GetAccessKeyInfoRequest,
) -> Result<GetAccessKeyInfoResponse, ApiError> {
    let key = &input.access_key_id;
    let account = store.account_of(key).or_else(|| encoded_account(key)).ok_or_else(|| {
        ApiError::client(
            "ValidationError",
            format!("The access key ID {key} is not valid: after its prefix it must be base32 (A-Z, 2-7)."),
        )
    })?;
    Ok(GetAccessKeyInfoResponse { account: Some(account) })
}

fn encoded_account(key: &str) -> Option<String> {
    // The prefix, then the ten base32 characters that hold the first six bytes.
    let digits = key.get(4..14)?;
    let mut bits: u64 = 0;
    for c in digits.chars() {
        let value = match c {
            'A'..='Z' => c as u64 - 'A' as u64,
            '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => return None,
        };
        bits = bits << 5 | value;
    }
    let first_six_bytes = bits >> 2;
    Some(format!("{:012}", (first_six_bytes & 0x7fff_ffff_ff80) >> 7))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::auth::Credential;

    #[test]
    fn access_keys_answer_their_account() {
        let store = CredentialStore::new([Credential::new("AKIANIMBUSLOCAL00001", "s", "123456789012")]);
        let info = |key: &str| {
            get_access_key_info(
                &store,
                &RequestContext::for_tests(),
                GetAccessKeyInfoRequest { access_key_id: key.into() },
            )
            .map(|r| r.account)
        };
        assert_eq!(info("AKIANIMBUSLOCAL00001").unwrap().as_deref(), Some("123456789012"));
        // Keys nimbus does not know answer the account their id encodes (these two are
        // published examples: a real key's decoding, and the documentation's key).
        assert_eq!(info("ASIAY34FZKBOKMUTVV7A").unwrap().as_deref(), Some("609629065308"));
        assert_eq!(info("AKIAIOSFODNN7EXAMPLE").unwrap().as_deref(), Some("581039954779"));
        assert_eq!(info("AKIA0000000000000000").unwrap_err().code, "ValidationError");
    }

    #[test]
    fn answers_the_caller() {
        let ctx = RequestContext::for_tests();
        let out = get_caller_identity(&CredentialStore::default(), &ctx, GetCallerIdentityRequest::default()).unwrap();
        assert_eq!(out.account.as_deref(), Some("000000000000"));
        assert_eq!(out.arn.as_deref(), Some("arn:aws:iam::000000000000:root"));
    }
}
