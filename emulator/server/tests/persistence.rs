//! `--state-dir`: the cloud survives a restart, a replayed journal rebuilds exactly the
//! state the running server had, `kill -9` under load loses no acknowledged write, and
//! `nimbus state export|import` moves a cloud.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nimbus_server::Config;
use support::{Req, Resp, Server};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nimbus-persist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn with_state_dir(dir: &Path) -> Config {
    Config { addr: "127.0.0.1:0".parse().unwrap(), state_dir: Some(dir.to_path_buf()), ..Config::default() }
}

/// The text of the first `<tag>` in an XML answer.
fn first(resp: &Resp, tag: &str) -> String {
    let text = resp.text();
    let open = format!("<{tag}>");
    let start = text.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {text}")) + open.len();
    let end = text[start..].find('<').unwrap() + start;
    text[start..end].to_string()
}

fn ok(server: &Server, req: Req) -> Resp {
    let r = server.request(&req);
    assert_eq!(r.status, 200, "{}", r.text());
    r
}

fn ec2(body: &str) -> Req {
    Req::form("ec2", &format!("{body}&Version=2016-11-15"))
}

/// A bit of everything: VPC pieces, an instance, a key pair, metrics, an alarm, a
/// dashboard, temporary credentials.
fn build_a_cloud(s: &Server) {
    // A read is the first request: it sets up the partition (the default VPC), so it is
    // journaled, and the tag on the default VPC replays onto the same VPC.
    let default_vpc = first(&ok(s, ec2("Action=DescribeVpcs")), "vpcId");
    ok(s, ec2(&format!("Action=CreateTags&ResourceId.1={default_vpc}&Tag.1.Key=Name&Tag.1.Value=default")));
    // Refused calls replay to the same refusal.
    let refused = s.request(&ec2("Action=CreateSubnet&VpcId=vpc-00000000000000000&CidrBlock=10.0.0.0%2F24"));
    assert_eq!(refused.error_code().as_deref(), Some("InvalidVpcID.NotFound"));
    let dry = s.request(&ec2("Action=CreateVpc&CidrBlock=10.6.0.0%2F16&DryRun=true"));
    assert_eq!(dry.error_code().as_deref(), Some("DryRunOperation"));
    let vpc = first(&ok(s, ec2("Action=CreateVpc&CidrBlock=10.7.0.0%2F16")), "vpcId");
    let subnet = first(&ok(s, ec2(&format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.7.1.0%2F24"))), "subnetId");
    let sg = first(
        &ok(s, ec2(&format!("Action=CreateSecurityGroup&GroupName=web&GroupDescription=web&VpcId={vpc}"))),
        "groupId",
    );
    ok(s, ec2(&format!("Action=AuthorizeSecurityGroupIngress&GroupId={sg}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443&IpPermissions.1.ToPort=443&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0")));
    ok(s, ec2(&format!("Action=CreateTags&ResourceId.1={vpc}&Tag.1.Key=Name&Tag.1.Value=kept")));
    let igw = first(&ok(s, ec2("Action=CreateInternetGateway")), "internetGatewayId");
    ok(s, ec2(&format!("Action=AttachInternetGateway&InternetGatewayId={igw}&VpcId={vpc}")));
    ok(s, ec2("Action=CreateKeyPair&KeyName=deploy"));
    let image = first(&ok(s, ec2("Action=DescribeImages&Owner.1=amazon")), "imageId");
    ok(s, ec2(&format!("Action=RunInstances&ImageId={image}&MinCount=2&MaxCount=2&InstanceType=t3.micro&SubnetId={subnet}&KeyName=deploy")));
    ok(s, ec2("Action=AllocateAddress&Domain=vpc"));
    ok(s, ec2("Action=CreateVolume&AvailabilityZone=us-east-1a&Size=8"));
    let put = r#"{"Namespace":"App","MetricData":[{"MetricName":"Latency","Value":12.5,"Unit":"Milliseconds"},{"MetricName":"Latency","Values":[1,2,3],"Counts":[1,1,2]},{"MetricName":"Load","StatisticValues":{"SampleCount":2,"Sum":3,"Minimum":1,"Maximum":2}}]}"#;
    ok(s, Req::json("PutMetricData", put.as_bytes()));
    ok(s, Req::form("monitoring", "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=slow&Namespace=App&MetricName=Latency&Statistic=Average&Period=60&EvaluationPeriods=1&Threshold=100&ComparisonOperator=GreaterThanThreshold"));
    ok(s, Req::form("monitoring", "Action=PutCompositeAlarm&Version=2010-08-01&AlarmName=any&AlarmRule=ALARM(slow)"));
    let body = r#"{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"hi"}}]}"#;
    ok(
        s,
        Req::json(
            "PutDashboard",
            format!(r#"{{"DashboardName":"ops","DashboardBody":{}}}"#, serde_json::to_string(body).unwrap()).as_bytes(),
        ),
    );
    ok(s, Req::form("sts", "Action=GetSessionToken&Version=2011-06-15"));
}

/// Fails with the paths where two state dumps differ (they are too large to print).
fn assert_same(got: &serde_json::Value, want: &serde_json::Value, what: &str) {
    fn walk(a: &serde_json::Value, b: &serde_json::Value, at: String, out: &mut Vec<String>) {
        use serde_json::Value::{Array, Object};
        match (a, b) {
            (Object(x), Object(y)) => {
                // `Bytes` is a series' allocated capacity, which a restore trims.
                for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))).filter(|k| *k != "Bytes") {
                    let null = serde_json::Value::Null;
                    walk(x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), format!("{at}/{k}"), out);
                }
            }
            (Array(x), Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    walk(p, q, format!("{at}/{i}"), out);
                }
            }
            _ if a != b => out.push(format!("{at}: {a} != {b}")),
            _ => {}
        }
    }
    let mut diffs = Vec::new();
    walk(got, want, String::new(), &mut diffs);
    diffs.truncate(12);
    assert!(diffs.is_empty(), "{what}:\n{}", diffs.join("\n"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_replayed_journal_rebuilds_exactly_the_running_cloud() {
    let dir = scratch("replay");
    let s = Server::start(with_state_dir(&dir));
    build_a_cloud(&s);
    let running = s.state();
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.lines().count() > 15, "every acknowledged change is journaled:\n{journal}");
    assert!(!journal.contains("DescribeImages"), "reads are not journaled");

    // A copy taken while the server runs: what a crash would leave.
    let copy = scratch("replay-copy");
    copy_dir(&dir, &copy);
    let replayed = Server::start(with_state_dir(&copy));
    assert_same(&replayed.state(), &running, "replaying the journal gives the same cloud");
    let health: serde_json::Value =
        serde_json::from_slice(&replayed.request(&Req::get("/_nimbus/health")).body).unwrap();
    assert_eq!(health["persistence"]["diverged"], 0, "{health}");
    assert!(health["persistence"]["replayed"].as_u64().unwrap() > 15, "{health}");

    // A clean stop folds the journal into the snapshot.
    s.stop();
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert_eq!(journal.lines().count(), 1, "only the header is left: {journal}");
    let restarted = Server::start(with_state_dir(&dir));
    assert_same(&restarted.state(), &running, "the snapshot gives the same cloud");

    // Temporary credentials keep working across the restart.
    let token = replayed.request(&Req::form("sts", "Action=GetSessionToken&Version=2011-06-15"));
    let (ak, sk, session) =
        (first(&token, "AccessKeyId"), first(&token, "SecretAccessKey"), first(&token, "SessionToken"));
    drop(replayed);
    let again = Server::start(with_state_dir(&copy));
    let mut who =
        Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15").header("X-Amz-Security-Token", &session);
    who.sign = Some(("sts".into(), "us-east-1".into(), ak, sk));
    let r = again.request(&who);
    assert_eq!(r.status, 200, "{}", r.text());
    for d in [dir, copy] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn clock_moves_and_resets_are_journaled() {
    let dir = scratch("admin");
    let s = Server::start(with_state_dir(&dir));
    ok(&s, ec2("Action=CreateVpc&CidrBlock=10.9.0.0%2F16"));
    assert_eq!(s.request(&Req::post("/_nimbus/reset", "")).status, 200);
    ok(&s, ec2("Action=CreateVpc&CidrBlock=10.8.0.0%2F16"));
    ok(&s, Req::form("monitoring", "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=hot&Namespace=A&MetricName=T&Statistic=Maximum&Period=60&EvaluationPeriods=1&Threshold=10&ComparisonOperator=GreaterThanThreshold"));
    ok(&s, Req::json("PutMetricData", br#"{"Namespace":"A","MetricData":[{"MetricName":"T","Value":99}]}"#));
    assert_eq!(s.request(&Req::post("/_nimbus/clock", r#"{"advanceSeconds": 90}"#)).status, 200);
    // A read runs the evaluations that fell due: that read is journaled too.
    let alarms = ok(&s, Req::form("monitoring", "Action=DescribeAlarms&Version=2010-08-01"));
    assert!(alarms.text().contains("<StateValue>ALARM</StateValue>"), "{}", alarms.text());
    let running = s.state();
    let copy = scratch("admin-copy");
    copy_dir(&dir, &copy);
    // A crash mid-write leaves a partial last line: never acknowledged, so dropped.
    let mut journal = std::fs::OpenOptions::new().append(true).open(copy.join("journal.jsonl")).unwrap();
    journal.write_all(br#"{"seq":99,"kind":"call","service":"ec2","operation":"CreateV"#).unwrap();
    drop(journal);
    let replayed = Server::start(with_state_dir(&copy));
    assert_same(&replayed.state(), &running, "clock and reset");
    let clock: serde_json::Value = serde_json::from_slice(&replayed.request(&Req::get("/_nimbus/clock")).body).unwrap();
    assert_eq!(clock["offsetSeconds"], 90.0);
    for d in [dir, copy] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn a_bad_state_dir_is_refused_with_a_clear_message() {
    let dir = scratch("bad");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("snapshot.json"), r#"{"format":"nimbus-state","version":99}"#).unwrap();
    let err = nimbus_server::App::open(with_state_dir(&dir)).err().unwrap();
    assert!(err.contains("version 99"), "{err}");
    std::fs::write(dir.join("snapshot.json"), "").unwrap();
    std::fs::write(dir.join("journal.jsonl"), "{\"format\":\"nimbus-journal\",\"version\":1}\nnot json\n{}\n").unwrap();
    std::fs::remove_file(dir.join("snapshot.json")).unwrap();
    let err = nimbus_server::App::open(with_state_dir(&dir)).err().unwrap();
    assert!(err.contains("line 2"), "{err}");
    // A directory in use is refused rather than shared.
    std::fs::remove_dir_all(&dir).unwrap();
    let first = nimbus_server::App::open(with_state_dir(&dir)).unwrap();
    let err = nimbus_server::App::open(with_state_dir(&dir)).err().unwrap();
    assert!(err.contains("in use by another nimbus"), "{err}");
    drop(first);
    let _ = std::fs::remove_dir_all(dir);
}

/// The `nimbus` binary on a state directory, its address read from its log.
struct Nimbus {
    child: Child,
    addr: SocketAddr,
}

impl Nimbus {
    fn start(dir: &Path) -> Nimbus {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nimbus"))
            .args(["--port", "0", "--log-format", "text", "--state-dir"])
            .arg(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut log = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let addr = loop {
            line.clear();
            assert!(log.read_line(&mut line).unwrap() > 0, "nimbus exited before listening");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().parse().unwrap();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
        Nimbus { child, addr }
    }

    fn request(&self, req: &Req) -> Option<Resp> {
        let mut s = TcpStream::connect(self.addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.write_all(&req.to_bytes(self.addr)).ok()?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).ok()?;
        raw.windows(4).any(|w| w == b"\r\n\r\n").then(|| support::parse_response(&raw))
    }
}

impl Drop for Nimbus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_write() {
    let dir = scratch("kill");
    let nimbus = Arc::new(Nimbus::start(&dir));
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (nimbus, acknowledged, stop) = (nimbus.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let name = format!("w{w}-{n}");
                    let req = ec2(&format!("Action=CreateSecurityGroup&GroupName={name}&GroupDescription=load"));
                    match nimbus.request(&req) {
                        Some(r) if r.status == 200 => acknowledged.lock().unwrap().push((name, first(&r, "groupId"))),
                        Some(r) => panic!("{}", r.text()),
                        None => break,
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 200 {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL, with writes in flight.
    let pid = nimbus.child.id().to_string();
    assert!(Command::new("kill").args(["-9", &pid]).status().unwrap().success());
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    drop(nimbus);
    let acknowledged = acknowledged.lock().unwrap().clone();

    let restarted = Nimbus::start(&dir);
    let r = restarted
        .request(&ec2("Action=DescribeSecurityGroups&Filter.1.Name=description&Filter.1.Value.1=load"))
        .unwrap();
    assert_eq!(r.status, 200);
    let text = r.text();
    for (name, id) in &acknowledged {
        assert!(text.contains(id) && text.contains(name), "acknowledged {name} ({id}) is missing after kill -9");
    }
    drop(restarted);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn state_export_and_import_move_a_cloud() {
    let dir = scratch("export");
    let s = Server::start(with_state_dir(&dir));
    build_a_cloud(&s);
    let running = s.state();
    let file = scratch("export-file");
    let nimbus = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_nimbus")).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // Export reads a directory a server is using, without disturbing it.
    nimbus(&["state", "export", "--state-dir", dir.to_str().unwrap(), "--out", file.to_str().unwrap()]);
    let elsewhere = scratch("import");
    nimbus(&["state", "import", file.to_str().unwrap(), "--state-dir", elsewhere.to_str().unwrap()]);
    let out = Command::new(env!("CARGO_BIN_EXE_nimbus"))
        .args(["state", "import", file.to_str().unwrap(), "--state-dir", elsewhere.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--force"));
    let moved = Server::start(with_state_dir(&elsewhere));
    assert_same(&moved.state(), &running, "export and import");
    drop(s);
    for d in [dir, elsewhere, file] {
        let _ = std::fs::remove_dir_all(&d);
        let _ = std::fs::remove_file(&d);
    }
}

#[test]
fn a_seeded_nimbus_makes_the_same_ids_across_a_restart() {
    let vpc = |s: &Server| first(&ok(s, ec2("Action=CreateVpc&CidrBlock=10.9.0.0/16")), "vpcId");
    // The ids an uninterrupted seeded nimbus makes.
    let reference =
        Server::start(Config { addr: "127.0.0.1:0".parse().unwrap(), id_seed: Some(7), ..Config::default() });
    let want = (vpc(&reference), vpc(&reference));

    let dir = scratch("seed");
    let seeded = |dir: &Path| Config { id_seed: Some(7), ..with_state_dir(dir) };
    let s = Server::start(seeded(&dir));
    let first_vpc = vpc(&s);
    // A copy of the directory as the running server left it: recovery replays the journal.
    let copy = scratch("seed-copy");
    copy_dir(&dir, &copy);
    // A clean stop folds the journal into the snapshot: recovery restores that.
    s.stop();
    let from_snapshot = Server::start(seeded(&dir));
    let from_journal = Server::start(seeded(&copy));
    assert_eq!((first_vpc, vpc(&from_snapshot)), want, "restarted from the snapshot");
    assert_eq!(vpc(&from_journal), want.1, "restarted from the journal");
    for d in [dir, copy] {
        let _ = std::fs::remove_dir_all(d);
    }
}
