//! Used from build scripts: builds plugin crates of this workspace for
//! `wasm32-wasip2` (already components, no adapter step) with a nested cargo in a
//! separate target directory, as wasmtime's test-programs do, and tells cargo when
//! to rebuild.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "wasm32-wasip2";
pub const PROFILE: &str = "wasm-plugin";

/// The workspace root, from a build script's `CARGO_MANIFEST_DIR`
/// (`<root>/crates/<crate>`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("run from a build script"));
    manifest
        .ancestors()
        .nth(2)
        .expect("crate lives in <root>/crates/<name>")
        .to_path_buf()
}

/// Builds `packages` (cargo package names) and returns the path of each
/// component, in order. Panics with cargo's output on failure, which is what a
/// build script should do.
pub fn build_components(packages: &[&str]) -> Vec<PathBuf> {
    let root = workspace_root();
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm-plugins");
    for dir in [
        "plugins",
        "wit",
        "crates/plimsoll-plugin-sdk",
        "crates/plimsoll-analysis",
        "crates/plimsoll-dockerfile",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    // The lock file pins the plugins' dependencies; the manifest holds the
    // `wasm-plugin` profile they are built with.
    for file in ["Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--locked",
            "--profile",
            PROFILE,
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(&target_dir);
    for p in packages {
        cmd.args(["-p", p]);
    }
    // What cargo sets for the outer build must not leak into the wasm build:
    // native RUSTFLAGS, clippy's wrapper, the outer target.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        cmd.env_remove(var);
    }
    // Wasmtime runs 128-bit SIMD on every platform plimsoll ships for: with
    // it, `memchr` and the string searches of the plugins' dependencies take
    // their vector paths, and LLVM may vectorise loops.
    cmd.env("CARGO_ENCODED_RUSTFLAGS", "-Ctarget-feature=+simd128");
    let out = cmd.output().expect("cannot run cargo for the wasm plugins");
    if !out.status.success() {
        panic!(
            "building plugins for {TARGET} failed (is the target installed? `rustup target add {TARGET}`):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    packages
        .iter()
        .map(|p| {
            let path = target_dir
                .join(TARGET)
                .join(PROFILE)
                .join(format!("{}.wasm", p.replace('-', "_")));
            assert!(path.exists(), "{} was not produced", path.display());
            path
        })
        .collect()
}

/// A Rust string literal for a path, for generated code.
pub fn literal(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}
