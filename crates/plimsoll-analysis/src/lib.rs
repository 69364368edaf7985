//! What plimsoll's built-in plugins share beyond the author surface of
//! `plimsoll-plugin-sdk`, for any plugin that wants it:
//!
//! - [`shell`]: what a `RUN` runs, as commands and as brush-parser's syntax
//!   tree, with spans into the Dockerfile;
//! - [`packages`]: package-manager commands in a parsed script (which
//!   manager, which subcommand, which packages, pinned or not);
//! - [`versions`]: each ecosystem's version order (dpkg, apk, RPM, PEP 440,
//!   semver, Go);
//! - [`osv`]: matching installed packages against the host's OSV records;
//! - [`images`]: every image a Dockerfile or manifest uses, and where;
//! - [`attestations`]: SLSA provenance and field policies over verified
//!   in-toto statements.
//!
//! All of it is pure Rust over the SDK's types (OSV matching asks the
//! `vulnerabilities` capability through the SDK), and runs natively in unit
//! tests as it does in a plugin.

pub mod attestations;
pub mod images;
pub mod osv;
pub mod packages;
pub mod shell;
pub mod versions;
