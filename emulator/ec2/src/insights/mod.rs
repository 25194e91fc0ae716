//! Network Insights (Reachability Analyzer): paths between two resources and analyses
//! that walk the partition's own network between them (`walk/`), answering whether the
//! destination is reachable, by which components, or which component blocks it and
//! why, in AWS's explanation codes.

pub mod analyses;
pub mod paths;
#[cfg(test)]
mod tests;
pub mod walk;
