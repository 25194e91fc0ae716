//! EBS volumes are real disks: a blank block device at the attachment's device name that
//! the instance formats and mounts; data stays across detach and attach to another
//! instance, stop and start; a snapshot captures it and a volume made from the snapshot
//! has it; nothing (loop device, file, node) is left after detach, delete, terminate,
//! shutdown or a crash. Needs root (see common/mod.rs).

mod common;

use std::time::{Duration, Instant};

use common::*;
use nimbus_runtime::desired::*;
use nimbus_runtime::volumes::{loops_on, snapshot_file, volume_file};
use nimbus_runtime::Runtime;

fn att(volume: &str, device: &str) -> VolumeAttachment {
    VolumeAttachment { volume: volume.into(), device: device.into() }
}

fn vol(id: &str, size_gib: u64, snapshot: Option<&str>) -> Volume {
    Volume { id: id.into(), size_gib, snapshot: snapshot.map(String::from) }
}

/// Runs a shell command inside `id`; panics with its output unless it exits 0.
fn sh(rt: &Runtime, id: &str, script: &str) -> String {
    let (code, out) = rt.exec(id, &["sh", "-c", script]).unwrap();
    assert_eq!(code, 0, "{id}: {script}: {out}");
    out
}

fn fails(rt: &Runtime, id: &str, script: &str) -> bool {
    rt.exec(id, &["sh", "-c", script]).unwrap().0 != 0
}

/// Waits (bounded) until no loop device is on `file` (the kernel clears a busy one a
/// moment after its last user lets go).
fn no_loop_on(file: &std::path::Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if loops_on(file).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_volume_is_a_disk_that_keeps_its_data_across_instances_and_snapshots() {
    let Some(rt) = runtime("vols") else { return };
    let names = rt.names().clone();
    let mut a = instance("i-a", 1, "public", 10, false);
    let mut b = instance("i-b", 1, "public", 11, false);
    a.volumes = vec![att("vol-data", "/dev/sdf")];
    let mut d = Desired {
        vpcs: vec![vpc(1)],
        instances: vec![a.clone(), b.clone()],
        volumes: vec![vol("vol-data", 1, None)],
        ..Desired::default()
    };
    let started = Instant::now();
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-a", "i-b"]);
    let file = volume_file(&names, "vol-data");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 1 << 30);
    assert_eq!(loops_on(&file).len(), 1);

    // A new volume: a blank 1 GiB block device at its name (and the xvd alias).
    sh(&rt, "i-a", "test -b /dev/sdf && test -b /dev/xvdf");
    assert_eq!(sh(&rt, "i-a", "blockdev --getsize64 /dev/sdf").trim(), "1073741824");
    assert_eq!(sh(&rt, "i-a", "head -c 1048576 /dev/sdf | tr -d '\\000' | wc -c").trim(), "0");
    sh(&rt, "i-a", "mkfs.ext4 -q /dev/sdf && mkdir -p /data && mount /dev/sdf /data && echo hello-ebs > /data/file");
    println!("attach, mkfs and mount: {:?}", started.elapsed());
    assert!(fails(&rt, "i-b", "test -e /dev/sdf"), "another instance has no such device");
    assert!(fails(&rt, "i-b", "mknod /tmp/x b 7 0 && head -c 1 /tmp/x"), "nor reaches loop devices");

    // Unmount, detach, attach to the other instance at another name: the data is there.
    sh(&rt, "i-a", "umount /data");
    a.volumes.clear();
    b.volumes = vec![att("vol-data", "/dev/xvdg")];
    d.instances = vec![a.clone(), b.clone()];
    rt.converge(&d).unwrap();
    assert!(fails(&rt, "i-a", "test -e /dev/sdf || test -e /dev/xvdf"), "detached: the device is gone");
    assert_eq!(loops_on(&file).len(), 1, "one loop device, for i-b");
    sh(&rt, "i-b", "mkdir -p /mnt/v && mount /dev/xvdg /mnt/v");
    assert_eq!(sh(&rt, "i-b", "cat /mnt/v/file").trim(), "hello-ebs");

    // A snapshot captures what was written before it, not after.
    sh(&rt, "i-b", "echo second > /mnt/v/second");
    d.snapshots = vec![Snapshot { id: "snap-1".into(), volume: "vol-data".into() }];
    rt.converge(&d).unwrap();
    assert!(snapshot_file(&names, "snap-1").exists());
    sh(&rt, "i-b", "echo third > /mnt/v/third && sync");

    // A volume from the snapshot (bigger) mounts with the files.
    d.volumes.push(vol("vol-copy", 2, Some("snap-1")));
    a.volumes = vec![att("vol-copy", "/dev/sdh")];
    d.instances = vec![a.clone(), b.clone()];
    rt.converge(&d).unwrap();
    assert_eq!(sh(&rt, "i-a", "blockdev --getsize64 /dev/sdh").trim(), "2147483648");
    sh(&rt, "i-a", "mkdir -p /mnt/c && mount /dev/sdh /mnt/c");
    assert_eq!(sh(&rt, "i-a", "cat /mnt/c/file /mnt/c/second"), "hello-ebs\nsecond\n");
    assert!(fails(&rt, "i-a", "test -e /mnt/c/third"), "written after the snapshot");

    // Forced detach while mounted, then DeleteVolume and DeleteSnapshot: the mount goes
    // (lazily), then the loop device, the node and the files.
    let copy = volume_file(&names, "vol-copy");
    a.volumes.clear();
    d.instances = vec![a.clone(), b.clone()];
    d.volumes.retain(|v| v.id != "vol-copy");
    d.snapshots.clear();
    rt.converge(&d).unwrap();
    assert!(fails(&rt, "i-a", "grep -q ' /mnt/c ' /proc/mounts"), "unmounted at detach");
    assert!(fails(&rt, "i-a", "test -e /dev/sdh"));
    assert!(!copy.exists() && !snapshot_file(&names, "snap-1").exists());
    assert!(no_loop_on(&copy), "{:?}", loops_on(&copy));

    // Stop keeps the attachment but no device; start brings it back with the data.
    b.power = Power::Stopped;
    d.instances = vec![a.clone(), b.clone()];
    rt.converge(&d).unwrap();
    assert!(no_loop_on(&file), "a stopped instance holds no loop device: {:?}", loops_on(&file));
    b.power = Power::Running;
    d.instances = vec![a.clone(), b.clone()];
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-b"]);
    sh(&rt, "i-b", "mkdir -p /mnt/v && mount /dev/xvdg /mnt/v");
    assert_eq!(sh(&rt, "i-b", "cat /mnt/v/file /mnt/v/second /mnt/v/third"), "hello-ebs\nsecond\nthird\n");

    // Terminate with DeleteOnTermination: instance and volume go together, mounted or not.
    d.instances = vec![a.clone()];
    d.volumes.clear();
    rt.converge(&d).unwrap();
    assert!(!file.exists());
    assert!(no_loop_on(&names.volumes_dir()), "{:?}", loops_on(&names.volumes_dir()));

    rt.shutdown().unwrap();
    let left = nimbus_runtime::cleanup::survey(&names);
    assert!(left.is_empty(), "{left:?}");
    assert!(!names.volumes_dir().exists() && !names.snapshots_dir().exists());
}

#[test]
fn a_crash_with_a_mounted_volume_is_swept_at_the_next_start() {
    let Some(rt) = runtime("volcrash") else { return };
    let names = rt.names().clone();
    let mut x = instance("i-x", 5, "public", 10, false);
    x.volumes = vec![att("vol-x", "/dev/sdf")];
    let d = Desired {
        vpcs: vec![vpc(5)],
        instances: vec![x],
        volumes: vec![vol("vol-x", 1, None)],
        snapshots: vec![],
        ..Desired::default()
    };
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-x"]);
    sh(&rt, "i-x", "mkfs.ext4 -q /dev/sdf && mkdir -p /data && mount /dev/sdf /data && echo x > /data/x");
    rt.abandon();
    let left = nimbus_runtime::cleanup::survey(&names);
    assert_eq!(left.loop_devices.len(), 1, "{left:?}");

    let again = runtime("volcrash").expect("same host");
    let left = nimbus_runtime::cleanup::survey(&names);
    assert!(left.is_empty(), "start swept the leftovers: {left:?}");
    assert!(!names.volumes_dir().exists(), "and the files (no --state-dir)");
    drop(again);
    assert!(nimbus_runtime::cleanup::survey(&names).is_empty());
}
