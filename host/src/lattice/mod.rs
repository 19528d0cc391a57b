//! Layer 3b: the lattice. Hosts that join one lattice on a NATS server
//! reach each other's components by name, with the same send and request a
//! local component gets. Only messages for a component this host does not
//! run touch NATS.
//!
//! Who does what: the sender's host checks the grant, owns a request's
//! correlation id, its timeout and its single callback; the receiving host
//! checks the sender's host (a member, and with a secret, its signature)
//! and the grant again, then delivers as a local message. Delivery between
//! hosts is core NATS: at most once. Exactly-once holds for what the
//! requester sees: its host delivers one outcome per accepted request,
//! whatever the network did.

pub(crate) mod config;
pub(crate) mod link;
pub(crate) mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::traits::{CorrelationTracker, ReplyTo};
use crate::lattice::config::{LatticeConfig, NatsAuth};
use crate::lattice::link::{LatticeStats, Link, LinkParts, Outbound, Queues, header};
use crate::lattice::wire::{Announcement, Signer, Subjects};
use crate::messaging::capability::Grants;
use crate::messaging::router::ResponseRouter;

/// Why a host could not join its lattice.
///
/// ```
/// use airssys_wasm::LatticeError;
/// let error = LatticeError::NameTaken { name: "pong".into(), host: "4f2a".into() };
/// assert!(error.to_string().contains("\"pong\" already runs on host 4f2a"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LatticeError {
    /// The lattice name is not a single NATS subject token.
    #[error("lattice name {0:?} is invalid: use letters, digits, '-' and '_'")]
    InvalidName(String),
    /// The NATS server could not be reached or refused the login.
    #[error("cannot connect to the NATS server at {url}: {reason}")]
    Connect {
        /// The server's address.
        url: String,
        /// Why, as the NATS client says it.
        reason: String,
    },
    /// A component of this host has a name another host of the lattice
    /// runs from different wasm. The same wasm would make them replicas.
    #[error(
        "component {name:?} already runs on host {host} of the lattice, from different wasm: rename it, or run the same wasm to make it a replica"
    )]
    NameTaken {
        /// The component's name.
        name: String,
        /// The host that runs it.
        host: String,
    },
    /// A subscription the lattice needs was refused.
    #[error("cannot subscribe to {subject}: {reason}")]
    Subscribe {
        /// The subject.
        subject: String,
        /// Why.
        reason: String,
    },
}

/// This host's membership in a lattice: the link the router uses, and the
/// tasks that listen to the NATS server.
pub(crate) struct Lattice {
    pub(crate) link: Arc<Link>,
    client: async_nats::Client,
    router: Arc<ResponseRouter>,
    tasks: Mutex<JoinSet<()>>,
    /// The subscription task of each component this host serves, and what
    /// tells it to stop taking messages.
    serving: Mutex<HashMap<String, Serving>>,
    /// Announces this host every heartbeat; stopped when it leaves.
    heartbeat: Mutex<Option<AbortHandle>>,
}

/// Heartbeats a silent host may miss before it is taken as lost.
const MISSED_HEARTBEATS: u32 = 3;

/// A component's subscription task.
struct Serving {
    task: AbortHandle,
    /// Ends its subscription; what the client already holds is still
    /// delivered (and answered).
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Lattice {
    /// Connects, listens for the lattice's hosts for the join window, checks
    /// that no other host runs one of `local`'s names (each with its wasm's
    /// digest) from different wasm, then serves `local` and announces them
    /// with their `grants`.
    pub(crate) async fn join(
        config: &LatticeConfig,
        local: Vec<(String, String)>,
        router: Arc<ResponseRouter>,
        (tracker, grants): (Arc<dyn CorrelationTracker>, Arc<Grants>),
    ) -> Result<Self, LatticeError> {
        if !wire::valid_lattice_name(&config.name) {
            return Err(LatticeError::InvalidName(config.name.clone()));
        }
        let host = uuid::Uuid::new_v4().simple().to_string();
        let (events_tx, events) = mpsc::unbounded_channel();
        let client = connect(config, &host, events_tx).await?;
        let subjects = Subjects::new(&config.name);
        let (link, queues) = Link::new(LinkParts {
            host: host.clone(),
            subjects: subjects.clone(),
            signer: Signer::new(config.secret.clone()),
            grants,
            max_payload_bytes: router.max_payload_bytes(),
            server_max_payload: client.server_info().max_payload,
            heartbeat: config.heartbeat,
            tracker,
        });
        let link = Arc::new(link);
        let lattice = Self {
            link: Arc::clone(&link),
            client: client.clone(),
            router,
            tasks: Mutex::new(JoinSet::new()),
            serving: Mutex::default(),
            heartbeat: Mutex::default(),
        };
        let listened = Listened {
            replies: lattice.subscribe(subjects.replies(&host), None).await?,
            bounces: lattice.subscribe(subjects.bounces(&host), None).await?,
            hosts: lattice.subscribe(subjects.hosts(), None).await?,
            hello: lattice.subscribe(subjects.hello(), None).await?,
        };
        {
            let mut tasks = lattice.tasks();
            tasks.spawn(publish(client.clone(), Arc::clone(&link), queues));
            tasks.spawn(listen(Arc::clone(&link), listened));
            tasks.spawn(watch_connection(Arc::clone(&link), events));
        }
        // Ask every host to announce itself, and listen for a while.
        link.say_hello();
        tokio::time::sleep(config.join_window).await;
        for (name, digest) in &local {
            if let Some(host) = link.taken_by(name, digest) {
                return Err(LatticeError::NameTaken {
                    name: name.clone(),
                    host,
                });
            }
        }
        for (name, digest) in local {
            lattice.serve(name, digest).await?;
        }
        link.announce();
        let heartbeat = lattice
            .tasks()
            .spawn(heartbeat(Arc::clone(&link), config.heartbeat));
        *lattice.heartbeat.lock().expect("heartbeat lock poisoned") = Some(heartbeat);
        tracing::info!(
            target: "airssys_wasm::lattice",
            lattice = %config.name, %host, url = %config.url,
            "joined the lattice"
        );
        Ok(lattice)
    }

    /// The task set, with the tasks that ended (aborted ones included)
    /// reaped.
    fn tasks(&self) -> std::sync::MutexGuard<'_, JoinSet<()>> {
        let mut tasks = self.tasks.lock().expect("lattice tasks lock poisoned");
        while tasks.try_join_next().is_some() {}
        tasks
    }

    async fn subscribe(
        &self,
        subject: String,
        queue: Option<String>,
    ) -> Result<async_nats::Subscriber, LatticeError> {
        let subscribed = match queue {
            Some(queue) => self.client.queue_subscribe(subject.clone(), queue).await,
            None => self.client.subscribe(subject.clone()).await,
        };
        subscribed.map_err(|error| LatticeError::Subscribe {
            subject,
            reason: error.to_string(),
        })
    }

    /// Serves the component `name`, run from the wasm of `digest`, to the
    /// lattice: its subject, in a queue group of its name so that replicas
    /// share the load. Replaces an earlier one.
    pub(crate) async fn serve(&self, name: String, digest: String) -> Result<(), LatticeError> {
        let subscriber = self
            .subscribe(
                self.link.subjects.component(&name),
                Some(wire::token(&name)),
            )
            .await?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = self.tasks().spawn(deliver(
            Arc::clone(&self.link),
            Arc::clone(&self.router),
            ComponentId::new(&name),
            (subscriber, stopped),
        ));
        self.link.set_local(&name, digest);
        if let Some(old) = self.serving().insert(name, Serving { task, stop }) {
            old.task.abort();
        }
        Ok(())
    }

    /// The other host that runs `name` from wasm other than `digest`'s.
    pub(crate) fn taken_by(&self, name: &str, digest: &str) -> Option<String> {
        self.link.taken_by(name, digest)
    }

    /// Announces a change: a component served or withdrawn, grants changed.
    pub(crate) fn announce(&self) {
        self.link.announce();
    }

    /// Announces `name`'s new wasm after an upgrade. Replicas may differ
    /// while a rolling upgrade goes from host to host; only a host that
    /// joins is held to the digests it finds.
    pub(crate) fn redigest(&self, name: &str, digest: String) {
        self.link.set_local(name, digest);
        self.link.announce();
    }

    /// Stops serving `name` (removed from this host).
    pub(crate) fn withdraw(&self, name: &str) {
        if let Some(serving) = self.serving().remove(name) {
            let _ = serving.stop.send(());
        }
        self.link.remove_local(name);
        self.link.announce();
    }

    fn serving(&self) -> std::sync::MutexGuard<'_, HashMap<String, Serving>> {
        self.serving.lock().expect("lattice serving lock poisoned")
    }

    /// Stops taking messages from the lattice (at the start of a shutdown):
    /// announces no components, so the other hosts route nothing new here
    /// (a replica takes it, or the name is unknown), and ends the
    /// subscriptions. What already arrived is delivered (and refused, the
    /// router being closed); answers to requests already taken still go
    /// out.
    pub(crate) fn stop_serving(&self) {
        self.link.announce_draining();
        for (_, serving) in self.serving().drain() {
            let _ = serving.stop.send(());
        }
    }

    /// Leaves the lattice: tells the other hosts (so their requesters need
    /// not wait) after every answer queued so far, and sends what is
    /// queued.
    pub(crate) async fn leave(&self, within: Duration) {
        self.stop_serving();
        // The subscriptions end and hand over what they hold, briefly.
        tokio::task::yield_now().await;
        if let Some(heartbeat) = self
            .heartbeat
            .lock()
            .expect("heartbeat lock poisoned")
            .take()
        {
            heartbeat.abort();
        }
        self.link.announce_leaving();
        let _ = tokio::time::timeout(within, async {
            self.link.flush().await;
            let _ = self.client.flush().await;
        })
        .await;
        self.tasks().abort_all();
    }

    pub(crate) fn stats(&self) -> LatticeStats {
        self.link.stats()
    }
}

impl Drop for Lattice {
    fn drop(&mut self) {
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.abort_all();
        }
        if let Ok(serving) = self.serving.lock() {
            for serving in serving.values() {
                serving.task.abort();
            }
        }
    }
}

async fn connect(
    config: &LatticeConfig,
    host: &str,
    events: mpsc::UnboundedSender<async_nats::Event>,
) -> Result<async_nats::Client, LatticeError> {
    let failed = |reason: String| LatticeError::Connect {
        url: config.url.clone(),
        reason,
    };
    let mut options = async_nats::ConnectOptions::new()
        .name(format!("airssys host {host}"))
        .connection_timeout(Duration::from_secs(5))
        // A message this host sends to a component it also serves never
        // travels: the router delivers it locally.
        .no_echo()
        .event_callback(move |event| {
            let events = events.clone();
            async move {
                let _ = events.send(event);
            }
        });
    options = match &config.auth {
        NatsAuth::None => options,
        NatsAuth::Token(token) => options.token(token.clone()),
        NatsAuth::UserPassword { user, password } => {
            options.user_and_password(user.clone(), password.clone())
        }
        NatsAuth::NKey(seed) => options.nkey(seed.clone()),
        NatsAuth::CredentialsFile(path) => options
            .credentials_file(path)
            .await
            .map_err(|error| failed(format!("credentials file {}: {error}", path.display())))?,
    };
    if let Some(ca) = &config.tls.ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = &config.tls.client_cert {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    if config.tls.required {
        options = options.require_tls(true);
    }
    options
        .connect(config.url.as_str())
        .await
        .map_err(|error| failed(error.to_string()))
}

/// Hands queued messages to the NATS client, answers and refusals first; a
/// request that cannot be handed over fails at once.
async fn publish(client: async_nats::Client, link: Arc<Link>, mut queues: Queues) {
    loop {
        let next = tokio::select! {
            biased;
            Some(next) = queues.urgent.recv() => next,
            Some(next) = queues.outbox.recv() => next,
            else => return,
        };
        match next {
            Outbound::Publish {
                request: Some((id, _)),
                ..
            } if !link.is_pending(&id) => {
                // Ended while it waited here (its host lost, the connection
                // dropped, timed out, cancelled): not sent, so not run.
            }
            Outbound::Publish {
                subject,
                reply,
                headers,
                payload,
                request,
            } => {
                let published = match reply {
                    Some(reply) => {
                        client
                            .publish_with_reply_and_headers(subject, reply, headers, payload)
                            .await
                    }
                    None => client.publish_with_headers(subject, headers, payload).await,
                };
                if let Err(error) = published {
                    tracing::warn!(target: "airssys_wasm::lattice", %error, "publish failed");
                    if let Some((id, target)) = request {
                        link.fail(&id, target);
                    }
                }
            }
            Outbound::Flush(done) => {
                let _ = client.flush().await;
                let _ = done.send(());
            }
        }
    }
}

/// The subscriptions every host listens to.
struct Listened {
    replies: async_nats::Subscriber,
    bounces: async_nats::Subscriber,
    hosts: async_nats::Subscriber,
    hello: async_nats::Subscriber,
}

/// Answers, refusals and announcements, in one task: answers first, so an
/// answer a leaving host sent before its farewell is taken before the
/// farewell fails the request (the client fills each subscription in the
/// order the server sent).
async fn listen(link: Arc<Link>, mut listened: Listened) {
    loop {
        tokio::select! {
            biased;
            Some(message) = listened.replies.next() => link.answered(&message),
            Some(message) = listened.bounces.next() => link.bounced(&message),
            Some(message) = listened.hosts.next() => {
                if !link.signer.verify(&message) {
                    link.refused_one();
                    tracing::warn!(target: "airssys_wasm::lattice", "ignored an unsigned announcement");
                    continue;
                }
                match serde_json::from_slice::<Announcement>(&message.payload) {
                    Ok(announcement) => link.heard(announcement),
                    Err(error) => tracing::warn!(target: "airssys_wasm::lattice", %error, "ignored an announcement that does not decode"),
                }
            }
            Some(message) = listened.hello.next() => {
                if header(&message, wire::HOST) != link.host && link.signer.verify(&message) {
                    link.answer_hello();
                }
            }
            else => return,
        }
    }
}

/// Announces this host every `every` and forgets the hosts gone silent.
async fn heartbeat(link: Arc<Link>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        link.announce();
        link.expire(MISSED_HEARTBEATS);
    }
}

/// Reacts to the connection: a drop fails the requests out; a reconnect
/// announces this host again at once.
async fn watch_connection(link: Arc<Link>, mut events: mpsc::UnboundedReceiver<async_nats::Event>) {
    // The first `Connected` is the connection the join made.
    let mut first = true;
    while let Some(event) = events.recv().await {
        match event {
            async_nats::Event::Connected if std::mem::take(&mut first) => {}
            async_nats::Event::Disconnected => {
                tracing::warn!(target: "airssys_wasm::lattice", "lost the NATS server; reconnecting");
                link.disconnected();
            }
            async_nats::Event::Connected => {
                tracing::info!(target: "airssys_wasm::lattice", "reconnected to the NATS server");
                link.say_hello();
                link.announce();
            }
            other => tracing::warn!(target: "airssys_wasm::lattice", event = %other, "NATS"),
        }
    }
}

/// Delivers what other hosts send to the component `target` of this host.
async fn deliver(
    link: Arc<Link>,
    router: Arc<ResponseRouter>,
    target: ComponentId,
    (mut subscriber, mut stop): (async_nats::Subscriber, tokio::sync::oneshot::Receiver<()>),
) {
    loop {
        tokio::select! {
            message = subscriber.next() => match message {
                Some(message) => deliver_one(&link, &router, &target, message).await,
                None => return,
            },
            _ = &mut stop => break,
        }
    }
    // Withdrawn: take no more, but deliver what the client already holds,
    // so each of those gets its answer or refusal rather than vanishing.
    let _ = subscriber.unsubscribe().await;
    let _ = tokio::time::timeout(DRAIN_SUBSCRIPTION, async {
        while let Some(message) = subscriber.next().await {
            deliver_one(&link, &router, &target, message).await;
        }
    })
    .await;
}

/// How long a withdrawn subscription's last messages get to be delivered.
const DRAIN_SUBSCRIPTION: Duration = Duration::from_secs(5);

/// How long a message from a host not yet announced waits for the
/// announcement before it is dropped.
const ANNOUNCEMENT_PATIENCE: Duration = Duration::from_millis(500);

/// Checks a message from another host and delivers it to `target`.
///
/// A message that is not a member's (its signature does not check, its
/// host never announced itself, or it asks for answers to be sent to
/// another host) is dropped unanswered: answering it would sign whatever
/// the stranger chose. A member's message that this host refuses (a
/// missing grant, a full mailbox) is answered with the refusal.
async fn deliver_one(
    link: &Arc<Link>,
    router: &ResponseRouter,
    target: &ComponentId,
    message: async_nats::Message,
) {
    let (host, from) = (header(&message, wire::HOST), header(&message, wire::FROM));
    let is_request = header(&message, wire::KIND) == wire::REQUEST;
    let reply = message.reply.as_ref().map(|reply| reply.to_string());
    let drop_it = |why: &str| {
        link.refused_one();
        tracing::warn!(
            target: "airssys_wasm::lattice",
            from, to = %target, host, why,
            "dropped a message that is not a lattice member's"
        );
    };
    if !link.signer.verify(&message) {
        return drop_it("its signature does not check");
    }
    let answers_go_home = match (&reply, is_request) {
        (Some(reply), true) => link.subjects.is_reply_of(reply, host),
        (Some(reply), false) => *reply == link.subjects.bounces(host),
        (None, request) => !request,
    };
    if !answers_go_home {
        return drop_it("its answers would go to another host");
    }
    let Some(announced) = link.member(host, from, ANNOUNCEMENT_PATIENCE).await else {
        return drop_it("its host is not a member of the lattice");
    };
    let sender = ComponentId::new(from);
    let refuse = |error: MessagingError, why: &str| {
        link.refused_one();
        tracing::warn!(
            target: "airssys_wasm::flow",
            from = %sender, to = %target, host, %error, why,
            "refused from another host"
        );
        match (&reply, is_request) {
            (Some(reply), true) => link.reply(
                reply.clone(),
                target,
                &Err(RequestError::Refused {
                    target: target.clone(),
                    error,
                }),
            ),
            (Some(reply), false) => link.publish_urgent(
                reply.clone(),
                link.headers("", "bounce"),
                wire::encode_bounce(&sender, &error),
            ),
            (None, _) => {}
        }
    };
    let denied = || MessagingError::CapabilityDenied {
        sender: sender.clone(),
        target: target.clone(),
    };
    // The grant again, as the sender's host announced it: a host cannot
    // speak for a component it does not run, nor past its grants.
    match announced {
        None if from != ComponentId::HOST => {
            return refuse(denied(), "the sending host does not run the sender");
        }
        Some(announced) if !announced.may_message(target.as_str()) => {
            return refuse(denied(), "the sender holds no grant to the target");
        }
        _ => {}
    }
    let payload = MessagePayload::from(message.payload.to_vec());
    let Some(reply) = reply.clone().filter(|_| is_request) else {
        if let Err(error) = router.accept_remote_send(&sender, target.as_str(), payload) {
            refuse(error, "the target's mailbox refused it");
        }
        return;
    };
    let timeout_ms = header(&message, wire::TIMEOUT).parse().unwrap_or(0);
    let correlation = wire::correlation_of(&reply).map(CorrelationId::new);
    let answer = {
        let link = Arc::clone(link);
        let target = target.clone();
        ReplyTo::Once(Box::new(move |_, outcome| {
            link.reply(reply, &target, &outcome);
            true
        }))
    };
    // Held under the host's name too: a local component of the same name
    // (a replica) ending does not abandon the remote one's requests.
    let requester = ComponentId::new(format!("{from}@{host}"));
    if let Err(error) = router.accept_remote_request(
        (&sender, requester),
        target.as_str(),
        payload,
        (correlation, timeout_ms),
        answer,
    ) {
        refuse(error, "the target refused it");
    }
}
