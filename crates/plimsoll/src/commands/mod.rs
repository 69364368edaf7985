//! One module per subcommand (`plimsoll check` is [`check`], `plimsoll
//! plugin ...` is [`plugin`]): each turns its arguments into calls on the
//! run machinery beside this directory (`check.rs`'s pipeline, `plugins`,
//! `registry`, `vulndb`, `output`) and answers an exit code. Nothing below
//! `commands/` imports from it.

pub mod check;
pub mod config;
pub mod db;
pub mod debug;
pub mod docs;
pub mod pin;
pub mod plugin;
pub mod plugin_new;
pub mod rules;
pub mod sbom;
