//! The one error type on the wire.

use std::fmt;

/// An AWS error as every protocol renders it: a code, a message, an HTTP status and
/// whether the caller is at fault (`Sender`) or the service (`Receiver`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub status: u16,
    pub sender_fault: bool,
    /// Extra members of a modeled error shape (e.g. CloudWatch's
    /// `dashboardValidationMessages`), in the protocol-neutral document form.
    pub details: Option<Box<serde_json::Value>>,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>, status: u16) -> Self {
        ApiError { code: code.into(), message: message.into(), status, sender_fault: status < 500, details: None }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self.sender_fault = status < 500;
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// 400 with the caller at fault: the common case.
    pub fn client(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, message, 400)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("InternalError", message, 500)
    }

    pub fn fault_name(&self) -> &'static str {
        if self.sender_fault {
            "Sender"
        } else {
            "Receiver"
        }
    }

    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        Self::client("InvalidParameterValue", message)
    }

    pub fn missing_parameter(message: impl Into<String>) -> Self {
        Self::client("MissingParameter", message)
    }

    pub fn invalid_action(action: &str) -> Self {
        Self::client("InvalidAction", format!("The action {action} is not valid for this web service."))
    }

    /// A known operation that nimbus does not implement yet.
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        Self::new(
            "NotImplemented",
            format!("The operation {operation} of {service} is not implemented by nimbus yet."),
            501,
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// `api_error!("InvalidVpcID.NotFound", "The vpc ID '{}' does not exist", id)` — a 400.
#[macro_export]
macro_rules! api_error {
    ($code:expr, $($fmt:tt)+) => {
        $crate::ApiError::client($code, format!($($fmt)+))
    };
}
