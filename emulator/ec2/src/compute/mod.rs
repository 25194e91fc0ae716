//! Instances and what launches them: RunInstances and the lifecycle, attributes, IAM
//! instance profiles, launch templates, placement groups, Spot Instances.

pub mod attributes;
pub mod iam_profiles;
pub mod instances;
pub mod launch_templates;
pub mod placement_groups;
pub mod spot;
