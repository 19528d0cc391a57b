//! [`Link`]: this host's side of the lattice that the router uses: which
//! components other hosts run, and how a message or request reaches them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::traits::{CorrelationTracker, ReplyTo};
use crate::lattice::wire::{self, Announced, Announcement, Signer, Subjects};
use crate::messaging::capability::Grants;
use crate::messaging::router::Remote;

/// Messages and requests waiting for the publisher: past this many, a send
/// to another host is refused with `QueueFull` rather than held without
/// bound.
pub(crate) const OUTBOX_CAPACITY: usize = 65_536;

/// Room kept in every NATS message for this project's headers (the server
/// counts them towards its `max_payload`).
const HEADER_ROOM: usize = 1024;

/// Hosts this host keeps track of; announcements of further hosts are
/// ignored (with a warning), so a flood of invented hosts cannot grow the
/// table without bound.
const MAX_PEERS: usize = 4096;

/// Heartbeats after which a silent host is forgotten altogether.
const FORGET_AFTER_HEARTBEATS: u32 = 100;

/// One message for the NATS server.
pub(crate) enum Outbound {
    Publish {
        subject: String,
        reply: Option<String>,
        headers: HeaderMap,
        payload: Bytes,
        /// For a request: failed at once if it cannot be published.
        request: Option<(CorrelationId, ComponentId)>,
    },
    /// Answered once everything queued before it is with the server.
    Flush(oneshot::Sender<()>),
}

/// Another host, as last heard.
struct Peer {
    announcement: Announcement,
    last_seen: Instant,
    /// Gone silent: nothing is routed to it, but it is still recognised
    /// as a member when it speaks again (after a partition, say) and is
    /// live again at its next announcement.
    silent: bool,
    /// Names it ran and announced no more (removed, or withdrawn while it
    /// drains): requests already out to them still fail if it is lost.
    withdrawn: Vec<String>,
}

impl Peer {
    /// Whether this live peer runs `name`.
    fn runs(&self, name: &str) -> bool {
        !self.silent
            && self
                .announcement
                .components
                .iter()
                .any(|component| component.name == name)
    }
}

/// This host's side of the lattice: the peers, the outbox, and the requests
/// out to other hosts.
pub(crate) struct Link {
    pub(crate) host: String,
    pub(crate) subjects: Subjects,
    pub(crate) signer: Signer,
    peers: Mutex<HashMap<String, Peer>>,
    /// Woken whenever a peer's announcement is recorded.
    heard: tokio::sync::Notify,
    /// This host's own components: each name and its wasm's digest (their
    /// grants are read from `grants` at each announcement).
    local: Mutex<Vec<(String, String)>>,
    grants: Arc<Grants>,
    /// The largest payload this host takes from the lattice: its router's
    /// limit, or what fits in a NATS message, whichever is smaller.
    max_payload_bytes: usize,
    /// What fits in one NATS message of this server, headers aside.
    wire_limit: usize,
    outbox: mpsc::Sender<Outbound>,
    /// Replies, refusals and announcements: never refused, so an accepted
    /// request's outcome is never dropped here. Only members' messages are
    /// ever answered, so only they can add to it.
    urgent: mpsc::UnboundedSender<Outbound>,
    /// Requests out to other hosts, with their targets: failed at once when
    /// the host serving the target is lost or the connection drops.
    pending: Arc<Mutex<HashMap<CorrelationId, ComponentId>>>,
    tracker: Arc<dyn CorrelationTracker>,
    /// Set when the host leaves: it announces itself no more. A lock, not
    /// a flag: an announcement under way finishes queueing before the
    /// farewell is queued.
    leaving: Mutex<bool>,
    /// Set while the host drains: it announces no components.
    draining: AtomicBool,
    /// How often this host announces itself.
    heartbeat: Duration,
    /// When this host last answered a joining host's hello.
    last_hello: Mutex<Option<Instant>>,
    /// Fire-and-forget messages another host refused.
    bounced: AtomicU64,
    /// Lattice messages this host refused or dropped (bad signature,
    /// unknown host, missing grant, or the local router's refusal).
    refused: AtomicU64,
}

/// The receiving ends of a link's queues, for its publisher task.
pub(crate) struct Queues {
    pub(crate) outbox: mpsc::Receiver<Outbound>,
    pub(crate) urgent: mpsc::UnboundedReceiver<Outbound>,
}

/// How the link is set up.
pub(crate) struct LinkParts {
    pub(crate) host: String,
    pub(crate) subjects: Subjects,
    pub(crate) signer: Signer,
    pub(crate) grants: Arc<Grants>,
    /// The router's payload limit.
    pub(crate) max_payload_bytes: usize,
    /// The NATS server's `max_payload`.
    pub(crate) server_max_payload: usize,
    pub(crate) heartbeat: Duration,
    pub(crate) tracker: Arc<dyn CorrelationTracker>,
}

impl Link {
    pub(crate) fn new(parts: LinkParts) -> (Self, Queues) {
        let (outbox, outbox_rx) = mpsc::channel(OUTBOX_CAPACITY);
        let (urgent, urgent_rx) = mpsc::unbounded_channel();
        let wire_limit = parts.server_max_payload.saturating_sub(HEADER_ROOM);
        let link = Self {
            host: parts.host,
            subjects: parts.subjects,
            signer: parts.signer,
            peers: Mutex::default(),
            heard: tokio::sync::Notify::new(),
            local: Mutex::default(),
            grants: parts.grants,
            max_payload_bytes: parts.max_payload_bytes.min(wire_limit),
            wire_limit,
            outbox,
            urgent,
            pending: Arc::default(),
            tracker: parts.tracker,
            leaving: Mutex::new(false),
            draining: AtomicBool::new(false),
            heartbeat: parts.heartbeat,
            last_hello: Mutex::default(),
            bounced: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        };
        (
            link,
            Queues {
                outbox: outbox_rx,
                urgent: urgent_rx,
            },
        )
    }

    fn peers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Peer>> {
        self.peers.lock().expect("peer table lock poisoned")
    }

    fn local(&self) -> std::sync::MutexGuard<'_, Vec<(String, String)>> {
        self.local.lock().expect("local components lock poisoned")
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<CorrelationId, ComponentId>> {
        self.pending.lock().expect("pending lock poisoned")
    }

    /// Headers saying which host and component a message comes from.
    pub(crate) fn headers(&self, from: &str, kind: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(wire::HOST, self.host.as_str());
        headers.insert(wire::FROM, from);
        headers.insert(wire::KIND, kind);
        headers
    }

    /// Queues a signed message that must not be refused.
    pub(crate) fn publish_urgent(&self, subject: String, mut headers: HeaderMap, payload: Bytes) {
        self.signer.sign(&subject, None, &mut headers, &payload);
        // The publisher ends only with the link: nothing to do if it has.
        let _ = self.urgent.send(Outbound::Publish {
            subject,
            reply: None,
            headers,
            payload,
            request: None,
        });
    }

    /// Waits until everything queued so far is with the NATS server.
    pub(crate) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.urgent.send(Outbound::Flush(done)).is_ok() {
            let _ = flushed.await;
        }
    }

    /// This host's announcement: its components with their grants now.
    fn announcement(&self, leaving: bool) -> Announcement {
        let components = if leaving || self.draining.load(Ordering::Acquire) {
            Vec::new()
        } else {
            self.local()
                .iter()
                .map(|(name, digest)| {
                    let (grants, grant_any) = self.grants.of(name);
                    Announced {
                        name: name.clone(),
                        digest: digest.clone(),
                        grants,
                        grant_any,
                    }
                })
                .collect()
        };
        Announcement {
            host: self.host.clone(),
            components,
            max_payload_bytes: self.max_payload_bytes,
            leaving,
            heartbeat_ms: u64::try_from(self.heartbeat.as_millis()).unwrap_or(u64::MAX),
        }
    }

    fn leaving(&self) -> std::sync::MutexGuard<'_, bool> {
        self.leaving.lock().expect("leaving lock poisoned")
    }

    /// Publishes this host's announcement, unless it is leaving.
    pub(crate) fn announce(&self) {
        let leaving = self.leaving();
        if !*leaving {
            self.publish_announcement(false);
        }
    }

    /// Asks every host of the lattice to announce itself now.
    pub(crate) fn say_hello(&self) {
        self.publish_urgent(
            self.subjects.hello(),
            self.headers("", "hello"),
            Bytes::new(),
        );
    }

    /// Answers a joining host's hello with an announcement, at most once
    /// per tenth of a heartbeat however many hellos come.
    pub(crate) fn answer_hello(&self) {
        let now = Instant::now();
        {
            let mut last = self.last_hello.lock().expect("hello lock poisoned");
            if last.is_some_and(|last| now.duration_since(last) < self.heartbeat / 10) {
                return;
            }
            *last = Some(now);
        }
        self.announce();
    }

    /// Announces no components from now on: the other hosts route nothing
    /// new here, and requests already out here still get their answers.
    pub(crate) fn announce_draining(&self) {
        self.draining.store(true, Ordering::Release);
        self.announce();
    }

    /// Announces that this host leaves, once; it announces nothing after.
    pub(crate) fn announce_leaving(&self) {
        let mut leaving = self.leaving();
        if !*leaving {
            *leaving = true;
            self.publish_announcement(true);
        }
    }

    fn publish_announcement(&self, leaving: bool) {
        let body = serde_json::to_vec(&self.announcement(leaving)).expect("announcements encode");
        let headers = self.headers("", "announce");
        self.publish_urgent(self.subjects.hosts(), headers, Bytes::from(body));
    }

    /// Adds or replaces a local component, run from the wasm of `digest`,
    /// in the announcement.
    pub(crate) fn set_local(&self, name: &str, digest: String) {
        let mut local = self.local();
        local.retain(|(known, _)| known != name);
        local.push((name.to_owned(), digest));
    }

    pub(crate) fn remove_local(&self, name: &str) {
        self.local().retain(|(known, _)| known != name);
    }

    /// Records what a peer announced; a peer that leaves is lost at once.
    pub(crate) fn heard(&self, announcement: Announcement) {
        if announcement.host == self.host {
            return;
        }
        if announcement.leaving {
            self.lose(&[announcement.host], false);
            return;
        }
        let host = announcement.host.clone();
        let fresh = {
            let mut peers = self.peers();
            if peers.len() >= MAX_PEERS && !peers.contains_key(&host) {
                drop(peers);
                tracing::warn!(
                    target: "airssys_wasm::lattice", %host,
                    "ignored a host: already {MAX_PEERS} hosts known"
                );
                return;
            }
            let mut withdrawn = Vec::new();
            if let Some(before) = peers.get(&host) {
                let still = |name: &str| announcement.components.iter().any(|c| c.name == name);
                withdrawn.extend(before.withdrawn.iter().filter(|name| !still(name)).cloned());
                withdrawn.extend(
                    before
                        .announcement
                        .components
                        .iter()
                        .filter(|component| !still(&component.name))
                        .map(|component| component.name.clone()),
                );
                withdrawn.sort();
                withdrawn.dedup();
            }
            peers
                .insert(
                    host.clone(),
                    Peer {
                        announcement,
                        last_seen: Instant::now(),
                        silent: false,
                        withdrawn,
                    },
                )
                .is_none_or(|before| before.silent)
        };
        if fresh {
            tracing::info!(target: "airssys_wasm::lattice", %host, "host joined the lattice");
        }
        self.heard.notify_waiters();
    }

    /// The first other host that runs `name` from wasm other than
    /// `digest`'s: the name is taken there, not replicated.
    pub(crate) fn taken_by(&self, name: &str, digest: &str) -> Option<String> {
        self.peers()
            .values()
            .filter(|peer| !peer.silent)
            .find_map(|peer| {
                peer.announcement
                    .components
                    .iter()
                    .any(|theirs| theirs.name == name && theirs.digest != digest)
                    .then(|| peer.announcement.host.clone())
            })
    }

    /// What the member `host` announced about its component `name`, or
    /// `None` if `host` is no member. A host's announcement and its first
    /// messages travel on different subjects, handled by different tasks
    /// here, so a message from a host not yet known waits up to
    /// `patience` for its announcement.
    pub(crate) async fn member(
        &self,
        host: &str,
        name: &str,
        patience: Duration,
    ) -> Option<Option<Announced>> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let heard = self.heard.notified();
            if let Some(known) = self.announced(host, name) {
                return Some(known);
            }
            if tokio::time::timeout_at(deadline, heard).await.is_err() {
                return self.announced(host, name);
            }
        }
    }

    fn announced(&self, host: &str, name: &str) -> Option<Option<Announced>> {
        let peers = self.peers();
        let peer = peers.get(host)?;
        Some(
            peer.announcement
                .components
                .iter()
                .find(|component| component.name == name)
                .cloned(),
        )
    }

    fn is_peer(&self, host: &str) -> bool {
        self.peers().contains_key(host)
    }

    /// Peers that missed `missed` of their own heartbeats are lost; those
    /// silent for very long are forgotten.
    pub(crate) fn expire(&self, missed: u32) {
        let now = Instant::now();
        let silent_for = |peer: &Peer| now.saturating_duration_since(peer.last_seen);
        let heartbeat = |peer: &Peer| Duration::from_millis(peer.announcement.heartbeat_ms.max(10));
        let lost: Vec<String> = {
            let mut peers = self.peers();
            peers.retain(|_, peer| {
                !(peer.silent && silent_for(peer) > heartbeat(peer) * FORGET_AFTER_HEARTBEATS)
            });
            peers
                .iter()
                .filter(|(_, peer)| !peer.silent && silent_for(peer) > heartbeat(peer) * missed)
                .map(|(host, _)| host.clone())
                .collect()
        };
        if !lost.is_empty() {
            self.lose(&lost, true);
        }
    }

    /// Takes `hosts` as lost; every request out to a component one of them
    /// ran fails now. With replicas, a request that the surviving replica
    /// is handling fails too: which host took it is not known here, and
    /// one sure outcome now beats a wait for the timeout. A host gone
    /// `silent` stays known as a member; one that left is forgotten.
    fn lose(&self, hosts: &[String], silent: bool) {
        let mut names = Vec::new();
        {
            let mut peers = self.peers();
            for host in hosts {
                let Some(peer) = peers.get_mut(host) else {
                    continue;
                };
                if !peer.silent {
                    let current = peer.announcement.components.iter().map(|c| &c.name);
                    names.extend(
                        current
                            .chain(&peer.withdrawn)
                            .map(|name| (name.clone(), host.clone())),
                    );
                }
                if silent {
                    tracing::warn!(target: "airssys_wasm::lattice", %host, "host went silent; taken as lost");
                    peer.silent = true;
                } else {
                    tracing::info!(target: "airssys_wasm::lattice", %host, "host left the lattice");
                    peers.remove(host);
                }
            }
        }
        if names.is_empty() {
            return;
        }
        // Collected first: completing a request drops its entry, which
        // takes this lock.
        let doomed: Vec<(CorrelationId, ComponentId, String)> = self
            .pending()
            .iter()
            .filter_map(|(id, target)| {
                names
                    .iter()
                    .find(|(name, _)| name == target.as_str())
                    .map(|(_, host)| (id.clone(), target.clone(), host.clone()))
            })
            .collect();
        for (id, target, host) in doomed {
            let _ = self
                .tracker
                .complete(&id, Err(RequestError::HostLost { target, host }));
        }
    }

    /// The connection to the server dropped: no answer can reach this host,
    /// so every request out ends now.
    pub(crate) fn disconnected(&self) {
        let doomed: Vec<(CorrelationId, ComponentId)> = self
            .pending()
            .iter()
            .map(|(id, target)| (id.clone(), target.clone()))
            .collect();
        for (id, target) in doomed {
            self.fail(&id, target);
        }
    }

    /// Whether the request `id` out to another host has not ended yet.
    pub(crate) fn is_pending(&self, id: &CorrelationId) -> bool {
        self.pending().contains_key(id)
    }

    /// Ends a request out that could not be sent or answered.
    pub(crate) fn fail(&self, id: &CorrelationId, target: ComponentId) {
        let _ = self
            .tracker
            .complete(id, Err(RequestError::Disconnected { target }));
    }

    /// An answer (or the server's "no responders") for a request of ours.
    pub(crate) fn answered(&self, message: &async_nats::Message) {
        let Some(correlation) = wire::correlation_of(&message.subject) else {
            return;
        };
        let id = CorrelationId::new(correlation);
        let Some(target) = self.pending().get(&id).cloned() else {
            // Timed out, cancelled or answered already: the tracker counted it.
            return;
        };
        let outcome = if message.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
            // A status line carries no signature: with a secret, one is
            // believed only when no live member claims the target (a
            // forged one would otherwise fail any request).
            if self.signer.signs() && self.serves(target.as_str()) {
                return;
            }
            Err(RequestError::NoResponders { target })
        } else {
            let host = header(message, wire::HOST);
            if !self.signer.verify(message) || !self.is_peer(host) {
                self.refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    target: "airssys_wasm::lattice",
                    correlation = %id, %host,
                    "ignored an answer that is not signed by a host of the lattice"
                );
                return;
            }
            wire::decode_outcome(&target, &message.payload)
        };
        let _ = self.tracker.complete(&id, outcome);
    }

    /// A fire-and-forget message another host refused, or that no host
    /// took.
    pub(crate) fn bounced(&self, message: &async_nats::Message) {
        if message.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
            self.bounced.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                target: "airssys_wasm::flow",
                "a message to another host was lost: no host took it (it left meanwhile)"
            );
            return;
        }
        if !self.signer.verify(message) || !self.is_peer(header(message, wire::HOST)) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if let Some((from, error)) = wire::decode_bounce(&message.payload) {
            self.bounced.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                target: "airssys_wasm::flow",
                from = %from, %error,
                "refused by another host"
            );
        }
    }

    /// Counts a lattice message this host refused or dropped.
    pub(crate) fn refused_one(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Sends `target`'s outcome back to the requester's host; an answer
    /// too large for a NATS message goes back as that error instead.
    pub(crate) fn reply(&self, subject: String, target: &ComponentId, outcome: &RequestOutcome) {
        let mut body = wire::encode_outcome(outcome);
        let mut failed = outcome.as_ref().err().cloned();
        if body.len() > self.wire_limit {
            let too_large = RequestError::ResponseTooLarge {
                responder: target.clone(),
                size: body.len(),
                limit: self.wire_limit,
            };
            body = wire::encode_outcome(&Err(too_large.clone()));
            failed = Some(too_large);
        }
        let mut headers = self.headers("", "reply");
        if let Some(error) = failed {
            // For people and other clients reading the subject; the body
            // carries the error itself.
            let text: String = error
                .to_string()
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            headers.insert(wire::ERROR, text.as_str());
        }
        self.publish_urgent(subject, headers, body);
    }

    /// The largest payload every live host that runs `target` takes;
    /// `None` when no other host runs it.
    fn payload_limit(&self, target: &str) -> Option<usize> {
        self.peers()
            .values()
            .filter(|peer| peer.runs(target))
            .map(|peer| peer.announcement.max_payload_bytes)
            .min()
            .map(|limit| limit.min(self.wire_limit))
    }

    fn queue(
        &self,
        target: &ComponentId,
        (subject, reply): (String, String),
        mut headers: HeaderMap,
        payload: MessagePayload,
        request: Option<CorrelationId>,
    ) -> Result<(), MessagingError> {
        let limit = self
            .payload_limit(target.as_str())
            .ok_or_else(|| MessagingError::TargetNotFound(target.clone()))?;
        if payload.len() > limit {
            return Err(MessagingError::PayloadTooLarge {
                size: payload.len(),
                limit,
            });
        }
        let payload = Bytes::copy_from_slice(payload.as_bytes());
        self.signer
            .sign(&subject, Some(&reply), &mut headers, &payload);
        self.outbox
            .try_send(Outbound::Publish {
                subject,
                reply: Some(reply),
                headers,
                payload,
                request: request.map(|id| (id, target.clone())),
            })
            .map_err(|_| MessagingError::QueueFull {
                target: target.clone(),
                capacity: OUTBOX_CAPACITY,
            })
    }

    pub(crate) fn stats(&self) -> LatticeStats {
        LatticeStats {
            host: self.host.clone(),
            peers: self.peers().values().filter(|peer| !peer.silent).count(),
            pending: self.pending().len(),
            bounced: self.bounced.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

/// A header's value, or `""`.
pub(crate) fn header<'a>(message: &'a async_nats::Message, name: &str) -> &'a str {
    message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(name))
        .map_or("", |value| value.as_str())
}

/// A host's view of its lattice.
///
/// ```no_run
/// # fn demo(system: &airssys_wasm::System) {
/// if let Some(lattice) = system.lattice_stats() {
///     println!(
///         "host {} sees {} other hosts; {} requests out, {} messages refused",
///         lattice.host, lattice.peers, lattice.pending, lattice.refused
///     );
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LatticeStats {
    /// This host's id in the lattice.
    pub host: String,
    /// Other hosts heard from within three heartbeats.
    pub peers: usize,
    /// Requests out to other hosts, not yet ended.
    pub pending: usize,
    /// Fire-and-forget messages of this host that another host refused, or
    /// that no host took.
    pub bounced: u64,
    /// Lattice messages this host refused or dropped: a bad signature, an
    /// unknown host, a missing grant, or refused by the target here.
    pub refused: u64,
}

/// Takes a request's entry out of the pending table however it ends:
/// answered, timed out, cancelled or refused.
struct PendingEntry {
    pending: Arc<Mutex<HashMap<CorrelationId, ComponentId>>>,
    id: CorrelationId,
}

impl Drop for PendingEntry {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(&self.id);
        }
    }
}

impl Remote for Link {
    fn serves(&self, target: &str) -> bool {
        self.peers().values().any(|peer| peer.runs(target))
    }

    fn send(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: MessagePayload,
    ) -> Result<(), MessagingError> {
        let headers = self.headers(sender.as_str(), wire::SEND);
        let subjects = (
            self.subjects.component(target),
            self.subjects.bounces(&self.host),
        );
        self.queue(&ComponentId::new(target), subjects, headers, payload, None)
    }

    fn track(
        &self,
        correlation: &CorrelationId,
        target: &ComponentId,
        reply_to: ReplyTo,
    ) -> ReplyTo {
        self.pending().insert(correlation.clone(), target.clone());
        let entry = PendingEntry {
            pending: Arc::clone(&self.pending),
            id: correlation.clone(),
        };
        ReplyTo::Once(Box::new(move |id, outcome| {
            drop(entry);
            reply_to.deliver(id, outcome)
        }))
    }

    fn request(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        correlation: &CorrelationId,
        timeout_ms: u64,
    ) -> Result<(), MessagingError> {
        let mut headers = self.headers(sender.as_str(), wire::REQUEST);
        headers.insert(wire::TIMEOUT, timeout_ms.to_string().as_str());
        let subjects = (
            self.subjects.component(target.as_str()),
            self.subjects.reply(&self.host, correlation.as_str()),
        );
        self.queue(
            target,
            subjects,
            headers,
            payload,
            Some(correlation.clone()),
        )
    }
}
