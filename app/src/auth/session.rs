//! Typed access to the session: the only place that knows the keys a session holds.
//!
//! tower-sessions keeps the record (in the store the server chose) and the cookie; this
//! wrapper decides what a signed-in session contains and how it begins and ends.

use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tower_sessions::{Expiry, Session};
use uuid::Uuid;

use crate::error::AppError;

/// Key of the signed-in user's id. The session store also reads it, to index sessions by user.
pub const USER_ID_KEY: &str = "user_id";
const SIGNED_IN_AT_KEY: &str = "signed_in_at";
const LAST_SEEN_KEY: &str = "last_seen";

/// How often, at most, a reading-only user's session is written back to extend its idle
/// timeout: writing on every request would cost a store write per page view for nothing.
/// With a short idle timeout the session is written more often (a tenth of the timeout),
/// so activity always extends it in time.
const TOUCH_AT_MOST_EVERY_SECS: i64 = 60;

/// Who a session belongs to and since when.
#[derive(Debug, Clone, Copy)]
pub struct SignedIn {
    pub user_id: Uuid,
    pub signed_in_at: OffsetDateTime,
}

/// The request's session, seen as a sign-in.
#[derive(Clone)]
pub struct AuthSession(Session);

impl AuthSession {
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// The session of the request being handled (put there by the session middleware).
    pub async fn current() -> Result<Self, AppError> {
        leptos_axum::extract::<Session>().await.map(Self).map_err(|err| {
            tracing::error!(error = %err, "no session on the request (session layer missing?)");
            AppError::Internal {}
        })
    }

    /// The sign-in this session carries, if any.
    pub async fn signed_in(&self) -> Result<Option<SignedIn>, AppError> {
        let Some(user_id) = self.get::<Uuid>(USER_ID_KEY).await? else {
            return Ok(None);
        };
        let at = self.get::<i64>(SIGNED_IN_AT_KEY).await?.unwrap_or_default();
        let signed_in_at =
            OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);

        Ok(Some(SignedIn { user_id, signed_in_at }))
    }

    /// Signs `user_id` in on a brand-new session.
    ///
    /// Whatever the request came with (an anonymous session, another user's, or an id an
    /// attacker planted) is deleted from the store first, and none of its data carries over:
    /// `flush` forgets the id, so the store creates the record under a fresh one.
    pub async fn begin(&self, user_id: Uuid) -> Result<SignedIn, AppError> {
        let now =
            OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let at = now.unix_timestamp();

        self.forget().await?;

        self.insert(USER_ID_KEY, user_id).await?;
        self.insert(SIGNED_IN_AT_KEY, at).await?;
        self.insert(LAST_SEEN_KEY, at).await?;
        Ok(SignedIn { user_id, signed_in_at: now })
    }

    /// Ends the session: its record is deleted now, and the response expires the cookie.
    pub async fn end(&self) -> Result<(), AppError> {
        self.forget().await
    }

    /// Deletes the record the request came with (if it named one) and drops its data.
    async fn forget(&self) -> Result<(), AppError> {
        if self.0.id().is_some() {
            self.0.flush().await.map_err(store_error)
        } else {
            self.0.clear().await;
            Ok(())
        }
    }

    /// Marks the session as used, which pushes its idle timeout forward, at most once a
    /// minute so that reading pages does not write to the store on every request.
    pub async fn touch(&self) -> Result<(), AppError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let last_seen = self.get::<i64>(LAST_SEEN_KEY).await?.unwrap_or_default();

        if now - last_seen >= self.touch_interval() {
            self.insert(LAST_SEEN_KEY, now).await?;
        }
        Ok(())
    }

    fn touch_interval(&self) -> i64 {
        match self.0.expiry() {
            Some(Expiry::OnInactivity(idle)) => {
                (idle.whole_seconds() / 10).clamp(1, TOUCH_AT_MOST_EVERY_SECS)
            }
            _ => TOUCH_AT_MOST_EVERY_SECS,
        }
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, AppError> {
        match self.0.get::<T>(key).await {
            Ok(value) => Ok(value),
            // A value we cannot read back is treated as absent rather than failing the page.
            Err(tower_sessions::session::Error::SerdeJson(err)) => {
                tracing::warn!(error = %err, key, "unreadable session value ignored");
                Ok(None)
            }
            Err(err) => Err(store_error(err)),
        }
    }

    async fn insert(&self, key: &str, value: impl serde::Serialize) -> Result<(), AppError> {
        self.0.insert(key, value).await.map_err(store_error)
    }
}

fn store_error(err: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %err, "session store failed");
    AppError::Unavailable {}
}
