//! Fills a session store with copies of one real session (made by a real login), each under
//! a fresh id and spread over `--per-user`-sized groups of new users (as real sessions
//! are: a few per user), and answers what the store grew by per session. Writes the new
//! cookies' values to `--cookies`, one per line, for a load tool to spread requests over.

use std::{io::Write, sync::Arc};

use app::auth::{
    session::{LAST_SEEN_KEY, USER_ID_KEY},
    users::{self, Created},
};
use clap::Parser;
use server::session_store::Store;
use sqlx::AnyPool;
use tower_sessions::{session::Id, SessionStore};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    database_url: String,
    #[arg(long)]
    session_store_url: Option<String>,
    #[arg(long, default_value = "sesame:")]
    redis_prefix: String,
    /// The cookie value of the session to copy.
    #[arg(long)]
    template: String,
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Sessions per user.
    #[arg(long, default_value_t = 4)]
    per_user: usize,
    #[arg(long)]
    cookies: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = server::db::connect(&args.database_url).await?;
    let store = Store::open(args.session_store_url.as_deref(), &args.redis_prefix, &db).await?;
    let id: Id = args.template.parse()?;
    let template = store.load(&id).await?.ok_or_else(|| anyhow::anyhow!("no such session"))?;

    let user_id = template.data[USER_ID_KEY].as_str().unwrap_or_default().to_owned();
    let user = users::find_by_id(&db, user_id.parse()?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the template's user is gone"))?;

    // The users first (sharing one hash: hashing each would only measure Argon2), so that
    // the store's growth is the sessions' alone.
    let mut owners = Vec::new();
    for n in 0..args.count.div_ceil(args.per_user.max(1)) {
        match users::create(&db, &format!("filler{n}"), &user.password_hash).await? {
            Created::Yes(id) => owners.push(id.to_string()),
            Created::UsernameTaken => anyhow::bail!("filler{n} exists: fill a fresh store"),
        }
    }

    // Each copy was just used, as the template was: requests over them within the touch
    // interval read the store and write nothing, whenever in the run the copies are made.
    let now = std::time::UNIX_EPOCH.elapsed()?.as_secs();
    let before = store_bytes(&args, &db).await?;
    let store = Arc::new(store);
    let mut cookies = Vec::with_capacity(args.count);
    let mut batch = tokio::task::JoinSet::new();
    for n in 0..args.count {
        let (store, mut record) = (store.clone(), template.clone());
        let owner = owners[n / args.per_user.max(1)].clone();
        record.data.insert(USER_ID_KEY.to_owned(), owner.into());
        record.data.insert(LAST_SEEN_KEY.to_owned(), now.into());
        batch.spawn(async move { store.create(&mut record).await.map(|()| record.id) });
        if batch.len() >= 64 || n + 1 == args.count {
            while let Some(id) = batch.join_next().await {
                cookies.push(id??);
            }
        }
    }
    let after = store_bytes(&args, &db).await?;

    let mut file = std::io::BufWriter::new(std::fs::File::create(&args.cookies)?);
    for id in &cookies {
        writeln!(file, "{id}")?;
    }
    file.flush()?;
    let per_session = (after - before) as f64 / args.count as f64;
    println!("{}", serde_json::json!({ "store_bytes_per_session": per_session }));
    Ok(())
}

/// What the sessions take in the store: the SQL table with its indexes, or Redis' memory.
async fn store_bytes(args: &Args, db: &AnyPool) -> anyhow::Result<i64> {
    if let Some(url) = &args.session_store_url {
        let mut redis =
            redis::Client::open(url.as_str())?.get_multiplexed_async_connection().await?;
        let info: String = redis::cmd("INFO").arg("memory").query_async(&mut redis).await?;
        let used = info
            .lines()
            .find_map(|line| line.strip_prefix("used_memory:"))
            .ok_or_else(|| anyhow::anyhow!("no used_memory in INFO"))?;
        return Ok(used.trim().parse()?);
    }
    if args.database_url.starts_with("sqlite:") {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(db).await?;
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(db).await?;
        let size: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(db).await?;
        return Ok(pages * size);
    }
    sqlx::query("VACUUM ANALYZE sessions").execute(db).await?;
    Ok(sqlx::query_scalar("SELECT pg_total_relation_size('sessions')::BIGINT")
        .fetch_one(db)
        .await?)
}
