//! Outbound HTTP, through `wasi:http`: requests to the origins the host
//! granted this component (`http://127.0.0.1:8080`, `https://api.example.com`),
//! every other one refused with [`HttpError::Denied`]. The airssys host also
//! cuts off a response body past its limit ([`HttpError::ResponseTooLarge`])
//! and any wait past the component's time budget.
//!
//! ```no_run
//! use airssys_wasm_guest::http;
//!
//! let response = http::get("http://127.0.0.1:8080/weather?city=Oslo")?;
//! if response.status == 200 {
//!     airssys_wasm_guest::info!("{}", response.text());
//! }
//! # Ok::<(), airssys_wasm_guest::http::HttpError>(())
//! ```

use std::fmt;

use crate::bindings::wasi::http::types::{ErrorCode, Scheme};

/// Why a request got no response.
///
/// ```no_run
/// use airssys_wasm_guest::http::{self, HttpError};
///
/// match http::get("https://api.example.com/status") {
///     Ok(response) => airssys_wasm_guest::info!("status {}", response.status),
///     Err(HttpError::Denied) => airssys_wasm_guest::warn!("ask the host to grant the origin"),
///     Err(other) => airssys_wasm_guest::warn!("{other}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The URL is not `http(s)://host[:port][/path][?query]`.
    InvalidUrl(String),
    /// The host refused the request: this component was not granted its
    /// origin.
    Denied,
    /// The response body was larger than the host allows (the limit, when
    /// the host said).
    ResponseTooLarge(Option<u64>),
    /// Anything else (`wasi:http`'s error code, described): the server
    /// could not be reached, timed out, broke the protocol.
    Failed(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(why) => write!(f, "invalid URL: {why}"),
            Self::Denied => {
                f.write_str("HTTP request denied: this component was not granted the URL's origin")
            }
            Self::ResponseTooLarge(Some(limit)) => {
                write!(
                    f,
                    "response body larger than the host's limit of {limit} bytes"
                )
            }
            Self::ResponseTooLarge(None) => {
                f.write_str("response body larger than the host allows")
            }
            Self::Failed(why) => write!(f, "HTTP request failed: {why}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<ErrorCode> for HttpError {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::HttpRequestDenied => Self::Denied,
            ErrorCode::HttpResponseBodySize(limit) => Self::ResponseTooLarge(limit),
            other => Self::Failed(format!("{other:?}")),
        }
    }
}

/// A response, read whole.
///
/// ```
/// let response = airssys_wasm_guest::http::Response {
///     status: 200,
///     headers: vec![("content-type".into(), b"text/plain".to_vec())],
///     body: b"sunny".to_vec(),
/// };
/// assert_eq!(response.text(), "sunny");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text, invalid UTF-8 replaced.
    ///
    /// ```
    /// # let response = airssys_wasm_guest::http::Response { status: 200, headers: vec![], body: b"21 C".to_vec() };
    /// assert_eq!(response.text(), "21 C");
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of header `name` (any case), as text.
    ///
    /// ```
    /// # let response = airssys_wasm_guest::http::Response { status: 200, headers: vec![("content-type".into(), b"text/plain".to_vec())], body: vec![] };
    /// assert_eq!(response.header("Content-Type").as_deref(), Some("text/plain"));
    /// assert_eq!(response.header("etag"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
    }
}

/// `GET url`.
///
/// ```no_run
/// let page = airssys_wasm_guest::http::get("https://api.example.com/status")?;
/// # let _ = page;
/// # Ok::<(), airssys_wasm_guest::http::HttpError>(())
/// ```
pub fn get(url: &str) -> Result<Response, HttpError> {
    send("GET", url, &[], &[])
}

/// `POST url` with `body`, and its `content-type`.
///
/// ```no_run
/// let created = airssys_wasm_guest::http::post(
///     "https://api.example.com/orders",
///     "application/json",
///     br#"{"item":"tea"}"#,
/// )?;
/// # let _ = created;
/// # Ok::<(), airssys_wasm_guest::http::HttpError>(())
/// ```
pub fn post(url: &str, content_type: &str, body: &[u8]) -> Result<Response, HttpError> {
    send(
        "POST",
        url,
        &[("content-type", content_type.as_bytes())],
        body,
    )
}

/// Any request: `method` (`"GET"`, `"PUT"`, ...), `url`, headers and body.
/// Blocks this plugin until the whole response is read.
///
/// ```no_run
/// let response = airssys_wasm_guest::http::send(
///     "PUT",
///     "https://api.example.com/items/7",
///     &[("content-type", b"text/plain".as_slice())],
///     b"seven",
/// )?;
/// # let _ = response;
/// # Ok::<(), airssys_wasm_guest::http::HttpError>(())
/// ```
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Result<Response, HttpError> {
    let target = Target::parse(url)?;
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = target;
        // A native build (the plugin's unit tests): the test host answers.
        crate::testing::http(crate::testing::HttpRequest {
            method: method.to_ascii_uppercase(),
            url: url.to_owned(),
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.to_vec()))
                .collect(),
            body: body.to_vec(),
        })
    }
    #[cfg(target_arch = "wasm32")]
    wasi::send_wasi(&target, method, url, headers, body)
}

/// The request through `wasi:http`, in the WebAssembly build.
#[cfg(target_arch = "wasm32")]
mod wasi {
    use super::{HttpError, Response, Target};
    use crate::bindings::wasi::http::outgoing_handler;
    use crate::bindings::wasi::http::types::{
        Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest,
    };
    use crate::bindings::wasi::io::streams::StreamError;

    /// The largest write `wasi:io` accepts at once.
    const WRITE_CHUNK: usize = 4096;
    /// How much of the body is read at a time.
    const READ_CHUNK: u64 = 64 << 10;

    /// The request through `wasi:http/outgoing-handler`.
    pub(super) fn send_wasi(
        target: &Target,
        method: &str,
        url: &str,
        headers: &[(&str, &[u8])],
        body: &[u8],
    ) -> Result<Response, HttpError> {
        let fields: Vec<(String, Vec<u8>)> = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.to_vec()))
            .collect();
        let fields = Fields::from_list(&fields)
            .map_err(|error| HttpError::Failed(format!("bad header: {error:?}")))?;
        let request = OutgoingRequest::new(fields);
        let method = match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            "OPTIONS" => Method::Options,
            other => Method::Other(other.to_owned()),
        };
        let invalid = |what: &str| HttpError::InvalidUrl(format!("{what} not accepted in {url:?}"));
        request
            .set_method(&method)
            .map_err(|()| invalid("method"))?;
        request
            .set_scheme(Some(&target.scheme))
            .map_err(|()| invalid("scheme"))?;
        request
            .set_authority(Some(&target.authority))
            .map_err(|()| invalid("host"))?;
        request
            .set_path_with_query(Some(&target.path))
            .map_err(|()| invalid("path"))?;
        let outgoing = request
            .body()
            .map_err(|()| HttpError::Failed("request body already taken".to_owned()))?;

        let pending = outgoing_handler::handle(request, None)?;
        write_body(&outgoing, body)?;
        OutgoingBody::finish(outgoing, None)?;

        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(response)) => response?,
            Some(Err(())) | None => {
                return Err(HttpError::Failed("response already taken".to_owned()));
            }
        };
        let status = response.status();
        let headers = response.headers().entries();
        let incoming = response
            .consume()
            .map_err(|()| HttpError::Failed("response body already taken".to_owned()))?;
        let body = read_body(&incoming)?;
        drop(IncomingBody::finish(incoming));
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn write_body(outgoing: &OutgoingBody, body: &[u8]) -> Result<(), HttpError> {
        if body.is_empty() {
            return Ok(());
        }
        let stream = outgoing
            .write()
            .map_err(|()| HttpError::Failed("request body stream already taken".to_owned()))?;
        for chunk in body.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(stream_error)?;
        }
        Ok(())
    }

    fn read_body(incoming: &IncomingBody) -> Result<Vec<u8>, HttpError> {
        let stream = incoming
            .stream()
            .map_err(|()| HttpError::Failed("response body stream already taken".to_owned()))?;
        let mut body = Vec::new();
        loop {
            match stream.blocking_read(READ_CHUNK) {
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(StreamError::Closed) => return Ok(body),
                Err(error) => return Err(stream_error(error)),
            }
        }
    }

    fn stream_error(error: StreamError) -> HttpError {
        match error {
            StreamError::Closed => HttpError::Failed("stream closed early".to_owned()),
            StreamError::LastOperationFailed(error) => {
                match crate::bindings::wasi::http::types::http_error_code(&error) {
                    Some(code) => code.into(),
                    None => HttpError::Failed(error.to_debug_string()),
                }
            }
        }
    }
}

/// A URL split as `wasi:http` takes it.
#[derive(Debug)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "a native build only checks the URL; wasi:http reads the parts"
    )
)]
struct Target {
    scheme: Scheme,
    authority: String,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, HttpError> {
        let invalid = |why: &str| HttpError::InvalidUrl(format!("{why} in {url:?}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid("no scheme://"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(invalid("scheme is not http or https")),
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.is_empty() {
            return Err(invalid("no host"));
        }
        let path = match path {
            "" => "/".to_owned(),
            query if query.starts_with('?') => format!("/{query}"),
            path => path.to_owned(),
        };
        Ok(Self {
            scheme,
            authority: authority.to_owned(),
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_authority_and_path() {
        let target = Target::parse("http://127.0.0.1:8080/a/b?c=d").unwrap();
        assert!(matches!(target.scheme, Scheme::Http));
        assert_eq!(target.authority, "127.0.0.1:8080");
        assert_eq!(target.path, "/a/b?c=d");
        assert_eq!(Target::parse("https://x.example").unwrap().path, "/");
        assert_eq!(Target::parse("https://x.example?q").unwrap().path, "/?q");
        for bad in ["x.example/a", "ftp://x", "http:///path"] {
            assert!(Target::parse(bad).is_err(), "{bad} parsed");
        }
    }
}
