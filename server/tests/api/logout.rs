use reqwest::StatusCode;

use crate::helpers::{session_cookie, TestApp, PASSWORD};

#[tokio::test]
async fn c01_logout_deletes_the_server_record_and_expires_the_cookie() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    let mut browser = app.visitor();
    browser.log_in("alice", PASSWORD).await;
    let cookie = browser.cookie.clone().expect("signed in");
    assert!(app.has_session_record(&cookie).await);

    let response = browser.post("/api/logout", &[]).await;

    assert_eq!(response.status(), StatusCode::OK);
    let removal = session_cookie(&response).expect("a cookie that removes the session cookie");
    assert!(removal.is_removal());
    assert_eq!(removal.attribute("Path"), Some(Some("/")));
    assert!(removal.has("HttpOnly"));
    assert!(!app.has_session_record(&cookie).await);
}

#[tokio::test]
async fn c01_a_cookie_replayed_after_logout_is_anonymous() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    let mut browser = app.visitor();
    browser.log_in("alice", PASSWORD).await;
    let copied = browser.cookie.clone().expect("signed in");

    browser.post("/api/logout", &[]).await;

    assert!(!app.is_signed_in(&copied).await);
    let who = app.post_form("/api/current_user", Some(&copied), &[]).await;
    assert_eq!(who.status(), StatusCode::OK);
    assert_eq!(who.json::<Option<serde_json::Value>>().await.expect("JSON"), None);
}

#[tokio::test]
async fn c11_a_plain_form_logout_lands_on_the_home_page() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let response = app.submit("/api/logout", Some("/account"), Some(&cookie), "").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(crate::helpers::location(&response).as_deref(), Some("/"));
    assert!(session_cookie(&response).expect("a removal cookie").is_removal());
    assert!(!app.is_signed_in(&cookie).await);
}

#[tokio::test]
async fn c08_logout_is_post_only() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let response = app
        .http
        .get(app.url("/api/logout"))
        .header("Cookie", format!("sesame={cookie}"))
        .send()
        .await
        .expect("an answer");

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    assert!(app.is_signed_in(&cookie).await);
}
