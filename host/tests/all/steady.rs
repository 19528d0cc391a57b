//! The steady paths held to an allocation budget: a change that adds work
//! to a request, a guest-to-guest link or a fire-and-forget message fails
//! here, not in a benchmark. Allocations are counted, not timed, so the
//! result does not depend on the machine or its load. Each budget lists
//! what it allows; lower it when a change removes one.

use std::time::Duration;

use airssys_test_fixtures::RELAY;
use airssys_wasm::unstable::BareInstances;
use airssys_wasm::{ComponentSpec, HostInbox, System, SystemBuilder};

use crate::common::allocations;

const TIMEOUT: Duration = Duration::from_secs(5);
/// Enough rounds that amortised growth (tables, channel blocks) rounds
/// away in the integer division.
const ROUNDS: u64 = 1_000;
/// The short and the long run of a guest command (see `marginal`).
const FEW: u64 = 100;
const MANY: u64 = FEW + ROUNDS;
const PAYLOAD: [u8; 64] = [7; 64];

// The budgets are what the paths allocate today, counted on the host side
// (a guest's own allocations are in its linear memory, not here). Lower one
// when a change removes an allocation; a change that adds one fails here.

/// A host → guest request, beyond the direct call of the guest's export
/// (which allocates the fiber's closure and the lifted answer): the
/// caller's payload copied into a `Vec`, the reply channel, and the call
/// run on the requester's task, boxed so that it can be handed over if it
/// has to wait. (The ids `"host"` and of the target are shared, the
/// correlation id is its bits, the sender's name lowered to the guest is
/// kept between calls.)
const HOST_REQUEST_EXTRA: u64 = 3;

/// One guest → guest link: the request's target `String` and payload
/// `Vec` lifted from the guest, the correlation id's text returned to it,
/// and the fiber closures and lifted answer of the two calls.
const GUEST_LINK: u64 = 6;

/// One guest → guest fire-and-forget message, sent and handled: the
/// target `String` and payload `Vec` lifted from the sender, the receiver's
/// fiber closure and its answer lifted (then dropped: nobody asked).
const GUEST_SEND: u64 = 4;

#[tokio::test(flavor = "current_thread")]
async fn a_host_request_stays_within_its_allocation_budget() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("relay", RELAY))
        .start()
        .await
        .unwrap();
    let mut request = u64::MAX;
    // The first pass warms up; the least of the others counts (see
    // `marginal`).
    for _pass in 0..4 {
        let before = allocations::so_far();
        for _ in 0..ROUNDS {
            let pending = system.request("relay", &PAYLOAD[..], TIMEOUT).unwrap();
            assert_eq!(pending.await.unwrap().len(), PAYLOAD.len());
        }
        request = request.min((allocations::so_far() - before) / ROUNDS);
    }
    system.shutdown(TIMEOUT).await;

    let bare = BareInstances::new(RELAY);
    let mut instance = bare.instance("relay").await;
    let sender = "host".to_owned();
    let mut floor = 0;
    for _pass in 0..2 {
        let before = allocations::so_far();
        for _ in 0..ROUNDS {
            assert_eq!(
                instance.call_directly(&sender, &PAYLOAD).await.len(),
                PAYLOAD.len()
            );
        }
        floor = (allocations::so_far() - before) / ROUNDS;
    }

    assert!(
        request <= floor + HOST_REQUEST_EXTRA,
        "a host request allocates {request} times, the direct call {floor}: \
         more than the budget of {HOST_REQUEST_EXTRA} beyond the call"
    );
}

async fn two_relays() -> (System, HostInbox) {
    let mut system = SystemBuilder::new()
        .host_inbox(16)
        .component(
            ComponentSpec::from_bytes("a", RELAY)
                .grant("b")
                .grant("host"),
        )
        // Room for a whole burst: on one thread the receiver runs only
        // after the sender's call, and a refused send would end the burst
        // early, its messages uncounted.
        .component(
            ComponentSpec::from_bytes("b", RELAY)
                .mailbox_capacity(usize::try_from(2 * MANY).unwrap()),
        )
        .start()
        .await
        .unwrap();
    let inbox = system.take_inbox().unwrap();
    (system, inbox)
}

/// Allocations of one run of `command` (`{n}` replaced by `n`), from the
/// host's send until it is over.
async fn run(system: &System, inbox: &mut HostInbox, command: &str, n: u64) -> u64 {
    let text = command.replace("{n}", &n.to_string());
    let before = allocations::so_far();
    system.send("a", text.as_str()).unwrap();
    if command.starts_with("chain") {
        assert_eq!(inbox.recv().await.unwrap().payload, "done");
    } else {
        system.wait_idle().await;
    }
    allocations::so_far() - before
}

/// The cost of one more unit of `command`: a long run less a short one,
/// after a warm-up, so what every run pays once cancels out. The least of
/// three measurements: an epoch tick that lands inside a run (more likely
/// on a loaded machine) adds work to that run only, while an allocation the
/// path makes every time is in all three.
async fn marginal(system: &System, inbox: &mut HostInbox, command: &str) -> u64 {
    run(system, inbox, command, MANY).await;
    let mut least = u64::MAX;
    for _ in 0..3 {
        let short = run(system, inbox, command, FEW).await;
        let long = run(system, inbox, command, MANY).await;
        least = least.min(long.saturating_sub(short) / ROUNDS);
    }
    least
}

#[tokio::test(flavor = "current_thread")]
async fn a_guest_link_stays_within_its_allocation_budget() {
    let (system, mut inbox) = two_relays().await;
    let link = marginal(&system, &mut inbox, "chain b {n} 64").await;
    system.shutdown(TIMEOUT).await;
    assert!(
        link <= GUEST_LINK,
        "a guest → guest link allocates {link} times; the budget is {GUEST_LINK}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_guest_send_stays_within_its_allocation_budget() {
    let (system, mut inbox) = two_relays().await;
    let send = marginal(&system, &mut inbox, "burst b {n} 64").await;
    system.shutdown(TIMEOUT).await;
    assert!(
        send <= GUEST_SEND,
        "a guest → guest send allocates {send} times; the budget is {GUEST_SEND}"
    );
}
