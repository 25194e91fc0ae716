//! Identifiers that look like AWS's.

use rand::Rng;

/// `vpc-0a1b2c3d4e5f67890`: a prefix and 17 lower-case hex digits.
pub fn resource_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let mut id = String::with_capacity(prefix.len() + 18);
    id.push_str(prefix);
    id.push('-');
    for _ in 0..17 {
        id.push(char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'));
    }
    id
}

/// A request id in AWS's UUID form.
pub fn request_id() -> String {
    let b: [u8; 16] = rand::rng().random();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0x0fff,
        (u16::from_be_bytes([b[8], b[9]]) & 0x3fff) | 0x8000,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]]),
    )
}

/// Upper-case alphanumerics, as in access key ids (`ASIA` + 16) and unique ids (`AROA` + 17).
pub fn key_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    let mut id = String::from(prefix);
    for _ in 0..len {
        id.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    id
}

/// A secret of AWS's form: 40 characters of base64's alphabet.
pub fn secret_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    (0..40).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_have_aws_shape() {
        let id = resource_id("vpc");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("vpc-"));
        assert!(id[4..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(resource_id("vpc"), resource_id("vpc"));
    }

    #[test]
    fn request_ids_are_uuids() {
        let id = request_id();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('4'));
    }

    #[test]
    fn key_ids_and_secrets() {
        let k = key_id("ASIA", 16);
        assert_eq!(k.len(), 20);
        assert!(k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_eq!(secret_key().len(), 40);
    }
}
