//! Compiles `plugins/test-programs/*` and the Rust example in
//! `plugins/examples/` to components and exposes their paths.

use std::fmt::Write;

/// (constant name, cargo package)
const PROGRAMS: &[(&str, &str)] = &[
    ("HOSTILE", "plimsoll-test-hostile"),
    ("WANTS_REGISTRY", "plimsoll-test-wants-registry"),
    ("POLICY", "plimsoll-test-policy"),
    (
        "EXAMPLE_REQUIRED_LABELS",
        "plimsoll-example-required-labels",
    ),
];

fn main() {
    let packages: Vec<&str> = PROGRAMS.iter().map(|p| p.1).collect();
    let paths = plimsoll_wasm_build::build_components(&packages);
    let mut code = String::new();
    for ((name, pkg), path) in PROGRAMS.iter().zip(&paths) {
        writeln!(code, "/// `{pkg}` built for wasm32-wasip2.").unwrap();
        writeln!(
            code,
            "pub const {name}: &str = {};",
            plimsoll_wasm_build::literal(path)
        )
        .unwrap();
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("programs.rs");
    std::fs::write(out, code).unwrap();
}
