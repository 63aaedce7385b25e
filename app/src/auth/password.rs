//! Password hashing with Argon2id, off the async runtime and bounded in parallelism.
//!
//! Hashing is deliberately slow (tens of milliseconds of CPU and 19 MiB of memory each), so
//! it runs on threads of its own, one per core, at the lowest scheduling priority: a storm
//! of logins uses every core the requests of signed-in users leave idle, and those
//! requests still get the CPU first. Work beyond that waits in the pool's queue.

use std::sync::Arc;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

use crate::{
    auth::rules::{check_guessability, Password},
    error::{AppError, FieldProblem},
};

/// OWASP's minimum for Argon2id: 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .expect("the Argon2 parameters are constants within the allowed range");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords; clone it freely.
#[derive(Clone)]
pub struct Passwords {
    hashers: Arc<rayon::ThreadPool>,
    /// Verified against when the username is unknown, so that an unknown user costs the
    /// server the same work as a known one and timing does not reveal which usernames exist.
    dummy_hash: Arc<str>,
}

impl Passwords {
    /// `parallel` hashes at most run at once. Blocks for one hash (the dummy) while starting.
    pub fn new(parallel: usize) -> Self {
        let dummy = Password::new(format!("dummy-{}", uuid::Uuid::new_v4()));
        let dummy_hash = hash_now(&dummy).expect("hashing a fixed-size dummy password cannot fail");

        let hashers = rayon::ThreadPoolBuilder::new()
            .num_threads(parallel.max(1))
            .thread_name(|n| format!("argon2-{n}"))
            .start_handler(|_| lower_this_threads_priority())
            .panic_handler(|_| tracing::error!("a password hashing task panicked"))
            .build()
            .expect("the hashing threads start");

        Self { hashers: Arc::new(hashers), dummy_hash: dummy_hash.into() }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) with a fresh random salt.
    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        self.run(move || hash_now(&password)).await?
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown user) it does the
    /// same work against the dummy hash and answers `false`.
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.to_string());

        let matches = self.run(move || verify_now(&password, &stored)).await?;
        Ok(known && matches)
    }

    /// Judges how guessable a new password is (see `rules::check_guessability`), on the
    /// same bounded pool as hashing: it can take tens of milliseconds of CPU.
    pub async fn judge(
        &self,
        password: Password,
        username: String,
    ) -> Result<Result<(), FieldProblem>, AppError> {
        self.run(move || check_guessability(&password, &username)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.hashers.spawn(move || {
            let _ = done.send(work());
        });
        // A task that panicked dropped `done` unsent.
        result.await.map_err(|_| AppError::Internal {})
    }
}

/// Gives the calling thread the lowest priority of normal threads (nice 19 on Linux): it
/// gets a core whenever requests leave one idle, and a small share when they do not, so
/// logins slow down under load but never stop. (SCHED_IDLE, tried too, would starve them.)
/// Lowering one's own priority needs no privilege; where it fails the thread keeps its own.
fn lower_this_threads_priority() {
    let lowest = thread_priority::ThreadPriority::Min;
    if let Err(err) = thread_priority::set_current_thread_priority(lowest) {
        tracing::debug!(error = ?err, "hashing threads keep their priority");
    }
}

/// Whether a stored hash was made with other (older, weaker) parameters than today's, and
/// should be replaced at the next successful login, when the password is at hand.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let same_algorithm = parsed.algorithm == Algorithm::Argon2id.ident();
    let same_params = Params::try_from(&parsed).is_ok_and(|params| {
        (params.m_cost(), params.t_cost(), params.p_cost()) == (MEMORY_KIB, PASSES, LANES)
    });
    !(same_algorithm && same_params && parsed.version == Some(Version::V0x13.into()))
}

fn hash_now(password: &Password) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| {
            tracing::error!(error = %err, "password hashing failed");
            AppError::Internal {}
        })
}

fn verify_now(password: &Password, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2().verify_password(password.expose().as_bytes(), &parsed).is_ok(),
        Err(err) => {
            tracing::error!(error = %err, "a stored password hash cannot be parsed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let passwords = Passwords::new(2);
        let hash = passwords.hash(Password::new("correct-horse-1")).await.expect("hashes");

        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(passwords
            .verify(Password::new("correct-horse-1"), Some(hash.clone()))
            .await
            .expect("runs"));
        assert!(!passwords
            .verify(Password::new("correct-horse-2"), Some(hash))
            .await
            .expect("runs"));
    }

    #[tokio::test]
    async fn only_hashes_with_other_parameters_need_a_rehash() {
        let passwords = Passwords::new(1);
        let today = passwords.hash(Password::new("correct-horse-1")).await.expect("hashes");
        let weak_params = Params::new(4096, 1, 1, None).expect("valid parameters");
        let salt = SaltString::generate(&mut OsRng);
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, weak_params)
            .hash_password(b"correct-horse-1", &salt)
            .expect("hashes")
            .to_string();

        assert!(!needs_rehash(&today));
        assert!(needs_rehash(&weak));
        assert!(needs_rehash("not a hash"));
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_dummy_password() {
        let passwords = Passwords::new(1);

        assert!(!passwords.verify(Password::new("anything"), None).await.expect("runs"));
    }
}
