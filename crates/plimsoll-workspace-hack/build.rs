//! Empty: it exists so that this crate's build-dependencies (see Cargo.toml)
//! turn features on where build scripts and procedural macros are built.
fn main() {}
