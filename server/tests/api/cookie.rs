//! The session cookie's contract, attribute by attribute.

use crate::helpers::{session_cookie, SetCookie, TestApp};

async fn cookie_from_sign_up(app: &TestApp) -> SetCookie {
    let response = app
        .post_form(
            "/api/signup",
            None,
            &[
                ("username", "alice"),
                ("password", crate::helpers::PASSWORD),
                ("password_confirm", crate::helpers::PASSWORD),
            ],
        )
        .await;
    session_cookie(&response).expect("sign-up sets the session cookie")
}

#[tokio::test]
async fn c07_over_http_the_cookie_is_httponly_lax_host_only_and_not_secure() {
    let app = TestApp::spawn().await;

    let cookie = cookie_from_sign_up(&app).await;

    assert_eq!(cookie.name, "sesame");
    assert!(cookie.has("HttpOnly"));
    assert_eq!(cookie.attribute("SameSite"), Some(Some("Lax")));
    assert_eq!(cookie.attribute("Path"), Some(Some("/")));
    assert!(!cookie.has("Domain"));
    assert!(!cookie.has("Secure"), "a Secure cookie would be dropped over plain http");
    assert!(!cookie.has("Max-Age") && !cookie.has("Expires"), "ends with the browser session");
}

#[tokio::test]
async fn the_session_id_carries_128_random_bits() {
    let app = TestApp::spawn().await;

    let a = cookie_from_sign_up(&app).await.value;
    let b = app.sign_up("bob").await;

    let id: tower_sessions::session::Id = a.parse().expect("a tower-sessions id");
    assert_eq!(a.len(), 22, "base64url of 16 bytes");
    assert_ne!(id.0, 0);
    assert_ne!(a, b);
}

#[tokio::test]
async fn c07_over_https_the_cookie_is_secure_and_host_prefixed() {
    let app = TestApp::spawn_with(&["--public-origin", "https://sesame.example.test"]).await;

    let cookie = cookie_from_sign_up(&app).await;

    assert_eq!(cookie.name, "__Host-sesame");
    assert!(cookie.has("Secure"));
    assert!(cookie.has("HttpOnly"));
    assert_eq!(cookie.attribute("Path"), Some(Some("/")));
    assert!(!cookie.has("Domain"));

    let logout = app
        .http
        .post(app.url("/api/logout"))
        .header("Cookie", format!("__Host-sesame={}", cookie.value))
        .send()
        .await
        .expect("an answer");
    let removal = session_cookie(&logout).expect("a removal cookie");
    assert!(removal.is_removal());
    assert!(removal.has("Secure"), "browsers ignore a __Host- cookie without Secure");
}

#[tokio::test]
async fn c05_anonymous_visitors_get_no_cookie_and_no_store_write() {
    let app = TestApp::spawn().await;

    for path in ["/", "/login", "/signup", "/account", "/no-such-page"] {
        let response = app.page(path, None).await;

        assert!(session_cookie(&response).is_none(), "{path} set a cookie");
    }
    let who = app.post_form("/api/current_user", None, &[]).await;
    assert!(session_cookie(&who).is_none());
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn c07_the_session_id_never_appears_in_a_page() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    for path in ["/", "/account", "/login"] {
        let page = app.page(path, Some(&cookie)).await.text().await.expect("a page");

        assert!(!page.contains(&cookie), "{path} shows the session id");
    }
}

#[tokio::test]
async fn a_cookie_whose_name_only_decodes_to_ours_is_ignored() {
    let app = TestApp::spawn_with(&["--public-origin", "https://sesame.example.test"]).await;
    let victim = cookie_from_sign_up(&app).await.value;
    let attacker = app.sign_up("mallory").await;

    for planted in [
        format!("__Host-sesame={victim}; %5F%5FHost-sesame={attacker}"),
        format!("%5F%5FHost-sesame={attacker}; __Host-sesame={victim}"),
        format!("__Host-sesame={victim}; %5F%5FHost-sesame=garbage"),
        format!("__Host-sesame={victim}; __Host-sesame%20={attacker}"),
    ] {
        let who = app
            .http
            .post(app.url("/api/current_user"))
            .header("Cookie", &planted)
            .send()
            .await
            .expect("an answer");

        assert_eq!(who.status(), 200, "{planted}");
        let removals = crate::helpers::set_cookies(&who);
        let body: serde_json::Value = who.json().await.expect("JSON");
        assert_eq!(body["username"], "alice", "{planted}");
        assert!(removals.iter().any(|c| c.name != "__Host-sesame" && c.is_removal()), "{planted}");
    }
}

#[tokio::test]
async fn a_cookie_that_is_not_utf8_cannot_hide_the_session_cookie() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let mut header = format!("sesame={cookie}; other=").into_bytes();
    header.extend_from_slice(b"\xe9t\xe9");
    let who = app
        .http
        .post(app.url("/api/current_user"))
        .header("Cookie", reqwest::header::HeaderValue::from_bytes(&header).expect("a header"))
        .send()
        .await
        .expect("an answer");

    let body: serde_json::Value = who.json().await.expect("JSON");
    assert_eq!(body["username"], "alice");
}
