//! Security groups and their rules. Rules are kept one per (direction, protocol, port
//! range, peer) with an `sgr-` id, and grouped into AWS's `IpPermissions` shape when
//! described.

pub mod describe;
pub mod groups;
pub mod modify;
pub mod rules;
#[cfg(test)]
mod tests;
