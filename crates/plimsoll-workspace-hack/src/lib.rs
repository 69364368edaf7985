//! No code: see this crate's `Cargo.toml`. `plimsoll` depends on it so that
//! building `plimsoll` alone turns on the dependency features the workspace's
//! test build does, and the two builds share their compiled crates.
