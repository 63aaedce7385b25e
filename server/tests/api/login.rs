use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{encode, session_cookie, TestApp, PASSWORD};

#[tokio::test]
async fn the_right_password_signs_in_and_lands_on_the_account_page() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    let mut browser = app.visitor();

    let response = browser.log_in("alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["next"], "/account");
    assert_eq!(body["user"]["username"], "alice");
    let cookie = browser.cookie.clone().expect("a session cookie");
    assert!(app.is_signed_in(&cookie).await);
}

#[tokio::test]
async fn usernames_match_without_regard_to_case() {
    let app = TestApp::spawn().await;
    app.sign_up("Alice").await;

    let response = app.visitor().log_in("aLiCe", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let wrong_password = app.visitor().log_in("alice", "not-the-password").await;
    let unknown_user = app.visitor().log_in("mallory", PASSWORD).await;

    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_user.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong_password).is_none() && session_cookie(&unknown_user).is_none());
    let a: Value = wrong_password.json().await.expect("JSON");
    let b: Value = unknown_user.json().await.expect("JSON");
    assert_eq!(a["error"], "wrong_credentials");
    assert_eq!(a["message"], b["message"]);
    assert_eq!(app.session_rows().await, 1, "only the sign-up's session exists");
}

#[tokio::test]
async fn empty_fields_are_reported_on_each_field() {
    let app = TestApp::spawn().await;

    let response = app.post_form("/api/login", None, &[("username", " "), ("password", "")]).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["fields"]["username"]["message"], "Enter your username.");
    assert_eq!(body["fields"]["password"]["message"], "Enter your password.");
}

#[tokio::test]
async fn c02_logging_in_gives_a_new_session_id_and_ends_the_old_one() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    let mut browser = app.visitor();
    browser.log_in("alice", PASSWORD).await;
    let before = browser.cookie.clone().expect("signed in");

    browser.log_in("alice", PASSWORD).await;
    let after = browser.cookie.clone().expect("signed in again");

    assert_ne!(before, after);
    assert!(!app.is_signed_in(&before).await);
    assert!(!app.has_session_record(&before).await);
    assert!(app.is_signed_in(&after).await);
}

#[tokio::test]
async fn c02_a_planted_session_id_is_never_adopted_at_login() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    let planted = "AAAAAAAAAAAAAAAAAAAAAA"; // well-formed, unknown to the store
    let mut browser = app.visitor();
    browser.cookie = Some(planted.to_owned());

    let response = browser.log_in("alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let issued = browser.cookie.clone().expect("a new cookie");
    assert_ne!(issued, planted);
    assert!(!app.has_session_record(planted).await);
    assert!(!app.is_signed_in(planted).await);
}

#[tokio::test]
async fn c12_switching_users_carries_nothing_over() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    app.sign_up("bob").await;
    let mut browser = app.visitor();
    browser.log_in("alice", PASSWORD).await;
    let alices = browser.cookie.clone().expect("alice signed in");

    browser.log_in("bob", PASSWORD).await;
    let bobs = browser.cookie.clone().expect("bob signed in");

    assert_ne!(alices, bobs);
    assert!(!app.is_signed_in(&alices).await);
    let page = app.page("/account", Some(&bobs)).await.text().await.expect("a page");
    assert!(page.contains("bob") && !page.contains("alice"));
    let record = app.session_data(&bobs).await.expect("bob's record");
    let keys: Vec<&str> =
        record.as_object().expect("an object").keys().map(String::as_str).collect();
    let expected = [
        "authenticated_at",
        "credential_version",
        "expires_at",
        "ip",
        "last_seen",
        "remember",
        "signed_in_at",
        "user_agent",
        "user_id",
    ];
    assert_eq!(keys, expected);
    assert_eq!(record["user_id"], app.user_id("bob").await.as_str());
}

#[tokio::test]
async fn c12_a_login_answer_sets_the_session_cookie_once_in_its_own_header() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let response = app.visitor().log_in("alice", PASSWORD).await;

    let cookies = crate::helpers::set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert_eq!(cookies[0].name, "sesame");
    assert_eq!(response.headers().get_all("set-cookie").iter().count(), 1);
}

#[tokio::test]
async fn c11_a_plain_form_login_redirects_with_303_to_next() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let fields = [("username", "alice"), ("password", PASSWORD), ("next", "/account?tab=x")];
    let response =
        app.submit("/api/login", Some("/login?next=%2Faccount"), None, encode(&fields)).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers().get_all("location").iter().count(), 1);
    assert_eq!(crate::helpers::location(&response).as_deref(), Some("/account?tab=x"));
    assert!(session_cookie(&response).is_some());
}

#[tokio::test]
async fn c11_a_failed_plain_form_login_goes_back_to_the_form_with_the_error() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let fields = [("username", "alice"), ("password", "wrong-password")];
    let response =
        app.submit("/api/login", Some("/login?next=%2Faccount"), None, encode(&fields)).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = crate::helpers::location(&response).expect("a location");
    assert!(back.starts_with("/login?next=%2Faccount&"), "went to {back}");
    let page = app.page(&back, None).await.text().await.expect("the login page");
    assert!(page.contains("Wrong username or password."));
    assert!(page.contains(r#"value="alice""#), "the username is filled in again");
}

#[tokio::test]
async fn c11_a_form_post_from_a_foreign_page_is_refused_never_redirected_abroad() {
    let app = TestApp::spawn().await;

    for referer in [
        "https://evil.example//evil.example/phish",
        "https://evil.example/\\evil.example/phish",
        "https://evil.example/..//evil.example/",
        "javascript:alert(1)",
    ] {
        let body = "username=alice&password=wrong-password-xx";
        let response = app.submit("/api/login", Some(referer), None, body).await;

        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{referer}");
        assert_eq!(crate::helpers::location(&response), None, "{referer}");
    }
}

#[tokio::test]
async fn a_password_typed_as_the_username_is_not_echoed_into_the_url() {
    let app = TestApp::spawn().await;

    let typed = "my secret pass!";
    let fields = [("username", typed), ("password", "whatever-it-is")];
    let response = app.submit("/api/login", Some("/login"), None, encode(&fields)).await;

    let back = crate::helpers::location(&response).expect("a location");
    let page = app.page(&back, None).await.text().await.expect("the login page");
    assert!(page.contains("Wrong username or password."));
    assert!(!page.contains(typed));
}
