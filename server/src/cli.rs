//! The `sesame` command: serving (the default), and administering users and sessions on
//! the same database as a running server.
//!
//! ```text
//! sesame [serve]
//! sesame sessions list --user NAME
//! sesame sessions revoke --user NAME [--id HANDLE]
//! sesame users create NAME            (the password is read from standard input)
//! sesame users disable NAME | sesame users enable NAME
//! sesame migrate
//! ```
//!
//! Every change takes effect at the running server's next request: sessions live in the
//! shared store (the database, or Redis), and the server checks them at every request.

use std::io::BufRead;

use anyhow::{bail, Context};
use app::{
    account::device,
    auth::{
        audit::{Entry, Event},
        format_for_people,
        password::Passwords,
        rules::{check_new_password, check_username, Password},
        session::{SessionFacts, UserSessions},
        users::{self, User},
    },
    client::Client,
    error::{Field, FieldProblem},
};
use clap::{Parser, Subcommand};
use sqlx::AnyPool;

use crate::{config::Settings, db, session_store::Store};

#[derive(Debug, Parser)]
#[command(name = "sesame", version, about = "Server-side session authentication, done right.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app (what `sesame` does with no command).
    Serve,
    #[command(flatten)]
    Admin(Admin),
}

/// The commands that work on the database and exit.
#[derive(Debug, Subcommand)]
pub enum Admin {
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// See and end users' sessions.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Create, disable and enable users.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List a user's live sessions, most recently active first.
    List {
        #[arg(long)]
        user: String,
    },
    /// Sign out one session of a user (`--id`, a handle from `list`), or all of them.
    Revoke {
        #[arg(long)]
        user: String,
        #[arg(long)]
        id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user; the password is the first line of standard input.
    Create { username: String },
    /// Disable a user: they cannot sign in, and their sessions end now.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
}

/// Runs an administrative command and prints its outcome to standard output.
pub async fn run(command: Admin, settings: &Settings) -> anyhow::Result<()> {
    let db = db::connect(&settings.database_url).await?;
    let _ = DATABASE.set(db::describe(&settings.database_url));
    if let Admin::Migrate = command {
        // Migrating needs the database only, not the session store.
        println!("The database is up to date.");
        return Ok(());
    }
    let store =
        Store::open(settings.session_store_url.as_deref(), &settings.redis_prefix, &db).await?;
    match command {
        Admin::Migrate => {}
        Admin::Sessions(SessionsCommand::List { user }) => {
            list_sessions(&db, &store, &user).await?
        }
        Admin::Sessions(SessionsCommand::Revoke { user, id }) => {
            revoke(&db, &store, &user, id.as_deref()).await?;
        }
        Admin::Users(UsersCommand::Create { username }) => {
            create_user(&db, &username, settings).await?;
        }
        Admin::Users(UsersCommand::Disable { username }) => {
            let user = find(&db, &username).await?;
            users::set_disabled(&db, user.id, true).await?;
            let ended = store.end_all_but(user.id, None).await?;
            let detail = format!("disabled from the command line; {ended} sessions");
            note(&db, Event::SessionsRevoked, &user, &detail).await?;
            println!("Disabled {}; {ended} sessions signed out.", user.username);
        }
        Admin::Users(UsersCommand::Enable { username }) => {
            let user = find(&db, &username).await?;
            users::set_disabled(&db, user.id, false).await?;
            println!("Enabled {}.", user.username);
        }
    }
    Ok(())
}

async fn list_sessions(db: &AnyPool, store: &Store, username: &str) -> anyhow::Result<()> {
    let user = find(db, username).await?;
    let mut sessions: Vec<SessionFacts> =
        store.list(user.id).await?.into_iter().map(SessionFacts::from).collect();
    sessions.sort_by_key(|session| std::cmp::Reverse(session.last_seen));

    println!("ID\tDEVICE\tADDRESS\tSIGNED IN\tLAST ACTIVE");
    for session in sessions {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            session.handle,
            device::describe(&session.user_agent),
            if session.ip.is_empty() { "unknown" } else { &session.ip },
            when(session.signed_in_at),
            when(session.last_seen),
        );
    }
    Ok(())
}

async fn revoke(
    db: &AnyPool,
    store: &Store,
    username: &str,
    id: Option<&str>,
) -> anyhow::Result<()> {
    let user = find(db, username).await?;
    let ended = match id {
        Some(id) if store.end(user.id, id).await? => 1,
        Some(id) => bail!("{} has no session {id}", user.username),
        None => store.end_all_but(user.id, None).await?,
    };
    note(db, Event::SessionsRevoked, &user, &format!("from the command line: {ended}")).await?;
    println!("Signed out {ended} session(s) of {}.", user.username);
    Ok(())
}

async fn create_user(db: &AnyPool, username: &str, settings: &Settings) -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    let password = Password::new(line.trim_end_matches(['\r', '\n']));

    let min = usize::try_from(settings.password_min_length).unwrap_or(12);
    let problems = [
        check_username(username).err().map(|p| p.message(Field::Username)),
        check_new_password(&password, min).err().map(|p| p.message(Field::Password)),
    ];
    if let Some(problem) = problems.into_iter().flatten().next() {
        bail!("{problem}");
    }
    let passwords = Passwords::new(1);
    if let Err(problem) = passwords.judge(password.clone(), username.to_owned()).await? {
        bail!("{}", problem.message(Field::Password));
    }

    let hash = passwords.hash(password).await?;
    match users::create(db, username, &hash).await? {
        users::Created::Yes(id) => println!("Created {username} ({id})."),
        users::Created::UsernameTaken => bail!("{}", FieldProblem::Taken.message(Field::Username)),
    }
    Ok(())
}

/// The user named `username`, or an error that says which database was searched.
async fn find(db: &AnyPool, username: &str) -> anyhow::Result<User> {
    users::find_by_username(db, username).await?.with_context(|| {
        let place = DATABASE.get().map_or("the database", String::as_str);
        format!("no user {username:?} in {place} (DATABASE_URL)")
    })
}

/// Where the command looks, for its error messages.
static DATABASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn note(db: &AnyPool, event: Event, user: &User, detail: &str) -> anyhow::Result<()> {
    let nobody = Client::none();
    Entry::new(event, &nobody).user(user.id, &user.username).detail(detail).record(db).await?;
    Ok(())
}

fn when(unix: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(unix);
    format_for_people(at.unwrap_or(time::OffsetDateTime::UNIX_EPOCH))
}
