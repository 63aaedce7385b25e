//! Settings, read once at start from the command line or the environment.
//!
//! Every setting has an environment variable (listed by `sesame --help`) and a default
//! that runs a development server on loopback with SQLite.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use app::auth::{
    session::SessionPolicy,
    throttle::{Limit, ThrottlePolicy},
};
use clap::Parser;
use url::Url;

#[derive(Debug, Clone, Parser)]
#[command(name = "sesame", version, about = "Server-side session authentication, done right.")]
pub struct Settings {
    /// Address and port to listen on. Port 0 picks a free port (tests use this).
    #[arg(long, env = "SESAME_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Where users, the audit trail and (by default) sessions live: `sqlite://PATH` (the
    /// default; the file is created if missing) or `postgres://USER:PASSWORD@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/sesame.db")]
    pub database_url: String,

    /// Where sessions live, when not in the database: `redis://HOST:PORT[/DB]` (Redis 7 or
    /// Valkey), for several instances sharing them. Unset: the database above.
    #[arg(long, env = "SESSION_STORE_URL")]
    pub session_store_url: Option<String>,

    /// What every Redis key of Sesame starts with, so that one Redis can serve others too.
    #[arg(long, env = "SESAME_REDIS_PREFIX", default_value = "sesame:")]
    pub redis_prefix: String,

    /// The origin users reach the server at, e.g. `https://auth.example.com`. With https the
    /// session cookie is `Secure` and named with the `__Host-` prefix. Defaults to
    /// `http://` plus the listen address, for local development.
    #[arg(long, env = "SESAME_PUBLIC_ORIGIN")]
    pub public_origin: Option<Url>,

    /// A session that sees no request for this long ends (`30m`, `1h`, `90s`, ...).
    #[arg(long, env = "SESAME_SESSION_IDLE", default_value = "30m", value_parser = duration)]
    pub session_idle: Duration,

    /// A session ends this long after sign-in, however active it is.
    #[arg(long, env = "SESAME_SESSION_ABSOLUTE", default_value = "12h", value_parser = duration)]
    pub session_absolute: Duration,

    /// Idle timeout of a session signed in with "keep me signed in".
    #[arg(long, env = "SESAME_REMEMBER_IDLE", default_value = "14d", value_parser = duration)]
    pub remember_idle: Duration,

    /// Absolute timeout of a session signed in with "keep me signed in".
    #[arg(long, env = "SESAME_REMEMBER_ABSOLUTE", default_value = "30d", value_parser = duration)]
    pub remember_absolute: Duration,

    /// Deleting the account asks for the password again when the user last proved who they
    /// are (signing in, or typing the password) longer ago than this ("sudo mode").
    #[arg(long, env = "SESAME_SUDO_WINDOW", default_value = "10m", value_parser = duration)]
    pub sudo_window: Duration,

    /// How often expired sessions are deleted from the store (they are refused anyway).
    #[arg(long, env = "SESAME_SWEEP_EVERY", default_value = "1m", value_parser = duration)]
    pub sweep_every: Duration,

    /// How long audit entries are kept before the periodic sweep deletes them.
    #[arg(long, env = "SESAME_AUDIT_RETENTION", default_value = "90d", value_parser = duration)]
    pub audit_retention: Duration,

    /// Failed logins allowed per username and address within `--login-window`.
    #[arg(long, env = "SESAME_LOGIN_ATTEMPTS", default_value_t = 5)]
    pub login_attempts: u32,

    /// Failed logins allowed per address, whatever the username, within `--login-window`.
    #[arg(long, env = "SESAME_LOGIN_ATTEMPTS_PER_IP", default_value_t = 50)]
    pub login_attempts_per_ip: u32,

    /// The window in which failed logins are counted.
    #[arg(long, env = "SESAME_LOGIN_WINDOW", default_value = "15m", value_parser = duration)]
    pub login_window: Duration,

    /// Sign-ups allowed per address within an hour.
    #[arg(long, env = "SESAME_SIGNUPS_PER_IP", default_value_t = 10)]
    pub signups_per_ip: u32,

    /// Reverse proxies whose `X-Forwarded-For` tells the client's address (comma-separated
    /// IPs). Without any, the socket's peer is the client.
    #[arg(long, env = "SESAME_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Fewest characters a new password may have (12 at least).
    #[arg(long, env = "SESAME_PASSWORD_MIN_LENGTH", default_value_t = 12,
          value_parser = clap::value_parser!(u64).range(12..=128))]
    pub password_min_length: u64,

    /// The directory with the built browser files (`pkg/`), made by `make build`.
    #[arg(long, env = "SESAME_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// What to log, as a tracing filter: `info`, `debug`, `server=debug,sqlx=warn`, ...
    /// (tower-sessions warns about every expired cookie a browser sends; that is routine.)
    #[arg(
        long,
        env = "SESAME_LOG",
        default_value = "info,tower_sessions_core=error,sqlx::postgres::notice=warn"
    )]
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

    /// The session timeouts, checked to make sense together.
    pub fn session_policy(&self) -> anyhow::Result<SessionPolicy> {
        let policy = SessionPolicy {
            idle: self.session_idle,
            absolute: self.session_absolute,
            remember_idle: self.remember_idle,
            remember_absolute: self.remember_absolute,
        };
        if policy.idle > policy.absolute || policy.remember_idle > policy.remember_absolute {
            bail!("an idle timeout longer than its absolute timeout would never apply");
        }
        Ok(policy)
    }

    /// The limits on failed attempts.
    pub fn throttle_policy(&self) -> ThrottlePolicy {
        let hour = Duration::from_secs(3600);
        ThrottlePolicy {
            login_per_user_and_ip: Limit { max: self.login_attempts, window: self.login_window },
            login_per_ip: Limit { max: self.login_attempts_per_ip, window: self.login_window },
            signup_per_ip: Limit { max: self.signups_per_ip, window: hour },
        }
    }
}

/// A duration such as `30m`, `12h`, `14d` or `90s`, at least a second.
fn duration(text: &str) -> Result<Duration, String> {
    let parsed = humantime::parse_duration(text).map_err(|err| err.to_string())?;
    if parsed < Duration::from_secs(1) {
        return Err("use at least one second".into());
    }
    Ok(parsed)
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
    fn timeouts_read_as_human_durations_and_must_fit_together() {
        let policy = settings(&["--session-idle", "90s"]).session_policy().expect("valid");

        assert_eq!(policy.idle, Duration::from_secs(90));
        assert_eq!(policy.remember_absolute, Duration::from_secs(30 * 24 * 3600));
        let upside_down = settings(&["--session-idle", "2h", "--session-absolute", "1h"]);
        assert!(upside_down.session_policy().is_err());
        assert!(Settings::try_parse_from(["sesame", "--session-idle", "0s"]).is_err());
    }

    #[test]
    fn a_password_minimum_below_twelve_is_refused() {
        let parsed = Settings::try_parse_from(["sesame", "--password-min-length", "8"]);

        assert!(parsed.is_err());
    }
}
