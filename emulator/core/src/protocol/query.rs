//! Decoding of form-encoded requests: EC2's query dialect and awsQuery.
//!
//! The parameters are first parsed into a tree on their dots (`Filter.1.Value.2`), then
//! the operation's input shape is walked over that tree, so list, map and structure
//! naming rules come from the model rather than from per-operation code.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;

use serde_json::{Map as JsonMap, Value};

use super::{DecodeError, Path, MAX_DEPTH};
use crate::model::{Member, Protocol, ServiceModel, ShapeId, ShapeKind};
use crate::types::Timestamp;

/// Parameters that belong to the envelope or to SigV4, not to the operation's input.
const ENVELOPE: &[&str] = &[
    "Action",
    "Version",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// Form parameters in the order received.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes (`+` is a space).
    pub fn parse(bytes: &[u8]) -> Result<Params, DecodeError> {
        let mut out = Vec::new();
        for pair in bytes.split(|b| *b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            out.push((form_decode(k)?, form_decode(v)?));
        }
        Ok(Params(out))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }
}

fn form_decode(raw: &[u8]) -> Result<String, DecodeError> {
    let spaced: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes)
        .map_err(|_| DecodeError::Malformed("The query string contains bytes that are not valid UTF-8.".into()))
}

#[derive(Default, Debug)]
struct Node {
    value: Option<String>,
    children: HashMap<String, Node>,
    used: Cell<bool>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        let c = self.children.get(name)?;
        c.used.set(true);
        Some(c)
    }

    /// Children whose keys are list indexes, in index order.
    fn indexed(&self) -> Result<Vec<&Node>, DecodeError> {
        let mut items: Vec<(u32, &Node)> = Vec::with_capacity(self.children.len());
        for (k, v) in &self.children {
            match k.parse::<u32>() {
                Ok(i) if i >= 1 => {
                    v.used.set(true);
                    items.push((i, v));
                }
                _ => {}
            }
        }
        items.sort_by_key(|(i, _)| *i);
        Ok(items.into_iter().map(|(_, n)| n).collect())
    }
}

struct Decoder {
    model: &'static ServiceModel,
    protocol: Protocol,
}

/// Decodes the input of `input_shape` from form parameters.
pub fn decode(
    model: &'static ServiceModel,
    protocol: Protocol,
    input_shape: Option<ShapeId>,
    params: &Params,
) -> Result<Value, DecodeError> {
    let mut root = Node::default();
    for (key, value) in &params.0 {
        if ENVELOPE.contains(&key.as_str()) {
            continue;
        }
        // No member path of any model is this deep; refusing such keys before building
        // the tree keeps every walk over it (and its drop) within the stack.
        if key.split('.').nth(MAX_DEPTH).is_some() {
            return Err(match protocol {
                Protocol::Ec2 => DecodeError::UnknownParameter(key.chars().take(256).collect()),
                _ => DecodeError::TooDeep,
            });
        }
        let mut node = &mut root;
        for part in key.split('.') {
            node = node.children.entry(part.to_string()).or_default();
        }
        match &node.value {
            Some(existing) if existing != value => {
                return Err(DecodeError::Malformed(format!(
                    "The parameter {key} is specified more than once with different values."
                )));
            }
            _ => node.value = Some(value.clone()),
        }
    }
    let dec = Decoder { model, protocol };
    let value = match input_shape {
        Some(shape) => dec.structure(shape, &root, &Path::Root, 0)?,
        None => Value::Object(JsonMap::new()),
    };
    if protocol == Protocol::Ec2 {
        if let Some(name) = first_unused(&root, "") {
            return Err(DecodeError::UnknownParameter(name));
        }
    }
    Ok(value)
}

fn first_unused(node: &Node, prefix: &str) -> Option<String> {
    let mut keys: Vec<&String> = node.children.keys().collect();
    keys.sort();
    for k in keys {
        let child = &node.children[k];
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        if !child.used.get() {
            return Some(path);
        }
        if let Some(p) = first_unused(child, &path) {
            return Some(p);
        }
    }
    None
}

impl Decoder {
    fn member_key(&self, member: &Member) -> Cow<'static, str> {
        match self.protocol {
            Protocol::Ec2 => {
                if let Some(q) = member.query_name {
                    Cow::Borrowed(q)
                } else if let Some(loc) = member.location_name {
                    if loc.starts_with(|c: char| c.is_ascii_lowercase()) {
                        let mut s = loc.to_string();
                        s[0..1].make_ascii_uppercase();
                        Cow::Owned(s)
                    } else {
                        Cow::Borrowed(loc)
                    }
                } else {
                    Cow::Borrowed(member.name)
                }
            }
            // A flattened list's items take the list member's name when it has one
            // (`Item.1`, not `Items.1`), as botocore sends and the XML answers them.
            _ => match &self.model.shape(member.target).kind {
                ShapeKind::List(list) if list.flattened => {
                    Cow::Borrowed(list.member_location_name.unwrap_or(member.xml_name()))
                }
                _ => Cow::Borrowed(member.xml_name()),
            },
        }
    }

    fn structure(&self, shape: ShapeId, node: &Node, path: &Path, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let ShapeKind::Structure(st) = &self.model.shape(shape).kind else {
            return Err(DecodeError::Malformed("input is not a structure".into()));
        };
        let mut out = JsonMap::new();
        for member in st.members {
            let key = self.member_key(member);
            let member_path = path.member(&key);
            match node.child(&key) {
                Some(child) => {
                    let v = self.value(member.target, child, &member_path, depth + 1)?;
                    out.insert(member.name.to_string(), v);
                }
                None if member.required => {
                    return Err(DecodeError::Missing(member_path.to_string()));
                }
                None => {}
            }
        }
        Ok(Value::Object(out))
    }

    fn value(&self, shape: ShapeId, node: &Node, path: &Path, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let scalar = || node.value.as_deref().unwrap_or("");
        match &self.model.shape(shape).kind {
            ShapeKind::Structure(_) => self.structure(shape, node, path, depth),
            ShapeKind::List(list) => {
                let items_node = if self.protocol == Protocol::Ec2 || list.flattened {
                    Some(node)
                } else {
                    node.child(list.member_location_name.unwrap_or("member"))
                };
                let mut items = Vec::new();
                if let Some(items_node) = items_node {
                    for (i, item) in items_node.indexed()?.into_iter().enumerate() {
                        items.push(self.value(list.member, item, &path.index(i + 1), depth + 1)?);
                    }
                }
                Ok(Value::Array(items))
            }
            ShapeKind::Map(map) => {
                let entries = if map.flattened { Some(node) } else { node.child("entry") };
                let mut out = JsonMap::new();
                let entry_path = path.key("entry");
                if let Some(entries) = entries {
                    for (i, entry) in entries.indexed()?.into_iter().enumerate() {
                        let p = entry_path.index(i + 1);
                        let k = entry
                            .child(map.key_location_name.unwrap_or("key"))
                            .and_then(|n| n.value.clone())
                            .ok_or_else(|| DecodeError::Missing(p.key("key").to_string()))?;
                        let v = match entry.child(map.value_location_name.unwrap_or("value")) {
                            Some(n) => self.value(map.value, n, &p.key("value"), depth + 1)?,
                            None => return Err(DecodeError::Missing(p.key("value").to_string())),
                        };
                        out.insert(k, v);
                    }
                }
                Ok(Value::Object(out))
            }
            ShapeKind::String(_) => Ok(Value::String(scalar().to_string())),
            ShapeKind::Integer(_) => parse_int(scalar(), path, i32::MIN as i64, i32::MAX as i64),
            ShapeKind::Long(_) => parse_int(scalar(), path, i64::MIN, i64::MAX),
            ShapeKind::Float(_) | ShapeKind::Double(_) => {
                let raw = scalar().trim();
                match raw.parse::<f64>() {
                    Ok(f) if f.is_finite() => Ok(number(f)),
                    _ => Err(DecodeError::Type {
                        path: path.to_string(),
                        value: raw.to_string(),
                        expected: "a finite number",
                    }),
                }
            }
            ShapeKind::Boolean => match scalar().to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                other => Err(DecodeError::Type {
                    path: path.to_string(),
                    value: other.to_string(),
                    expected: "true or false",
                }),
            },
            ShapeKind::Timestamp => match parse_timestamp(scalar()) {
                Some(t) => Ok(number(t.epoch_seconds())),
                None => Err(DecodeError::Type {
                    path: path.to_string(),
                    value: scalar().to_string(),
                    expected: "an ISO 8601 timestamp",
                }),
            },
            ShapeKind::Blob(_) => {
                use base64::Engine as _;
                let raw = scalar();
                base64::engine::general_purpose::STANDARD
                    .decode(raw.as_bytes())
                    .map(|_| Value::String(raw.to_string()))
                    .map_err(|_| DecodeError::Type {
                        path: path.to_string(),
                        value: raw.chars().take(64).collect(),
                        expected: "base64-encoded data",
                    })
            }
        }
    }
}

fn parse_int(raw: &str, path: &Path, min: i64, max: i64) -> Result<Value, DecodeError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Value::from(n)),
        _ => Err(DecodeError::Type {
            path: path.to_string(),
            value: raw.to_string(),
            expected: if max == i32::MAX as i64 { "an integer" } else { "a long integer" },
        }),
    }
}

/// A float as a JSON number, integral values kept integral.
pub fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
    }
}

/// ISO 8601 (`2026-11-26T16:31:32Z`, with or without fractions or an offset),
/// a date alone, or epoch seconds.
pub fn parse_timestamp(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(Timestamp(t.with_timezone(&chrono::Utc)));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        let trimmed = raw.trim_end_matches('Z');
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(trimmed, fmt) {
            return Some(Timestamp(t.and_utc()));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| Timestamp(t.and_utc()));
    }
    raw.parse::<f64>().ok().and_then(Timestamp::from_epoch_seconds)
}
