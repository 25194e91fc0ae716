//! The runtime's one error type.

/// What can go wrong while converging the host to the desired state.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The host lacks something `--instances run` needs; the text names each missing piece.
    #[error("this host cannot run instances (--instances run): {0}")]
    HostUnfit(String),
    /// Another nimbus holds the same prefix.
    #[error("another nimbus runtime already uses the prefix '{0}' (lock {1})")]
    PrefixInUse(String, String),
    /// A program the runtime drives (ip, nft, runc, mount, cp) failed.
    #[error("`{command}` failed: {stderr}")]
    Command { command: String, stderr: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("image '{0}' is not in the image store")]
    UnknownImage(String),
    #[error("instance '{0}' is not known to the runtime")]
    UnknownInstance(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;

/// `map_err` helper for I/O errors with a what-was-being-done context.
pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> RuntimeError {
    let context = context.into();
    move |source| RuntimeError::Io { context, source }
}
