//! Router only, no wasm: fire-and-forget and request → response → callback
//! through `ResponseRouter`, against bare tokio channels doing the same
//! handoffs (the floors).
//!
//! `cargo bench -p airssys-benches --bench router`

use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_wasm::messaging::activity::Activity;
use airssys_wasm::messaging::capability::Grants;
use airssys_wasm::messaging::router::RouterLimits;
use airssys_wasm::{
    ComponentId, ComponentSubscriber, CorrelationTracker, CorrelationTrackerImpl, MessagePayload,
    MessageRouter, ResponseRouter,
};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::sync::{Notify, mpsc, oneshot};

const BATCH: u64 = 1024;
const PAYLOAD: [u8; 64] = [7; 64];

/// One thread, as the floors the issue quotes were measured: the cost of
/// the handoff itself, without cross-thread wake-ups.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

struct Routed {
    router: ResponseRouter,
    tracker: Arc<dyn CorrelationTracker>,
    subscriber: Arc<ComponentSubscriber>,
    activity: Arc<Activity>,
}

fn routed() -> Routed {
    let activity = Arc::new(Activity::new());
    let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
    let tracker: Arc<dyn CorrelationTracker> = Arc::new(CorrelationTrackerImpl::with_activity(
        Some(Arc::clone(&activity)),
    ));
    let grants = Arc::new(Grants::new());
    grants.grant(ComponentId::new("a"), ComponentId::new("b"));
    let router = ResponseRouter::new(
        Arc::clone(&subscriber),
        Arc::clone(&tracker),
        grants,
        RouterLimits::default(),
    );
    Routed {
        router,
        tracker,
        subscriber,
        activity,
    }
}

/// Sends in batches and waits until the receiving task has every message.
fn fire_and_forget(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("router/fire-and-forget");

    group.bench_function("airssys send until received", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let r = routed();
            let mut mailbox = r
                .subscriber
                .subscribe(ComponentId::new("b"), BATCH as usize);
            let done = Arc::new(Notify::new());
            let (done2, activity) = (Arc::clone(&done), Arc::clone(&r.activity));
            let consumer = tokio::spawn(async move {
                let mut seen = 0u64;
                while let Some(envelope) = mailbox.messages.recv().await {
                    std::hint::black_box(envelope);
                    activity.end();
                    seen += 1;
                    if seen.is_multiple_of(BATCH) || seen == iters {
                        done2.notify_one();
                    }
                }
            });
            let (a, b) = (ComponentId::new("a"), ComponentId::new("b"));
            let start = Instant::now();
            let mut sent = 0;
            while sent < iters {
                let batch = BATCH.min(iters - sent);
                for _ in 0..batch {
                    r.router
                        .send(&a, &b, MessagePayload::from(&PAYLOAD))
                        .unwrap();
                }
                sent += batch;
                done.notified().await;
            }
            let elapsed = start.elapsed();
            r.subscriber.close_all();
            consumer.await.unwrap();
            elapsed
        })
    });

    group.bench_function("floor: tokio bounded mpsc", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, mut rx) = mpsc::channel::<Vec<u8>>(BATCH as usize);
            let done = Arc::new(Notify::new());
            let done2 = Arc::clone(&done);
            let consumer = tokio::spawn(async move {
                let mut seen = 0u64;
                while let Some(message) = rx.recv().await {
                    std::hint::black_box(message);
                    seen += 1;
                    if seen.is_multiple_of(BATCH) || seen == iters {
                        done2.notify_one();
                    }
                }
            });
            let start = Instant::now();
            let mut sent = 0;
            while sent < iters {
                let batch = BATCH.min(iters - sent);
                for _ in 0..batch {
                    tx.try_send(PAYLOAD.to_vec()).unwrap();
                }
                sent += batch;
                done.notified().await;
            }
            let elapsed = start.elapsed();
            drop(tx);
            consumer.await.unwrap();
            elapsed
        })
    });
    group.finish();
}

/// One request at a time: request → responder task completes it → the
/// outcome arrives on the requester's callback queue.
fn request_response(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("router/request-callback");

    group.bench_function("airssys request to callback", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let r = routed();
            let mut requester = r.subscriber.subscribe(ComponentId::new("a"), 16);
            let mut responder = r.subscriber.subscribe(ComponentId::new("b"), 16);
            let (tracker, activity) = (Arc::clone(&r.tracker), Arc::clone(&r.activity));
            let answering = tokio::spawn(async move {
                while let Some(envelope) = responder.messages.recv().await {
                    let id = envelope.correlation.expect("a request");
                    let _ = tracker.complete(&id, Ok(envelope.payload));
                    activity.end();
                }
            });
            let (a, b) = (ComponentId::new("a"), ComponentId::new("b"));
            let sink = airssys_wasm::core::messaging::traits::ReplyTo::Sink;
            let start = Instant::now();
            for _ in 0..iters {
                let reply_to = sink(requester.callback_sink.clone());
                r.router
                    .request(&a, &b, MessagePayload::from(&PAYLOAD), 5_000, reply_to)
                    .unwrap();
                let callback = requester.callbacks.recv().await.unwrap();
                std::hint::black_box(callback);
                r.activity.end();
            }
            let elapsed = start.elapsed();
            r.subscriber.close_all();
            answering.await.unwrap();
            elapsed
        })
    });

    group.bench_function("floor: tokio mpsc + oneshot", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, mut rx) = mpsc::channel::<(Vec<u8>, oneshot::Sender<Vec<u8>>)>(16);
            let answering = tokio::spawn(async move {
                while let Some((payload, reply)) = rx.recv().await {
                    let _ = reply.send(payload);
                }
            });
            let start = Instant::now();
            for _ in 0..iters {
                let (reply, response) = oneshot::channel();
                tx.send((PAYLOAD.to_vec(), reply)).await.unwrap();
                std::hint::black_box(response.await.unwrap());
            }
            let elapsed = start.elapsed();
            drop(tx);
            answering.await.unwrap();
            elapsed
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = fire_and_forget, request_response
}
criterion_main!(benches);
