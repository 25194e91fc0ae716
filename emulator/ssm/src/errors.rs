//! SSM's refusals, with the codes (the model's error shapes) and messages AWS answers.

use nimbus_core::ApiError;

/// AWS answers an unknown parameter with no message at all.
pub fn parameter_not_found() -> ApiError {
    ApiError::client("ParameterNotFound", "")
}

pub fn version_not_found(name: &str, version: i64) -> ApiError {
    ApiError::client(
        "ParameterVersionNotFound",
        format!("Systems Manager could not find version {version} of {name}. Verify the version and try again."),
    )
}

pub fn label_not_found(name: &str, label: &str) -> ApiError {
    ApiError::client(
        "ParameterVersionNotFound",
        format!("Systems Manager could not find label {label} of {name}. Verify the label and try again."),
    )
}

pub fn validation(message: impl Into<String>) -> ApiError {
    ApiError::client("ValidationException", message)
}

pub fn already_exists() -> ApiError {
    ApiError::client(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    )
}

/// The message AWS gives every malformed parameter name in PutParameter.
pub fn bad_name() -> ApiError {
    validation(
        "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of \
         sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the \
         following 3 symbols .-_",
    )
}

/// What AWS answers a write under the reserved `aws` prefix (the name without its
/// leading slash).
pub fn reserved_name(name: &str) -> ApiError {
    ApiError::client(
        "AccessDeniedException",
        format!("No access to reserved parameter name: {}.", name.trim_start_matches('/')),
    )
}

/// The message AWS gives a malformed path or parameter name in the reads.
pub fn bad_path() -> ApiError {
    validation(
        "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward \
         slash \"/\". It can't be prefixed with \\\"aws\\\" or \\\"ssm\\\" (case-insensitive). It must use only \
         letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are \
         not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: \
         /get/parameters2-/by1./path0_.",
    )
}

pub fn hierarchy_too_deep() -> ApiError {
    ApiError::client(
        "HierarchyLevelLimitExceededException",
        "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and Constraints for \
         Parameter Names in the AWS Systems Manager User Guide.",
    )
}

pub fn invalid_filter_key(message: impl Into<String>) -> ApiError {
    ApiError::client("InvalidFilterKey", message)
}

pub fn invalid_filter_option(message: impl Into<String>) -> ApiError {
    ApiError::client("InvalidFilterOption", message)
}

pub fn invalid_filter_value(message: impl Into<String>) -> ApiError {
    ApiError::client("InvalidFilterValue", message)
}

pub fn invalid_next_token() -> ApiError {
    ApiError::client("InvalidNextToken", "The specified token isn't valid.")
}
