//! Sessions in the SQL database (SQLite or PostgreSQL): the `sessions` table, indexed by
//! user. Expired rows are refused at once and deleted by the periodic sweep.

use app::{
    auth::session::{ListedSession, UserSessions},
    error::AppError,
    state::db_error,
};
use async_trait::async_trait;
use sqlx::{AnyPool, Row};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use uuid::Uuid;

use super::{decode, encode, expires_at, hex, id_hash, now, unhex, user_id};

#[derive(Clone, Debug)]
pub struct SqlSessionStore {
    db: AnyPool,
}

impl SqlSessionStore {
    pub fn new(db: AnyPool) -> Self {
        Self { db }
    }

    pub async fn is_usable(&self) -> bool {
        crate::db::is_usable(&self.db).await
    }
}

fn backend(err: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

#[async_trait]
impl SessionStore for SqlSessionStore {
    /// Stores a new record under a fresh id.
    ///
    /// The id the record arrives with is always replaced: after `flush`, tower-sessions
    /// keeps the id of the cookie it was given, and a store must never adopt an id that a
    /// client chose. A collision (never seen in practice) just draws again.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = encode(record)?;
        let user_id = user_id(record);

        loop {
            record.id = Id::default();
            let inserted = sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, data, expires_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id_hash) DO NOTHING",
            )
            .bind(id_hash(&record.id))
            .bind(user_id.clone())
            .bind(data.clone())
            .bind(expires_at(record))
            .execute(&self.db)
            .await
            .map_err(backend)?;

            if inserted.rows_affected() == 1 {
                return Ok(());
            }
        }
    }

    /// Updates a record that still exists and is still valid, and nothing else: a session
    /// deleted meanwhile (logout, revocation, expiry) must not come back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let updated = sqlx::query(
            "UPDATE sessions SET user_id = $1, data = $2, expires_at = $3 \
             WHERE id_hash = $4 AND expires_at > $5",
        )
        .bind(user_id(record))
        .bind(encode(record)?)
        .bind(expires_at(record))
        .bind(id_hash(&record.id))
        .bind(now())
        .execute(&self.db)
        .await
        .map_err(backend)?;

        if updated.rows_affected() == 0 {
            tracing::debug!("save skipped: the session ended while the request ran");
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query(
            "SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash(id))
        .bind(now())
        .fetch_optional(&self.db)
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };

        let data: String = row.try_get("data").map_err(backend)?;
        let expires_at: i64 = row.try_get("expires_at").map_err(backend)?;
        decode(id, &data, expires_at).map(Some)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash(id))
            .execute(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

impl SqlSessionStore {
    /// Deletes expired records (they are refused anyway; this keeps the table small), and
    /// answers the user of each, for the audit trail.
    pub async fn delete_expired(&self) -> Result<Vec<Uuid>, AppError> {
        let users: Vec<Option<String>> =
            sqlx::query_scalar("DELETE FROM sessions WHERE expires_at <= $1 RETURNING user_id")
                .bind(now())
                .fetch_all(&self.db)
                .await
                .map_err(db_error)?;
        Ok(users.into_iter().flatten().filter_map(|id| id.parse().ok()).collect())
    }
}

#[async_trait]
impl UserSessions for SqlSessionStore {
    async fn list(&self, user_id: Uuid) -> Result<Vec<ListedSession>, AppError> {
        let rows = sqlx::query(
            "SELECT id_hash, data FROM sessions WHERE user_id = $1 AND expires_at > $2",
        )
        .bind(user_id.to_string())
        .bind(now())
        .fetch_all(&self.db)
        .await
        .map_err(db_error)?;

        rows.iter()
            .map(|row| {
                let hash: Vec<u8> = row.try_get("id_hash").map_err(db_error)?;
                let data: String = row.try_get("data").map_err(db_error)?;
                let data = serde_json::from_str(&data).map_err(|err| {
                    tracing::error!(error = %err, "a session record holds unreadable data");
                    AppError::Internal {}
                })?;
                Ok(ListedSession { handle: hex(&hash), data })
            })
            .collect()
    }

    async fn end(&self, user_id: Uuid, handle: &str) -> Result<bool, AppError> {
        let Some(hash) = unhex(handle) else {
            return Ok(false);
        };
        // An expired session is not ended here: it is no longer listed, and the sweep notes
        // its expiry.
        let ended = sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2 AND expires_at > $3",
        )
        .bind(user_id.to_string())
        .bind(hash)
        .bind(now())
        .execute(&self.db)
        .await
        .map_err(db_error)?;
        Ok(ended.rows_affected() > 0)
    }

    async fn end_all_but(&self, user_id: Uuid, keep: Option<Id>) -> Result<u64, AppError> {
        // A hash that no id has, when there is no session to keep.
        let keep = keep.map(|id| id_hash(&id)).unwrap_or_default();
        let ended = sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2 AND expires_at > $3",
        )
        .bind(user_id.to_string())
        .bind(keep)
        .bind(now())
        .execute(&self.db)
        .await
        .map_err(db_error)?;
        Ok(ended.rows_affected())
    }

    /// The hex of the id's SHA-256, as kept in the table: it names the session without
    /// being usable as a cookie.
    fn handle(&self, id: &Id) -> String {
        hex(&id_hash(id))
    }
}
