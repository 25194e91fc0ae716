//! The generated `Filter` DTO to the core filter engine, with EC2's error.

use nimbus_core::filter::{self, Filterable};
use nimbus_core::ApiError;

use crate::generated::dto::Filter;
use crate::generated::errors;

pub fn apply<T: Filterable + Clone>(
    items: impl IntoIterator<Item = T>,
    filters: Option<&[Filter]>,
) -> Result<Vec<T>, ApiError> {
    let filters: Vec<filter::Filter> = filters
        .unwrap_or_default()
        .iter()
        .map(|f| filter::Filter {
            name: f.name.clone().unwrap_or_default(),
            values: f.values.clone().unwrap_or_default(),
        })
        .collect();
    filter::apply(items, &filters)
        .map_err(|e| errors::invalid_parameter_value(format!("The filter '{}' is invalid", e.0)))
}
