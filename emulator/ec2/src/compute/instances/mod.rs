//! Instances: RunInstances (network interface, addresses, volumes, tags, metadata
//! options, ...), a lifecycle on nimbus's clock (`pending` -> `running`, `stopping` ->
//! `stopped`, `shutting-down` -> `terminated`, then gone), DescribeInstances,
//! DescribeInstanceStatus, Start/Stop/Reboot/TerminateInstances, split by verb.

pub mod describe;
pub mod lifecycle;
pub mod run;
pub mod status;
#[cfg(test)]
mod tests;
