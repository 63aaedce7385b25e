//! The ceiling the benchmark measures Sesame against: a bare axum handler on the same
//! runtime and machine, answering a small JSON body with no session, no database, no
//! middleware. Nothing in Sesame's request path can be faster than this.

use axum::{routing::any, Json, Router};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let router = Router::new().route(
        "/whoami",
        any(|| async { Json(serde_json::json!({ "user": { "username": "bench" } })) }),
    );
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
