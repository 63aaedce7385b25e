//! C08: other sites cannot make a signed-in browser change anything.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{encode, TestApp, PASSWORD};

async fn post_from(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .http
        .post(app.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(encode(fields));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(cookie) = cookie {
        request = request.header("Cookie", format!("sesame={cookie}"));
    }
    request.send().await.expect("an answer")
}

const NEW: &str = "battery-staple-2";

#[tokio::test]
async fn c08_cross_site_posts_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let other = app.sign_up_again_elsewhere("alice").await;
    let attacks: [&[(&str, &str)]; 4] = [
        &[("Origin", "http://evil.example")],
        &[("Origin", "null")],
        &[("Sec-Fetch-Site", "cross-site"), ("Origin", "http://evil.example")],
        &[("Referer", "http://evil.example/page.html")],
    ];

    for headers in attacks {
        let change = [("current_password", PASSWORD), ("password", NEW), ("password_confirm", NEW)];
        let signup = [("username", "mallory"), ("password", NEW), ("password_confirm", NEW)];
        for (path, fields) in [
            ("/api/logout", &[][..]),
            ("/api/change_password", &change[..]),
            ("/api/login", &[("username", "alice"), ("password", PASSWORD)][..]),
            ("/api/signup", &signup[..]),
        ] {
            let response = post_from(&app, path, Some(&cookie), headers, fields).await;

            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} with {headers:?}");
            let body: Value = response.json().await.expect("JSON");
            assert_eq!(body["error"], "cross_site");
            assert!(body["message"].as_str().expect("a message").contains("another site"));
        }
    }

    assert!(app.is_signed_in(&cookie).await && app.is_signed_in(&other).await);
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 200);
    assert_eq!(app.visitor().log_in("mallory", NEW).await.status(), 401);
}

#[tokio::test]
async fn c08_a_same_site_but_foreign_origin_is_refused_too() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let response =
        post_from(&app, "/api/logout", Some(&cookie), &[("Sec-Fetch-Site", "same-site")], &[])
            .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(app.is_signed_in(&cookie).await);
}

#[tokio::test]
async fn c08_our_own_pages_can_post() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let ours = app.base.clone();

    let by_origin = [("Origin", ours.as_str())];
    let who = post_from(&app, "/api/current_user", Some(&cookie), &by_origin, &[]).await;
    assert_eq!(who.status(), StatusCode::OK);
    let by_fetch_metadata = [("Sec-Fetch-Site", "same-origin"), ("Origin", ours.as_str())];
    let logout = post_from(&app, "/api/logout", Some(&cookie), &by_fetch_metadata, &[]).await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert!(!app.is_signed_in(&cookie).await);
}

#[tokio::test]
async fn c08_state_changing_endpoints_refuse_get() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    for path in ["/api/logout", "/api/login", "/api/signup", "/api/change_password"] {
        let response = app
            .http
            .get(app.url(&format!("{path}?username=alice&password={PASSWORD}")))
            .header("Cookie", format!("sesame={cookie}"))
            .send()
            .await
            .expect("an answer");

        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    assert!(app.is_signed_in(&cookie).await);
}
