//! The keys that sign outbound web identity tokens: one RSA (RS256) and one P-384
//! (ES384) key per account, made on first use and kept for the life of the process (a
//! restart makes new ones, so tokens issued before it no longer verify, as after a key
//! rotation). Their public halves are the account's JWKS.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The algorithms GetWebIdentityToken signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Es384,
}

impl Algorithm {
    pub const ALL: [Algorithm; 2] = [Algorithm::Rs256, Algorithm::Es384];

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es384 => "ES384",
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }
}

struct RsaKey {
    signer: rsa::pkcs1v15::SigningKey<Sha256>,
    jwk: Value,
}

struct EcKey {
    pair: EcdsaKeyPair,
    jwk: Value,
}

/// One account's keys, each made when first needed.
#[derive(Default)]
struct AccountKeys {
    rsa: OnceLock<RsaKey>,
    ec: OnceLock<EcKey>,
}

fn accounts() -> &'static Mutex<BTreeMap<String, Arc<AccountKeys>>> {
    static KEYS: OnceLock<Mutex<BTreeMap<String, Arc<AccountKeys>>>> = OnceLock::new();
    KEYS.get_or_init(Mutex::default)
}

fn account(account: &str) -> Arc<AccountKeys> {
    let mut all = accounts().lock().unwrap_or_else(|e| e.into_inner());
    all.entry(account.to_string()).or_default().clone()
}

impl AccountKeys {
    fn rsa(&self) -> &RsaKey {
        self.rsa.get_or_init(|| {
            use rand_chacha::rand_core::SeedableRng;
            // Key material is not cloud state: it comes from the system's randomness,
            // not from nimbus's id sequence (which `--id-seed` makes predictable).
            let mut seed = [0u8; 32];
            ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut seed).expect("system randomness");
            let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
            let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA key generation");
            let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
            let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
            // RFC 7638 thumbprint: the required members in lexicographic order.
            let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
            let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
            RsaKey { signer: rsa::pkcs1v15::SigningKey::<Sha256>::new(key), jwk }
        })
    }

    fn ec(&self) -> &EcKey {
        self.ec.get_or_init(|| {
            let random = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &random).expect("P-384 key");
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &random).expect("P-384 key");
            // The public key is the uncompressed point: 0x04, then x and y (48 bytes each).
            let point = pair.public_key().as_ref();
            let (x, y) = (URL_SAFE_NO_PAD.encode(&point[1..49]), URL_SAFE_NO_PAD.encode(&point[49..97]));
            let kid = thumbprint(&format!(r#"{{"crv":"P-384","kty":"EC","x":"{x}","y":"{y}"}}"#));
            let jwk = json!({"kty": "EC", "use": "sig", "alg": "ES384", "kid": kid, "crv": "P-384", "x": x, "y": y});
            EcKey { pair, jwk }
        })
    }

    fn jwk(&self, algorithm: Algorithm) -> &Value {
        match algorithm {
            Algorithm::Rs256 => &self.rsa().jwk,
            Algorithm::Es384 => &self.ec().jwk,
        }
    }
}

fn thumbprint(canonical: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The key id `account`'s key for `algorithm` is published under.
pub fn key_id(account_id: &str, algorithm: Algorithm) -> String {
    account(account_id).jwk(algorithm)["kid"].as_str().unwrap_or_default().to_string()
}

/// Signs `input` (`header.payload`, both base64url) with `account`'s key for
/// `algorithm`: the JWS signature, base64url (RSASSA-PKCS1-v1_5 over SHA-256, or
/// ECDSA P-384 over SHA-384 as the 96 bytes of r and s).
pub fn sign(account_id: &str, algorithm: Algorithm, input: &[u8]) -> String {
    let keys = account(account_id);
    let signature = match algorithm {
        Algorithm::Rs256 => {
            use rsa::signature::{SignatureEncoding, Signer};
            keys.rsa().signer.sign(input).to_vec()
        }
        Algorithm::Es384 => keys.ec().pair.sign(&SystemRandom::new(), input).expect("ECDSA signing").as_ref().to_vec(),
    };
    URL_SAFE_NO_PAD.encode(signature)
}

/// `account`'s JSON Web Key Set: the public keys of both algorithms.
pub fn jwks(account_id: &str) -> Value {
    let keys = account(account_id);
    json!({ "keys": Algorithm::ALL.iter().map(|a| keys.jwk(*a).clone()).collect::<Vec<_>>() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_the_published_keys() {
        let account_id = "210987654321";
        let set = jwks(account_id);
        let keys = set["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        let message = b"header.payload";

        let rsa_jwk = keys.iter().find(|k| k["kty"] == "RSA").unwrap();
        assert_eq!(rsa_jwk["kid"].as_str().unwrap(), key_id(account_id, Algorithm::Rs256));
        let b64 = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
        let public = rsa::RsaPublicKey::new(
            rsa::BigUint::from_bytes_be(&b64(&rsa_jwk["n"])),
            rsa::BigUint::from_bytes_be(&b64(&rsa_jwk["e"])),
        )
        .unwrap();
        use rsa::signature::Verifier;
        let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
        let signature = URL_SAFE_NO_PAD.decode(sign(account_id, Algorithm::Rs256, message)).unwrap();
        verifier.verify(message, &rsa::pkcs1v15::Signature::try_from(signature.as_slice()).unwrap()).unwrap();

        let ec_jwk = keys.iter().find(|k| k["kty"] == "EC").unwrap();
        assert_eq!(ec_jwk["crv"], "P-384");
        let mut point = vec![4u8];
        point.extend(b64(&ec_jwk["x"]));
        point.extend(b64(&ec_jwk["y"]));
        let signature = URL_SAFE_NO_PAD.decode(sign(account_id, Algorithm::Es384, message)).unwrap();
        assert_eq!(signature.len(), 96);
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P384_SHA384_FIXED, &point)
            .verify(message, &signature)
            .unwrap();
        // The keys stay for the process; another account has its own.
        assert_eq!(jwks(account_id), set);
        assert_ne!(key_id("123456789012", Algorithm::Es384), key_id(account_id, Algorithm::Es384));
    }
}
