//! `soak`: does the memory nimbus keeps stay flat under steady load at constant state?
//!
//! `cargo xtask bench soak [--secs=N]` (or `NIMBUS_SOAK_SECS`; default 600). State loaded
//! at start: the default VPC, 100 tagged instances, 10,000 datapoints of one metric. Then
//! `NIMBUS_SOAK_CONNECTIONS` (default 8) keep-alive connections each repeat a mix that
//! leaves the state as it found it: DescribeVpcs; DescribeInstances of 10 instance ids;
//! CreateTags of the same key and value on one instance (an overwrite); GetMetricData over
//! the loaded hour; CreateSecurityGroup then DeleteSecurityGroup of the group it made.
//! PutMetricData is left out: every datapoint is kept, so it grows the state by design
//! (`NIMBUS_SOAK_GROW=1` puts it in, 20 points a round: a run that must fail, to show the
//! check catches growth).
//!
//! Every `NIMBUS_SOAK_SAMPLE_SECS` (default 10) the connections are closed (and the
//! requests signed afresh), and after a pause for nimbus to drop their buffers, two
//! figures are read: resident memory (VmRSS, split into anonymous and file pages) and
//! the heap in use as glibc's allocator accounts for it (`/_nimbus/health`).
//!
//! The judge is the heap in use: the bytes nimbus allocated and has not freed, which is
//! what a leak grows. Resident memory is printed beside it but cannot judge on its own:
//! a freed chunk stays resident on the allocator's free lists, so RSS follows the peak of
//! transient memory, and a run can show one step of a few pages (a free page touched for
//! the first time) while the heap in use stays flat to the byte band below. Growth is the
//! last sample minus the first after the warm-up (the first tenth of the run, at least one
//! sample), and the peak of the second half of the samples minus the first half's; both
//! must be within the tolerance. Where nimbus cannot read its heap (not glibc), RSS judges,
//! within `RSS_TOLERANCE_KIB`.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::bench::Nimbus;
use crate::bench_cw::put_body_n;
use crate::bench_fixture::{self as fixture, ids, Loaded, V};
use crate::load::{exchange_full, signed_form};
use crate::procmem::Mem;
use crate::Result;

/// Allowed growth of the heap in use. Between samples it moves within a few hundred bytes
/// (timers and per-connection bookkeeping still being dropped) with no trend; a leak of
/// one byte every thousand requests passes this within a minute at the mix's ~10,000
/// requests a second.
const HEAP_TOLERANCE_BYTES: i64 = 4096;

/// Allowed RSS growth where the heap cannot be read: two 4 KiB pages, for a free page
/// touched for the first time.
const RSS_TOLERANCE_KIB: i64 = 8;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    requests: usize,
    errors: usize,
    first_error: Option<String>,
}

/// One connection's share of an interval: the mix, over and over, until `until`.
fn drive(addr: SocketAddr, fixed: Vec<Vec<u8>>, create: Vec<u8>, until: Instant) -> Tally {
    let mut t = Tally::default();
    let Ok(mut conn) = TcpStream::connect(addr) else {
        t.errors += 1;
        t.first_error = Some("connect".into());
        return t;
    };
    let _ = conn.set_nodelay(true);
    let one = |conn: &mut TcpStream, request: &[u8], t: &mut Tally| -> Option<Vec<u8>> {
        match exchange_full(conn, request) {
            Ok((200, body, _)) => {
                t.requests += 1;
                Some(body)
            }
            other => {
                t.errors += 1;
                let what = match other {
                    Ok((status, body, _)) => {
                        format!(
                            "HTTP {status}: {}",
                            String::from_utf8_lossy(&body).chars().take(300).collect::<String>()
                        )
                    }
                    Err(e) => format!("I/O: {e}"),
                };
                t.first_error.get_or_insert(what);
                if let Ok(c) = TcpStream::connect(addr) {
                    *conn = c;
                }
                None
            }
        }
    };
    while Instant::now() < until {
        for request in &fixed {
            one(&mut conn, request, &mut t);
        }
        if let Some(body) = one(&mut conn, &create, &mut t) {
            if let Some(group) = ids(&body, "groupId").first() {
                let delete = signed_form(addr, "ec2", &format!("Action=DeleteSecurityGroup&{V}&GroupId={group}"));
                one(&mut conn, &delete, &mut t);
            }
        }
    }
    t
}

fn interval(addr: SocketAddr, l: &Loaded, connections: usize, length: Duration) -> Tally {
    let until = Instant::now() + length;
    let gmd = fixture::get_metric_data(l.window);
    let grow = std::env::var_os("NIMBUS_SOAK_GROW").is_some_and(|v| v == "1");
    let handles: Vec<_> = (0..connections)
        .map(|c| {
            let some: Vec<String> = l.instance_ids.iter().cycle().skip(c * 10).take(10).cloned().collect();
            let describe: String =
                some.iter().enumerate().map(|(i, id)| format!("&InstanceId.{}={id}", i + 1)).collect();
            let mut fixed = vec![
                signed_form(addr, "ec2", &format!("Action=DescribeVpcs&{V}")),
                signed_form(addr, "ec2", &format!("Action=DescribeInstances&{V}{describe}")),
                signed_form(
                    addr,
                    "ec2",
                    &format!("Action=CreateTags&{V}&ResourceId.1={}&Tag.1.Key=Soak&Tag.1.Value=steady", some[0]),
                ),
                signed_form(addr, "monitoring", &gmd),
            ];
            if grow {
                fixed.push(signed_form(addr, "monitoring", &put_body_n("Grow", 0, 20, None)));
            }
            let create = signed_form(
                addr,
                "ec2",
                &format!("Action=CreateSecurityGroup&{V}&GroupName=soak-{c}&GroupDescription=soak"),
            );
            std::thread::spawn(move || drive(addr, fixed, create, until))
        })
        .collect();
    let mut all = Tally::default();
    for h in handles {
        if let Ok(t) = h.join() {
            all.requests += t.requests;
            all.errors += t.errors;
            if all.first_error.is_none() {
                all.first_error = t.first_error;
            }
        }
    }
    all
}

pub fn soak(args: &[String]) -> Result {
    let secs: u64 = args
        .iter()
        .find_map(|a| a.strip_prefix("--secs="))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| env_or("NIMBUS_SOAK_SECS", 600));
    let sample: u64 = env_or("NIMBUS_SOAK_SAMPLE_SECS", 10).max(1);
    let connections: usize = env_or("NIMBUS_SOAK_CONNECTIONS", 8).max(1);
    let (n, _) = Nimbus::start()?;
    let l = fixture::load(n.addr, 1)?;
    // The tag the mix writes is there from the start, so its writes are overwrites only.
    let all: String = l.instance_ids.iter().enumerate().map(|(i, id)| format!("&ResourceId.{}={id}", i + 1)).collect();
    fixture::call(n.addr, "ec2", &format!("Action=CreateTags&{V}{all}&Tag.1.Key=Soak&Tag.1.Value=steady"))?;
    let idle = n.mem().ok_or("cannot read nimbus's /proc status")?;
    let state_before = state_len(n.addr)?;
    let warmup = (secs / 10).max(sample);
    println!(
        "\nsoak: {secs} s, {connections} connections, a sample every {sample} s, warm-up {warmup} s; state: {} instances, {} datapoints; RSS with the state loaded {:.1} MiB",
        l.instance_ids.len(),
        fixture::METRIC_REQUESTS * 1000,
        idle.rss_mib()
    );
    println!(
        "  {:>6}  {:>10}  {:>10}  {:>10}  {:>10}  {:>12}  {:>10}  {:>7}  {:>9}  {:>6}",
        "t (s)", "RSS KiB", "anon KiB", "file KiB", "peak KiB", "heap used B", "free KiB", "threads", "req/s", "errors"
    );
    let started = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    let mut elapsed = 0;
    while elapsed < secs {
        let length = sample.min(secs - elapsed);
        let t = interval(n.addr, &l, connections, Duration::from_secs(length));
        elapsed += length;
        // The connections are closed; let nimbus drop their buffers before reading its books.
        std::thread::sleep(Duration::from_millis(200));
        let mem = n.mem().ok_or("nimbus is gone")?;
        let heap = heap(n.addr)?;
        errors += t.errors;
        if first_error.is_none() {
            first_error = t.first_error;
        }
        let (used, free) =
            heap.map_or(("-".into(), "-".into()), |h| (h.in_use.to_string(), (h.free / 1024).to_string()));
        println!(
            "  {:>6}  {:>10}  {:>10}  {:>10}  {:>10}  {:>12}  {:>10}  {:>7}  {:>9.0}  {:>6}",
            started.elapsed().as_secs(),
            mem.rss_kib,
            mem.anon_kib,
            mem.file_kib,
            mem.hwm_kib,
            used,
            free,
            mem.threads,
            t.requests as f64 / length as f64,
            t.errors
        );
        samples.push(Sample { at: elapsed, mem, heap });
    }
    let state_after = state_len(n.addr)?;
    let same = if state_before == state_after { "the same" } else { "the state changed" };
    println!("  GET /_nimbus/state: {state_before} bytes of JSON at the start, {state_after} at the end ({same})");
    verdict(&samples, warmup, errors, first_error)
}

struct Sample {
    at: u64,
    mem: Mem,
    heap: Option<Heap>,
}

/// The allocator's books, from `/_nimbus/health` (absent where nimbus cannot read them).
#[derive(Clone, Copy, Debug)]
struct Heap {
    in_use: u64,
    free: u64,
}

fn heap(addr: SocketAddr) -> Result<Option<Heap>> {
    let body = admin_get(addr, "/_nimbus/health")?;
    let health: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("health: {e}"))?;
    let field = |name: &str| health["memory"][name].as_u64();
    Ok(field("heapInUseBytes").zip(field("heapFreeBytes")).map(|(in_use, free)| Heap { in_use, free }))
}

/// The length of nimbus's state dump: the same before and after if the mix kept the
/// state constant (instances settling from pending to running keep the length).
fn state_len(addr: SocketAddr) -> Result<usize> {
    Ok(admin_get(addr, "/_nimbus/state")?.len())
}

/// The body of a `GET` of one of nimbus's admin paths, on a connection of its own.
fn admin_get(addr: SocketAddr, path: &str) -> Result<Vec<u8>> {
    let mut conn = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n");
    let (_, body) = crate::load::exchange(&mut conn, request.as_bytes()).map_err(|e| e.to_string())?;
    Ok(body)
}

fn verdict(samples: &[Sample], warmup: u64, errors: usize, first_error: Option<String>) -> Result {
    let after: Vec<&Sample> = samples.iter().filter(|s| s.at > warmup).collect();
    if after.len() < 2 {
        return Err(format!("too short: {} sample(s) after the {warmup} s warm-up; make the run longer", after.len()));
    }
    // Growth of a series: last minus first, and the peak of the second half minus the
    // peak of the first (a leak that a freed burst hides at the last sample still shows).
    let growth = |value: &dyn Fn(&Sample) -> i64| {
        let half = after.len() / 2;
        let peak = |s: &[&Sample]| s.iter().map(|x| value(x)).max().unwrap_or(0);
        (value(after[after.len() - 1]) - value(after[0]), peak(&after[half..]) - peak(&after[..half]))
    };
    let (rss, rss_peak) = growth(&|s| s.mem.rss_kib as i64);
    println!(
        "  RSS growth after warm-up: {rss:+} KiB first to last, {rss_peak:+} KiB peak of the second half vs the first"
    );
    let heap_known = after.iter().all(|s| s.heap.is_some());
    let (used, used_peak) = growth(&|s| s.heap.map_or(0, |h| h.in_use as i64));
    let (free, _) = growth(&|s| s.heap.map_or(0, |h| h.free as i64));
    if heap_known {
        println!(
            "  heap in use after warm-up: {used:+} B first to last, {used_peak:+} B peak of the second half vs the first; held free: {:+} KiB",
            free / 1024
        );
    }
    println!("  {errors} errors");
    if let Some(e) = first_error {
        println!("  first error: {e}");
    }
    let flat = if heap_known {
        let flat = used <= HEAP_TOLERANCE_BYTES && used_peak <= HEAP_TOLERANCE_BYTES;
        if flat && (rss > RSS_TOLERANCE_KIB || rss_peak > RSS_TOLERANCE_KIB) {
            println!(
                "  RSS moved while the heap in use did not: free pages of the allocator touched for the first time"
            );
        }
        println!("  judged on the heap in use, tolerance {HEAP_TOLERANCE_BYTES} B");
        flat
    } else {
        println!("  the heap cannot be read here: judged on RSS, tolerance {RSS_TOLERANCE_KIB} KiB");
        rss <= RSS_TOLERANCE_KIB && rss_peak <= RSS_TOLERANCE_KIB
    };
    let pass = errors == 0 && flat;
    if pass {
        println!("  soak: PASS");
        Ok(())
    } else {
        Err("soak: FAIL (memory grew beyond the tolerance, or requests failed)".into())
    }
}
