//! Router only, no wasm: fire-and-forget and request → response → callback
//! through `ResponseRouter`, against bare tokio channels doing the same
//! handoffs (the floors).
//!
//! `cargo bench -p airssys-benches --bench router`

// criterion_group! defines an undocumented public function.
#![allow(missing_docs, reason = "criterion_group! generates it")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_wasm::unstable::BareRouter;
use airssys_wasm::{ComponentId, MessagePayload};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::sync::{Notify, mpsc, oneshot};

/// Messages sent before waiting for the receiver, and its mailbox capacity.
const BATCH: usize = 1024;
const PAYLOAD: [u8; 64] = [7; 64];

/// One thread, as the floors the issue quotes were measured: the cost of
/// the handoff itself, without cross-thread wake-ups.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Sends in batches and waits until the receiving task has every message.
fn fire_and_forget(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("router/fire-and-forget");

    group.bench_function("airssys send until received", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let r = BareRouter::new(&[("a", "b")]);
            let mut mailbox = r.mailbox("b", BATCH);
            let done = Arc::new(Notify::new());
            let done2 = Arc::clone(&done);
            let consumer = tokio::spawn(async move {
                let mut seen = 0u64;
                while let Some(message) = mailbox.recv().await {
                    std::hint::black_box(message);
                    seen += 1;
                    if seen.is_multiple_of(BATCH as u64) || seen == iters {
                        done2.notify_one();
                    }
                }
            });
            let (a, b) = (ComponentId::new("a"), ComponentId::new("b"));
            let start = Instant::now();
            let mut sent = 0;
            while sent < iters {
                let batch = (BATCH as u64).min(iters - sent);
                for _ in 0..batch {
                    r.router()
                        .send(&a, &b, MessagePayload::from(&PAYLOAD))
                        .unwrap();
                }
                sent += batch;
                done.notified().await;
            }
            let elapsed = start.elapsed();
            r.close_all();
            consumer.await.unwrap();
            elapsed
        })
    });

    group.bench_function("floor: tokio bounded mpsc", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, mut rx) = mpsc::channel::<Vec<u8>>(BATCH);
            let done = Arc::new(Notify::new());
            let done2 = Arc::clone(&done);
            let consumer = tokio::spawn(async move {
                let mut seen = 0u64;
                while let Some(message) = rx.recv().await {
                    std::hint::black_box(message);
                    seen += 1;
                    if seen.is_multiple_of(BATCH as u64) || seen == iters {
                        done2.notify_one();
                    }
                }
            });
            let start = Instant::now();
            let mut sent = 0;
            while sent < iters {
                let batch = (BATCH as u64).min(iters - sent);
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
            let r = BareRouter::new(&[("a", "b")]);
            let mut requester = r.mailbox("a", 16);
            let mut responder = r.mailbox("b", 16);
            let tracker = r.tracker();
            let answering = tokio::spawn(async move {
                while let Some((_, payload, correlation)) = responder.recv().await {
                    let id = correlation.expect("a request");
                    let _ = tracker.complete(&id, Ok(payload));
                }
            });
            let (a, b) = (ComponentId::new("a"), ComponentId::new("b"));
            let start = Instant::now();
            for _ in 0..iters {
                let reply_to = requester.reply_to();
                r.router()
                    .request(&a, &b, MessagePayload::from(&PAYLOAD), 5_000, reply_to)
                    .unwrap();
                let callback = requester.recv_callback().await.unwrap();
                std::hint::black_box(&callback);
            }
            let elapsed = start.elapsed();
            r.close_all();
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
