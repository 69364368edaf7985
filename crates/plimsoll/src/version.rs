//! Version strings.

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `--version`: the version, commit and commit date.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("PLIMSOLL_COMMIT"),
    " ",
    env!("PLIMSOLL_COMMIT_DATE"),
    ", plugin contract plimsoll:plugin@0.1.5)"
);
