//! One capability vocabulary: the WIT's interfaces, [`Capability`], and the
//! lists the docs give readers must agree. Adding an interface to the WIT
//! without a `Capability` (or the reverse) fails here, not in a user's run.

use std::collections::BTreeSet;

use plimsoll_host::{ALWAYS_GRANTED, Capability};

const WIT: &str = include_str!("../../../wit/plimsoll.wit");

/// `import X;` / `export X;` lines of `world NAME { ... }`.
fn world_items(world: &str, keyword: &str) -> BTreeSet<String> {
    let start = WIT
        .find(&format!("world {world} {{"))
        .unwrap_or_else(|| panic!("no world {world} in the WIT"));
    let body = &WIT[start..start + WIT[start..].find('}').unwrap()];
    body.lines()
        .filter_map(|l| l.trim().strip_prefix(keyword))
        .map(|l| l.trim().trim_end_matches(';').to_string())
        .collect()
}

fn interfaces() -> BTreeSet<String> {
    WIT.lines()
        .filter_map(|l| l.strip_prefix("interface "))
        .map(|l| l.trim_end_matches('{').trim().to_string())
        .collect()
}

fn capability_names() -> BTreeSet<String> {
    Capability::ALL
        .iter()
        .map(|c| c.wit_interface().to_string())
        .collect()
}

#[test]
fn every_imported_interface_is_always_granted_or_a_capability() {
    let imports = world_items("host", "import ");
    let always: BTreeSet<String> = ALWAYS_GRANTED.iter().map(|s| s.to_string()).collect();
    let caps = capability_names();
    for i in &imports {
        assert!(
            always.contains(i) || caps.contains(i),
            "the WIT's host world imports `{i}`, which is neither always granted nor a Capability"
        );
    }
    for c in &caps {
        assert!(
            imports.contains(c),
            "Capability `{c}` has no interface in the WIT's host world"
        );
    }
    // `types` and `dockerfile` are used by other interfaces, not imported
    // by name in the world; every interface is accounted for either way.
    let exports = world_items("host", "export ");
    for i in interfaces() {
        assert!(
            imports.contains(&i) || exports.contains(&i) || always.contains(&i),
            "interface `{i}` is neither imported nor exported by the host world"
        );
    }
}

#[test]
fn the_docs_list_every_capability() {
    let listed = |file: &str, text: &str| {
        let line = text
            .lines()
            .find(|l| l.contains("capabilities = []") && l.contains('#'))
            .unwrap_or_else(|| panic!("{file}: no `capabilities = []  # ...` line"));
        let names: BTreeSet<String> = line
            .split('#')
            .nth(1)
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        assert_eq!(names, capability_names(), "{file}: {line}");
    };
    listed("README.md", include_str!("../../../README.md"));
    listed(
        "docs/plugins/authoring.md",
        include_str!("../../../docs/plugins/authoring.md"),
    );
}
