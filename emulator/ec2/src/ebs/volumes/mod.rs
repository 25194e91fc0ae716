//! EBS volumes: CreateVolume, DeleteVolume, Attach/DetachVolume, ModifyVolume and its
//! modifications, the volume attributes and status, DescribeVolumes; and the volumes
//! instances launch with (from the image's block-device mapping and the request's),
//! their attachments, DeleteOnTermination.
//!
//! Lifecycles run on nimbus's clock, as NAT gateways' do: a volume is stored `creating`,
//! an attachment `attaching` or `detaching`, a modification `modifying`, each dated in
//! `Ec2State::timestamps`; what is shown is computed (`shown`), and `settle` writes it
//! back before each request. With `transition_delay_secs` at 0 only the changing call's
//! answer shows the transitional state.

pub mod attach;
pub mod create;
pub mod describe;
pub mod lifecycle;
pub mod modify;
pub mod records;
#[cfg(test)]
mod tests;
