//! The database: connecting, tuning SQLite for concurrent use, and migrating at start.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    AnyPool, Executor,
};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens the pool for `url` and brings the schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();

    if !url.starts_with("sqlite:") {
        anyhow::bail!("DATABASE_URL must start with sqlite: (PostgreSQL support is not built yet)");
    }
    let url = prepare_sqlite_file(url)?;
    let options = AnyConnectOptions::from_str(&url).context("DATABASE_URL is not a valid URL")?;

    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the one writer; busy_timeout makes a writer
                // wait for the lock instead of failing with "database is locked".
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open the database at {url}"))?;

    SQLITE_MIGRATIONS.run(&pool).await.context("database migration failed")?;
    Ok(pool)
}

/// The file path inside a `sqlite:` URL.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    rest.split('?').next()
}

/// Creates the SQLite file's directory, and asks SQLite to create the file if missing.
fn prepare_sqlite_file(url: &str) -> anyhow::Result<String> {
    let path = sqlite_path(url).unwrap_or_default();
    if let Some(dir) = Path::new(path).parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database directory {}", dir.display()))?;
    }

    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Whether the database answers a trivial query.
pub async fn is_usable(pool: &AnyPool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

/// The database location for logs: a SQLite file's path, another URL without its password.
pub fn describe(url: &str) -> String {
    if let Some(path) = sqlite_path(url) {
        return path.to_owned();
    }
    match url::Url::parse(url) {
        Ok(mut url) => {
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "(unparsable URL)".to_owned(),
    }
}
