use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}, line {line}: {message}")]
    Corrupt { path: PathBuf, line: usize, message: String },
    #[error("{path} is {found}, but this nimbus reads {expected}")]
    Version { path: PathBuf, found: String, expected: String },
    #[error("{path} is in use by another nimbus (it holds the directory's lock)")]
    Locked { path: PathBuf },
    #[error("restoring {service}: {message}")]
    Restore { service: String, message: String },
    #[error("snapshotting {service}: {message}")]
    Snapshot { service: String, message: String },
}

impl PersistError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> PersistError + '_ {
        move |source| PersistError::Io { path: path.to_path_buf(), source }
    }
}
