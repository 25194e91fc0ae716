//! Requests read straight into the handler's typed input (a generated DTO), with no
//! protocol-neutral document between: the body's parser is walked beside the input
//! shape, so every value is type-checked, converted and constraint-checked exactly as
//! [`json::check_owned`](super::json::check_owned) and [`validate::check`] would, and
//! lands in its field without a `serde_json::Value` tree.
//!
//! This is a fast path, not a second decoder: it takes an input only when the document
//! path would take it and give the handler the same value, and answers `None` for
//! everything else (a syntax error, a value of the wrong kind, a missing required
//! member, a constraint violated, a null where the document path drops one, a repeated
//! key). The dispatcher then decodes the document as before, and that path words the
//! refusal, so bad input gets exactly the errors it always got. Scalars go through
//! the document path's own code (each is parsed as a one-value document, checked with
//! `check_owned` and validated), so a value converts as it always did; only structures,
//! lists and maps are walked here.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{json, Path, MAX_DEPTH};
use crate::model::{Protocol, Range, ServiceModel, ShapeId, ShapeKind, Structure};
use crate::service::Output;
use crate::{validate, ApiError};

/// An operation's input as it came off the wire, for [`decode`].
#[derive(Debug, Clone, Copy)]
pub struct WireInput<'a> {
    pub protocol: Protocol,
    pub model: &'static ServiceModel,
    /// The operation's input shape.
    pub shape: ShapeId,
    /// The decoded (gunzipped) body.
    pub body: &'a [u8],
}

impl WireInput<'_> {
    /// Whether [`decode`] reads this protocol at all.
    pub fn supported(protocol: Protocol) -> bool {
        protocol == Protocol::Json10
    }
}

/// The typed input, when the fast path takes it; `None` sends the request down the
/// document path (see the module's documentation).
pub fn decode<I: DeserializeOwned>(input: &WireInput<'_>) -> Option<I> {
    match input.protocol {
        Protocol::Json10 => {
            // An empty body is an empty structure, as `json::decode` reads it.
            let body: &[u8] = if input.body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { input.body };
            let mut de = serde_json::Deserializer::from_slice(body);
            let guided = Guided { inner: &mut de, model: input.model, shape: input.shape, depth: 0, required: true };
            let value = I::deserialize(guided).ok()?;
            de.end().ok()?;
            Some(value)
        }
        _ => None,
    }
}

/// Runs a typed handler on an input read by [`decode`]; `None` (and the handler not
/// run) when the fast path does not take the input.
pub fn invoke<I, O>(
    input: &WireInput<'_>,
    handler: impl FnOnce(I) -> Result<O, ApiError>,
) -> Option<Result<Output, ApiError>>
where
    I: DeserializeOwned,
    O: serde::Serialize + Send + 'static,
{
    let typed = decode::<I>(input)?;
    Some(handler(typed).map(|o| Output::Typed(Box::new(o))))
}

/// Why the fast path gave up; never shown to a client.
fn refuse<E: de::Error>(why: &str) -> E {
    E::custom(why)
}

/// A deserializer of the value of shape `shape` from `inner`, the body's parser.
struct Guided<D> {
    inner: D,
    model: &'static ServiceModel,
    shape: ShapeId,
    depth: usize,
    /// A required member (or a list item, a map value): null is not taken as absent.
    required: bool,
}

impl<'de, D: Deserializer<'de>> Guided<D> {
    fn compound<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        if self.depth > MAX_DEPTH {
            return Err(refuse("too deep"));
        }
        let (model, depth) = (self.model, self.depth);
        match &model.shape(self.shape).kind {
            ShapeKind::Structure(st) => {
                if st.members.len() > 128 {
                    return Err(refuse("too many members"));
                }
                self.inner.deserialize_map(StructVisitor { visitor, model, st, depth })
            }
            ShapeKind::List(list) => {
                self.inner.deserialize_seq(ListVisitor { visitor, model, item: list.member, range: list.range, depth })
            }
            ShapeKind::Map(map) => {
                self.inner.deserialize_map(MapVisitor { visitor, model, value: map.value, range: map.range, depth })
            }
            _ => unreachable!("compound() is called for structures, lists and maps"),
        }
    }

    /// A scalar, as the document path reads it: parsed as a one-value document,
    /// checked, converted and validated by the document path's own code.
    fn scalar(self) -> Result<Value, D::Error> {
        let value = Value::deserialize(self.inner)?;
        let value = json::check_owned(self.model, self.shape, value, &Path::Root, self.depth)
            .map_err(|_| refuse::<D::Error>("check"))?;
        if !validate::fits(self.model, self.shape, &value) {
            return Err(refuse("constraint"));
        }
        Ok(value)
    }

    fn is_compound(&self) -> bool {
        matches!(self.model.shape(self.shape).kind, ShapeKind::Structure(_) | ShapeKind::List(_) | ShapeKind::Map(_))
    }
}

/// Each `deserialize_*` walks a compound shape here, or hands the checked scalar to the
/// same method of `serde_json::Value`'s deserializer (what `from_value` would call).
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                if self.is_compound() {
                    return self.compound(visitor);
                }
                self.scalar()?.$method($($arg,)* visitor).map_err(de::Error::custom)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Guided<D> {
    type Error = D::Error;

    forward! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    /// An optional member's null is an absent member, as the document path drops it;
    /// anywhere else a null goes on to be refused.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.required {
            return visitor.visit_some(self);
        }
        let (model, shape, depth) = (self.model, self.shape, self.depth);
        self.inner.deserialize_option(OptionVisitor { visitor, model, shape, depth })
    }
}

struct OptionVisitor<V> {
    visitor: V,
    model: &'static ServiceModel,
    shape: ShapeId,
    depth: usize,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for OptionVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_some<D2: Deserializer<'de>>(self, inner: D2) -> Result<V::Value, D2::Error> {
        let (model, shape, depth) = (self.model, self.shape, self.depth);
        self.visitor.visit_some(Guided { inner, model, shape, depth, required: true })
    }
}

/// Gives a value's deserializer to a DTO's seed, guided by the value's shape.
struct GuidedSeed<S> {
    seed: S,
    model: &'static ServiceModel,
    shape: ShapeId,
    depth: usize,
    required: bool,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for GuidedSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        let (model, shape, depth, required) = (self.model, self.shape, self.depth, self.required);
        self.seed.deserialize(Guided { inner, model, shape, depth, required })
    }
}

struct StructVisitor<V> {
    visitor: V,
    model: &'static ServiceModel,
    st: &'static Structure,
    depth: usize,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for StructVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a structure")
    }

    fn visit_map<A: MapAccess<'de>>(self, inner: A) -> Result<V::Value, A::Error> {
        let access = StructAccess { inner, model: self.model, st: self.st, depth: self.depth, current: 0, seen: 0 };
        self.visitor.visit_map(access)
    }
}

/// A structure's members as the DTO reads them: unknown keys skipped (as the document
/// path drops them), each member named as the model names it.
struct StructAccess<A> {
    inner: A,
    model: &'static ServiceModel,
    st: &'static Structure,
    depth: usize,
    /// The member whose value comes next.
    current: usize,
    /// The members given so far, by index (at most 128, see `compound`).
    seen: u128,
}

/// A key of a structure: the index of the member of that name, if any.
struct MemberKey(&'static Structure);

impl<'de> DeserializeSeed<'de> for MemberKey {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MemberKey {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.members.iter().position(|m| m.name == key))
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StructAccess<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        loop {
            match self.inner.next_key_seed(MemberKey(self.st))? {
                None => {
                    let missing =
                        self.st.members.iter().enumerate().any(|(i, m)| m.required && self.seen & (1u128 << i) == 0);
                    return if missing { Err(refuse("missing")) } else { Ok(None) };
                }
                Some(None) => {
                    self.inner.next_value::<IgnoredAny>()?;
                }
                Some(Some(i)) => {
                    if self.seen & (1u128 << i) != 0 {
                        return Err(refuse("repeated member"));
                    }
                    self.seen |= 1u128 << i;
                    self.current = i;
                    let name = self.st.members[i].name;
                    return seed.deserialize(de::value::BorrowedStrDeserializer::new(name)).map(Some);
                }
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let member = &self.st.members[self.current];
        self.inner.next_value_seed(GuidedSeed {
            seed,
            model: self.model,
            shape: member.target,
            depth: self.depth + 1,
            required: member.required,
        })
    }
}

struct ListVisitor<V> {
    visitor: V,
    model: &'static ServiceModel,
    item: ShapeId,
    range: Range,
    depth: usize,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for ListVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, inner: A) -> Result<V::Value, A::Error> {
        let access =
            ListAccess { inner, model: self.model, item: self.item, range: self.range, depth: self.depth, count: 0 };
        self.visitor.visit_seq(access)
    }
}

struct ListAccess<A> {
    inner: A,
    model: &'static ServiceModel,
    item: ShapeId,
    range: Range,
    depth: usize,
    count: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for ListAccess<A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        let guided = GuidedSeed { seed, model: self.model, shape: self.item, depth: self.depth + 1, required: true };
        match self.inner.next_element_seed(guided)? {
            Some(v) => {
                self.count += 1;
                Ok(Some(v))
            }
            None if validate::length_fits(&self.range, self.count) => Ok(None),
            None => Err(refuse("list length")),
        }
    }
}

struct MapVisitor<V> {
    visitor: V,
    model: &'static ServiceModel,
    value: ShapeId,
    range: Range,
    depth: usize,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for MapVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, inner: A) -> Result<V::Value, A::Error> {
        let access = MapShapeAccess {
            inner,
            model: self.model,
            value: self.value,
            range: self.range,
            depth: self.depth,
            keys: Vec::new(),
        };
        self.visitor.visit_map(access)
    }
}

/// A map's entries; its keys are kept to refuse a repeated one (which the document
/// path reads as the last of them, and counts once).
struct MapShapeAccess<A> {
    inner: A,
    model: &'static ServiceModel,
    value: ShapeId,
    range: Range,
    depth: usize,
    keys: Vec<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for MapShapeAccess<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        match self.inner.next_key::<String>()? {
            None if validate::length_fits(&self.range, self.keys.len()) => Ok(None),
            None => Err(refuse("map length")),
            Some(key) if self.keys.contains(&key) => Err(refuse("repeated key")),
            Some(key) => {
                let given = seed.deserialize(de::value::StrDeserializer::new(&key)).map(Some);
                self.keys.push(key);
                given
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(GuidedSeed {
            seed,
            model: self.model,
            shape: self.value,
            depth: self.depth + 1,
            required: true,
        })
    }
}
