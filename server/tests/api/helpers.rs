//! Starts the real server on port 0 with a fresh store, and talks to it over HTTP like a
//! browser would, keeping the session cookie by hand so tests can look at it.
//!
//! The store is a fresh SQLite file by default. The same tests run on the other stores
//! (`make test` does all three) when these are set:
//! - `SESAME_TEST_POSTGRES=postgres://...`: every test app gets a database of its own on
//!   that PostgreSQL server, for users, audit and (without Redis) sessions;
//! - `SESAME_TEST_REDIS=redis://...`: sessions live there, under a key prefix of the test
//!   app's own.

use std::path::{Path, PathBuf};

use clap::Parser;
use reqwest::{header, redirect, Response, StatusCode};
use server::{config::Settings, Server};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use tempfile::TempDir;

pub const PASSWORD: &str = "correct-horse-1";

/// A running server with its own database (and directory, removed when dropped).
pub struct TestApp {
    pub base: String,
    pub server: Option<Server>,
    /// Holds the SQLite file (when there is one) until the app is dropped.
    _dir: TempDir,
    pub store: TestStore,
    extra_args: Vec<String>,
    pub http: reqwest::Client,
}

/// Where a test app keeps its users and sessions.
#[derive(Debug, Clone)]
pub struct TestStore {
    pub database_url: String,
    /// The Redis URL and this app's key prefix, when sessions live in Redis.
    pub redis: Option<(String, String)>,
}

impl TestStore {
    /// The store `SESAME_TEST_STORE` names: `sqlite` (the default), `postgres`, or `redis`
    /// (PostgreSQL for users, Redis for sessions).
    pub async fn fresh(dir: &Path) -> Self {
        match std::env::var("SESAME_TEST_STORE").as_deref() {
            Err(_) | Ok("sqlite") => Self {
                database_url: format!("sqlite://{}", dir.join("sesame.db").display()),
                redis: None,
            },
            Ok("postgres") => Self::postgres().await,
            Ok("redis") => Self::postgres().await.with_redis(),
            Ok(other) => panic!("SESAME_TEST_STORE is sqlite, postgres or redis, not {other}"),
        }
    }

    /// A new database on the PostgreSQL server at `SESAME_TEST_POSTGRES`.
    pub async fn postgres() -> Self {
        sqlx::any::install_default_drivers();
        let admin = require("SESAME_TEST_POSTGRES");
        let name = format!("t{}", uuid::Uuid::new_v4().simple());
        let pool = AnyPool::connect(&admin).await.expect("SESAME_TEST_POSTGRES answers");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .expect("a test database is created");
        pool.close().await;
        let mut url = url::Url::parse(&admin).expect("SESAME_TEST_POSTGRES is a URL");
        url.set_path(&name);
        Self { database_url: url.to_string(), redis: None }
    }

    /// The same, with sessions under a key prefix of their own on `SESAME_TEST_REDIS`.
    pub fn with_redis(self) -> Self {
        let prefix = format!("t{}:", uuid::Uuid::new_v4().simple());
        Self { redis: Some((require("SESAME_TEST_REDIS"), prefix)), ..self }
    }

    /// The command-line settings that point a server (or the `sesame` command) here.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--database-url".to_owned(), self.database_url.clone()];
        if let Some((url, prefix)) = &self.redis {
            args.extend(["--session-store-url".into(), url.clone()]);
            args.extend(["--redis-prefix".into(), prefix.clone()]);
        }
        args
    }

    pub fn name(&self) -> &'static str {
        match (&self.redis, self.database_url.starts_with("sqlite:")) {
            (Some(_), _) => "redis",
            (None, true) => "sqlite",
            (None, false) => "postgres",
        }
    }

    /// A connection to the test's Redis, and what the names of its keys start with.
    pub async fn redis(&self) -> Option<(redis::aio::MultiplexedConnection, String)> {
        let (url, prefix) = self.redis.as_ref()?;
        let client = redis::Client::open(url.as_str()).expect("a Redis URL");
        let connection =
            client.get_multiplexed_async_connection().await.expect("the test reaches Redis");
        Some((connection, format!("{prefix}{}", server::session_store::redis::LAYOUT)))
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts with extra command-line settings, e.g. `["--public-origin", "https://x.test"]`.
    pub async fn spawn_with(extra: &[&str]) -> Self {
        init_logging();
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = TestStore::fresh(dir.path()).await;
        let extra_args = extra.iter().map(|s| s.to_string()).collect();
        let mut app = Self {
            base: String::new(),
            server: None,
            _dir: dir,
            store,
            extra_args,
            http: reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .expect("an HTTP client"),
        };
        app.start().await;
        app
    }

    fn settings(&self) -> Settings {
        let mut args = vec![
            "sesame".to_string(),
            "--addr".into(),
            "127.0.0.1:0".into(),
            "--site-root".into(),
            site_root().display().to_string(),
        ];
        args.extend(self.store.args());
        // Tests sign up many users from 127.0.0.1, beyond the default per-address limit.
        if !self.extra_args.iter().any(|arg| arg == "--signups-per-ip") {
            args.extend(["--signups-per-ip".into(), "1000".into()]);
        }
        args.extend(self.extra_args.iter().cloned());
        Settings::try_parse_from(args).expect("valid test settings")
    }

    async fn start(&mut self) {
        let server = Server::start(self.settings()).await.expect("the server starts");
        self.base = format!("http://{}", server.addr());
        self.server = Some(server);
    }

    /// Stops the server (as on SIGTERM) and starts a new one on the same database.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("the server stops cleanly");
        }
        self.start().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new browser-like visitor with an empty cookie jar.
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor { app: self, cookie: None }
    }

    /// The app's database (users, audit, and sessions unless they are in Redis).
    pub async fn db(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::pool::PoolOptions::new()
            .max_connections(2)
            .connect(&self.store.database_url)
            .await
            .expect("the test can open the database")
    }

    /// The app's session store, opened as the server opens it.
    pub async fn session_store(&self) -> server::session_store::Store {
        let (url, prefix) = self.store.redis.clone().unzip();
        server::session_store::Store::open(
            url.as_deref(),
            &prefix.unwrap_or_default(),
            &self.db().await,
        )
        .await
        .expect("the session store opens")
    }

    /// How many session records the store holds, live or expired but not yet removed.
    pub async fn session_rows(&self) -> i64 {
        if let Some((mut redis, prefix)) = self.store.redis().await {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{prefix}session:*"))
                .query_async(&mut redis)
                .await
                .expect("Redis answers");
            return i64::try_from(keys.len()).expect("a count");
        }
        let db = self.db().await;
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(&db)
            .await
            .expect("sessions can be counted")
    }

    /// How many session records of this user the store holds.
    pub async fn sessions_of(&self, username: &str) -> i64 {
        if self.store.redis.is_some() {
            let handles = self.redis_index(username).await;
            let (mut redis, prefix) = self.store.redis().await.expect("Redis");
            let mut live = 0;
            for handle in handles {
                let exists: bool = redis::cmd("EXISTS")
                    .arg(format!("{prefix}session:{handle}"))
                    .query_async(&mut redis)
                    .await
                    .expect("Redis answers");
                live += i64::from(exists);
            }
            return live;
        }
        let db = self.db().await;
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE u.username = $1",
        )
        .bind(username)
        .fetch_one(&db)
        .await
        .expect("a count")
    }

    /// The handles in this user's index in Redis, expired or not.
    pub async fn redis_index(&self, username: &str) -> Vec<String> {
        let user_id = self.user_id(username).await;
        let (mut redis, prefix) = self.store.redis().await.expect("sessions in Redis");
        redis::cmd("ZRANGE")
            .arg(format!("{prefix}user:{user_id}"))
            .arg(0)
            .arg(-1)
            .query_async(&mut redis)
            .await
            .expect("Redis answers")
    }

    /// Whether the store has a record for this cookie value (looked up by its hash).
    pub async fn has_session_record(&self, cookie_value: &str) -> bool {
        self.session_data(cookie_value).await.is_some()
    }

    /// The data of the store record behind this cookie value, as JSON.
    pub async fn session_data(&self, cookie_value: &str) -> Option<serde_json::Value> {
        let hash = id_hash(cookie_value)?;
        let data: Option<String> = if let Some((mut redis, prefix)) = self.store.redis().await {
            redis::cmd("GET")
                .arg(format!("{prefix}session:{}", hex(&hash)))
                .query_async(&mut redis)
                .await
                .expect("Redis answers")
        } else {
            let db = self.db().await;
            sqlx::query_scalar("SELECT data FROM sessions WHERE id_hash = $1")
                .bind(hash)
                .fetch_optional(&db)
                .await
                .expect("sessions can be queried")
        };
        data.map(|text| serde_json::from_str(&text).expect("records hold JSON"))
    }

    pub async fn user_id(&self, username: &str) -> String {
        let db = self.db().await;
        sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(&db)
            .await
            .expect("the user exists")
    }

    /// POSTs a form to a server function, as JavaScript would (no redirect expected).
    pub async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .http
            .post(self.url(path))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("sesame={cookie}"));
        }
        request.body(encode(fields)).send().await.expect("the server answers")
    }

    /// POSTs a form as a browser with JavaScript off does: it asks for HTML and names the
    /// page the form was on (`referer`, a path here or any absolute URL).
    pub async fn submit(
        &self,
        path: &str,
        referer: Option<&str>,
        cookie: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut request = self
            .http
            .post(self.url(path))
            .header(header::ACCEPT, "text/html")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(referer) = referer {
            let referer =
                if referer.starts_with('/') { self.url(referer) } else { referer.to_owned() };
            request = request.header(header::REFERER, referer);
        }
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("sesame={cookie}"));
        }
        request.body(body).send().await.expect("the server answers")
    }

    /// GETs a page as a browser would, with an optional raw session cookie value.
    pub async fn page(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut request = self.http.get(self.url(path)).header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("sesame={cookie}"));
        }
        request.send().await.expect("the server answers")
    }

    /// Signs up a user and returns the new session's cookie value.
    pub async fn sign_up(&self, username: &str) -> String {
        let response = self
            .post_form(
                "/api/signup",
                None,
                &[("username", username), ("password", PASSWORD), ("password_confirm", PASSWORD)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "sign-up of {username} failed");
        session_cookie(&response).expect("sign-up sets the session cookie").value
    }

    /// Logs `username` in from a browser with this User-Agent; returns the new cookie.
    pub async fn log_in_from_device(&self, username: &str, user_agent: &str) -> String {
        let response = self
            .http
            .post(self.url("/api/login"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::USER_AGENT, user_agent)
            .body(encode(&[("username", username), ("password", PASSWORD)]))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
        session_cookie(&response).expect("a session").value
    }

    /// Logs an existing user in once more, as another device would; returns its cookie.
    pub async fn sign_up_again_elsewhere(&self, username: &str) -> String {
        let mut device = self.visitor();
        let response = device.log_in(username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        device.cookie.expect("a session cookie")
    }

    /// Whether this raw cookie value is signed in: /account renders instead of redirecting.
    pub async fn is_signed_in(&self, cookie: &str) -> bool {
        let response = self.page("/account", Some(cookie)).await;
        match response.status() {
            StatusCode::OK => true,
            StatusCode::SEE_OTHER => false,
            other => panic!("/account answered {other}"),
        }
    }
}

/// `SESAME_TEST_LOG=debug cargo test ...` shows the servers' logs of failing tests.
fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("SESAME_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

pub fn site_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site")
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let v: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn require(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run these tests through `make test`, which starts the stores")
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn id_hash(cookie_value: &str) -> Option<Vec<u8>> {
    let id: tower_sessions::session::Id = cookie_value.parse().ok()?;
    Some(Sha256::digest(id.0.to_le_bytes()).to_vec())
}

/// A visitor that keeps the session cookie between requests, like a browser.
pub struct Visitor<'a> {
    app: &'a TestApp,
    pub cookie: Option<String>,
}

impl Visitor<'_> {
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let response = self.app.post_form(path, self.cookie.as_deref(), fields).await;
        self.keep_cookie(&response);
        response
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let response = self.app.page(path, self.cookie.as_deref()).await;
        self.keep_cookie(&response);
        response
    }

    /// Signs up `username` (elsewhere) and logs this visitor in as them.
    pub async fn log_in_after_sign_up(&mut self, username: &str) {
        self.app.sign_up(username).await;
        let response = self.log_in(username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    pub async fn log_in(&mut self, username: &str, password: &str) -> Response {
        self.post("/api/login", &[("username", username), ("password", password)]).await
    }

    fn keep_cookie(&mut self, response: &Response) {
        if let Some(cookie) = session_cookie(response) {
            self.cookie = (!cookie.is_removal()).then_some(cookie.value);
        }
    }
}

/// The session cookie a response sets, with its attributes as sent.
#[derive(Debug, Clone)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    pub attributes: Vec<(String, Option<String>)>,
}

impl SetCookie {
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.attributes
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_deref())
    }

    pub fn has(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    pub fn is_removal(&self) -> bool {
        self.attribute("Max-Age") == Some(Some("0"))
    }
}

pub fn set_cookies(response: &Response) -> Vec<SetCookie> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(parse_set_cookie)
        .collect()
}

pub fn session_cookie(response: &Response) -> Option<SetCookie> {
    set_cookies(response).into_iter().find(|c| c.name == "sesame" || c.name == "__Host-sesame")
}

fn parse_set_cookie(header: &str) -> Option<SetCookie> {
    let mut parts = header.split(';').map(str::trim);
    let (name, value) = parts.next()?.split_once('=')?;
    let attributes = parts
        .map(|part| match part.split_once('=') {
            Some((key, value)) => (key.to_string(), Some(value.to_string())),
            None => (part.to_string(), None),
        })
        .collect();
    Some(SetCookie { name: name.into(), value: value.into(), attributes })
}

pub fn location(response: &Response) -> Option<String> {
    response.headers().get(header::LOCATION)?.to_str().ok().map(str::to_owned)
}
