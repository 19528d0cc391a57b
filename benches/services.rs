//! What a plugin's host services cost: the host's request to the assistant
//! plugin when it answers from its configuration (`wasi:config`, the
//! baseline), reads its key-value bucket, increments it (one committed,
//! durable write transaction) and asks a native host service (guest ->
//! service -> the guest's callback -> the host's inbox).
//!
//! The floor is the same request to the lean relay guest.
//!
//! `cargo bench -p airssys-benches --bench services`

// criterion_group! defines an undocumented public function.
#![allow(missing_docs, reason = "criterion_group! generates it")]

use std::time::{Duration, Instant};

use airssys_benches::runtime;
use airssys_test_fixtures::{ASSISTANT, RELAY};
use airssys_wasm::{ComponentSpec, MessagePayload, Service, SystemBuilder};
use criterion::{Criterion, criterion_group, criterion_main};

const TIMEOUT: Duration = Duration::from_secs(5);

fn services(c: &mut Criterion) {
    let rt = runtime();
    let store = tempfile_dir();
    let inventory = Service::new(|_call| async move {
        Ok(MessagePayload::from(
            br#"{"item":"book","in_stock":3}"#.to_vec(),
        ))
    });
    let (system, mut inbox) = rt.block_on(async {
        let mut system = SystemBuilder::new()
            .keyvalue_path(store.join("bench.redb"))
            .host_inbox(1024)
            .service_with("inventory", inventory)
            .component(
                ComponentSpec::from_bytes("assistant", ASSISTANT)
                    .grant("inventory")
                    .grant("host")
                    .config("greeting", "hello")
                    .keyvalue_bucket("state"),
            )
            .component(ComponentSpec::from_bytes("relay", RELAY))
            .start()
            .await
            .unwrap();
        let inbox = system.take_inbox().unwrap();
        (system, inbox)
    });

    let mut group = c.benchmark_group("services");
    group.bench_function("floor: request to the lean relay guest", |b| {
        b.to_async(&rt).iter(|| async {
            let answer = system.request("relay", "x", TIMEOUT).unwrap().await;
            std::hint::black_box(answer.unwrap());
        })
    });
    for (name, command) in [
        ("config get (baseline)", "greeting"),
        ("keyvalue get", "visits"),
        ("keyvalue increment, committed", "count"),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let answer = system.request("assistant", command, TIMEOUT).unwrap().await;
                std::hint::black_box(answer.unwrap());
            })
        });
    }
    group.bench_function(
        "guest asks a native service, answer reaches the host",
        |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let asked = system.request("assistant", "ask book", TIMEOUT).unwrap();
                        asked.await.unwrap();
                        std::hint::black_box(inbox.recv().await.unwrap());
                    }
                    start.elapsed()
                })
            })
        },
    );
    group.finish();
    rt.block_on(system.shutdown(TIMEOUT));
    std::fs::remove_dir_all(store).unwrap();
}

/// A fresh directory for the bench's key-value store.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("airssys-bench-services-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

criterion_group!(benches, services);
criterion_main!(benches);
