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
pub use metrics::Publisher;

pub mod desired;
mod host;
mod metrics;
mod role_credentials;

pub use host::RuntimeHost;
pub use role_credentials::StsIssuer;

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
        source: impl Fn() -> (Desired, Vec<desired::Baked>) + Send + 'static,
        mut publisher: metrics::Publisher,
        credentials: StsIssuer,
    ) -> Result<InstanceRuntime, String> {
        let mut rc = RuntimeConfig::new(&cfg.prefix, cfg.dir.join(&cfg.prefix), cfg.image.clone());
        rc.keep_disks = keep_disks;
        rc.credentials = Some(Arc::new(credentials));
        let runtime = Arc::new(Runtime::start(rc).map_err(|e| e.to_string())?);
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let runtime = runtime.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("nimbus-instances".into())
                .spawn(move || {
                    let mut last = String::new();
                    let mut images = Captured::default();
                    while !stop.load(Ordering::Relaxed) {
                        let (mut desired, baked) = source();
                        images.follow(&runtime, &baked);
                        images.apply_users(&mut desired);
                        publisher.tick(&runtime, &desired);
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

/// Images made by CreateImage, captured from their instance's disk once each, and those
/// RegisterImage made of a root filesystem here, registered once each; forgotten when
/// deregistered.
#[derive(Default)]
struct Captured {
    /// AMI -> the default user of the instance it was made from.
    users: std::collections::BTreeMap<String, String>,
}

impl Captured {
    fn follow(&mut self, runtime: &Runtime, baked: &[desired::Baked]) {
        for b in baked {
            if self.users.contains_key(&b.image_id) {
                continue;
            }
            match &b.source {
                desired::BakedFrom::RootFilesystem(rootfs) => {
                    match runtime.register_rootfs(&b.image_id, rootfs) {
                        Ok(_) => tracing::info!(image = %b.image_id, rootfs = %rootfs.display(), "image registered"),
                        Err(e) => tracing::warn!(image = %b.image_id, error = %e, "registering a root filesystem"),
                    }
                    self.users.insert(b.image_id.clone(), b.default_user.clone());
                }
                // As EC2: without NoReboot the instance is shut down for the copy and
                // booted again; with it, the disk is copied live (after a sync).
                desired::BakedFrom::Instance { instance_id, no_reboot } => {
                    match runtime.capture_image(instance_id, &b.image_id, *no_reboot) {
                        Ok(_) => {
                            tracing::info!(image = %b.image_id, instance = %instance_id, "image captured");
                            self.users.insert(b.image_id.clone(), b.default_user.clone());
                        }
                        Err(nimbus_runtime::RuntimeError::UnknownInstance(_)) => {
                            // Not running here (made before --instances run): nothing to capture.
                            self.users.insert(b.image_id.clone(), b.default_user.clone());
                        }
                        Err(e) => tracing::warn!(image = %b.image_id, error = %e, "capturing an image"),
                    }
                }
            }
        }
        let gone: Vec<String> =
            self.users.keys().filter(|id| !baked.iter().any(|b| &b.image_id == *id)).cloned().collect();
        for id in gone {
            let _ = runtime.deregister_image(&id);
            self.users.remove(&id);
        }
    }

    /// An instance of a baked image logs in as the user of the instance it was baked from.
    fn apply_users(&self, desired: &mut Desired) {
        for inst in &mut desired.instances {
            if let Some(user) = self.users.get(&inst.image_id) {
                inst.default_user = user.clone();
            }
        }
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

/// vCPUs and memory (MiB) of an instance type (the sandbox's CPU quota and memory
/// limit): the catalogue's, else guessed from its size (`t3.micro`: 2, 1024).
pub fn shape(instance_type: &str) -> (u32, u64) {
    if let Some(shape) = nimbus_ec2::instance_type_shape(instance_type) {
        return shape;
    }
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
