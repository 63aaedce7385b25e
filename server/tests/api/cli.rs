//! The `sesame` command, run as a separate process on the database of a running server.

use std::{io::Write, process::Stdio};

use crate::helpers::{TestApp, PASSWORD};

/// Runs `sesame` with `args` on the app's database; answers (success, stdout, stderr).
fn sesame(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sesame"))
        .args(app.store.args())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sesame starts");
    child.stdin.take().expect("a stdin").write_all(stdin.as_bytes()).expect("stdin is written");
    let output = child.wait_with_output().expect("sesame ends");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

async fn log_in_with_agent(app: &TestApp, user_agent: &str) -> String {
    app.log_in_from_device("alice", user_agent).await
}

const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

#[tokio::test]
async fn a_user_created_on_the_command_line_can_log_in_to_the_running_server() {
    let app = TestApp::spawn().await;

    let (ok, out, _) = sesame(&app, &["users", "create", "alice"], &format!("{PASSWORD}\n"));

    assert!(ok, "{out}");
    assert!(out.starts_with("Created alice"));
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_weak_password_or_taken_name_is_refused_on_the_command_line() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let (ok, _, err) = sesame(&app, &["users", "create", "bob"], "password1234\n");
    assert!(!ok && err.contains("too easy to guess"), "{err}");
    let (ok, _, err) = sesame(&app, &["users", "create", "ALICE"], &format!("{PASSWORD}\n"));
    assert!(!ok && err.contains("taken"), "{err}");
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_one_by_one_or_all_at_once() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("alice").await;
    let firefox = log_in_with_agent(&app, FIREFOX).await;

    let (ok, out, _) = sesame(&app, &["sessions", "list", "--user", "alice"], "");
    assert!(ok);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{out}");
    let firefox_row = rows.iter().find(|row| row.contains("Firefox on Windows 10")).expect("a row");
    let handle = firefox_row.split('\t').next().expect("an id");
    assert!(!out.contains(&firefox) && !out.contains(&first), "a cookie value was printed");

    let (ok, out, _) = sesame(&app, &["sessions", "revoke", "--user", "alice", "--id", handle], "");
    assert!(ok, "{out}");
    assert!(!app.is_signed_in(&firefox).await, "revoked at the server's next request");
    assert!(app.is_signed_in(&first).await);

    let (ok, _, _) = sesame(&app, &["sessions", "revoke", "--user", "alice"], "");
    assert!(ok);
    assert!(!app.is_signed_in(&first).await);
}

#[tokio::test]
async fn a_user_disabled_on_the_command_line_is_out_until_enabled() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let (ok, out, _) = sesame(&app, &["users", "disable", "alice"], "");
    assert!(ok && out.contains("1 sessions signed out"), "{out}");
    assert!(!app.is_signed_in(&cookie).await);
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 403);

    let (ok, _, _) = sesame(&app, &["users", "enable", "alice"], "");
    assert!(ok);
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn unknown_users_and_handles_are_clear_errors() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let (ok, _, err) = sesame(&app, &["sessions", "list", "--user", "nobody"], "");
    assert!(!ok);
    // It says which database it looked in: the wrong DATABASE_URL is the usual cause.
    let err = err.trim();
    assert!(err.starts_with("sesame: no user \"nobody\" in "), "{err}");
    assert!(err.ends_with(" (DATABASE_URL)"), "{err}");
    let (ok, _, err) = sesame(&app, &["sessions", "revoke", "--user", "alice", "--id", "abc"], "");
    assert!(!ok && err.contains("has no session abc"), "{err}");
}
