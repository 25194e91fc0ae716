//! awsJson1_0: JSON bodies checked against the model on the way in, and filtered
//! through it on the way out.

use serde_json::{Map as JsonMap, Value};

use super::query::{number, parse_timestamp};
use super::{DecodeError, Path, MAX_DEPTH};
use crate::model::{ServiceModel, ShapeId, ShapeKind};

/// Parses and type-checks a request body. An empty body is an empty structure.
pub fn decode(model: &'static ServiceModel, input_shape: Option<ShapeId>, body: &[u8]) -> Result<Value, DecodeError> {
    let doc: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(JsonMap::new())
    } else {
        serde_json::from_slice(body).map_err(|e| DecodeError::Serialization(format!("Malformed JSON: {e}")))?
    };
    match input_shape {
        Some(shape) => check_owned(model, shape, doc, &Path::Root, 0),
        None if doc.is_object() => Ok(Value::Object(JsonMap::new())),
        None => Err(DecodeError::Serialization("The request body must be a JSON object.".into())),
    }
}

fn type_error(path: &Path, expected: &'static str, got: &Value) -> DecodeError {
    let what = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    let at = if path.is_root() { "the request".to_string() } else { path.to_string() };
    DecodeError::Serialization(format!("Expected {expected} for '{at}', found {what}."))
}

/// [`check_owned`] of a borrowed document, under the path `path` (for the fuzz targets).
pub fn check(
    model: &'static ServiceModel,
    shape: ShapeId,
    value: &Value,
    path: &str,
    depth: usize,
) -> Result<Value, DecodeError> {
    let root = Path::Root;
    let at = if path.is_empty() { root } else { root.member(path) };
    check_owned(model, shape, value.clone(), &at, depth)
}

/// The document form of `value` for `shape`: unknown members and nulls dropped,
/// numbers range-checked, timestamps as epoch seconds, blobs as validated base64.
/// The parsed document is reused: strings, keys and arrays move into the answer.
pub fn check_owned(
    model: &'static ServiceModel,
    shape: ShapeId,
    value: Value,
    path: &Path,
    depth: usize,
) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    match &model.shape(shape).kind {
        ShapeKind::Structure(st) => {
            let Value::Object(mut obj) = value else {
                return Err(type_error(path, "an object", &value));
            };
            // Members in model order, as the encoders and the validation walk read them.
            let mut out = JsonMap::with_capacity(st.members.len().min(obj.len()));
            for member in st.members {
                match obj.swap_remove_entry(member.name) {
                    Some((key, v)) if !v.is_null() => {
                        out.insert(key, check_owned(model, member.target, v, &path.member(member.name), depth + 1)?);
                    }
                    _ if member.required => return Err(DecodeError::Missing(path.member(member.name).to_string())),
                    _ => {}
                }
            }
            Ok(Value::Object(out))
        }
        ShapeKind::List(list) => {
            let Value::Array(mut items) = value else {
                return Err(type_error(path, "an array", &value));
            };
            // Checked in place; nulls are dropped, but an item keeps its index as sent.
            let mut kept = 0;
            for i in 0..items.len() {
                let v = std::mem::take(&mut items[i]);
                if v.is_null() {
                    continue;
                }
                items[kept] = check_owned(model, list.member, v, &path.index(i + 1), depth + 1)?;
                kept += 1;
            }
            items.truncate(kept);
            Ok(Value::Array(items))
        }
        ShapeKind::Map(map) => {
            let Value::Object(mut obj) = value else {
                return Err(type_error(path, "an object", &value));
            };
            for (k, v) in obj.iter_mut() {
                if !v.is_null() {
                    *v = check_owned(model, map.value, std::mem::take(v), &path.key(k), depth + 1)?;
                }
            }
            obj.retain(|_, v| !v.is_null());
            Ok(Value::Object(obj))
        }
        ShapeKind::String(_) => match value {
            Value::String(_) => Ok(value),
            other => Err(type_error(path, "a string", &other)),
        },
        ShapeKind::Boolean => match value {
            Value::Bool(_) => Ok(value),
            other => Err(type_error(path, "a boolean", &other)),
        },
        ShapeKind::Integer(_) => int(value, path, i32::MIN as i64, i32::MAX as i64),
        ShapeKind::Long(_) => int(value, path, i64::MIN, i64::MAX),
        ShapeKind::Float(_) | ShapeKind::Double(_) => match value {
            Value::Number(ref n) => match n.as_f64() {
                Some(f) if f.is_finite() => Ok(value),
                _ => Err(DecodeError::Serialization(format!("The number for '{path}' is out of range."))),
            },
            Value::String(s) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => {
                Err(DecodeError::InvalidValue {
                    path: path.to_string(),
                    message: format!("The value {s} for parameter {path} is invalid."),
                })
            }
            other => Err(type_error(path, "a number", &other)),
        },
        ShapeKind::Timestamp => match value {
            Value::Number(n) => match n.as_f64().filter(|f| f.is_finite() && f.abs() < 1.0e13) {
                Some(f) => Ok(number(f)),
                None => Err(DecodeError::Serialization(format!("The timestamp for '{path}' is out of range."))),
            },
            Value::String(s) => parse_timestamp(&s)
                .map(|t| number(t.epoch_seconds()))
                .ok_or_else(|| DecodeError::Serialization(format!("Invalid timestamp '{s}' for '{path}'."))),
            other => Err(type_error(path, "a timestamp", &other)),
        },
        ShapeKind::Blob(_) => {
            use base64::Engine as _;
            match value {
                Value::String(ref s) if base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).is_ok() => {
                    Ok(value)
                }
                Value::String(_) => Err(DecodeError::Serialization(format!("Invalid base64 data for '{path}'."))),
                other => Err(type_error(path, "base64 data", &other)),
            }
        }
    }
}

fn int(value: Value, path: &Path, min: i64, max: i64) -> Result<Value, DecodeError> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) if (min..=max).contains(&i) => Ok(Value::from(i)),
            Some(_) => Err(DecodeError::Serialization(format!("The number for '{path}' is out of range."))),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f >= min as f64 && f <= max as f64 => Ok(Value::from(f as i64)),
                _ => Err(DecodeError::Serialization(format!("Expected an integer for '{path}', found {n}."))),
            },
        },
        other => Err(type_error(path, "an integer", &other)),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::MODEL;

    fn decode_doc(doc: Value) -> Result<Value, DecodeError> {
        decode(&MODEL, Some(0), doc.to_string().as_bytes())
    }

    fn message(r: Result<Value, DecodeError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn members_come_out_in_model_order_without_nulls_or_unknown_keys() {
        let out = decode_doc(json!({
            "When": "2020-01-01T00:00:01Z", "Extra": 1, "Tags": {"b": "2", "a": null, "c": "3"},
            "Items": [null, {"Id": "x", "Other": true}, null], "Name": null
        }))
        .unwrap();
        assert_eq!(out, json!({"Items": [{"Id": "x"}], "Tags": {"b": "2", "c": "3"}, "When": 1577836801}));
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Items", "Tags", "When"]);
        let tags: Vec<&String> = out["Tags"].as_object().unwrap().keys().collect();
        assert_eq!(tags, ["b", "c"], "a map keeps the order it was sent in");
    }

    #[test]
    fn errors_name_the_path_as_sent_counting_null_items() {
        assert_eq!(
            message(decode_doc(json!({"Items": [null, {"Id": 5}]}))),
            "Expected a string for 'Items.2.Id', found a number."
        );
        assert_eq!(message(decode_doc(json!({"Tags": {"k": []}}))), "Expected a string for 'Tags.k', found an array.");
        assert_eq!(message(decode_doc(json!([1]))), "Expected an object for 'the request', found an array.");
        assert_eq!(message(decode_doc(json!({"When": "soon"}))), "Invalid timestamp 'soon' for 'When'.");
        assert_eq!(message(decode_doc(json!({"When": 1.0e14}))), "The timestamp for 'When' is out of range.");
        assert_eq!(
            message(decode(&MODEL, Some(0), b"{")),
            "Malformed JSON: EOF while parsing an object at line 1 column 1"
        );
    }

    #[test]
    fn the_borrowed_check_agrees_and_takes_a_prefix() {
        let doc = json!({"Items": [{"Id": "a"}], "Name": "n"});
        let owned = decode_doc(doc.clone()).unwrap();
        assert_eq!(check(&MODEL, 0, &doc, "", 0), Ok(owned.clone()));
        assert_eq!(check(&MODEL, 0, &owned, "", 0), Ok(owned));
        assert_eq!(
            check(&MODEL, 0, &json!({"Name": 1}), "Outer", 0).unwrap_err().to_string(),
            "Expected a string for 'Outer.Name', found a number."
        );
    }
}
