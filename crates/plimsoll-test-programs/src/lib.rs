//! Paths of test-only plugin components (hostile plugins, an external policy),
//! built from `plugins/test-programs/*` by this crate's build script.

include!(concat!(env!("OUT_DIR"), "/programs.rs"));
