//! `--instances run` end to end: RunInstances boots a sandbox on the default VPC, its
//! user data runs, sshd answers at its public IP once a security group admits SSH, a
//! revoke closes it again, TerminateInstances and shutdown remove everything. Needs root,
//! runc and nftables (skips with the reason otherwise; fails instead under CI).

mod support;

use std::io::Read;

use base64::Engine as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nimbus_server::config::{Instances, InstancesMode};
use nimbus_server::Config;
use support::{Req, Server};

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

fn ec2(server: &Server, body: &str) -> String {
    let r = server.request(&Req::form("ec2", &format!("{body}&Version=2016-11-15")));
    let text = r.text();
    assert!(r.error_code().is_none(), "{body}: {text}");
    text
}

fn base_rootfs() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = repo.join("target/nimbus-images/debian-bookworm");
    let status =
        std::process::Command::new(repo.join("emulator/runtime/images/build-base.sh")).arg(&out).status().unwrap();
    assert!(status.success(), "building the base image failed");
    out.join("rootfs")
}

fn wait(what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what}: not within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    start.elapsed()
}

#[test]
fn run_instances_boots_a_sandbox_that_follows_the_api() {
    let check = nimbus_runtime::host::check(&format!("s{}probe", std::process::id()));
    if !check.fit() {
        let why = format!("SKIPPED: this host cannot run instances: {}", check.describe());
        assert!(std::env::var_os("CI").is_none(), "{why} (CI must be able to run them)");
        eprintln!("{why}");
        return;
    }
    let prefix = format!("s{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("nimbus-server-instances-{prefix}"));
    let rootfs = base_rootfs();
    let config = Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        instances: Instances {
            mode: InstancesMode::Run,
            prefix: prefix.clone(),
            dir: dir.clone(),
            image: rootfs.clone(),
            metrics_period: Some(Duration::from_secs(2)),
        },
        ..Config::default()
    };
    let server = Server::start(config);
    let runtime = server.app.instances.as_ref().expect("--instances run").runtime.clone();
    let names = runtime.names().clone();

    let images = ec2(&server, "Action=DescribeImages&Owner.1=amazon&Filter.1.Name=name&Filter.1.Value.1=al2023-ami-2023*&Filter.2.Name=architecture&Filter.2.Value.1=x86_64");
    let image = between(&images, "<imageId>", "</imageId>").unwrap().to_string();
    let user_data = "IyEvYmluL3NoCmVjaG8gaGVsbG8tZnJvbS1uaW1idXMK"; // #!/bin/sh echo hello-from-nimbus
    let key = ec2(&server, "Action=CreateKeyPair&KeyName=nimbus-test");
    let material = between(&key, "<keyMaterial>", "</keyMaterial>").unwrap().to_string();
    let key_file = std::env::temp_dir().join(format!("nimbus-test-key-{prefix}"));
    std::fs::write(&key_file, format!("{}\n", material.trim())).unwrap();
    std::fs::set_permissions(&key_file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let run = ec2(
        &server,
        &format!("Action=RunInstances&ImageId={image}&MinCount=1&MaxCount=1&InstanceType=t3.micro&KeyName=nimbus-test&UserData={user_data}&IamInstanceProfile.Name=app-role"),
    );
    let id = between(&run, "<instanceId>", "</instanceId>").unwrap().to_string();
    let booted = wait("ssh ready", || runtime.report(&id).is_some_and(|r| r.ssh_ready));
    println!("RunInstances to sshd listening: {booted:?}");
    let described = ec2(&server, &format!("Action=DescribeInstances&InstanceId.1={id}"));
    let public: std::net::Ipv4Addr = between(&described, "<ipAddress>", "</ipAddress>").unwrap().parse().unwrap();
    wait("user data on the console", || {
        String::from_utf8_lossy(&runtime.console_output(&id, 1 << 16).unwrap_or_default()).contains("hello-from-nimbus")
    });

    // The API answers from the host: GetConsoleOutput is the real boot log, and
    // DescribeInstanceStatus the checks the runtime observed.
    let console = ec2(&server, &format!("Action=GetConsoleOutput&InstanceId={id}"));
    let log =
        base64::engine::general_purpose::STANDARD.decode(between(&console, "<output>", "</output>").unwrap()).unwrap();
    assert!(String::from_utf8_lossy(&log).contains("hello-from-nimbus"), "{}", String::from_utf8_lossy(&log));
    wait("status checks pass", || {
        let status = ec2(&server, &format!("Action=DescribeInstanceStatus&InstanceId.1={id}"));
        between(&status, "<instanceStatus>", "</instanceStatus>").is_some_and(|s| s.contains("<status>ok</status>"))
            && between(&status, "<systemStatus>", "</systemStatus>").is_some_and(|s| s.contains("<status>ok</status>"))
    });

    // IMDS inside: Amazon Linux 2023 images require tokens (v1 is refused), and the
    // instance profile's role credentials, issued by nimbus's STS, sign a
    // GetCallerIdentity that answers the role's assumed-role ARN.
    let imds = "http://169.254.169.254/latest";
    let (_, v1) = runtime
        .exec(&id, &["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", &format!("{imds}/meta-data/instance-id")])
        .unwrap();
    assert_eq!(v1, "401", "IMDSv1 is refused when tokens are required");
    let fetch = format!(
        "t=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' {imds}/api/token); curl -s -H \"X-aws-ec2-metadata-token: $t\" {imds}/meta-data/iam/security-credentials/app-role"
    );
    let (code, creds) = runtime.exec(&id, &["sh", "-c", &fetch]).unwrap();
    assert_eq!(code, 0, "{creds}");
    let creds: serde_json::Value = serde_json::from_str(&creds).unwrap_or_else(|e| panic!("{e}: {creds}"));
    let field = |k: &str| creds[k].as_str().unwrap_or_else(|| panic!("{k} missing: {creds}")).to_string();
    let mut who =
        Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15").header("X-Amz-Security-Token", &field("Token"));
    who.sign = Some(("sts".into(), "us-east-1".into(), field("AccessKeyId"), field("SecretAccessKey")));
    let who = server.request(&who).text();
    assert_eq!(
        between(&who, "<Arn>", "</Arn>"),
        Some(format!("arn:aws:sts::000000000000:assumed-role/app-role/{id}").as_str()),
        "{who}"
    );

    // The default group admits only its own members: SSH from the internet is closed.
    assert!(runtime.connect(public, 22, Duration::from_millis(500)).is_err());
    let groups = ec2(&server, "Action=DescribeSecurityGroups&Filter.1.Name=group-name&Filter.1.Value.1=default");
    let group = between(&groups, "<groupId>", "</groupId>").unwrap().to_string();
    let rule = format!("GroupId={group}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0");
    ec2(&server, &format!("Action=AuthorizeSecurityGroupIngress&{rule}"));
    let opened =
        wait("authorize reaches the instance", || runtime.connect(public, 22, Duration::from_millis(300)).is_ok());
    println!("AuthorizeSecurityGroupIngress to an open port: {opened:?}");
    let mut s = runtime.connect(public, 22, Duration::from_secs(1)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut banner = [0u8; 8];
    s.read_exact(&mut banner).unwrap();
    assert_eq!(&banner, b"SSH-2.0-");
    drop(s);

    // A real SSH login with the key pair's private key, through `nimbus connect` as the
    // ProxyCommand (the host has no route to the instance), as Ansible would connect.
    let proxy = format!("{} --instances-prefix {prefix} connect %h %p", env!("CARGO_BIN_EXE_nimbus"));
    let out = std::process::Command::new("ssh")
        .args(["-i", &key_file.to_string_lossy(), "-o", &format!("ProxyCommand={proxy}")])
        .args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"])
        .args(["-o", "ConnectTimeout=10", &format!("ec2-user@{public}"), "whoami; sudo -n true && echo sudo-ok"])
        .output()
        .expect("ssh");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ec2-user\nsudo-ok\n", "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(&key_file).unwrap();

    ec2(&server, &format!("Action=RevokeSecurityGroupIngress&{rule}"));
    let closed =
        wait("revoke reaches the instance", || runtime.connect(public, 22, Duration::from_millis(300)).is_err());
    println!("RevokeSecurityGroupIngress to a closed port: {closed:?}");

    // AWS/EC2 metrics: a busy loop shows in CPUUtilization, and an alarm on it goes to
    // ALARM, then back to OK once the instance is idle again.
    let cw = |body: &str| {
        let r = server.request(&Req::form("monitoring", &format!("{body}&Version=2010-08-01")));
        assert!(r.error_code().is_none(), "{body}: {}", r.text());
        r.text()
    };
    cw(&format!(
        "Action=PutMetricAlarm&AlarmName=cpu-high&Namespace=AWS%2FEC2&MetricName=CPUUtilization&Dimensions.member.1.Name=InstanceId&Dimensions.member.1.Value={id}&Statistic=Maximum&Period=60&EvaluationPeriods=1&Threshold=10&ComparisonOperator=GreaterThanThreshold"
    ));
    let alarm_state = || {
        let text = cw("Action=DescribeAlarms&AlarmNames.member.1=cpu-high");
        between(&text, "<StateValue>", "</StateValue>").unwrap_or("").to_string()
    };
    let advance = |secs: u32| {
        let r = server.request(&Req::post("/_nimbus/clock", format!("{{\"advanceSeconds\": {secs}}}")));
        assert_eq!(r.status, 200, "{}", r.text());
    };
    // Both vCPUs busy for 4 s (two whole metric periods): well over the threshold even
    // on a loaded machine, where the loops share the host's cores with everything else.
    let busy = "for n in 1 2; do timeout 4 sh -c 'while :; do :; done' & done; wait";
    runtime.exec(&id, &["sh", "-c", busy]).unwrap();
    let now = chrono::Utc::now();
    let start = (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let end = (now + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let stats = format!(
        "Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FEC2&MetricName=CPUUtilization&Dimensions.member.1.Name=InstanceId&Dimensions.member.1.Value={id}&StartTime={start}&EndTime={end}&Period=7200&Statistics.member.1=Maximum"
    );
    let mut busiest = 0.0;
    wait("CPUUtilization reaches CloudWatch", || {
        let text = server.request(&Req::form("monitoring", &stats)).text();
        busiest = between(&text, "<Maximum>", "</Maximum>").and_then(|m| m.parse::<f64>().ok()).unwrap_or(0.0);
        busiest > 10.0
    });
    println!("CPUUtilization maximum while busy: {busiest:.1}%");
    advance(60);
    assert_eq!(alarm_state(), "ALARM", "a busy minute breaches the threshold");
    // Idle now. A sample taken while the loop ran may still be published after the
    // clock moved (the publisher runs on wall time, so under load it lags), and then
    // the next minute still breaches. Each round lets idle samples in and moves a minute
    // on; once a minute holds only idle samples the alarm is OK again.
    let mut rounds = 0;
    let back_to_ok = loop {
        std::thread::sleep(Duration::from_secs(3));
        advance(60);
        rounds += 1;
        let state = alarm_state();
        if state == "OK" || rounds == 10 {
            break state;
        }
    };
    println!("idle minutes until the alarm was OK again: {rounds}");
    assert_eq!(back_to_ok, "OK", "idle minutes do not breach the threshold");
    let list = server
        .request(&Req::form("monitoring", &format!("Action=ListMetrics&Version=2010-08-01&Namespace=AWS%2FEC2&Dimensions.member.1.Name=InstanceId&Dimensions.member.1.Value={id}")))
        .text();
    for name in ["NetworkIn", "NetworkPacketsOut", "DiskWriteBytes", "StatusCheckFailed_Instance"] {
        assert!(list.contains(&format!("<MetricName>{name}</MetricName>")), "{name} missing: {list}");
    }

    // RebootInstances restarts the sandbox (its init starts again); the disk stays.
    let init_started =
        || runtime.exec(&id, &["sh", "-c", "cut -d' ' -f22 /proc/1/stat"]).map(|(_, o)| o).unwrap_or_default();
    let (code, _) = runtime.exec(&id, &["sh", "-c", "echo kept > /root/marker"]).unwrap();
    assert_eq!(code, 0);
    let before = init_started();
    ec2(&server, &format!("Action=RebootInstances&InstanceId.1={id}"));
    wait("the reboot", || {
        let now = init_started();
        !now.is_empty() && now != before && runtime.report(&id).is_some_and(|r| r.ssh_ready)
    });
    assert_eq!(runtime.exec(&id, &["cat", "/root/marker"]).unwrap().1, "kept\n");

    // Bake: a file installed, CreateImage, an instance of the new AMI has it.
    let (code, _) = runtime.exec(&id, &["sh", "-c", "mkdir -p /opt/app && echo baked-v1 > /opt/app/version"]).unwrap();
    assert_eq!(code, 0);
    let created = ec2(&server, &format!("Action=CreateImage&InstanceId={id}&Name=app-v1&NoReboot=true"));
    let baked = between(&created, "<imageId>", "</imageId>").unwrap().to_string();
    let run = ec2(&server, &format!("Action=RunInstances&ImageId={baked}&MinCount=1&MaxCount=1&InstanceType=t3.micro"));
    let replacement = between(&run, "<instanceId>", "</instanceId>").unwrap().to_string();
    wait("the replacement boots", || runtime.report(&replacement).is_some_and(|r| r.ssh_ready));
    let (code, out) = runtime.exec(&replacement, &["cat", "/opt/app/version"]).unwrap();
    assert_eq!((code, out.as_str()), (0, "baked-v1\n"));

    // EBS: a new volume is a blank disk at its device name; formatted, mounted and
    // written on one instance, detached, attached to the other, it has the data; a
    // volume from its snapshot too; DeleteVolume removes its disk.
    let sh = |instance: &str, script: &str| {
        let (code, out) = runtime.exec(instance, &["sh", "-c", script]).unwrap();
        assert_eq!(code, 0, "{instance}: {script}: {out}");
        out
    };
    let zone = between(&described, "<availabilityZone>", "</availabilityZone>").unwrap().to_string();
    let created = ec2(&server, &format!("Action=CreateVolume&AvailabilityZone={zone}&Size=1"));
    let vol = between(&created, "<volumeId>", "</volumeId>").unwrap().to_string();
    let disk = dir.join(&prefix).join("volumes").join(format!("{vol}.img"));
    ec2(&server, &format!("Action=AttachVolume&VolumeId={vol}&InstanceId={id}&Device=/dev/sdf"));
    let attached =
        wait("the volume's device appears", || runtime.exec(&id, &["test", "-b", "/dev/sdf"]).unwrap().0 == 0);
    println!("AttachVolume to a block device in the instance: {attached:?}");
    sh(
        &id,
        "mkfs.ext4 -q /dev/sdf && mkdir -p /data && mount /dev/xvdf /data && echo on-ebs > /data/f && umount /data",
    );
    ec2(&server, &format!("Action=DetachVolume&VolumeId={vol}"));
    wait("the device goes", || runtime.exec(&id, &["test", "-e", "/dev/sdf"]).unwrap().0 != 0);
    advance(60); // detaching -> available
    ec2(&server, &format!("Action=AttachVolume&VolumeId={vol}&InstanceId={replacement}&Device=/dev/sdg"));
    wait("attached to the other", || runtime.exec(&replacement, &["test", "-b", "/dev/sdg"]).unwrap().0 == 0);
    sh(&replacement, "mkdir -p /mnt/v && mount /dev/sdg /mnt/v");
    assert_eq!(sh(&replacement, "cat /mnt/v/f"), "on-ebs\n");
    let snap = ec2(&server, &format!("Action=CreateSnapshot&VolumeId={vol}"));
    let snap = between(&snap, "<snapshotId>", "</snapshotId>").unwrap().to_string();
    advance(3600); // pending -> completed
    let copy = ec2(&server, &format!("Action=CreateVolume&AvailabilityZone={zone}&SnapshotId={snap}"));
    let copy = between(&copy, "<volumeId>", "</volumeId>").unwrap().to_string();
    advance(60); // creating -> available
    ec2(&server, &format!("Action=AttachVolume&VolumeId={copy}&InstanceId={id}&Device=/dev/sdh"));
    wait("the copy's device appears", || runtime.exec(&id, &["test", "-b", "/dev/sdh"]).unwrap().0 == 0);
    assert_eq!(sh(&id, "mkdir -p /mnt/c && mount /dev/sdh /mnt/c && cat /mnt/c/f"), "on-ebs\n");
    ec2(&server, &format!("Action=TerminateInstances&InstanceId.1={replacement}"));
    wait("terminate detaches (no DeleteOnTermination: the volume stays)", || runtime.report(&replacement).is_none());
    assert!(disk.exists());
    advance(60);
    ec2(&server, &format!("Action=DeleteVolume&VolumeId={vol}"));
    wait("DeleteVolume removes the disk", || !disk.exists());

    // A root filesystem of one's own as an AMI (RegisterImage with a file:// location):
    // the base image's files (hard links, used read-only) plus a marker.
    let custom = rootfs.with_file_name(format!("custom-{prefix}"));
    let status = std::process::Command::new("cp").arg("-al").arg(&rootfs).arg(&custom).status().unwrap();
    assert!(status.success());
    std::fs::write(custom.join("etc/custom-marker"), "my own rootfs\n").unwrap();
    let registered =
        ec2(&server, &format!("Action=RegisterImage&Name=my-rootfs&ImageLocation=file://{}", custom.display()));
    let own = between(&registered, "<imageId>", "</imageId>").unwrap().to_string();
    let run = ec2(&server, &format!("Action=RunInstances&ImageId={own}&MinCount=1&MaxCount=1&InstanceType=t3.micro"));
    let from_own = between(&run, "<instanceId>", "</instanceId>").unwrap().to_string();
    wait("an instance of the registered root filesystem boots", || {
        runtime.report(&from_own).is_some_and(|r| r.ssh_ready)
    });
    assert_eq!(runtime.exec(&from_own, &["cat", "/etc/custom-marker"]).unwrap().1, "my own rootfs\n");
    ec2(&server, &format!("Action=TerminateInstances&InstanceId.1={from_own}"));
    wait("terminate removes it", || runtime.report(&from_own).is_none());
    ec2(&server, &format!("Action=DeregisterImage&ImageId={own}"));
    std::fs::remove_dir_all(&custom).unwrap();

    ec2(&server, &format!("Action=TerminateInstances&InstanceId.1={id}"));
    wait("terminate removes the sandbox", || runtime.report(&id).is_none());
    assert!(!nimbus_runtime::cleanup::survey(&names).namespaces.iter().any(|n| n.ends_with(&id)));

    drop(runtime);
    server.stop();
    assert!(nimbus_runtime::cleanup::survey(&names).is_empty(), "{:?}", nimbus_runtime::cleanup::survey(&names));
    assert!(!dir.join(&prefix).exists(), "instance disks and images are removed");
    std::fs::remove_dir(&dir).unwrap();
}
