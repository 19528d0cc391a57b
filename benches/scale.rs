//! Scale: time and resident memory to start N idle instances of one small
//! guest (compiled once), and the latency of one request while they are
//! all alive. Prints one line per N.
//!
//! `cargo bench -p airssys-benches --bench scale` (N = 1,000 and 5,000;
//! set `AIRSSYS_SCALE=1000,10000,100000` for others)

use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_test_fixtures::RELAY;
use airssys_wasm::{ComponentSpec, SystemBuilder};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // useful either: this harness only runs under `cargo bench`.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let counts: Vec<usize> = std::env::var("AIRSSYS_SCALE")
        .unwrap_or_else(|_| "1000,5000".to_owned())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bytes: Arc<[u8]> = Arc::from(RELAY);
    for n in counts {
        rt.block_on(async {
            let before = rss_mib();
            let mut builder = SystemBuilder::new();
            for i in 0..n {
                builder = builder.component(ComponentSpec::from_bytes(format!("c{i}"), Arc::clone(&bytes)).mailbox_capacity(4));
            }
            let start = Instant::now();
            let system = builder.start().await.expect("starts");
            let started = start.elapsed();
            let after = rss_mib();

            let mut samples = Vec::with_capacity(1000);
            for i in 0..1000 {
                let target = format!("c{}", i % n);
                let t = Instant::now();
                system.request(&target, &[7u8; 64][..], Duration::from_secs(5)).unwrap().await.unwrap();
                samples.push(t.elapsed());
            }
            samples.sort();
            println!(
                "scale/{n}: start {:.0} ms, RSS {before:.0} -> {after:.0} MiB (+{:.1} KiB per instance), request median {:.1} us, p99 {:.1} us",
                started.as_secs_f64() * 1000.0,
                (after - before) * 1024.0 / n as f64,
                samples[samples.len() / 2].as_secs_f64() * 1e6,
                samples[samples.len() * 99 / 100].as_secs_f64() * 1e6,
            );
            drop(system);
        });
    }
}
