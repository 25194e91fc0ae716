//! Identifiers that look like AWS's.
//!
//! Everything random here comes from `random_u64`, which is the thread's RNG unless a
//! seeded sequence is installed for the duration of a call (`with_seed`): with
//! `--id-seed`, the dispatcher runs handlers that way so that the same requests in the
//! same order produce the same ids (golden tests, reproducible runs).

use std::cell::Cell;

use rand::Rng;

thread_local! {
    static SEEDED: Cell<Option<u64>> = const { Cell::new(None) };
}

/// 64 random bits: from the installed seeded sequence if any (splitmix64), else the
/// thread's RNG.
pub fn random_u64() -> u64 {
    SEEDED.with(|s| match s.get() {
        Some(state) => {
            let next = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            s.set(Some(next));
            let mut z = next;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        None => rand::rng().random(),
    })
}

/// Runs `f` with the seeded sequence `state` installed on this thread, advancing it.
pub fn with_seed<R>(state: &mut u64, f: impl FnOnce() -> R) -> R {
    SEEDED.with(|s| s.set(Some(*state)));
    let result = f();
    *state = SEEDED.with(|s| s.take()).unwrap_or(*state);
    result
}

/// A random number in `0..n`.
pub fn below(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        random_u64() % n
    }
}

/// `vpc-0a1b2c3d4e5f67890`: a prefix and 17 lower-case hex digits.
pub fn resource_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 18);
    id.push_str(prefix);
    id.push('-');
    for _ in 0..17 {
        id.push(char::from_digit(below(16) as u32, 16).unwrap_or('0'));
    }
    id
}

/// A request id in AWS's UUID form.
pub fn request_id() -> String {
    let mut b: [u8; 16] = rand::rng().random();
    // Version 4, variant 10xx, as `{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}` of the fields.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0x0f)]);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Upper-case alphanumerics, as in access key ids (`ASIA` + 16) and unique ids (`AROA` + 17).
pub fn key_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut id = String::from(prefix);
    for _ in 0..len {
        id.push(ALPHABET[below(ALPHABET.len() as u64) as usize] as char);
    }
    id
}

/// A secret of AWS's form: 40 characters of base64's alphabet.
pub fn secret_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..40).map(|_| ALPHABET[below(ALPHABET.len() as u64) as usize] as char).collect()
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
    fn a_seed_makes_ids_repeat() {
        let (mut a, mut b) = (7u64, 7u64);
        let first = with_seed(&mut a, || (resource_id("vpc"), resource_id("subnet")));
        let second = with_seed(&mut b, || (resource_id("vpc"), resource_id("subnet")));
        assert_eq!(first, second);
        assert_eq!(a, b);
        assert_ne!(with_seed(&mut a, || resource_id("vpc")), first.0, "the sequence moves on");
        assert_ne!(resource_id("vpc"), resource_id("vpc"), "unseeded ids stay random");
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
