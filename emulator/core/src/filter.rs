//! EC2-style filters: `Filter.N.Name` with `Filter.N.Value.M`. Filters are ANDed,
//! the values of one filter ORed; values may use `*` and `?` wildcards; `tag:<key>`
//! and `tag-key` work on any taggable resource.

/// A resource that can be filtered: the values it has for a filter name, or `None`
/// when the name is not a filter of this resource type.
pub trait Filterable {
    fn filter_values(&self, name: &str) -> Option<Vec<String>>;

    /// The resource's tags, for `tag:<key>`, `tag-key` and `tag-value`.
    fn tags(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// Why a filter set cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFilter(pub String);

/// Whether `item` matches every filter. An unknown filter name is an error.
pub fn matches<T: Filterable>(item: &T, filters: &[Filter]) -> Result<bool, UnknownFilter> {
    for f in filters {
        let have: Vec<String> = if let Some(key) = f.name.strip_prefix("tag:") {
            item.tags().into_iter().filter(|(k, _)| k == key).map(|(_, v)| v).collect()
        } else if f.name == "tag-key" {
            item.tags().into_iter().map(|(k, _)| k).collect()
        } else if f.name == "tag-value" {
            item.tags().into_iter().map(|(_, v)| v).collect()
        } else {
            item.filter_values(&f.name).ok_or_else(|| UnknownFilter(f.name.clone()))?
        };
        if !f.values.iter().any(|want| have.iter().any(|h| wildcard(want, h))) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Keeps the items that match; an unknown filter name is an error.
pub fn apply<T: Filterable + Clone>(
    items: impl IntoIterator<Item = T>,
    filters: &[Filter],
) -> Result<Vec<T>, UnknownFilter> {
    let mut out = Vec::new();
    for item in items {
        if matches(&item, filters)? {
            out.push(item);
        }
    }
    Ok(out)
}

/// `*` matches any run of characters, `?` any one; `\` escapes them, as in EC2.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '\\' if pi + 1 < p.len() && p[pi + 1] == t[ti] => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                c if c != '\\' && c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug)]
    struct Vpc {
        id: &'static str,
        cidr: &'static str,
        tags: Vec<(String, String)>,
    }

    impl Filterable for Vpc {
        fn filter_values(&self, name: &str) -> Option<Vec<String>> {
            match name {
                "vpc-id" => Some(vec![self.id.into()]),
                "cidr-block" => Some(vec![self.cidr.into()]),
                _ => None,
            }
        }
        fn tags(&self) -> Vec<(String, String)> {
            self.tags.clone()
        }
    }

    fn f(name: &str, values: &[&str]) -> Filter {
        Filter { name: name.into(), values: values.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("*", ""));
        assert!(wildcard("vpc-*", "vpc-123"));
        assert!(wildcard("10.0.?.0/24", "10.0.1.0/24"));
        assert!(!wildcard("10.0.?.0/24", "10.0.12.0/24"));
        assert!(wildcard("*web*", "my-web-server"));
        assert!(!wildcard("web", "webserver"));
        assert!(wildcard("a\\*b", "a*b"));
        assert!(!wildcard("a\\*b", "axb"));
        assert!(wildcard("a*b*c", "aXXbYYc"));
        assert!(!wildcard("a*b*c", "aXXbYY"));
    }

    #[test]
    fn filters_and_across_or_within_and_know_tags() {
        let vpcs = vec![
            Vpc { id: "vpc-1", cidr: "10.0.0.0/16", tags: vec![("Name".into(), "prod".into())] },
            Vpc {
                id: "vpc-2",
                cidr: "10.1.0.0/16",
                tags: vec![("Name".into(), "dev".into()), ("team".into(), "a".into())],
            },
        ];
        let ids = |fs: &[Filter]| apply(vpcs.clone(), fs).unwrap().iter().map(|v| v.id).collect::<Vec<_>>();
        assert_eq!(ids(&[f("vpc-id", &["vpc-1", "vpc-2"])]), vec!["vpc-1", "vpc-2"]);
        assert_eq!(ids(&[f("vpc-id", &["vpc-1", "vpc-2"]), f("cidr-block", &["10.1.*"])]), vec!["vpc-2"]);
        assert_eq!(ids(&[f("tag:Name", &["prod"])]), vec!["vpc-1"]);
        assert_eq!(ids(&[f("tag-key", &["team"])]), vec!["vpc-2"]);
        assert_eq!(ids(&[f("tag-value", &["d*"])]), vec!["vpc-2"]);
        assert_eq!(apply(vpcs.clone(), &[f("bogus", &["x"])]).unwrap_err(), UnknownFilter("bogus".into()));
    }
}
