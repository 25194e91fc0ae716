//! Key pairs: the EC2 resource, and the key material behind it (generation, parsing,
//! fingerprints, formats).

pub mod key_pairs;
pub mod material;
