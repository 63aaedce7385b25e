//! Throttling password guessing: too many failures in a window, and the next attempt is
//! refused (429, with when to retry) before any password is checked.
//!
//! Counters are rows in the database rather than in memory (as `governor` and similar
//! crates keep them), so that several server instances count the same attempts, and a
//! restart does not reset them. Buckets never block a user everywhere: a login is counted
//! per (username, address) and per address, never per username alone, so an attacker
//! cannot lock the owner out of their account from the owner's own address.

use std::time::Duration;

use sqlx::AnyPool;

use crate::{error::AppError, state::db_error};

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
    pub fn login(username: &str, ip: &str) -> Self {
        let username: String = username.to_lowercase().chars().take(64).collect();
        Self(format!("login:{username}|{ip}"))
    }

    pub fn login_from(ip: &str) -> Self {
        Self(format!("login-ip:{ip}"))
    }

    pub fn signup_from(ip: &str) -> Self {
        Self(format!("signup:{ip}"))
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Refuses with [`AppError::TooManyAttempts`] when any bucket is over its limit.
pub async fn check(db: &AnyPool, checks: &[(&Bucket, Limit)]) -> Result<(), AppError> {
    let now = now();
    let mut wait = 0;
    for (bucket, limit) in checks {
        // The max-th most recent event in the window: while it is in the window, the
        // bucket is full, and it leaves the window at `at + window`.
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
    if wait > 0 {
        return Err(AppError::TooManyAttempts {
            retry_after_secs: u64::try_from(wait).unwrap_or(1),
        });
    }
    Ok(())
}

/// Counts one event in each bucket.
pub async fn record(db: &AnyPool, buckets: &[&Bucket]) -> Result<(), AppError> {
    let now = now();
    for bucket in buckets {
        sqlx::query("INSERT INTO throttle_events (bucket, at) VALUES ($1, $2)")
            .bind(&bucket.0)
            .bind(now)
            .execute(db)
            .await
            .map_err(db_error)?;
    }
    Ok(())
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
