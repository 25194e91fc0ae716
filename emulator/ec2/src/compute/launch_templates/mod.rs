//! Launch templates and their numbered versions. A version keeps its data as it was
//! given (`RequestLaunchTemplateData`, not validated, as at AWS) and answers it in the
//! response shape (`ResponseLaunchTemplateData`: the same members). RunInstances resolves
//! a `LaunchTemplate` specification with `resolve` and applies it with
//! `merge_into_run_request`.

pub mod data;
pub mod describe;
pub mod manage;
pub mod records;
#[cfg(test)]
mod tests;
