//! Outbound `wasi:http`, closed by default: a component reaches only the
//! origins (scheme, host, port) granted to it, responses are cut off past a
//! size limit, and no wait outlasts the component's time budget.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::uri::Scheme;
use http_body::{Body, Frame, SizeHint};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::core::component::id::ComponentId;

/// Largest response body a component may read, unless its spec says
/// otherwise.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 << 20;

/// One origin a component may reach: `https://api.example.com`,
/// `http://127.0.0.1:8080`, or `https://*.example.com` for its subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpOrigin {
    https: bool,
    /// Lower case; a leading `*.` matches any subdomain.
    host: String,
    port: u16,
}

impl HttpOrigin {
    /// Parses `scheme://host[:port]`; the port defaults to the scheme's.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| "expected scheme://host[:port]".to_owned())?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            other => return Err(format!("scheme {other:?} is not http or https")),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err("expected only scheme://host[:port], no path, query or user".to_owned());
        }
        let default_port = if https { 443 } else { 80 };
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("port {port:?} is not a number from 0 to 65535"))?,
            ),
            _ => (rest, default_port),
        };
        let bare = host.strip_prefix("*.").unwrap_or(host);
        if bare.is_empty() || bare.contains('*') {
            return Err("expected a host name, optionally starting with *.".to_owned());
        }
        Ok(Self {
            https,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    fn allows(&self, https: bool, host: &str, port: u16) -> bool {
        if self.https != https || self.port != port {
            return false;
        }
        let host = host.to_ascii_lowercase();
        match self.host.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => host == self.host,
        }
    }
}

impl fmt::Display for HttpOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// What one component may reach over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpGrant {
    pub(crate) allow: Vec<HttpOrigin>,
    pub(crate) max_response_bytes: u64,
}

impl Default for HttpGrant {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// The policy `wasi:http` consults for each request of one component.
pub(crate) struct HttpPolicy {
    component: ComponentId,
    grant: Arc<HttpGrant>,
    time_budget: Duration,
}

impl HttpPolicy {
    pub(crate) fn new(
        component: ComponentId,
        grant: Arc<HttpGrant>,
        time_budget: Duration,
    ) -> Self {
        Self {
            component,
            grant,
            time_budget,
        }
    }

    fn allowed(&self, uri: &http::Uri) -> bool {
        let https = uri.scheme() == Some(&Scheme::HTTPS);
        if !https && uri.scheme() != Some(&Scheme::HTTP) {
            return false;
        }
        // User info is refused: the connection is made to the whole
        // authority, so only a bare `host[:port]` is what was checked.
        if uri
            .authority()
            .is_none_or(|authority| authority.as_str().contains('@'))
        {
            return false;
        }
        let Some(host) = uri.host() else {
            return false;
        };
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        self.grant
            .allow
            .iter()
            .any(|origin| origin.allows(https, host, port))
    }

    /// The guest's timeouts, none longer than the time budget (a call
    /// cannot outlast it anyway; this makes the guest see a timeout).
    fn options(&self, asked: Option<RequestOptions>) -> RequestOptions {
        let asked = asked.unwrap_or_default();
        let cap = |timeout: Option<Duration>| {
            Some(timeout.map_or(self.time_budget, |t| t.min(self.time_budget)))
        };
        RequestOptions {
            connect_timeout: cap(asked.connect_timeout),
            first_byte_timeout: cap(asked.first_byte_timeout),
            between_bytes_timeout: cap(asked.between_bytes_timeout),
        }
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>;

impl WasiHttpHooks for HttpPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: IoFuture,
    ) -> SendFuture {
        if !self.allowed(request.uri()) {
            tracing::warn!(
                component = %self.component,
                uri = %request.uri(),
                "outbound HTTP refused: not a granted origin"
            );
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let options = self.options(options);
        let limit = self.grant.max_response_bytes;
        Box::new(async move {
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            let declared = response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|length| length > limit) {
                return Err(HttpError::HttpResponseBodySize(Some(limit)));
            }
            let response = response.map(|body| {
                WasiBody::new(LimitedBody {
                    inner: body,
                    remaining: limit,
                    limit,
                })
            });
            Ok((response, Box::new(io) as IoFuture))
        })
    }
}

/// A response body that fails once it passes `limit` bytes.
struct LimitedBody<B> {
    inner: B,
    remaining: u64,
    limit: u64,
}

impl<B> Body for LimitedBody<B>
where
    B: Body<Data = Bytes, Error = HttpError> + Unpin,
{
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = self.get_mut();
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if let Some(Ok(data)) = frame
            .as_ref()
            .map(|frame| frame.as_ref().map(Frame::data_ref))
        {
            let length = data.map_or(0, |data| u64::try_from(data.len()).unwrap_or(u64::MAX));
            match this.remaining.checked_sub(length) {
                Some(remaining) => this.remaining = remaining,
                None => {
                    return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(
                        this.limit,
                    )))));
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_and_match_exactly() {
        let local = HttpOrigin::parse("http://127.0.0.1:8080").unwrap();
        assert!(local.allows(false, "127.0.0.1", 8080));
        assert!(!local.allows(true, "127.0.0.1", 8080));
        assert!(!local.allows(false, "127.0.0.1", 8081));

        let api = HttpOrigin::parse("https://API.example.com/").unwrap();
        assert_eq!(api.to_string(), "https://api.example.com:443");
        assert!(api.allows(true, "api.Example.com", 443));
        assert!(!api.allows(true, "evil-api.example.com", 443));

        let any = HttpOrigin::parse("https://*.example.com").unwrap();
        assert!(any.allows(true, "a.b.example.com", 443));
        assert!(!any.allows(true, "example.com", 443));
        assert!(!any.allows(true, "badexample.com", 443));
    }

    #[test]
    fn only_bare_granted_authorities_pass() {
        let policy = HttpPolicy::new(
            ComponentId::from("c"),
            Arc::new(HttpGrant {
                allow: vec![HttpOrigin::parse("http://127.0.0.1:8080").unwrap()],
                ..HttpGrant::default()
            }),
            Duration::from_secs(1),
        );
        let allowed = |uri: &str| policy.allowed(&uri.parse().unwrap());
        assert!(allowed("http://127.0.0.1:8080/x?y"));
        assert!(!allowed("http://user@127.0.0.1:8080/"));
        assert!(!allowed("http://127.0.0.1:8080@evil.example:8080/"));
        assert!(!allowed("https://127.0.0.1:8080/"));
        assert!(!allowed("http://127.0.0.1/"));
        assert!(!allowed("/relative"));
    }

    #[test]
    fn malformed_origins_say_why() {
        for bad in [
            "example.com",
            "ftp://x",
            "http://x/path",
            "http://x:99999",
            "http://*",
            "http://u@x",
        ] {
            assert!(HttpOrigin::parse(bad).is_err(), "{bad} parsed");
        }
    }
}
