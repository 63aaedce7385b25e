//! `sesame`: runs the server until Ctrl-C or SIGTERM, then drains requests in flight; or
//! runs one administrative command (see `server::cli`) and exits.

use clap::Parser;
use server::{
    cli::{self, Cli, Command},
    telemetry, Server,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Cli { command, settings } = Cli::parse();
    if let Some(Command::Admin(admin)) = command {
        telemetry::init_for_commands()?;
        if let Err(err) = cli::run(admin, &settings).await {
            eprintln!("sesame: {err:#}");
            std::process::exit(1);
        }
        return Ok(());
    }
    telemetry::init(&settings.log)?;

    let server = Server::start(settings).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.stop().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
