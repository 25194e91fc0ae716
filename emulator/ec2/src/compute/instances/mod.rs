//! Instances: RunInstances (network interface, addresses, volumes, tags, metadata
//! options, ...), a lifecycle on nimbus's clock (`pending` -> `running`, `stopping` ->
//! `stopped`, `shutting-down` -> `terminated`, then gone), DescribeInstances,
//! DescribeInstanceStatus, Start/Stop/Reboot/TerminateInstances, split by verb; the
//! settings changed in place after launch (`settings`).

pub mod describe;
pub mod lifecycle;
pub mod run;
pub mod settings;
#[cfg(test)]
mod settings_tests;
pub mod status;
#[cfg(test)]
mod tests;
