//! What the files hold.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use nimbus_core::journal::Mutation;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SNAPSHOT_FORMAT: &str = "nimbus-state";
pub const JOURNAL_FORMAT: &str = "nimbus-journal";
/// The version both files are written in. Bump it when a service's snapshot or the
/// journal changes shape, and keep reading the previous one where that is cheap.
pub const VERSION: u32 = 1;

/// `snapshot.json`, and what `nimbus state export` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    pub version: u32,
    /// The last journal entry the snapshot includes (0: none).
    pub seq: u64,
    pub saved_at: DateTime<Utc>,
    /// The nimbus that wrote it.
    pub nimbus: String,
    /// nimbus's clock, as an offset from the system time.
    pub clock_offset_ms: i64,
    /// Where a seeded nimbus's id sequence stood (`--id-seed`), so that ids made after a
    /// restart do not repeat earlier ones. Absent for an unseeded nimbus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_seed: Option<u64>,
    /// Each service's [`nimbus_core::Service::snapshot`], by signing name.
    pub services: BTreeMap<String, Value>,
}

/// The first line of `journal.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
pub struct JournalHeader {
    pub format: String,
    pub version: u32,
}

/// One journal line after the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Entry {
    /// An acknowledged mutation.
    Call(Box<Mutation>),
    /// The admin API moved the clock; the offset it then had.
    Clock { offset_ms: i64 },
    /// The admin API wiped the state.
    Reset,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Line {
    pub seq: u64,
    #[serde(flatten)]
    pub entry: Entry,
}

/// A line as written: borrowed, so that journaling a mutation does not copy it.
#[derive(Serialize)]
pub(crate) struct LineRef<'a> {
    pub seq: u64,
    #[serde(flatten)]
    pub entry: EntryRef<'a>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum EntryRef<'a> {
    Call(&'a Mutation),
    Clock { offset_ms: i64 },
    Reset,
}

impl<'a> From<&'a Entry> for EntryRef<'a> {
    fn from(e: &'a Entry) -> Self {
        match e {
            Entry::Call(m) => EntryRef::Call(m.as_ref()),
            Entry::Clock { offset_ms } => EntryRef::Clock { offset_ms: *offset_ms },
            Entry::Reset => EntryRef::Reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_line_reads_back_as_the_same_entry() {
        for entry in [Entry::Clock { offset_ms: 3_600_000 }, Entry::Reset] {
            let text = serde_json::to_string(&LineRef { seq: 7, entry: (&entry).into() }).unwrap();
            let line: Line = serde_json::from_str(&text).unwrap();
            assert_eq!((line.seq, line.entry), (7, entry));
        }
        let text = r#"{"seq":3,"kind":"clock","offset_ms":-5}"#;
        let line: Line = serde_json::from_str(text).unwrap();
        assert_eq!(line.entry, Entry::Clock { offset_ms: -5 });
    }
}
