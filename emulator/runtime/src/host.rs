//! Can this host run instances? Checked before `--instances run` starts anything, so a
//! refusal names every missing piece at once instead of failing half-way.

use crate::cgroups;
use crate::cmd;

/// Everything `--instances run` needs that this host lacks (empty: fit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCheck {
    pub missing: Vec<String>,
    pub cgroups: Option<cgroups::Mode>,
}

impl HostCheck {
    pub fn fit(&self) -> bool {
        self.missing.is_empty()
    }

    /// One line naming what is missing.
    pub fn describe(&self) -> String {
        self.missing.join("; ")
    }
}

const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_ADMIN: u32 = 21;

fn effective_caps() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0)
}

/// Checks the host; `probe_ns` names a scratch namespace (with the runtime's prefix) to
/// try namespaces, veths, bridges and nftables in, which is removed again.
pub fn check(probe_ns: &str) -> HostCheck {
    let mut missing = Vec::new();
    let caps = effective_caps();
    let has = |bit: u32| caps & (1 << bit) != 0;
    if !(has(CAP_SYS_ADMIN) && has(CAP_NET_ADMIN)) {
        missing.push("root or the CAP_SYS_ADMIN and CAP_NET_ADMIN capabilities (run nimbus as root)".to_string());
    }
    for (program, package) in
        [("ip", "iproute2"), ("nsenter", "util-linux"), ("nft", "nftables"), ("runc", "runc"), ("mount", "mount")]
    {
        if !cmd::exists(program) {
            missing.push(format!("the `{program}` program (Debian package {package})"));
        }
    }
    let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if !filesystems.lines().any(|l| l.trim_end().ends_with("overlay")) {
        missing.push("the overlay filesystem (modprobe overlay)".to_string());
    }
    let cgroups = cgroups::detect();
    if cgroups.is_none() {
        missing.push(
            "cgroups: neither v2 with the cpu and memory controllers nor v1 cpuacct and memory hierarchies are mounted"
                .to_string(),
        );
    }
    if !std::path::Path::new("/proc/self/ns/net").exists() {
        missing.push("network namespaces (a kernel with CONFIG_NET_NS)".to_string());
    } else if missing.is_empty() {
        if let Err(what) = probe(probe_ns) {
            missing.push(what);
        }
        let _ = crate::net::ns::delete(probe_ns);
    }
    HostCheck { missing, cgroups }
}

/// Tries what the network needs in a scratch namespace.
fn probe(ns: &str) -> Result<(), String> {
    crate::net::ns::create(ns).map_err(|e| format!("network namespaces: {e}"))?;
    cmd::ip_in(ns, &["link", "add", "probe0", "type", "bridge"])
        .map_err(|e| format!("bridges (CONFIG_BRIDGE): {e}"))?;
    cmd::ip_in(ns, &["link", "add", "probe1", "type", "veth", "peer", "name", "probe2"])
        .map_err(|e| format!("veth pairs (CONFIG_VETH): {e}"))?;
    cmd::nft_in(
        ns,
        "table inet probe {\n chain c { type filter hook input priority 0; ct state established accept; }\n chain n { type nat hook postrouting priority 100; masquerade; }\n}\n",
    )
    .map_err(|e| format!("nftables with conntrack and NAT (nf_tables, nf_conntrack, nf_nat): {e}"))?;
    Ok(())
}
