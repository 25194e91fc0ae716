//! EC2's wording for a parameter value it refuses, in one place:
//! `Value (v) for parameter p is invalid.`, then why, as AWS words it.

use std::fmt::Display;

use nimbus_core::ApiError;

use crate::generated::errors;

/// `InvalidParameterValue`: "Value (`value`) for parameter `parameter` is invalid." and,
/// when `why` is not empty, why.
pub fn invalid_value(parameter: &str, value: impl Display, why: &str) -> ApiError {
    let mut message = format!("Value ({value}) for parameter {parameter} is invalid.");
    if !why.is_empty() {
        message.push(' ');
        message.push_str(why);
    }
    errors::invalid_parameter_value(message)
}

/// A value that must be one of `valid` (a list from `generated::enums`, or the subset an
/// operation accepts): refused with "Valid values: a, b, c".
pub fn one_of(parameter: &str, value: &str, valid: &[&str]) -> Result<(), ApiError> {
    if valid.contains(&value) {
        return Ok(());
    }
    Err(invalid_value(parameter, value, &format!("Valid values: {}", valid.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::enums::VOLUME_TYPE;

    #[test]
    fn words_as_aws() {
        assert_eq!(invalid_value("cidrBlock", "x", "").message, "Value (x) for parameter cidrBlock is invalid.");
        let err = one_of("volumeType", "gp9", VOLUME_TYPE).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        assert_eq!(
            err.message,
            "Value (gp9) for parameter volumeType is invalid. Valid values: standard, io1, io2, gp2, sc1, st1, gp3"
        );
        assert!(one_of("volumeType", "gp3", VOLUME_TYPE).is_ok());
    }
}
