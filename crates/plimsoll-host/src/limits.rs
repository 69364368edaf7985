//! What one plugin may use: its own time, a wall-clock and host-call budget
//! (the per-call accounts are in `budget.rs`), memory and tables.

use std::time::Duration;

use wasmtime::ResourceLimiter;

/// Per-plugin limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The plugin's own running time for one call (host calls excluded).
    pub timeout: Duration,
    /// Wall-clock time for one call, host calls and sleeps included.
    pub wall_timeout: Duration,
    /// Host calls (registry requests, image reads, queries) in one call.
    pub max_host_calls: u64,
    /// Linear memory, summed over the component's memories.
    pub memory_bytes: usize,
    /// Findings one call may return.
    pub max_findings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(2),
            wall_timeout: Duration::from_secs(120),
            max_host_calls: 100_000,
            memory_bytes: 256 << 20,
            max_findings: 10_000,
        }
    }
}

/// Memory and table limits; remembers when a plugin hit one so the trap that
/// follows is reported as a limit, not a crash.
pub(crate) struct Limiter {
    pub(crate) memory_bytes: usize,
    pub(crate) exceeded: Option<String>,
    /// The largest linear memory the instance has grown to.
    pub(crate) grown_to: usize,
}

const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.exceeded = Some(format!(
                "tried to grow memory from {} MiB to {} MiB; the limit is {} MiB",
                current >> 20,
                desired >> 20,
                self.memory_bytes >> 20
            ));
            return Ok(false);
        }
        self.grown_to = self.grown_to.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            self.exceeded = Some(format!(
                "tried to grow a table to {desired} elements; the limit is {MAX_TABLE_ELEMENTS}"
            ));
            return Ok(false);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1_000
    }
    fn tables(&self) -> usize {
        1_000
    }
    fn memories(&self) -> usize {
        100
    }
}
