//! `extend = "../plimsoll.toml"`: a config that inherits another's settings,
//! as ruff's `extend` does. The extended file's table is merged under this
//! one's (tables merge key by key, this file's values and arrays win), after
//! its relative paths are rewritten to mean, from this file's directory, what
//! they meant from its own:
//!
//! - file paths (`[[plugins]] source`, `[registry] ca-files`, `[sign-verify]`
//!   `key` and `trusted-root`, `[scan] vex` and `ignore-file`) are joined to
//!   the relative way from here to there (`../../keys/cosign.pub`);
//! - globs (`exclude`, the keys of `per-file-ignores`, `[targets] kubernetes`) are matched against
//!   paths relative to the config's directory, so a glob of the extended file
//!   is narrowed to what it can still match under this directory: `**/…`
//!   stays, `services/api/legacy/**` becomes `legacy/**` here, and a glob for
//!   another part of the tree (`vendor/**`) is left out.

use std::path::{Component, Path, PathBuf};

use toml::{Table, Value};

/// The way from `from` (a directory) to `to` (a directory), both absolute and
/// normalised: `../..`, `../shared`, or empty when they are the same.
fn relative_way(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// Rewrites a file path of the extended config (relative to `there`) to be
/// relative to `here` (`way` = the way from here to there).
fn rebase_file(v: &mut Value, way: &Path) {
    if let Value::String(s) = v
        && !Path::new(s.as_str()).is_absolute()
        && !s.contains("://")
        && !s.contains("-----BEGIN")
        && !s.trim_start().starts_with('{')
    {
        *s = way.join(s.as_str()).to_string_lossy().replace('\\', "/");
    }
}

/// A glob of the extended config narrowed to this directory (`below` = the
/// way from there down to here, `services/api`), or `None` when it cannot
/// match anything under here.
fn rebase_glob(glob: &str, below: &Path) -> Option<String> {
    if glob.starts_with("**") || below.as_os_str().is_empty() {
        return Some(glob.to_string());
    }
    let mut rest = glob;
    for c in below.components() {
        let c = c.as_os_str().to_string_lossy();
        let (head, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if head == "**" {
            return Some(rest.to_string());
        }
        if head.contains(['*', '?', '[', '{']) {
            // A pattern in a leading component: keep it whole (it may
            // match), rather than guess.
            return Some(glob.to_string());
        }
        if head != c {
            return None;
        }
        rest = tail;
    }
    (!rest.is_empty()).then(|| rest.to_string())
}

/// Rewrites the relative paths of an extended config's `table` (whose file is
/// in `there`) for a config in `here`.
pub fn rebase(table: &mut Table, there: &Path, here: &Path) {
    let way = relative_way(here, there);
    // Globs: only meaningful when here is at or below there.
    let below = here.strip_prefix(there).ok().map(Path::to_path_buf);
    let rebase_globs = |globs: Option<&mut Value>| {
        if let Some(Value::Array(globs)) = globs {
            let kept: Vec<Value> = globs
                .iter()
                .filter_map(|g| g.as_str())
                .filter_map(|g| below.as_deref().and_then(|b| rebase_glob(g, b)))
                .map(Value::from)
                .collect();
            *globs = kept;
        }
    };
    rebase_globs(table.get_mut("exclude"));
    rebase_globs(
        table
            .get_mut("targets")
            .and_then(|t| t.as_table_mut())
            .and_then(|t| t.get_mut("kubernetes")),
    );
    if let Some(Value::Table(per_file)) = table.get_mut("per-file-ignores") {
        let old = std::mem::take(per_file);
        for (k, v) in old {
            if let Some(k) = below.as_deref().and_then(|b| rebase_glob(&k, b)) {
                per_file.insert(k, v);
            }
        }
    }
    for keys in FILE_PATHS {
        for_each_at(table, keys, &mut |v| rebase_file(v, &way));
    }
}

/// Where the config holds file paths, as keys from the top; arrays on the
/// way (`[[plugins]]`, a policy's `authorities`) are walked element by
/// element.
const FILE_PATHS: &[&[&str]] = &[
    &["plugins", "source"],
    &["registry", "ca-files"],
    &["scan", "vex"],
    &["scan", "ignore-file"],
    &["sign-verify", "policies", "authorities", "key"],
    &["sign-verify", "policies", "authorities", "trusted-root"],
    &[
        "sign-verify",
        "policies",
        "authorities",
        "keyless",
        "trusted-root",
    ],
];

/// Calls `f` on every value at `keys` below `table`.
fn for_each_at(table: &mut Table, keys: &[&str], f: &mut dyn FnMut(&mut Value)) {
    fn walk(v: &mut Value, keys: &[&str], f: &mut dyn FnMut(&mut Value)) {
        match (v, keys.split_first()) {
            (Value::Array(items), _) => items.iter_mut().for_each(|i| walk(i, keys, f)),
            (Value::Table(t), Some((k, rest))) => {
                if let Some(next) = t.get_mut(*k) {
                    walk(next, rest, f);
                }
            }
            (v, None) => f(v),
            _ => {}
        }
    }
    if let Some((k, rest)) = keys.split_first()
        && let Some(v) = table.get_mut(*k)
    {
        walk(v, rest, f);
    }
}

/// `over` merged over `under`: tables key by key, anything else replaced.
pub fn merge(under: &mut Table, over: Table) {
    for (k, v) in over {
        match (under.get_mut(&k), v) {
            (Some(Value::Table(u)), Value::Table(o)) => merge(u, o),
            (_, v) => {
                under.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ways_between_directories() {
        assert_eq!(
            relative_way(Path::new("/r/services/api"), Path::new("/r")),
            PathBuf::from("../..")
        );
        assert_eq!(
            relative_way(Path::new("/r/a"), Path::new("/r/b/c")),
            PathBuf::from("../b/c")
        );
        assert_eq!(
            relative_way(Path::new("/r"), Path::new("/r")),
            PathBuf::new()
        );
    }

    #[test]
    fn globs_are_narrowed_to_the_directory_below() {
        let b = Path::new("services/api");
        assert_eq!(
            rebase_glob("**/vendor/**", b).as_deref(),
            Some("**/vendor/**")
        );
        assert_eq!(
            rebase_glob("services/api/legacy/**", b).as_deref(),
            Some("legacy/**")
        );
        assert_eq!(rebase_glob("services/**", b).as_deref(), Some("**"));
        assert_eq!(rebase_glob("vendor/**", b), None);
        assert_eq!(rebase_glob("*/api/x", b).as_deref(), Some("*/api/x"));
    }

    #[test]
    fn file_paths_are_found_through_tables_and_arrays() {
        let mut t: Table = toml::from_str(
            "[registry]\nca-files = [\"ca.pem\"]\n[[sign-verify.policies]]\nname = \"p\"\n\
             [[sign-verify.policies.authorities]]\nkey = \"k.pub\"\n\
             [[sign-verify.policies.authorities]]\nkeyless = { trusted-root = \"root.json\" }\n",
        )
        .unwrap();
        rebase(&mut t, Path::new("/r"), Path::new("/r/a"));
        assert_eq!(t["registry"]["ca-files"][0].as_str(), Some("../ca.pem"));
        let auths = &t["sign-verify"]["policies"][0]["authorities"];
        assert_eq!(auths[0]["key"].as_str(), Some("../k.pub"));
        assert_eq!(
            auths[1]["keyless"]["trusted-root"].as_str(),
            Some("../root.json")
        );
    }

    #[test]
    fn merging_keeps_the_extending_files_values() {
        let mut under: Table = toml::from_str("ignore = [\"A\"]\n[lint]\nx = 1\ny = 2\n").unwrap();
        let over: Table = toml::from_str("ignore = [\"B\"]\n[lint]\ny = 3\n").unwrap();
        merge(&mut under, over);
        assert_eq!(under["ignore"], Value::Array(vec!["B".into()]));
        assert_eq!(under["lint"]["x"].as_integer(), Some(1));
        assert_eq!(under["lint"]["y"].as_integer(), Some(3));
    }
}
