use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{session_cookie, TestApp, PASSWORD};

async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

#[tokio::test]
async fn signing_up_creates_the_account_and_signs_it_in() {
    let app = TestApp::spawn().await;

    let cookie = app.sign_up("alice").await;

    assert!(app.is_signed_in(&cookie).await);
    let account = app.page("/account", Some(&cookie)).await.text().await.expect("a page");
    assert!(account.contains("alice"));
}

#[tokio::test]
async fn a_username_taken_in_any_letter_case_is_refused_on_its_field() {
    let app = TestApp::spawn().await;
    app.sign_up("Alice").await;

    let response = app
        .post_form(
            "/api/signup",
            None,
            &[("username", "aLICE"), ("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(session_cookie(&response).is_none());
    let body = json(response).await;
    assert_eq!(body["error"], "invalid");
    assert_eq!(body["fields"]["username"]["problem"], "taken");
    assert_eq!(body["fields"]["username"]["message"], "That username is taken. Try another one.");
    assert_eq!(body["username"], "aLICE", "the typed username comes back to refill the form");
}

#[tokio::test]
async fn every_field_problem_is_reported_at_once_next_to_its_field() {
    let app = TestApp::spawn().await;

    let response = app
        .post_form(
            "/api/signup",
            None,
            &[("username", "a b"), ("password", "short"), ("password_confirm", "other")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(response).await;
    assert_eq!(body["fields"]["username"]["problem"], "characters");
    assert_eq!(body["fields"]["password"]["message"], "Use at least 12 characters (5 so far).");
    assert_eq!(body["fields"]["password_confirm"]["message"], "The two passwords do not match.");
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn a_too_long_password_is_refused_with_its_limit() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(129);

    let response = app
        .post_form(
            "/api/signup",
            None,
            &[("username", "alice"), ("password", &long), ("password_confirm", &long)],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(response).await;
    assert_eq!(body["fields"]["password"]["message"], "Use at most 128 characters.");
}

#[tokio::test]
async fn missing_or_empty_fields_are_field_errors_not_server_errors() {
    let app = TestApp::spawn().await;

    for fields in [&[][..], &[("username", ""), ("password", ""), ("password_confirm", "")][..]] {
        let response = app.post_form("/api/signup", None, fields).await;

        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = json(response).await;
        assert_eq!(body["fields"]["username"]["message"], "Enter your username.");
        assert_eq!(body["fields"]["password"]["message"], "Enter your password.");
    }
}

#[tokio::test]
async fn a_username_with_a_nul_byte_is_refused_cleanly() {
    let app = TestApp::spawn().await;

    let response = app
        .post_form(
            "/api/signup",
            None,
            &[("username", "ali\0ce"), ("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn common_or_personal_passwords_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;

    for (password, reason, says) in [
        ("password1234", "common", "lists of common passwords"),
        ("qwertyuiop123", "common", "lists of common passwords"),
        ("aaaaaaaaaaaaaaaa", "pattern", "Repeats, sequences"),
        ("alice-in-chains", "personal", "contains your username"),
    ] {
        let response = app
            .post_form(
                "/api/signup",
                None,
                &[("username", "alice"), ("password", password), ("password_confirm", password)],
            )
            .await;

        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        let body = json(response).await;
        assert_eq!(body["fields"]["password"]["problem"], "guessable", "{password}");
        assert_eq!(body["fields"]["password"]["reason"], reason, "{password}");
        let message = body["fields"]["password"]["message"].as_str().expect("a message");
        assert!(message.contains(says), "{password}: {message}");
    }
    assert_eq!(app.session_rows().await, 0);
}
