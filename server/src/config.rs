//! Settings, read once at start from the command line or the environment.
//!
//! Every setting has an environment variable (listed by `sesame --help`) and a default
//! that runs a development server on loopback with SQLite.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use clap::Parser;
use url::Url;

#[derive(Debug, Clone, Parser)]
#[command(name = "sesame", version, about = "Server-side session authentication, done right.")]
pub struct Settings {
    /// Address and port to listen on. Port 0 picks a free port (tests use this).
    #[arg(long, env = "SESAME_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Where users and sessions live. `sqlite://PATH` (created if missing) is the default.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/sesame.db")]
    pub database_url: String,

    /// The origin users reach the server at, e.g. `https://auth.example.com`. With https the
    /// session cookie is `Secure` and named with the `__Host-` prefix. Defaults to
    /// `http://` plus the listen address, for local development.
    #[arg(long, env = "SESAME_PUBLIC_ORIGIN")]
    pub public_origin: Option<Url>,

    /// A session that sees no request for this many minutes ends.
    #[arg(long, env = "SESAME_SESSION_IDLE_MINUTES", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=60 * 24 * 30))]
    pub session_idle_minutes: u64,

    /// Fewest characters a new password may have (12 at least).
    #[arg(long, env = "SESAME_PASSWORD_MIN_LENGTH", default_value_t = 12,
          value_parser = clap::value_parser!(u64).range(12..=128))]
    pub password_min_length: u64,

    /// The directory with the built browser files (`pkg/`), made by `make build`.
    #[arg(long, env = "SESAME_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// What to log, as a tracing filter: `info`, `debug`, `server=debug,sqlx=warn`, ...
    /// (tower-sessions warns about every expired cookie a browser sends; that is routine.)
    #[arg(long, env = "SESAME_LOG", default_value = "info,tower_sessions_core=error")]
    pub log: String,
}

impl Settings {
    /// The origin the browser sees: the configured one, or `http://` plus the address the
    /// server is bound to (`bound`, which has the real port when `addr` asked for port 0).
    pub fn origin(&self, bound: SocketAddr) -> anyhow::Result<Url> {
        let origin = match &self.public_origin {
            Some(origin) => origin.clone(),
            None => Url::parse(&format!("http://{bound}")).context("the listen address")?,
        };
        if !matches!(origin.scheme(), "http" | "https") || origin.host().is_none() {
            bail!("SESAME_PUBLIC_ORIGIN must look like https://host[:port], not {origin}");
        }
        if origin.path() != "/" || origin.query().is_some() {
            bail!("SESAME_PUBLIC_ORIGIN is an origin only, without a path: {origin}");
        }
        Ok(origin)
    }

    pub fn session_idle(&self) -> Duration {
        Duration::from_secs(self.session_idle_minutes * 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(args: &[&str]) -> Settings {
        Settings::try_parse_from(std::iter::once("sesame").chain(args.iter().copied()))
            .expect("valid arguments")
    }

    #[test]
    fn the_origin_defaults_to_plain_http_on_the_bound_address() {
        let bound = "127.0.0.1:4000".parse().expect("an address");
        let origin = settings(&["--addr", "127.0.0.1:0"]).origin(bound).expect("valid");

        assert_eq!(origin.as_str(), "http://127.0.0.1:4000/");
    }

    #[test]
    fn an_origin_with_a_path_is_refused() {
        let bound = "127.0.0.1:4000".parse().expect("an address");
        let result = settings(&["--public-origin", "https://example.test/app"]).origin(bound);

        assert!(result.is_err());
    }

    #[test]
    fn a_password_minimum_below_twelve_is_refused() {
        let parsed = Settings::try_parse_from(["sesame", "--password-min-length", "8"]);

        assert!(parsed.is_err());
    }
}
