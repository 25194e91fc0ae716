//! The runtime: one per nimbus, converging the host to the desired state.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::cleanup::{self, Leftovers};
use crate::desired::{Desired, Instance, Power};
use crate::error::{io, Result, RuntimeError};
use crate::host;
use crate::images::{ImageRecord, ImageStore};
use crate::imds::{CredentialIssuer, Imds, Listeners};
use crate::metrics::{self, Sample};
use crate::names::Names;
use crate::net::{ns, Network};
use crate::sandbox;
use crate::volumes;

/// How the runtime is set up.
pub struct RuntimeConfig {
    /// Starts every name the runtime gives to host things (namespaces, containers,
    /// cgroups); two nimbus processes on one host need different prefixes.
    pub prefix: String,
    /// Instance disks and the image store.
    pub data_dir: PathBuf,
    /// runc's state and the lock; under /run by default.
    pub run_dir: Option<PathBuf>,
    /// The base root filesystem that AMIs the store does not hold boot from.
    pub base_rootfs: PathBuf,
    /// Keep stopped instances' disks across a restart of nimbus (with --state-dir).
    pub keep_disks: bool,
    /// How long a stopping instance gets between SIGTERM and SIGKILL.
    pub stop_grace: Duration,
    pub credentials: Option<Arc<dyn CredentialIssuer>>,
}

impl RuntimeConfig {
    pub fn new(prefix: &str, data_dir: PathBuf, base_rootfs: PathBuf) -> RuntimeConfig {
        RuntimeConfig {
            prefix: prefix.to_string(),
            data_dir,
            run_dir: None,
            base_rootfs,
            keep_disks: false,
            stop_grace: Duration::from_secs(5),
            credentials: None,
        }
    }
}

/// Where an instance stands, as the runtime sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceReport {
    pub instance_id: String,
    /// The sandbox's init is alive.
    pub running: bool,
    /// sshd listens inside.
    pub ssh_ready: bool,
    /// EC2's instance status check: the sandbox runs and its interface is up.
    pub instance_check_ok: bool,
    /// EC2's system status check: its namespace and link exist.
    pub system_check_ok: bool,
    /// Why the last boot failed, if it did.
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
struct Applied {
    power: Power,
    generation: u64,
    error: Option<String>,
    booted: Option<Instant>,
}

struct Inner {
    net: Network,
    listeners: Listeners,
    applied: BTreeMap<String, Applied>,
    desired: BTreeMap<String, Instance>,
    /// EBS volumes attached to running sandboxes, by instance.
    attached: BTreeMap<String, Vec<volumes::Attached>>,
}

/// Instances that run. Create with [`Runtime::start`]; [`Runtime::shutdown`] (or drop)
/// removes everything it made.
pub struct Runtime {
    names: Names,
    store: ImageStore,
    imds: Arc<Imds>,
    inner: Mutex<Inner>,
    stop_grace: Duration,
    keep_disks: bool,
    cgroups: crate::cgroups::Mode,
    _lock: File,
    shut: std::sync::atomic::AtomicBool,
}

impl Runtime {
    /// Checks the host, takes the prefix's lock, removes what an earlier run with the
    /// same prefix left behind, and starts IMDS.
    pub fn start(config: RuntimeConfig) -> Result<Runtime> {
        let run_dir = config.run_dir.clone().unwrap_or_else(|| PathBuf::from("/run/nimbus").join(&config.prefix));
        let names = Names::new(&config.prefix, run_dir, config.data_dir.clone())?;
        let check = host::check(&names.netns("probe"));
        if !check.fit() {
            return Err(RuntimeError::HostUnfit(check.describe()));
        }
        let cgroups = check.cgroups.clone().expect("a fit host has cgroups");
        if !config.base_rootfs.join("bin/sh").exists() && !config.base_rootfs.join("usr/bin/sh").exists() {
            return Err(RuntimeError::Invalid(format!(
                "the base root filesystem {} is missing (build it with emulator/runtime/images/build-base.sh)",
                config.base_rootfs.display()
            )));
        }
        let lock_path = names.lock_file();
        if let Some(parent) = lock_path.parent() {
            std::fs::create_dir_all(parent).map_err(io(format!("create {}", parent.display())))?;
        }
        let lock = File::create(&lock_path).map_err(io(format!("create {}", lock_path.display())))?;
        if lock.try_lock().is_err() {
            return Err(RuntimeError::PrefixInUse(config.prefix.clone(), lock_path.display().to_string()));
        }
        let found = cleanup::sweep(&names, config.keep_disks)?;
        if !found.is_empty() {
            tracing::warn!(?found, "removed what an earlier nimbus with this prefix left behind");
        }
        std::fs::create_dir_all(names.runc_root()).map_err(io("create runc root"))?;
        std::fs::create_dir_all(names.instances_dir()).map_err(io("create instances dir"))?;
        let store = ImageStore::new(names.images_dir(), config.base_rootfs.clone())?;
        let inner = Inner {
            net: Network::new(names.clone()),
            listeners: Listeners::new()?,
            applied: BTreeMap::new(),
            desired: BTreeMap::new(),
            attached: BTreeMap::new(),
        };
        Ok(Runtime {
            names,
            store,
            imds: Arc::new(Imds::new(config.credentials)),
            inner: Mutex::new(inner),
            stop_grace: config.stop_grace,
            keep_disks: config.keep_disks,
            cgroups,
            _lock: lock,
            shut: std::sync::atomic::AtomicBool::new(false),
        })
    }

    pub fn names(&self) -> &Names {
        &self.names
    }

    /// Makes the host match `desired`: network first, then sandboxes. A failing instance
    /// does not stop the others; its report carries the error.
    pub fn converge(&self, desired: &Desired) -> Result<Vec<InstanceReport>> {
        let mut inner = self.inner.lock().expect("runtime lock");
        // Sandboxes of instances that are gone stop before their namespaces go.
        let gone: Vec<String> =
            inner.applied.keys().filter(|id| !desired.instances.iter().any(|i| &i.id == *id)).cloned().collect();
        for id in &gone {
            sandbox::destroy(&self.names, id)?;
            inner.applied.remove(id);
        }
        let gone_volumes: Vec<String> =
            inner.attached.keys().filter(|id| !desired.instances.iter().any(|i| &i.id == *id)).cloned().collect();
        for id in gone_volumes {
            for a in inner.attached.remove(&id).unwrap_or_default() {
                volumes::detach(&self.names, &self.cgroups, &id, &a, None);
            }
        }
        // Snapshots are taken before anything detaches or goes, as CreateSnapshot's
        // moment; then new volumes get their disks (from a snapshot just taken, too).
        volumes::converge_snapshots(&self.names, &desired.snapshots)?;
        volumes::create_missing(&self.names, &desired.volumes)?;
        inner.net.converge(desired)?;
        let routers: Vec<(String, String)> = inner.net.routers().map(|(v, n)| (v.to_string(), n.to_string())).collect();
        let imds = self.imds.clone();
        inner.listeners.converge(&imds, &routers)?;
        self.imds.set_instances(&desired.instances);
        for inst in &desired.instances {
            let Some(netns) = inner.net.namespace_of(&inst.id).map(String::from) else { continue };
            let before = inner.applied.get(&inst.id).cloned();
            let running = sandbox::state(&self.names, &inst.id).is_some_and(|(s, _)| s == "running");
            let result = match inst.power {
                Power::Stopped => {
                    if before.as_ref().is_some_and(|b| b.power == Power::Running) || running {
                        sandbox::halt(&self.names, &inst.id, self.stop_grace)
                    } else {
                        Ok(())
                    }
                }
                Power::Running => {
                    let reboot = before
                        .as_ref()
                        .is_some_and(|b| b.generation != inst.boot_generation && b.power == Power::Running);
                    if reboot {
                        sandbox::halt(&self.names, &inst.id, self.stop_grace)
                            .and_then(|_| sandbox::boot(&self.names, &self.store, inst, &netns))
                    } else if !running
                        && before.as_ref().is_none_or(|b| {
                            b.error.is_none() || b.generation != inst.boot_generation || b.power != Power::Running
                        })
                    {
                        sandbox::boot(&self.names, &self.store, inst, &netns)
                    } else {
                        Ok(())
                    }
                }
            };
            let booted = match (&result, inst.power) {
                (Ok(()), Power::Running)
                    if !running || before.as_ref().is_some_and(|b| b.generation != inst.boot_generation) =>
                {
                    Some(Instant::now())
                }
                (_, Power::Running) => before.as_ref().and_then(|b| b.booted),
                _ => None,
            };
            let error = result.err().map(|e| {
                tracing::warn!(instance = %inst.id, error = %e, "instance did not boot");
                e.to_string()
            });
            inner.applied.insert(
                inst.id.clone(),
                Applied { power: inst.power, generation: inst.boot_generation, error, booted },
            );
            self.sync_volumes(&mut inner, inst);
        }
        volumes::remove_gone(&self.names, &desired.volumes)?;
        inner.desired = desired.instances.iter().map(|i| (i.id.clone(), i.clone())).collect();
        let ids: Vec<String> = inner.desired.keys().cloned().collect();
        drop(inner);
        Ok(ids.iter().filter_map(|id| self.report(id)).collect())
    }

    /// Makes instance `inst`'s attached volumes match what it should have: devices in a
    /// running sandbox for each attachment, none while it is stopped; a new boot (a new
    /// init) gets new nodes. A volume that cannot be attached is logged and left out.
    fn sync_volumes(&self, inner: &mut Inner, inst: &Instance) {
        let pid = sandbox::state(&self.names, &inst.id).filter(|(s, _)| s == "running").map(|(_, p)| p);
        let mut have = inner.attached.remove(&inst.id).unwrap_or_default();
        let wanted = |a: &volumes::Attached| {
            Some(a.pid) == pid && inst.volumes.iter().any(|w| w.volume == a.volume && w.device == a.device)
        };
        for a in have.iter().filter(|a| !wanted(a)) {
            volumes::detach(&self.names, &self.cgroups, &inst.id, a, pid);
        }
        have.retain(wanted);
        if let Some(pid) = pid {
            for w in &inst.volumes {
                if have.iter().any(|a| a.volume == w.volume && a.device == w.device) {
                    continue;
                }
                match volumes::attach(&self.names, &self.cgroups, &inst.id, pid, w) {
                    Ok(a) => have.push(a),
                    Err(e) => tracing::warn!(instance = %inst.id, volume = %w.volume, error = %e, "attaching a volume"),
                }
            }
        }
        if !have.is_empty() {
            inner.attached.insert(inst.id.clone(), have);
        }
    }

    /// The runtime's view of instance `id`.
    pub fn report(&self, id: &str) -> Option<InstanceReport> {
        let inner = self.inner.lock().expect("runtime lock");
        let error = inner.applied.get(id)?.error.clone();
        let netns = inner.net.namespace_of(id).map(String::from);
        drop(inner);
        let state = sandbox::state(&self.names, id);
        let pid = state.as_ref().filter(|(s, _)| s == "running").map(|(_, p)| *p);
        let system_check_ok = netns.as_deref().is_some_and(ns::exists);
        let iface_up = pid.and_then(|p| metrics::interface_counters(p, "eth0")).is_some();
        Some(InstanceReport {
            instance_id: id.to_string(),
            running: pid.is_some(),
            ssh_ready: pid.is_some_and(|p| metrics::listening(p, 22)),
            instance_check_ok: pid.is_some() && iface_up,
            system_check_ok,
            error,
        })
    }

    /// The console log: the last `max` bytes of what the instance printed since launch.
    pub fn console_output(&self, id: &str, max: usize) -> Option<Vec<u8>> {
        let data = std::fs::read(sandbox::paths(&self.names, id).console).ok()?;
        Some(data[data.len().saturating_sub(max)..].to_vec())
    }

    /// Counters of every running instance, for AWS/EC2 metrics.
    pub fn sample(&self) -> Vec<Sample> {
        let inner = self.inner.lock().expect("runtime lock");
        let instances: Vec<Instance> = inner.desired.values().filter(|i| i.power == Power::Running).cloned().collect();
        drop(inner);
        instances
            .iter()
            .filter_map(|inst| {
                let (status, pid) = sandbox::state(&self.names, &inst.id)?;
                if status != "running" {
                    return None;
                }
                let cgroup = self.names.cgroup(&inst.id);
                let (rx, rxp, tx, txp) = metrics::interface_counters(pid, "eth0").unwrap_or_default();
                let (read, write) = self.cgroups.disk_bytes(&cgroup);
                let report = self.report(&inst.id)?;
                Some(Sample {
                    instance_id: inst.id.clone(),
                    at: SystemTime::now(),
                    vcpus: inst.vcpus,
                    cpu_ns: self.cgroups.cpu_ns(&cgroup).unwrap_or(0),
                    memory_bytes: self.cgroups.memory_bytes(&cgroup).unwrap_or(0),
                    net_in_bytes: rx,
                    net_out_bytes: tx,
                    net_in_packets: rxp,
                    net_out_packets: txp,
                    disk_read_bytes: read,
                    disk_write_bytes: write,
                    instance_check_ok: report.instance_check_ok,
                    system_check_ok: report.system_check_ok,
                })
            })
            .collect()
    }

    /// CreateImage: captures instance `instance_id`'s disk as image `image_id`. Without
    /// `no_reboot` the instance is shut down for the copy and booted again, as EC2 does.
    pub fn capture_image(&self, instance_id: &str, image_id: &str, no_reboot: bool) -> Result<ImageRecord> {
        let mut inner = self.inner.lock().expect("runtime lock");
        let inst =
            inner.desired.get(instance_id).cloned().ok_or_else(|| RuntimeError::UnknownInstance(instance_id.into()))?;
        let netns = inner.net.namespace_of(instance_id).map(String::from);
        let running = sandbox::state(&self.names, instance_id).is_some_and(|(s, _)| s == "running");
        let p = sandbox::paths(&self.names, instance_id);
        if running && !no_reboot {
            sandbox::halt(&self.names, instance_id, self.stop_grace)?;
        } else {
            let _ = crate::cmd::run("sync", &[]);
        }
        let record = self.store.capture(image_id, &inst.image_id, &p.upper);
        if running && !no_reboot {
            if let Some(netns) = netns {
                sandbox::boot(&self.names, &self.store, &inst, &netns)?;
            }
        }
        self.sync_volumes(&mut inner, &inst);
        record
    }

    /// RegisterImage of a user's root filesystem directory.
    pub fn register_rootfs(&self, image_id: &str, rootfs: &Path) -> Result<ImageRecord> {
        self.store.register_rootfs(image_id, rootfs)
    }

    pub fn deregister_image(&self, image_id: &str) -> Result<()> {
        self.store.deregister(image_id)
    }

    /// The key that verifies IMDS's instance identity signatures (PEM).
    pub fn identity_public_key_pem(&self) -> String {
        self.imds.identity_public_key_pem()
    }

    /// A TCP connection from the internet namespace (source 198.51.100.1) to `addr`: how
    /// the host reaches instances (`nimbus connect`), without any route of its own.
    pub fn connect(&self, addr: Ipv4Addr, port: u16, timeout: Duration) -> Result<TcpStream> {
        let inet = self.names.internet_netns();
        ns::within(&inet, move || TcpStream::connect_timeout(&SocketAddr::from((addr, port)), timeout))?
            .map_err(io(format!("connect to {addr}:{port} from the internet namespace")))
    }

    /// A listener in the internet namespace: a server "on the internet" for instances.
    pub fn listen_on_internet(&self, port: u16) -> Result<std::net::TcpListener> {
        let inet = self.names.internet_netns();
        ns::within(&inet, move || std::net::TcpListener::bind(SocketAddr::from((crate::net::INTERNET_HOST, port))))?
            .map_err(io("listen in the internet namespace"))
    }

    /// Runs `argv` inside instance `id` (runc exec), returning (exit code, stdout+stderr).
    pub fn exec(&self, id: &str, argv: &[&str]) -> Result<(i32, String)> {
        let root = self.names.runc_root();
        let out = std::process::Command::new("runc")
            .arg("--root")
            .arg(root)
            .arg("exec")
            .arg(self.names.container(id))
            .args(argv)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(io("runc exec"))?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        Ok((out.status.code().unwrap_or(-1), text))
    }

    /// Stops every sandbox and removes every namespace, mount and cgroup this runtime
    /// made (disks too, unless configured to keep them). Returns what was removed.
    pub fn shutdown(&self) -> Result<Leftovers> {
        if self.shut.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Ok(Leftovers::default());
        }
        let mut inner = self.inner.lock().expect("runtime lock");
        let ids: Vec<String> = inner.applied.keys().cloned().collect();
        for id in ids {
            let _ = sandbox::halt(&self.names, &id, Duration::ZERO);
        }
        for (id, list) in std::mem::take(&mut inner.attached) {
            for a in list {
                volumes::detach(&self.names, &self.cgroups, &id, &a, None);
            }
        }
        inner.applied.clear();
        inner.desired.clear();
        inner.listeners.converge(&self.imds, &[])?;
        let found = cleanup::sweep(&self.names, self.keep_disks)?;
        let _ = std::fs::remove_file(self.names.lock_file());
        Ok(found)
    }
}

impl Runtime {
    /// Ends this runtime as a crash would: nothing is removed and the prefix's lock is
    /// released (the process lives on, so the lock must be let go by hand). The next
    /// [`Runtime::start`] with the same prefix finds and removes what it left. For tests.
    #[doc(hidden)]
    pub fn abandon(self) {
        self.shut.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self._lock.unlock();
        let mut this = std::mem::ManuallyDrop::new(self);
        // The IMDS listeners' threads end; everything on the host stays.
        let imds = this.imds.clone();
        let inner = this.inner.get_mut().expect("runtime lock");
        inner.listeners.converge(&imds, &[]).ok();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::error!(error = %e, "runtime shutdown left things behind");
        }
    }
}
