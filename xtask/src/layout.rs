//! `cargo xtask layout`: the rules of the source tree that the compiler does not check.
//!
//! - No hand-written source file in `emulator/` is longer than 800 lines (generated code
//!   is exempt).
//! - EC2's families (the top-level folders of `emulator/ec2/src`) import each other
//!   without a circle: lookups several families need live in `state/`, the layer below
//!   them all.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::{root, Result};

const MAX_LINES: usize = 800;

pub fn run() -> Result {
    let root = root();
    let mut problems = long_files(&root.join("emulator"))?;
    problems.extend(family_cycles(&root.join("emulator/ec2/src"))?);
    if problems.is_empty() {
        println!("layout: every file under {MAX_LINES} lines, no import circle between EC2 families");
        return Ok(());
    }
    Err(format!("layout:\n  {}", problems.join("\n  ")))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "generated" || n == "target") {
                continue;
            }
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

fn long_files(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    rust_files(dir, &mut files)?;
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let lines = text.lines().count();
        if lines > MAX_LINES {
            out.push(format!(
                "{} has {lines} lines (at most {MAX_LINES})",
                f.strip_prefix(root()).unwrap_or(&f).display()
            ));
        }
    }
    Ok(out)
}

/// The families a file's `crate::` paths name, including those inside `use crate::{...}`.
fn families_named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if depth == 1 && c == ',' {
                    out.insert(first_segment(&item));
                    item.clear();
                } else {
                    item.push(c);
                }
            }
            out.insert(first_segment(&item));
        } else {
            out.insert(first_segment(rest));
        }
    }
    out.remove("");
    out
}

fn first_segment(s: &str) -> String {
    s.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

fn family_cycles(src: &Path) -> Result<Vec<String>> {
    let mut families = BTreeSet::new();
    for entry in std::fs::read_dir(src).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "generated") {
            families.insert(path.file_name().unwrap_or_default().to_string_lossy().to_string());
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for family in &families {
        let mut files = Vec::new();
        rust_files(&src.join(family), &mut files)?;
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| e.to_string())?;
            // A family's unit tests may use any other family to set a scene.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for named in families_named(code) {
                if named != *family && families.contains(&named) {
                    edges.entry(family.clone()).or_default().insert(named);
                }
            }
        }
    }
    let mut circles: BTreeMap<BTreeSet<String>, Vec<String>> = BTreeMap::new();
    for family in &families {
        if let Some(path) = path_back(&edges, family) {
            circles.entry(path.iter().cloned().collect()).or_insert(path);
        }
    }
    let out = circles
        .into_values()
        .map(|path| format!("EC2 families import each other in a circle: {}", path.join(" -> ")))
        .collect();
    Ok(out)
}

/// A path from `start` back to itself, if there is one.
fn path_back(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().expect("paths are never empty");
        for next in edges.get(last).into_iter().flatten() {
            if next == start {
                let mut done = path.clone();
                done.push(start.to_string());
                return Some(done);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_families_in_paths_and_groups() {
        let text = "use crate::{vpc::subnets, state::Ec2State, catalogue};\nlet x = crate::ebs::volumes::get();";
        let got: Vec<String> = families_named(text).into_iter().collect();
        assert_eq!(got, ["catalogue", "ebs", "state", "vpc"]);
    }

    #[test]
    fn finds_a_circle() {
        let mut edges = BTreeMap::new();
        edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
        edges.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
        edges.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
        assert_eq!(path_back(&edges, "a").unwrap(), ["a", "b", "c", "a"]);
        edges.remove("c");
        assert!(path_back(&edges, "a").is_none());
    }
}
