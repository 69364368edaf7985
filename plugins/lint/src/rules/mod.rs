//! The rule registry: one entry per rule, one file per rule.

use plimsoll_plugin_sdk::Rule;

use crate::Ctx;

pub mod image_ref;

mod latest_base_image;
mod maintainer_deprecated;
mod missing_user;
mod root_user;
mod untagged_base_image;

pub struct RuleEntry {
    pub rule: &'static Rule,
    pub check: fn(&mut Ctx),
}

macro_rules! registry {
    ($($m:ident),* $(,)?) => {
        /// Every rule, in id order.
        pub static RULES: &[RuleEntry] = &[$(RuleEntry { rule: &$m::RULE, check: $m::check }),*];
    };
}

registry![
    untagged_base_image,
    latest_base_image,
    missing_user,
    root_user,
    maintainer_deprecated,
];
