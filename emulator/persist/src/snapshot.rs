//! Taking, writing, reading and restoring snapshots.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use nimbus_core::dispatch::Dispatcher;

use crate::format::{Snapshot, SNAPSHOT_FORMAT, VERSION};
use crate::PersistError;

/// Every service's state and the clock, as of journal entry `seq`. Call it where no
/// mutation runs at the same time ([`Dispatcher::exclusive`]) for a consistent picture.
pub fn capture(dispatcher: &Dispatcher, seq: u64) -> Result<Snapshot, PersistError> {
    let mut services = std::collections::BTreeMap::new();
    for s in dispatcher.services() {
        let name = s.model().signing_name;
        let state = s.snapshot().map_err(|message| PersistError::Snapshot { service: name.to_string(), message })?;
        services.insert(name.to_string(), state);
    }
    Ok(Snapshot {
        format: SNAPSHOT_FORMAT.to_string(),
        version: VERSION,
        seq,
        saved_at: chrono::Utc::now(),
        nimbus: env!("CARGO_PKG_VERSION").to_string(),
        clock_offset_ms: dispatcher.clock.offset().num_milliseconds(),
        id_seed: dispatcher.id_seed_state(),
        services,
    })
}

/// Replaces every service's state (and the clock's offset) with the snapshot's. A
/// service the snapshot does not name starts empty.
pub fn apply(dispatcher: &Dispatcher, mut snapshot: Snapshot) -> Result<(), PersistError> {
    for s in dispatcher.services() {
        let name = s.model().signing_name;
        match snapshot.services.remove(name) {
            Some(state) => {
                s.restore(state).map_err(|message| PersistError::Restore { service: name.to_string(), message })?
            }
            None => s.reset(),
        }
    }
    dispatcher.clock.set_offset(chrono::Duration::milliseconds(snapshot.clock_offset_ms));
    if let Some(state) = snapshot.id_seed {
        dispatcher.set_id_seed_state(state);
    }
    Ok(())
}

/// Writes `snapshot` to `path` atomically: a temporary file, fsynced, renamed over the
/// old one, and the directory fsynced.
pub fn write_snapshot(path: &Path, snapshot: &Snapshot) -> Result<(), PersistError> {
    let tmp = path.with_extension("json.tmp");
    let file = File::create(&tmp).map_err(PersistError::io(&tmp))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    serde_json::to_writer(&mut out, snapshot).map_err(|e| PersistError::io(&tmp)(e.into()))?;
    out.flush().map_err(PersistError::io(&tmp))?;
    let file = out.into_inner().map_err(|e| PersistError::io(&tmp)(e.into_error()))?;
    file.sync_all().map_err(PersistError::io(&tmp))?;
    fs::rename(&tmp, path).map_err(PersistError::io(path))?;
    sync_dir(path)
}

/// Reads a snapshot, checking its format and version.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, PersistError> {
    let file = File::open(path).map_err(PersistError::io(path))?;
    let value: serde_json::Value = serde_json::from_reader(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| PersistError::Corrupt { path: path.to_path_buf(), line: e.line(), message: e.to_string() })?;
    let format = value.get("format").and_then(|v| v.as_str()).unwrap_or_default();
    let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or_default();
    if format != SNAPSHOT_FORMAT || version != u64::from(VERSION) {
        return Err(PersistError::Version {
            path: path.to_path_buf(),
            found: format!("{format:?} version {version}"),
            expected: format!("{SNAPSHOT_FORMAT:?} version {VERSION}"),
        });
    }
    serde_json::from_value(value).map_err(|e| PersistError::Corrupt {
        path: path.to_path_buf(),
        line: 1,
        message: e.to_string(),
    })
}

/// Makes a rename in `path`'s directory durable.
pub(crate) fn sync_dir(path: &Path) -> Result<(), PersistError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(PersistError::io(dir))
}
