//! One instance's sandbox on runc: an overlayfs root (its AMI's layers below, its own
//! disk above), an OCI bundle, the console log, and the lifecycle (boot, stop keeping
//! the disk, reboot, terminate removing everything).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::boot;
use crate::cmd;
use crate::desired::Instance;
use crate::error::{io, Result, RuntimeError};
use crate::images::ImageStore;
use crate::names::Names;

/// Where an instance's files are.
#[derive(Debug, Clone)]
pub struct Paths {
    pub dir: PathBuf,
    /// The instance's root volume: overlayfs's upper directory.
    pub upper: PathBuf,
    pub work: PathBuf,
    pub rootfs: PathBuf,
    pub seed: PathBuf,
    pub bundle: PathBuf,
    pub console: PathBuf,
}

pub fn paths(names: &Names, id: &str) -> Paths {
    let dir = names.instance_dir(id);
    Paths {
        upper: dir.join("disk/upper"),
        work: dir.join("disk/work"),
        rootfs: dir.join("rootfs"),
        seed: dir.join("seed"),
        bundle: dir.join("bundle"),
        console: dir.join("console.log"),
        dir,
    }
}

/// Paths under `/proc/self/mountinfo` (octal escapes undone) mounted at or below `under`.
pub fn mounts_under(under: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut found: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .map(|p| {
            PathBuf::from(p.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\"))
        })
        .filter(|p| p.starts_with(under))
        .collect();
    // Deepest first, so nested mounts come off before their parents.
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found.dedup();
    found
}

fn runc(names: &Names, args: &[&str]) -> Result<String> {
    let root = names.runc_root();
    let root = root.to_string_lossy();
    let mut all = vec!["--root", &root];
    all.extend_from_slice(args);
    cmd::run("runc", &all)
}

/// runc's view of a container: (status, init pid).
pub fn state(names: &Names, id: &str) -> Option<(String, i32)> {
    let out = runc(names, &["state", &names.container(id)]).ok()?;
    let v: serde_json::Value = serde_json::from_str(&out).ok()?;
    Some((v["status"].as_str()?.to_string(), v["pid"].as_i64().unwrap_or(0) as i32))
}

/// Containers in our runc root (ids).
pub fn containers(names: &Names) -> Vec<String> {
    if !names.runc_root().exists() {
        return Vec::new(); // runc would make its root just to list nothing
    }
    let Ok(out) = runc(names, &["list", "--format", "json"]) else { return Vec::new() };
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap_or_default();
    list.iter().filter_map(|c| c["id"].as_str().map(String::from)).collect()
}

fn mount_root(store: &ImageStore, inst: &Instance, p: &Paths) -> Result<()> {
    if mounts_under(&p.rootfs).contains(&p.rootfs) {
        return Ok(());
    }
    for d in [&p.upper, &p.work, &p.rootfs] {
        std::fs::create_dir_all(d).map_err(io(format!("create {}", d.display())))?;
    }
    let layers = store.layers(&inst.image_id);
    for l in &layers {
        if !l.is_dir() {
            return Err(RuntimeError::UnknownImage(format!("{} (layer {} is missing)", inst.image_id, l.display())));
        }
    }
    let lower: Vec<String> = layers.iter().map(|l| l.to_string_lossy().into_owned()).collect();
    let options = format!("lowerdir={},upperdir={},workdir={}", lower.join(":"), p.upper.display(), p.work.display());
    cmd::run("mount", &["-t", "overlay", "overlay", "-o", &options, &p.rootfs.to_string_lossy()])?;
    Ok(())
}

fn oci_config(names: &Names, inst: &Instance, p: &Paths, netns: &str) -> serde_json::Value {
    let caps = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
        // mount(8) of an attached EBS volume's filesystem (see docs/runtime.md, EBS volumes).
        "CAP_SYS_ADMIN",
    ];
    // Attached volumes are loop devices. cgroup v1 lets the sandbox use each one as it is
    // attached (`volumes::attach`); v2's device filter is fixed at boot, so it allows loop
    // devices (major 7) from the start.
    let devices = match crate::cgroups::detect() {
        Some(crate::cgroups::Mode::V2(_)) => json!([{"allow": true, "type": "b", "major": 7, "access": "rwm"}]),
        _ => json!([]),
    };
    let tini = p.rootfs.join("usr/bin/tini").exists();
    let args: Vec<&str> = if tini {
        vec!["/usr/bin/tini", "-s", "--", "/bin/sh", "/run/nimbus/init"]
    } else {
        vec!["/bin/sh", "/run/nimbus/init"]
    };
    let memory = inst.memory_mib.max(64) * 1024 * 1024;
    let period: u64 = 100_000;
    json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": false
        },
        "root": {"path": p.rootfs, "readonly": false},
        "hostname": boot::hostname(inst),
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
            {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=755", "size=65536k"]},
            {"destination": "/run/nimbus", "type": "bind", "source": p.seed, "options": ["rbind", "ro"]}
        ],
        "linux": {
            "namespaces": [
                {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
                {"type": "network", "path": crate::net::ns::path(netns)}
            ],
            "cgroupsPath": names.cgroup(&inst.id),
            "resources": {
                "memory": {"limit": memory},
                "cpu": {"quota": period * u64::from(inst.vcpus.max(1)), "period": period},
                "pids": {"limit": 4096},
                "devices": devices
            },
            "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                            "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"],
            "readonlyPaths": ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

/// Boots `inst` in namespace `netns` (its disk is kept from an earlier boot, if any).
pub fn boot(names: &Names, store: &ImageStore, inst: &Instance, netns: &str) -> Result<()> {
    let p = paths(names, &inst.id);
    if let Some((status, _)) = state(names, &inst.id) {
        if status == "running" {
            return Ok(());
        }
        runc(names, &["delete", "--force", &names.container(&inst.id)])?;
    }
    mount_root(store, inst, &p)?;
    boot::write_seed(&p.seed, inst)?;
    std::fs::create_dir_all(&p.bundle).map_err(io("create bundle"))?;
    let config = oci_config(names, inst, &p, netns);
    std::fs::write(p.bundle.join("config.json"), config.to_string()).map_err(io("write config.json"))?;
    let console = OpenOptions::new().create(true).append(true).open(&p.console).map_err(io("open console log"))?;
    let console2 = console.try_clone().map_err(io("console log"))?;
    let root = names.runc_root();
    // Detached and without a terminal, runc hands its own stdout and stderr to the
    // instance's init: the console log file.
    let status = Command::new("runc")
        .arg("--root")
        .arg(&root)
        .args(["run", "--detach", "--bundle"])
        .arg(&p.bundle)
        .arg(names.container(&inst.id))
        .stdin(Stdio::null())
        .stdout(console)
        .stderr(console2)
        .status()
        .map_err(io("start runc"))?;
    if !status.success() {
        let log = std::fs::read_to_string(&p.console).unwrap_or_default();
        let tail: String =
            log.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        return Err(RuntimeError::Command { command: format!("runc run {}", inst.id), stderr: tail });
    }
    Ok(())
}

/// Stops the sandbox (SIGTERM, then SIGKILL after `grace`), unmounts its root; its disk stays.
pub fn halt(names: &Names, id: &str, grace: Duration) -> Result<()> {
    let container = names.container(id);
    if let Some((status, _)) = state(names, id) {
        if status == "running" {
            let _ = runc(names, &["kill", &container, "TERM"]);
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline && state(names, id).is_some_and(|(s, _)| s == "running") {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        runc(names, &["delete", "--force", &container])?;
    }
    let p = paths(names, id);
    for m in mounts_under(&p.dir) {
        cmd::run("umount", &[&m.to_string_lossy()]).or_else(|_| cmd::run("umount", &["-l", &m.to_string_lossy()]))?;
    }
    Ok(())
}

/// Halts and removes everything of the instance, its disk included.
pub fn destroy(names: &Names, id: &str) -> Result<()> {
    halt(names, id, Duration::ZERO)?;
    let dir = names.instance_dir(id);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io(format!("remove {}", dir.display())))?;
    }
    Ok(())
}
