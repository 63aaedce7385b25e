//! The `next` parameter: where a user goes after signing in.
//!
//! It comes from the URL, so it is attacker-controlled. Only a path on this site is accepted;
//! anything else (another origin, a protocol-relative `//host`, a backslash that some
//! browsers read as a slash, control characters that browsers strip or that would split an
//! HTTP header) falls back to the default. What passes is always a valid `Location` value.

/// Where a signed-in user lands when no (acceptable) `next` was given.
pub const DEFAULT_AFTER_SIGN_IN: &str = "/account";

/// Longest `next` we keep; real paths of this app are far shorter.
const MAX_LEN: usize = 1024;

/// Returns `raw` if it is a path on this site that is safe to redirect to.
pub fn local_path(raw: &str) -> Option<&str> {
    (is_local(raw) && raw.len() <= MAX_LEN).then_some(raw)
}

/// Whether `raw`, used as a `Location`, stays on this site, whatever its length.
///
/// Besides the leading `//` and `/\` that name another host, dot-segments are refused:
/// a browser resolves `/..//evil.example` to the path `//evil.example`, which a redirect
/// would then send to another host.
pub fn is_local(raw: &str) -> bool {
    let mut chars = raw.chars();
    let single_slash = chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'));
    let plain = raw.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    let path = raw.split(['?', '#']).next().unwrap_or_default();
    let dot_segment = path.split('/').any(|segment| {
        let segment = segment.to_ascii_lowercase().replace("%2e", ".");
        segment == "." || segment == ".."
    });

    single_slash && plain && !dot_segment
}

/// The page to send a user to after signing in: `next` if acceptable, else the default.
pub fn after_sign_in(next: Option<&str>) -> &str {
    next.and_then(local_path).unwrap_or(DEFAULT_AFTER_SIGN_IN)
}

/// A page's path and query without the error a failed form left in the query (`__path`,
/// `__err`), which would only show again on the way back.
pub fn without_form_error(path_and_query: &str) -> String {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key != "__path" && key != "__err")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        return path.to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
    format!("{path}?{query}")
}

/// The login URL that brings the user back to `path` afterwards, saying that their
/// session ended when `ended`.
pub fn login_url_after_session_end(path: &str) -> String {
    format!("{}&ended=1", login_url_returning_to(&without_form_error(path)))
}

/// The login URL that brings the user back to `path` afterwards.
pub fn login_url_returning_to(path: &str) -> String {
    match local_path(path) {
        Some(path) if path != DEFAULT_AFTER_SIGN_IN => {
            let encoded: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
            format!("/login?next={encoded}")
        }
        _ => format!("/login?next={}", DEFAULT_AFTER_SIGN_IN.replace('/', "%2F")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_paths_with_queries_are_kept() {
        assert_eq!(local_path("/account"), Some("/account"));
        assert_eq!(
            local_path("/account/sessions?tab=devices"),
            Some("/account/sessions?tab=devices")
        );
    }

    #[test]
    fn off_site_and_tricky_targets_fall_back_to_the_account_page() {
        let hostile = [
            "",
            "account",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/x",
            "javascript:alert(1)",
            "%2F%2Fevil.example",
            "/account\r\nSet-Cookie: x=y",
            "/\t/evil.example",
            "/\0",
            "/caf\u{e9}",
            "/ space",
            "/..//evil.example/x",
            "/.//evil.example",
            "/x/..//evil.example",
            "/a/../..//evil.example",
            "/%2e%2e//evil.example",
            "/%2E/%2e%2E/evil",
        ];

        for raw in hostile {
            assert_eq!(after_sign_in(Some(raw)), DEFAULT_AFTER_SIGN_IN, "accepted {raw:?}");
        }
    }

    #[test]
    fn overlong_targets_are_refused() {
        let long = format!("/{}", "a".repeat(MAX_LEN));

        assert_eq!(local_path(&long), None);
    }

    #[test]
    fn a_failed_forms_error_is_left_out_of_the_way_back() {
        assert_eq!(
            without_form_error("/account?__path=%2Fapi%2Fx&__err=e30&tab=a"),
            "/account?tab=a"
        );
        assert_eq!(without_form_error("/account?__err=e30"), "/account");
        assert_eq!(
            login_url_after_session_end("/account?__err=e30"),
            "/login?next=%2Faccount&ended=1"
        );
    }

    #[test]
    fn login_url_encodes_the_return_path() {
        assert_eq!(
            login_url_returning_to("/account/sessions?tab=devices"),
            "/login?next=%2Faccount%2Fsessions%3Ftab%3Ddevices"
        );
        assert_eq!(login_url_returning_to("/account"), "/login?next=%2Faccount");
        assert_eq!(login_url_returning_to("//evil.example"), "/login?next=%2Faccount");
    }

    proptest! {
        #[test]
        fn whatever_passes_is_a_same_origin_path_and_a_valid_header(raw in any::<String>()) {
            if let Some(path) = local_path(&raw) {
                prop_assert!(path.starts_with('/'));
                prop_assert!(!path.starts_with("//") && !path.starts_with("/\\"));
                // However a browser resolves it, it stays a path on this host.
                let base = url::Url::parse("http://host.test/").expect("a valid base");
                let resolved = base.join(path).expect("a path joins");
                prop_assert_eq!(resolved.host_str(), Some("host.test"));
                prop_assert!(!resolved.path().starts_with("//"));
                prop_assert!(http_header_safe(path));
            }
        }

        #[test]
        fn slash_led_printable_paths_pass_unchanged(rest in "[a-zA-Z0-9/?=&_~-]{0,200}") {
            let raw = format!("/x{rest}");
            prop_assert_eq!(local_path(&raw), Some(raw.as_str()));
        }
    }

    /// The byte rule of `http::HeaderValue::from_str`, restated so the test needs no server crate.
    fn http_header_safe(value: &str) -> bool {
        value.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    }
}
