//! [`LatticeConfig`]: which lattice a host joins, on which NATS server, and
//! how it proves who it is.

use std::path::PathBuf;
use std::time::Duration;

/// The lattice a host joins: its name, the NATS server, the credentials and
/// TLS settings for that server, and the secret every host of the lattice
/// signs its messages with.
///
/// ```
/// use std::time::Duration;
/// use airssys_wasm::{LatticeConfig, NatsAuth};
///
/// let lattice = LatticeConfig::new("shop", "nats://127.0.0.1:4222")
///     .auth(NatsAuth::UserPassword { user: "shop-host".into(), password: "s3cret".into() })
///     .secret("a key every host of the lattice shares")
///     .heartbeat(Duration::from_millis(500));
/// assert_eq!(lattice.name(), "shop");
/// ```
#[derive(Clone)]
pub struct LatticeConfig {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) auth: NatsAuth,
    pub(crate) tls: NatsTls,
    pub(crate) secret: Option<Vec<u8>>,
    pub(crate) heartbeat: Duration,
    pub(crate) join_window: Duration,
}

impl LatticeConfig {
    /// The lattice `name` on the NATS server at `url` (`nats://host:port`,
    /// or `tls://` to require TLS). Names are letters, digits, `-` and `_`.
    ///
    /// ```
    /// let lattice = airssys_wasm::LatticeConfig::new("default", "nats://127.0.0.1:4222");
    /// assert_eq!(lattice.url(), "nats://127.0.0.1:4222");
    /// ```
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            auth: NatsAuth::None,
            tls: NatsTls::default(),
            secret: None,
            heartbeat: Duration::from_secs(1),
            join_window: Duration::from_millis(300),
        }
    }

    /// The lattice's name.
    ///
    /// ```
    /// assert_eq!(airssys_wasm::LatticeConfig::new("a", "nats://h:1").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The NATS server's address.
    ///
    /// ```
    /// assert_eq!(airssys_wasm::LatticeConfig::new("a", "nats://h:1").url(), "nats://h:1");
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How the host logs in to the NATS server.
    ///
    /// ```
    /// use airssys_wasm::{LatticeConfig, NatsAuth};
    /// let lattice = LatticeConfig::new("a", "nats://h:1").auth(NatsAuth::Token("t0k3n".into()));
    /// # let _ = lattice;
    /// ```
    pub fn auth(mut self, auth: NatsAuth) -> Self {
        self.auth = auth;
        self
    }

    /// TLS towards the NATS server: the CA to trust and, for mutual TLS,
    /// this host's certificate and key.
    ///
    /// ```
    /// use airssys_wasm::{LatticeConfig, NatsTls};
    /// let lattice = LatticeConfig::new("a", "tls://nats.internal:4222").tls(NatsTls {
    ///     ca_file: Some("ca.pem".into()),
    ///     client_cert: Some(("host.pem".into(), "host-key.pem".into())),
    ///     required: true,
    /// });
    /// # let _ = lattice;
    /// ```
    pub fn tls(mut self, tls: NatsTls) -> Self {
        self.tls = tls;
        self
    }

    /// The lattice's shared secret. With one, every lattice message carries
    /// an HMAC-SHA-256 tag, and a host refuses a message whose tag does not
    /// check: only hosts that hold the secret can send into the lattice,
    /// whatever else can reach the NATS server.
    ///
    /// ```
    /// let lattice = airssys_wasm::LatticeConfig::new("a", "nats://h:1").secret("k");
    /// # let _ = lattice;
    /// ```
    pub fn secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// How often the host tells the lattice it is alive (1 s by default). A
    /// host not heard from for three heartbeats is taken as lost: requests
    /// to components only it served end with
    /// [`RequestError::HostLost`](crate::RequestError::HostLost).
    ///
    /// ```
    /// use std::time::Duration;
    /// let lattice = airssys_wasm::LatticeConfig::new("a", "nats://h:1")
    ///     .heartbeat(Duration::from_millis(250));
    /// # let _ = lattice;
    /// ```
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every.max(Duration::from_millis(10));
        self
    }

    /// How long a joining host listens for the lattice's hosts before it
    /// claims its names (300 ms by default).
    ///
    /// ```
    /// use std::time::Duration;
    /// let lattice = airssys_wasm::LatticeConfig::new("a", "nats://h:1")
    ///     .join_window(Duration::from_millis(100));
    /// # let _ = lattice;
    /// ```
    pub fn join_window(mut self, window: Duration) -> Self {
        self.join_window = window;
        self
    }
}

impl std::fmt::Debug for LatticeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials and the secret stay out of logs.
        f.debug_struct("LatticeConfig")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("auth", &self.auth.kind())
            .field("tls", &self.tls)
            .field("secret", &self.secret.as_ref().map(|_| "<set>"))
            .field("heartbeat", &self.heartbeat)
            .finish()
    }
}

/// How a host logs in to the NATS server.
///
/// ```
/// use airssys_wasm::NatsAuth;
/// let by_file = NatsAuth::CredentialsFile("host.creds".into());
/// let by_nkey = NatsAuth::NKey("SUAB...".into());
/// # let _ = (by_file, by_nkey);
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum NatsAuth {
    /// No credentials.
    #[default]
    None,
    /// A token.
    Token(String),
    /// A user name and password.
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// An nkey seed (`SU...`).
    NKey(String),
    /// A `.creds` file (a JWT and an nkey seed), as `nsc` writes them.
    CredentialsFile(PathBuf),
}

impl NatsAuth {
    /// The kind of credentials, never the credentials themselves.
    fn kind(&self) -> &'static str {
        match self {
            NatsAuth::None => "none",
            NatsAuth::Token(_) => "token",
            NatsAuth::UserPassword { .. } => "user-password",
            NatsAuth::NKey(_) => "nkey",
            NatsAuth::CredentialsFile(_) => "credentials-file",
        }
    }
}

impl std::fmt::Debug for NatsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind())
    }
}

/// TLS towards the NATS server.
///
/// ```
/// let tls = airssys_wasm::NatsTls { ca_file: Some("ca.pem".into()), ..Default::default() };
/// assert!(!tls.required);
/// ```
#[derive(Debug, Clone, Default)]
pub struct NatsTls {
    /// A PEM file of CA certificates to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// This host's certificate and private key (PEM), for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Refuse to connect without TLS.
    pub required: bool,
}
