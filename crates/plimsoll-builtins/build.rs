//! Compiles the built-in plugins (`plugins/*`) to components and embeds them.

use std::fmt::Write;

/// One built-in: what it is called, the cargo package it is built from,
/// the capabilities it is granted, and those it is granted only when the run
/// has vulnerability data (`Capability` variant names).
struct Declared {
    name: &'static str,
    package: &'static str,
    capabilities: &'static [&'static str],
    with_vulnerability_data: &'static [&'static str],
    /// It has rules for `--image` targets (the SDK exports `image-check`
    /// from every Rust plugin, so the export alone does not say).
    checks_images: bool,
    /// It has rules for Dockerfiles (the same: every Rust plugin exports
    /// `check`). One that has none is not loaded for a run without images.
    checks_dockerfiles: bool,
}

const BUILTINS: &[Declared] = &[
    // Lint reads image contents for `check --image` (PL4009...).
    Declared {
        name: "lint",
        checks_dockerfiles: true,
        checks_images: true,
        package: "plimsoll-plugin-lint",
        capabilities: &["Image"],
        with_vulnerability_data: &[],
    },
    // Base-update advice reads both images' packages and the vulnerability
    // data, when there is data to read.
    Declared {
        name: "pin",
        checks_dockerfiles: true,
        checks_images: false,
        package: "plimsoll-plugin-pin",
        capabilities: &["Registry"],
        with_vulnerability_data: &["Packages", "Vulnerabilities"],
    },
    Declared {
        name: "sign-verify",
        checks_dockerfiles: true,
        checks_images: true,
        package: "plimsoll-plugin-sign-verify",
        capabilities: &["Registry", "Signatures"],
        with_vulnerability_data: &[],
    },
    // The scan reads the packages of images and SBOMs and asks the OSV
    // database.
    Declared {
        name: "scan",
        checks_dockerfiles: false,
        checks_images: true,
        package: "plimsoll-plugin-scan",
        capabilities: &["Packages", "Vulnerabilities"],
        with_vulnerability_data: &[],
    },
];

fn list(caps: &[&str]) -> String {
    let items: Vec<String> = caps.iter().map(|c| format!("Capability::{c}")).collect();
    format!("&[{}]", items.join(", "))
}

/// The sha256 (hex) of a built component, embedded beside it so the host
/// does not hash the bytes again at every start.
fn sha256_file(path: &std::path::Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).expect("the component was just built");
    hex::encode(sha2::Sha256::digest(bytes))
}

fn main() {
    let packages: Vec<&str> = BUILTINS.iter().map(|b| b.package).collect();
    let paths = plimsoll_wasm_build::build_components(&packages);
    let mut code = String::from("pub static BUILTINS: &[Builtin] = &[\n");
    for (b, path) in BUILTINS.iter().zip(&paths) {
        writeln!(
            code,
            "    Builtin {{ name: {:?}, wasm: include_bytes!({}), sha256: {:?}, capabilities: {}, with_vulnerability_data: {}, checks_images: {}, checks_dockerfiles: {} }},",
            b.name,
            plimsoll_wasm_build::literal(path),
            sha256_file(path),
            list(b.capabilities),
            list(b.with_vulnerability_data),
            b.checks_images,
            b.checks_dockerfiles,
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtins.rs");
    std::fs::write(out, code).unwrap();
}
