//! Spot Instances: requests (one-time and persistent) and the instances they launch,
//! RunInstances' Spot market options, the Spot price model and its history, and the
//! data feed subscription.

pub mod datafeed;
pub mod describe;
pub mod prices;
pub mod requests;

#[cfg(test)]
mod tests;
