//! Starting a system: compiling its components, against loading them from
//! the compile cache a previous start filled. The system is the assistant
//! plugin (the largest Rust guest here) and the lean relay. Then upgrading
//! a running component from the cache, and adding then removing one,
//! against starting a system of that one component from it (the floor: the
//! same load and instantiation).
//!
//! `cargo bench -p airssys-benches --bench start`

// criterion_group! defines an undocumented public function.
#![allow(missing_docs, reason = "criterion_group! generates it")]

use std::time::Duration;

use airssys_benches::runtime;
use airssys_test_fixtures::{ASSISTANT, RELAY};
use airssys_wasm::{ComponentSpec, SystemBuilder, WasmSource};
use criterion::{Criterion, criterion_group, criterion_main};

fn system() -> SystemBuilder {
    SystemBuilder::new()
        .component(ComponentSpec::from_bytes("assistant", ASSISTANT))
        .component(ComponentSpec::from_bytes("relay", RELAY))
}

fn start(c: &mut Criterion) {
    let rt = runtime();
    let cache = std::env::temp_dir().join(format!("airssys-bench-start-{}", std::process::id()));
    let mut group = c.benchmark_group("start");
    group.sample_size(10);
    group.bench_function("cold: compile both", |b| {
        b.to_async(&rt).iter(|| async {
            let system = system().no_compile_cache().start().await.unwrap();
            system.shutdown(Duration::from_secs(1)).await;
        })
    });
    rt.block_on(system().compile_cache(&cache).precompile())
        .unwrap();
    group.bench_function("warm: both from the compile cache", |b| {
        b.to_async(&rt).iter(|| async {
            let system = system().compile_cache(&cache).start().await.unwrap();
            system.shutdown(Duration::from_secs(1)).await;
        })
    });
    group.finish();
    std::fs::remove_dir_all(cache).unwrap();
}

fn upgrade(c: &mut Criterion) {
    let rt = runtime();
    let cache = std::env::temp_dir().join(format!("airssys-bench-upgrade-{}", std::process::id()));
    let relay = || SystemBuilder::new().component(ComponentSpec::from_bytes("relay", RELAY));
    rt.block_on(relay().compile_cache(&cache).precompile())
        .unwrap();
    let mut group = c.benchmark_group("upgrade");
    group.sample_size(20);
    group.bench_function("floor: start relay alone from the compile cache", |b| {
        b.to_async(&rt).iter(|| async {
            let system = relay().compile_cache(&cache).start().await.unwrap();
            system.shutdown(Duration::from_secs(1)).await;
        })
    });
    let system = rt.block_on(relay().compile_cache(&cache).start()).unwrap();
    group.bench_function("upgrade relay from the compile cache (idle)", |b| {
        b.to_async(&rt).iter(|| async {
            let source = WasmSource::Bytes(RELAY.into());
            system.upgrade("relay", source).await.unwrap();
        })
    });
    // Added and removed again, idle: the same load and instantiation as
    // the floor, plus listing it and draining an empty queue.
    group.bench_function(
        "add then remove relay2 from the compile cache (idle)",
        |b| {
            b.to_async(&rt).iter(|| async {
                let spec = ComponentSpec::from_bytes("relay2", RELAY);
                system.add(spec).await.unwrap();
                system
                    .remove("relay2", Duration::from_secs(1))
                    .await
                    .unwrap();
            })
        },
    );
    group.finish();
    rt.block_on(system.shutdown(Duration::from_secs(1)));
    std::fs::remove_dir_all(cache).unwrap();
}

criterion_group!(benches, start, upgrade);
criterion_main!(benches);
