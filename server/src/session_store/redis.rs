//! Sessions in Redis or Valkey, for several server instances sharing them.
//!
//! Keys, all under the configured prefix (`sesame:` by default) and then [`LAYOUT`]:
//! - `session:<handle>`: the record's data as JSON, the same text the SQL stores keep; the
//!   key expires when the session ends, by Redis' own TTL;
//! - `user:<user id>`: that user's session handles, each scored by when it ends (the user
//!   index). It has no TTL: the sweep takes each handle off as its session expires, and
//!   Redis drops the key once it is empty. So a Redis that evicts keys with a TTL when full
//!   (`volatile-*`) may take sessions, signing them out, but never an index while its
//!   sessions live; `allkeys-*` could, and gets a warning at start-up;
//! - `expiries`: `<handle>|<user id>` scored by when each session ends, read by the sweep to
//!   note each expiry in the audit trail (Redis deletes the session itself).
//!
//! The shapes are picked for memory (`make bench` prints bytes per session): a plain string
//! stays one allocation where a hash holding a long value would not, and a user's few
//! handles fit Redis' compact small-sorted-set encoding where a set of strings would not
//! (Redis 7.0). The handles stay hex, so that `redis-cli` shows keys a person can read.
//!
//! Every change runs as one Lua script, so the session, the index and the expiries never
//! disagree, whatever runs beside it.
//!
//! TODO: key names are built inside the scripts, which Redis Cluster does not allow; a
//! single Redis or Valkey (with replicas) is what is supported.

use std::{fmt, sync::Arc, time::Duration};

use anyhow::Context;
use app::{
    auth::session::{ListedSession, UserSessions, USER_ID_KEY},
    error::AppError,
};
use async_trait::async_trait;
use redis::{
    aio::{ConnectionManager, ConnectionManagerConfig},
    Script,
};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use uuid::Uuid;

use super::{decode, encode, expires_at, hex, id_hash, now, unhex, user_id};

/// Names this layout of keys. Keys of an earlier layout (none of them has this part) are
/// never read: their sessions are signed out by an upgrade, and they expire by themselves.
pub const LAYOUT: &str = "v2:";

/// How long a command may wait for an answer before the request gets a 503.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long connecting may take; while Redis is away, reconnecting is tried again at the
/// next command, so service resumes by itself when it is back.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Expiries noted per sweep script run (the sweep repeats until none are left).
const SWEEP_BATCH: usize = 500;

/// Shared by every script: adding a session to its user's index and to the expiries,
/// taking it off both, and reading a record's owner (`{user_key}` is the data's user id
/// key, filled in when the scripts are built; unreadable data has none).
const COMMON: &str = r"
local function index(prefix, user, handle, ends)
  redis.call('ZADD', prefix .. 'user:' .. user, ends, handle)
  redis.call('ZADD', prefix .. 'expiries', ends, handle .. '|' .. user)
end
local function unindex(prefix, user, handle)
  redis.call('ZREM', prefix .. 'user:' .. user, handle)
  redis.call('ZREM', prefix .. 'expiries', handle .. '|' .. user)
end
local function owner(data)
  local ok, record = pcall(cjson.decode, data)
  if ok and type(record) == 'table' and type(record['{user_key}']) == 'string' then
    return record['{user_key}']
  end
  return ''
end
";

/// ARGV: prefix, handle, user ('' if none), data, ends, and `new` or `existing`. A new
/// record is written only under a free handle; an existing one only while it still exists,
/// so that a session ended meanwhile (logout, revocation, expiry) does not come back.
/// Answers 1 if written.
const WRITE: &str = r"
local key = ARGV[1] .. 'session:' .. ARGV[2]
local before = redis.call('GET', key)
if ARGV[6] == 'new' then
  if before then return 0 end
else
  if not before then return 0 end
  local was = owner(before)
  if was ~= '' and was ~= ARGV[3] then unindex(ARGV[1], was, ARGV[2]) end
end
local ends = tonumber(ARGV[5])
redis.call('SET', key, ARGV[4], 'EXAT', ends)
if ARGV[3] ~= '' then index(ARGV[1], ARGV[3], ARGV[2], ends) end
return 1
";

/// ARGV: prefix, handle. Answers the record's data and when it ends, or nothing.
const LOAD: &str = r"
local key = ARGV[1] .. 'session:' .. ARGV[2]
local data = redis.call('GET', key)
if not data then return false end
return {data, redis.call('EXPIRETIME', key)}
";

/// ARGV: prefix, handle, user ('' for whoever owns it). Deletes the session if it belongs
/// to that user; answers 1 if it did.
const END: &str = r"
local key = ARGV[1] .. 'session:' .. ARGV[2]
local data = redis.call('GET', key)
if not data then return 0 end
local user = owner(data)
if ARGV[3] ~= '' and user ~= ARGV[3] then return 0 end
redis.call('DEL', key)
if user ~= '' then unindex(ARGV[1], user, ARGV[2]) end
return 1
";

/// ARGV: prefix, user, handle to keep ('' for none). Answers how many sessions ended.
/// Handles whose session has expired are left to the sweep, which notes their expiry.
const END_ALL_BUT: &str = r"
local ended = 0
for _, handle in ipairs(redis.call('ZRANGE', ARGV[1] .. 'user:' .. ARGV[2], 0, -1)) do
  if handle ~= ARGV[3] and redis.call('DEL', ARGV[1] .. 'session:' .. handle) == 1 then
    ended = ended + 1
    unindex(ARGV[1], ARGV[2], handle)
  end
end
return ended
";

/// ARGV: prefix, user, now. Answers handle, data, handle, data... of the user's live
/// sessions. (Handles of expired sessions stay in the index until the sweep notes them.)
const LIST: &str = r"
local found = {}
local index = ARGV[1] .. 'user:' .. ARGV[2]
for _, handle in ipairs(redis.call('ZRANGE', index, '(' .. ARGV[3], '+inf', 'BYSCORE')) do
  local data = redis.call('GET', ARGV[1] .. 'session:' .. handle)
  if data and owner(data) == ARGV[2] then
    table.insert(found, handle)
    table.insert(found, data)
  end
end
return found
";

/// ARGV: prefix, now, batch. Answers the user of each session that expired and was not
/// noted yet, taking it off the expiries and its user's index.
const SWEEP: &str = r"
local due = redis.call('ZRANGE', ARGV[1] .. 'expiries', '-inf', ARGV[2], 'BYSCORE',
                       'LIMIT', 0, tonumber(ARGV[3]))
local expired = {}
for _, entry in ipairs(due) do
  local handle, user = string.match(entry, '^([^|]*)|(.*)$')
  local ends = redis.call('EXPIRETIME', ARGV[1] .. 'session:' .. handle)
  if ends > 0 then
    redis.call('ZADD', ARGV[1] .. 'expiries', ends, entry)
  else
    unindex(ARGV[1], user, handle)
    table.insert(expired, user)
  end
end
return expired
";

#[derive(Clone)]
pub struct RedisSessionStore {
    redis: ConnectionManager,
    prefix: Arc<str>,
    scripts: Arc<Scripts>,
}

struct Scripts {
    write: Script,
    load: Script,
    end: Script,
    end_all_but: Script,
    list: Script,
    sweep: Script,
}

impl fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSessionStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisSessionStore {
    /// Connects to `url` (`redis://[:password@]host:port[/db]`, or `rediss://` for TLS, the
    /// certificate checked against the system's trust store).
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("SESSION_STORE_URL is not a Redis URL")?;
        // The connection manager reconnects by itself; a command sent while Redis is away
        // fails after the timeouts (503) instead of waiting for it to come back.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT)
            .set_number_of_retries(1)
            .set_max_delay(200);
        let redis = ConnectionManager::new_with_config(client, config)
            .await
            .context("cannot connect to the session store (SESSION_STORE_URL)")?;
        let common = COMMON.replace("{user_key}", USER_ID_KEY);
        let script = |body: &str| Script::new(&format!("{common}{body}"));
        let scripts = Scripts {
            write: script(WRITE),
            load: script(LOAD),
            end: script(END),
            end_all_but: script(END_ALL_BUT),
            list: script(LIST),
            sweep: script(SWEEP),
        };
        let prefix = format!("{prefix}{LAYOUT}").into();
        let store = Self { redis, prefix, scripts: Arc::new(scripts) };
        anyhow::ensure!(store.is_usable().await, "the session store does not take writes");
        store.warn_of_eviction().await;
        Ok(store)
    }

    /// Warns when Redis, once full, may evict any key: a user's index could then go while
    /// their sessions live, and "sign out the other sessions" would miss them. (Managed
    /// Redis often refuses CONFIG; then nothing is said.)
    async fn warn_of_eviction(&self) {
        let policy: redis::RedisResult<Vec<String>> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxmemory-policy")
            .query_async(&mut self.redis.clone())
            .await;
        match policy.as_deref() {
            Ok([_, policy]) if policy.starts_with("allkeys-") => tracing::warn!(
                policy,
                "the session store's Redis evicts any key when full, user indexes included; \
                 use maxmemory-policy noeviction (or a volatile-* policy)"
            ),
            Ok(_) => {}
            Err(err) => tracing::debug!(error = %err, "cannot read Redis' eviction policy"),
        }
    }

    /// Whether Redis takes a write: a PING would pass on a read-only replica, or on a Redis
    /// out of memory, where no session can be saved.
    pub async fn is_usable(&self) -> bool {
        let mut redis = self.redis.clone();
        redis::cmd("SET")
            .arg(format!("{}healthz", self.prefix))
            .arg(1)
            .arg("PX")
            .arg(10_000)
            .query_async::<()>(&mut redis)
            .await
            .is_ok()
    }

    /// Notes the sessions that Redis expired since the last sweep; answers their users.
    pub async fn sweep(&self) -> Result<Vec<Uuid>, AppError> {
        let mut users = Vec::new();
        loop {
            let batch: Vec<String> = self
                .run(&self.scripts.sweep, &[&now().to_string(), &SWEEP_BATCH.to_string()])
                .await
                .map_err(unavailable)?;
            let done = batch.len() < SWEEP_BATCH;
            users.extend(batch.iter().filter_map(|id| id.parse::<Uuid>().ok()));
            if done {
                return Ok(users);
            }
        }
    }

    /// Runs a script with the key prefix, then `args`, as its ARGV.
    async fn run<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        args: &[&str],
    ) -> redis::RedisResult<T> {
        let mut invocation = script.prepare_invoke();
        invocation.arg(&*self.prefix);
        for arg in args {
            invocation.arg(*arg);
        }
        invocation.invoke_async(&mut self.redis.clone()).await
    }

    /// Writes `record`, `new` or `existing` (see [`WRITE`]); answers whether it did.
    async fn write(&self, record: &Record, mode: &str) -> session_store::Result<bool> {
        let handle = hex(&id_hash(&record.id));
        let user = user_id(record).unwrap_or_default();
        let ends = expires_at(record).to_string();
        let written: i64 = self
            .run(&self.scripts.write, &[&handle, &user, &encode(record)?, &ends, mode])
            .await
            .map_err(backend)?;
        Ok(written == 1)
    }
}

fn backend(err: redis::RedisError) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn unavailable(err: redis::RedisError) -> AppError {
    tracing::error!(error = %err, "session store unavailable");
    AppError::Unavailable {}
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    /// Stores a new record under a fresh id (never the one it arrives with; see the SQL
    /// store for why).
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            record.id = Id::default();
            if self.write(record, "new").await? {
                return Ok(());
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if !self.write(record, "existing").await? {
            tracing::debug!("save skipped: the session ended while the request ran");
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let handle = hex(&id_hash(id));
        let found: Option<(String, i64)> =
            self.run(&self.scripts.load, &[&handle]).await.map_err(backend)?;
        match found {
            Some((data, ends)) if ends > now() => decode(id, &data, ends).map(Some),
            _ => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let handle = hex(&id_hash(id));
        let _: i64 = self.run(&self.scripts.end, &[&handle, ""]).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl UserSessions for RedisSessionStore {
    async fn list(&self, user_id: Uuid) -> Result<Vec<ListedSession>, AppError> {
        let found: Vec<String> = self
            .run(&self.scripts.list, &[&user_id.to_string(), &now().to_string()])
            .await
            .map_err(unavailable)?;
        found
            .chunks_exact(2)
            .map(|pair| {
                let data = serde_json::from_str(&pair[1]).map_err(|err| {
                    tracing::error!(error = %err, "a session record holds unreadable data");
                    AppError::Internal {}
                })?;
                Ok(ListedSession { handle: pair[0].clone(), data })
            })
            .collect()
    }

    async fn end(&self, user_id: Uuid, handle: &str) -> Result<bool, AppError> {
        if unhex(handle).is_none() {
            return Ok(false);
        }
        let ended: i64 = self
            .run(&self.scripts.end, &[handle, &user_id.to_string()])
            .await
            .map_err(unavailable)?;
        Ok(ended == 1)
    }

    async fn end_all_but(&self, user_id: Uuid, keep: Option<Id>) -> Result<u64, AppError> {
        let keep = keep.map(|id| hex(&id_hash(&id))).unwrap_or_default();
        let ended: u64 = self
            .run(&self.scripts.end_all_but, &[&user_id.to_string(), &keep])
            .await
            .map_err(unavailable)?;
        Ok(ended)
    }

    fn handle(&self, id: &Id) -> String {
        hex(&id_hash(id))
    }
}
