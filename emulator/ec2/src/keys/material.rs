//! Key material as EC2 hands it out and takes it in: real RSA and Ed25519 keys, their
//! private halves as PEM (PKCS#1 for RSA, OpenSSH for Ed25519) or PuTTY's PPK (version
//! 3), public halves in OpenSSH, RFC 4716 or DER form, and the fingerprints AWS shows:
//!
//! | key | created by EC2 | imported |
//! |---|---|---|
//! | RSA | SHA-1 of the private key as PKCS#8 DER, hex with colons | MD5 of the public key as DER SubjectPublicKeyInfo, hex with colons |
//! | Ed25519 | SHA-256 of the OpenSSH public key blob, base64 with padding | the same |
//!
//! (AWS's "Verify the fingerprint of your key pair": `openssl pkcs8 -topk8 -nocrypt
//! -outform DER | openssl sha1 -c` for created RSA keys, `openssl rsa -pubout -outform DER
//! | openssl md5 -c` for imported ones; "Amazon EC2 might append padding to the
//! fingerprint with = characters".)
//!
//! All randomness comes from `ids::random_u64`, so `--id-seed` makes keys repeat too.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::Md5;
use nimbus_core::ids;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The RSA key sizes ImportKeyPair accepts, as AWS documents them.
pub const RSA_IMPORT_BITS: &[usize] = &[1024, 2048, 4096];
/// CreateKeyPair's RSA keys.
pub const RSA_CREATE_BITS: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    Ed25519,
}

impl KeyKind {
    /// EC2's `KeyType` value.
    pub fn key_type(self) -> &'static str {
        match self {
            KeyKind::Rsa => "rsa",
            KeyKind::Ed25519 => "ed25519",
        }
    }

    fn ssh_name(self) -> &'static str {
        match self {
            KeyKind::Rsa => "ssh-rsa",
            KeyKind::Ed25519 => "ssh-ed25519",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateFormat {
    Pem,
    Ppk,
}

/// A key pair CreateKeyPair made.
pub struct Generated {
    /// The private key as handed to the caller (`KeyMaterial`).
    pub material: String,
    /// The public key blob in SSH wire form.
    pub public_blob: Vec<u8>,
    pub fingerprint: String,
}

/// A public key ImportKeyPair accepted.
#[derive(Debug)]
pub struct Imported {
    pub kind: KeyKind,
    pub public_blob: Vec<u8>,
    pub fingerprint: String,
}

/// A ChaCha20 generator seeded from nimbus's id sequence (deterministic under `--id-seed`).
fn rng() -> ChaCha20Rng {
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_mut(8) {
        chunk.copy_from_slice(&ids::random_u64().to_le_bytes());
    }
    ChaCha20Rng::from_seed(seed)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(8) {
        let r = ids::random_u64().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
    out
}

/// `aa:bb:cc:...`
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// A new RSA key: PKCS#1 PEM (or PPK), fingerprinted as AWS does for keys it creates.
pub fn generate_rsa(format: PrivateFormat, comment: &str) -> Result<Generated, String> {
    let key = RsaPrivateKey::new(&mut rng(), RSA_CREATE_BITS).map_err(|e| e.to_string())?;
    let fingerprint = created_rsa_fingerprint(&key)?;
    let public_blob = rsa_public_blob(key.n(), key.e());
    let material = match format {
        PrivateFormat::Pem => {
            let pem = key.to_pkcs1_pem(LineEnding::LF).map_err(|e| e.to_string())?;
            pem.trim_end().to_string()
        }
        PrivateFormat::Ppk => {
            let [p, q] = key.primes() else { return Err("an RSA key has two primes".into()) };
            let iqmp = key.crt_coefficient().ok_or("no CRT coefficient")?;
            let mut private = Wire::default();
            private.mpint(key.d());
            private.mpint(p);
            private.mpint(q);
            private.mpint(&iqmp);
            ppk(KeyKind::Rsa, comment, &public_blob, &private.0)
        }
    };
    Ok(Generated { material, public_blob, fingerprint })
}

/// A new Ed25519 key: OpenSSH's private key format (or PPK).
pub fn generate_ed25519(format: PrivateFormat, comment: &str) -> Generated {
    let seed: [u8; 32] = random_bytes();
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let mut blob = Wire::default();
    blob.string(b"ssh-ed25519");
    blob.string(&public);
    let public_blob = blob.0;
    let fingerprint = sha256_fingerprint(&public_blob);
    let material = match format {
        PrivateFormat::Pem => openssh_ed25519_private(&seed, &public, &public_blob, comment),
        PrivateFormat::Ppk => {
            let mut private = Wire::default();
            private.string(&seed);
            ppk(KeyKind::Ed25519, comment, &public_blob, &private.0)
        }
    };
    Generated { material, public_blob, fingerprint }
}

/// SHA-1 of the private key as PKCS#8 DER, as AWS fingerprints the RSA keys it makes.
pub fn created_rsa_fingerprint(key: &RsaPrivateKey) -> Result<String, String> {
    let pkcs8 = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(colon_hex(&Sha1::digest(pkcs8.as_bytes())))
}

/// Base64 SHA-256 of an SSH public key blob, with padding, without OpenSSH's `SHA256:`.
pub fn sha256_fingerprint(blob: &[u8]) -> String {
    B64.encode(Sha256::digest(blob))
}

/// MD5 of the DER SubjectPublicKeyInfo, as AWS fingerprints imported RSA keys.
fn md5_spki_fingerprint(key: &RsaPublicKey) -> Result<String, String> {
    let der = key.to_public_key_der().map_err(|e| e.to_string())?;
    Ok(colon_hex(&Md5::digest(der.as_bytes())))
}

fn rsa_public_blob(n: &BigUint, e: &BigUint) -> Vec<u8> {
    let mut w = Wire::default();
    w.string(b"ssh-rsa");
    w.mpint(e);
    w.mpint(n);
    w.0
}

/// `ssh-rsa AAAA... comment`, as DescribeKeyPairs' `PublicKey` and authorized_keys have it.
pub fn openssh_public_line(blob: &[u8], comment: &str) -> String {
    let kind = Reader(blob).string().ok().and_then(|a| std::str::from_utf8(a).ok()).unwrap_or("ssh-rsa").to_string();
    let line = format!("{kind} {}", B64.encode(blob));
    if comment.is_empty() {
        line
    } else {
        format!("{line} {comment}")
    }
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width + 1);
    for (i, c) in text.chars().enumerate() {
        if i > 0 && i % width == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out
}

/// OpenSSH's own private key format (`openssh-key-v1`), unencrypted.
fn openssh_ed25519_private(seed: &[u8; 32], public: &[u8; 32], public_blob: &[u8], comment: &str) -> String {
    let check = ids::random_u64() as u32;
    let mut private = Wire::default();
    private.u32(check);
    private.u32(check);
    private.string(b"ssh-ed25519");
    private.string(public);
    let mut secret = seed.to_vec();
    secret.extend_from_slice(public);
    private.string(&secret);
    private.string(comment.as_bytes());
    let mut pad = 1u8;
    while private.0.len() % 8 != 0 {
        private.0.push(pad);
        pad += 1;
    }
    let mut file = Wire(b"openssh-key-v1\0".to_vec());
    file.string(b"none");
    file.string(b"none");
    file.string(b"");
    file.u32(1);
    file.string(public_blob);
    file.string(&private.0);
    // OpenSSH refuses ("invalid format") a key file whose last line has no newline, so
    // unlike the PEM forms this one ends with one, as ssh-keygen writes it.
    format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        wrap(&B64.encode(&file.0), 70)
    )
}

/// PuTTY's private key file, version 3, unencrypted (its MAC key is then empty).
fn ppk(kind: KeyKind, comment: &str, public_blob: &[u8], private_blob: &[u8]) -> String {
    let mut mac_input = Wire::default();
    mac_input.string(kind.ssh_name().as_bytes());
    mac_input.string(b"none");
    mac_input.string(comment.as_bytes());
    mac_input.string(public_blob);
    mac_input.string(private_blob);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[]).expect("HMAC takes any key length");
    mac.update(&mac_input.0);
    let mac: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let public = wrap(&B64.encode(public_blob), 64);
    let private = wrap(&B64.encode(private_blob), 64);
    format!(
        "PuTTY-User-Key-File-3: {}\nEncryption: none\nComment: {comment}\nPublic-Lines: {}\n{public}\nPrivate-Lines: {}\n{private}\nPrivate-MAC: {mac}\n",
        kind.ssh_name(),
        public.lines().count(),
        private.lines().count(),
    )
}

/// The public key ImportKeyPair was given, in any form AWS accepts: an OpenSSH line
/// (`ssh-rsa AAAA... comment`), an RFC 4716 (SSH2) block, or for RSA a DER
/// SubjectPublicKeyInfo or PKCS#1 key, raw, base64 or PEM. RSA keys must be 1024, 2048
/// or 4096 bits. `None` for anything else (DSA, ECDSA, malformed material).
pub fn parse_public(material: &[u8]) -> Option<Imported> {
    if let Ok(text) = std::str::from_utf8(material) {
        let text = text.trim();
        if text.starts_with("---- BEGIN SSH2 PUBLIC KEY ----") {
            return from_ssh_blob(&rfc4716_body(text)?);
        }
        if text.starts_with("-----BEGIN PUBLIC KEY-----") {
            return from_rsa(RsaPublicKey::from_public_key_pem(text).ok()?);
        }
        if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
            return from_rsa(RsaPublicKey::from_pkcs1_pem(text).ok()?);
        }
        let mut words = text.split_whitespace();
        if let (Some(kind @ ("ssh-rsa" | "ssh-ed25519")), Some(body)) = (words.next(), words.next()) {
            let blob = B64.decode(body).ok()?;
            let imported = from_ssh_blob(&blob)?;
            return (imported.kind.ssh_name() == kind).then_some(imported);
        }
        if text.starts_with("ssh-") || text.starts_with("ecdsa-") || text.starts_with("sk-") {
            return None;
        }
        let compact: String = text.split_whitespace().collect();
        if let Ok(der) = B64.decode(compact) {
            if let Some(key) = from_der(&der) {
                return Some(key);
            }
        }
    }
    from_der(material)
}

fn from_der(der: &[u8]) -> Option<Imported> {
    let key = RsaPublicKey::from_public_key_der(der).or_else(|_| RsaPublicKey::from_pkcs1_der(der)).ok()?;
    from_rsa(key)
}

fn from_rsa(key: RsaPublicKey) -> Option<Imported> {
    if !RSA_IMPORT_BITS.contains(&key.n().bits()) {
        return None;
    }
    let fingerprint = md5_spki_fingerprint(&key).ok()?;
    Some(Imported { kind: KeyKind::Rsa, public_blob: rsa_public_blob(key.n(), key.e()), fingerprint })
}

fn from_ssh_blob(blob: &[u8]) -> Option<Imported> {
    let mut r = Reader(blob);
    match r.string().ok()? {
        b"ssh-rsa" => {
            let e = BigUint::from_bytes_be(r.mpint().ok()?);
            let n = BigUint::from_bytes_be(r.mpint().ok()?);
            if !r.0.is_empty() {
                return None;
            }
            from_rsa(RsaPublicKey::new(n, e).ok()?)
        }
        b"ssh-ed25519" => {
            let point = r.string().ok()?;
            if point.len() != 32 || !r.0.is_empty() {
                return None;
            }
            let point: [u8; 32] = point.try_into().ok()?;
            ed25519_dalek::VerifyingKey::from_bytes(&point).ok()?;
            Some(Imported { kind: KeyKind::Ed25519, public_blob: blob.to_vec(), fingerprint: sha256_fingerprint(blob) })
        }
        _ => None,
    }
}

/// The base64 body of an RFC 4716 block, decoded: header lines (`Tag: value`, continued
/// with a trailing backslash) are skipped.
fn rfc4716_body(text: &str) -> Option<Vec<u8>> {
    let mut lines = text.lines().map(str::trim);
    lines.next()?;
    let mut body = String::new();
    let mut continued = false;
    let mut ended = false;
    for line in lines {
        if line == "---- END SSH2 PUBLIC KEY ----" {
            ended = true;
            break;
        }
        if continued || line.contains(':') {
            continued = line.ends_with('\\');
            continue;
        }
        body.push_str(line);
    }
    if !ended {
        return None;
    }
    B64.decode(body).ok()
}

/// SSH wire encoding (RFC 4251): `uint32`, `string`, `mpint`.
#[derive(Default)]
struct Wire(Vec<u8>);

impl Wire {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    fn string(&mut self, bytes: &[u8]) {
        self.u32(bytes.len() as u32);
        self.0.extend_from_slice(bytes);
    }

    fn mpint(&mut self, v: &BigUint) {
        let mut bytes = v.to_bytes_be();
        if bytes == [0] {
            bytes.clear();
        }
        if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            bytes.insert(0, 0);
        }
        self.string(&bytes);
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn string(&mut self) -> Result<&'a [u8], ()> {
        let len_bytes: [u8; 4] = self.0.get(..4).ok_or(())?.try_into().map_err(|_| ())?;
        let len = u32::from_be_bytes(len_bytes) as usize;
        let body = self.0.get(4..4 + len).ok_or(())?;
        self.0 = &self.0[4 + len..];
        Ok(body)
    }

    /// A non-negative mpint's magnitude.
    fn mpint(&mut self) -> Result<&'a [u8], ()> {
        let bytes = self.string()?;
        if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(());
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::DecodeRsaPrivateKey;

    /// A throwaway 1024-bit test key (`ssh-keygen -t rsa -b 1024 -m PEM`); `openssl pkcs8
    /// -topk8 -nocrypt -outform DER | openssl sha1 -c` gives the fingerprint below.
    const SMALL_RSA: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQCrrnF/2paWdJDfqBL9pDdCijvSuobsQQ+Qrhs48qwFR3RCrcz1
tNVxVe8FVvqgmewgRS0gakegXQ3k92stNIb+IpQEbeu8mYHfbBWsPa/Wyt0KnW+Z
eQSZW3cn+SRjd9ySv9xOmQ70G/ELml961KLvATxiWCVtssQ0mx4/3zJ8mwIDAQAB
AoGAS0Lr6rqurUJoiEOsH5kvyHHFC/pNT6Ct7CUHNg3cL2xFoT2Dzmr57vdXEyYw
NNuFUhhBUiaFQ93HS4rTZzvRuTqLDkFVawONsLHp8dJKNx7uO+2OdQ/vFuRzsXGd
GadzcKQcCVHsTpegn5CERDO3BFw51PoVNoXxrr3wb43gBiECQQDjufYtPc3GwX85
KX0xhukdKGU2EwBDEk6ThfRrahOW5gwRMywA8051nopMv1OVKMcoTzN/vzF6FuZI
rfW0wWGjAkEAwP8m7nAgUlOO1xpFf/8kqgpN8JAYjoikLPuJ3grn0QVseLE/skXO
o4gHbrP7VkJtrVoqg/qpZqK/71M1z7NYqQJAT1Czx2ohQ7qdPyGOMzPT+Y3aQo03
qCS2LXeYe9kEXaheR5dVGjej+h9v9+8jg24if42mWDYVW3qiVmoQjBZWlQJABGBE
s7dbJEK8xGfWF5bjb++X4NKDnAfBITv63kwFAZpL4VizhwlKLC8TbBEsq8IJ1ppq
yF9QpAEgtP6AA9ufMQJBANCv8AJ2UwYvUiigKoZb/QyNWhkA3GR7617s41HfaDSA
t3x99EU/oCiWAZxfMdfn+c9uenW6OisoLMAaZ0bbr88=
-----END RSA PRIVATE KEY-----";

    /// One 2048-bit public key in the forms ImportKeyPair takes (`ssh-keygen -e`, `-e -m
    /// PKCS8`); `openssl pkey -pubin -outform DER | openssl md5 -c` gives RSA_MD5, while
    /// `ssh-keygen -l -E md5` (the SSH blob's MD5) would give 3e:5f:a8:7d:...
    const RSA_OPENSSH: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDOyIRrLFDF/tcp7mGdpEvVyp0RNmlmXz3ctNhpkYSh//6m6IeZH9gPgdkd9v0qtivNWSJgGBLD562HqU+2Gx8O11T01S6ek7IxA+BX6+aUQITdF9tIaGP7GvT/6lqvYDD+4ykui6eeZY7att1RlClULjFZ5xJmtS/tVWRIuWNibfIq3Twx2JN8H1HyfYxEXdaFHfBblBbkohY57bfdFuthj1UdgFG0MPgqr6BX9SV50KNuX/fltkhhIqmwKxRHQ9v4tdMKSwYtMAqQPQlnR4yjGX2a90y+MxJSNp+fLdVIugQykfBaG/+WfytGGHOdh+vhRHXlK4QLuINHwtJlOgy1 rsa@example";
    const RSA_RFC4716: &str = "---- BEGIN SSH2 PUBLIC KEY ----
Comment: \"2048-bit RSA, converted by root@vm \\
from OpenSSH\"
AAAAB3NzaC1yc2EAAAADAQABAAABAQDOyIRrLFDF/tcp7mGdpEvVyp0RNmlmXz3ctNhpkY
Sh//6m6IeZH9gPgdkd9v0qtivNWSJgGBLD562HqU+2Gx8O11T01S6ek7IxA+BX6+aUQITd
F9tIaGP7GvT/6lqvYDD+4ykui6eeZY7att1RlClULjFZ5xJmtS/tVWRIuWNibfIq3Twx2J
N8H1HyfYxEXdaFHfBblBbkohY57bfdFuthj1UdgFG0MPgqr6BX9SV50KNuX/fltkhhIqmw
KxRHQ9v4tdMKSwYtMAqQPQlnR4yjGX2a90y+MxJSNp+fLdVIugQykfBaG/+WfytGGHOdh+
vhRHXlK4QLuINHwtJlOgy1
---- END SSH2 PUBLIC KEY ----
";
    const RSA_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzsiEayxQxf7XKe5hnaRL
1cqdETZpZl893LTYaZGEof/+puiHmR/YD4HZHfb9KrYrzVkiYBgSw+eth6lPthsf
DtdU9NUunpOyMQPgV+vmlECE3RfbSGhj+xr0/+par2Aw/uMpLounnmWO2rbdUZQp
VC4xWecSZrUv7VVkSLljYm3yKt08MdiTfB9R8n2MRF3WhR3wW5QW5KIWOe233Rbr
YY9VHYBRtDD4Kq+gV/UledCjbl/35bZIYSKpsCsUR0Pb+LXTCksGLTAKkD0JZ0eM
oxl9mvdMvjMSUjafny3VSLoEMpHwWhv/ln8rRhhznYfr4UR15SuEC7iDR8LSZToM
tQIDAQAB
-----END PUBLIC KEY-----
";
    const RSA_MD5: &str = "81:3c:46:03:a9:14:f8:70:e6:7e:40:c6:e0:65:cd:bc";

    #[test]
    fn created_rsa_keys_are_fingerprinted_by_their_pkcs8_sha1() {
        let key = RsaPrivateKey::from_pkcs1_pem(SMALL_RSA).unwrap();
        assert_eq!(
            created_rsa_fingerprint(&key).unwrap(),
            "8c:aa:55:fa:79:d5:6f:0e:b3:eb:32:b8:33:c2:a1:55:07:06:2e:d8"
        );
    }

    #[test]
    fn imported_rsa_keys_are_fingerprinted_by_their_spki_md5_in_every_form() {
        let der = RsaPublicKey::from_public_key_pem(RSA_SPKI_PEM).unwrap().to_public_key_der().unwrap();
        let pkcs1 = {
            use rsa::pkcs1::EncodeRsaPublicKey;
            RsaPublicKey::from_public_key_pem(RSA_SPKI_PEM).unwrap().to_pkcs1_der().unwrap()
        };
        let forms: Vec<Vec<u8>> = vec![
            RSA_OPENSSH.as_bytes().to_vec(),
            format!("  {RSA_OPENSSH}\n").into_bytes(),
            RSA_RFC4716.as_bytes().to_vec(),
            RSA_SPKI_PEM.as_bytes().to_vec(),
            der.as_bytes().to_vec(),
            B64.encode(der.as_bytes()).into_bytes(),
            pkcs1.as_bytes().to_vec(),
        ];
        let (_, openssh_body) = RSA_OPENSSH.split_once(' ').unwrap();
        let expected_blob = B64.decode(openssh_body.split(' ').next().unwrap()).unwrap();
        for form in forms {
            let key = parse_public(&form).unwrap_or_else(|| panic!("refused {}", String::from_utf8_lossy(&form)));
            assert_eq!(key.kind, KeyKind::Rsa);
            assert_eq!(key.fingerprint, RSA_MD5);
            assert_eq!(key.public_blob, expected_blob);
        }
    }

    #[test]
    fn ed25519_keys_are_fingerprinted_as_openssh_does_with_padding() {
        let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICGLdoOpFdQG384E4YPaj0PO/70yeZHE+bz7FdefYKL9 someone@example";
        let key = parse_public(line.as_bytes()).unwrap();
        assert_eq!(key.kind, KeyKind::Ed25519);
        // ssh-keygen -l: SHA256:LSn5oqboH64t7HhJA3MkVlSokgZcOkoQGLV47cRstGk
        assert_eq!(key.fingerprint, "LSn5oqboH64t7HhJA3MkVlSokgZcOkoQGLV47cRstGk=");
        assert_eq!(openssh_public_line(&key.public_blob, "k"), format!("{} k", &line[..80]));
    }

    #[test]
    fn other_material_is_refused() {
        let dsa = "ssh-dss AAAAB3NzaC1kc3MAAACBAJ0aXctVwbN6VB81gpo8R7DUk8zXRjZvrkg8Y8vEGt63gklpNJNsLXtEUXkl5D4c0nD2FZO1rJNqFoe";
        let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=";
        let mismatched = RSA_OPENSSH.replacen("ssh-rsa", "ssh-ed25519", 1);
        let truncated = &RSA_OPENSSH[..200];
        for bad in [
            "",
            "garbage",
            dsa,
            ecdsa,
            &mismatched,
            truncated,
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        ] {
            assert!(parse_public(bad.as_bytes()).is_none(), "accepted {bad}");
        }
        // A 1536-bit key is a real key, but not a size EC2 takes.
        let odd = RsaPrivateKey::new(&mut rng(), 1536).unwrap();
        let line = openssh_public_line(&rsa_public_blob(odd.n(), odd.e()), "");
        assert!(parse_public(line.as_bytes()).is_none());
    }

    #[test]
    fn generated_keys_are_real_and_their_public_halves_match() {
        let rsa = generate_rsa(PrivateFormat::Pem, "k").unwrap();
        let key = RsaPrivateKey::from_pkcs1_pem(&rsa.material).unwrap();
        assert_eq!(rsa_public_blob(key.n(), key.e()), rsa.public_blob);
        assert_eq!(key.n().bits(), 2048);
        assert_eq!(created_rsa_fingerprint(&key).unwrap(), rsa.fingerprint);
        assert!(!rsa.material.ends_with('\n'));

        let ed = generate_ed25519(PrivateFormat::Pem, "");
        let body: String = ed.material.lines().filter(|l| !l.starts_with("-----")).collect();
        let file = B64.decode(body).unwrap();
        assert!(file.starts_with(b"openssh-key-v1\0"));
        let mut r = Reader(&file[15..]);
        assert_eq!(r.string().unwrap(), b"none");
        assert_eq!(r.string().unwrap(), b"none");
        assert_eq!(r.string().unwrap(), b"");
        assert_eq!(r.0[..4], [0, 0, 0, 1]);
        r.0 = &r.0[4..];
        assert_eq!(r.string().unwrap(), ed.public_blob.as_slice());
        let private = r.string().unwrap();
        assert_eq!(private.len() % 8, 0);
        assert_eq!(private[..4], private[4..8], "check integers match");
        let mut p = Reader(&private[8..]);
        assert_eq!(p.string().unwrap(), b"ssh-ed25519");
        let public = p.string().unwrap();
        let secret = p.string().unwrap();
        assert_eq!(&secret[32..], public);
        let seed: [u8; 32] = secret[..32].try_into().unwrap();
        assert_eq!(ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes(), public);
    }

    #[test]
    fn ppk_files_carry_the_mac_putty_checks() {
        let ed = generate_ed25519(PrivateFormat::Ppk, "my key");
        let lines: Vec<&str> = ed.material.lines().collect();
        assert_eq!(lines[0], "PuTTY-User-Key-File-3: ssh-ed25519");
        assert_eq!(lines[1], "Encryption: none");
        assert_eq!(lines[2], "Comment: my key");
        assert_eq!(lines[3], "Public-Lines: 2");
        assert_eq!(B64.decode(format!("{}{}", lines[4], lines[5])).unwrap(), ed.public_blob);
        assert!(lines.last().unwrap().starts_with("Private-MAC: "));
        let rsa = generate_rsa(PrivateFormat::Ppk, "r").unwrap();
        assert!(rsa.material.starts_with("PuTTY-User-Key-File-3: ssh-rsa\n"));
        assert!(rsa.material.contains("\nPrivate-Lines: "));
    }

    #[test]
    fn a_seed_makes_keys_repeat() {
        let (mut a, mut b) = (42u64, 42u64);
        let first = ids::with_seed(&mut a, || generate_ed25519(PrivateFormat::Pem, "").material);
        let second = ids::with_seed(&mut b, || generate_ed25519(PrivateFormat::Pem, "").material);
        assert_eq!(first, second);
        let rsa = |seed: &mut u64| ids::with_seed(seed, || generate_rsa(PrivateFormat::Pem, "").unwrap().fingerprint);
        assert_eq!(rsa(&mut 7), rsa(&mut 7));
    }
}
