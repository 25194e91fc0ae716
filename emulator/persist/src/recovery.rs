//! Start-up: the snapshot restored, then the journal replayed over it.

use std::io::{BufRead, BufReader};
use std::path::Path;

use nimbus_core::dispatch::Dispatcher;

use crate::format::{Entry, JournalHeader, Line, JOURNAL_FORMAT, VERSION};
use crate::snapshot::{apply, read_snapshot};
use crate::{PersistError, JOURNAL_FILE, SNAPSHOT_FILE};

/// What recovery found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Whether there was a snapshot.
    pub snapshot: bool,
    /// Journal entries applied over the snapshot.
    pub replayed: usize,
    /// Replayed calls that ended otherwise than they first did (logged; none are expected).
    pub diverged: usize,
    /// The last entry's sequence number (the snapshot's when the journal adds none).
    pub last_seq: u64,
    /// The journal ended in a partial line: a write cut short by a crash, never
    /// acknowledged, and dropped.
    pub torn_tail: bool,
}

/// Restores `dir`'s state into `dispatcher` (which must not be journaling yet). An
/// empty or missing directory recovers nothing.
pub fn recover(dir: &Path, dispatcher: &Dispatcher) -> Result<Recovered, PersistError> {
    let mut out = Recovered::default();
    let snapshot_path = dir.join(SNAPSHOT_FILE);
    if snapshot_path.exists() {
        let snapshot = read_snapshot(&snapshot_path)?;
        out.last_seq = snapshot.seq;
        out.snapshot = true;
        apply(dispatcher, snapshot)?;
    }
    let journal_path = dir.join(JOURNAL_FILE);
    let file = match std::fs::File::open(&journal_path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(PersistError::io(&journal_path)(e)),
    };
    let corrupt = |line: usize, message: String| PersistError::Corrupt { path: journal_path.clone(), line, message };
    let mut lines = BufReader::with_capacity(1 << 20, file).split(b'\n').enumerate().peekable();
    while let Some((index, line)) = lines.next() {
        let number = index + 1;
        let line = line.map_err(PersistError::io(&journal_path))?;
        let is_last = lines.peek().is_none();
        if line.is_empty() && is_last {
            break;
        }
        if number == 1 {
            let header: JournalHeader = match serde_json::from_slice(&line) {
                Ok(h) => h,
                // A crash while the header of a new journal was written: nothing after it.
                Err(_) if is_last => break,
                Err(e) => return Err(corrupt(number, e.to_string())),
            };
            if header.format != JOURNAL_FORMAT || header.version != VERSION {
                return Err(PersistError::Version {
                    path: journal_path.clone(),
                    found: format!("{:?} version {}", header.format, header.version),
                    expected: format!("{JOURNAL_FORMAT:?} version {VERSION}"),
                });
            }
            continue;
        }
        let parsed: Line = match serde_json::from_slice(&line) {
            Ok(l) => l,
            Err(_) if is_last => {
                out.torn_tail = true;
                tracing::warn!(line = number, "the journal ends in a partial line (a crash mid-write); dropping it");
                break;
            }
            Err(e) => return Err(corrupt(number, e.to_string())),
        };
        if parsed.seq <= out.last_seq {
            continue;
        }
        out.last_seq = parsed.seq;
        out.replayed += 1;
        match parsed.entry {
            Entry::Call(m) => {
                if let Err(e) = dispatcher.replay(&m) {
                    out.diverged += 1;
                    tracing::warn!(seq = parsed.seq, operation = %m.operation, code = %e.code, message = %e.message,
                        "a journaled call ended otherwise on replay");
                }
            }
            Entry::Clock { offset_ms } => dispatcher.clock.set_offset(chrono::Duration::milliseconds(offset_ms)),
            Entry::Reset => {
                for s in dispatcher.services() {
                    s.reset();
                }
            }
        }
    }
    Ok(out)
}
