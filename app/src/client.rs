//! Who is on the other end of a request: their IP address and browser, as the server
//! determined them (see `server/src/client_ip.rs`), for throttling, audit and the list
//! of a user's sessions.

use std::net::IpAddr;

use http::{header, request::Parts};
use leptos::prelude::use_context;

/// The client's address. Put into every request's extensions by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client of the request being handled.
#[derive(Clone, Debug)]
pub struct Client {
    pub ip: Option<IpAddr>,
    /// The `User-Agent` header, cut to a sane length; empty when absent.
    pub user_agent: String,
}

impl Client {
    /// Longest user agent kept; real ones are a few hundred bytes.
    const MAX_USER_AGENT: usize = 512;

    pub fn from_parts(parts: &Parts) -> Self {
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        Self {
            ip: parts.extensions.get::<ClientIp>().map(|ClientIp(ip)| *ip),
            user_agent: user_agent.chars().take(Self::MAX_USER_AGENT).collect(),
        }
    }

    /// The client of the current server function call or page render.
    pub fn current() -> Self {
        use_context::<Parts>().map_or_else(Self::none, |parts| Self::from_parts(&parts))
    }

    /// No client: the server acting on its own (say, expiring sessions).
    pub fn none() -> Self {
        Self { ip: None, user_agent: String::new() }
    }

    /// The address as text, empty when none was determined.
    pub fn ip_text(&self) -> String {
        self.ip.map(|ip| ip.to_string()).unwrap_or_default()
    }
}
