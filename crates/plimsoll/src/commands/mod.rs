//! One module per subcommand (`plimsoll check` is [`check`], `plimsoll
//! plugin ...` is [`plugin`]): each turns its arguments into calls on the
//! run machinery beside this directory (`check.rs`'s pipeline, `plugins`,
//! `registry`, `vulndb`, `output`) and answers an exit code. Nothing below
//! `commands/` imports from it.

pub mod check;
pub mod config;
pub mod db;
pub mod debug;
pub mod docs;
pub mod pin;
pub mod plugin;
pub mod plugin_new;
pub mod rules;
pub mod sbom;

/// The layering this module's docs promise, checked over the source: which
/// module names which (`crate::x` paths and `use crate::{x, ...}` lists).
#[cfg(test)]
mod layering {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Module name (`check`, `commands::plugin`) -> the modules it refers to.
    fn graph() -> BTreeMap<String, BTreeSet<String>> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        for dir in [src.clone(), src.join("commands"), src.join("check")] {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in &files {
            let rel = f.strip_prefix(&src).unwrap().with_extension("");
            let parts: Vec<String> = rel
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            let name = match parts.as_slice() {
                [dir, m] if dir == "commands" && m != "mod" => format!("commands::{m}"),
                // `check.rs`, and `check/manifests.rs` as part of `check`.
                [first, ..] => first.clone(),
                [] => unreachable!(),
            };
            let text = std::fs::read_to_string(f).unwrap();
            let refs = g.entry(name.clone()).or_default();
            let words = |s: &str| -> Vec<String> {
                s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            for (i, _) in text.match_indices("crate::") {
                let rest = &text[i + "crate::".len()..];
                if let Some(list) = rest.strip_prefix('{') {
                    refs.extend(words(&list[..list.find('}').unwrap_or(0)]));
                } else if let Some(cmd) = rest.strip_prefix("commands::") {
                    refs.extend(words(cmd).first().map(|m| format!("commands::{m}")));
                } else {
                    refs.extend(words(rest).into_iter().take(1));
                }
            }
            refs.remove(&name);
        }
        let names: BTreeSet<String> = g.keys().cloned().collect();
        for refs in g.values_mut() {
            refs.retain(|r| names.contains(r));
        }
        g
    }

    #[test]
    fn commands_sit_on_top_and_modules_form_no_loops() {
        let g = graph();
        for (m, refs) in &g {
            for r in refs {
                assert!(
                    !r.starts_with("commands"),
                    "`{m}` refers to `{r}`: commands use the machinery, not each other, and the machinery never uses a command"
                );
            }
        }
        // A loop is a module that reaches itself.
        for start in g.keys() {
            let mut seen = BTreeSet::new();
            let mut todo: Vec<&String> = g[start].iter().collect();
            while let Some(m) = todo.pop() {
                assert_ne!(m, start, "`{start}` reaches itself through its imports");
                if seen.insert(m.clone()) {
                    todo.extend(g.get(m).into_iter().flatten());
                }
            }
        }
        assert!(g.contains_key("commands::check") && g["check"].contains("registry"));
    }
}
