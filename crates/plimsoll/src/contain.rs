//! Panics become run errors. plimsoll is a CI gate: a panic anywhere in
//! checking a target (host code, a converter, a plugin's host call) must cost
//! that (target, plugin) pair, be reported by name and make the run exit 3 —
//! never shorten the report into a pass.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use plimsoll_report::RunError;

thread_local! {
    /// Where the last panic on this thread happened (set by the hook).
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs a panic hook that records the panic's message and location for
/// [`contained`] instead of printing it; with `RUST_BACKTRACE` set, the
/// default hook still prints too.
pub fn install_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = payload_text(info.payload());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{at}")));
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default(info);
        }
    }));
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// The text of a caught panic: the hook's record, else the payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| payload_text(payload))
}

/// Runs `f`; a panic becomes an `internal-error` naming `doing` (e.g.
/// "checking Dockerfile with plugin lint"), the plugin and the target.
pub fn contained<T>(
    doing: impl FnOnce() -> String,
    plugin: Option<&str>,
    target: Option<&str>,
    f: impl FnOnce() -> T,
) -> Result<T, RunError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| internal_error(doing(), plugin, target, &*payload))
}

/// The run error for a caught panic.
pub fn internal_error(
    doing: String,
    plugin: Option<&str>,
    target: Option<&str>,
    payload: &(dyn std::any::Any + Send),
) -> RunError {
    RunError {
        kind: "internal-error".into(),
        plugin: plugin.map(str::to_string),
        target: target.map(str::to_string),
        message: format!(
            "internal error while {doing}: {}; this is a bug in plimsoll, please report it",
            panic_text(payload)
        ),
        line: None,
    }
}

/// Test-only fault injection (debug builds): `PLIMSOLL_TEST_PANIC=POINT:TEXT`
/// panics at `POINT` (`target`, or `plugin-NAME` for a plugin call) when
/// the target's path contains `TEXT`. Release builds compile this to
/// nothing.
#[cfg(debug_assertions)]
pub fn fault_point(point: &str, plugin: Option<&str>, target: &str) {
    let at = match plugin {
        Some(name) => format!("{point}-{name}"),
        None => point.to_string(),
    };
    if let Ok(spec) = std::env::var("PLIMSOLL_TEST_PANIC")
        && let Some((p, needle)) = spec.split_once(':')
        && p == at
        && target.contains(needle)
    {
        panic!("fault injected at {at} for {target}");
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn fault_point(_point: &str, _plugin: Option<&str>, _target: &str) {}
