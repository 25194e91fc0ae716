//! `--state-dir`: nimbus's state kept across restarts.
//!
//! The directory holds `snapshot.json`, every service's whole state as of journal
//! entry `seq`, and `journal.jsonl`, one line per acknowledged change after it:
//! mutations as the dispatcher applied them ([`nimbus_core::journal::Mutation`]),
//! clock moves and resets. A mutation is answered only once its line is fsynced; lines
//! are written and fsynced in groups by one thread, so a burst of writes costs one
//! fsync, not one each. On start the snapshot is restored, the journal replayed, and a
//! fresh snapshot taken (the journal starts empty again); the same happens when the
//! journal grows large and at a clean shutdown.
//!
//! Both files begin with their format name and version; a file of another version is
//! refused rather than misread.

mod error;
mod format;
mod journal;
mod recovery;
mod snapshot;

pub use error::PersistError;
pub use format::{Entry, Snapshot, JOURNAL_FORMAT, SNAPSHOT_FORMAT, VERSION};
pub use journal::{lock_dir, Journal};
pub use recovery::{recover, Recovered};
pub use snapshot::{apply, capture, read_snapshot, write_snapshot};

/// The files in a state directory.
pub const SNAPSHOT_FILE: &str = "snapshot.json";
pub const JOURNAL_FILE: &str = "journal.jsonl";
/// Held (an exclusive advisory lock) by the nimbus using the directory.
pub const LOCK_FILE: &str = "lock";
