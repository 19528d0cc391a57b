//! The Extism side of the comparison in BENCHMARKS.md: builds the echo
//! plugin, then times a 64-byte echo call (median, p99, p99.9 of 100,000
//! after 10,000 of warm-up) and a plugin instantiation from a compiled
//! plugin (1,000 of them).
//!
//! `cargo run --release --manifest-path benches/extism-compare/Cargo.toml`

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use extism::{CompiledPlugin, Plugin, PluginBuilder};

const WARM_UP: usize = 10_000;
const SAMPLES: usize = 100_000;
const INSTANCES: usize = 1_000;

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guest = here.join("guest");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--target", "wasm32-unknown-unknown"])
        .current_dir(&guest)
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building the plugin failed (needs `rustup target add wasm32-unknown-unknown`)"
    );
    let wasm = std::fs::read(guest.join("target/wasm32-unknown-unknown/release/extism_echo.wasm"))
        .expect("the plugin was built");

    let compiled = CompiledPlugin::new(PluginBuilder::new(wasm.as_slice())).expect("compiles");
    let mut plugin = Plugin::new_from_compiled(&compiled).expect("instantiates");
    let payload = [7u8; 64];
    let mut samples = Vec::with_capacity(SAMPLES);
    for round in 0..WARM_UP + SAMPLES {
        let clock = Instant::now();
        let answer: &[u8] = plugin.call("echo", payload.as_slice()).expect("answers");
        std::hint::black_box(answer);
        if round >= WARM_UP {
            samples.push(clock.elapsed());
        }
    }
    let [median, p99, p999] = percentiles(samples);
    println!("extism/echo call, 64 B: median {median:.2} us, p99 {p99:.2} us, p99.9 {p999:.2} us");

    let clock = Instant::now();
    let plugins: Vec<Plugin> = (0..INSTANCES)
        .map(|_| Plugin::new_from_compiled(&compiled).expect("instantiates"))
        .collect();
    let each = clock.elapsed().as_secs_f64() * 1e6 / INSTANCES as f64;
    println!("extism/instantiate from a compiled plugin: {each:.1} us each ({INSTANCES} kept alive)");
    drop(plugins);
}

/// Median, 99th and 99.9th percentile, in microseconds.
fn percentiles(mut samples: Vec<Duration>) -> [f64; 3] {
    samples.sort_unstable();
    let at = |per_mille: usize| {
        let index = (samples.len() * per_mille / 1000).min(samples.len() - 1);
        samples[index].as_secs_f64() * 1e6
    };
    [at(500), at(990), at(999)]
}
