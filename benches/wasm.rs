//! Real components: the host's request to a guest, guest-to-guest request
//! round trips and fire-and-forget throughput, against a direct call of the
//! guest's `handle-message` export (the floor).
//!
//! `cargo bench -p airssys-benches --bench wasm`

use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_test_fixtures::RELAY;
use airssys_wasm::messaging::activity::Activity;
use airssys_wasm::messaging::capability::Grants;
use airssys_wasm::messaging::router::RouterLimits;
use airssys_wasm::runtime::engine::WasmEngine;
use airssys_wasm::runtime::host_services::{HostState, InstanceSettings};
use airssys_wasm::runtime::loader::LoadedComponent;
use airssys_wasm::{
    ComponentId, ComponentSpec, ComponentSubscriber, CorrelationTracker, CorrelationTrackerImpl,
    HostInbox, MessageRouter, ResponseRouter, System, SystemBuilder,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const PAYLOAD: [u8; 64] = [7; 64];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn relay_system(names: &[&str], mailbox: usize) -> (System, HostInbox) {
    let bytes: Arc<[u8]> = Arc::from(RELAY);
    let mut builder = SystemBuilder::new().host_inbox(1024);
    for name in names {
        builder = builder.component(
            ComponentSpec::from_bytes(*name, Arc::clone(&bytes))
                .grant_any()
                .mailbox_capacity(mailbox),
        );
    }
    let mut system = builder.start().await.unwrap();
    let inbox = system.take_inbox().unwrap();
    (system, inbox)
}

/// The host's `request` to a guest, awaited, against calling the guest's
/// export directly through the same engine configuration.
fn host_to_guest(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("host-to-guest/request");
    let (system, _inbox) = rt.block_on(relay_system(&["echo"], 1024));
    let system = Arc::new(system);
    group.bench_function("airssys request, awaited from outside the runtime", |b| {
        b.to_async(&rt).iter(|| async {
            let response = system
                .request("echo", &PAYLOAD, Duration::from_secs(5))
                .unwrap()
                .await;
            std::hint::black_box(response.unwrap());
        })
    });
    // As a host application does it: from a task on the runtime.
    group.bench_function("airssys request, awaited from a task", |b| {
        b.iter_custom(|iters| {
            let system = Arc::clone(&system);
            rt.block_on(rt.spawn(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let pending = system.request("echo", &PAYLOAD, Duration::from_secs(5));
                    std::hint::black_box(pending.unwrap().await.unwrap());
                }
                start.elapsed()
            }))
            .unwrap()
        })
    });

    // The same on one thread: what remains without cross-thread wake-ups.
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (system1, _inbox1) = single.block_on(relay_system(&["echo"], 1024));
    group.bench_function("airssys request, awaited, 1 thread", |b| {
        b.to_async(&single).iter(|| async {
            let response = system1
                .request("echo", &PAYLOAD, Duration::from_secs(5))
                .unwrap()
                .await;
            std::hint::black_box(response.unwrap());
        })
    });

    let (mut instance, sender) = single.block_on(direct_instance());
    group.bench_function("floor: direct handle-message call", |b| {
        b.iter_custom(|iters| {
            single.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let lifecycle = instance.plugin.airssys_wasm_component_lifecycle();
                    let answer = lifecycle
                        .call_handle_message(&mut instance.store, &sender, &PAYLOAD)
                        .await
                        .unwrap();
                    std::hint::black_box(answer.unwrap());
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    drop(system);
    single.block_on(async move { drop(system1) });
}

/// An instance of the relay outside any system, wired to a router no one
/// reads, for the direct-call floor.
async fn direct_instance() -> (airssys_wasm::runtime::loader::Instance, String) {
    let engine = WasmEngine::new(airssys_wasm::system::builder::DEFAULT_MEMORY_LIMIT).unwrap();
    let component = LoadedComponent::from_bytes(&engine, "echo", RELAY).unwrap();
    let activity = Arc::new(Activity::new());
    let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
    let tracker: Arc<dyn CorrelationTracker> = Arc::new(CorrelationTrackerImpl::new());
    let router: Arc<dyn MessageRouter> = Arc::new(ResponseRouter::new(
        Arc::clone(&subscriber),
        tracker,
        Arc::new(Grants::new()),
        RouterLimits::default(),
    ));
    let receivers = subscriber.subscribe(ComponentId::new("echo"), 16);
    let settings = InstanceSettings {
        ticks_allowed: 1_000,
        memory_limit: 64 << 20,
        wasi: Default::default(),
    };
    let state = HostState::new(
        ComponentId::new("echo"),
        router,
        receivers.callback_sink,
        &settings,
    )
    .unwrap();
    let instance = component.instantiate(state).await.unwrap();
    // The engine's epoch thread must outlive the instance.
    std::mem::forget(engine);
    (instance, "bench".to_owned())
}

/// Guest A requests guest B, B answers, A's callback runs and sends the
/// next request: one link per iteration.
fn guest_to_guest_round_trip(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("guest-to-guest/request-callback");
    let (system, inbox) = rt.block_on(relay_system(&["a", "b"], 1024));
    let inbox = tokio::sync::Mutex::new(inbox);
    group.bench_function("airssys chain a -> b -> a", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let system = &system;
            let inbox = &inbox;
            async move {
                let mut inbox = inbox.lock().await;
                let start = Instant::now();
                system.send("a", format!("chain b {iters} 64")).unwrap();
                let done = inbox.recv().await.unwrap();
                assert_eq!(done.payload.as_bytes(), b"done");
                start.elapsed()
            }
        })
    });
    group.finish();
}

/// Time for `iters` messages sent in bursts of at most `CHUNK`:
/// `start_burst(n)` sets off a burst of about `n` messages and returns how
/// many it will send; the clock stops when the system is idle again.
async fn time_bursts(system: &System, iters: u64, start_burst: impl Fn(u64) -> u64) -> Duration {
    let start = Instant::now();
    let mut sent = 0;
    while sent < iters {
        sent += start_burst(CHUNK.min(iters - sent));
        system.wait_idle().await;
    }
    start.elapsed().mul_f64(iters as f64 / sent as f64)
}

/// Messages per burst, and mailbox capacity of the throughput benchmarks.
const CHUNK: u64 = 8192;

/// Guest A sends B a burst of fire-and-forget messages; the clock stops
/// when B has handled them all.
fn guest_to_guest_throughput(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("guest-to-guest/fire-and-forget");
    let (system, _inbox) = rt.block_on(relay_system(&["a", "b"], CHUNK as usize));
    group.throughput(Throughput::Elements(1));
    for bytes in [64usize, 4096, 65536] {
        let id = BenchmarkId::new("airssys burst a -> b", bytes);
        group.bench_function(id, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                time_bursts(&system, iters, |n| {
                    system.send("a", format!("burst b {n} {bytes}")).unwrap();
                    n
                })
            })
        });
    }
    group.finish();
}

/// Fan-out: one guest deals a burst round-robin to 100 others. Fan-in: 100
/// guests each send a share of the burst to one. The clock stops when every
/// message has been handled.
fn guest_fan_out_fan_in(c: &mut Criterion) {
    const FAN: u64 = 100;
    let rt = runtime();
    let mut group = c.benchmark_group("guest-to-guest/fan");
    let names: Vec<String> = (0..FAN)
        .map(|i| format!("n{i}"))
        .chain(["hub".to_owned()])
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    // Room for a fan-in burst rounded up to a multiple of FAN.
    let (system, _inbox) = rt.block_on(relay_system(&names, 2 * CHUNK as usize));
    group.throughput(Throughput::Elements(1));
    for bytes in [64usize, 4096, 65536] {
        let id = BenchmarkId::new("fan-out hub -> 100", bytes);
        group.bench_function(id, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                time_bursts(&system, iters, |n| {
                    system
                        .send("hub", format!("spread n {FAN} {n} {bytes}"))
                        .unwrap();
                    n
                })
            })
        });
        let id = BenchmarkId::new("fan-in 100 -> hub", bytes);
        group.bench_function(id, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                time_bursts(&system, iters, |n| {
                    let share = n.div_ceil(FAN);
                    for i in 0..FAN {
                        let command = format!("burst hub {share} {bytes}");
                        system.send(&format!("n{i}"), command).unwrap();
                    }
                    share * FAN
                })
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1)).sample_size(30);
    targets = host_to_guest, guest_to_guest_round_trip, guest_to_guest_throughput, guest_fan_out_fan_in
}
criterion_main!(benches);
