//! The state of one plugin call's `Store`, and the one rule every host call
//! goes through.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::limits::Limiter;
use crate::{Capability, ImageView, Services, Transcript, budget};

/// Per-store state: an empty WASI context, limits, captured stderr and logs.
pub(crate) struct StoreState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) plugin: Arc<str>,
    pub(crate) stderr: MemoryOutputPipe,
    pub(crate) logs_left: u32,
    pub(crate) services: Arc<Services>,
    pub(crate) granted: Arc<[Capability]>,
    pub(crate) clock: budget::CallBudget,
    /// The image of the current `check-image` call.
    pub(crate) image: Option<Arc<dyn ImageView>>,
    /// The host calls of the current call.
    pub(crate) transcript: Transcript,
}

impl StoreState {
    /// The one rule for every capability call a plugin makes: the capability
    /// must be granted (imports are vetted at load; this is the second lock
    /// on the door), the call counts `calls` against the call's and the
    /// run's host-call budget, and its time is kept off the plugin's own
    /// time limit (the wall-clock budget still counts it).
    pub(crate) fn host_call<R>(
        &mut self,
        capability: Capability,
        calls: u64,
        f: impl FnOnce(&Self) -> Result<R, wtypes::HostError>,
    ) -> Result<R, wtypes::HostError> {
        // A refusal for want of a grant is the same every time (the grants
        // are part of a cached answer's key).
        if !self.granted.contains(&capability) {
            return Err(wtypes::HostError::Denied(format!(
                "the `{capability}` capability is not granted to this plugin"
            )));
        }
        // Only registry questions are asked again to trust a cached answer
        // (`transcript`); the image a Dockerfile check has none of.
        if !matches!(capability, Capability::Registry | Capability::Image) {
            self.transcript.not_replayable();
        }
        if let Err(e) = self.clock.charge(calls) {
            self.transcript.not_replayable();
            return Err(wtypes::HostError::Denied(e));
        }
        let started = Instant::now();
        let r = f(self);
        self.clock.in_host += started.elapsed();
        r
    }

    /// The services behind the capabilities.
    pub(crate) fn services(&self) -> &Services {
        &self.services
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::bindings::plimsoll::plugin::registry::Host as _;
    use crate::bindings::plimsoll::plugin::types as wtypes;
    use crate::{Capability, Host, HostConfig, Limits};

    fn store(granted: &[Capability], max_host_calls: u64) -> wasmtime::Store<super::StoreState> {
        let host = Host::new(HostConfig::default()).unwrap();
        let limits = Limits {
            max_host_calls,
            ..Limits::default()
        };
        host.new_store("t", &limits, &Arc::from(granted.to_vec()))
    }

    #[test]
    fn host_calls_need_their_grant_and_count_against_the_budget() {
        let mut s = store(&[Capability::Registry], 3);
        let st = s.data_mut();
        // Not granted: denied before anything runs, nothing counted.
        let denied = st.host_call(Capability::Image, 1, |_| Ok(()));
        assert!(matches!(denied, Err(wtypes::HostError::Denied(m)) if m.contains("`image`")));
        assert_eq!(st.clock.host_calls_left, 3);
        // Granted: the registry answers (here: unavailable, no services), and
        // each call is counted; `resolve-many` counts one per reference.
        assert!(st.resolve("a:1".into()).is_err());
        assert_eq!(st.clock.host_calls_left, 2);
        let many = st.resolve_many(vec!["a:1".into(), "b:1".into(), "c:1".into()]);
        assert!(
            many.iter().all(
                |r| matches!(r, Err(wtypes::HostError::Denied(m)) if m.contains("host calls"))
            )
        );
        assert!(st.clock.exceeded.is_some());
    }

    #[test]
    fn host_time_is_kept_off_the_plugins_own_limit() {
        let mut s = store(&[Capability::Registry], 10);
        let st = s.data_mut();
        st.host_call(Capability::Registry, 1, |_| {
            std::thread::sleep(std::time::Duration::from_millis(30));
            Ok(())
        })
        .unwrap();
        assert!(st.clock.in_host >= std::time::Duration::from_millis(30));
        assert!(st.clock.guest_time() < std::time::Duration::from_millis(30));
    }
}
