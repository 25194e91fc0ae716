//! `--state-dir` in the server: recovery at start, checkpoints while serving and at
//! shutdown, and `nimbus state export|import`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use nimbus_core::dispatch::Dispatcher;
use nimbus_persist::{Journal, Recovered, Snapshot, JOURNAL_FILE, SNAPSHOT_FILE};

use crate::{App, Config};

/// A journal larger than this is folded into a new snapshot.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

/// Recovers `dir`'s cloud into `dispatcher`, folds the journal into a fresh snapshot
/// and starts journaling.
pub fn open(dir: &Path, dispatcher: &Dispatcher) -> Result<(Arc<Journal>, Recovered), String> {
    let started = std::time::Instant::now();
    let lock = nimbus_persist::lock_dir(dir).map_err(|e| format!("--state-dir: {e}"))?;
    let recovered = nimbus_persist::recover(dir, dispatcher).map_err(|e| format!("--state-dir: {e}"))?;
    let journal = Journal::start(dir, lock, dispatcher, recovered.last_seq).map_err(|e| format!("--state-dir: {e}"))?;
    // Restoring, replaying and writing a fresh snapshot leave the transient memory of all
    // three freed but resident.
    nimbus_heap::release_free_memory();
    tracing::info!(
        dir = %dir.display(),
        snapshot = recovered.snapshot,
        replayed = recovered.replayed,
        diverged = recovered.diverged,
        torn_tail = recovered.torn_tail,
        ms = started.elapsed().as_millis() as u64,
        "state recovered"
    );
    Ok((journal, recovered))
}

/// Runs blocking work (a journaled change waits for its fsync) without stalling the
/// runtime's other connections.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Folds the journal into a new snapshot whenever it grows past [`CHECKPOINT_BYTES`].
pub async fn checkpoint_when_large(app: Arc<App>) {
    let Some(journal) = app.journal.clone() else { return };
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if journal.len_bytes() < CHECKPOINT_BYTES {
            continue;
        }
        let (app, journal) = (app.clone(), journal.clone());
        let done = tokio::task::spawn_blocking(move || {
            let result = journal.checkpoint(&app.dispatcher);
            nimbus_heap::release_free_memory();
            result
        })
        .await;
        match done {
            Ok(Ok(())) => tracing::info!("journal folded into a new snapshot"),
            Ok(Err(e)) => tracing::error!(error = %e, "taking a snapshot failed; the journal keeps growing"),
            Err(e) => tracing::error!(error = %e, "the snapshot task failed"),
        }
    }
}

/// At a clean shutdown: a last snapshot, so the next start has no journal to replay.
pub async fn close(app: &Arc<App>, journal: &Arc<Journal>) {
    let (app, journal) = (app.clone(), journal.clone());
    let done = tokio::task::spawn_blocking(move || {
        let result = journal.checkpoint(&app.dispatcher);
        journal.close();
        result
    })
    .await;
    match done {
        Ok(Ok(())) => tracing::info!("state saved"),
        Ok(Err(e)) => tracing::error!(error = %e, "the last snapshot failed; the journal has every change"),
        Err(e) => tracing::error!(error = %e, "the last snapshot failed"),
    }
}

/// The whole cloud a state directory holds, as one snapshot (the directory is only read).
pub fn export(config: &Config, dir: &Path) -> Result<Snapshot, String> {
    if !dir.join(SNAPSHOT_FILE).exists() && !dir.join(JOURNAL_FILE).exists() {
        return Err(format!("{} holds no nimbus state", dir.display()));
    }
    if !config.seed_images.is_empty() {
        // Replayed launches may name the team's own images.
        config.seed_images.clone().install();
    }
    let app = App::in_memory(config.clone());
    nimbus_persist::recover(dir, &app.dispatcher).map_err(|e| e.to_string())?;
    nimbus_persist::capture(&app.dispatcher, 0).map_err(|e| e.to_string())
}

/// Makes the snapshot at `file` the cloud of `dir`, after checking that it restores.
pub fn import(config: &Config, file: &Path, dir: &Path, force: bool) -> Result<(), String> {
    let snapshot = nimbus_persist::read_snapshot(file).map_err(|e| e.to_string())?;
    let app = App::in_memory(config.clone());
    nimbus_persist::apply(&app.dispatcher, snapshot).map_err(|e| format!("{}: {e}", file.display()))?;
    let occupied = [SNAPSHOT_FILE, JOURNAL_FILE].iter().any(|f| dir.join(f).exists());
    if occupied && !force {
        return Err(format!("{} already holds a cloud; pass --force to replace it", dir.display()));
    }
    let lock = nimbus_persist::lock_dir(dir).map_err(|e| e.to_string())?;
    // Starting a journal writes the snapshot (as of entry 0) and an empty journal.
    let journal = Journal::start(dir, lock, &app.dispatcher, 0).map_err(|e| e.to_string())?;
    journal.close();
    Ok(())
}
