//! Throttling password guessing: too many failures in a window, and the next attempt is
//! refused (429, with when to retry) before any password is checked.
//!
//! Counters are rows in the database rather than in memory (as `governor` and similar
//! crates keep them), so that several server instances count the same attempts, and a
//! restart does not reset them. Buckets never block a user everywhere: a login is counted
//! per (username, address) and per address, never per username alone, so an attacker
//! cannot lock the owner out of their account from the owner's own address.

use std::{
    net::{IpAddr, Ipv6Addr},
    time::Duration,
};

use sqlx::AnyPool;

use crate::{client::Client, error::AppError, state::db_error};

/// At most `max` events in any `window` for one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// The limits, from the server's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failed logins for one username from one address (also: wrong current passwords).
    pub login_per_user_and_ip: Limit,
    /// Failed logins from one address, whatever the username.
    pub login_per_ip: Limit,
    /// Accounts created from one address.
    pub signup_per_ip: Limit,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        let minutes = |n: u64| Duration::from_secs(60 * n);
        Self {
            login_per_user_and_ip: Limit { max: 5, window: minutes(15) },
            login_per_ip: Limit { max: 50, window: minutes(15) },
            signup_per_ip: Limit { max: 10, window: minutes(60) },
        }
    }
}

/// A bucket: what is being counted, e.g. failed logins for one username from one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket(String);

impl Bucket {
    /// Failed logins (and wrong current passwords) for one username from one network.
    pub fn login(username: &str, client: &Client) -> Self {
        let username: String = username.to_lowercase().chars().take(64).collect();
        Self(format!("login:{username}|{}", network(client)))
    }

    /// Failed logins from one network, whatever the username.
    pub fn login_from(client: &Client) -> Self {
        Self(format!("login-ip:{}", network(client)))
    }

    /// Sign-ups from one network.
    pub fn signup_from(client: &Client) -> Self {
        Self(format!("signup:{}", network(client)))
    }

    /// A bucket that fills once per window, to note an event (say, in the audit trail) once
    /// rather than at every repetition.
    pub fn noted(&self) -> Self {
        Self(format!("noted:{}", self.0))
    }
}

/// What counts as one client for throttling: an IPv4 address, or an IPv6 /64 network (one
/// machine usually holds a whole /64, and could otherwise rotate through its addresses).
fn network(client: &Client) -> String {
    match client.ip {
        Some(IpAddr::V6(ip)) if ip.to_ipv4_mapped().is_none() => {
            let segments = ip.segments();
            let prefix =
                Ipv6Addr::new(segments[0], segments[1], segments[2], segments[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
        Some(IpAddr::V6(ip)) => ip.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        Some(IpAddr::V4(ip)) => ip.to_string(),
        None => String::new(),
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// An attempt, counted in its buckets before it is made.
///
/// Counting first, then checking, is what keeps a burst of parallel attempts from all
/// passing the check before any of them is counted: each sees every attempt counted before
/// it, so at most `max` of them get through. An attempt that turns out well takes its count
/// back with [`Attempt::succeeded`]; a failed one stays counted.
#[must_use = "a successful attempt must be taken back with `succeeded`"]
pub struct Attempt {
    id: String,
}

impl Attempt {
    /// Counts an attempt in every bucket, and refuses it with
    /// [`AppError::TooManyAttempts`] (uncounting it) when any bucket is then over its limit.
    pub async fn begin(db: &AnyPool, checks: &[(&Bucket, Limit)]) -> Result<Self, AppError> {
        let attempt = Self { id: uuid::Uuid::new_v4().to_string() };
        let now = now();
        for (bucket, _) in checks {
            sqlx::query("INSERT INTO throttle_events (bucket, at, attempt) VALUES ($1, $2, $3)")
                .bind(&bucket.0)
                .bind(now)
                .bind(&attempt.id)
                .execute(db)
                .await
                .map_err(db_error)?;
        }

        let mut over = false;
        for (bucket, limit) in checks {
            over |= count(db, bucket, limit.window, now).await? > i64::from(limit.max);
        }
        if !over {
            return Ok(attempt);
        }

        attempt.uncount(db).await?;
        let wait = wait(db, checks, now).await?;
        Err(AppError::TooManyAttempts { retry_after_secs: u64::try_from(wait).unwrap_or(1) })
    }

    /// The attempt went well: it no longer counts.
    pub async fn succeeded(self, db: &AnyPool) -> Result<(), AppError> {
        self.uncount(db).await
    }

    async fn uncount(&self, db: &AnyPool) -> Result<(), AppError> {
        sqlx::query("DELETE FROM throttle_events WHERE attempt = $1")
            .bind(&self.id)
            .execute(db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

async fn count(db: &AnyPool, bucket: &Bucket, window: Duration, now: i64) -> Result<i64, AppError> {
    sqlx::query_scalar("SELECT COUNT(*) FROM throttle_events WHERE bucket = $1 AND at > $2")
        .bind(&bucket.0)
        .bind(now - seconds(window))
        .fetch_one(db)
        .await
        .map_err(db_error)
}

/// Seconds until every bucket would let one more attempt through: until the `max`-th most
/// recent event of the fullest one leaves its window.
async fn wait(db: &AnyPool, checks: &[(&Bucket, Limit)], now: i64) -> Result<i64, AppError> {
    let mut wait = 1;
    for (bucket, limit) in checks {
        let offset = i64::from(limit.max.saturating_sub(1));
        let blocking: Option<i64> = sqlx::query_scalar(
            "SELECT at FROM throttle_events WHERE bucket = $1 AND at > $2 \
             ORDER BY at DESC LIMIT 1 OFFSET $3",
        )
        .bind(&bucket.0)
        .bind(now - seconds(limit.window))
        .bind(offset)
        .fetch_optional(db)
        .await
        .map_err(db_error)?;

        if let Some(at) = blocking {
            wait = wait.max(at + seconds(limit.window) - now);
        }
    }
    Ok(wait)
}

/// Forgets a bucket's events, e.g. a username's failures after its owner signed in.
pub async fn clear(db: &AnyPool, bucket: &Bucket) -> Result<(), AppError> {
    sqlx::query("DELETE FROM throttle_events WHERE bucket = $1")
        .bind(&bucket.0)
        .execute(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Deletes events older than any window; run periodically.
pub async fn forget_older_than(db: &AnyPool, age: Duration) -> Result<u64, AppError> {
    let deleted = sqlx::query("DELETE FROM throttle_events WHERE at <= $1")
        .bind(now() - seconds(age))
        .execute(db)
        .await
        .map_err(db_error)?;
    Ok(deleted.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(ip: &str) -> Client {
        Client { ip: Some(ip.parse().expect("an address")), user_agent: String::new() }
    }

    #[test]
    fn an_ipv6_network_is_one_client_and_ipv4_addresses_are_each_their_own() {
        let a = Bucket::login_from(&from("2001:db8:1:2::1"));
        let b = Bucket::login_from(&from("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = Bucket::login_from(&from("2001:db8:1:3::1"));

        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_ne!(Bucket::login_from(&from("192.0.2.1")), Bucket::login_from(&from("192.0.2.2")));
        assert_eq!(
            Bucket::login_from(&from("::ffff:192.0.2.1")),
            Bucket::login_from(&from("192.0.2.1"))
        );
    }

    #[test]
    fn usernames_count_together_in_any_letter_case() {
        let client = from("192.0.2.1");

        assert_eq!(Bucket::login("Alice", &client), Bucket::login("aLICE", &client));
    }
}
