//! `/api/*`: the server functions, with the HTTP contract that any client can rely on.
//!
//! Leptos runs the function; this module decides how the answer looks on the wire:
//! - the one place where an [`AppError`] becomes a status code (422, 401, 400, 413, 503, 500),
//!   with a JSON body `{"error": kind, "message": text, ...}`;
//! - plain form posts (no JavaScript) are answered with "303 See Other" to a local path;
//! - bodies over [`MAX_BODY_BYTES`] get 413, a known endpoint with the wrong method 405.

use app::error::{AppError, Field};
use axum::{
    body::{to_bytes, Body},
    extract::State,
    http::{header, HeaderValue, Method, Request, StatusCode},
    response::{IntoResponse, Response},
};
use leptos::{
    prelude::provide_context,
    server_fn::{self, error::SERVER_FN_ERROR_HEADER},
};

use crate::startup::ServerState;

/// Largest request body a server function accepts; our forms are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long a whole request body may take to arrive (a per-chunk limit would let a body
/// trickle in a byte at a time).
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What an error answer says: the HTTP status for each kind of [`AppError`].
pub fn status_for(error: &AppError) -> StatusCode {
    match error {
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::WrongCredentials { .. } | AppError::SignInRequired {} => StatusCode::UNAUTHORIZED,
        AppError::AccountDisabled {} | AppError::CrossSite {} => StatusCode::FORBIDDEN,
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::NotFound {} => StatusCode::NOT_FOUND,
        AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::PayloadTooLarge {} => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::RequestTimeout {} => StatusCode::REQUEST_TIMEOUT,
        AppError::HeadersTooLarge {} => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        AppError::UnsupportedMediaType {} => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Unavailable {} | AppError::SignedUpNotSignedIn {} => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        AppError::Internal {} => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error answer as JSON, with the human message next to each machine-readable code.
pub fn error_response(error: &AppError) -> Response {
    let mut body = serde_json::to_value(error).unwrap_or_default();
    if let Some(object) = body.as_object_mut() {
        object.insert("message".into(), error.to_string().into());
    }
    if let AppError::Invalid { fields, .. } = error {
        for field in Field::ALL {
            let (Some(problem), Some(entry)) =
                (fields.get(field), body["fields"].get_mut(field.name()))
            else {
                continue;
            };
            entry["message"] = problem.message(field).into();
        }
    }
    let mut response = (status_for(error), axum::Json(body)).into_response();
    if let AppError::TooManyAttempts { retry_after_secs } = error {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    response
}

/// Every `/api/` request: checked here, run by Leptos, and its answer put into shape.
pub async fn handle(State(state): State<ServerState>, request: Request<Body>) -> Response {
    if let Some(refusal) = refuse_unknown(request.uri().path(), request.method()) {
        return refusal;
    }
    if declared_length(&request).is_some_and(|length| length > MAX_BODY_BYTES) {
        return error_response(&AppError::PayloadTooLarge {});
    }

    // Read the (small) body here, so that a bad one gets a clear 4xx rather than failing,
    // or being read leniently, deep inside the server-function machinery.
    let (parts, body) = request.into_parts();
    let body = match tokio::time::timeout(BODY_TIMEOUT, to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(body)) => body,
        Ok(Err(err)) => return error_response(&unreadable_body(err)),
        Err(_) => return error_response(&AppError::RequestTimeout {}),
    };
    if let Err(error) = check_form(&parts.headers, &body) {
        return error_response(&error);
    }

    let app_state = state.app.clone();
    let response = leptos_axum::handle_server_fns_with_context(
        move || provide_context(app_state.clone()),
        Request::from_parts(parts, Body::from(body)),
    )
    .await
    .into_response();
    finish(response).await
}

fn unreadable_body(err: axum::Error) -> AppError {
    let too_long = std::error::Error::source(&err)
        .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
    if too_long {
        AppError::PayloadTooLarge {}
    } else {
        AppError::bad_request("The request body could not be read.")
    }
}

/// Our server functions take `application/x-www-form-urlencoded` bodies, as HTML forms send
/// them: any other non-empty body is refused, and so is a form with a malformed `%` escape
/// or bytes that are not UTF-8 (which lenient decoding would turn into U+FFFD, so that
/// different passwords would compare equal).
fn check_form(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<(), AppError> {
    if body.is_empty() {
        return Ok(());
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let essence = content_type.unwrap_or_default().split(';').next().unwrap_or_default();
    if !essence.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(AppError::UnsupportedMediaType {});
    }

    let mut decoded = Vec::with_capacity(body.len());
    let mut bytes = body.iter();
    while let Some(&byte) = bytes.next() {
        decoded.push(match byte {
            b'%' => {
                let hex = [bytes.next(), bytes.next()];
                let [Some(&high), Some(&low)] = hex else {
                    return Err(AppError::bad_request("The form data has a cut-off % escape."));
                };
                let digits = [high, low].map(|d| char::from(d).to_digit(16));
                let [Some(high), Some(low)] = digits else {
                    return Err(AppError::bad_request("The form data has a malformed % escape."));
                };
                u8::try_from(high * 16 + low).unwrap_or_default()
            }
            other => other,
        });
    }
    std::str::from_utf8(&decoded)
        .map(|_| ())
        .map_err(|_| AppError::bad_request("The form data is not valid UTF-8."))
}

fn declared_length(request: &Request<Body>) -> Option<usize> {
    request.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// 404 for a path that is no server function, 405 for one called with the wrong method.
fn refuse_unknown(path: &str, method: &Method) -> Option<Response> {
    let methods: Vec<Method> = server_fn::axum::server_fn_paths()
        .filter(|(known, _)| *known == path)
        .map(|(_, method)| method)
        .collect();

    if methods.is_empty() {
        return Some(
            error_response(&AppError::bad_request(format!("There is no endpoint at {path}.")))
                .map_status(StatusCode::NOT_FOUND),
        );
    }
    if methods.contains(method) {
        return None;
    }
    let allow = methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
    let message = format!("{path} accepts {allow} only.");
    let mut response =
        error_response(&AppError::bad_request(message)).map_status(StatusCode::METHOD_NOT_ALLOWED);
    if let Ok(allow) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    Some(response)
}

/// Rewrites what Leptos answered into the documented contract.
async fn finish(response: Response) -> Response {
    if response.status().is_redirection() && response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return form_failed(response).await;
    }
    if response.status().is_redirection() {
        return see_other_locally(response);
    }
    if response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return rewrite_error(response).await;
    }
    response
}

/// A plain form post failed: Leptos sends it back to its page with the error in the URL.
/// When the failure is that the session is over, it goes to the login page instead, which
/// says so and brings the user back (going back to the page would only redirect there,
/// without the reason, since the answer also removes the dead cookie).
async fn form_failed(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let body = to_bytes(body, MAX_BODY_BYTES).await.unwrap_or_default();
    if let Ok(AppError::SignInRequired {}) = serde_json::from_slice::<AppError>(&body) {
        let back = parts.headers.get(header::LOCATION).and_then(|v| v.to_str().ok());
        let login = app::next::login_url_after_session_end(&local_part(back.unwrap_or("/")));
        if let Ok(login) = HeaderValue::from_str(&login) {
            parts.headers.insert(header::LOCATION, login);
        }
    }
    see_other_locally(Response::from_parts(parts, Body::from(body)))
}

/// Form posts are redirected with 303 (the browser then GETs the next page), and only to
/// a path on this site: Leptos sends a failed form back to its `Referer`, which a foreign
/// page could set.
fn see_other_locally(mut response: Response) -> Response {
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(local_part);

    let location = location.filter(|location| app::next::is_local(location));
    match location.and_then(|location| HeaderValue::from_str(&location).ok()) {
        Some(location) => {
            response.headers_mut().insert(header::LOCATION, location);
        }
        None => {
            response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/"));
        }
    }
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}

/// `http://host/login?x` → `/login?x`; a relative location is kept if it is local.
fn local_part(location: &str) -> String {
    let base = url::Url::parse("http://local.invalid/").expect("a constant, valid URL");
    match base.join(location) {
        Ok(url) => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
        Err(_) => "/".to_owned(),
    }
}

/// Leptos answers every server-function error with 500; give each its real status.
async fn rewrite_error(response: Response) -> Response {
    let body = to_bytes(response.into_body(), MAX_BODY_BYTES).await.unwrap_or_default();
    let error = serde_json::from_slice::<AppError>(&body).unwrap_or_else(|err| {
        tracing::error!(error = %err, "a server function failed with an unreadable error");
        AppError::Internal {}
    });
    if matches!(error, AppError::BadRequest { .. }) {
        tracing::info!(%error, "bad request");
    }
    error_response(&error)
}

trait MapStatus {
    fn map_status(self, status: StatusCode) -> Self;
}

impl MapStatus for Response {
    fn map_status(mut self, status: StatusCode) -> Self {
        *self.status_mut() = status;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_locations_become_local_paths() {
        assert_eq!(
            local_part("http://127.0.0.1:3000/login?next=%2Faccount"),
            "/login?next=%2Faccount"
        );
        assert_eq!(local_part("https://evil.example/x"), "/x");
        assert_eq!(local_part("//evil.example/x"), "/x");
        assert_eq!(local_part("/account"), "/account");
    }

    proptest::proptest! {
        #[test]
        fn any_body_is_judged_without_panicking(body in proptest::collection::vec(0u8.., 0..512)) {
            let _ = check_form(&form_headers(), &body);
        }

        #[test]
        fn whatever_a_browser_encodes_is_accepted(fields in proptest::collection::vec(
            ("\\PC{0,40}", "\\PC{0,80}"), 0..6,
        )) {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish();
            proptest::prop_assert!(check_form(&form_headers(), body.as_bytes()).is_ok());
        }
    }

    fn form_headers() -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        let form = HeaderValue::from_static("application/x-www-form-urlencoded");
        headers.insert(header::CONTENT_TYPE, form);
        headers
    }

    #[test]
    fn forms_must_be_url_encoded_utf8_with_well_formed_escapes() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );

        assert!(check_form(&headers, b"username=al%C3%A9&password=a+b").is_ok());
        assert!(check_form(&headers, b"password=%FF%FE").is_err());
        assert!(check_form(&headers, b"username=%zz").is_err());
        assert!(check_form(&headers, b"username=x%").is_err());
        assert!(check_form(&headers, b"username=\xff").is_err());

        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(check_form(&headers, b"username=x"), Err(AppError::UnsupportedMediaType {}));
        assert!(check_form(&headers, b"").is_ok(), "an empty body needs no type");
    }

    #[test]
    fn every_error_kind_has_a_client_or_server_status() {
        assert_eq!(status_for(&AppError::WrongCredentials { username: String::new() }), 401);
        assert_eq!(status_for(&AppError::bad_request("x")), 400);
        assert_eq!(status_for(&AppError::Unavailable {}), 503);
    }
}
