//! The wasmtime `Engine` and `Linker`, the epoch ticker, and a fresh `Store`
//! per plugin call with its limits and budgets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::limits::Limiter;
use crate::store::StoreState;
use crate::{
    Capability, CompileCache, FailureKind, Host, HostConfig, Limits, PluginFailure, Transcript,
    bindings, budget, cache,
};

/// How often the epoch advances; time limits are multiples of it.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Instances alive at once: each worker thread holds at most one instance
/// of each plugin, and each plugin keeps at most one idle instance per
/// worker (plus the one that validated its settings). Room for sixteen
/// plugins per worker, sized by this machine's cores: the pool's set-up
/// costs an `mprotect` per slot, so a fixed size is too small on a large
/// runner or wasteful on a small one.
fn pool_instances() -> u32 {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
    16 * (workers + 1)
}

fn pool_config() -> PoolingAllocationConfig {
    let instances = pool_instances();
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(instances)
        .total_core_instances(instances * 4)
        .total_memories(instances)
        .total_tables(instances * 4)
        // Plugins are called synchronously, never on a fiber: no stacks for
        // async calls. (The default reserves 1,000, each guard page one
        // `mprotect`: a thousand system calls at every start that sets up
        // the pool, for nothing. The `async` feature is on for
        // wasmtime-wasi's sake, not ours.)
        .total_stacks(0)
        // Reset small heaps with memset rather than madvise + page faults.
        // Measured on the corpus: 4-8 MiB beats 0-1 MiB by ~15% wall time.
        .linear_memory_keep_resident(8 << 20)
        .table_keep_resident(64 << 10);
    pool
}

/// Epoch ticks for a duration, at least one.
fn ticks(d: Duration) -> u64 {
    d.as_millis().div_ceil(EPOCH_TICK.as_millis()).max(1) as u64
}

/// Starts a call on `store`, fresh or kept from an earlier call of the same
/// plugin: every per-call account (time, host calls, log lines) starts full
/// again, and the deadline is the call's own. (A kept store's image was
/// let go when it was kept: `Plugin::give_back`.)
pub(crate) fn new_call(store: &mut Store<StoreState>) {
    let state = store.data_mut();
    state.logs_left = 200;
    state.transcript = Transcript::default();
    let clock = &mut state.clock;
    clock.started = Instant::now();
    clock.in_host = Duration::ZERO;
    clock.host_calls_left = clock.max_host_calls;
    clock.exceeded = None;
    let deadline = ticks(clock.guest_budget);
    store.set_epoch_deadline(deadline);
}

/// A wall clock that only tells the date: plugins need "today" (end-of-life
/// tables, ignore expiry) but get no timing side channel.
struct DayClock(Duration);

impl wasmtime_wasi::HostWallClock for DayClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(86_400)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

impl Host {
    pub fn new(config: HostConfig) -> Result<Host, PluginFailure> {
        let host_err =
            |e: wasmtime::Error| PluginFailure::new("host", FailureKind::Host, e.to_string());
        let mut cfg = Config::new();
        cfg.wasm_component_model(true)
            .epoch_interruption(true)
            .wasm_backtrace_max_frames(std::num::NonZeroUsize::new(32))
            .parallel_compilation(true);
        // A fresh instance per (plugin, batch of targets) is the isolation
        // contract (`plugin::Warm`); the pooling allocator makes the fresh
        // ones cheap by reusing linear-memory slots instead of an mmap/munmap
        // (and a TLB shootdown) per instance, but setting the pool up costs
        // ~8 ms, so callers ask for it only when many targets will follow.
        // Where the address space cannot hold the pool (a tight `ulimit -v`),
        // fall back to allocating on demand.
        if config.pooling {
            cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool_config()));
        }
        let engine = match Engine::new(&cfg) {
            Ok(engine) => engine,
            Err(e) => {
                tracing::debug!("pooling allocator unavailable ({e:#}); allocating on demand");
                cfg.allocation_strategy(InstanceAllocationStrategy::OnDemand);
                Engine::new(&cfg).map_err(host_err)?
            }
        };

        let mut linker: Linker<StoreState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(host_err)?;
        // Plugins get their own monotonic clock (millisecond resolution,
        // sleeps cut at the call's wall-clock deadline) in place of WASI's.
        linker.allow_shadowing(true);
        wasmtime_wasi::p2::bindings::clocks::monotonic_clock::add_to_linker::<
            StoreState,
            budget::PluginClockData,
        >(&mut linker, |s| budget::PluginClock {
            table: &mut s.table,
            budget: &s.clock,
        })
        .map_err(host_err)?;
        linker.allow_shadowing(false);
        bindings::Host_::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)
            .map_err(host_err)?;
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("plimsoll-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|e| PluginFailure::new("host", FailureKind::Host, e.to_string()))?;
        let now = config.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
        Ok(Host {
            cache: config
                .cache_dir
                .map(|d| CompileCache::new(d, cache::default_key_file(), &engine)),
            engine,
            linker,
            today: Duration::from_secs(now - now % 86_400),
            services: Arc::new(config.services),
            run_host_calls: Arc::default(),
        })
    }

    /// The day plugins see (Unix seconds at midnight UTC; `PLIMSOLL_NOW`
    /// fixes it for tests).
    pub fn today_secs(&self) -> u64 {
        self.today.as_secs()
    }

    /// A MAC under the compiled-plugin cache's key (see
    /// [`CompileCache::mac_of`]); `None` without a trustworthy cache.
    pub fn cache_mac(&self, domain: &str, data: &[u8]) -> Option<[u8; 32]> {
        self.cache.as_ref()?.mac_of(domain, data)
    }

    /// [`Host::cache_mac`] of data written piece by piece (an entry encoded
    /// straight to its file).
    pub fn cache_mac_writer(&self, domain: &str) -> Option<CacheMac> {
        self.cache.as_ref()?.mac_hasher(domain).map(CacheMac)
    }

    pub(crate) fn new_store(
        &self,
        plugin: &str,
        limits: &Limits,
        granted: &Arc<[Capability]>,
    ) -> Store<StoreState> {
        let stderr = MemoryOutputPipe::new(64 * 1024);
        let wasi = WasiCtxBuilder::new()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(DayClock(self.today))
            .stderr(stderr.clone())
            .build();
        let state = StoreState {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_bytes: limits.memory_bytes,
                exceeded: None,
                grown_to: 0,
            },
            plugin: Arc::from(plugin),
            stderr,
            logs_left: 0,
            services: self.services.clone(),
            granted: granted.clone(),
            clock: budget::CallBudget {
                started: Instant::now(),
                in_host: Duration::ZERO,
                guest_budget: limits.timeout,
                wall_budget: limits.wall_timeout,
                host_calls_left: 0,
                max_host_calls: limits.max_host_calls,
                run_host_calls: self.run_host_calls.clone(),
                exceeded: None,
            },
            image: None,
            transcript: Transcript::default(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_callback(move |mut ctx| {
            let clock = &mut ctx.data_mut().clock;
            if clock.past_wall_deadline() {
                return Err(Trap::Interrupt.into());
            }
            let used = clock.guest_time();
            if used >= clock.guest_budget {
                Err(Trap::Interrupt.into())
            } else {
                // Check again when either budget could run out.
                let wall_left = clock
                    .wall_deadline()
                    .saturating_duration_since(Instant::now());
                Ok(wasmtime::UpdateDeadline::Continue(ticks(
                    (clock.guest_budget - used).min(wall_left),
                )))
            }
        });
        new_call(&mut store);
        store
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// A cache MAC being computed over data written piece by piece.
pub struct CacheMac(blake3::Hasher);

impl CacheMac {
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The MAC of everything given so far.
    pub fn value(&self) -> [u8; 32] {
        self.0.finalize().into()
    }
}
