//! Scale: time and resident memory to start N idle instances of one small
//! guest (compiled once), and the latency of one request while they are
//! all alive. Prints one line per N.
//!
//! `cargo bench -p airssys-benches --bench scale` (N = 1,000 and 10,000;
//! set `AIRSSYS_SCALE=1000,10000,100000` for others; beyond about 10,000 the
//! kernel's `vm.max_map_count` must be raised, see BENCHMARKS.md). With
//! `AIRSSYS_SCALE_LAZY=1` the N components are lazy: registered at start,
//! instantiated by their first message (only the 1,000 requested are).
//! `AIRSSYS_SCALE_TARGETS=1` (or 10, ...) sends the requests to that many
//! components instead of 1,000 spread over all N.

use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_benches::{bare_relays, percentiles};
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

fn memory_mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |maps| maps.lines().count())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // useful either: this harness only runs under `cargo bench`.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let counts: Vec<usize> = std::env::var("AIRSSYS_SCALE")
        .unwrap_or_else(|_| "1000,10000".to_owned())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    // One process per size, so each starts with a clean heap and its RSS
    // figures are its own.
    if let [_, _, ..] = counts.as_slice() {
        for n in counts {
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args(std::env::args().skip(1))
                .env("AIRSSYS_SCALE", n.to_string())
                .status()
                .unwrap();
            assert!(status.success(), "scale/{n} failed");
        }
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bytes: Arc<[u8]> = Arc::from(RELAY);
    let lazy = std::env::var("AIRSSYS_SCALE_LAZY").is_ok_and(|value| value == "1");
    let mode = if lazy { "lazy" } else { "eager" };
    for n in counts {
        let before = rss_mib();
        let maps_before = memory_mappings();
        let mut builder = SystemBuilder::new().lazy(lazy);
        for i in 0..n {
            let spec = ComponentSpec::from_bytes(format!("c{i}"), Arc::clone(&bytes));
            builder = builder.component(spec.mailbox_capacity(4));
        }
        let clock = Instant::now();
        let system = match rt.block_on(builder.start()) {
            Ok(system) => Arc::new(system),
            Err(error) => {
                println!("scale/{n}: did not start: {error}");
                continue;
            }
        };
        let started = clock.elapsed();
        let after = rss_mib();
        let maps_after = memory_mappings();
        let live_at_start = system.stats().instances;

        // The host's requests run in a task on the runtime, as in a host
        // application. The first pass is the first call into each of 1,000
        // instances spread over all N; the second repeats it.
        let spread: usize = std::env::var("AIRSSYS_SCALE_TARGETS")
            .ok()
            .and_then(|targets| targets.parse().ok())
            .unwrap_or(1000)
            .clamp(1, n);
        let targets: Vec<String> = (0..1000)
            .map(|i| format!("c{}", (i % spread) * n / spread))
            .collect();
        let requester = Arc::clone(&system);
        let (cold, warm) = rt.block_on(async move {
            tokio::spawn(async move {
                let mut passes = [Vec::with_capacity(1000), Vec::with_capacity(1000)];
                for samples in &mut passes {
                    for target in &targets {
                        let clock = Instant::now();
                        let pending =
                            requester.request(target, &[7u8; 64][..], Duration::from_secs(5));
                        pending.expect("accepted").await.expect("answered");
                        samples.push(clock.elapsed());
                    }
                }
                let [cold, warm] = passes;
                (cold, warm)
            })
            .await
            .expect("requester task")
        });
        let system = Arc::into_inner(system).expect("requester finished");
        let live = system.stats().instances;
        let rss_live = rss_mib();
        let clock = Instant::now();
        rt.block_on(system.shutdown(Duration::from_secs(60)));
        let stopped = clock.elapsed();

        let [cold_median, cold_p99, _] = percentiles(cold);
        let [warm_median, warm_p99, _] = percentiles(warm);
        println!(
            "scale/{n}/{mode}/{spread} targets: start {:.0} ms with {live_at_start} instances; RSS {before:.0} -> {after:.0} MiB \
             (+{:.2} KiB per component); {:.2} memory mappings per component; first request to each \
             of 1,000 median {cold_median:.1} us, p99 {cold_p99:.1} us; again median {warm_median:.1} us, \
             p99 {warm_p99:.1} us; then {live} instances, RSS {rss_live:.0} MiB; shutdown {:.0} ms",
            started.as_secs_f64() * 1000.0,
            (after - before) * 1024.0 / n as f64,
            (maps_after - maps_before) as f64 / n as f64,
            stopped.as_secs_f64() * 1000.0,
        );

        // The floor, after the system is gone: bare instances on one
        // thread, nothing around them (as many as the system created).
        let floor_n = if lazy { n.min(1000) } else { n };
        let bare = rt.block_on(async { bare_relays() });
        let clock = Instant::now();
        let instances = rt.block_on(async {
            let mut instances = Vec::with_capacity(floor_n);
            for i in 0..floor_n {
                instances.push(bare.instance(&format!("c{i}")).await);
            }
            instances
        });
        let elapsed = clock.elapsed();
        println!(
            "scale/{n}/floor: {floor_n} bare instances (Store + InstancePre, one thread) in {:.0} ms \
             ({:.1} us each)",
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1e6 / floor_n as f64,
        );
        drop(instances);
    }
}
