//! EC2 Fleet and Spot Fleet: one engine (`engine.rs`) that turns launch template configs
//! (or Spot Fleet launch specifications) into capacity pools (`pools.rs`), launches into
//! them through RunInstances by the allocation strategy and nimbus's price model, and
//! keeps `maintain` fleets at their target; each API's handlers answer in its own terms.

pub mod common;
pub mod ec2_describe;
pub mod ec2_fleet;
pub mod engine;
pub mod pools;
pub mod spot_describe;
pub mod spot_fleet;

#[cfg(test)]
mod tests;
