//! What the tests start: `sesame` processes, and PostgreSQL and Redis servers of their own
//! that they can stop and start again; and certificates for the TLS test.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use reqwest::{header, redirect, StatusCode};

use crate::helpers::{encode, session_cookie, site_root, PASSWORD};

/// A `sesame` process, killed when dropped.
pub struct Instance {
    child: Child,
    args: Vec<String>,
    env: Vec<(String, String)>,
    pub base: String,
    pub http: reqwest::Client,
}

impl Instance {
    pub async fn start(store: &[String], extra: &[&str]) -> Self {
        Self::start_with_env(store, extra, &[]).await
    }

    pub async fn start_with_env(store: &[String], extra: &[&str], env: &[(&str, &str)]) -> Self {
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
    pub async fn restart(&mut self) {
        run(Command::new("kill").arg(self.child.id().to_string()));
        self.child.wait().expect("sesame stops");
        self.child = Self::spawn(&self.args, &self.env);
        self.wait_until_healthy().await;
    }

    /// Status and body of /healthz (status 0 while nothing listens).
    pub async fn health(&self) -> (StatusCode, String) {
        match self.http.get(format!("{}/healthz", self.base)).send().await {
            Ok(response) => (response.status(), response.text().await.unwrap_or_default()),
            Err(_) => (StatusCode::from_u16(599).expect("a status"), String::new()),
        }
    }

    pub async fn post(
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

    pub async fn page(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, format!("sesame={cookie}"))
            .send()
            .await
            .expect("the instance answers")
    }

    pub async fn sign_up(&self, username: &str) -> String {
        let fields =
            [("username", username), ("password", PASSWORD), ("password_confirm", PASSWORD)];
        let response = self.post("/api/signup", None, &fields).await;
        assert_eq!(response.status(), StatusCode::OK);
        session_cookie(&response).expect("a session").value
    }

    pub async fn log_in(&self, username: &str, password: &str) -> reqwest::Response {
        self.post("/api/login", None, &[("username", username), ("password", password)]).await
    }

    /// Whether this cookie is signed in here: the account page renders (200) rather than
    /// sending to the login page (303). Anything else fails the test.
    pub async fn is_signed_in(&self, cookie: &str) -> bool {
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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("an address").port()
}

/// A store server of the test's own, which it can stop and start again on the same port
/// and data.
pub trait Daemon {
    fn start(&mut self);
    fn stop(&mut self);
}

pub struct Redis {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// Certificate and key: TLS only, on `port`.
    tls: Option<(PathBuf, PathBuf)>,
}

impl Redis {
    pub fn new(dir: &Path) -> Self {
        let mut redis = Self { port: free_port(), dir: dir.to_owned(), child: None, tls: None };
        redis.start();
        redis
    }

    pub fn with_tls(dir: &Path, certificate: &Path, key: &Path) -> Self {
        let tls = Some((certificate.to_owned(), key.to_owned()));
        let mut redis = Self { port: free_port(), dir: dir.to_owned(), child: None, tls };
        redis.start();
        redis
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Runs a `redis-cli` command against this server (not over TLS); answers its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        assert!(output.status.success(), "redis-cli {args:?} failed");
        String::from_utf8_lossy(&output.stdout).into_owned()
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

pub struct Postgres {
    port: u16,
    data: PathBuf,
    bin: PathBuf,
    /// More `-c name=value` settings for the server.
    settings: String,
}

impl Postgres {
    /// A new cluster in `dir` (PostgreSQL refuses to run as root: there it runs as the
    /// `postgres` user of Debian's package).
    pub fn new(dir: &Path) -> Self {
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
    pub fn with_tls(dir: &Path, certificate: &Path, key: &Path) -> Self {
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

    pub fn url(&self) -> String {
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

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

pub fn run(command: &mut Command) {
    let status = command.status().expect("the command starts");
    assert!(status.success(), "{command:?} failed");
}

/// A certificate authority and a certificate it signed for 127.0.0.1, made with openssl.
pub fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
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
