//! Parameter names and the selectors that name one version (AWS's "Requirements and
//! constraints for parameter names": letters, digits, `_.-`, `/` between the levels of
//! a hierarchy that then starts with `/`, at most 15 levels, not under `aws` or `ssm`).

use nimbus_core::ApiError;

use crate::errors;

/// The longest name an account can create (AWS reports 2048 for the whole ARN, of which
/// 1037 characters are reserved).
const MAX_NAME: usize = 1011;
const MAX_DEPTH: usize = 15;

/// Checks the name of a parameter being created; answers it without the spaces AWS
/// trims from its ends.
pub fn check_new(name: &str) -> Result<String, ApiError> {
    let name = name.trim_matches(' ');
    let bare = name.trim_start_matches('/').to_ascii_lowercase();
    if bare.starts_with("aws") {
        return Err(errors::reserved_name(name));
    }
    if bare.starts_with("ssm") || !well_formed(name) {
        return Err(errors::bad_name());
    }
    if name.len() > MAX_NAME {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have \
             length less than or equal to {MAX_NAME}"
        )));
    }
    if depth(name) > MAX_DEPTH {
        return Err(errors::hierarchy_too_deep());
    }
    Ok(name.to_string())
}

/// Letters, digits and `_.-`, with `/` only between non-empty levels of a name that
/// starts with `/`.
fn well_formed(name: &str) -> bool {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c)) {
        return false;
    }
    if !name.contains('/') {
        return true;
    }
    name.starts_with('/') && name[1..].split('/').all(|level| !level.is_empty())
}

/// The number of levels of a name: `/a/b/c` has 3, `name` 1.
pub fn depth(name: &str) -> usize {
    name.trim_start_matches('/').split('/').count()
}

/// Checks GetParametersByPath's path: `/`, or a hierarchy that starts with `/`
/// (a trailing `/` allowed).
pub fn check_path(path: &str) -> Result<String, ApiError> {
    if path == "/" {
        return Ok(path.to_string());
    }
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if !trimmed.starts_with('/') || !well_formed(trimmed) {
        return Err(errors::bad_path());
    }
    if depth(trimmed) > MAX_DEPTH {
        return Err(errors::hierarchy_too_deep());
    }
    Ok(trimmed.to_string())
}

/// A parameter named in a read: the name (an ARN names it too) and, after the last
/// colon, a version number or a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub name: String,
    pub select: Option<Select>,
    /// The selector as written after the name (`:3`, `:prod`), which AWS echoes.
    pub written: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    Version(i64),
    Label(String),
}

pub fn parse_selector(raw: &str) -> Selector {
    let name = strip_arn(raw);
    match name.rsplit_once(':') {
        Some((base, sel)) if !sel.is_empty() => {
            let select = match sel.parse::<i64>() {
                Ok(v) => Select::Version(v),
                Err(_) => Select::Label(sel.to_string()),
            };
            Selector { name: base.to_string(), select: Some(select), written: Some(format!(":{sel}")) }
        }
        _ => Selector { name: name.to_string(), select: None, written: None },
    }
}

/// `arn:aws:ssm:<region>:<account>:parameter/<name>` names `<name>` (with its leading
/// slash when it is a hierarchy).
fn strip_arn(raw: &str) -> &str {
    if !raw.starts_with("arn:") {
        return raw;
    }
    let Some(rest) = raw.splitn(6, ':').nth(5) else { return raw };
    match rest.strip_prefix("parameter") {
        Some(tail) if tail.starts_with('/') => {
            // `parameter/a/b` is `/a/b`; `parameter/name` is `name`.
            if tail[1..].contains('/') {
                tail
            } else {
                &tail[1..]
            }
        }
        _ => raw,
    }
}

/// A label: letters, digits, `_.-`, at most 100 characters, not starting with a digit,
/// `aws` or `ssm`.
pub fn valid_label(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    !label.is_empty()
        && label.len() <= 100
        && label.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aws_rules() {
        assert_eq!(check_new(" /app/db/url ").unwrap(), "/app/db/url");
        assert_eq!(check_new("plain-name_1.x").unwrap(), "plain-name_1.x");
        assert_eq!(check_new("/aws/mine").unwrap_err().code, "AccessDeniedException");
        assert_eq!(check_new("AWSthing").unwrap_err().code, "AccessDeniedException");
        for bad in ["/ssm/x", "SSM-x", "a/b", "/a//b", "/a/", "has space", "bad@char", ""] {
            assert_eq!(check_new(bad).unwrap_err().code, "ValidationException", "{bad}");
        }
        let fifteen = "/l".repeat(15);
        assert!(check_new(&fifteen).is_ok());
        assert_eq!(check_new(&format!("{fifteen}/x")).unwrap_err().code, "HierarchyLevelLimitExceededException");
        assert_eq!(check_new(&"n".repeat(1012)).unwrap_err().code, "ValidationException");
    }

    #[test]
    fn selectors_and_arns() {
        let s = parse_selector("/app/url:3");
        assert_eq!((s.name.as_str(), s.select), ("/app/url", Some(Select::Version(3))));
        let s = parse_selector("/app/url:prod");
        assert_eq!(s.select, Some(Select::Label("prod".into())));
        assert_eq!(s.written.as_deref(), Some(":prod"));
        assert_eq!(parse_selector("arn:aws:ssm:us-east-1:123456789012:parameter/app/url").name, "/app/url");
        assert_eq!(parse_selector("arn:aws:ssm:us-east-1:123456789012:parameter/plain").name, "plain");
        assert_eq!(parse_selector("arn:aws:ssm:us-east-1::parameter/aws/service/x:2").select, Some(Select::Version(2)));
        assert_eq!(parse_selector("plain").select, None);
    }

    #[test]
    fn paths_and_labels() {
        assert_eq!(check_path("/app/").unwrap(), "/app");
        assert_eq!(check_path("/").unwrap(), "/");
        assert!(check_path("app").is_err());
        assert!(valid_label("prod_1"));
        assert!(!valid_label("1prod") && !valid_label("awsx") && !valid_label("ssm") && !valid_label("a/b"));
    }
}
