//! awsJson1_0: JSON bodies checked against the model on the way in, and filtered
//! through it on the way out.

use serde_json::{Map as JsonMap, Value};

use super::query::{number, parse_timestamp};
use super::{DecodeError, MAX_DEPTH};
use crate::model::{ServiceModel, ShapeId, ShapeKind};

/// Parses and type-checks a request body. An empty body is an empty structure.
pub fn decode(model: &'static ServiceModel, input_shape: Option<ShapeId>, body: &[u8]) -> Result<Value, DecodeError> {
    let doc: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(JsonMap::new())
    } else {
        serde_json::from_slice(body).map_err(|e| DecodeError::Serialization(format!("Malformed JSON: {e}")))?
    };
    match input_shape {
        Some(shape) => check(model, shape, &doc, "", 0),
        None if doc.is_object() => Ok(Value::Object(JsonMap::new())),
        None => Err(DecodeError::Serialization("The request body must be a JSON object.".into())),
    }
}

fn type_error(path: &str, expected: &'static str, got: &Value) -> DecodeError {
    let what = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    DecodeError::Serialization(format!(
        "Expected {expected} for '{}', found {what}.",
        if path.is_empty() { "the request" } else { path }
    ))
}

/// The document form of `value` for `shape`: unknown members and nulls dropped,
/// numbers range-checked, timestamps as epoch seconds, blobs as validated base64.
pub fn check(
    model: &'static ServiceModel,
    shape: ShapeId,
    value: &Value,
    path: &str,
    depth: usize,
) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    match &model.shape(shape).kind {
        ShapeKind::Structure(st) => {
            let obj = value.as_object().ok_or_else(|| type_error(path, "an object", value))?;
            let mut out = JsonMap::new();
            for member in st.members {
                let member_path = super::join_path(path, member.name);
                match obj.get(member.name) {
                    Some(v) if !v.is_null() => {
                        out.insert(member.name.to_string(), check(model, member.target, v, &member_path, depth + 1)?);
                    }
                    _ if member.required => return Err(DecodeError::Missing(member_path)),
                    _ => {}
                }
            }
            Ok(Value::Object(out))
        }
        ShapeKind::List(list) => {
            let items = value.as_array().ok_or_else(|| type_error(path, "an array", value))?;
            items
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_null())
                .map(|(i, v)| check(model, list.member, v, &format!("{path}.{}", i + 1), depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        ShapeKind::Map(map) => {
            let obj = value.as_object().ok_or_else(|| type_error(path, "an object", value))?;
            let mut out = JsonMap::new();
            for (k, v) in obj {
                if !v.is_null() {
                    out.insert(k.clone(), check(model, map.value, v, &format!("{path}.{k}"), depth + 1)?);
                }
            }
            Ok(Value::Object(out))
        }
        ShapeKind::String(_) => match value {
            Value::String(_) => Ok(value.clone()),
            other => Err(type_error(path, "a string", other)),
        },
        ShapeKind::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            other => Err(type_error(path, "a boolean", other)),
        },
        ShapeKind::Integer(_) => int(value, path, i32::MIN as i64, i32::MAX as i64),
        ShapeKind::Long(_) => int(value, path, i64::MIN, i64::MAX),
        ShapeKind::Float(_) | ShapeKind::Double(_) => match value {
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.is_finite() => Ok(value.clone()),
                _ => Err(DecodeError::Serialization(format!("The number for '{path}' is out of range."))),
            },
            Value::String(s) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => {
                Err(DecodeError::InvalidValue {
                    path: path.to_string(),
                    message: format!("The value {s} for parameter {path} is invalid."),
                })
            }
            other => Err(type_error(path, "a number", other)),
        },
        ShapeKind::Timestamp => match value {
            Value::Number(n) => match n.as_f64().filter(|f| f.is_finite() && f.abs() < 1.0e13) {
                Some(f) => Ok(number(f)),
                None => Err(DecodeError::Serialization(format!("The timestamp for '{path}' is out of range."))),
            },
            Value::String(s) => parse_timestamp(s)
                .map(|t| number(t.epoch_seconds()))
                .ok_or_else(|| DecodeError::Serialization(format!("Invalid timestamp '{s}' for '{path}'."))),
            other => Err(type_error(path, "a timestamp", other)),
        },
        ShapeKind::Blob(_) => {
            use base64::Engine as _;
            match value {
                Value::String(s) if base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).is_ok() => {
                    Ok(value.clone())
                }
                Value::String(_) => Err(DecodeError::Serialization(format!("Invalid base64 data for '{path}'."))),
                other => Err(type_error(path, "base64 data", other)),
            }
        }
    }
}

fn int(value: &Value, path: &str, min: i64, max: i64) -> Result<Value, DecodeError> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) if (min..=max).contains(&i) => Ok(Value::from(i)),
            Some(_) => Err(DecodeError::Serialization(format!("The number for '{path}' is out of range."))),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f >= min as f64 && f <= max as f64 => Ok(Value::from(f as i64)),
                _ => Err(DecodeError::Serialization(format!("Expected an integer for '{path}', found {n}."))),
            },
        },
        other => Err(type_error(path, "an integer", other)),
    }
}

/// Serialises an output document, walking the shape so that only modeled members are written.
pub fn encode_output(model: &'static ServiceModel, output_shape: Option<ShapeId>, value: &Value) -> Vec<u8> {
    let filtered = match output_shape {
        Some(shape) => filter(model, shape, value),
        None => Value::Object(JsonMap::new()),
    };
    serde_json::to_vec(&filtered).unwrap_or_else(|_| b"{}".to_vec())
}

fn filter(model: &'static ServiceModel, shape: ShapeId, value: &Value) -> Value {
    match (&model.shape(shape).kind, value) {
        (ShapeKind::Structure(st), Value::Object(obj)) => {
            let mut out = JsonMap::new();
            for member in st.members {
                if let Some(v) = obj.get(member.name).filter(|v| !v.is_null()) {
                    out.insert(member.name.to_string(), filter(model, member.target, v));
                }
            }
            Value::Object(out)
        }
        (ShapeKind::List(list), Value::Array(items)) => {
            Value::Array(items.iter().map(|v| filter(model, list.member, v)).collect())
        }
        (ShapeKind::Map(map), Value::Object(obj)) => {
            Value::Object(obj.iter().map(|(k, v)| (k.clone(), filter(model, map.value, v))).collect())
        }
        _ => value.clone(),
    }
}
