//! Compiles the built-in plugins (`plugins/*`) to components and embeds them.

use std::fmt::Write;

/// (plugin name, cargo package)
const BUILTINS: &[(&str, &str)] = &[
    ("lint", "plimsoll-plugin-lint"),
    ("pin", "plimsoll-plugin-pin"),
    ("sign-verify", "plimsoll-plugin-sign-verify"),
    ("scan", "plimsoll-plugin-scan"),
];

fn main() {
    let packages: Vec<&str> = BUILTINS.iter().map(|b| b.1).collect();
    let paths = plimsoll_wasm_build::build_components(&packages);
    let mut code = String::from("pub static BUILTINS: &[Builtin] = &[\n");
    for ((name, _), path) in BUILTINS.iter().zip(&paths) {
        writeln!(
            code,
            "    Builtin {{ name: {name:?}, wasm: include_bytes!({}) }},",
            plimsoll_wasm_build::literal(path)
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtins.rs");
    std::fs::write(out, code).unwrap();
}
