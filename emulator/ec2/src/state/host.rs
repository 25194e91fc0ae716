//! The host that runs instances for real (`--instances run`), as EC2 sees it: the boot
//! log that GetConsoleOutput answers and the status checks DescribeInstanceStatus
//! reports. Without one (the default), instances are records and both answer from
//! EC2's own state.

/// One status check (instance or system) as the host observed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Not yet decided: the instance is still booting.
    Initializing,
    Passed,
    Failed,
}

/// What the host knows of one running instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostStatus {
    /// The instance status check: its sandbox runs and its interface is up.
    pub instance: Check,
    /// The system status check: its network namespace and link exist.
    pub system: Check,
}

pub trait InstanceHost: Send + Sync {
    /// The instance's serial console so far, at most its last `max` bytes; `None` when
    /// the host has not booted it.
    fn console_output(&self, instance_id: &str, max: usize) -> Option<Vec<u8>>;
    /// Its status checks; `None` when the host has not booted it (yet).
    fn status(&self, instance_id: &str) -> Option<HostStatus>;
}
