//! What a paged request asks for, as the model describes it: `MaxResults`, `NextToken`,
//! and the range the model gives `MaxResults`. The code generator gives every request
//! DTO with those two members a `page()` method, so a handler never restates the range.

/// One page's request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
    /// The range the model gives `MaxResults`; `None` where it gives none (the service
    /// then decides, EC2 by taking anything below 1 as 1 and capping at 1,000).
    pub bounds: Option<(i32, i32)>,
}
