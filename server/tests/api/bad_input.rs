//! Malformed requests get a clear 4xx: never a 500, a panic, or a store write.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{session_cookie, TestApp};

async fn message(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("a JSON error");
    body["message"].as_str().expect("a message").to_owned()
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_as_too_large() {
    let app = TestApp::spawn().await;
    let huge = format!("username=alice&password={}", "a".repeat(10 * 1024 * 1024));

    let response = app
        .http
        .post(app.url("/api/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .expect("an answer");

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(message(response).await, "The request is too large.");
}

#[tokio::test]
async fn invalid_utf8_in_a_form_is_a_bad_request() {
    let app = TestApp::spawn().await;

    let response = app
        .http
        .post(app.url("/api/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(b"username=\xff\xfe&password=x".to_vec())
        .send()
        .await
        .expect("an answer");

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(!message(response).await.is_empty());
}

#[tokio::test]
async fn broken_percent_encoding_is_a_client_error() {
    let app = TestApp::spawn().await;

    for body in ["username=%zz&password=%", "username=%E2%82&password=x", "%%%=&&=="] {
        let response = app
            .http
            .post(app.url("/api/login"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("an answer");

        assert!(response.status().is_client_error(), "{body:?} got {}", response.status());
    }
}

#[tokio::test]
async fn an_unknown_api_path_is_404_with_a_message() {
    let app = TestApp::spawn().await;

    let response = app.post_form("/api/nothing-here", None, &[]).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(message(response).await.contains("/api/nothing-here"));
}

#[tokio::test]
async fn c05_malformed_or_duplicate_session_cookies_get_400_and_are_cleared() {
    let app = TestApp::spawn().await;
    let valid = app.sign_up("alice").await;
    let long = "a".repeat(8000);
    let duplicate = format!("{valid}; sesame=AAAAAAAAAAAAAAAAAAAAAA");

    for value in ["AAAA", "%00", "not base64 !", "\"quoted\"", long.as_str(), duplicate.as_str()] {
        let response = app.page("/account", Some(value)).await;

        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "cookie {value:.20}");
        let removal = session_cookie(&response).expect("a removal cookie");
        assert!(removal.is_removal() && removal.has("HttpOnly") && removal.has("Path"));
        assert!(message(response).await.contains("removed"));
    }
    assert!(app.is_signed_in(&valid).await, "the real session is untouched");
    assert_eq!(app.session_rows().await, 1);
}

#[tokio::test]
async fn c05_an_unknown_well_formed_session_id_is_anonymous_and_cleared() {
    let app = TestApp::spawn().await;

    let response = app.page("/account", Some("AAAAAAAAAAAAAAAAAAAAAA")).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(session_cookie(&response).is_some_and(|c| c.is_removal()));
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn oversized_headers_are_refused_with_431() {
    let app = TestApp::spawn().await;

    let response = app
        .http
        .get(app.url("/"))
        .header("X-Padding", "p".repeat(40 * 1024))
        .send()
        .await
        .expect("an answer");

    assert_eq!(response.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}

#[tokio::test]
async fn an_oversized_cookie_header_is_refused_with_431() {
    let app = TestApp::spawn().await;
    let huge = "a".repeat(16 * 1024);

    let response = app.page("/account", Some(&huge)).await;

    assert_eq!(response.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(response.text().await.expect("a body").contains("cookie"));
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn c05_bursts_of_anonymous_traffic_write_nothing_and_never_fail() {
    let app = TestApp::spawn().await;
    let before = app.session_rows().await;

    let mut requests = tokio::task::JoinSet::new();
    for path in ["/", "/login", "/signup", "/account"] {
        for _ in 0..50 {
            let (http, url) = (app.http.clone(), app.url(path));
            requests.spawn(async move {
                let response = http.get(url).header("Accept", "text/html").send().await;
                let response = response.expect("an answer");
                (response.status(), session_cookie(&response).is_some())
            });
        }
    }
    while let Some(outcome) = requests.join_next().await {
        let (status, cookie) = outcome.expect("the request task");
        assert!(status == StatusCode::OK || status == StatusCode::SEE_OTHER, "got {status}");
        assert!(!cookie, "an anonymous request got a session cookie");
    }

    assert_eq!(app.session_rows().await, before);
}

#[tokio::test]
async fn bodies_that_are_not_url_encoded_forms_are_refused_as_unsupported() {
    let app = TestApp::spawn().await;

    for content_type in ["text/plain", "application/json", "multipart/form-data; boundary=x"] {
        let response = app
            .http
            .post(app.url("/api/signup"))
            .header("Content-Type", content_type)
            .body("username=mallory&password=correct-horse-1&password_confirm=correct-horse-1")
            .send()
            .await
            .expect("an answer");

        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
    }
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn a_client_cannot_choose_its_request_id() {
    let app = TestApp::spawn().await;

    let response = app
        .http
        .get(app.url("/"))
        .header("X-Request-Id", "chosen-by-client")
        .send()
        .await
        .expect("an answer");

    let id = response.headers()["x-request-id"].to_str().expect("ASCII");
    assert_ne!(id, "chosen-by-client");
    assert_eq!(id.len(), 36, "a UUID");
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("a connection");
    stream.write_all(b"GET / HTTP/1.1\r\nHost: sesame\r\n").await.expect("a partial request");

    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut answer))
            .await;

    assert!(read.is_ok(), "the connection was still open after 20 s");
    let waited = started.elapsed().as_secs();
    assert!((9..=15).contains(&waited), "closed after {waited} s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    use tokio::io::AsyncReadExt;

    let app = TestApp::spawn().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("a connection");

    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut answer))
            .await;

    assert!(read.is_ok(), "a silent connection was still open after 20 s");
    assert!((9..=15).contains(&started.elapsed().as_secs()));
}

#[tokio::test]
async fn cleartext_http2_is_not_spoken() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("a connection");
    stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.expect("the preface");

    let mut answer = Vec::new();
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer))
            .await;

    assert!(read.is_ok(), "the connection stayed open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
}

#[tokio::test]
async fn a_body_trickling_in_is_cut_off_after_ten_seconds() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("a connection");
    let head = "POST /api/login HTTP/1.1\r\nHost: sesame\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("the head");

    let started = std::time::Instant::now();
    let trickle = async {
        for byte in b"username=alice&password=correct-horse-1" {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(12), trickle).await;
    let mut answer = vec![0; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer));
    let read = read.await.expect("an answer in time").expect("readable");

    assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 408"));
    assert!(started.elapsed().as_secs() <= 13);
}
