//! XML responses for EC2 and awsQuery, written by walking the output shape.

use serde_json::Value;

use crate::model::{Protocol, ServiceModel, ShapeId, ShapeKind};
use crate::types::Timestamp;
use crate::ApiError;

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Escapes character data as AWS's XML does: `&`, `<` and `>` (quotes stay literal,
/// as in "The vpc ID 'vpc-1' does not exist").
pub fn escape_into(out: &mut String, text: &str) {
    // Every character that changes is ASCII, so the text is copied in runs between them.
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'\r' => "&#xD;",
            // Characters XML 1.0 cannot carry at all are dropped.
            b if b < 0x20 && b != b'\n' && b != b'\t' => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(replacement);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

pub(super) fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_into(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The success body of `operation` for EC2 or awsQuery.
pub fn encode_output(
    model: &'static ServiceModel,
    protocol: Protocol,
    operation: &str,
    result_wrapper: Option<&str>,
    output_shape: Option<ShapeId>,
    value: &Value,
    request_id: &str,
) -> String {
    let writer = Writer { model, protocol };
    frame(model, protocol, operation, result_wrapper, output_shape, request_id, |out, shape| {
        writer.members(out, shape, value)
    })
}

/// The envelope of a success body around the output's members, which `members` writes.
pub(super) fn frame(
    model: &'static ServiceModel,
    protocol: Protocol,
    operation: &str,
    result_wrapper: Option<&str>,
    output_shape: Option<ShapeId>,
    request_id: &str,
    members: impl FnOnce(&mut String, ShapeId),
) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(DECLARATION);
    out.push('<');
    out.push_str(operation);
    out.push_str("Response xmlns=\"");
    out.push_str(model.xml_namespace);
    out.push_str("\">");
    match protocol {
        Protocol::Ec2 => {
            element(&mut out, "requestId", request_id);
            if let Some(shape) = output_shape {
                members(&mut out, shape);
            }
        }
        _ => {
            if let Some(shape) = output_shape {
                let wrapper = result_wrapper.map(str::to_string).unwrap_or_else(|| format!("{operation}Result"));
                out.push('<');
                out.push_str(&wrapper);
                out.push('>');
                members(&mut out, shape);
                out.push_str("</");
                out.push_str(&wrapper);
                out.push('>');
            }
            out.push_str("<ResponseMetadata>");
            element(&mut out, "RequestId", request_id);
            out.push_str("</ResponseMetadata>");
        }
    }
    out.push_str("</");
    out.push_str(operation);
    out.push_str("Response>");
    out
}

/// `<Response><Errors><Error>` for EC2; `<ErrorResponse>` for awsQuery.
pub fn encode_error(
    model: Option<&'static ServiceModel>,
    protocol: Protocol,
    err: &ApiError,
    request_id: &str,
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(DECLARATION);
    if protocol == Protocol::Ec2 {
        out.push_str("<Response><Errors><Error>");
        element(&mut out, "Code", &err.code);
        element(&mut out, "Message", &err.message);
        out.push_str("</Error></Errors>");
        element(&mut out, "RequestID", request_id);
        out.push_str("</Response>");
    } else {
        out.push_str("<ErrorResponse xmlns=\"");
        out.push_str(model.map(|m| m.xml_namespace).unwrap_or("https://sts.amazonaws.com/doc/2011-06-15/"));
        out.push_str("\"><Error>");
        element(&mut out, "Type", err.fault_name());
        element(&mut out, "Code", &err.code);
        element(&mut out, "Message", &err.message);
        if let (Some(details), Some(model)) = (err.details.as_deref(), model) {
            if let Some((id, _)) = model.error_shape(&err.code) {
                Writer { model, protocol }.members(&mut out, id, details);
            }
        }
        out.push_str("</Error>");
        element(&mut out, "RequestId", request_id);
        out.push_str("</ErrorResponse>");
    }
    out
}

/// Writes a document by walking its shape.
pub(super) struct Writer {
    pub(super) model: &'static ServiceModel,
    pub(super) protocol: Protocol,
}

impl Writer {
    /// The members of a structure, as child elements in model order.
    pub(super) fn members(&self, out: &mut String, shape: ShapeId, value: &Value) {
        let ShapeKind::Structure(st) = &self.model.shape(shape).kind else {
            return;
        };
        let Some(obj) = value.as_object() else {
            return;
        };
        for member in st.members {
            let Some(v) = obj.get(member.name) else {
                continue;
            };
            if v.is_null() {
                continue;
            }
            let name = member.xml_name();
            match &self.model.shape(member.target).kind {
                // Flattened: no wrapper, one element per item or entry.
                ShapeKind::List(list) if list.flattened => {
                    let item_name = list.member_location_name.unwrap_or(name);
                    for item in v.as_array().into_iter().flatten() {
                        self.value(out, item_name, list.member, item);
                    }
                }
                ShapeKind::Map(map) if map.flattened => {
                    for (k, v) in v.as_object().into_iter().flatten() {
                        open(out, name);
                        self.entry(out, map, k, v);
                        close(out, name);
                    }
                }
                _ => self.value(out, name, member.target, v),
            }
        }
    }

    pub(super) fn value(&self, out: &mut String, name: &str, shape: ShapeId, value: &Value) {
        match &self.model.shape(shape).kind {
            ShapeKind::Structure(_) => {
                open(out, name);
                self.members(out, shape, value);
                close(out, name);
            }
            ShapeKind::List(list) => {
                let item_name = list.member_location_name.unwrap_or(match self.protocol {
                    Protocol::Ec2 => "item",
                    _ => "member",
                });
                let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
                if items.is_empty() {
                    out.push('<');
                    out.push_str(name);
                    out.push_str("/>");
                    return;
                }
                open(out, name);
                for item in items {
                    self.value(out, item_name, list.member, item);
                }
                close(out, name);
            }
            ShapeKind::Map(map) => {
                open(out, name);
                for (k, v) in value.as_object().into_iter().flatten() {
                    open(out, "entry");
                    self.entry(out, map, k, v);
                    close(out, "entry");
                }
                close(out, name);
            }
            ShapeKind::Timestamp => {
                let text =
                    value.as_f64().and_then(Timestamp::from_epoch_seconds).map(|t| t.iso8601()).unwrap_or_default();
                element(out, name, &text);
            }
            ShapeKind::Float(_) | ShapeKind::Double(_) => {
                let text = match value.as_f64() {
                    Some(f) => format_double(f),
                    None => String::new(),
                };
                element(out, name, &text);
            }
            _ => match value {
                Value::String(s) => element(out, name, s),
                Value::Bool(b) => element(out, name, if *b { "true" } else { "false" }),
                Value::Number(n) => element(out, name, &n.to_string()),
                other => element(out, name, &other.to_string()),
            },
        }
    }

    /// A map entry's key and value elements.
    pub(super) fn entry(&self, out: &mut String, map: &crate::model::Map, key: &str, value: &Value) {
        element(out, map.key_location_name.unwrap_or("key"), key);
        self.value(out, map.value_location_name.unwrap_or("value"), map.value, value);
    }
}

/// Doubles as AWS writes them: integral values without a fraction (`5.0` -> `5.0`
/// stays readable by every client; AWS itself writes `5.0`).
fn format_double(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

pub(super) fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

pub(super) fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}
