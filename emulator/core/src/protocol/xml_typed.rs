//! EC2 and awsQuery XML written straight from a typed answer (a generated DTO): serde's
//! view of the value is walked beside the output shape, with no document tree between.
//!
//! Members are written in the order serde gives them, which for the generated DTOs is
//! the model's (both come from the same model file in the same order); a field the
//! shape lacks is left out, as the document path leaves it out (strict encoding has
//! already refused it in debug builds). Whatever a DTO never holds (a map where a
//! structure is modeled, a value of another kind than its shape) goes through the
//! document writer, so both paths write the same bytes for the same answer.

use std::fmt;

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct};
use serde_json::Value;

use super::xml::{close, element, open, Writer};
use crate::model::{Member, Protocol, ServiceModel, ShapeId, ShapeKind};

/// A value whose `Serialize` failed (the generated DTOs never fail).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn json_error(e: serde_json::Error) -> Error {
    Error(e.to_string())
}

/// Writes the members of `value`, an answer of the structure `shape`, as child elements.
pub fn members<T: Serialize + ?Sized>(
    model: &'static ServiceModel,
    protocol: Protocol,
    out: &mut String,
    shape: ShapeId,
    value: &T,
) -> Result<(), Error> {
    let w = Writer { model, protocol };
    value.serialize(Ser { w: &w, out, shape, at: At::Top, member: false })
}

/// Where a value goes.
#[derive(Clone, Copy)]
enum At {
    /// The answer itself: its members, without an element of its own.
    Top,
    /// An element of this name.
    Element(&'static str),
    /// A flattened list member: an element of this name per item, no wrapper.
    FlatList(&'static str),
    /// A flattened map member: an element of this name per entry.
    FlatMap(&'static str),
}

type JsonSer = serde_json::value::Serializer;
type DocSeq = <JsonSer as ser::Serializer>::SerializeSeq;
type DocMap = <JsonSer as ser::Serializer>::SerializeMap;
type DocStruct = <JsonSer as ser::Serializer>::SerializeStruct;

struct Ser<'a> {
    w: &'a Writer,
    out: &'a mut String,
    shape: ShapeId,
    at: At,
    /// A structure member, left out when absent; otherwise a list item or a map value.
    member: bool,
}

impl<'a> Ser<'a> {
    fn kind(&self) -> &'static ShapeKind {
        &self.w.model.shape(self.shape).kind
    }

    /// Writes `v` as the document writer does in this place.
    fn doc(self, v: &Value) -> Result<(), Error> {
        if self.member && v.is_null() {
            return Ok(());
        }
        match (self.at, self.kind()) {
            (At::Top, _) => self.w.members(self.out, self.shape, v),
            (At::Element(name), _) => self.w.value(self.out, name, self.shape, v),
            (At::FlatList(name), ShapeKind::List(list)) => {
                for item in v.as_array().into_iter().flatten() {
                    self.w.value(self.out, name, list.member, item);
                }
            }
            (At::FlatMap(name), ShapeKind::Map(map)) => {
                for (k, v) in v.as_object().into_iter().flatten() {
                    open(self.out, name);
                    self.w.entry(self.out, map, k, v);
                    close(self.out, name);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn item_name(&self, list_item: Option<&'static str>) -> &'static str {
        list_item.unwrap_or(match self.w.protocol {
            Protocol::Ec2 => "item",
            _ => "member",
        })
    }
}

impl<'a> ser::Serializer for Ser<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = SeqSer<'a>;
    type SerializeTuple = SeqSer<'a>;
    type SerializeTupleStruct = SeqSer<'a>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = MapSer<'a>;
    type SerializeStruct = StructSer<'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.doc(&Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.doc(&Value::from(v))
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.doc(&Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        match (self.at, self.kind()) {
            (
                At::Element(name),
                ShapeKind::String(_)
                | ShapeKind::Integer(_)
                | ShapeKind::Long(_)
                | ShapeKind::Boolean
                | ShapeKind::Blob(_),
            ) => {
                element(self.out, name, v);
                Ok(())
            }
            _ => self.doc(&Value::String(v.to_string())),
        }
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let doc = ser::Serializer::serialize_bytes(JsonSer {}, v).map_err(json_error)?;
        self.doc(&doc)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.doc(&Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.doc(&Value::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.doc(&Value::Null)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let doc =
            ser::Serializer::serialize_newtype_variant(JsonSer {}, name, index, variant, value).map_err(json_error)?;
        self.doc(&doc)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer<'a>, Error> {
        let list = match self.kind() {
            ShapeKind::List(list) => list,
            _ => return Ok(SeqSer::Doc(self, ser::Serializer::serialize_seq(JsonSer {}, len).map_err(json_error)?)),
        };
        let (wrapper, item_name) = match self.at {
            At::Element(name) => (Some(name), self.item_name(list.member_location_name)),
            At::FlatList(name) => (None, name),
            _ => return Ok(SeqSer::Doc(self, ser::Serializer::serialize_seq(JsonSer {}, len).map_err(json_error)?)),
        };
        Ok(SeqSer::Items { w: self.w, out: self.out, item_shape: list.member, item_name, wrapper, count: 0 })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer<'a>, Error> {
        Ok(SeqSer::Doc(self, ser::Serializer::serialize_seq(JsonSer {}, Some(len)).map_err(json_error)?))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqSer<'a>, Error> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error(format!("the variant {variant} has no place in an AWS shape")))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapSer<'a>, Error> {
        let map = match self.kind() {
            ShapeKind::Map(map) => map,
            _ => return Ok(MapSer::Doc(self, ser::Serializer::serialize_map(JsonSer {}, len).map_err(json_error)?)),
        };
        let (wrapper, entry) = match self.at {
            At::Element(name) => {
                open(self.out, name);
                (Some(name), "entry")
            }
            At::FlatMap(name) => (None, name),
            _ => return Ok(MapSer::Doc(self, ser::Serializer::serialize_map(JsonSer {}, len).map_err(json_error)?)),
        };
        Ok(MapSer::Entries { w: self.w, out: self.out, map, wrapper, entry, key: None })
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructSer<'a>, Error> {
        let members = match (self.at, self.kind()) {
            (At::Top, ShapeKind::Structure(st)) => Some((None, st.members)),
            (At::Element(name), ShapeKind::Structure(st)) => {
                open(self.out, name);
                Some((Some(name), st.members))
            }
            _ => None,
        };
        match members {
            Some((close, members)) => Ok(StructSer::Members { w: self.w, out: self.out, members, next: 0, close }),
            None => {
                Ok(StructSer::Doc(self, ser::Serializer::serialize_struct(JsonSer {}, name, len).map_err(json_error)?))
            }
        }
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error(format!("the variant {variant} has no place in an AWS shape")))
    }
}

enum SeqSer<'a> {
    Items {
        w: &'a Writer,
        out: &'a mut String,
        item_shape: ShapeId,
        item_name: &'static str,
        /// The list's element, opened before the first item (`<name/>` when there is none).
        wrapper: Option<&'static str>,
        count: usize,
    },
    Doc(Ser<'a>, DocSeq),
}

impl SerializeSeq for SeqSer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        match self {
            SeqSer::Items { w, out, item_shape, item_name, wrapper, count } => {
                if *count == 0 {
                    if let Some(name) = wrapper {
                        open(out, name);
                    }
                }
                *count += 1;
                value.serialize(Ser { w, out, shape: *item_shape, at: At::Element(item_name), member: false })
            }
            SeqSer::Doc(_, doc) => doc.serialize_element(value).map_err(json_error),
        }
    }

    fn end(self) -> Result<(), Error> {
        match self {
            SeqSer::Items { out, wrapper: Some(name), count: 0, .. } => {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
                Ok(())
            }
            SeqSer::Items { out, wrapper: Some(name), .. } => {
                close(out, name);
                Ok(())
            }
            SeqSer::Items { .. } => Ok(()),
            SeqSer::Doc(ser, doc) => ser.doc(&SerializeSeq::end(doc).map_err(json_error)?),
        }
    }
}

impl ser::SerializeTuple for SeqSer<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqSer<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        SerializeSeq::end(self)
    }
}

enum MapSer<'a> {
    Entries {
        w: &'a Writer,
        out: &'a mut String,
        map: &'static crate::model::Map,
        /// The map's element (already open), unless the map is flattened.
        wrapper: Option<&'static str>,
        /// The element around each entry: `entry`, or a flattened map's name.
        entry: &'static str,
        /// A key given alone (`serialize_key`), waiting for its value.
        key: Option<String>,
    },
    Doc(Ser<'a>, DocMap),
}

/// A map key as the document has it: a string.
fn key_text<T: Serialize + ?Sized>(key: &T) -> Result<String, Error> {
    match key.serialize(JsonSer {}).map_err(json_error)? {
        Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

impl SerializeMap for MapSer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        match self {
            MapSer::Entries { key: pending, .. } => {
                *pending = Some(key_text(key)?);
                Ok(())
            }
            MapSer::Doc(_, doc) => doc.serialize_key(key).map_err(json_error),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        match self {
            MapSer::Entries { w, out, map, entry, key, .. } => {
                let key = key.take().ok_or_else(|| Error("a map value without its key".into()))?;
                open(out, entry);
                element(out, map.key_location_name.unwrap_or("key"), &key);
                let at = At::Element(map.value_location_name.unwrap_or("value"));
                value.serialize(Ser { w, out, shape: map.value, at, member: false })?;
                close(out, entry);
                Ok(())
            }
            MapSer::Doc(_, doc) => doc.serialize_value(value).map_err(json_error),
        }
    }

    fn end(self) -> Result<(), Error> {
        match self {
            MapSer::Entries { out, wrapper: Some(name), .. } => {
                close(out, name);
                Ok(())
            }
            MapSer::Entries { .. } => Ok(()),
            MapSer::Doc(ser, doc) => ser.doc(&SerializeMap::end(doc).map_err(json_error)?),
        }
    }
}

enum StructSer<'a> {
    Members {
        w: &'a Writer,
        out: &'a mut String,
        members: &'static [Member],
        /// Where the next field is looked for first: fields come in model order.
        next: usize,
        /// The structure's element (already open), unless it is the answer itself.
        close: Option<&'static str>,
    },
    Doc(Ser<'a>, DocStruct),
}

impl SerializeStruct for StructSer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        match self {
            StructSer::Members { w, out, members, next, .. } => {
                let found = (*next..members.len()).chain(0..*next).find(|&i| members[i].name == key);
                let Some(i) = found else {
                    return Ok(());
                };
                *next = i + 1;
                let member = &members[i];
                let name = member.xml_name();
                let at = match &w.model.shape(member.target).kind {
                    ShapeKind::List(list) if list.flattened => At::FlatList(list.member_location_name.unwrap_or(name)),
                    ShapeKind::Map(map) if map.flattened => At::FlatMap(name),
                    _ => At::Element(name),
                };
                value.serialize(Ser { w, out, shape: member.target, at, member: true })
            }
            StructSer::Doc(_, doc) => doc.serialize_field(key, value).map_err(json_error),
        }
    }

    fn end(self) -> Result<(), Error> {
        match self {
            StructSer::Members { out, close: Some(name), .. } => {
                close(out, name);
                Ok(())
            }
            StructSer::Members { .. } => Ok(()),
            StructSer::Doc(ser, doc) => ser.doc(&SerializeStruct::end(doc).map_err(json_error)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::*;
    use crate::protocol::xml;
    use crate::testing::{EC2_MODEL, MODEL};
    use crate::types::Timestamp;

    #[derive(Serialize)]
    struct Item {
        #[serde(rename = "Id", skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    }

    /// The test model's `Output`, as codegen would write it, plus a field it lacks.
    #[derive(Serialize, Default)]
    struct Output {
        #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(rename = "Items", skip_serializing_if = "Option::is_none")]
        items: Option<Vec<Item>>,
        #[serde(rename = "Tags", skip_serializing_if = "Option::is_none")]
        tags: Option<BTreeMap<String, String>>,
        #[serde(rename = "When", skip_serializing_if = "Option::is_none")]
        when: Option<Timestamp>,
        #[serde(rename = "Misspelt", skip_serializing_if = "Option::is_none")]
        misspelt: Option<String>,
    }

    /// The body both paths write for `answer`, in ec2 and in awsQuery.
    fn both<T: Serialize>(answer: &T) -> Vec<(String, String)> {
        let doc = serde_json::to_value(answer).unwrap();
        [(&EC2_MODEL, Protocol::Ec2), (&MODEL, Protocol::Query)]
            .into_iter()
            .map(|(model, protocol)| {
                let typed = xml::frame(model, protocol, "Op", None, Some(0), "rid", |out, shape| {
                    members(model, protocol, out, shape, answer).unwrap()
                });
                (typed, xml::encode_output(model, protocol, "Op", None, Some(0), &doc, "rid"))
            })
            .collect()
    }

    #[test]
    fn a_typed_answer_writes_what_its_document_writes() {
        let tags = BTreeMap::from([("b & c".to_string(), "<v>".to_string()), ("a".to_string(), String::new())]);
        let answers = [
            Output::default(),
            Output {
                name: Some("n\r\u{1}\"'".into()),
                items: Some(vec![Item { id: Some("i-1".into()) }, Item { id: None }]),
                tags: Some(tags),
                when: Timestamp::from_epoch_millis(1_700_000_000_123),
                misspelt: Some("left out".into()),
            },
            Output { items: Some(vec![]), tags: Some(BTreeMap::new()), ..Default::default() },
        ];
        for answer in &answers {
            for (typed, doc) in both(answer) {
                assert_eq!(typed, doc);
            }
        }
        let [(ec2, _), (query, _)] = both(&answers[1]).try_into().unwrap();
        assert!(ec2.contains("<requestId>rid</requestId><Name>n&#xD;\"'</Name><Items><item><Id>i-1</Id></item><item></item></Items><Tags><entry><key>a</key><value></value></entry><entry><key>b &amp; c</key><value>&lt;v&gt;</value></entry></Tags><When>2023-11-14T22:13:20.123Z</When></OpResponse>"), "{ec2}");
        assert!(query.contains("<Items><member><Id>i-1</Id></member><member></member></Items>"), "{query}");
        assert!(!query.contains("Misspelt"));
        assert!(both(&answers[2])[0].0.contains("<Items/><Tags></Tags>"));
    }

    #[test]
    fn documents_and_odd_kinds_go_through_the_document_writer() {
        let doc = json!({"Name": 5, "Items": {"Id": "x"}, "Tags": {"k": "v"}, "When": 1.5, "Other": [1]});
        for (typed, expected) in both(&doc) {
            assert_eq!(typed, expected);
        }
        for (typed, expected) in both(&()) {
            assert_eq!(typed, expected);
        }
    }
}
