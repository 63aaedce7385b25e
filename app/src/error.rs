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

/// Messages that belong next to one form field each. `None` means the field is fine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_confirm: Option<String>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self.username.is_none() && self.password.is_none() && self.password_confirm.is_none()
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

    /// The request itself was malformed: missing fields, bad encoding and the like.
    #[error("{message}")]
    BadRequest { message: String },

    /// The body was larger than any form of ours can be.
    #[error("The request is too large.")]
    PayloadTooLarge {},

    /// A database or another part we depend on cannot be reached right now.
    #[error("Sesame cannot reach its database right now. Please try again shortly.")]
    Unavailable {},

    /// Our own failure; the details are in the server log, not in the answer.
    #[error("Something went wrong on our side. Please try again.")]
    Internal {},
}

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
        }
    }

    /// The message for one field, if this error has one for it.
    pub fn field(&self, pick: impl Fn(&FieldErrors) -> &Option<String>) -> Option<String> {
        match self {
            Self::Invalid { fields, .. } => pick(fields).clone(),
            _ => None,
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
    fn errors_round_trip_through_json_with_their_tag() {
        let err = AppError::WrongCredentials {
            username: "alice".into(),
        };
        let json = serde_json::to_value(&err).expect("serializes");

        assert_eq!(json["error"], "wrong_credentials");
        assert_eq!(
            serde_json::from_value::<AppError>(json).expect("parses"),
            err
        );
    }

    #[test]
    fn extra_keys_such_as_a_message_are_ignored_when_decoding() {
        let json = serde_json::json!({"error": "internal", "message": "oops"});

        let err: AppError = serde_json::from_value(json).expect("parses");

        assert_eq!(err, AppError::Internal {});
    }
}
