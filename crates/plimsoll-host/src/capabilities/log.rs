//! `log`, and the type-only interfaces every plugin gets.

use crate::bindings::plimsoll::plugin::log as wlog;
use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::store::StoreState;
use plimsoll_report as report;

impl wtypes::Host for StoreState {}
impl crate::bindings::plimsoll::plugin::dockerfile::Host for StoreState {}
impl crate::bindings::plimsoll::plugin::manifest::Host for StoreState {}

impl wlog::Host for StoreState {
    fn emit(&mut self, level: wlog::LogLevel, message: String) {
        if self.logs_left == 0 {
            return;
        }
        self.logs_left -= 1;
        let mut message = message;
        report::text::truncate_with_ellipsis(&mut message, crate::convert::MAX_MESSAGE_BYTES);
        // One line, controls shown visibly: a plugin cannot write to the
        // terminal or start a line of a CI log through the log.
        let message = report::text::line(&message);
        let plugin = &*self.plugin;
        match level {
            wlog::LogLevel::Trace => tracing::trace!(plugin, "{message}"),
            wlog::LogLevel::Debug => tracing::debug!(plugin, "{message}"),
            wlog::LogLevel::Info => tracing::info!(plugin, "{message}"),
            wlog::LogLevel::Warn => tracing::warn!(plugin, "{message}"),
        }
    }
}
