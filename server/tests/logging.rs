//! What the server logs: every request in a span that names the user once known, and
//! never a password, a password hash or a session id. (Its own binary: the log capture
//! is process-wide.)

use std::sync::{Arc, Mutex};

use clap::Parser;
use server::{config::Settings, Server};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("the log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const PASSWORD: &str = "correct-horse-1";

#[tokio::test]
async fn logs_name_the_user_and_never_carry_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("sesame.db").display());
    let settings =
        Settings::try_parse_from(["sesame", "--addr", "127.0.0.1:0", "--database-url", &url])
            .expect("valid settings");
    let server = Server::start(settings).await.expect("the server starts");
    let base = format!("http://{}", server.addr());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");

    let form = format!("username=alice&password={PASSWORD}&password_confirm={PASSWORD}");
    let signup = http
        .post(format!("{base}/api/signup"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("an answer");
    let set_cookie = signup.headers()["set-cookie"].to_str().expect("ASCII").to_owned();
    let session_id = set_cookie.trim_start_matches("sesame=").split(';').next().expect("a value");
    let user: serde_json::Value = signup.json().await.expect("JSON");
    let user_id = user["user"]["id"].as_str().expect("an id").to_owned();
    for path in ["/", "/account"] {
        http.get(format!("{base}{path}"))
            .header("Cookie", format!("sesame={session_id}"))
            .send()
            .await
            .expect("an answer");
    }
    // A username with a line break must not forge a log line (it is not even kept: it
    // cannot be a username).
    http.post(format!("{base}/api/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("username=mallory%0AINFO%20forged%20line&password=whatever-at-all")
        .send()
        .await
        .expect("an answer");
    http.post(format!("{base}/api/logout"))
        .header("Cookie", format!("sesame={session_id}"))
        .send()
        .await
        .expect("an answer");
    server.stop().await.expect("the server stops");

    let logs =
        String::from_utf8(captured.0.lock().expect("the log buffer").clone()).expect("UTF-8");
    assert!(logs.contains("event=\"signed_up\""), "{logs}");
    assert!(logs.contains(&format!("user_id={user_id}")), "the request span names the user");
    assert!(!logs.contains(session_id), "a session id was logged");
    assert!(!logs.contains(PASSWORD), "a password was logged");
    assert!(!logs.contains("$argon2"), "a password hash was logged");
    assert!(!logs.contains("\nINFO forged line"), "user input split a log line");
}
