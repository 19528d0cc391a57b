//! Latency distributions: every operation timed on its own, so the tail
//! shows (criterion reports the typical time per operation, not its p99).
//! Prints median, p99 and p99.9 of 100,000 operations after 10,000 of
//! warm-up, for the host's request to a guest and its floor.
//!
//! `cargo bench -p airssys-benches --bench latency`

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_wasm::System;
use tokio::runtime::Runtime;

use airssys_benches::{
    PAYLOAD, call_directly, direct_instance, percentiles, relay_system, runtime,
};

const WARM_UP: usize = 10_000;
const SAMPLES: usize = 100_000;

/// Times `SAMPLES` runs of `operation`, after `WARM_UP` untimed ones.
async fn sample<F: Future<Output = ()>>(mut operation: impl FnMut() -> F) -> Vec<Duration> {
    for _ in 0..WARM_UP {
        operation().await;
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let clock = Instant::now();
        operation().await;
        samples.push(clock.elapsed());
    }
    samples
}

/// Requests to the relay `echo`, timed one by one, from a task spawned on
/// `rt`, as a host application makes them.
fn requests_from_a_task(rt: &Runtime, system: &Arc<System>) -> Vec<Duration> {
    let system = Arc::clone(system);
    rt.block_on(rt.spawn(async move {
        sample(|| {
            let pending = system
                .request("echo", &PAYLOAD, Duration::from_secs(5))
                .unwrap();
            async move {
                std::hint::black_box(pending.await.unwrap());
            }
        })
        .await
    }))
    .unwrap()
}

fn report(name: &str, samples: Vec<Duration>) {
    let [median, p99, p999] = percentiles(samples);
    println!("latency/{name}: median {median:.2} us, p99 {p99:.2} us, p99.9 {p999:.2} us");
}

fn main() {
    // Runs only under `cargo bench`, which passes `--bench`.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let timeout = Duration::from_secs(5);

    let rt = runtime();
    let (system, _inbox) = rt.block_on(relay_system(&["echo"], 1024));
    let system = Arc::new(system);
    report(
        "host-to-guest request, from a task, 2 workers",
        requests_from_a_task(&rt, &system),
    );

    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (system1, _inbox1) = single.block_on(relay_system(&["echo"], 1024));
    let samples = single.block_on(sample(|| {
        let pending = system1.request("echo", &PAYLOAD, timeout).unwrap();
        async move {
            std::hint::black_box(pending.await.unwrap());
        }
    }));
    report("host-to-guest request, 1 thread", samples);

    // From a task on that thread: `block_on` parks and unparks the driver
    // (a syscall pair) whenever another task wakes its future; a task woken
    // on its own thread is spared that.
    let system1 = Arc::new(system1);
    report(
        "host-to-guest request, from a task, 1 thread",
        requests_from_a_task(&single, &system1),
    );

    let (mut instance, sender) = single.block_on(direct_instance());
    let samples = single.block_on(async {
        let mut samples = Vec::with_capacity(SAMPLES);
        for round in 0..WARM_UP + SAMPLES {
            let clock = Instant::now();
            call_directly(&mut instance, &sender).await;
            if round >= WARM_UP {
                samples.push(clock.elapsed());
            }
        }
        samples
    });
    report("floor: direct handle-message call, 1 thread", samples);
    single.block_on(async move { drop(system1) });
}
