//! Instances and what launches them: RunInstances and the lifecycle, attributes, IAM
//! instance profiles, launch templates, placement groups, Spot Instances, Capacity Reservations,
//! Dedicated Hosts, EC2 Fleet and Spot Fleet.

pub mod attributes;
pub mod capacity_reservations;
pub mod fleets;
pub mod hosts;
pub mod iam_profiles;
pub mod instances;
pub mod launch_templates;
pub mod placement_groups;
pub mod spot;
