//! Several server instances sharing PostgreSQL and Redis behave as one, and a store that
//! goes away gets 503s, never a wrong answer, until it is back.
//!
//! Each instance is the real `sesame` binary in a process of its own. The cross-instance
//! tests run on the PostgreSQL and Redis servers that `make test` starts
//! (`SESAME_TEST_POSTGRES`, `SESAME_TEST_REDIS`), with sessions in PostgreSQL and then in
//! Redis. The outage tests start PostgreSQL and Redis servers of their own, from Debian's
//! packages, so that they can stop them mid-test.
//!
//! No instance caches sessions or users in memory: each request reads the store, so the
//! worst-case staleness across instances is nil, which these tests check at the very next
//! request.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use helpers::{encode, session_cookie, site_root, TestStore, PASSWORD};
use reqwest::{header, redirect, StatusCode};

/// A `sesame` process, killed when dropped.
struct Instance {
    child: Child,
    args: Vec<String>,
    env: Vec<(String, String)>,
    base: String,
    http: reqwest::Client,
}

impl Instance {
    async fn start(store: &[String], extra: &[&str]) -> Self {
        Self::start_with_env(store, extra, &[]).await
    }

    async fn start_with_env(store: &[String], extra: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut args: Vec<String> = vec!["--addr".into(), format!("127.0.0.1:{port}")];
        args.extend(["--site-root".into(), site_root().display().to_string()]);
        args.extend(["--signups-per-ip".into(), "1000".into()]);
        args.extend(store.iter().cloned());
        args.extend(extra.iter().map(|arg| arg.to_string()));
        let http = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("an HTTP client");
        let env: Vec<_> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let child = Self::spawn(&args, &env);
        let base = format!("http://127.0.0.1:{port}");
        let instance = Self { child, args, env, base, http };
        instance.wait_until_healthy().await;
        instance
    }

    fn spawn(args: &[String], env: &[(String, String)]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_sesame"))
            .args(args)
            .envs(env.iter().cloned())
            .env("SESAME_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("sesame starts")
    }

    async fn wait_until_healthy(&self) {
        let started = Instant::now();
        while self.health().await.0 != StatusCode::OK {
            assert!(started.elapsed() < Duration::from_secs(30), "the instance did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the process as a deployment would (SIGTERM, graceful) and starts it again.
    async fn restart(&mut self) {
        run(Command::new("kill").arg(self.child.id().to_string()));
        self.child.wait().expect("sesame stops");
        self.child = Self::spawn(&self.args, &self.env);
        self.wait_until_healthy().await;
    }

    /// Status and body of /healthz (status 0 while nothing listens).
    async fn health(&self) -> (StatusCode, String) {
        match self.http.get(format!("{}/healthz", self.base)).send().await {
            Ok(response) => (response.status(), response.text().await.unwrap_or_default()),
            Err(_) => (StatusCode::from_u16(599).expect("a status"), String::new()),
        }
    }

    async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("sesame={cookie}"));
        }
        request.body(encode(fields)).send().await.expect("the instance answers")
    }

    async fn page(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, format!("sesame={cookie}"))
            .send()
            .await
            .expect("the instance answers")
    }

    async fn sign_up(&self, username: &str) -> String {
        let fields =
            [("username", username), ("password", PASSWORD), ("password_confirm", PASSWORD)];
        let response = self.post("/api/signup", None, &fields).await;
        assert_eq!(response.status(), StatusCode::OK);
        session_cookie(&response).expect("a session").value
    }

    async fn log_in(&self, username: &str, password: &str) -> reqwest::Response {
        self.post("/api/login", None, &[("username", username), ("password", password)]).await
    }

    /// Whether this cookie is signed in here: the account page renders (200) rather than
    /// sending to the login page (303). Anything else fails the test.
    async fn is_signed_in(&self, cookie: &str) -> bool {
        let status = self.page("/account", cookie).await.status();
        assert!(status == StatusCode::OK || status == StatusCode::SEE_OTHER, "got {status}");
        status == StatusCode::OK
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("an address").port()
}

/// The two shared setups: sessions in PostgreSQL, and sessions in Redis. Each gets a fresh
/// database (and key prefix) of its own.
async fn shared_stores() -> Vec<TestStore> {
    vec![TestStore::postgres().await, TestStore::postgres().await.with_redis()]
}

async fn two_instances(store: &TestStore, extra: &[&str]) -> (Instance, Instance) {
    let args = store.args();
    (Instance::start(&args, extra).await, Instance::start(&args, extra).await)
}

#[tokio::test]
async fn c20_a_login_through_one_instance_is_valid_on_the_other_even_under_parallel_calls() {
    for store in shared_stores().await {
        let (a, b) = two_instances(&store, &[]).await;

        let cookie = a.sign_up("alice").await;

        let page = b.page("/account", &cookie).await;
        assert_eq!(page.status(), StatusCode::OK, "{}", store.name());
        assert!(page.text().await.expect("a page").contains("alice"));
        let again = b.log_in("alice", PASSWORD).await;
        assert_eq!(again.status(), StatusCode::OK);
        let other = session_cookie(&again).expect("a session").value;
        assert!(a.is_signed_in(&other).await, "{}", store.name());

        // 100 parallel server-function calls on one session, split between the instances.
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..100 {
            let instance = if n % 2 == 0 { &a } else { &b };
            let request = instance
                .http
                .post(format!("{}/api/current_user", instance.base))
                .header(header::COOKIE, format!("sesame={cookie}"));
            calls.spawn(async move {
                let response = request.send().await.expect("an answer");
                let status = response.status();
                let body: serde_json::Value = response.json().await.expect("JSON");
                (status, body["username"].as_str().map(str::to_owned))
            });
        }
        while let Some(answer) = calls.join_next().await {
            let (status, username) = answer.expect("the task");
            assert_eq!(status, StatusCode::OK, "{}", store.name());
            assert_eq!(username.as_deref(), Some("alice"), "{}", store.name());
        }
    }
}

#[tokio::test]
async fn c20_sessions_survive_restarting_an_instance_and_stay_valid_on_the_other() {
    for store in shared_stores().await {
        let (mut a, b) = two_instances(&store, &[]).await;
        let cookie = a.sign_up("alice").await;

        a.restart().await;

        assert!(a.is_signed_in(&cookie).await, "{}: lost at A's restart", store.name());
        assert!(b.is_signed_in(&cookie).await, "{}", store.name());
    }
}

#[tokio::test]
async fn c20_activity_through_one_instance_keeps_the_session_alive_on_the_other() {
    for store in shared_stores().await {
        // A 3 s idle limit; the session is used through B only, for longer than that.
        let (a, b) = two_instances(&store, &["--session-idle", "3s"]).await;
        let cookie = a.sign_up("alice").await;
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            assert!(b.is_signed_in(&cookie).await, "{}", store.name());
            tokio::time::sleep(Duration::from_millis(500)).await;
        }

        assert!(a.is_signed_in(&cookie).await, "{}: B's activity not seen by A", store.name());
    }
}

#[tokio::test]
async fn c20_a_logout_on_one_instance_ends_the_session_on_the_other_at_its_next_request() {
    for store in shared_stores().await {
        let (a, b) = two_instances(&store, &[]).await;
        let cookie = a.sign_up("alice").await;
        assert!(a.is_signed_in(&cookie).await);

        assert_eq!(b.post("/api/logout", Some(&cookie), &[]).await.status(), StatusCode::OK);

        let page = a.page("/account", &cookie).await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER, "{}", store.name());
        let location = page.headers()[header::LOCATION].to_str().expect("ASCII").to_owned();
        assert!(location.contains("ended=1"), "{location}");
        let call = a.post("/api/list_sessions", Some(&cookie), &[]).await;
        assert_eq!(call.status(), StatusCode::UNAUTHORIZED, "{}", store.name());
    }
}

#[tokio::test]
async fn c20_revocation_and_password_change_on_one_instance_end_sessions_on_the_other() {
    for store in shared_stores().await {
        let (a, b) = two_instances(&store, &[]).await;
        let on_a = a.sign_up("alice").await;
        let on_b = session_cookie(&b.log_in("alice", PASSWORD).await).expect("a session").value;

        // B signs out every other session: A's is gone at A's next request.
        let revoked = b.post("/api/revoke_other_sessions", Some(&on_b), &[]).await;
        assert_eq!(revoked.status(), StatusCode::OK, "{}", store.name());
        assert!(!a.is_signed_in(&on_a).await, "{}: revocation on B not seen by A", store.name());

        // A signs in again; B changes the password: A's session ends, B's goes on.
        let on_a = session_cookie(&a.log_in("alice", PASSWORD).await).expect("a session").value;
        let new_password = "a-new-correct-horse-2";
        let changed = b
            .post(
                "/api/change_password",
                Some(&on_b),
                &[
                    ("current_password", PASSWORD),
                    ("password", new_password),
                    ("password_confirm", new_password),
                ],
            )
            .await;
        assert_eq!(changed.status(), StatusCode::OK, "{}", store.name());
        let renewed = session_cookie(&changed).expect("a new session id").value;
        assert!(
            !a.is_signed_in(&on_a).await,
            "{}: password change on B not seen by A",
            store.name()
        );
        assert!(a.is_signed_in(&renewed).await);
        assert_eq!(a.log_in("alice", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn c20_guesses_spread_over_instances_count_against_one_limit() {
    for store in shared_stores().await {
        let (a, b) = two_instances(&store, &["--login-attempts", "4"]).await;
        a.sign_up("alice").await;

        let mut statuses = Vec::new();
        for guess in 0..8 {
            let instance = if guess % 2 == 0 { &a } else { &b };
            statuses.push(instance.log_in("alice", &format!("wrong-guess-{guess}")).await.status());
        }

        let checked = statuses.iter().filter(|&&s| s == StatusCode::UNAUTHORIZED).count();
        assert_eq!(checked, 4, "{}: {statuses:?}", store.name());
        assert!(statuses[4..].iter().all(|&s| s == StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(a.log_in("alice", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(b.log_in("alice", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}

/// A store server of the test's own, which it can stop and start again on the same port
/// and data.
trait Daemon {
    fn start(&mut self);
    fn stop(&mut self);
}

struct Redis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// Certificate and key: TLS only, on `port`.
    tls: Option<(PathBuf, PathBuf)>,
}

impl Redis {
    fn new(dir: &Path) -> Self {
        let mut redis = Self { port: free_port(), dir: dir.to_owned(), child: None, tls: None };
        redis.start();
        redis
    }

    fn with_tls(dir: &Path, certificate: &Path, key: &Path) -> Self {
        let tls = Some((certificate.to_owned(), key.to_owned()));
        let mut redis = Self { port: free_port(), dir: dir.to_owned(), child: None, tls };
        redis.start();
        redis
    }

    fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }
}

impl Daemon for Redis {
    fn start(&mut self) {
        // Every write is on disk before Redis answers it, so a stop loses no session.
        let mut command = Command::new("redis-server");
        match &self.tls {
            None => command.args(["--port", &self.port.to_string()]),
            Some((certificate, key)) => command
                .args(["--port", "0", "--tls-port", &self.port.to_string()])
                .args(["--tls-cert-file", &certificate.display().to_string()])
                .args(["--tls-key-file", &key.display().to_string()])
                .args(["--tls-auth-clients", "no"]),
        };
        let child = command
            .args(["--bind", "127.0.0.1"])
            .args(["--dir", &self.dir.display().to_string()])
            .args(["--appendonly", "yes", "--appendfsync", "always", "--save", ""])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts (Debian's redis-server package)");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Postgres {
    port: u16,
    data: PathBuf,
    bin: PathBuf,
    /// More `-c name=value` settings for the server.
    settings: String,
}

impl Postgres {
    /// A new cluster in `dir` (PostgreSQL refuses to run as root: there it runs as the
    /// `postgres` user of Debian's package).
    fn new(dir: &Path) -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (Debian's postgresql package)")
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin"))
            .max()
            .expect("a PostgreSQL version");
        let data = dir.join("pg");
        std::fs::create_dir_all(&data).expect("a data directory");
        if is_root() {
            run(Command::new("chmod").args(["755", &dir.display().to_string()]));
            run(Command::new("chown").args(["postgres:", &data.display().to_string()]));
        }
        let mut postgres = Self { port: free_port(), data, bin, settings: String::new() };
        run(&mut postgres.command("initdb", &["-U", "postgres", "--auth=trust", "--no-sync"]));
        postgres.start();
        postgres
    }

    /// The same, serving TLS with this certificate and key (copied into its data directory,
    /// where PostgreSQL wants them, owned by it).
    fn with_tls(dir: &Path, certificate: &Path, key: &Path) -> Self {
        let mut postgres = Self::new(dir);
        postgres.stop();
        for (from, to) in [(certificate, "server.crt"), (key, "server.key")] {
            std::fs::copy(from, postgres.data.join(to)).expect("a copy");
            run(Command::new("chmod").args(["600", &postgres.data.join(to).display().to_string()]));
            if is_root() {
                run(Command::new("chown").arg("postgres:").arg(postgres.data.join(to)));
            }
        }
        postgres.settings = " -c ssl=on".to_owned();
        postgres.start();
        postgres
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let tool = self.bin.join(tool).display().to_string();
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", &tool]);
            command
        } else {
            Command::new(tool)
        };
        command.args(["-D", &self.data.display().to_string()]).args(args).stdout(Stdio::null());
        command
    }
}

impl Daemon for Postgres {
    fn start(&mut self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off{}",
            self.port, self.settings
        );
        let log = self.data.join("log").display().to_string();
        run(&mut self.command("pg_ctl", &["-w", "-l", &log, "-o", &options, "start"]));
    }

    fn stop(&mut self) {
        run(&mut self.command("pg_ctl", &["-w", "-m", "fast", "stop"]));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl", &["-w", "-m", "immediate", "stop"]).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn run(command: &mut Command) {
    let status = command.status().expect("the command starts");
    assert!(status.success(), "{command:?} failed");
}

/// The outage script, the same for either store: a signed-in user, the store stops, every
/// request that needs a session gets a clear 503 (and /healthz says which store), the
/// store comes back, and the same cookie works again without restarting the instance.
async fn survives_an_outage(instance: &Instance, store: &mut dyn Daemon, failing: &str) {
    let cookie = instance.sign_up("alice").await;
    assert!(instance.is_signed_in(&cookie).await);

    store.stop();

    let asked = Instant::now();
    let page = instance.page("/account", &cookie).await;
    assert!(asked.elapsed() < Duration::from_secs(10), "took {:?}", asked.elapsed());
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(session_cookie(&page).is_none(), "the outage must not clear the cookie");
    let text = page.text().await.expect("a page");
    assert!(text.contains("unavailable") || text.contains("try again"), "{text}");
    let call = instance.post("/api/list_sessions", Some(&cookie), &[]).await;
    assert_eq!(call.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(session_cookie(&call).is_none(), "the outage must not clear the cookie");
    let body: serde_json::Value = call.json().await.expect("a JSON error");
    assert_eq!(body["error"], "unavailable", "{body}");
    let login = instance.log_in("alice", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(session_cookie(&login).is_none_or(|c| c.is_removal()), "no session without a store");
    let (status, health) = instance.health().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(health.contains(failing), "{health}");
    if !failing.starts_with("database") {
        // A visitor without a cookie needs no session: the home page is still served.
        let home = instance.http.get(format!("{}/", instance.base)).send().await;
        assert_eq!(home.expect("an answer").status(), StatusCode::OK);
    }

    store.start();

    let started = Instant::now();
    while instance.health().await.0 != StatusCode::OK {
        assert!(started.elapsed() < Duration::from_secs(20), "service did not resume");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(instance.is_signed_in(&cookie).await, "the session was lost in the outage");
    assert_eq!(instance.log_in("alice", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn c19_when_redis_goes_away_session_requests_get_503_and_resume_when_it_returns() {
    let dir = tempfile::tempdir().expect("a directory");
    let mut redis = Redis::new(dir.path());
    let mut store = TestStore::postgres().await;
    store.redis = Some((redis.url(), "outage:".to_owned()));
    let instance = Instance::start(&store.args(), &[]).await;

    survives_an_outage(&instance, &mut redis, "sessions (redis): unavailable").await;
}

#[tokio::test]
async fn c19_a_redis_that_refuses_writes_gets_503s_not_bare_500s() {
    let dir = tempfile::tempdir().expect("a directory");
    let redis = Redis::new(dir.path());
    let mut store = TestStore::postgres().await;
    store.redis = Some((redis.url(), "full:".to_owned()));
    // A 10 s idle limit: a session is touched (written) at most once a second.
    let instance = Instance::start(&store.args(), &["--session-idle", "10s"]).await;
    let cookie = instance.sign_up("alice").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let config = |value: &str| {
        let port = redis.port.to_string();
        let mut command = Command::new("redis-cli");
        run(command.args(["-p", &port, "CONFIG", "SET", "maxmemory", value]).stdout(Stdio::null()));
    };

    // Out of memory: reads pass, writes are refused, as on a full Redis or a read-only
    // replica after a failover.
    config("1");
    let call = instance.post("/api/current_user", Some(&cookie), &[]).await;
    let page = instance.page("/account", &cookie).await;
    let (health, _) = instance.health().await;
    config("0");

    assert_eq!(call.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = call.json().await.expect("a JSON error, not an empty body");
    assert_eq!(body["error"], "unavailable");
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health, StatusCode::SERVICE_UNAVAILABLE, "/healthz tries a write");
    assert!(instance.is_signed_in(&cookie).await, "the session is still there");
}

#[tokio::test]
async fn c19_when_postgres_goes_away_session_requests_get_503_and_resume_when_it_returns() {
    let dir = tempfile::tempdir().expect("a directory");
    let mut postgres = Postgres::new(dir.path());
    let store = TestStore { database_url: postgres.url(), redis: None };
    let instance = Instance::start(&store.args(), &[]).await;

    survives_an_outage(&instance, &mut postgres, "database: unavailable").await;
}

/// A certificate authority and a certificate it signed for 127.0.0.1, made with openssl.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let path = |name: &str| dir.join(name).display().to_string();
    let openssl = |args: &[&str]| {
        run(Command::new("openssl").args(args).stdout(Stdio::null()).stderr(Stdio::null()));
    };
    std::fs::write(
        dir.join("leaf.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .expect("a config");
    let (ca, ca_key, csr) = (path("ca.pem"), path("ca.key"), path("leaf.csr"));
    let (leaf, leaf_key, config) = (path("leaf.pem"), path("leaf.key"), path("leaf.cnf"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Sesame test CA",
        "-keyout",
        &ca_key,
        "-out",
        &ca,
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &leaf_key,
        "-out",
        &csr,
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &config,
        "-out",
        &leaf,
    ]);
    run(Command::new("chmod").args(["644", &leaf_key]));
    (dir.join("ca.pem"), dir.join("leaf.pem"), dir.join("leaf.key"))
}

#[tokio::test]
async fn the_stores_can_be_reached_over_tls_with_their_certificates_verified() {
    let dir = tempfile::tempdir().expect("a directory");
    let (ca, certificate, key) = certificates(dir.path());
    let redis = Redis::with_tls(dir.path(), &certificate, &key);
    let postgres = Postgres::with_tls(dir.path(), &certificate, &key);
    // verify-full: TLS, a certificate signed by this CA, and for this host.
    let database = format!("{}?sslmode=verify-full&sslrootcert={}", postgres.url(), ca.display());
    let store = TestStore { database_url: database, redis: Some((redis.url(), "tls:".into())) };
    // Redis' certificate is checked against the system's trust store, which this adds to.
    let trust = ca.display().to_string();
    let instance = Instance::start_with_env(&store.args(), &[], &[("SSL_CERT_FILE", &trust)]).await;

    let cookie = instance.sign_up("alice").await;

    assert!(instance.is_signed_in(&cookie).await);

    // Without the CA, each store's certificate is refused.
    let sesame = |store: &TestStore, trust: &str, command: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_sesame"))
            .args(store.args())
            .args(command)
            .env("SSL_CERT_FILE", trust)
            .output()
            .expect("sesame runs");
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let mut untrusted_database = store.clone();
    untrusted_database.database_url = postgres.url() + "?sslmode=verify-full";
    let (ok, said) = sesame(&untrusted_database, &trust, &["migrate"]);
    assert!(!ok && said.to_lowercase().contains("certificate"), "{said}");
    let (ok, said) = sesame(&store, "/dev/null", &["sessions", "list", "--user", "alice"]);
    assert!(!ok && said.to_lowercase().contains("certificate"), "{said}");
    let (ok, said) = sesame(&store, &trust, &["sessions", "list", "--user", "alice"]);
    assert!(ok, "{said}");
}
