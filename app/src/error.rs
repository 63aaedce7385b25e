//! The one error type that server functions return, and what each kind means to a user.
//!
//! The type crosses the network: the server encodes it as JSON, the browser (or a plain
//! form post, through the redirect URL) decodes it and shows the message next to the right
//! field. Which HTTP status each kind gets is decided in one place on the server
//! (`server/src/api.rs`), so this module only says what happened, never how to answer.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// The fields of Sesame's forms that can carry a message of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Username,
    /// The current password, asked again before a sensitive change.
    CurrentPassword,
    Password,
    PasswordConfirm,
}

impl Field {
    pub const ALL: [Field; 4] =
        [Field::Username, Field::CurrentPassword, Field::Password, Field::PasswordConfirm];

    /// The form field's `name`, also its key in the JSON error.
    pub fn name(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::CurrentPassword => "current_password",
            Field::Password => "password",
            Field::PasswordConfirm => "password_confirm",
        }
    }
}

/// Why a field was refused.
///
/// Only this code travels; the words are ours (see [`FieldProblem::message`]). Errors of a
/// form posted without JavaScript come back in the page's URL, which anyone can write, so
/// a link can at most make the page show one of these messages, never text of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum FieldProblem {
    Missing,
    TooShort {
        min: usize,
        got: usize,
    },
    TooLong {
        max: usize,
    },
    /// A username with characters outside `a-z A-Z 0-9 . _ -`.
    Characters,
    /// A username that does not start with a letter or a digit.
    Start,
    Taken,
    Mismatch,
    /// The current password, when it is not.
    Wrong,
    /// A new password equal to the current one.
    Unchanged,
    /// A new password that attackers would guess early, and why.
    Guessable {
        reason: GuessableReason,
    },
}

/// Why a password is easy to guess (from zxcvbn's analysis, see `auth::rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuessableReason {
    /// On the lists of common passwords, or close to one.
    Common,
    /// Repeats, sequences or rows of keys.
    Pattern,
    /// Dates and years.
    Dates,
    /// A single word or name, even with small changes.
    Words,
    /// It contains the username.
    Personal,
    /// It contains the name of this site.
    Context,
    /// Too predictable, for no single reason.
    Other,
}

impl GuessableReason {
    fn sentence(self) -> &'static str {
        match self {
            Self::Common => "It is on the lists of common passwords that attackers try first.",
            Self::Pattern => "Repeats, sequences and rows of keys are easy to guess.",
            Self::Dates => "Dates and years are easy to guess.",
            Self::Words => "A single word or name is easy to guess, even with small changes.",
            Self::Personal => "It contains your username.",
            Self::Context => "It contains the name of this site.",
            Self::Other => "It is too predictable.",
        }
    }
}

impl FieldProblem {
    /// The sentence shown next to `field`.
    pub fn message(&self, field: Field) -> String {
        match (self, field) {
            (Self::Missing, Field::Username) => "Enter your username.".into(),
            (Self::Missing, Field::CurrentPassword) => "Enter your current password.".into(),
            (Self::Missing, Field::Password) => "Enter your password.".into(),
            (Self::Missing, Field::PasswordConfirm) => "Enter the password again.".into(),
            (Self::TooShort { min, got }, _) => {
                format!("Use at least {min} characters ({got} so far).")
            }
            (Self::TooLong { max }, _) => format!("Use at most {max} characters."),
            (Self::Characters, _) => {
                "Use only letters a–z, digits, dots, dashes and underscores.".into()
            }
            (Self::Start, _) => "Start with a letter or a digit.".into(),
            (Self::Taken, _) => "That username is taken. Try another one.".into(),
            (Self::Mismatch, _) => "The two passwords do not match.".into(),
            (Self::Wrong, _) => "That is not your current password.".into(),
            (Self::Unchanged, _) => "Choose a password other than your current one.".into(),
            (Self::Guessable { reason }, _) => format!(
                "This password is too easy to guess. {} Try a few unrelated words.",
                reason.sentence()
            ),
        }
    }
}

/// The problems of one form, field by field. `None` means the field is fine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<FieldProblem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<FieldProblem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_confirm: Option<FieldProblem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<FieldProblem>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        Field::ALL.iter().all(|field| self.get(*field).is_none())
    }

    pub fn get(&self, field: Field) -> Option<&FieldProblem> {
        match field {
            Field::Username => self.username.as_ref(),
            Field::CurrentPassword => self.current_password.as_ref(),
            Field::Password => self.password.as_ref(),
            Field::PasswordConfirm => self.password_confirm.as_ref(),
        }
    }
}

fn too_many_attempts(wait_secs: u64) -> String {
    let minutes = wait_secs.div_ceil(60);
    match minutes {
        0 | 1 => "Too many attempts. Try again in a minute.".to_owned(),
        n => format!("Too many attempts. Try again in {n} minutes."),
    }
}

/// The username as echoed back to refill a form: never longer than any valid one by much.
pub fn echo(username: &str) -> String {
    username.chars().take(64).collect()
}

/// The username of a failed login as echoed back, only if it could be a username at all.
/// Without JavaScript the echo travels in the page's URL, and so into the browser's
/// history: a password typed into the wrong field must not.
pub fn echo_if_username(username: &str) -> String {
    if crate::auth::rules::check_username(username).is_ok() {
        username.to_owned()
    } else {
        String::new()
    }
}

/// Everything a server function can answer instead of success.
///
/// Variants carry the non-secret values the user typed (never a password), so that a form
/// posted without JavaScript can be shown again with its fields filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    /// Some fields were rejected; the messages say why, field by field.
    #[error("Please correct the fields marked below.")]
    Invalid {
        fields: FieldErrors,
        #[serde(default)]
        username: String,
    },

    /// Unknown username or wrong password: deliberately the same answer for both.
    #[error("Wrong username or password.")]
    WrongCredentials {
        #[serde(default)]
        username: String,
    },

    /// The request needs a signed-in user and has none (or its session has ended).
    #[error("Please sign in to continue.")]
    SignInRequired {},

    /// A state-changing request sent by another site's page (cross-site request forgery).
    #[error("This request came from another site, so Sesame refused it. Try again on Sesame.")]
    CrossSite {},

    /// There is no such thing for this user (say, a session handle that is not theirs).
    #[error("Not found: it may be gone already.")]
    NotFound {},

    /// The right password, but the account has been disabled by an administrator.
    #[error("This account is disabled. Contact the administrator.")]
    AccountDisabled {},

    /// The request itself was malformed: missing fields, bad encoding and the like.
    #[error("{message}")]
    BadRequest { message: String },

    /// Too many failed attempts recently; the next one is allowed after the given wait.
    #[error("{}", too_many_attempts(*retry_after_secs))]
    TooManyAttempts { retry_after_secs: u64 },

    /// The body took too long to arrive.
    #[error("The request took too long to arrive.")]
    RequestTimeout {},

    /// The body was larger than any form of ours can be.
    #[error("The request is too large.")]
    PayloadTooLarge {},

    /// Headers (usually cookies) larger than any browser sends to us.
    #[error("The request's headers are too large. Clear this site's cookies and try again.")]
    HeadersTooLarge {},

    /// A body that is not `application/x-www-form-urlencoded`, as every form of ours is.
    #[error("Send the fields as application/x-www-form-urlencoded.")]
    UnsupportedMediaType {},

    /// A database or another part we depend on cannot be reached right now.
    #[error("Sesame cannot reach its storage right now. Please try again shortly.")]
    Unavailable {},

    /// A sign-up made the account, but its session could not start (the session store
    /// failed just then): signing up again would find the name taken, logging in works.
    #[error("Your account is ready, but signing you in failed just now. Log in in a moment.")]
    SignedUpNotSignedIn {},

    /// Our own failure; the details are in the server log, not in the answer.
    #[error("Something went wrong on our side. Please try again.")]
    Internal {},
}

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest { message: message.into() }
    }

    /// The message for one field, if this error has one for it.
    pub fn field_message(&self, field: Field) -> Option<String> {
        match self {
            Self::Invalid { fields, .. } => fields.get(field).map(|problem| problem.message(field)),
            _ => None,
        }
    }

    /// What a page shows. Always one of our own sentences: a detail that a client sent
    /// (say, in a malformed request) goes to the JSON answer, never into the page.
    pub fn user_message(&self) -> String {
        match self {
            Self::BadRequest { .. } => {
                "The form could not be read. Please reload the page and try again.".into()
            }
            other => other.to_string(),
        }
    }

    /// The username the user typed, to put back into the form.
    pub fn entered_username(&self) -> Option<&str> {
        match self {
            Self::Invalid { username, .. } | Self::WrongCredentials { username } => {
                Some(username.as_str())
            }
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Errors raised by the server-function machinery itself. On the server these are
    /// malformed requests; on the client they mean the server could not be reached or
    /// answered something we cannot read.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) => {
                Self::bad_request(format!("The form data could not be read: {detail}"))
            }
            ServerFnErrorErr::MissingArg(name) => {
                Self::bad_request(format!("The form is missing the field `{name}`."))
            }
            ServerFnErrorErr::Request(_) => Self::Unavailable {},
            _ => Self::Internal {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_problems_travel_as_codes_and_read_as_our_sentences() {
        let err = AppError::Invalid {
            fields: FieldErrors {
                password: Some(FieldProblem::TooShort { min: 12, got: 5 }),
                ..FieldErrors::default()
            },
            username: "alice".into(),
        };
        let json = serde_json::to_value(&err).expect("serializes");

        assert_eq!(json["fields"]["password"]["problem"], "too_short");
        assert_eq!(
            err.field_message(Field::Password).as_deref(),
            Some("Use at least 12 characters (5 so far).")
        );
        assert_eq!(err.field_message(Field::Username), None);
    }

    #[test]
    fn a_bad_request_detail_never_reaches_the_page() {
        let err = AppError::bad_request("Your account is locked, call +1-555-0100");

        assert!(!err.user_message().contains("555"));
        assert!(err.to_string().contains("555"), "the API answer keeps the detail");
    }

    #[test]
    fn errors_round_trip_through_json_with_their_tag() {
        let err = AppError::WrongCredentials { username: "alice".into() };
        let json = serde_json::to_value(&err).expect("serializes");

        assert_eq!(json["error"], "wrong_credentials");
        assert_eq!(serde_json::from_value::<AppError>(json).expect("parses"), err);
    }

    #[test]
    fn extra_keys_such_as_a_message_are_ignored_when_decoding() {
        let json = serde_json::json!({"error": "internal", "message": "oops"});

        let err: AppError = serde_json::from_value(json).expect("parses");

        assert_eq!(err, AppError::Internal {});
    }
}
