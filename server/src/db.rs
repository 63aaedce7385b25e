//! The database: SQLite (the default) or PostgreSQL, picked by the URL's scheme; connecting,
//! tuning SQLite for concurrent use, and migrating at start.
//!
//! Queries go through sqlx's `Any` driver and are written once, in the SQL both dialects
//! share (`$1` parameters, `RETURNING`, `ON CONFLICT`); only the migrations differ.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    AnyPool, Connection, Executor,
};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request waits for a database connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!(
                "DATABASE_URL must start with sqlite: or postgres:// (got {})",
                describe(url)
            )
        }
    }
}

/// Opens the pool for `url` and brings the schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<AnyPool> {
    let pool = open(url).await?;
    migrate(&pool, url).await?;
    Ok(pool)
}

/// Opens the pool for `url`, without touching the schema.
pub async fn open(url: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    match Dialect::of(url)? {
        Dialect::Sqlite => open_sqlite(url).await,
        Dialect::Postgres => {
            let options =
                AnyConnectOptions::from_str(url).context("DATABASE_URL is not a valid URL")?;
            // One connection first, for its error: the pool would only say it timed out.
            let first = sqlx::AnyConnection::connect_with(&options)
                .await
                .with_context(|| format!("cannot connect to the database at {}", describe(url)))?;
            first.close().await?;
            AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .with_context(|| format!("cannot connect to the database at {}", describe(url)))
        }
    }
}

/// Applies the migrations of the URL's dialect that the database has not seen yet. Several
/// instances starting at once are safe: sqlx takes a lock around the migration.
pub async fn migrate(pool: &AnyPool, url: &str) -> anyhow::Result<()> {
    let migrator = match Dialect::of(url)? {
        Dialect::Sqlite => &SQLITE_MIGRATIONS,
        Dialect::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(pool).await.context("database migration failed")
}

async fn open_sqlite(url: &str) -> anyhow::Result<AnyPool> {
    let url = prepare_sqlite_file(url)?;
    let options = AnyConnectOptions::from_str(&url).context("DATABASE_URL is not a valid URL")?;

    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(ACQUIRE_TIMEOUT)
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
