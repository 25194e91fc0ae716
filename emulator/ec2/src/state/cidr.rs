//! IPv4 and IPv6 CIDR blocks: parsing as AWS accepts them, containment, overlap,
//! address arithmetic.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    pub addr: u32,
    pub len: u8,
}

impl Ipv4Cidr {
    /// Parses `a.b.c.d/n`; the address must be the network address of the block.
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, len) = s.trim().split_once('/')?;
        let addr: Ipv4Addr = addr.parse().ok()?;
        let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
        let c = Ipv4Cidr { addr: u32::from(addr), len };
        (c.addr & c.mask() == c.addr).then_some(c)
    }

    /// Parses leniently: host bits are cleared (`10.0.0.1/16` -> `10.0.0.0/16`).
    pub fn parse_loose(s: &str) -> Option<Self> {
        let (addr, len) = s.trim().split_once('/')?;
        let addr: Ipv4Addr = addr.parse().ok()?;
        let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
        let mut c = Ipv4Cidr { addr: u32::from(addr), len };
        c.addr &= c.mask();
        Some(c)
    }

    pub fn mask(&self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.len))
        }
    }

    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }

    pub fn contains_addr(&self, a: u32) -> bool {
        a & self.mask() == self.addr
    }

    pub fn contains(&self, other: &Ipv4Cidr) -> bool {
        other.len >= self.len && self.contains_addr(other.addr)
    }

    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.contains_addr(other.addr) || other.contains_addr(self.addr)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv6Cidr {
    pub addr: u128,
    pub len: u8,
}

impl Ipv6Cidr {
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, len) = s.trim().split_once('/')?;
        let addr: Ipv6Addr = addr.parse().ok()?;
        let len: u8 = len.parse().ok().filter(|l| *l <= 128)?;
        let c = Ipv6Cidr { addr: u128::from(addr), len };
        (c.addr & c.mask() == c.addr).then_some(c)
    }

    pub fn mask(&self) -> u128 {
        if self.len == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(self.len))
        }
    }

    pub fn contains(&self, other: &Ipv6Cidr) -> bool {
        other.len >= self.len && other.addr & self.mask() == self.addr
    }

    pub fn overlaps(&self, other: &Ipv6Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}

impl fmt::Display for Ipv6Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv6Addr::from(self.addr), self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_blocks() {
        let vpc = Ipv4Cidr::parse("10.0.0.0/16").unwrap();
        assert_eq!(vpc.size(), 65536);
        assert!(Ipv4Cidr::parse("10.0.0.1/16").is_none());
        assert_eq!(Ipv4Cidr::parse_loose("10.0.0.1/16"), Some(vpc));
        assert!(Ipv4Cidr::parse("10.0.0.0/33").is_none());
        assert!(Ipv4Cidr::parse("10.0.0/16").is_none());
        let a = Ipv4Cidr::parse("10.0.1.0/24").unwrap();
        let b = Ipv4Cidr::parse("10.0.1.128/25").unwrap();
        assert!(vpc.contains(&a) && a.contains(&b) && !b.contains(&a));
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&Ipv4Cidr::parse("10.0.2.0/24").unwrap()));
        assert_eq!(a.to_string(), "10.0.1.0/24");
        assert_eq!(Ipv4Cidr::parse("0.0.0.0/0").unwrap().size(), 1 << 32);
    }

    #[test]
    fn ipv6_blocks() {
        let vpc = Ipv6Cidr::parse("2600:1f18:abcd:ef00::/56").unwrap();
        let s = Ipv6Cidr::parse("2600:1f18:abcd:ef03::/64").unwrap();
        assert!(vpc.contains(&s));
        assert!(Ipv6Cidr::parse("2600:1f18:abcd:ef01::/56").is_none());
    }
}
