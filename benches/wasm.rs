//! Real components: the host's request to a guest, guest-to-guest request
//! round trips and fire-and-forget throughput, against a direct call of the
//! guest's `handle-message` export (the floor).
//!
//! `cargo bench -p airssys-benches --bench wasm`

// criterion_group! defines an undocumented public function.
#![allow(missing_docs, reason = "criterion_group! generates it")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_benches::{PAYLOAD, call_directly, direct_instance, relay_system, runtime};
use airssys_wasm::System;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// `iters` requests to the relay `echo`, one after the other, from a task
/// spawned on `rt`, as a host application makes them.
fn requests_from_a_task(
    rt: &tokio::runtime::Runtime,
    system: &Arc<System>,
    iters: u64,
) -> Duration {
    let system = Arc::clone(system);
    rt.block_on(rt.spawn(async move {
        let start = Instant::now();
        for _ in 0..iters {
            let pending = system.request("echo", &PAYLOAD, Duration::from_secs(5));
            std::hint::black_box(pending.unwrap().await.unwrap());
        }
        start.elapsed()
    }))
    .unwrap()
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
        b.iter_custom(|iters| requests_from_a_task(&rt, &system, iters))
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

    // The same from a task: `block_on` parks and unparks the thread's
    // driver (a syscall pair) whenever another task wakes its future, which
    // a spawned task, woken on its own thread, is spared.
    let system1 = Arc::new(system1);
    group.bench_function("airssys request, awaited from a task, 1 thread", |b| {
        b.iter_custom(|iters| requests_from_a_task(&single, &system1, iters))
    });

    let (mut instance, sender) = single.block_on(direct_instance());
    group.bench_function("floor: direct handle-message call", |b| {
        b.iter_custom(|iters| {
            single.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    call_directly(&mut instance, &sender).await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    drop(system);
    single.block_on(async move { drop(system1) });
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
    // The floor of one link: B's `handle-message` and A's callback called
    // directly, with one bounded-mpsc hop to B's task and a oneshot back
    // (the least two tasks need to pass a request and its answer).
    let (a, sender) = rt.block_on(direct_instance());
    let (mut b_instance, _) = rt.block_on(direct_instance());
    let (to_b, mut b_mailbox) =
        tokio::sync::mpsc::channel::<tokio::sync::oneshot::Sender<Vec<u8>>>(1024);
    let b_sender = sender.clone();
    rt.spawn(async move {
        while let Some(reply) = b_mailbox.recv().await {
            let answer = b_instance.call_directly(&b_sender, &PAYLOAD).await;
            let _ = reply.send(answer);
        }
    });
    let a = Arc::new(tokio::sync::Mutex::new(a));
    group.bench_function("floor: 2 direct calls + mpsc + oneshot", |bench| {
        bench.to_async(&rt).iter_custom(|iters| {
            let (a, to_b, sender) = (Arc::clone(&a), to_b.clone(), sender.clone());
            // Timed inside a task, as the chain runs inside the actors.
            async move {
                let timed = tokio::spawn(async move {
                    let mut a = a.lock().await;
                    let start = Instant::now();
                    for _ in 0..iters {
                        let (reply, answer) = tokio::sync::oneshot::channel();
                        to_b.send(reply).await.unwrap();
                        std::hint::black_box(answer.await.unwrap());
                        call_directly(&mut a, &sender).await;
                    }
                    start.elapsed()
                });
                timed.await.unwrap()
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
        sent += start_burst((CHUNK as u64).min(iters - sent));
        system.wait_idle().await;
    }
    start.elapsed().mul_f64(iters as f64 / sent as f64)
}

/// Messages per burst, and mailbox capacity of the throughput benchmarks.
const CHUNK: usize = 8192;

/// Guest A sends B a burst of fire-and-forget messages; the clock stops
/// when B has handled them all.
fn guest_to_guest_throughput(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("guest-to-guest/fire-and-forget");
    let (system, _inbox) = rt.block_on(relay_system(&["a", "b"], CHUNK));
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
    let (system, _inbox) = rt.block_on(relay_system(&names, 2 * CHUNK));
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
