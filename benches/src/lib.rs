//! Shared set-up of the benchmarks (`router.rs`, `wasm.rs`, `latency.rs`,
//! `scale.rs`, `services.rs`, `start.rs`); results and how to run them are in BENCHMARKS.md.

use std::sync::Arc;
use std::time::Duration;

use airssys_test_fixtures::RELAY;
use airssys_wasm::unstable::{BareInstance, BareInstances};
use airssys_wasm::{ComponentSpec, HostInbox, System, SystemBuilder};

/// The payload of every benchmark that does not say otherwise.
pub const PAYLOAD: [u8; 64] = [7; 64];

/// A multi-thread runtime with two workers, one per core of the reference
/// machine, or as many as `AIRSSYS_BENCH_WORKERS` says.
pub fn runtime() -> tokio::runtime::Runtime {
    let workers = std::env::var("AIRSSYS_BENCH_WORKERS")
        .map(|workers| workers.parse().expect("AIRSSYS_BENCH_WORKERS: a number"))
        .unwrap_or(2);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// A system of relay components under `names`, each granted every target,
/// with mailboxes of `mailbox` messages and a host inbox.
pub async fn relay_system(names: &[&str], mailbox: usize) -> (System, HostInbox) {
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

/// Bare instances of the relay, outside any system: the floor of
/// instantiation.
pub fn bare_relays() -> BareInstances {
    BareInstances::new(RELAY)
}

/// One instance of the relay outside any system, for the direct-call floor.
pub async fn direct_instance() -> (BareInstance, String) {
    let bare = bare_relays();
    let instance = bare.instance("echo").await;
    // The epoch thread must outlive the instance.
    std::mem::forget(bare);
    (instance, "bench".to_owned())
}

/// The floor: the guest's `handle-message` export called with [`PAYLOAD`],
/// with nothing around it.
pub async fn call_directly(instance: &mut BareInstance, sender: &String) {
    std::hint::black_box(instance.call_directly(sender, &PAYLOAD).await);
}

/// Median, 99th and 99.9th percentile of `samples`, in microseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> [f64; 3] {
    samples.sort_unstable();
    let at = |per_mille: usize| {
        let index = (samples.len() * per_mille / 1000).min(samples.len() - 1);
        samples[index].as_secs_f64() * 1e6
    };
    [at(500), at(990), at(999)]
}
