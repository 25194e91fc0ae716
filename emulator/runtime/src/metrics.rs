//! What a sandbox used, for AWS/EC2's metrics: CPU time from its cgroup, bytes and packets
//! from its interface, block I/O from its cgroup. Samples are cumulative counters; the
//! metric values for a period are differences between two samples.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Cumulative counters of one instance at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub instance_id: String,
    pub at: SystemTime,
    pub vcpus: u32,
    pub cpu_ns: u64,
    pub memory_bytes: u64,
    pub net_in_bytes: u64,
    pub net_out_bytes: u64,
    pub net_in_packets: u64,
    pub net_out_packets: u64,
    pub disk_read_bytes: u64,
    pub disk_write_bytes: u64,
    pub instance_check_ok: bool,
    pub system_check_ok: bool,
}

/// AWS/EC2 values over the interval between two samples of the same instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Period {
    pub seconds: f64,
    /// Percent of the instance's vCPUs, 0-100.
    pub cpu_utilization: f64,
    pub network_in: u64,
    pub network_out: u64,
    pub network_packets_in: u64,
    pub network_packets_out: u64,
    pub disk_read_bytes: u64,
    pub disk_write_bytes: u64,
    pub status_check_failed_instance: u8,
    pub status_check_failed_system: u8,
}

impl Period {
    pub fn between(before: &Sample, after: &Sample) -> Option<Period> {
        let seconds = after.at.duration_since(before.at).ok()?.as_secs_f64();
        if seconds <= 0.0 {
            return None;
        }
        let cpu = after.cpu_ns.saturating_sub(before.cpu_ns) as f64 / 1e9;
        let cpu_utilization = (cpu / (seconds * f64::from(after.vcpus.max(1))) * 100.0).clamp(0.0, 100.0);
        Some(Period {
            seconds,
            cpu_utilization,
            network_in: after.net_in_bytes.saturating_sub(before.net_in_bytes),
            network_out: after.net_out_bytes.saturating_sub(before.net_out_bytes),
            network_packets_in: after.net_in_packets.saturating_sub(before.net_in_packets),
            network_packets_out: after.net_out_packets.saturating_sub(before.net_out_packets),
            disk_read_bytes: after.disk_read_bytes.saturating_sub(before.disk_read_bytes),
            disk_write_bytes: after.disk_write_bytes.saturating_sub(before.disk_write_bytes),
            status_check_failed_instance: u8::from(!after.instance_check_ok),
            status_check_failed_system: u8::from(!after.system_check_ok),
        })
    }
}

/// `eth0`'s counters as `/proc/PID/net/dev` shows them inside the process's namespace:
/// (rx bytes, rx packets, tx bytes, tx packets).
pub fn interface_counters(pid: i32, ifname: &str) -> Option<(u64, u64, u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok()?;
    parse_net_dev(&text, ifname)
}

fn parse_net_dev(text: &str, ifname: &str) -> Option<(u64, u64, u64, u64)> {
    text.lines().find_map(|line| {
        let (name, rest) = line.split_once(':')?;
        if name.trim() != ifname {
            return None;
        }
        let f: Vec<u64> = rest.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        (f.len() >= 10).then(|| (f[0], f[1], f[8], f[9]))
    })
}

/// Whether something in the process's namespace listens on TCP `port` (sshd on 22).
pub fn listening(pid: i32, port: u16) -> bool {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).unwrap_or_default();
    let want = format!("{port:04X}");
    text.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 3 && f[3] == "0A" && f[1].rsplit(':').next() == Some(want.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn net_dev_and_periods() {
        let text = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0\n";
        assert_eq!(parse_net_dev(text, "eth0"), Some((1000, 10, 2000, 20)));
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let a = Sample {
            instance_id: "i-1".into(),
            at: t0,
            vcpus: 2,
            cpu_ns: 0,
            memory_bytes: 0,
            net_in_bytes: 100,
            net_out_bytes: 0,
            net_in_packets: 1,
            net_out_packets: 0,
            disk_read_bytes: 0,
            disk_write_bytes: 0,
            instance_check_ok: true,
            system_check_ok: true,
        };
        let b = Sample {
            at: t0 + Duration::from_secs(60),
            cpu_ns: 60_000_000_000,
            net_in_bytes: 600,
            instance_check_ok: false,
            ..a.clone()
        };
        let p = Period::between(&a, &b).unwrap();
        assert_eq!(p.cpu_utilization, 50.0, "one of two vCPUs busy for the whole minute");
        assert_eq!(p.network_in, 500);
        assert_eq!(p.status_check_failed_instance, 1);
        assert!(Period::between(&b, &a).is_none());
    }
}
