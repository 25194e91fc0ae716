//! Value types the generated DTOs use for timestamps and blobs.
//!
//! In the protocol-neutral document between the wire and the handlers, a timestamp is
//! a number of epoch seconds and a blob is a base64 string; each codec renders them as
//! its protocol requires (ISO 8601 in XML, epoch seconds in JSON, tag 1 in CBOR).

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn from_epoch_millis(ms: i64) -> Option<Self> {
        Utc.timestamp_millis_opt(ms).single().map(Timestamp)
    }

    pub fn from_epoch_seconds(secs: f64) -> Option<Self> {
        if !secs.is_finite() {
            return None;
        }
        Self::from_epoch_millis((secs * 1000.0).round() as i64)
    }

    pub fn epoch_seconds(&self) -> f64 {
        self.0.timestamp_millis() as f64 / 1000.0
    }

    /// `2026-11-26T16:31:32.000Z`, as EC2 and awsQuery responses write timestamps.
    pub fn iso8601(&self) -> String {
        self.0.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t)
    }
}

impl Default for Timestamp {
    fn default() -> Self {
        Timestamp(DateTime::<Utc>::UNIX_EPOCH)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ms = self.0.timestamp_millis();
        if ms % 1000 == 0 {
            s.serialize_i64(ms / 1000)
        } else {
            s.serialize_f64(ms as f64 / 1000.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = f64::deserialize(d)?;
        Timestamp::from_epoch_seconds(secs).ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

/// Binary data; base64 in the protocol-neutral document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).map(Blob).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_round_trips_through_the_document_form() {
        let t = Timestamp::from_epoch_millis(1_764_174_692_250).unwrap();
        let v = serde_json::to_value(t).unwrap();
        assert_eq!(v, serde_json::json!(1_764_174_692.25));
        assert_eq!(serde_json::from_value::<Timestamp>(v).unwrap(), t);
        assert_eq!(t.iso8601(), "2025-11-26T16:31:32.250Z");
        let whole = Timestamp::from_epoch_millis(1_000).unwrap();
        assert_eq!(serde_json::to_value(whole).unwrap(), serde_json::json!(1));
    }

    #[test]
    fn blob_is_base64_in_the_document() {
        let b = Blob(b"hello".to_vec());
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(v, serde_json::json!("aGVsbG8="));
        assert_eq!(serde_json::from_value::<Blob>(v).unwrap(), b);
    }
}
