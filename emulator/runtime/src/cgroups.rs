//! cgroups v1 (each controller its own hierarchy, as on this project's Debian hosts in
//! hybrid mode) and v2 (one unified hierarchy): where an instance's cgroup is, what it
//! used, and removing what runc leaves behind.

use std::path::{Path, PathBuf};

/// How the host mounts cgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The unified hierarchy at this path holds the controllers.
    V2(PathBuf),
    /// Controller name -> mount point (cpuacct, memory, blkio...); `unified` as well, if any.
    V1(Vec<(String, PathBuf)>),
}

/// Every cgroup mount point of this process: (filesystem type, options, path).
fn mounts() -> Vec<(String, String, PathBuf)> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mount_point = left.split_whitespace().nth(4)?;
            let mut r = right.split_whitespace();
            let fstype = r.next()?;
            let _source = r.next()?;
            let options = r.next().unwrap_or("");
            (fstype == "cgroup" || fstype == "cgroup2")
                .then(|| (fstype.to_string(), options.to_string(), PathBuf::from(mount_point)))
        })
        .collect()
}

/// The host's cgroup layout, or `None` when no usable cgroups are mounted.
pub fn detect() -> Option<Mode> {
    let all = mounts();
    let v1: Vec<(String, PathBuf)> = all
        .iter()
        .filter(|(t, _, _)| t == "cgroup")
        .flat_map(|(_, opts, path)| {
            opts.split(',')
                .filter(|o| {
                    matches!(*o, "cpu" | "cpuacct" | "memory" | "blkio" | "pids" | "devices" | "freezer" | "cpuset")
                })
                .map(move |o| (o.to_string(), path.clone()))
        })
        .collect();
    let has = |c: &str| v1.iter().any(|(n, _)| n == c);
    if has("cpuacct") && has("memory") {
        return Some(Mode::V1(v1));
    }
    let v2 = all.iter().find(|(t, _, p)| t == "cgroup2" && p.join("cgroup.controllers").exists())?;
    let controllers = std::fs::read_to_string(v2.2.join("cgroup.controllers")).unwrap_or_default();
    (controllers.contains("cpu") && controllers.contains("memory")).then(|| Mode::V2(v2.2.clone()))
}

impl Mode {
    fn dir(&self, controller: &str, cgroup: &str) -> Option<PathBuf> {
        let rel = cgroup.trim_start_matches('/');
        match self {
            Mode::V2(root) => Some(root.join(rel)),
            Mode::V1(list) => list.iter().find(|(n, _)| n == controller).map(|(_, p)| p.join(rel)),
        }
    }

    /// CPU time used by `cgroup`, in nanoseconds.
    pub fn cpu_ns(&self, cgroup: &str) -> Option<u64> {
        match self {
            Mode::V1(_) => read_u64(&self.dir("cpuacct", cgroup)?.join("cpuacct.usage")),
            Mode::V2(_) => {
                let text = std::fs::read_to_string(self.dir("cpu", cgroup)?.join("cpu.stat")).ok()?;
                keyed(&text, "usage_usec").map(|us| us * 1000)
            }
        }
    }

    pub fn memory_bytes(&self, cgroup: &str) -> Option<u64> {
        match self {
            Mode::V1(_) => read_u64(&self.dir("memory", cgroup)?.join("memory.usage_in_bytes")),
            Mode::V2(_) => read_u64(&self.dir("memory", cgroup)?.join("memory.current")),
        }
    }

    /// Bytes read and written by `cgroup` (block I/O the kernel charged to it).
    pub fn disk_bytes(&self, cgroup: &str) -> (u64, u64) {
        let (mut read, mut write) = (0, 0);
        match self {
            Mode::V1(_) => {
                let Some(dir) = self.dir("blkio", cgroup) else { return (0, 0) };
                let text = std::fs::read_to_string(dir.join("blkio.throttle.io_service_bytes")).unwrap_or_default();
                for line in text.lines() {
                    let parts: Vec<&str> = line.split_whitespace().collect();
                    if let [_, op, n] = parts.as_slice() {
                        let n: u64 = n.parse().unwrap_or(0);
                        match *op {
                            "Read" => read += n,
                            "Write" => write += n,
                            _ => {}
                        }
                    }
                }
            }
            Mode::V2(_) => {
                let Some(dir) = self.dir("io", cgroup) else { return (0, 0) };
                let text = std::fs::read_to_string(dir.join("io.stat")).unwrap_or_default();
                for line in text.lines() {
                    read += keyed_eq(line, "rbytes").unwrap_or(0);
                    write += keyed_eq(line, "wbytes").unwrap_or(0);
                }
            }
        }
        (read, write)
    }

    /// Lets `cgroup` use (or no longer use) block device `major:minor`. With v1's devices
    /// controller that is one device; v2 controls devices by a BPF program runc loads at
    /// boot, which then allows every loop device (`sandbox::oci_config`), so there is
    /// nothing to change.
    pub fn allow_block_device(&self, cgroup: &str, major: u32, minor: u32, allow: bool) -> crate::Result<()> {
        let Mode::V1(_) = self else { return Ok(()) };
        let Some(dir) = self.dir("devices", cgroup) else { return Ok(()) };
        let file = dir.join(if allow { "devices.allow" } else { "devices.deny" });
        std::fs::write(&file, format!("b {major}:{minor} rwm"))
            .map_err(crate::error::io(format!("write {}", file.display())))
    }

    /// Removes `parent` and everything below it in every hierarchy (the cgroups must be
    /// empty: their processes gone). Returns the directories it could not remove.
    pub fn remove_tree(&self, parent: &str) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> =
            mounts().into_iter().map(|(_, _, p)| p.join(parent.trim_start_matches('/'))).collect();
        roots.sort();
        roots.dedup();
        let mut failed = Vec::new();
        for root in roots.into_iter().filter(|r| r.exists()) {
            remove_depth_first(&root, &mut failed);
        }
        failed
    }
}

fn remove_depth_first(dir: &Path, failed: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_depth_first(&e.path(), failed);
            }
        }
    }
    if std::fs::remove_dir(dir).is_err() && dir.exists() {
        failed.push(dir.to_path_buf());
    }
}

fn read_u64(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(key)?.trim().parse().ok())
}

fn keyed_eq(line: &str, key: &str) -> Option<u64> {
    line.split_whitespace().find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v2_counters() {
        assert_eq!(keyed("usage_usec 1500\nuser_usec 1000\n", "usage_usec"), Some(1500));
        assert_eq!(keyed_eq("254:0 rbytes=4096 wbytes=8192 rios=1", "wbytes"), Some(8192));
    }

    #[test]
    fn this_host_has_a_cgroup_layout() {
        // Every Linux host this project runs on mounts cgroups one way or the other.
        assert!(detect().is_some());
    }
}
