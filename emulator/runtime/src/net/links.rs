//! Point-to-point links between namespaces nimbus made (router to internet, router to
//! router for peering): a veth pair with a /30 from 169.254.0.0/16, below 169.254.169.0
//! so IMDS's address is never one of them. Nothing of it touches the host's namespace:
//! both ends are created directly inside their namespaces.

use std::net::Ipv4Addr;

use crate::cmd;
use crate::error::{Result, RuntimeError};

/// Allocates /30 link networks; a freed one is reused.
#[derive(Debug, Default)]
pub struct LinkAlloc {
    used: std::collections::BTreeSet<u32>,
}

/// Both ends of a link: (namespace, interface, address).
#[derive(Debug, Clone)]
pub struct Link {
    pub index: u32,
    pub a: (String, String, Ipv4Addr),
    pub b: (String, String, Ipv4Addr),
}

const MAX_LINKS: u32 = 168 * 64;

impl LinkAlloc {
    pub fn take(&mut self) -> Result<u32> {
        let free = (0..MAX_LINKS).find(|i| !self.used.contains(i));
        let i = free.ok_or_else(|| RuntimeError::Invalid("no link networks left in 169.254.0.0/16".into()))?;
        self.used.insert(i);
        Ok(i)
    }

    pub fn release(&mut self, index: u32) {
        self.used.remove(&index);
    }
}

/// The two addresses of link `index`: 169.254.(1 + i/64).(4*(i%64) + 1 and 2).
pub fn addresses(index: u32) -> (Ipv4Addr, Ipv4Addr) {
    let third = 1 + index / 64;
    let fourth = (index % 64) * 4;
    (Ipv4Addr::new(169, 254, third as u8, (fourth + 1) as u8), Ipv4Addr::new(169, 254, third as u8, (fourth + 2) as u8))
}

/// Makes the veth pair `a_if`@`a_ns` <-> `b_if`@`b_ns` with link `index`'s addresses.
pub fn create(index: u32, a_ns: &str, a_if: &str, b_ns: &str, b_if: &str) -> Result<Link> {
    let (a_addr, b_addr) = addresses(index);
    cmd::ip_in(a_ns, &["link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b_ns])?;
    for (ns, ifname, addr) in [(a_ns, a_if, a_addr), (b_ns, b_if, b_addr)] {
        cmd::ip_in(ns, &["addr", "add", &format!("{addr}/30"), "dev", ifname])?;
        cmd::ip_in(ns, &["link", "set", ifname, "up"])?;
    }
    Ok(Link { index, a: (a_ns.to_string(), a_if.to_string(), a_addr), b: (b_ns.to_string(), b_if.to_string(), b_addr) })
}

/// Removes a link (deleting one end removes both); a namespace already gone took it along.
pub fn delete(link: &Link) {
    let (ns, ifname, _) = &link.a;
    if crate::net::ns::exists(ns) {
        let _ = cmd::ip_in(ns, &["link", "del", ifname]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_addresses_stay_clear_of_imds() {
        assert_eq!(addresses(0), (Ipv4Addr::new(169, 254, 1, 1), Ipv4Addr::new(169, 254, 1, 2)));
        assert_eq!(addresses(65), (Ipv4Addr::new(169, 254, 2, 5), Ipv4Addr::new(169, 254, 2, 6)));
        let (a, b) = addresses(MAX_LINKS - 1);
        assert_eq!(a.octets()[2], 168);
        assert_eq!(b, Ipv4Addr::new(169, 254, 168, 254));
        let mut alloc = LinkAlloc::default();
        assert_eq!(alloc.take().unwrap(), 0);
        assert_eq!(alloc.take().unwrap(), 1);
        alloc.release(0);
        assert_eq!(alloc.take().unwrap(), 0);
    }
}
