//! The operations API: HTTP/1.1 on the control socket. Payloads travel as
//! raw bytes (up to the system's payload limit), everything else as JSON,
//! so `curl --unix-socket` speaks it as well as `airssys` does.
//!
//! | method and path | does |
//! | --- | --- |
//! | `POST /send/{to}` | fire-and-forget, the body is the payload (202) |
//! | `POST /request/{to}?timeout-ms=N` | a request; the answer is the body (200) |
//! | `GET /status` | each component and service, as JSON |
//! | `GET /metrics` | the counters in the Prometheus text format |
//! | `PUT /components/{name}` | add: `{"wasm": PATH, "grants": [..], "lazy": false}` (201) |
//! | `DELETE /components/{name}?drain-ms=N` | remove, draining for N ms (200) |
//! | `POST /components/{name}/upgrade` | upgrade: `{"wasm": PATH}` (200) |
//! | `POST /reload` | apply the manifest as it is now (200) |
//! | `POST /stop` | shut the system down (202) |
//!
//! Refusals are `409` (unknown target, no grant, full mailbox, shutting
//! down), a failed request `502`, a timed-out one `504`, a refused change
//! `422`, a bad path or body `400`/`404`/`405`/`413`; the body says why.

use std::convert::Infallible;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};

use crate::control::{ClientError, ControlCommand, ControlReply, Envelope};

/// The media type of `/metrics`: Prometheus' text format.
const METRICS_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What `PUT /components/{name}` carries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    wasm: PathBuf,
    #[serde(default)]
    grants: Vec<String>,
    #[serde(default)]
    lazy: bool,
}

/// What `POST /components/{name}/upgrade` carries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpgradeBody {
    wasm: PathBuf,
}

/// Answers one HTTP request on the control socket: parsed into a command,
/// carried out by the task that owns the system, its reply turned back
/// into HTTP.
pub(crate) async fn answer(
    request: Request<Incoming>,
    commands: mpsc::Sender<Envelope>,
    max_body: usize,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let command = match parse(request, max_body).await {
        Ok(command) => command,
        Err((status, error)) => return Ok(text(status, error)),
    };
    let is_request = matches!(command, ControlCommand::Request { .. });
    let (reply, answer) = oneshot::channel();
    // A command still queued when the run stops is dropped with its reply
    // sender.
    let reply = match commands.send((command, reply)).await {
        Ok(()) => answer
            .await
            .unwrap_or_else(|_| ControlReply::shutting_down()),
        Err(_) => ControlReply::shutting_down(),
    };
    Ok(response(reply, is_request))
}

/// The command an HTTP request asks for, or the status and reason it is
/// refused with.
async fn parse(
    request: Request<Incoming>,
    max_body: usize,
) -> Result<ControlCommand, (StatusCode, String)> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let segments: Vec<String> = path
        .strip_prefix('/')
        .unwrap_or(&path)
        .split('/')
        .map(decode)
        .collect::<Result<_, _>>()
        .map_err(|error| (StatusCode::BAD_REQUEST, error))?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let body = tokio::time::timeout(BODY_READ_LIMIT, read_body(body, max_body))
        .await
        .map_err(|_| {
            let limit = BODY_READ_LIMIT.as_secs();
            (
                StatusCode::REQUEST_TIMEOUT,
                format!("the body did not arrive within {limit} s"),
            )
        })??;
    let json = |what| {
        move |error: serde_json::Error| (StatusCode::BAD_REQUEST, format!("{what}: {error}"))
    };
    let method = parts.method;
    let command = match (&method, segments.as_slice()) {
        (&Method::POST, ["send", to]) => ControlCommand::Send {
            to: (*to).to_owned(),
            payload: body,
        },
        (&Method::POST, ["request", to]) => ControlCommand::Request {
            to: (*to).to_owned(),
            payload: body,
            timeout_ms: number(&query, "timeout-ms")?.unwrap_or(0),
        },
        (&Method::GET, ["status"]) => ControlCommand::Status,
        (&Method::GET, ["metrics"]) => ControlCommand::Metrics,
        (&Method::POST, ["stop"]) => ControlCommand::Stop,
        (&Method::POST, ["reload"]) => ControlCommand::Reload,
        (&Method::PUT, ["components", name]) => {
            let add: AddBody = serde_json::from_slice(&body).map_err(json("not an add body"))?;
            ControlCommand::Add {
                name: (*name).to_owned(),
                wasm: add.wasm,
                grants: add.grants,
                lazy: add.lazy,
            }
        }
        (&Method::DELETE, ["components", name]) => ControlCommand::Remove {
            name: (*name).to_owned(),
            drain_ms: number(&query, "drain-ms")?.unwrap_or(DEFAULT_DRAIN_MS),
        },
        (&Method::POST, ["components", name, "upgrade"]) => {
            let upgrade: UpgradeBody =
                serde_json::from_slice(&body).map_err(json("not an upgrade body"))?;
            ControlCommand::Upgrade {
                name: (*name).to_owned(),
                wasm: upgrade.wasm,
            }
        }
        (
            _,
            ["send" | "request" | "components", _]
            | ["status" | "metrics" | "stop" | "reload"]
            | ["components", _, "upgrade"],
        ) => {
            return Err((
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not allowed on {path}"),
            ));
        }
        _ => return Err((StatusCode::NOT_FOUND, format!("no such operation: {path}"))),
    };
    Ok(command)
}

/// How long a client has to send a request's body once its head came.
const BODY_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The body, if it is at most `max_body` bytes. A longer one is read to
/// its end all the same (and dropped), so the client, still writing it,
/// gets the answer that says so instead of a broken connection.
async fn read_body(mut body: Incoming, max_body: usize) -> Result<Vec<u8>, (StatusCode, String)> {
    let mut bytes = Vec::new();
    let mut too_large = false;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            (
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {error}"),
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        too_large |= bytes.len() + data.len() > max_body;
        if !too_large {
            bytes.extend_from_slice(&data);
        }
    }
    if too_large {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than the payload limit, {max_body} bytes"),
        ));
    }
    Ok(bytes)
}

/// How long a removal drains when the request does not say.
pub(crate) const DEFAULT_DRAIN_MS: u64 = 5000;

/// The number `key=N` in `query`, if there.
fn number(query: &str, key: &str) -> Result<Option<u64>, (StatusCode, String)> {
    let Some(value) = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(name, value)| (name == key).then_some(value))
    else {
        return Ok(None);
    };
    value.parse().map(Some).map_err(|_| {
        (
            StatusCode::BAD_REQUEST,
            format!("{key} must be a whole number, not {value:?}"),
        )
    })
}

/// The reply as an HTTP response: see the module's table.
fn response(reply: ControlReply, is_request: bool) -> Response<Full<Bytes>> {
    match reply {
        ControlReply::Response { payload } => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Full::new(Bytes::from(payload)))
            .expect("a valid response"),
        ControlReply::Metrics { text: metrics } => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, METRICS_TYPE)
            .body(Full::new(Bytes::from(metrics)))
            .expect("a valid response"),
        ControlReply::Refused { error } => text(StatusCode::CONFLICT, error),
        ControlReply::TimedOut { error } => text(StatusCode::GATEWAY_TIMEOUT, error),
        ControlReply::Failed { error } if is_request => text(StatusCode::BAD_GATEWAY, error),
        ControlReply::Failed { error } => text(StatusCode::UNPROCESSABLE_ENTITY, error),
        ControlReply::BadCommand { error } => text(StatusCode::BAD_REQUEST, error),
        ControlReply::Sent | ControlReply::Stopping => json(StatusCode::ACCEPTED, &reply),
        ControlReply::Added => json(StatusCode::CREATED, &reply),
        ControlReply::Upgraded { .. }
        | ControlReply::Removed { .. }
        | ControlReply::Status { .. }
        | ControlReply::Reloaded { .. } => json(StatusCode::OK, &reply),
    }
}

fn text(status: StatusCode, error: String) -> Response<Full<Bytes>> {
    let mut line = error;
    line.push('\n');
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(line)))
        .expect("a valid response")
}

fn json(status: StatusCode, reply: &ControlReply) -> Response<Full<Bytes>> {
    let mut body = serde_json::to_vec(reply).expect("replies serialize");
    body.push(b'\n');
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

/// The client side: sends `command` to the run listening at `path` and
/// returns its reply.
pub(crate) async fn call(
    path: &Path,
    command: &ControlCommand,
) -> Result<ControlReply, ClientError> {
    let stream = UnixStream::connect(path).await.map_err(|error| {
        ClientError::Unreachable(format!(
            "no airssys run is listening at {}: {error} (start one with `airssys run --control {}`)",
            path.display(),
            path.display()
        ))
    })?;
    let broken = |error: &dyn std::fmt::Display| {
        ClientError::Broken(format!(
            "control connection to {} broke: {error}",
            path.display()
        ))
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| broken(&error))?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request_for(command))
        .await
        .map_err(|error| broken(&error))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|error| broken(&error))?
        .to_bytes();
    let error = || String::from_utf8_lossy(&body).trim_end().to_owned();
    let reply = match status {
        StatusCode::OK if matches!(command, ControlCommand::Request { .. }) => {
            ControlReply::Response {
                payload: body.to_vec(),
            }
        }
        StatusCode::OK if matches!(command, ControlCommand::Metrics) => ControlReply::Metrics {
            text: String::from_utf8_lossy(&body).into_owned(),
        },
        status if status.is_success() => serde_json::from_slice(&body).map_err(|error| {
            ClientError::Broken(format!(
                "unreadable reply from {} ({error}); is it an airssys control socket?",
                path.display()
            ))
        })?,
        StatusCode::GATEWAY_TIMEOUT => ControlReply::TimedOut { error: error() },
        StatusCode::CONFLICT => ControlReply::Refused { error: error() },
        StatusCode::BAD_REQUEST
        | StatusCode::REQUEST_TIMEOUT
        | StatusCode::NOT_FOUND
        | StatusCode::METHOD_NOT_ALLOWED
        | StatusCode::PAYLOAD_TOO_LARGE => ControlReply::BadCommand { error: error() },
        _ => ControlReply::Failed { error: error() },
    };
    Ok(reply)
}

/// The HTTP request for `command`.
fn request_for(command: &ControlCommand) -> Request<Full<Bytes>> {
    let (method, path, body) = match command {
        ControlCommand::Send { to, payload } => (
            Method::POST,
            format!("/send/{}", encode(to)),
            payload.clone(),
        ),
        ControlCommand::Request {
            to,
            payload,
            timeout_ms,
        } => (
            Method::POST,
            format!("/request/{}?timeout-ms={timeout_ms}", encode(to)),
            payload.clone(),
        ),
        ControlCommand::Status => (Method::GET, "/status".to_owned(), Vec::new()),
        ControlCommand::Metrics => (Method::GET, "/metrics".to_owned(), Vec::new()),
        ControlCommand::Stop => (Method::POST, "/stop".to_owned(), Vec::new()),
        ControlCommand::Reload => (Method::POST, "/reload".to_owned(), Vec::new()),
        ControlCommand::Add {
            name,
            wasm,
            grants,
            lazy,
        } => {
            let body = AddBody {
                wasm: wasm.clone(),
                grants: grants.clone(),
                lazy: *lazy,
            };
            let body = serde_json::to_vec(&body).expect("serializes");
            (Method::PUT, format!("/components/{}", encode(name)), body)
        }
        ControlCommand::Remove { name, drain_ms } => (
            Method::DELETE,
            format!("/components/{}?drain-ms={drain_ms}", encode(name)),
            Vec::new(),
        ),
        ControlCommand::Upgrade { name, wasm } => {
            let body = serde_json::to_vec(&UpgradeBody { wasm: wasm.clone() }).expect("serializes");
            (
                Method::POST,
                format!("/components/{}/upgrade", encode(name)),
                body,
            )
        }
    };
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "airssys")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request")
}

/// `name` as one path segment: every byte but unreserved ones
/// percent-encoded.
fn encode(name: &str) -> String {
    let mut encoded = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A path segment with its percent-encoding undone.
fn decode(segment: &str) -> Result<String, String> {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = segment
                .get(at + 1..at + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding in {segment:?}"))?;
            decoded.push(hex);
            at += 3;
        } else {
            decoded.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| format!("{segment:?} is not UTF-8 once decoded"))
}
