//! Accepting connections, with the time limits a public server needs.
//!
//! Written over hyper-util rather than with `axum::serve`, because that one has no header
//! read timeout: a client that opens connections and trickles header bytes in would hold
//! them forever (slowloris). Here a new connection must start its request within
//! [`HEADER_READ_TIMEOUT`] and send all its headers within as long again; an idle
//! keep-alive connection is closed after as long. Body and handling times are limited in the
//! router's layers. HTTP/1.1 only: Sesame sits behind a TLS-terminating proxy in production,
//! and cleartext HTTP/2 (prior knowledge) would escape the header timeout.

use std::{future::Future, net::SocketAddr, time::Duration};

use axum::{extract::connect_info::IntoMakeServiceWithConnectInfo, Router};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::Service;

/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight may take to finish once shutdown has begun.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish (for up to [`DRAIN_TIMEOUT`]).
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let mut make_service: IntoMakeServiceWithConnectInfo<Router, SocketAddr> =
        router.into_make_service_with_connect_info::<SocketAddr>();
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little, then go on.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A response goes out as headers, then body: without TCP_NODELAY the body waits for
        // the client's delayed ACK (40 ms on Linux) whenever the two are separate writes, as
        // they are for static files.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "TCP_NODELAY not set");
        }
        let Ok(service) = make_service.call(peer).await;
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            // hyper's header timer starts with the first byte; a client that sends nothing
            // at all is given as long, and dropped.
            let mut first = [0u8; 1];
            if tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut first)).await.is_err() {
                return;
            }
            let service = TowerToHyperService::new(service);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            if let Err(err) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(error = %err, "connection closed with an error");
            }
        });
    }

    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running after the drain timeout were cut off");
    }
}
