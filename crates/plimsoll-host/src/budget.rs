//! What one plugin call may spend beyond its own CPU time: wall-clock time
//! (host calls and WASI sleeps included) and host calls, per call and per
//! run. A plugin that loops over the registry or sleeps is stopped at its
//! budget with a named error (`plugin-budget`), like a plugin that loops.
//!
//! Plugins also get their own monotonic clock: millisecond resolution
//! (enough for a plugin's own timeouts, too coarse to time the host), and
//! sleeps that end no later than the call's wall-clock deadline, after which
//! the epoch check stops the call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};

/// Host calls a whole run may make, over every plugin call.
pub const MAX_RUN_HOST_CALLS: u64 = 2_000_000;

/// The clocks and counters of one plugin call.
pub(crate) struct CallBudget {
    pub started: Instant,
    /// Time spent in host calls (kept off the guest's own time limit).
    pub in_host: Duration,
    /// The plugin's own time (`limits.timeout-ms`).
    pub guest_budget: Duration,
    /// Everything, host calls and sleeps included (`limits.wall-timeout-ms`).
    pub wall_budget: Duration,
    pub host_calls_left: u64,
    pub max_host_calls: u64,
    /// Host calls of the whole run, shared by every call.
    pub run_host_calls: Arc<AtomicU64>,
    /// Set when a budget ran out: the call is stopped and reported with it.
    pub exceeded: Option<String>,
}

impl CallBudget {
    pub fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.in_host)
    }

    pub fn wall_deadline(&self) -> Instant {
        self.started + self.wall_budget
    }

    /// Counts `n` host calls; `Err` (and the call marked as over budget)
    /// when the call's or the run's allowance is spent.
    pub fn charge(&mut self, n: u64) -> Result<(), String> {
        if let Some(e) = &self.exceeded {
            return Err(e.clone());
        }
        let run = self.run_host_calls.fetch_add(n, Ordering::Relaxed) + n;
        if n > self.host_calls_left {
            self.exceeded = Some(format!(
                "made more than {} host calls in one check (limit `limits.max-host-calls`)",
                self.max_host_calls
            ));
        } else if run > MAX_RUN_HOST_CALLS {
            self.exceeded = Some(format!(
                "the run made more than {MAX_RUN_HOST_CALLS} host calls in all"
            ));
        } else {
            self.host_calls_left -= n;
            return Ok(());
        }
        Err(self.exceeded.clone().unwrap_or_default())
    }

    /// Whether the call has run past its wall-clock budget (marking it).
    pub fn past_wall_deadline(&mut self) -> bool {
        if self.exceeded.is_none() && Instant::now() >= self.wall_deadline() {
            self.exceeded = Some(format!(
                "ran for more than {} ms of wall-clock time, host calls and sleeps included (limit `limits.wall-timeout-ms`)",
                self.wall_budget.as_millis()
            ));
        }
        self.exceeded.is_some()
    }
}

/// `wasi:clocks/monotonic-clock` as plugins see it.
pub(crate) struct PluginClock<'a> {
    pub table: &'a mut ResourceTable,
    pub budget: &'a CallBudget,
}

/// [`HasData`] for [`PluginClock`].
pub(crate) struct PluginClockData;

impl HasData for PluginClockData {
    type Data<'a> = PluginClock<'a>;
}

const RESOLUTION_NS: u64 = 1_000_000;

impl PluginClock<'_> {
    fn now_ns(&self) -> u64 {
        let ns = self.budget.started.elapsed().as_nanos() as u64;
        ns - ns % RESOLUTION_NS
    }

    /// A pollable that is ready after `d`, or at the wall deadline if that
    /// comes first.
    fn nap(&mut self, d: Duration) -> wasmtime::Result<Resource<DynPollable>> {
        let deadline = self.budget.wall_deadline();
        let wake = Instant::now()
            .checked_add(d)
            .map_or(deadline, |w| w.min(deadline));
        let nap = self.table.push(Nap(tokio::time::Instant::from_std(wake)))?;
        subscribe(self.table, nap)
    }
}

impl monotonic_clock::Host for PluginClock<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(self.now_ns())
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(RESOLUTION_NS)
    }

    fn subscribe_instant(
        &mut self,
        when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let d = Duration::from_nanos(when.saturating_sub(self.now_ns()));
        self.nap(d)
    }

    fn subscribe_duration(
        &mut self,
        d: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.nap(Duration::from_nanos(d))
    }
}

/// A sleep that ends at a fixed instant.
struct Nap(tokio::time::Instant);

#[async_trait::async_trait]
impl Pollable for Nap {
    async fn ready(&mut self) {
        tokio::time::sleep_until(self.0).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(calls: u64) -> CallBudget {
        CallBudget {
            started: Instant::now(),
            in_host: Duration::ZERO,
            guest_budget: Duration::from_secs(1),
            wall_budget: Duration::from_millis(50),
            host_calls_left: calls,
            max_host_calls: calls,
            run_host_calls: Arc::new(AtomicU64::new(0)),
            exceeded: None,
        }
    }

    #[test]
    fn host_calls_are_counted_per_call() {
        let mut b = budget(3);
        assert!(b.charge(2).is_ok());
        assert!(b.charge(1).is_ok());
        let e = b.charge(1).unwrap_err();
        assert!(e.contains("more than 3 host calls"), "{e}");
        // Once over, every further call is refused.
        assert!(b.charge(0).is_err());
    }

    #[test]
    fn the_wall_deadline_passes() {
        let mut b = budget(3);
        assert!(!b.past_wall_deadline());
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.past_wall_deadline());
        assert!(b.exceeded.as_deref().unwrap().contains("wall-clock"));
    }
}
