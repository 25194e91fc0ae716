//! EBS data volumes as real block devices.
//!
//! A volume is a sparse file, `{data_dir}/volumes/{vol-id}.img`, of the volume's size: a
//! new volume is all zeros and takes no space until written. While it is attached to a
//! running instance, a loop device (`losetup --find --show`) exposes the file as a block
//! device; its node is made in the sandbox's `/dev` at the attachment's device name
//! (`/dev/sdf`, with `/dev/xvdf` beside it as on EC2's Xen instances, and the other way
//! round), and the sandbox's device cgroup lets it use that device only. The instance's
//! user runs `mkfs` and `mount` as on EC2; what they write lands in the file and stays
//! there across detach, stop and attach to another instance.
//!
//! A snapshot is a sparse copy (`cp --sparse=always`, after a `sync` so the instance's
//! filesystem has written what it holds) of the volume's file, taken when the snapshot
//! first appears in the desired state; a volume created from a snapshot starts as a copy
//! of it, grown to the volume's size.
//!
//! Detaching (or stopping the instance) lazily unmounts what the instance mounted from
//! the device, removes its node, takes the device out of the cgroup and detaches the loop
//! device. A deleted volume's or snapshot's file is removed; a sweep after a crash
//! detaches every loop device whose backing file is under `volumes/`.

use std::path::{Path, PathBuf};

use crate::cgroups;
use crate::cmd;
use crate::desired::{Snapshot, Volume, VolumeAttachment};
use crate::error::{io, Result, RuntimeError};
use crate::names::Names;

/// A volume attached to a running sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub volume: String,
    pub device: String,
    /// `/dev/loopN` on the host.
    pub loop_device: String,
    pub major: u32,
    pub minor: u32,
    /// The sandbox's init when it was attached: a new boot needs a new node.
    pub pid: i32,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `/dev/` and 1-16 lower-case letters or digits (`/dev/sdf`, `/dev/xvdba`, `/dev/sdf1`).
pub fn valid_device(device: &str) -> bool {
    device.strip_prefix("/dev/").is_some_and(|n| {
        !n.is_empty() && n.len() <= 16 && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

/// The other name EC2's instances show a device under: `/dev/sdf` <-> `/dev/xvdf`.
pub fn alias(device: &str) -> Option<String> {
    let name = device.strip_prefix("/dev/")?;
    if let Some(rest) = name.strip_prefix("xvd") {
        Some(format!("/dev/sd{rest}"))
    } else {
        name.strip_prefix("sd").map(|rest| format!("/dev/xvd{rest}"))
    }
}

pub fn volume_file(names: &Names, volume: &str) -> PathBuf {
    names.volumes_dir().join(format!("{volume}.img"))
}

pub fn snapshot_file(names: &Names, snapshot: &str) -> PathBuf {
    names.snapshots_dir().join(format!("{snapshot}.img"))
}

fn copy_sparse(from: &Path, to: &Path) -> Result<()> {
    let tmp = to.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    cmd::run("cp", &["--sparse=always", &from.to_string_lossy(), &tmp.to_string_lossy()])?;
    std::fs::rename(&tmp, to).map_err(io(format!("rename {}", to.display())))
}

/// Image files in `dir` (their ids).
fn files_in(dir: &Path) -> Vec<(String, PathBuf)> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), p)))
        .collect()
}

/// Captures the snapshots not yet taken (of volumes that have a file) and removes the
/// files of snapshots that are gone.
pub fn converge_snapshots(names: &Names, snapshots: &[Snapshot]) -> Result<()> {
    let dir = names.snapshots_dir();
    let mut synced = false;
    for s in snapshots.iter().filter(|s| valid_id(&s.id) && valid_id(&s.volume)) {
        let file = snapshot_file(names, &s.id);
        let source = volume_file(names, &s.volume);
        if file.exists() || !source.exists() {
            continue;
        }
        if !synced {
            // What instances' filesystems hold in memory reaches the volumes' files.
            let _ = cmd::run("sync", &[]);
            synced = true;
        }
        std::fs::create_dir_all(&dir).map_err(io(format!("create {}", dir.display())))?;
        copy_sparse(&source, &file)?;
        tracing::info!(snapshot = %s.id, volume = %s.volume, "snapshot taken");
    }
    for (id, path) in files_in(&dir) {
        let partial = path.extension().is_some_and(|e| e == "partial");
        if partial || !snapshots.iter().any(|s| s.id == id) {
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(())
}

/// Makes the files of new volumes: blank (sparse) or a copy of their snapshot.
pub fn create_missing(names: &Names, volumes: &[Volume]) -> Result<()> {
    let dir = names.volumes_dir();
    for v in volumes.iter().filter(|v| valid_id(&v.id)) {
        let file = volume_file(names, &v.id);
        if file.exists() {
            continue;
        }
        std::fs::create_dir_all(&dir).map_err(io(format!("create {}", dir.display())))?;
        let tmp = file.with_extension("partial");
        let from = v.snapshot.as_deref().filter(|s| valid_id(s)).map(|s| snapshot_file(names, s));
        match from.filter(|f| f.exists()) {
            Some(snap) => {
                cmd::run("cp", &["--sparse=always", &snap.to_string_lossy(), &tmp.to_string_lossy()]).map(|_| ())?
            }
            None => {
                std::fs::File::create(&tmp).map_err(io(format!("create {}", tmp.display())))?;
            }
        }
        let size = v.size_gib.max(1) << 30;
        let f = std::fs::OpenOptions::new().write(true).open(&tmp).map_err(io(format!("open {}", tmp.display())))?;
        if f.metadata().map(|m| m.len()).unwrap_or(0) < size {
            f.set_len(size).map_err(io(format!("size {}", tmp.display())))?;
        }
        std::fs::rename(&tmp, &file).map_err(io(format!("rename {}", file.display())))?;
    }
    Ok(())
}

/// Removes the files of volumes that are gone (detaching any loop device still on them).
pub fn remove_gone(names: &Names, volumes: &[Volume]) -> Result<()> {
    for (id, path) in files_in(&names.volumes_dir()) {
        let partial = path.extension().is_some_and(|e| e == "partial");
        if partial || !volumes.iter().any(|v| v.id == id) {
            for (dev, _) in loops_on(&path) {
                let _ = cmd::run("losetup", &["-d", &dev]);
            }
            std::fs::remove_file(&path).map_err(io(format!("remove {}", path.display())))?;
        }
    }
    Ok(())
}

/// Loop devices whose backing file is `path` or lies under it: (`/dev/loopN`, file).
pub fn loops_on(path: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/sys/block").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("loop") {
            continue;
        }
        let Ok(backing) = std::fs::read_to_string(entry.path().join("loop/backing_file")) else { continue };
        let backing = PathBuf::from(backing.trim().trim_end_matches(" (deleted)"));
        if backing.starts_with(path) {
            found.push((format!("/dev/{name}"), backing));
        }
    }
    found
}

fn device_numbers(loop_device: &str) -> Result<(u32, u32)> {
    let name = loop_device.trim_start_matches("/dev/");
    let text = std::fs::read_to_string(format!("/sys/block/{name}/dev")).map_err(io(format!("{loop_device}: dev")))?;
    let (major, minor) = text.trim().split_once(':').unwrap_or_default();
    match (major.parse(), minor.parse()) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        _ => Err(RuntimeError::Invalid(format!("{loop_device}: device number '{}'", text.trim()))),
    }
}

/// Attaches `att` to the sandbox whose init is `pid`: a loop device on the volume's file,
/// its node in the sandbox at the device name, the cgroup's permission to use it.
pub fn attach(names: &Names, cg: &cgroups::Mode, instance: &str, pid: i32, att: &VolumeAttachment) -> Result<Attached> {
    if !valid_id(&att.volume) || !valid_device(&att.device) {
        return Err(RuntimeError::Invalid(format!("volume {} at {}", att.volume, att.device)));
    }
    let file = volume_file(names, &att.volume);
    if !file.exists() {
        return Err(RuntimeError::Invalid(format!("volume {} has no disk here", att.volume)));
    }
    let loop_device = cmd::run("losetup", &["--find", "--show", &file.to_string_lossy()])?.trim().to_string();
    let attached = (|| {
        let (major, minor) = device_numbers(&loop_device)?;
        cg.allow_block_device(&names.cgroup(instance), major, minor, true)?;
        let root = PathBuf::from(format!("/proc/{pid}/root"));
        let node = root.join(att.device.trim_start_matches('/'));
        let _ = std::fs::remove_file(&node);
        cmd::run("mknod", &["-m", "660", &node.to_string_lossy(), "b", &major.to_string(), &minor.to_string()])?;
        if let Some(other) = alias(&att.device) {
            let link = root.join(other.trim_start_matches('/'));
            if std::fs::symlink_metadata(&link).is_err() {
                let target = att.device.trim_start_matches("/dev/");
                std::os::unix::fs::symlink(target, &link).map_err(io(format!("link {}", link.display())))?;
            }
        }
        Ok(Attached {
            volume: att.volume.clone(),
            device: att.device.clone(),
            loop_device: loop_device.clone(),
            major,
            minor,
            pid,
        })
    })();
    if attached.is_err() {
        let _ = cmd::run("losetup", &["-d", &loop_device]);
    }
    attached
}

/// Detaches: what the instance mounted from the device is lazily unmounted (when the
/// sandbox still runs as `running_pid`), the node and its alias go, the cgroup loses the
/// device, the loop device is detached (the kernel finishes that once the last user
/// lets go).
pub fn detach(names: &Names, cg: &cgroups::Mode, instance: &str, a: &Attached, running_pid: Option<i32>) {
    if running_pid == Some(a.pid) {
        let dev = format!("{}:{}", a.major, a.minor);
        let mountinfo = std::fs::read_to_string(format!("/proc/{}/mountinfo", a.pid)).unwrap_or_default();
        let mut points: Vec<&str> = mountinfo
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.get(2) == Some(&dev.as_str())).then(|| f.get(4).copied()).flatten()
            })
            .collect();
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for p in points {
            let pid = a.pid.to_string();
            if let Err(e) = cmd::run("nsenter", &["-t", &pid, "-m", "-p", "-r", "-w", "--", "umount", "-l", p]) {
                tracing::warn!(instance, volume = %a.volume, error = %e, "unmounting a detached volume");
            }
        }
        let root = PathBuf::from(format!("/proc/{}/root", a.pid));
        let node = root.join(a.device.trim_start_matches('/'));
        let _ = std::fs::remove_file(&node);
        if let Some(other) = alias(&a.device) {
            let link = root.join(other.trim_start_matches('/'));
            if std::fs::read_link(&link).is_ok() {
                let _ = std::fs::remove_file(&link);
            }
        }
        let _ = cg.allow_block_device(&names.cgroup(instance), a.major, a.minor, false);
    }
    // Only a loop device still on this volume's file is ours to detach.
    let file = volume_file(names, &a.volume);
    if loops_on(&file).iter().any(|(d, _)| d == &a.loop_device) {
        if let Err(e) = cmd::run("losetup", &["-d", &a.loop_device]) {
            tracing::warn!(instance, volume = %a.volume, error = %e, "detaching a loop device");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_and_their_aliases() {
        assert!(valid_device("/dev/sdf"));
        assert!(valid_device("/dev/xvdba"));
        assert!(!valid_device("/dev/../etc/passwd"));
        assert!(!valid_device("/dev/"));
        assert!(!valid_device("sdf"));
        assert_eq!(alias("/dev/sdf").as_deref(), Some("/dev/xvdf"));
        assert_eq!(alias("/dev/xvdg").as_deref(), Some("/dev/sdg"));
        assert_eq!(alias("/dev/nvme1n1"), None);
    }

    #[test]
    fn volumes_are_sparse_files_and_snapshots_sparse_copies() {
        let dir = std::env::temp_dir().join(format!("nimbus-volumes-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let names = Names::new("t", dir.join("run"), dir.join("data")).unwrap();
        let vol = Volume { id: "vol-1".into(), size_gib: 2, snapshot: None };
        create_missing(&names, std::slice::from_ref(&vol)).unwrap();
        let file = volume_file(&names, "vol-1");
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(meta.len(), 2 << 30);
        use std::os::unix::fs::MetadataExt;
        assert!(meta.blocks() < 64, "a new volume takes no space");
        {
            use std::io::{Seek, SeekFrom, Write};
            let mut f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
            f.seek(SeekFrom::Start(1 << 20)).unwrap();
            f.write_all(b"data on the volume").unwrap();
        }
        let snap = Snapshot { id: "snap-1".into(), volume: "vol-1".into() };
        converge_snapshots(&names, std::slice::from_ref(&snap)).unwrap();
        let copy = Volume { id: "vol-2".into(), size_gib: 4, snapshot: Some("snap-1".into()) };
        create_missing(&names, &[vol.clone(), copy.clone()]).unwrap();
        let f = std::fs::File::open(volume_file(&names, "vol-2")).unwrap();
        assert_eq!(f.metadata().unwrap().len(), 4 << 30, "grown to the new volume's size");
        let mut buf = [0u8; 18];
        std::os::unix::fs::FileExt::read_exact_at(&f, &mut buf, 1 << 20).unwrap();
        assert_eq!(&buf, b"data on the volume");
        // Gone snapshots and volumes lose their files.
        converge_snapshots(&names, &[]).unwrap();
        assert!(!snapshot_file(&names, "snap-1").exists());
        remove_gone(&names, std::slice::from_ref(&copy)).unwrap();
        assert!(!file.exists());
        assert!(volume_file(&names, "vol-2").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
