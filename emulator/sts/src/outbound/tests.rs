use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use nimbus_core::auth::TemporaryCredential;

use super::*;

fn request(algorithm: &str) -> GetWebIdentityTokenRequest {
    GetWebIdentityTokenRequest {
        audience: vec!["https://api.example.com".into()],
        signing_algorithm: algorithm.into(),
        ..Default::default()
    }
}

fn ctx() -> RequestContext {
    RequestContext { endpoint: Some("http://127.0.0.1:4566".into()), ..RequestContext::for_tests() }
}

/// The token's header and claims, after checking its signature with the JWKS.
fn open(token: &str, account: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |p: &str| serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    let set = jwks(account);
    let jwk = set["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("kid in the JWKS");
    assert_eq!(jwk["alg"], header["alg"]);
    let signed = format!("{}.{}", parts[0], parts[1]);
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let b64 = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    match header["alg"].as_str().unwrap() {
        "RS256" => {
            use rsa::signature::Verifier;
            let public = rsa::RsaPublicKey::new(
                rsa::BigUint::from_bytes_be(&b64(&jwk["n"])),
                rsa::BigUint::from_bytes_be(&b64(&jwk["e"])),
            )
            .unwrap();
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public)
                .verify(signed.as_bytes(), &rsa::pkcs1v15::Signature::try_from(signature.as_slice()).unwrap())
                .unwrap();
        }
        "ES384" => {
            let mut point = vec![4u8];
            point.extend(b64(&jwk["x"]));
            point.extend(b64(&jwk["y"]));
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P384_SHA384_FIXED, &point)
                .verify(signed.as_bytes(), &signature)
                .unwrap();
        }
        other => panic!("unexpected alg {other}"),
    }
    (header, claims)
}

#[test]
fn tokens_carry_the_callers_claims_and_verify() {
    let store = CredentialStore::default();
    let ctx = ctx();
    for algorithm in ["RS256", "ES384"] {
        let out = get_web_identity_token(&store, &ctx, request(algorithm)).unwrap();
        let (header, claims) = open(out.web_identity_token.as_deref().unwrap(), "000000000000");
        assert_eq!(header["alg"], algorithm);
        assert_eq!(header["typ"], "JWT");
        assert_eq!(claims["iss"], "http://127.0.0.1:4566/_nimbus/sts/outbound/000000000000");
        assert_eq!(claims["aud"], "https://api.example.com");
        assert_eq!(claims["sub"], "arn:aws:iam::000000000000:root");
        assert_eq!(claims["iat"], ctx.now.timestamp());
        // Five minutes by default.
        assert_eq!(claims["exp"], ctx.now.timestamp() + 300);
        assert_eq!(out.expiration.unwrap().0, ctx.now + Duration::seconds(300));
        assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
        assert!(claims.get("scope").is_none());
        let identity = &claims["https://sts.amazonaws.com/"];
        assert_eq!(identity["aws_account"], "000000000000");
        assert_eq!(identity["source_region"], "us-east-1");
        assert_eq!(identity["principal_id"], "arn:aws:iam::000000000000:root");
        assert!(identity.get("request_tags").is_none());
    }
}

#[test]
fn audiences_duration_scope_and_tags_shape_the_claims() {
    let store = CredentialStore::default();
    let ctx = ctx();
    let input = GetWebIdentityTokenRequest {
        audience: vec!["a".into(), "b".into()],
        duration_seconds: Some(3600),
        scope: Some("read write".into()),
        subject_mode: Some("OriginIdentity".into()),
        tags: Some(vec![
            Tag { key: "team".into(), value: "data".into() },
            Tag { key: "job-id".into(), value: "job-1".into() },
        ]),
        ..request("ES384")
    };
    let out = get_web_identity_token(&store, &ctx, input).unwrap();
    let (_, claims) = open(out.web_identity_token.as_deref().unwrap(), "000000000000");
    assert_eq!(claims["aud"], json!(["a", "b"]));
    assert_eq!(claims["exp"], ctx.now.timestamp() + 3600);
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["https://sts.amazonaws.com/"]["request_tags"], json!({"team": "data", "job-id": "job-1"}));

    let mut duplicate = request("RS256");
    duplicate.tags =
        Some(vec![Tag { key: "Team".into(), value: "a".into() }, Tag { key: "team".into(), value: "b".into() }]);
    assert_eq!(get_web_identity_token(&store, &ctx, duplicate).unwrap_err().code, "ValidationError");
}

#[test]
fn role_sessions_are_named_by_their_role() {
    let store = CredentialStore::default();
    let until = chrono::Utc::now() + Duration::hours(1);
    let caller = Caller {
        account: "123456789012".into(),
        access_key: "ASIAEXAMPLEEXAMPLE01".into(),
        arn: "arn:aws:sts::123456789012:assumed-role/DataProcessingRole/job-7".into(),
        user_id: "AROAEXAMPLE:job-7".into(),
        session_token: Some("token".into()),
    };
    store.add_temporary(TemporaryCredential {
        access_key: caller.access_key.clone(),
        secret_key: "s".into(),
        session_token: "token".into(),
        expiration: until,
        caller: caller.clone(),
    });
    let ctx = RequestContext { caller, region: "eu-west-1".into(), ..ctx() };
    let out = get_web_identity_token(&store, &ctx, request("RS256")).unwrap();
    let (_, claims) = open(out.web_identity_token.as_deref().unwrap(), "123456789012");
    assert_eq!(claims["sub"], "arn:aws:iam::123456789012:role/DataProcessingRole");
    assert_eq!(claims["iss"], "http://127.0.0.1:4566/_nimbus/sts/outbound/123456789012");
    let identity = &claims["https://sts.amazonaws.com/"];
    assert_eq!(identity["principal_id"], "arn:aws:iam::123456789012:role/DataProcessingRole");
    assert_eq!(identity["source_region"], "eu-west-1");

    // A token may not outlive the session that asks for it.
    let mut long = request("RS256");
    long.duration_seconds = Some(3600);
    let ctx = RequestContext { now: until - Duration::minutes(30), ..ctx };
    let err = get_web_identity_token(&store, &ctx, long.clone()).unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("SessionDurationEscalationException", 403));
    long.duration_seconds = Some(1800);
    assert!(get_web_identity_token(&store, &ctx, long).is_ok());
}

#[test]
fn bad_algorithms_and_oversized_payloads_are_refused() {
    let store = CredentialStore::default();
    let err = get_web_identity_token(&store, &ctx(), request("HS256")).unwrap_err();
    assert_eq!(err.code, "ValidationError");
    assert!(err.message.contains("Member must satisfy enum value set: [RS256, ES384]"), "{}", err.message);

    let mut big = request("RS256");
    big.tags =
        Some((0..40).map(|i| Tag { key: format!("key-{i:03}-{}", "k".repeat(100)), value: "v".repeat(200) }).collect());
    let err = get_web_identity_token(&store, &ctx(), big).unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("JWTPayloadSizeExceededException", 400));
}

#[test]
fn discovery_names_the_issuer_and_its_keys() {
    let issuer = issuer("http://localhost:4566/", "123456789012");
    assert_eq!(issuer, "http://localhost:4566/_nimbus/sts/outbound/123456789012");
    let doc = openid_configuration(&issuer);
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(doc["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(["RS256", "ES384"]));
}
