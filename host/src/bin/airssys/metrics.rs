//! `GET /metrics`: the system's counters in the Prometheus text format,
//! encoded by `prometheus-client` from a fresh snapshot at each scrape.

use airssys_wasm::{ComponentStats, ComponentStatus, System};
use prometheus_client::encoding::text::encode as encode_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// A per-component counter: its name, its help, and how to read it.
type PerComponent = (&'static str, &'static str, fn(&ComponentStats) -> u64);

/// A per-component gauge of what is happening now.
type PerComponentNow = (&'static str, &'static str, fn(&ComponentStatus) -> usize);

/// A component's label, its name escaped as the text format wants (the
/// encoder writes label values as they are, and a name may hold any text).
fn labels(component: &ComponentStatus) -> Labels {
    let mut name = String::new();
    for c in component.name.as_str().chars() {
        match c {
            '\\' => name.push_str("\\\\"),
            '"' => name.push_str("\\\""),
            '\n' => name.push_str("\\n"),
            c => name.push(c),
        }
    }
    vec![("component", name)]
}

/// The counters of each component (and service) by name, the system's
/// totals (removed components included) and what is in flight now.
pub(crate) fn encode(system: &System) -> String {
    let mut registry = Registry::with_prefix("airssys");
    let stats = system.stats();

    let per_component: [PerComponent; 7] = [
        (
            "component_accepted",
            "Messages and requests accepted into the mailbox",
            |s| s.accepted,
        ),
        (
            "component_handled",
            "handle-message calls that returned a value",
            |s| s.handled,
        ),
        (
            "component_failed",
            "handle-message calls that returned an error",
            |s| s.failed,
        ),
        ("component_trapped", "Calls that trapped", |s| s.trapped),
        (
            "component_callbacks",
            "Request outcomes delivered to handle-callback",
            |s| s.callbacks,
        ),
        (
            "component_callbacks_dropped",
            "Request outcomes dropped, never delivered",
            |s| s.callbacks_dropped,
        ),
        (
            "component_unhandled",
            "Messages accepted and never handled (removed or failed)",
            |s| s.unhandled,
        ),
    ];
    let status = system.status();
    for (name, help, read) in per_component {
        let family = Family::<Labels, Counter>::default();
        for component in &status {
            let labels = labels(component);
            family.get_or_create(&labels).inc_by(read(&component.stats));
        }
        registry.register(name, help, family);
    }
    let generation = Family::<Labels, Gauge>::default();
    for component in &status {
        let labels = labels(component);
        generation
            .get_or_create(&labels)
            .set(i64::try_from(component.generation).unwrap_or(i64::MAX));
    }
    let now: [PerComponentNow; 2] = [
        (
            "component_queued",
            "Messages waiting in the mailbox now",
            |c| c.queued,
        ),
        (
            "component_pending_requests",
            "Its own requests outstanding now",
            |c| c.pending_requests,
        ),
    ];
    for (name, help, read) in now {
        let family = Family::<Labels, Gauge>::default();
        for component in &status {
            let labels = labels(component);
            family
                .get_or_create(&labels)
                .set(i64::try_from(read(component)).unwrap_or(i64::MAX));
        }
        registry.register(name, help, family);
    }
    registry.register(
        "component_generation",
        "1 for the version started with, one more per upgrade",
        generation,
    );

    let totals: [(&str, &str, u64); 15] = [
        (
            "messages_accepted",
            "Messages and requests accepted, over every component ever run",
            stats.messages.accepted,
        ),
        (
            "messages_handled",
            "handle-message calls that returned a value",
            stats.messages.handled,
        ),
        (
            "messages_failed",
            "handle-message calls that returned an error",
            stats.messages.failed,
        ),
        (
            "messages_trapped",
            "Calls that trapped",
            stats.messages.trapped,
        ),
        (
            "messages_unhandled",
            "Messages accepted and never handled",
            stats.messages.unhandled,
        ),
        (
            "callbacks",
            "Request outcomes delivered to handle-callback",
            stats.messages.callbacks,
        ),
        (
            "callbacks_dropped",
            "Request outcomes dropped",
            stats.messages.callbacks_dropped,
        ),
        (
            "refused",
            "Sends and requests refused at once",
            stats.refused,
        ),
        (
            "requests_timed_out",
            "Requests that timed out",
            stats.requests.timed_out,
        ),
        (
            "requests_late_responses",
            "Answers that came after their request ended",
            stats.requests.late_responses,
        ),
        (
            "requests_abandoned",
            "Requests abandoned by a trapped or removed requester",
            stats.requests.abandoned,
        ),
        (
            "requests_undeliverable",
            "Outcomes that found nobody to take them",
            stats.requests.undeliverable,
        ),
        ("upgrades", "Upgrades made", stats.upgrades),
        (
            "components_added",
            "Components added while running",
            stats.components_added,
        ),
        (
            "components_removed",
            "Components removed while running",
            stats.components_removed,
        ),
    ];
    for (name, help, value) in totals {
        let counter = Counter::<u64>::default();
        counter.inc_by(value);
        registry.register(name, help, counter);
    }
    let failed_upgrades = Counter::<u64>::default();
    failed_upgrades.inc_by(stats.failed_upgrades);
    registry.register("upgrades_failed", "Upgrades refused", failed_upgrades);

    let gauges: [(&str, &str, usize); 5] = [
        (
            "in_flight",
            "Messages and callbacks queued or being handled, plus pending requests",
            stats.in_flight,
        ),
        (
            "bytes_in_flight",
            "Payload bytes held for components now",
            stats.bytes_in_flight,
        ),
        (
            "requests_pending",
            "Requests waiting for their outcome",
            stats.requests.pending,
        ),
        (
            "instances",
            "Component instances alive now",
            stats.instances,
        ),
        (
            "components",
            "Components and services running now",
            status.len(),
        ),
    ];
    for (name, help, value) in gauges {
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        registry.register(name, help, gauge);
    }

    if let Some(lattice) = system.lattice_stats() {
        for (name, help, value) in [
            (
                "lattice_peers",
                "Other hosts of the lattice heard from within three heartbeats",
                lattice.peers,
            ),
            (
                "lattice_requests_out",
                "Requests out to other hosts of the lattice, not yet ended",
                lattice.pending,
            ),
        ] {
            let gauge = Gauge::<i64>::default();
            gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
            registry.register(name, help, gauge);
        }
        for (name, help, value) in [
            (
                "lattice_bounced",
                "Messages to other hosts that they refused or that no host took",
                lattice.bounced,
            ),
            (
                "lattice_refused",
                "Lattice messages this host refused or dropped (signature, membership, grant, mailbox)",
                lattice.refused,
            ),
        ] {
            let counter = Counter::<u64>::default();
            counter.inc_by(value);
            registry.register(name, help, counter);
        }
    }

    let mut text = String::new();
    encode_text(&mut text, &registry).expect("writing to a String does not fail");
    text
}
