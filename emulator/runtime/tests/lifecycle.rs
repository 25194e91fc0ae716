//! An instance's life: IMDSv2 from inside with curl, the key pair's key for the default
//! user (a real SSH login from another instance), stop keeping the disk, reboot,
//! CreateImage baking what was installed, metrics from the cgroup, and a crash whose
//! leftovers the next start removes. Needs root (see common/mod.rs).

mod common;

use std::time::{Duration, Instant};

use common::*;
use nimbus_runtime::desired::*;
use nimbus_runtime::metrics::Period;

fn sh(rt: &nimbus_runtime::Runtime, id: &str, script: &str) -> (i32, String) {
    rt.exec(id, &["sh", "-c", script]).unwrap()
}

#[test]
fn imds_ssh_stop_start_reboot_bake_and_metrics() {
    let Some(rt) = runtime("life") else { return };
    let mut d = Desired { vpcs: vec![vpc(3)], ..Desired::default() };
    let mut web = instance("i-web", 3, "public", 10, true);
    web.metadata.http_tokens_required = true;
    web.user_data = Some(b"#!/bin/sh\necho from-user-data\n".to_vec());
    let admin = instance("i-admin", 3, "public", 11, false);
    d.instances = vec![web, admin];
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-web", "i-admin"]);

    // IMDSv2 with curl from inside; v1 refused because tokens are required.
    let (code, out) =
        sh(&rt, "i-web", "curl -s -o /dev/null -w '%{http_code}' http://169.254.169.254/latest/meta-data/instance-id");
    assert_eq!((code, out.as_str()), (0, "401"));
    let (code, out) = sh(
        &rt,
        "i-web",
        "T=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token) && \
         curl -s -H \"X-aws-ec2-metadata-token: $T\" http://169.254.169.254/latest/meta-data/instance-id && echo && \
         curl -s -H \"X-aws-ec2-metadata-token: $T\" http://169.254.169.254/latest/meta-data/public-ipv4 && echo && \
         curl -s -H \"X-aws-ec2-metadata-token: $T\" http://169.254.169.254/latest/user-data",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "i-web\n54.0.3.10\n#!/bin/sh\necho from-user-data\n");
    // The token's TTL is the hop limit's business too: responses leave with TTL 1.
    let (_, out) = sh(&rt, "i-admin", "curl -s http://169.254.169.254/latest/meta-data/local-ipv4");
    assert_eq!(out, "10.3.1.11", "v1 works where tokens are optional, and IMDS knows who asks");
    d.instances[1].metadata.http_endpoint_enabled = false;
    rt.converge(&d).unwrap();
    let (_, out) =
        sh(&rt, "i-admin", "curl -s -o /dev/null -w '%{http_code}' http://169.254.169.254/latest/meta-data/");
    assert_eq!(out, "403", "HttpEndpoint disabled");

    // The key pair's public key lets the default user in (ssh from i-admin to i-web).
    let (code, out) = sh(&rt, "i-admin", "ssh-keygen -q -t ed25519 -N '' -f /root/k && cat /root/k.pub");
    assert_eq!(code, 0, "{out}");
    d.instances[0].public_key = Some(out.trim().to_string());
    d.instances[0].key_name = Some("admin-key".into());
    // The key is installed at first boot, as cloud-init does: relaunch web with it.
    let mut relaunched = d.instances[0].clone();
    relaunched.id = "i-web2".into();
    relaunched.private_ip = ip("10.3.1.12");
    relaunched.public_ip = None;
    relaunched.mac = "02:00:0a:03:01:0c".into();
    d.instances.push(relaunched);
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-web2"]);
    let (code, out) = sh(
        &rt,
        "i-admin",
        "ssh -i /root/k -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o BatchMode=yes \
         ec2-user@10.3.1.12 'whoami; sudo -n id -u'",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ec2-user\n0\n"), "{out}");

    // Stop keeps the disk; start boots it again; user data does not run twice.
    let (code, _) = sh(&rt, "i-web", "echo kept > /root/marker");
    assert_eq!(code, 0);
    d.instances[0].power = Power::Stopped;
    rt.converge(&d).unwrap();
    assert!(!rt.report("i-web").unwrap().running);
    d.instances[0].power = Power::Running;
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-web"]);
    assert_eq!(sh(&rt, "i-web", "cat /root/marker").1, "kept\n");
    let console = String::from_utf8(rt.console_output("i-web", 1 << 20).unwrap()).unwrap();
    assert_eq!(console.matches("running 'init'").count(), 2, "two boots on one console log: {console}");
    wait_for(|| {
        String::from_utf8_lossy(&rt.console_output("i-web", 1 << 20).unwrap()).matches("finished at").count() == 2
    });
    let console = String::from_utf8(rt.console_output("i-web", 1 << 20).unwrap()).unwrap();
    assert_eq!(console.matches("from-user-data").count(), 1, "{console}");

    // Reboot: a new generation restarts the sandbox, the disk stays.
    let pid_before = sh(&rt, "i-web", "cat /proc/1/stat | cut -d' ' -f22").1;
    d.instances[0].boot_generation += 1;
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-web"]);
    assert_ne!(sh(&rt, "i-web", "cat /proc/1/stat | cut -d' ' -f22").1, pid_before, "init started again");
    assert_eq!(sh(&rt, "i-web", "cat /root/marker").1, "kept\n");

    // CreateImage bakes what was installed; an instance of the new AMI has it.
    let (code, _) = sh(&rt, "i-web", "mkdir -p /opt/app && echo v1 > /opt/app/version && rm /etc/motd");
    assert_eq!(code, 0);
    let record = rt.capture_image("i-web", "ami-baked", false).unwrap();
    assert_eq!(record.layers.len(), 2);
    wait_ready(&rt, &["i-web"]);
    let mut baked = instance("i-baked", 3, "public", 13, false);
    baked.image_id = "ami-baked".into();
    d.instances.push(baked);
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-baked"]);
    assert_eq!(sh(&rt, "i-baked", "cat /opt/app/version /root/marker").1, "v1\nkept\n");
    assert_ne!(sh(&rt, "i-baked", "test -e /etc/motd").0, 0, "a deletion is baked too");

    // Metrics: a busy loop shows in CPUUtilization.
    let before = rt.sample().into_iter().find(|s| s.instance_id == "i-web").unwrap();
    sh(&rt, "i-web", "timeout 1 sh -c 'while :; do :; done'");
    let after = rt.sample().into_iter().find(|s| s.instance_id == "i-web").unwrap();
    let period = Period::between(&before, &after).unwrap();
    println!("busy second: {period:?}");
    assert!(period.cpu_utilization > 20.0, "{period:?}");
    assert!(after.net_in_packets > 0 && after.memory_bytes > 0, "{after:?}");
    assert_eq!(period.status_check_failed_instance, 0);

    rt.shutdown().unwrap();
    assert!(nimbus_runtime::cleanup::survey(rt.names()).is_empty());
}

fn wait_for(mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "condition not met within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_restart_after_a_crash_removes_the_leftovers() {
    let Some(rt) = runtime("crash") else { return };
    let names = rt.names().clone();
    let d =
        Desired { vpcs: vec![vpc(4)], instances: vec![instance("i-x", 4, "public", 10, true)], ..Desired::default() };
    rt.converge(&d).unwrap();
    wait_ready(&rt, &["i-x"]);
    rt.abandon();
    let left = nimbus_runtime::cleanup::survey(&names);
    assert_eq!(left.containers.len(), 1, "{left:?}");
    assert!(left.namespaces.len() >= 3, "{left:?}");
    assert!(!left.mounts.is_empty() && !left.cgroups.is_empty(), "{left:?}");

    let again = runtime("crash").expect("same host");
    assert!(nimbus_runtime::cleanup::survey(&names).is_empty(), "start swept the leftovers");
    again.converge(&d).unwrap();
    wait_ready(&again, &["i-x"]);
    drop(again);
    assert!(nimbus_runtime::cleanup::survey(&names).is_empty(), "drop removes everything");
}
