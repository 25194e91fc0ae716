//! `--instances run`: the runtime follows EC2's state. A worker thread builds the desired
//! state from EC2 every 200 ms (a few microseconds per instance, and nothing when it did
//! not change) and converges the host to it, so a security-group or route change is
//! enforced well within a second of the API call that made it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use nimbus_runtime::{Desired, Runtime, RuntimeConfig};

use crate::config;

pub mod desired;

const POLL: Duration = Duration::from_millis(200);

/// The running runtime and the worker that feeds it.
pub struct InstanceRuntime {
    pub runtime: Arc<Runtime>,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
}

impl InstanceRuntime {
    /// Checks the host and starts the runtime (refusing, with what is missing, on a host
    /// that cannot run instances); `source` says what should exist.
    pub fn start(
        cfg: &config::Instances,
        keep_disks: bool,
        source: impl Fn() -> Desired + Send + 'static,
    ) -> Result<InstanceRuntime, String> {
        let mut rc = RuntimeConfig::new(&cfg.prefix, cfg.dir.join(&cfg.prefix), cfg.image.clone());
        rc.keep_disks = keep_disks;
        let runtime = Arc::new(Runtime::start(rc).map_err(|e| e.to_string())?);
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let runtime = runtime.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("nimbus-instances".into())
                .spawn(move || {
                    let mut last = String::new();
                    while !stop.load(Ordering::Relaxed) {
                        let desired = source();
                        let key = serde_json::to_string(&desired).unwrap_or_default();
                        if key != last {
                            match runtime.converge(&desired) {
                                Ok(reports) => {
                                    for r in reports.iter().filter(|r| r.error.is_some()) {
                                        tracing::warn!(instance = %r.instance_id, error = ?r.error, "instance");
                                    }
                                    last = key;
                                }
                                Err(e) => tracing::error!(error = %e, "converging instances"),
                            }
                        }
                        std::thread::sleep(POLL);
                    }
                })
                .map_err(|e| format!("start the instances worker: {e}"))?
        };
        tracing::info!(prefix = %cfg.prefix, "instances run (--instances run)");
        Ok(InstanceRuntime { runtime, stop, worker: Some(worker) })
    }
}

impl Drop for InstanceRuntime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        match self.runtime.shutdown() {
            Ok(found) => tracing::info!(namespaces = found.namespaces.len(), "instances removed"),
            Err(e) => tracing::error!(error = %e, "removing instances"),
        }
    }
}

/// vCPUs and memory (MiB) of an instance type, from its size (`t3.micro`: 2, 1024):
/// the sandbox's CPU quota and memory limit.
pub fn shape(instance_type: &str) -> (u32, u64) {
    let size = instance_type.rsplit('.').next().unwrap_or("");
    match size {
        "nano" => (2, 512),
        "micro" => (2, 1024),
        "small" => (2, 2048),
        "medium" => (2, 4096),
        "large" => (2, 8192),
        "xlarge" => (4, 16384),
        other => match other.strip_suffix("xlarge").and_then(|n| n.parse::<u32>().ok()) {
            Some(n) => (4 * n, 16384 * u64::from(n)),
            None => (2, 4096),
        },
    }
}
