//! Strict encoding: in debug builds, an output document that does not fit its shape is
//! a bug in the handler that wrote it, and fails loudly instead of being trimmed.
//!
//! The encoders walk the output shape and write only what it has, so a misspelt key, a
//! member of the wrong structure or a value of the wrong kind would otherwise vanish
//! from a 200 answer without a word. `debug_assertions` rather than `cfg(test)`: only
//! this crate's own unit tests see `cfg(test)`, while the server's integration tests,
//! the other crates' tests and the debug `nimbus` the conformance suite drives build
//! nimbus-core as a plain dependency. Release builds keep trimming silently.
//!
//! The check is protocol-neutral (it walks the document against the shape, as every
//! encoder does), so it holds for ec2, awsQuery, awsJson1_0 and RPC v2 CBOR alike. Its
//! panic names the operation, the path and the key; the dispatcher answers it as
//! `InternalError`.

use serde_json::Value;

use crate::model::{Protocol, ServiceModel, ShapeId, ShapeKind};

/// Whether strict encoding is on in this build.
pub const ENABLED: bool = cfg!(debug_assertions);

/// Panics (in debug builds) when `value` has a key or a value its shape does not have.
/// `what` names the document: the operation, or the error code.
pub fn check(model: &'static ServiceModel, what: &str, shape: Option<ShapeId>, value: &Value) {
    if !ENABLED {
        return;
    }
    let result = match shape {
        Some(shape) => misfit(model, shape, value, ""),
        None if value.as_object().is_some_and(|o| o.values().all(Value::is_null)) || value.is_null() => None,
        None => Some(Misfit { path: String::new(), problem: "is written, but the operation has no output".into() }),
    };
    if let Some(m) = result {
        panic!("strict encoding: {} of {what}: {} {}", model.service_id, show(&m.path), m.problem);
    }
}

/// Panics (in debug builds) when an error's details would not be written: they do not
/// fit the modeled error shape, or there is no modeled shape (or, in EC2's protocol,
/// no place at all) for them.
pub fn check_error_details(
    service: Option<&'static ServiceModel>,
    protocol: Protocol,
    code: &str,
    modeled: Option<(&'static ServiceModel, ShapeId)>,
    details: &Value,
) {
    if !ENABLED {
        return;
    }
    let service_id = service.map_or("unknown service", |m| m.service_id);
    match modeled {
        Some((model, shape)) if protocol != Protocol::Ec2 => check(model, &format!("error {code}"), Some(shape), details),
        _ => panic!(
            "strict encoding: {service_id} error {code} carries details {details}, but {} has no modeled error shape for them",
            protocol.name()
        ),
    }
}

fn show(path: &str) -> String {
    if path.is_empty() {
        "the document".into()
    } else {
        format!("'{path}'")
    }
}

/// Where a document leaves its shape, and how.
#[derive(Debug, PartialEq)]
pub struct Misfit {
    pub path: String,
    pub problem: String,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The first place where `value` does not fit `shape`, if any: a key the structure
/// has no member for, or a value of another kind than the shape's.
pub fn misfit(model: &'static ServiceModel, shape: ShapeId, value: &Value, path: &str) -> Option<Misfit> {
    let s = model.shape(shape);
    let wrong = |expected: &str| {
        Some(Misfit {
            path: path.to_string(),
            problem: format!("is {}, but shape {} wants {expected}", kind(value), s.name),
        })
    };
    match (&s.kind, value) {
        (ShapeKind::Structure(st), Value::Object(obj)) => {
            for (key, v) in obj {
                let member_path = super::join_path(path, key);
                let Some(member) = st.members.iter().find(|m| m.name == key) else {
                    return Some(Misfit { path: member_path, problem: format!("is not a member of shape {}", s.name) });
                };
                if v.is_null() {
                    continue;
                }
                if let Some(m) = misfit(model, member.target, v, &member_path) {
                    return Some(m);
                }
            }
            None
        }
        (ShapeKind::Structure(_), _) => wrong("an object"),
        (ShapeKind::List(list), Value::Array(items)) => {
            items.iter().enumerate().find_map(|(i, v)| misfit(model, list.member, v, &format!("{path}.{}", i + 1)))
        }
        (ShapeKind::List(_), _) => wrong("an array"),
        (ShapeKind::Map(map), Value::Object(obj)) => {
            obj.iter().find_map(|(k, v)| misfit(model, map.value, v, &super::join_path(path, k)))
        }
        (ShapeKind::Map(_), _) => wrong("an object"),
        (ShapeKind::String(_), Value::String(_)) => None,
        (ShapeKind::String(_), _) => wrong("a string"),
        (ShapeKind::Boolean, Value::Bool(_)) => None,
        (ShapeKind::Boolean, _) => wrong("a boolean"),
        (ShapeKind::Integer(_) | ShapeKind::Long(_), Value::Number(n)) if n.is_i64() || n.is_u64() => None,
        (ShapeKind::Integer(_) | ShapeKind::Long(_), _) => wrong("an integer"),
        (ShapeKind::Float(_) | ShapeKind::Double(_), Value::Number(_)) => None,
        (ShapeKind::Float(_) | ShapeKind::Double(_), _) => wrong("a number"),
        (ShapeKind::Timestamp, Value::Number(_)) => None,
        (ShapeKind::Timestamp, _) => wrong("epoch seconds"),
        (ShapeKind::Blob(_), Value::String(b)) => {
            use base64::Engine as _;
            match base64::engine::general_purpose::STANDARD.decode(b.as_bytes()) {
                Ok(_) => None,
                Err(_) => wrong("base64 data"),
            }
        }
        (ShapeKind::Blob(_), _) => wrong("base64 data"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::MODEL;

    fn misfit_of(value: serde_json::Value) -> Option<Misfit> {
        misfit(&MODEL, 0, &value, "")
    }

    #[test]
    fn a_document_that_fits_passes() {
        let doc = json!({"Name": "n", "Items": [{"Id": "a"}, {}], "Tags": {"k": "v"}, "When": 1.5, "Gone": null});
        assert_eq!(
            misfit_of(doc.clone()),
            Some(Misfit { path: "Gone".into(), problem: "is not a member of shape Output".into() })
        );
        let mut fits = doc;
        fits.as_object_mut().unwrap().remove("Gone");
        assert_eq!(misfit_of(fits.clone()), None);
        check(&MODEL, "Op", Some(0), &fits);
    }

    #[test]
    fn a_key_the_shape_lacks_is_named_with_its_path() {
        let m = misfit_of(json!({"Items": [{"Id": "a"}, {"Id": "b", "Idd": "c"}]})).unwrap();
        assert_eq!(m.path, "Items.2.Idd");
        assert_eq!(m.problem, "is not a member of shape Item");
    }

    #[test]
    fn values_of_the_wrong_kind_are_misfits() {
        assert_eq!(
            misfit_of(json!({"Items": {"Id": "a"}})).unwrap().problem,
            "is an object, but shape Items wants an array"
        );
        assert_eq!(misfit_of(json!({"Tags": {"k": 1}})).unwrap().path, "Tags.k");
        assert_eq!(misfit_of(json!({"When": "2020-01-01T00:00:00Z"})).unwrap().path, "When");
        assert_eq!(misfit_of(json!({"Items": [null]})).unwrap().path, "Items.1");
        assert_eq!(misfit_of(json!("text")).unwrap().path, "");
    }

    #[test]
    #[cfg_attr(not(debug_assertions), ignore = "strict encoding is off in release builds")]
    #[should_panic(expected = "strict encoding: Test of Op: 'Items.1.Idd' is not a member of shape Item")]
    fn check_panics_with_the_operation_path_and_key() {
        check(&MODEL, "Op", Some(0), &json!({"Items": [{"Idd": "a"}]}));
    }

    #[test]
    #[cfg_attr(not(debug_assertions), ignore = "strict encoding is off in release builds")]
    #[should_panic(expected = "has no modeled error shape")]
    fn error_details_without_a_shape_panic() {
        check_error_details(Some(&MODEL), Protocol::Query, "Oops", None, &json!({"Extra": 1}));
    }

    #[test]
    fn an_operation_without_output_may_answer_nothing() {
        check(&MODEL, "Op", None, &serde_json::Value::Null);
        check(&MODEL, "Op", None, &json!({}));
    }
}
