//! Cross-host messaging against its floor, on a real NATS server (found on
//! PATH or installed by `examples/lattice/nats-server.sh`):
//!
//! - floor: a bare NATS request-reply of the same 64 bytes between two
//!   connections of this process, the responder answering from its task;
//! - a host's request to the relay on another host (two systems, each
//!   with its own connection, in this process);
//! - throughput: 1,000 requests in flight from one host to relays on two
//!   other hosts.
//!
//! `cargo bench -p airssys-benches --bench lattice`

// criterion_group! defines an undocumented public function.
#![allow(missing_docs, reason = "criterion_group! generates it")]

use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Duration;

use airssys_benches::{PAYLOAD, runtime};
use airssys_test_fixtures::RELAY;
use airssys_wasm::{ComponentSpec, LatticeConfig, System, SystemBuilder};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::StreamExt;

/// A NATS server on a free loopback port, killed when dropped.
struct Server(Child, String);

impl Server {
    fn start() -> Self {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/lattice/nats-server.sh"
        );
        let output = Command::new("bash")
            .arg(script)
            .output()
            .expect("bash runs");
        assert!(output.status.success(), "a nats-server");
        let binary = String::from_utf8(output.stdout).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary.trim())
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .spawn()
            .expect("nats-server starts");
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(10));
        }
        Self(child, format!("nats://127.0.0.1:{port}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn host(url: &str, relays: &[&str]) -> System {
    let mut builder = SystemBuilder::new().lattice(LatticeConfig::new("bench", url));
    for name in relays {
        builder = builder.component(
            ComponentSpec::from_bytes(*name, RELAY)
                .grant_any()
                .mailbox_capacity(4096),
        );
    }
    builder.start().await.unwrap()
}

fn cross_host(c: &mut Criterion) {
    let server = Server::start();
    let rt = runtime();
    let mut group = c.benchmark_group("lattice");

    // The floor: bare request-reply between two connections.
    let (requester, _responder) = rt.block_on(async {
        let responder = async_nats::connect(&server.1).await.unwrap();
        let mut requests = responder.subscribe("floor").await.unwrap();
        let replier = responder.clone();
        tokio::spawn(async move {
            while let Some(request) = requests.next().await {
                let reply = request.reply.unwrap();
                replier.publish(reply, request.payload).await.unwrap();
            }
        });
        responder.flush().await.unwrap();
        (async_nats::connect(&server.1).await.unwrap(), responder)
    });
    group.bench_function("floor: bare NATS request-reply, 64 B", |b| {
        b.to_async(&rt).iter(|| async {
            std::hint::black_box(
                requester
                    .request("floor", PAYLOAD.to_vec().into())
                    .await
                    .unwrap(),
            );
        });
    });

    let (near, _far, _farther) = rt.block_on(async {
        let far = host(&server.1, &["echo"]).await;
        let farther = host(&server.1, &["echo2"]).await;
        let near = host(&server.1, &[]).await;
        (Arc::new(near), far, farther)
    });
    group.bench_function("host request to a relay on another host, 64 B", |b| {
        b.to_async(&rt).iter(|| async {
            std::hint::black_box(
                near.request("echo", &PAYLOAD, Duration::from_secs(5))
                    .unwrap()
                    .await
                    .unwrap(),
            );
        });
    });

    const IN_FLIGHT: u64 = 1000;
    group.throughput(Throughput::Elements(IN_FLIGHT));
    group.bench_function(
        "1,000 requests in flight to relays on two other hosts",
        |b| {
            b.to_async(&rt).iter(|| async {
                let pending: Vec<_> = (0..IN_FLIGHT)
                    .map(|n| {
                        let target = if n % 2 == 0 { "echo" } else { "echo2" };
                        near.request(target, &PAYLOAD, Duration::from_secs(30))
                            .unwrap()
                    })
                    .collect();
                for response in pending {
                    std::hint::black_box(response.await.unwrap());
                }
            });
        },
    );
    group.finish();
}

criterion_group!(benches, cross_host);
criterion_main!(benches);
