//! Typed access to the session: the only place that knows the keys a session holds, and
//! the one that decides when a session ends.
//!
//! tower-sessions keeps the record (in the store the server chose) and the cookie; this
//! wrapper decides what a signed-in session contains, how it begins, how activity extends
//! it, and when it is over. Every session has two limits, both enforced by the server:
//! - idle: it ends when no request has used it for this long;
//! - absolute: it ends this long after sign-in, however active.
//!
//! "Keep me signed in" picks longer limits and a persistent cookie; otherwise the cookie
//! lasts until the browser closes, while the server's limits still apply.

use std::{collections::HashMap, time::Duration};

use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tower_sessions::{session::Id, Expiry, Session};
use uuid::Uuid;

use crate::{client::Client, error::AppError};

/// Key of the signed-in user's id. The session store reads it, to index sessions by user.
pub const USER_ID_KEY: &str = "user_id";
/// Key of the moment (Unix seconds) the session ends. The session store reads it: the
/// record is not found after this moment, and the periodic sweep deletes it.
pub const EXPIRES_AT_KEY: &str = "expires_at";
const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// Key of the session's last use (Unix seconds), which the idle timeout counts from.
pub const LAST_SEEN_KEY: &str = "last_seen";
const REMEMBER_KEY: &str = "remember";
const CREDENTIAL_VERSION_KEY: &str = "credential_version";
/// When the user last proved who they are on this session (sign-in, or a password asked
/// again): sensitive changes want this to be recent.
const AUTHENTICATED_AT_KEY: &str = "authenticated_at";
const IP_KEY: &str = "ip";
const USER_AGENT_KEY: &str = "user_agent";

/// How often, at most, a reading-only user's session is written back to extend its idle
/// timeout: writing on every request would cost a store write per page view for nothing.
/// With a short idle timeout it is written more often (a tenth of the timeout), so that
/// activity always extends it in time; the idle timeout is exact to within that interval.
const TOUCH_AT_MOST_EVERY: Duration = Duration::from_secs(60);

/// How long sessions last; set from the server's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// Limits of a session signed in with "keep me signed in".
    pub remember_idle: Duration,
    pub remember_absolute: Duration,
}

impl Default for SessionPolicy {
    /// The defaults: 30 minutes idle and 12 hours in all; remembered, 14 and 30 days.
    fn default() -> Self {
        let hour = Duration::from_secs(3600);
        Self {
            idle: hour / 2,
            absolute: hour * 12,
            remember_idle: hour * 24 * 14,
            remember_absolute: hour * 24 * 30,
        }
    }
}

impl SessionPolicy {
    fn limits(&self, remember: bool) -> (Duration, Duration) {
        if remember {
            (self.remember_idle, self.remember_absolute)
        } else {
            (self.idle, self.absolute)
        }
    }

    /// When a session that signed in at `signed_in_at` and was last used at `now` ends.
    fn expires_at(&self, remember: bool, signed_in_at: i64, now: i64) -> i64 {
        let (idle, absolute) = self.limits(remember);
        let seconds = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        now.saturating_add(seconds(idle)).min(signed_in_at.saturating_add(seconds(absolute)))
    }

    fn touch_interval(&self, remember: bool) -> i64 {
        let (idle, _) = self.limits(remember);
        let interval = (idle / 10).clamp(Duration::from_secs(1), TOUCH_AT_MOST_EVERY);
        i64::try_from(interval.as_secs()).unwrap_or(60)
    }
}

/// What the session store offers beyond tower-sessions' interface: reaching a user's
/// sessions through its index from user to sessions. The cost of each call grows with the
/// user's own sessions, never with other users'.
#[async_trait::async_trait]
pub trait UserSessions: Send + Sync + 'static {
    /// The live sessions of `user_id`, each under its handle.
    async fn list(&self, user_id: Uuid) -> Result<Vec<ListedSession>, AppError>;

    /// Ends the session of `user_id` with this handle; answers whether there was one. A
    /// handle of another user's session matches nothing.
    async fn end(&self, user_id: Uuid, handle: &str) -> Result<bool, AppError>;

    /// Deletes every session of `user_id` but `keep`; answers how many ended.
    async fn end_all_but(&self, user_id: Uuid, keep: Option<Id>) -> Result<u64, AppError>;

    /// The handle under which a session is listed: a name for it that cannot be turned
    /// back into the session id (the id itself never leaves the cookie).
    fn handle(&self, id: &Id) -> String;
}

/// A session as the store lists it: its handle and its data (read through [`SessionFacts`]).
pub struct ListedSession {
    pub handle: String,
    pub data: HashMap<String, serde_json::Value>,
}

/// What a listed session says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    pub handle: String,
    pub signed_in_at: i64,
    pub last_seen: i64,
    pub ip: String,
    pub user_agent: String,
}

impl From<ListedSession> for SessionFacts {
    fn from(listed: ListedSession) -> Self {
        let number = |key| listed.data.get(key).and_then(serde_json::Value::as_i64).unwrap_or(0);
        let text =
            |key| listed.data.get(key).and_then(serde_json::Value::as_str).unwrap_or("").to_owned();
        Self {
            signed_in_at: number(SIGNED_IN_AT_KEY),
            last_seen: number(LAST_SEEN_KEY),
            ip: text(IP_KEY),
            user_agent: text(USER_AGENT_KEY),
            handle: listed.handle,
        }
    }
}

/// A session about to begin.
pub struct NewSession<'a> {
    pub user_id: Uuid,
    /// The user's credential version now (see `users::User::credential_version`).
    pub credential_version: i64,
    /// "Keep me signed in": the longer limits and a persistent cookie.
    pub remember: bool,
    /// Where from: shown in the list of the user's sessions.
    pub client: &'a Client,
}

/// Who a session belongs to, since when, and with which password (its version).
#[derive(Debug, Clone, Copy)]
pub struct SignedIn {
    pub user_id: Uuid,
    pub signed_in_at: OffsetDateTime,
    pub credential_version: i64,
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

    /// The sign-in this session carries, if any. (The store never returns an expired one.)
    pub async fn signed_in(&self) -> Result<Option<SignedIn>, AppError> {
        let Some(user_id) = self.get::<Uuid>(USER_ID_KEY).await? else {
            return Ok(None);
        };
        let at = self.get::<i64>(SIGNED_IN_AT_KEY).await?.unwrap_or_default();
        let signed_in_at =
            OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let credential_version = self.get::<i64>(CREDENTIAL_VERSION_KEY).await?.unwrap_or(-1);

        Ok(Some(SignedIn { user_id, signed_in_at, credential_version }))
    }

    /// Signs a user in on a brand-new session.
    ///
    /// Whatever the request came with (an anonymous session, another user's, or an id an
    /// attacker planted) is deleted from the store first, and none of its data carries over:
    /// `flush` forgets the id, so the store creates the record under a fresh one.
    pub async fn begin(
        &self,
        new: NewSession<'_>,
        policy: &SessionPolicy,
    ) -> Result<SignedIn, AppError> {
        let now =
            OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let at = now.unix_timestamp();

        self.forget().await?;

        self.insert(USER_ID_KEY, new.user_id).await?;
        self.insert(SIGNED_IN_AT_KEY, at).await?;
        self.insert(AUTHENTICATED_AT_KEY, at).await?;
        self.insert(REMEMBER_KEY, new.remember).await?;
        self.insert(CREDENTIAL_VERSION_KEY, new.credential_version).await?;
        self.insert(IP_KEY, new.client.ip_text()).await?;
        self.insert(USER_AGENT_KEY, &new.client.user_agent).await?;
        self.extend(new.remember, at, at, policy).await?;
        if let Err(err) = self.store_now().await {
            // Nothing was stored: drop the data too, so that the session layer does not try
            // to store it again after the handler (which would replace this error's answer,
            // a form's redirect back with its message, by a bare failure).
            self.0.clear().await;
            return Err(err);
        }
        Ok(SignedIn {
            user_id: new.user_id,
            signed_in_at: now,
            credential_version: new.credential_version,
        })
    }

    /// Whether the user proved who they are on this session within `window`.
    pub async fn authenticated_within(&self, window: Duration) -> Result<bool, AppError> {
        let at = self.get::<i64>(AUTHENTICATED_AT_KEY).await?.unwrap_or_default();
        let age = OffsetDateTime::now_utc().unix_timestamp().saturating_sub(at);
        Ok(u64::try_from(age).is_ok_and(|age| age <= window.as_secs()))
    }

    /// The user just proved who they are again (say, by typing their password).
    pub async fn reauthenticated(&self) -> Result<(), AppError> {
        self.insert(AUTHENTICATED_AT_KEY, OffsetDateTime::now_utc().unix_timestamp()).await
    }

    /// The session's id, to tell it apart from the user's other sessions. Never shown.
    pub fn id(&self) -> Option<Id> {
        self.0.id()
    }

    /// After a password change made from this session: moves it to a new id (the old one
    /// stops working) and to the new credential version, keeping its data and its cookie's
    /// lifetime.
    pub async fn renew_after_password_change(
        &self,
        credential_version: i64,
    ) -> Result<(), AppError> {
        self.0.cycle_id().await.map_err(store_error)?;
        self.insert(CREDENTIAL_VERSION_KEY, credential_version).await?;

        let remember = self.get::<bool>(REMEMBER_KEY).await?.unwrap_or(false);
        let expires_at = self.get::<i64>(EXPIRES_AT_KEY).await?.unwrap_or_default();
        self.0.set_expiry(Some(cookie_lifetime(remember, expires_at)));
        self.store_now().await
    }

    /// Writes the record now rather than after the handler, as the session layer would:
    /// a store that fails then answers this request 503 with its reason, not a bare 500
    /// from the layer after the handler has already reported success.
    async fn store_now(&self) -> Result<(), AppError> {
        self.0.save().await.map_err(store_error)
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

    /// Marks the session as used, which pushes its idle timeout forward (never past its
    /// absolute one). Written at most once per touch interval, so that reading pages does
    /// not cost a store write each.
    pub async fn touch(&self, policy: &SessionPolicy) -> Result<(), AppError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let remember = self.get::<bool>(REMEMBER_KEY).await?.unwrap_or(false);
        let last_seen = self.get::<i64>(LAST_SEEN_KEY).await?.unwrap_or_default();
        let signed_in_at = self.get::<i64>(SIGNED_IN_AT_KEY).await?.unwrap_or_default();

        if now - last_seen >= policy.touch_interval(remember) {
            self.extend(remember, signed_in_at, now, policy).await?;
            // TODO: when this fails on a plain form post, the session layer retries the save
            // after the form's redirect, and its failure turns the form's answer into a JSON
            // 503; tower-sessions offers no way to mark the session as saved.
            self.store_now().await?;
        }
        Ok(())
    }

    async fn extend(
        &self,
        remember: bool,
        signed_in_at: i64,
        now: i64,
        policy: &SessionPolicy,
    ) -> Result<(), AppError> {
        let expires_at = policy.expires_at(remember, signed_in_at, now);

        self.insert(LAST_SEEN_KEY, now).await?;
        self.insert(EXPIRES_AT_KEY, expires_at).await?;
        self.0.set_expiry(Some(cookie_lifetime(remember, expires_at)));
        Ok(())
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

/// The cookie: persistent until the session's end when remembered, else it lasts until the
/// browser closes (the server's limits apply either way).
fn cookie_lifetime(remember: bool, expires_at: i64) -> Expiry {
    match OffsetDateTime::from_unix_timestamp(expires_at) {
        Ok(at) if remember => Expiry::AtDateTime(at),
        _ => Expiry::OnSessionEnd,
    }
}

fn store_error(err: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %err, "session store failed");
    AppError::Unavailable {}
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    #[test]
    fn activity_extends_a_session_up_to_its_absolute_limit_only() {
        let policy = SessionPolicy::default();
        let signed_in = 1_000_000;

        assert_eq!(policy.expires_at(false, signed_in, signed_in), signed_in + HOUR / 2);
        let late = signed_in + 11 * HOUR + 50 * 60;
        assert_eq!(policy.expires_at(false, signed_in, late), signed_in + 12 * HOUR);
        assert_eq!(policy.expires_at(true, signed_in, signed_in), signed_in + 14 * 24 * HOUR);
    }

    #[test]
    fn short_idle_timeouts_are_touched_often_enough() {
        let policy = SessionPolicy { idle: Duration::from_secs(60), ..SessionPolicy::default() };

        assert_eq!(policy.touch_interval(false), 6);
        assert_eq!(SessionPolicy::default().touch_interval(false), 60);
        assert_eq!(policy.touch_interval(true), 60);
    }
}
