//! DecodeAuthorizationMessage. An encoded authorization message is what a service returns
//! with an authorization failure; nimbus's form is [`encode`]'s: the decoded document and
//! the account it was issued to, base64url after a fixed prefix. Only the account the
//! message was issued to can decode it; anything else is not a message STS issued.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nimbus_core::auth::CredentialStore;
use nimbus_core::{ApiError, RequestContext};
use serde_json::{json, Value};

use crate::generated::dto::{DecodeAuthorizationMessageRequest, DecodeAuthorizationMessageResponse};

const PREFIX: &str = "nimbus-authz-";

/// The encoded form of an authorization status (`{"allowed": false, "explicitDeny": ...,
/// "context": {...}}`, the document DecodeAuthorizationMessage returns) for `account`.
pub fn encode(account: &str, decoded: &Value) -> String {
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json!({"account": account, "decoded": decoded}).to_string()))
}

pub fn decode_authorization_message(
    _store: &CredentialStore,
    ctx: &RequestContext,
    input: DecodeAuthorizationMessageRequest,
) -> Result<DecodeAuthorizationMessageResponse, ApiError> {
    let invalid = || {
        ApiError::client(
            "InvalidAuthorizationMessageException",
            "Message is not valid: it was not issued by STS, it was changed, or it contains line breaks",
        )
    };
    let body = input.encoded_message.strip_prefix(PREFIX).ok_or_else(invalid)?;
    let doc: Value =
        URL_SAFE_NO_PAD.decode(body).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(invalid)?;
    if doc["account"].as_str() != Some(ctx.caller.account.as_str()) || !doc["decoded"].is_object() {
        return Err(invalid());
    }
    Ok(DecodeAuthorizationMessageResponse { decoded_message: Some(doc["decoded"].to_string()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(ctx: &RequestContext, message: &str) -> Result<String, ApiError> {
        let input = DecodeAuthorizationMessageRequest { encoded_message: message.into() };
        decode_authorization_message(&CredentialStore::default(), ctx, input).map(|o| o.decoded_message.unwrap())
    }

    #[test]
    fn messages_round_trip_for_their_account_only() {
        let ctx = RequestContext::for_tests();
        let status = json!({"allowed": false, "explicitDeny": false, "matchedStatements": {"items": []},
                            "context": {"action": "ec2:RunInstances", "resource": "arn:aws:ec2:us-east-1:000000000000:instance/*"}});
        let message = encode(&ctx.caller.account, &status);
        assert_eq!(serde_json::from_str::<Value>(&decode(&ctx, &message).unwrap()).unwrap(), status);
        let other = encode("111122223333", &status);
        for bad in [other.as_str(), "garbage", &format!("{message}\n"), &message[..message.len() - 3]] {
            assert_eq!(decode(&ctx, bad).unwrap_err().code, "InvalidAuthorizationMessageException", "{bad}");
        }
    }
}
