//! Smithy RPC v2 CBOR: bodies checked against the model on the way in (indefinite
//! lengths, tag-1 timestamps as integer or float) and written from it on the way out.

use base64::Engine as _;
use serde_json::{Map as JsonMap, Value};

use super::query::number;
use super::{DecodeError, Path, MAX_DEPTH};
use crate::cbor::{self, Cbor};
use crate::model::{ServiceModel, ShapeId, ShapeKind};

pub fn decode(model: &'static ServiceModel, input_shape: Option<ShapeId>, body: &[u8]) -> Result<Value, DecodeError> {
    let doc = if body.is_empty() {
        Cbor::Map(Vec::new())
    } else {
        cbor::decode(body).map_err(|e| DecodeError::Serialization(format!("Malformed CBOR: {e}")))?
    };
    match input_shape {
        Some(shape) => check_at(model, shape, &doc, &Path::Root, 0),
        None => Ok(Value::Object(JsonMap::new())),
    }
}

fn kind_name(v: &Cbor) -> &'static str {
    match v {
        Cbor::Null | Cbor::Undefined => "null",
        Cbor::Bool(_) => "a boolean",
        Cbor::Int(_) => "an integer",
        Cbor::Float(_) => "a float",
        Cbor::Bytes(_) => "a byte string",
        Cbor::Text(_) => "a text string",
        Cbor::Array(_) => "an array",
        Cbor::Map(_) => "a map",
        Cbor::Tag(..) => "a tagged item",
        Cbor::Simple(_) => "a simple value",
    }
}

fn type_error(path: &Path, expected: &str, got: &Cbor) -> DecodeError {
    let at = if path.is_root() { "the request".to_string() } else { path.to_string() };
    DecodeError::Serialization(format!("Expected {expected} for '{at}', found {}.", kind_name(got)))
}

fn is_null(v: &Cbor) -> bool {
    matches!(v, Cbor::Null | Cbor::Undefined)
}

/// The document form of a decoded CBOR item for `shape` under the path `path` (public
/// for the fuzz targets).
pub fn check(
    model: &'static ServiceModel,
    shape: ShapeId,
    value: &Cbor,
    path: &str,
    depth: usize,
) -> Result<Value, DecodeError> {
    let root = Path::Root;
    let at = if path.is_empty() { root } else { root.member(path) };
    check_at(model, shape, value, &at, depth)
}

fn check_at(
    model: &'static ServiceModel,
    shape: ShapeId,
    value: &Cbor,
    path: &Path,
    depth: usize,
) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    match &model.shape(shape).kind {
        ShapeKind::Structure(st) => {
            let Cbor::Map(entries) = value else {
                return Err(type_error(path, "a map", value));
            };
            let mut out = JsonMap::new();
            for member in st.members {
                let member_path = path.member(member.name);
                match cbor::map_get(entries, member.name) {
                    Some(v) if !is_null(v) => {
                        out.insert(
                            member.name.to_string(),
                            check_at(model, member.target, v, &member_path, depth + 1)?,
                        );
                    }
                    _ if member.required => return Err(DecodeError::Missing(member_path.to_string())),
                    _ => {}
                }
            }
            Ok(Value::Object(out))
        }
        ShapeKind::List(list) => {
            let Cbor::Array(items) = value else {
                return Err(type_error(path, "an array", value));
            };
            items
                .iter()
                .enumerate()
                .filter(|(_, v)| !is_null(v))
                .map(|(i, v)| check_at(model, list.member, v, &path.index(i + 1), depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        ShapeKind::Map(map) => {
            let Cbor::Map(entries) = value else {
                return Err(type_error(path, "a map", value));
            };
            let mut out = JsonMap::new();
            for (k, v) in entries {
                let Cbor::Text(k) = k else {
                    return Err(type_error(path, "text map keys", k));
                };
                if !is_null(v) {
                    out.insert(k.clone(), check_at(model, map.value, v, &path.key(k), depth + 1)?);
                }
            }
            Ok(Value::Object(out))
        }
        ShapeKind::String(_) => match value {
            Cbor::Text(s) => Ok(Value::String(s.clone())),
            other => Err(type_error(path, "a text string", other)),
        },
        ShapeKind::Boolean => match value {
            Cbor::Bool(b) => Ok(Value::Bool(*b)),
            other => Err(type_error(path, "a boolean", other)),
        },
        ShapeKind::Integer(_) => int(value, path, i32::MIN as i128, i32::MAX as i128),
        ShapeKind::Long(_) => int(value, path, i64::MIN as i128, i64::MAX as i128),
        ShapeKind::Float(_) | ShapeKind::Double(_) => {
            let f = match value {
                Cbor::Float(f) => *f,
                Cbor::Int(i) => *i as f64,
                other => return Err(type_error(path, "a number", other)),
            };
            if f.is_finite() {
                Ok(number(f))
            } else {
                Err(DecodeError::InvalidValue {
                    path: path.to_string(),
                    message: format!("The value {f} for parameter {path} is invalid."),
                })
            }
        }
        ShapeKind::Timestamp => {
            let secs = match value {
                Cbor::Tag(1, inner) => match inner.as_ref() {
                    Cbor::Int(i) => *i as f64,
                    Cbor::Float(f) => *f,
                    other => return Err(type_error(path, "an epoch-seconds number in tag 1", other)),
                },
                // Lenient: an untagged number is read as epoch seconds too.
                Cbor::Int(i) => *i as f64,
                Cbor::Float(f) => *f,
                other => return Err(type_error(path, "a timestamp (tag 1)", other)),
            };
            if secs.is_finite() && secs.abs() < 1.0e13 {
                Ok(number(secs))
            } else {
                Err(DecodeError::Serialization(format!("The timestamp for '{path}' is out of range.")))
            }
        }
        ShapeKind::Blob(_) => match value {
            Cbor::Bytes(b) => Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(b))),
            other => Err(type_error(path, "a byte string", other)),
        },
    }
}

fn int(value: &Cbor, path: &Path, min: i128, max: i128) -> Result<Value, DecodeError> {
    match value {
        Cbor::Int(i) if (min..=max).contains(i) => Ok(Value::from(*i as i64)),
        Cbor::Int(_) => Err(DecodeError::Serialization(format!("The number for '{path}' is out of range."))),
        other => Err(type_error(path, "an integer", other)),
    }
}

/// Encodes an output document; an operation without output has an empty body.
pub fn encode_output(model: &'static ServiceModel, output_shape: Option<ShapeId>, value: &Value) -> Vec<u8> {
    match output_shape {
        Some(shape) => cbor::encode(&to_cbor(model, shape, value)),
        None => Vec::new(),
    }
}

/// An error body: `__type` and `message`, plus any modeled members of the error.
pub fn encode_error(
    error_type: &str,
    message: &str,
    details: Option<(&'static ServiceModel, ShapeId, &Value)>,
) -> Vec<u8> {
    let mut entries = vec![
        (Cbor::Text("__type".into()), Cbor::Text(error_type.into())),
        (Cbor::Text("message".into()), Cbor::Text(message.into())),
    ];
    if let Some((model, shape, value)) = details {
        if let Cbor::Map(extra) = to_cbor(model, shape, value) {
            entries.extend(
                extra.into_iter().filter(|(k, _)| !matches!(k, Cbor::Text(t) if t == "message" || t == "Message")),
            );
        }
    }
    cbor::encode(&Cbor::Map(entries))
}

fn to_cbor(model: &'static ServiceModel, shape: ShapeId, value: &Value) -> Cbor {
    match (&model.shape(shape).kind, value) {
        (ShapeKind::Structure(st), Value::Object(obj)) => Cbor::Map(
            st.members
                .iter()
                .filter_map(|m| {
                    let v = obj.get(m.name).filter(|v| !v.is_null())?;
                    Some((Cbor::Text(m.name.to_string()), to_cbor(model, m.target, v)))
                })
                .collect(),
        ),
        (ShapeKind::List(list), Value::Array(items)) => {
            Cbor::Array(items.iter().map(|v| to_cbor(model, list.member, v)).collect())
        }
        (ShapeKind::Map(map), Value::Object(obj)) => {
            Cbor::Map(obj.iter().map(|(k, v)| (Cbor::Text(k.clone()), to_cbor(model, map.value, v))).collect())
        }
        (ShapeKind::Timestamp, v) => {
            let secs = v.as_f64().unwrap_or(0.0);
            let inner = if secs.fract() == 0.0 { Cbor::Int(secs as i128) } else { Cbor::Float(secs) };
            Cbor::Tag(1, Box::new(inner))
        }
        (ShapeKind::Blob(_), Value::String(s)) => {
            Cbor::Bytes(base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).unwrap_or_default())
        }
        (ShapeKind::Float(_) | ShapeKind::Double(_), v) => Cbor::Float(v.as_f64().unwrap_or(0.0)),
        (_, Value::Null) => Cbor::Null,
        (_, Value::Bool(b)) => Cbor::Bool(*b),
        (_, Value::Number(n)) => match n.as_i64() {
            Some(i) => Cbor::Int(i as i128),
            None => Cbor::Float(n.as_f64().unwrap_or(0.0)),
        },
        (_, Value::String(s)) => Cbor::Text(s.clone()),
        (_, Value::Array(items)) => Cbor::Array(items.iter().map(json_to_cbor).collect()),
        (_, Value::Object(obj)) => {
            Cbor::Map(obj.iter().map(|(k, v)| (Cbor::Text(k.clone()), json_to_cbor(v))).collect())
        }
    }
}

fn json_to_cbor(v: &Value) -> Cbor {
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Cbor::Int(i as i128),
            None => Cbor::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Array(items) => Cbor::Array(items.iter().map(json_to_cbor).collect()),
        Value::Object(obj) => Cbor::Map(obj.iter().map(|(k, v)| (Cbor::Text(k.clone()), json_to_cbor(v))).collect()),
    }
}
