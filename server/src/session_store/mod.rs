//! The session store: where tower-sessions keeps session records.
//!
//! Two backends, picked by `SESSION_STORE_URL`: unset, sessions live in the SQL database
//! beside the users ([`sql`]); `redis://...`, they live in Redis or Valkey ([`redis`]).
//! Both keep the same promises, which the integration tests check on each:
//! - only the SHA-256 of a session id is stored, so a copy of the store cannot be replayed
//!   as cookies;
//! - a new record always gets a fresh id, never one a client chose;
//! - a save only updates a record that still exists: a request finishing after a logout or
//!   revocation cannot write its session back;
//! - an index from user to sessions lists and ends one user's sessions at a cost that does
//!   not grow with other users' sessions;
//! - expired records are refused at once; the periodic sweep (SQL) or the key's TTL (Redis)
//!   removes them, and each expiry is noted in the audit trail.
//!
//! Written here rather than taken from `tower-sessions-sqlx-store` or
//! `tower-sessions-redis-store`, because those keep the raw id, upsert on save, and have no
//! user index (and follow tower-sessions' releases with a lag).
//!
//! Nothing is cached in the server's memory: every request reads its session from the
//! store, so a change made through one instance is seen by every other at its next request.

pub mod redis;
pub mod sql;

use app::{
    auth::session::{ListedSession, UserSessions, EXPIRES_AT_KEY, USER_ID_KEY},
    error::AppError,
};
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use uuid::Uuid;

pub use self::{redis::RedisSessionStore, sql::SqlSessionStore};

/// The store the server was configured with.
#[derive(Clone, Debug)]
pub enum Store {
    Sql(SqlSessionStore),
    Redis(RedisSessionStore),
}

impl Store {
    /// Sessions in `url` (`redis://` or `rediss://`), or in the SQL database when `None`.
    /// Redis keys start with `prefix`, so several apps (or tests) can share one server.
    pub async fn open(url: Option<&str>, prefix: &str, db: &AnyPool) -> anyhow::Result<Self> {
        match url.map(str::trim).filter(|url| !url.is_empty()) {
            None => Ok(Self::Sql(SqlSessionStore::new(db.clone()))),
            Some(url) => Ok(Self::Redis(RedisSessionStore::connect(url, prefix).await?)),
        }
    }

    /// Removes what has expired, and answers the user of each expired session, for the
    /// audit trail. Safe to run on every instance at once: each expiry is answered once.
    pub async fn sweep(&self) -> Result<Vec<Uuid>, AppError> {
        match self {
            Self::Sql(store) => store.delete_expired().await,
            Self::Redis(store) => store.sweep().await,
        }
    }

    /// Whether the store answers.
    pub async fn is_usable(&self) -> bool {
        match self {
            Self::Sql(store) => store.is_usable().await,
            Self::Redis(store) => store.is_usable().await,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sql(_) => "database",
            Self::Redis(_) => "redis",
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sql(store) => store.create(record).await,
            Self::Redis(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sql(store) => store.save(record).await,
            Self::Redis(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sql(store) => store.load(id).await,
            Self::Redis(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sql(store) => store.delete(id).await,
            Self::Redis(store) => store.delete(id).await,
        }
    }
}

#[async_trait]
impl UserSessions for Store {
    async fn list(&self, user_id: Uuid) -> Result<Vec<ListedSession>, AppError> {
        match self {
            Self::Sql(store) => store.list(user_id).await,
            Self::Redis(store) => store.list(user_id).await,
        }
    }

    async fn end(&self, user_id: Uuid, handle: &str) -> Result<bool, AppError> {
        match self {
            Self::Sql(store) => store.end(user_id, handle).await,
            Self::Redis(store) => store.end(user_id, handle).await,
        }
    }

    async fn end_all_but(&self, user_id: Uuid, keep: Option<Id>) -> Result<u64, AppError> {
        match self {
            Self::Sql(store) => store.end_all_but(user_id, keep).await,
            Self::Redis(store) => store.end_all_but(user_id, keep).await,
        }
    }

    fn handle(&self, id: &Id) -> String {
        hex(&id_hash(id))
    }
}

/// Turns the bare 500 that tower-sessions answers when saving a session fails (after the
/// handler, so the handler could not say why) into the 503 of an unavailable store. Our
/// handlers save a session themselves whenever they change it, so this is the net under
/// them, not the rule.
pub async fn failed_save_is_unavailable(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::body::HttpBody;

    let response = next.run(request).await;
    let bare = response.status() == http::StatusCode::INTERNAL_SERVER_ERROR
        && response.body().size_hint().exact() == Some(0);
    if bare {
        return crate::api::error_response(&AppError::Unavailable {});
    }
    response
}

/// What a store keeps in place of the id: 128 random bits need no salt to stay unguessable.
pub(crate) fn id_hash(id: &Id) -> Vec<u8> {
    Sha256::digest(id.0.to_le_bytes()).to_vec()
}

pub(crate) fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The user a record belongs to, kept apart from the data so a user's sessions can be found.
pub(crate) fn user_id(record: &Record) -> Option<String> {
    record.data.get(USER_ID_KEY)?.as_str().map(str::to_owned)
}

/// When a record ends: the session's own `expires_at` (which knows the idle and absolute
/// limits, see `app::auth::session`), else what tower-sessions computed.
pub(crate) fn expires_at(record: &Record) -> i64 {
    record
        .data
        .get(EXPIRES_AT_KEY)
        .and_then(serde_json::Value::as_i64)
        .unwrap_or_else(|| record.expiry_date.unix_timestamp())
}

pub(crate) fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(&record.data).map_err(|err| session_store::Error::Encode(err.to_string()))
}

/// A record read back from a store.
pub(crate) fn decode(id: &Id, data: &str, expires_at: i64) -> session_store::Result<Record> {
    let decode_error = |err: &dyn std::fmt::Display| session_store::Error::Decode(err.to_string());
    Ok(Record {
        id: *id,
        data: serde_json::from_str(data).map_err(|err| decode_error(&err))?,
        expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|err| decode_error(&err))?,
    })
}

/// A handle: the hex of the id's SHA-256. It names the session without being usable as a
/// cookie.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The bytes of a handle, if it is one (64 lowercase hex digits).
pub(crate) fn unhex(handle: &str) -> Option<Vec<u8>> {
    if handle.len() != 64
        || !handle.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    (0..64).step_by(2).map(|at| u8::from_str_radix(&handle[at..at + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_read_back_and_nothing_else_does() {
        let hash = id_hash(&Id(42));

        assert_eq!(unhex(&hex(&hash)), Some(hash));
        assert_eq!(unhex("not a handle"), None);
        assert_eq!(unhex(&"G".repeat(64)), None);
        assert_eq!(unhex(&"A".repeat(64)), None, "one spelling only");
    }
}
