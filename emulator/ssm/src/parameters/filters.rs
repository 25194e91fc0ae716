//! ParameterStringFilter, as DescribeParameters and GetParametersByPath read it: keys
//! `Name`, `Path`, `Type`, `KeyId`, `Tier`, `DataType`, `Label`, `tag:<key>`, each with its
//! options (AWS's API reference, ParameterStringFilter).

use nimbus_core::ApiError;

use super::Parameter;
use crate::errors;
use crate::generated::dto::ParameterStringFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Describe,
    ByPath,
}

const DESCRIBE_KEYS: &[&str] = &["Name", "Type", "KeyId", "Path", "Tier", "DataType"];
const BY_PATH_KEYS: &[&str] = &["Type", "KeyId", "Label"];

fn options_of(key: &str) -> &'static [&'static str] {
    match key {
        "Name" => &["Equals", "BeginsWith", "Contains"],
        "Path" => &["Recursive", "OneLevel"],
        _ => &["Equals", "BeginsWith"],
    }
}

/// Refuses what the operation does not take, before anything is read.
pub fn check(filters: &[ParameterStringFilter], op: Operation) -> Result<(), ApiError> {
    let keys = match op {
        Operation::Describe => DESCRIBE_KEYS,
        Operation::ByPath => BY_PATH_KEYS,
    };
    for f in filters {
        let tag = f.key.starts_with("tag:") && f.key.len() > 4;
        if !(keys.contains(&f.key.as_str()) || (tag && op == Operation::Describe)) {
            return Err(errors::invalid_filter_key(format!(
                "The following filter key is not valid: {}. Valid filter keys include: [{}].",
                f.key,
                keys.join(", ")
            )));
        }
        let options = options_of(if tag { "tag" } else { &f.key });
        if let Some(option) = f.option.as_deref().filter(|o| !options.contains(o)) {
            return Err(errors::invalid_filter_option(format!(
                "The following filter option is not valid: {option}. Valid options include: [{}].",
                options.join(", ")
            )));
        }
        if !tag && f.values.as_ref().is_none_or(Vec::is_empty) {
            return Err(errors::invalid_filter_value(format!(
                "The following filter values are missing : null for filter key {}.",
                f.key
            )));
        }
        if f.key == "Path" {
            for v in f.values.iter().flatten() {
                crate::names::check_path(v)?;
            }
        }
    }
    Ok(())
}

/// Whether `name` is in the hierarchy below `path` (directly, unless `recursive`).
/// `/` holds the parameters of one level, named with or without a leading slash.
pub fn under(name: &str, path: &str, recursive: bool) -> bool {
    let rest = if path == "/" {
        name.strip_prefix('/').unwrap_or(name)
    } else {
        match name.strip_prefix(path).and_then(|r| r.strip_prefix('/')) {
            Some(r) => r,
            None => return false,
        }
    };
    !rest.is_empty() && (recursive || !rest.contains('/'))
}

fn text_matches(option: &str, actual: &str, wanted: &str) -> bool {
    match option {
        "BeginsWith" => actual.starts_with(wanted),
        "Contains" => actual.contains(wanted),
        _ => actual == wanted,
    }
}

/// Whether a parameter (its latest version) passes every filter.
pub fn matches(p: &Parameter, filters: &[ParameterStringFilter]) -> bool {
    let v = p.latest();
    filters.iter().all(|f| {
        let values = f.values.clone().unwrap_or_default();
        let option = f.option.as_deref().unwrap_or(if f.key == "Path" { "OneLevel" } else { "Equals" });
        let any = |actual: &str| values.iter().any(|w| text_matches(option, actual, w));
        match f.key.as_str() {
            "Name" => {
                let bare = p.name.trim_start_matches('/');
                values
                    .iter()
                    .any(|w| text_matches(option, &p.name, w) || text_matches(option, bare, w.trim_start_matches('/')))
            }
            "Path" => values.iter().any(|w| {
                let w = if w.len() > 1 { w.trim_end_matches('/') } else { w };
                under(&p.name, w, option == "Recursive")
            }),
            "Type" => any(&v.kind),
            "KeyId" => v.key_id.as_deref().is_some_and(any),
            "Tier" => any(&v.tier),
            "DataType" => any(&v.data_type),
            "Label" => p.versions.iter().any(|ver| ver.labels.iter().any(|l| any(l))),
            key => {
                let tag = &key[4..];
                p.tags.iter().any(|(k, val)| k == tag && (values.is_empty() || any(val)))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(key: &str, option: Option<&str>, values: &[&str]) -> ParameterStringFilter {
        ParameterStringFilter {
            key: key.into(),
            option: option.map(str::to_string),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn hierarchy_levels() {
        assert!(under("/a/b", "/a", false));
        assert!(!under("/a/b/c", "/a", false));
        assert!(under("/a/b/c", "/a", true));
        assert!(!under("/ab/c", "/a", true));
        assert!(under("plain", "/", false) && under("/top", "/", false) && !under("/a/b", "/", false));
    }

    #[test]
    fn keys_and_options_are_checked_per_operation() {
        assert!(check(&[f("Name", Some("BeginsWith"), &["/a"])], Operation::Describe).is_ok());
        assert_eq!(check(&[f("Name", None, &["/a"])], Operation::ByPath).unwrap_err().code, "InvalidFilterKey");
        assert_eq!(check(&[f("Label", None, &["x"])], Operation::Describe).unwrap_err().code, "InvalidFilterKey");
        assert_eq!(
            check(&[f("Path", Some("Equals"), &["/a"])], Operation::Describe).unwrap_err().code,
            "InvalidFilterOption"
        );
        assert_eq!(check(&[f("Type", None, &[])], Operation::Describe).unwrap_err().code, "InvalidFilterValue");
        assert!(check(&[f("tag:env", None, &[])], Operation::Describe).is_ok());
    }
}
