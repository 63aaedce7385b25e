//! What the password hash cost allows on this machine: Argon2id verifications per second
//! with Sesame's own parameters and parallelism (one per core), for `--seconds`.

use std::time::{Duration, Instant};

use app::auth::{password::Passwords, rules::Password};
use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 5)]
    seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let passwords = Passwords::new(cores);
    let stored = passwords.hash(Password::new("correct-horse-1".to_owned())).await?;

    let until = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..cores {
        let (passwords, stored) = (passwords.clone(), stored.clone());
        workers.spawn(async move {
            let mut done = 0u64;
            while Instant::now() < until {
                let password = Password::new("correct-horse-1".to_owned());
                if passwords.verify(password, Some(stored.clone())).await.unwrap_or(false) {
                    done += 1;
                }
            }
            done
        });
    }
    let mut verified = 0;
    while let Some(done) = workers.join_next().await {
        verified += done?;
    }
    let rate = verified as f64 / started.elapsed().as_secs_f64();
    println!("{}", serde_json::json!({ "verifications_per_second": rate, "cores": cores }));
    Ok(())
}
