//! Instances boot as EC2's do: user data on the console, the key pair's key for the
//! default user, sshd answering, IMDS from inside, stop keeping the disk, reboot, bake.
//! Needs root (see common/mod.rs).

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::*;
use nimbus_runtime::desired::*;

#[test]
fn an_instance_boots_runs_its_user_data_and_answers_ssh() {
    let Some(rt) = runtime("boot") else { return };
    let mut web = instance("i-web", 1, "public", 10, true);
    web.user_data = Some(
        b"#cloud-config\nwrite_files:\n  - path: /etc/nimbus-test\n    content: baked-in\nruncmd:\n  - echo user-data-ran-$(cat /etc/nimbus-test)\n"
            .to_vec(),
    );
    let desired = Desired { vpcs: vec![vpc(1)], instances: vec![web.clone()], ..Desired::default() };
    let started = Instant::now();
    let reports = rt.converge(&desired).expect("converge");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].error, None);
    let ready = wait_ready(&rt, &["i-web"]);
    println!("launch to sshd listening: {:?} (converge {:?})", started.elapsed(), started.elapsed() - ready);

    // sshd answers through the internet gateway at the public address.
    let mut stream = rt.connect(ip("54.0.1.10"), 22, Duration::from_secs(2)).expect("connect to the public IP");
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut banner = [0u8; 8];
    stream.read_exact(&mut banner).unwrap();
    assert_eq!(&banner, b"SSH-2.0-");

    // User data ran once, its output on the console.
    let deadline = Instant::now() + Duration::from_secs(20);
    let console = loop {
        let c = String::from_utf8_lossy(&rt.console_output("i-web", 1 << 16).unwrap()).into_owned();
        if c.contains("finished at") || Instant::now() > deadline {
            break c;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(console.contains("user-data-ran-baked-in"), "{console}");
    assert!(console.contains("-----BEGIN SSH HOST KEY FINGERPRINTS-----"), "{console}");
    let report = rt.report("i-web").unwrap();
    assert!(report.running && report.instance_check_ok && report.system_check_ok, "{report:?}");
    assert!(
        host_mentions(&["10.1.", "54.0.1.", "169.254.169.254"]).is_empty(),
        "{:?}",
        host_mentions(&["10.1.", "54.0.1."])
    );

    let left = rt.shutdown().unwrap();
    assert!(!left.namespaces.is_empty());
    assert!(
        nimbus_runtime::cleanup::survey(rt.names()).is_empty(),
        "{:?}",
        nimbus_runtime::cleanup::survey(rt.names())
    );
}
