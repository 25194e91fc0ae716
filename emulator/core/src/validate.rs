//! The model's length, range and enum constraints, checked as Coral-based services
//! (STS, CloudWatch) check them: every violation collected into one `ValidationError`
//! ("2 validation errors detected: Value '5' at 'durationSeconds' failed to satisfy
//! constraint: Member must have value greater than or equal to 900; ...").

use serde_json::Value;

use crate::model::{Range, ServiceModel, ShapeId, ShapeKind};
use crate::protocol::{lower_camel_path, Path};
use crate::ApiError;

/// Checks an input document; `None` when it satisfies every constraint.
pub fn check(model: &'static ServiceModel, shape: ShapeId, value: &Value) -> Option<ApiError> {
    let mut errors = Vec::new();
    walk(model, shape, value, &Path::Root, &mut errors);
    if errors.is_empty() {
        return None;
    }
    let n = errors.len();
    let shown: Vec<String> = errors.into_iter().take(10).collect();
    Some(ApiError::client(
        "ValidationError",
        format!("{n} validation error{} detected: {}", if n == 1 { "" } else { "s" }, shown.join("; ")),
    ))
}

/// Whether a checked scalar satisfies its shape's constraints (`check` would find
/// nothing wrong with it), without wording anything: for `protocol::typed`.
pub fn fits(model: &'static ServiceModel, shape: ShapeId, value: &Value) -> bool {
    let mut errors = Vec::new();
    walk(model, shape, value, &Path::Root, &mut errors);
    errors.is_empty()
}

/// Whether a list or map of `len` entries is within its shape's length bounds.
pub fn length_fits(range: &Range, len: usize) -> bool {
    let len = len as i64;
    range.min.is_none_or(|m| len >= m) && range.max.is_none_or(|m| len <= m)
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn length(errors: &mut Vec<String>, range: &Range, len: usize, value: &Value, path: &Path) {
    let len = len as i64;
    if let Some(min) = range.min.filter(|m| len < *m) {
        errors.push(format!(
            "Value '{}' at '{}' failed to satisfy constraint: Member must have length greater than or equal to {min}",
            shown(value),
            lower_camel_path(&path.to_string())
        ));
    }
    if let Some(max) = range.max.filter(|m| len > *m) {
        errors.push(format!(
            "Value '{}' at '{}' failed to satisfy constraint: Member must have length less than or equal to {max}",
            shown(value),
            lower_camel_path(&path.to_string())
        ));
    }
}

/// Paths are written out only for a violation, so a valid input allocates none.
fn walk(model: &'static ServiceModel, shape: ShapeId, value: &Value, path: &Path, errors: &mut Vec<String>) {
    match (&model.shape(shape).kind, value) {
        (ShapeKind::Structure(st), Value::Object(obj)) => {
            for m in st.members {
                if let Some(v) = obj.get(m.name) {
                    walk(model, m.target, v, &path.member(m.name), errors);
                }
            }
        }
        (ShapeKind::List(list), Value::Array(items)) => {
            length(errors, &list.range, items.len(), value, path);
            for (i, v) in items.iter().enumerate() {
                walk(model, list.member, v, &path.index(i + 1), errors);
            }
        }
        (ShapeKind::Map(map), Value::Object(obj)) => {
            length(errors, &map.range, obj.len(), value, path);
            for (k, v) in obj {
                walk(model, map.value, v, &path.key(k), errors);
            }
        }
        (ShapeKind::String(s), Value::String(text)) => {
            length(errors, &s.range, text.chars().count(), value, path);
            if !s.enum_values.is_empty() && !s.enum_values.contains(&text.as_str()) {
                errors.push(format!(
                    "Value '{text}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    lower_camel_path(&path.to_string()),
                    s.enum_values.join(", ")
                ));
            }
        }
        (ShapeKind::Integer(r) | ShapeKind::Long(r) | ShapeKind::Float(r) | ShapeKind::Double(r), Value::Number(n)) => {
            let Some(x) = n.as_f64() else { return };
            if let Some(min) = r.min.filter(|m| x < *m as f64) {
                errors.push(format!(
                    "Value '{n}' at '{}' failed to satisfy constraint: Member must have value greater than or equal to {min}",
                    lower_camel_path(&path.to_string())
                ));
            }
            if let Some(max) = r.max.filter(|m| x > *m as f64) {
                errors.push(format!(
                    "Value '{n}' at '{}' failed to satisfy constraint: Member must have value less than or equal to {max}",
                    lower_camel_path(&path.to_string())
                ));
            }
        }
        _ => {}
    }
}
