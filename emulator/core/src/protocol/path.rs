//! Where a value sits in a request (`MetricData.3.Dimensions.1.Name`), kept on the stack
//! as the decoders descend and written out only when an error names it: a request that
//! decodes allocates no path at all.

use std::fmt::{self, Write as _};

#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// The request itself (written as the empty string).
    Root,
    /// A structure member: `Parent.Name`, or `Name` where the parent writes nothing.
    Member(&'a Path<'a>, &'a str),
    /// A list item, 1-based: `Parent.3` (`.3` at the root).
    Index(&'a Path<'a>, usize),
    /// A map key or a fixed segment: `Parent.key` (`.key` at the root).
    Key(&'a Path<'a>, &'a str),
}

impl<'a> Path<'a> {
    pub fn member(&'a self, name: &'a str) -> Path<'a> {
        Path::Member(self, name)
    }

    pub fn index(&'a self, one_based: usize) -> Path<'a> {
        Path::Index(self, one_based)
    }

    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub fn is_root(&self) -> bool {
        matches!(self, Path::Root)
    }

    fn write_into(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Member(parent, name) => {
                parent.write_into(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Path::Index(parent, i) => {
                parent.write_into(out);
                let _ = write!(out, ".{i}");
            }
            Path::Key(parent, key) => {
                parent.write_into(out);
                out.push('.');
                out.push_str(key);
            }
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_into(&mut out);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_as_the_decoders_always_named_them() {
        let root = Path::Root;
        assert_eq!(root.to_string(), "");
        let data = root.member("MetricData");
        let third = data.index(3);
        let dims = third.member("Dimensions");
        let first = dims.index(1);
        assert_eq!(first.member("Name").to_string(), "MetricData.3.Dimensions.1.Name");
        let tags = root.member("Tags");
        assert_eq!(tags.key("k").member("V").to_string(), "Tags.k.V");
        // Items and keys directly under the root keep their leading dot, as
        // `format!("{path}.{i}")` wrote them with an empty path.
        assert_eq!(root.index(2).to_string(), ".2");
        assert_eq!(root.key("k").to_string(), ".k");
        // An empty map key still separates: `Tags.` then `Tags..Name`.
        let empty = tags.key("");
        assert_eq!(empty.member("Name").to_string(), "Tags..Name");
        assert!(root.is_root() && !tags.is_root());
    }
}
