//! Finding and removing everything a runtime with this prefix made (processes, mounts,
//! namespaces, cgroups, the loop devices of EBS volumes, and the files): after a clean
//! shutdown there is nothing to find; after a crash, the next start removes the leftovers.

use std::time::Duration;

use crate::cgroups;
use crate::error::Result;
use crate::names::Names;
use crate::net::ns;
use crate::sandbox;

/// What one sweep found (and removed).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Leftovers {
    pub containers: Vec<String>,
    pub mounts: Vec<String>,
    pub namespaces: Vec<String>,
    pub cgroups: Vec<String>,
    /// Loop devices on EBS volumes' files.
    pub loop_devices: Vec<String>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
            && self.mounts.is_empty()
            && self.namespaces.is_empty()
            && self.cgroups.is_empty()
            && self.loop_devices.is_empty()
    }
}

/// What exists now with this runtime's names (nothing is changed).
pub fn survey(names: &Names) -> Leftovers {
    let mut cgroup_dirs = Vec::new();
    let parent = names.cgroup_parent();
    if let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") {
        for line in text.lines() {
            let Some((left, right)) = line.split_once(" - ") else { continue };
            if !right.starts_with("cgroup") {
                continue;
            }
            if let Some(mp) = left.split_whitespace().nth(4) {
                let dir = std::path::Path::new(mp).join(&parent);
                if dir.exists() {
                    cgroup_dirs.push(dir.to_string_lossy().into_owned());
                }
            }
        }
    }
    Leftovers {
        containers: sandbox::containers(names).into_iter().filter(|c| names.owns(c)).collect(),
        mounts: sandbox::mounts_under(&names.instances_dir())
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        namespaces: ns::list().into_iter().filter(|n| names.owns(n)).collect(),
        cgroups: cgroup_dirs,
        loop_devices: crate::volumes::loops_on(&names.volumes_dir()).into_iter().map(|(d, _)| d).collect(),
    }
}

/// Removes every process, mount, namespace and cgroup of this prefix; instance disks and
/// captured images go too unless `keep_disks` (nimbus keeps its state across restarts).
/// Returns what it found.
pub fn sweep(names: &Names, keep_disks: bool) -> Result<Leftovers> {
    let found = survey(names);
    for c in &found.containers {
        let id = c.strip_prefix(&format!("{}-", names.prefix())).unwrap_or(c);
        if let Err(e) = sandbox::halt(names, id, Duration::ZERO) {
            tracing::warn!(container = %c, error = %e, "could not remove a leftover container");
        }
    }
    for m in sandbox::mounts_under(&names.instances_dir()) {
        let m = m.to_string_lossy().into_owned();
        let _ = crate::cmd::run("umount", &[&m]).or_else(|_| crate::cmd::run("umount", &["-l", &m]));
    }
    // With their sandboxes gone, nothing holds the volumes' loop devices any more.
    for d in &found.loop_devices {
        if let Err(e) = crate::cmd::run("losetup", &["-d", d]) {
            tracing::warn!(device = %d, error = %e, "could not detach a leftover loop device");
        }
    }
    // A loop device still in use (its filesystem going with a sandbox's mount namespace)
    // is cleared by the kernel a moment later.
    for _ in 0..100 {
        if crate::volumes::loops_on(&names.volumes_dir()).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for n in &found.namespaces {
        ns::delete(n)?;
    }
    if let Some(mode) = cgroups::detect() {
        // A cgroup empties a moment after its last process is gone.
        for _ in 0..50 {
            if mode.remove_tree(&names.cgroup_parent()).is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = std::fs::remove_dir_all(names.run_dir());
    if !keep_disks {
        let _ = std::fs::remove_dir_all(names.instances_dir());
        let _ = std::fs::remove_dir_all(names.images_dir());
        let _ = std::fs::remove_dir_all(names.volumes_dir());
        let _ = std::fs::remove_dir_all(names.snapshots_dir());
        let _ = std::fs::remove_dir(names.data_dir());
    }
    Ok(found)
}
