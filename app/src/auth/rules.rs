//! What makes a username or a password acceptable, with the message a user sees when not.
//!
//! Shared by both sides so that the rules live in one place; the server always re-checks.

use std::fmt;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::error::GuessableReason;
use crate::error::{FieldErrors, FieldProblem};

pub const USERNAME_MIN_CHARS: usize = 3;
pub const USERNAME_MAX_CHARS: usize = 32;
/// The ASVS floor; the server can be configured to ask for more, never for less.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Long enough for any passphrase, short enough that hashing it costs nothing extra.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A password as it travels from a form to the hasher.
///
/// Its `Debug` never shows the value, so neither a log line nor a panic message can leak it.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Checks a username's shape.
pub fn check_username(username: &str) -> Result<(), FieldProblem> {
    let chars = username.chars().count();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');

    if username.is_empty() {
        Err(FieldProblem::Missing)
    } else if chars < USERNAME_MIN_CHARS {
        Err(FieldProblem::TooShort { min: USERNAME_MIN_CHARS, got: chars })
    } else if chars > USERNAME_MAX_CHARS {
        Err(FieldProblem::TooLong { max: USERNAME_MAX_CHARS })
    } else if !username.chars().all(allowed) {
        Err(FieldProblem::Characters)
    } else if !username.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Err(FieldProblem::Start)
    } else {
        Ok(())
    }
}

/// Checks a new password's length; any characters are allowed, spaces included.
pub fn check_new_password(password: &Password, min_chars: usize) -> Result<(), FieldProblem> {
    let chars = password.expose().chars().count();

    if chars == 0 {
        Err(FieldProblem::Missing)
    } else if chars < min_chars {
        Err(FieldProblem::TooShort { min: min_chars, got: chars })
    } else if chars > PASSWORD_MAX_CHARS {
        Err(FieldProblem::TooLong { max: PASSWORD_MAX_CHARS })
    } else {
        Ok(())
    }
}

/// How many leading characters of a new password zxcvbn judges (at most ~50 ms of CPU).
#[cfg(feature = "ssr")]
pub const GUESSABILITY_PREFIX: usize = 32;

/// Words an attacker of this site would try first in passwords (ASVS 6.1.2): its name and
/// what goes with it. Matched anywhere in the password, in any letter case.
#[cfg(feature = "ssr")]
pub const CONTEXT_WORDS: [&str; 1] = ["sesame"];

/// Example passwords so famous (xkcd 936) that they are on every attacker's list.
#[cfg(feature = "ssr")]
const FAMOUS_EXAMPLES: [&str; 2] = ["correcthorsebatterystaple", "troubador"];

/// A password or name reduced to what guessers vary least: lower case, common letter-for-
/// digit swaps undone, and everything but letters and digits dropped. "S3s4me-0pen" and
/// "S E S A M E" both read "sesame...".
#[cfg(feature = "ssr")]
fn squeeze(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '4' | '@' => 'a',
            '3' => 'e',
            '1' | '!' | '|' => 'i',
            '0' => 'o',
            '5' | '$' => 's',
            '7' | '+' => 't',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Refuses a new password that attackers would try early: common passwords, patterns,
/// dates, single words, or one containing the username. Uses zxcvbn's estimate and asks for
/// its top score (over 10^10 guesses): a well-kept crate whose lists of common passwords
/// ship inside it. Server only: the lists are large.
///
/// zxcvbn's work grows fast with length (half a second of CPU for 128 crafted characters),
/// so only the first [`GUESSABILITY_PREFIX`] characters are judged: a password whose start
/// is already strong is strong. Run it off the async runtime (see `Passwords::judge`).
#[cfg(feature = "ssr")]
pub fn check_guessability(password: &Password, username: &str) -> Result<(), FieldProblem> {
    use zxcvbn::{feedback::Warning, zxcvbn, Score};

    let guessable = |reason| Err(FieldProblem::Guessable { reason });
    let squeezed = squeeze(password.expose());
    let name = squeeze(username);
    if name.len() >= 3 && squeezed.contains(&name) {
        return guessable(GuessableReason::Personal);
    }
    if CONTEXT_WORDS.iter().any(|word| squeezed.contains(word)) {
        return guessable(GuessableReason::Context);
    }
    if FAMOUS_EXAMPLES.iter().any(|example| squeezed.contains(example)) {
        return guessable(GuessableReason::Common);
    }

    let prefix: String = password.expose().chars().take(GUESSABILITY_PREFIX).collect();
    let estimate = zxcvbn(&prefix, &[username, CONTEXT_WORDS[0]]);
    if estimate.score() >= Score::Four {
        return Ok(());
    }
    let reason = match estimate.feedback().and_then(|feedback| feedback.warning()) {
        Some(
            Warning::ThisIsATop10Password
            | Warning::ThisIsATop100Password
            | Warning::ThisIsACommonPassword
            | Warning::ThisIsSimilarToACommonlyUsedPassword,
        ) => GuessableReason::Common,
        Some(
            Warning::StraightRowsOfKeysAreEasyToGuess
            | Warning::ShortKeyboardPatternsAreEasyToGuess
            | Warning::RepeatsLikeAaaAreEasyToGuess
            | Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess
            | Warning::SequencesLikeAbcAreEasyToGuess,
        ) => GuessableReason::Pattern,
        Some(Warning::RecentYearsAreEasyToGuess | Warning::DatesAreOftenEasyToGuess) => {
            GuessableReason::Dates
        }
        Some(
            Warning::AWordByItselfIsEasyToGuess
            | Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
            | Warning::CommonNamesAndSurnamesAreEasyToGuess,
        ) => GuessableReason::Words,
        None => GuessableReason::Other,
    };
    guessable(reason)
}

/// All the sign-up form's field checks at once, so the user sees every problem together.
pub fn check_sign_up(
    username: &str,
    password: &Password,
    confirmation: &Password,
    min_password_chars: usize,
) -> FieldErrors {
    FieldErrors {
        username: check_username(username).err(),
        ..check_new_password_twice(password, confirmation, min_password_chars)
    }
}

/// A new password and its confirmation, as the sign-up and password-change forms ask.
pub fn check_new_password_twice(
    password: &Password,
    confirmation: &Password,
    min_password_chars: usize,
) -> FieldErrors {
    let password_confirm =
        (password.expose() != confirmation.expose()).then_some(FieldProblem::Mismatch);

    FieldErrors {
        password: check_new_password(password, min_password_chars).err(),
        password_confirm,
        ..FieldErrors::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_documented_shape() {
        assert!(check_username("alice").is_ok());
        assert!(check_username("a.l-i_c3").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("al").is_err());
        assert_eq!(check_username(&"a".repeat(33)), Err(FieldProblem::TooLong { max: 32 }));
        assert!(check_username("alice smith").is_err());
        assert!(check_username("älice").is_err());
        assert!(check_username("_alice").is_err());
        assert!(check_username("alice\0").is_err());
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        let twelve_accented = Password::new("é".repeat(12));

        assert!(check_new_password(&twelve_accented, 12).is_ok());
        assert!(check_new_password(&Password::new("short"), 12).is_err());
        assert!(check_new_password(&Password::new("x".repeat(129)), 12).is_err());
        assert!(check_new_password(&Password::new("with spaces is fine"), 12).is_ok());
    }

    #[test]
    fn a_mismatched_confirmation_is_reported_on_its_own_field() {
        let errors = check_sign_up(
            "alice",
            &Password::new("correct-horse-1"),
            &Password::new("correct-horse-2"),
            12,
        );

        assert!(errors.username.is_none() && errors.password.is_none());
        assert_eq!(errors.password_confirm, Some(FieldProblem::Mismatch));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn guessable_passwords_are_refused_with_a_reason() {
        let check = |password: &str| check_guessability(&Password::new(password), "alice");
        let reason = |password: &str| match check(password) {
            Err(FieldProblem::Guessable { reason }) => Some(reason),
            _ => None,
        };

        assert_eq!(reason("password1234"), Some(GuessableReason::Common));
        assert_eq!(reason("aaaaaaaaaaaaaaaa"), Some(GuessableReason::Pattern));
        assert_eq!(reason("zxcvbnm,./asdfg"), Some(GuessableReason::Pattern));
        assert_eq!(reason("1985-12-25"), Some(GuessableReason::Dates));
        assert!(reason("Summer2024!!").is_some() && reason("dragon-dragon").is_some());
        assert_eq!(reason("Michael2020"), Some(GuessableReason::Words));
        assert_eq!(reason("alice-is-the-best"), Some(GuessableReason::Personal));
        assert_eq!(reason("My Sesame Password!"), Some(GuessableReason::Context));
        assert_eq!(reason("S3s4me-0pen-door"), Some(GuessableReason::Context));
        assert_eq!(reason("S E S A M E rocks 9"), Some(GuessableReason::Context));
        assert_eq!(reason("a-l-i-c-e-2-w1ns!!"), Some(GuessableReason::Personal));
        assert_eq!(reason("correct horse battery staple"), Some(GuessableReason::Common));
        assert_eq!(reason("Tr0ub4dor&3Tr0ub4dor&3"), Some(GuessableReason::Common));
        for fine in ["correct-horse-1", "battery-staple-2", "violet moss under the bridge"] {
            assert_eq!(check(fine), Ok(()), "{fine}");
        }
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let shown = format!("{:?}", Password::new("hunter2-hunter2"));

        assert!(!shown.contains("hunter2"));
    }
}
