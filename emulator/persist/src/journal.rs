//! The journal: lines appended in the order mutations were applied, written and
//! fsynced in groups by one thread.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use nimbus_core::dispatch::Dispatcher;
use nimbus_core::journal::{Mutation, Recorder};
use nimbus_core::state::lock;

use crate::format::{Entry, EntryRef, JournalHeader, LineRef, JOURNAL_FORMAT, VERSION};
use crate::snapshot::{capture, sync_dir, write_snapshot};
use crate::{PersistError, JOURNAL_FILE, LOCK_FILE, SNAPSHOT_FILE};

/// Takes `dir`'s lock (creating the directory), so that two servers never write one
/// journal. The lock lasts as long as the returned file is open.
pub fn lock_dir(dir: &Path) -> Result<File, PersistError> {
    std::fs::create_dir_all(dir).map_err(PersistError::io(dir))?;
    let path = dir.join(LOCK_FILE);
    let file =
        OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(PersistError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(PersistError::Locked { path: dir.to_path_buf() }),
        Err(std::fs::TryLockError::Error(e)) => Err(PersistError::io(&path)(e)),
    }
}

#[derive(Default)]
struct Pending {
    /// Lines not yet handed to the writer.
    buf: Vec<u8>,
    /// The sequence number the next entry gets.
    next_seq: u64,
    /// Every entry up to this one is on disk.
    durable: u64,
    stop: bool,
}

pub struct Journal {
    dir: PathBuf,
    pending: Mutex<Pending>,
    /// Signals the writer that lines are waiting.
    work: Condvar,
    /// Signals waiters that `durable` moved.
    done: Condvar,
    file: Mutex<File>,
    /// Bytes in the current journal file, for deciding when to take a snapshot.
    bytes: AtomicU64,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// The directory's lock ([`lock_dir`]), held while the journal lives.
    _lock: File,
}

impl Journal {
    /// Takes a snapshot of the dispatcher's state as of entry `last_seq`, starts an
    /// empty journal after it, and starts the writer. `lock` is the directory's lock.
    pub fn start(
        dir: &Path,
        dir_lock: File,
        dispatcher: &Dispatcher,
        last_seq: u64,
    ) -> Result<Arc<Journal>, PersistError> {
        // The directory exists: its lock file is in it.
        write_snapshot(&dir.join(SNAPSHOT_FILE), &capture(dispatcher, last_seq)?)?;
        let file = new_journal_file(dir)?;
        let journal = Arc::new(Journal {
            dir: dir.to_path_buf(),
            pending: Mutex::new(Pending { next_seq: last_seq + 1, durable: last_seq, ..Pending::default() }),
            work: Condvar::new(),
            done: Condvar::new(),
            bytes: AtomicU64::new(file.1),
            file: Mutex::new(file.0),
            writer: Mutex::new(None),
            _lock: dir_lock,
        });
        let writer = journal.clone();
        let handle = std::thread::Builder::new()
            .name("nimbus-journal".into())
            .spawn(move || writer.write_loop())
            .map_err(PersistError::io(dir))?;
        *lock(&journal.writer) = Some(handle);
        Ok(journal)
    }

    fn append(&self, entry: EntryRef<'_>) -> u64 {
        let mut p = lock(&self.pending);
        let seq = p.next_seq;
        p.next_seq += 1;
        let line = LineRef { seq, entry };
        if let Err(e) = serde_json::to_writer(&mut p.buf, &line) {
            tracing::error!(error = %e, seq, "a journal line could not be written");
        }
        p.buf.push(b'\n');
        self.work.notify_one();
        seq
    }

    /// Appends an admin change (clock, reset) and waits until it is on disk. Call it
    /// inside [`Dispatcher::exclusive`], with the change.
    pub fn record_entry(&self, entry: &Entry) {
        let seq = self.append(entry.into());
        self.wait_durable(seq);
    }

    /// The bytes in the current journal file.
    pub fn len_bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Writes a snapshot of the current state and starts the journal afresh.
    pub fn checkpoint(&self, dispatcher: &Dispatcher) -> Result<(), PersistError> {
        dispatcher.exclusive(|| {
            let last = lock(&self.pending).next_seq - 1;
            self.wait_durable(last);
            write_snapshot(&self.dir.join(SNAPSHOT_FILE), &capture(dispatcher, last)?)?;
            // Entries up to `last` are in the snapshot: a crash before the journal is
            // replaced replays none of them twice (recovery skips seq <= snapshot's).
            let (file, bytes) = new_journal_file(&self.dir)?;
            *lock(&self.file) = file;
            self.bytes.store(bytes, Ordering::Relaxed);
            Ok(())
        })
    }

    /// Writes what is pending and stops the writer.
    pub fn close(&self) {
        lock(&self.pending).stop = true;
        self.work.notify_all();
        if let Some(handle) = lock(&self.writer).take() {
            let _ = handle.join();
        }
    }

    fn write_loop(&self) {
        loop {
            let (buf, upto) = {
                let mut p = lock(&self.pending);
                while p.buf.is_empty() && !p.stop {
                    p = self.work.wait(p).unwrap_or_else(|e| e.into_inner());
                }
                if p.buf.is_empty() {
                    return;
                }
                (std::mem::take(&mut p.buf), p.next_seq - 1)
            };
            let written = {
                let mut file = lock(&self.file);
                file.write_all(&buf).and_then(|()| file.sync_data())
            };
            if let Err(e) = written {
                // The change is applied and will be answered; say loudly that it may
                // not survive a restart.
                tracing::error!(error = %e, dir = %self.dir.display(), "the journal could not be written");
            }
            self.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
            lock(&self.pending).durable = upto;
            self.done.notify_all();
        }
    }
}

impl Recorder for Journal {
    fn record(&self, mutation: &Mutation) -> u64 {
        self.append(EntryRef::Call(mutation))
    }

    fn wait_durable(&self, ticket: u64) {
        let mut p = lock(&self.pending);
        while p.durable < ticket {
            p = self.done.wait(p).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A new, empty `journal.jsonl` (its header only), replacing the old one atomically.
fn new_journal_file(dir: &Path) -> Result<(File, u64), PersistError> {
    let path = dir.join(JOURNAL_FILE);
    let tmp = dir.join(format!("{JOURNAL_FILE}.tmp"));
    let mut header =
        serde_json::to_vec(&JournalHeader { format: JOURNAL_FORMAT.into(), version: VERSION }).unwrap_or_default();
    header.push(b'\n');
    let mut file = File::create(&tmp).map_err(PersistError::io(&tmp))?;
    file.write_all(&header).and_then(|()| file.sync_all()).map_err(PersistError::io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(PersistError::io(&path))?;
    sync_dir(&path)?;
    let file = OpenOptions::new().append(true).open(&path).map_err(PersistError::io(&path))?;
    Ok((file, header.len() as u64))
}
