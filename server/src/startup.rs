//! Assembles the server: database, session layer, routes, and the listening socket.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use app::{auth::password::Passwords, state::AppState, App};
use axum::{
    extract::{FromRef, State},
    http::StatusCode,
    middleware,
    routing::{any, get},
    Router,
};
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    services::{ServeDir, ServeFile},
    timeout::{RequestBodyTimeoutLayer, TimeoutLayer},
    trace::TraceLayer,
};
use tower_sessions::SessionManagerLayer;

use crate::{
    api,
    client_ip::{self, TrustedProxies},
    config::Settings,
    cookie_policy, db,
    forgery::{self, PublicOrigin},
    headers::{self, Https},
    housekeeping, pages, serve,
    session_store::Store,
    telemetry,
};

/// How long a client may take to send a request body (our bodies are a few hundred bytes).
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long any request may take in all before it is answered 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The router's state: Leptos' options, and what server functions get through context.
#[derive(Clone, FromRef)]
pub struct ServerState {
    pub leptos: LeptosOptions,
    pub app: AppState,
    /// The session cookie's name (it depends on the public origin).
    pub cookie_name: &'static str,
    /// Where sessions live (for the health check; requests reach it through the layer).
    pub store: Store,
}

/// A server that is accepting connections.
pub struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<()>,
    sweeping: JoinHandle<()>,
}

impl Server {
    /// Opens the database (migrating it), binds the socket and starts serving.
    pub async fn start(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("cannot listen on {}", settings.addr))?;
        let addr = listener.local_addr()?;
        let origin = settings.origin(addr)?;
        let db = db::connect(&settings.database_url).await?;
        let store =
            Store::open(settings.session_store_url.as_deref(), &settings.redis_prefix, &db).await?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);

        let app = AppState {
            db: db.clone(),
            passwords: Passwords::new(cores),
            min_password_chars: usize::try_from(settings.password_min_length).unwrap_or(12),
            sessions: settings.session_policy()?,
            user_sessions: Arc::new(store.clone()),
            throttle: settings.throttle_policy(),
            sudo_window: settings.sudo_window,
        };
        let leptos = leptos_options(&settings.site_root, addr);
        let sessions = cookie_policy::session_layer(store.clone(), &origin);
        let cookie_name = cookie_policy::cookie_name(&origin);
        let state = ServerState { leptos, app: app.clone(), cookie_name, store: store.clone() };
        let router = router(state, &settings.site_root);
        let proxies = settings.trusted_proxies.iter().map(|ip| ip.to_canonical()).collect();
        let proxies = TrustedProxies(Arc::new(proxies));
        let router = with_layers(router, sessions, PublicOrigin(Arc::new(origin.clone())), proxies);

        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(serve::serve(listener, router, async move {
            let _ = stopped.await;
        }));
        let kind = store.kind();
        let sweeping = tokio::spawn(housekeeping::run(
            store,
            app,
            settings.sweep_every,
            settings.audit_retention,
        ));

        let database = db::describe(&settings.database_url);
        let sessions = match (kind, &settings.session_store_url) {
            ("redis", Some(url)) => db::describe(url),
            _ => "the database".to_owned(),
        };
        let origin = origin.origin().ascii_serialization();
        tracing::info!(%addr, %origin, %database, %sessions, "listening");
        Ok(Self { addr, stop, serving, sweeping })
    }

    /// The bound address (with the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, and returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.sweeping.abort();
        self.serving.await.context("the server task panicked")?;
        Ok(())
    }
}

fn leptos_options(site_root: &Path, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("sesame")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

fn router(state: ServerState, site_root: &Path) -> Router {
    // Leptos runs page renders and server functions on this executor.
    let _ = any_spawner::Executor::init_tokio();

    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/{*endpoint}", any(api::handle))
        .leptos_routes_with_handler(generate_route_list(App), get(pages::render))
        .nest_service("/pkg", ServeDir::new(site_root.join("pkg")))
        .route_service("/favicon.svg", ServeFile::new(site_root.join("favicon.svg")))
        // Browsers ask for /favicon.ico on pages without a <link rel=icon>, e.g. JSON ones.
        .route_service("/favicon.ico", ServeFile::new(site_root.join("favicon.svg")))
        .fallback(pages::render)
        .with_state(state)
}

/// What every request passes through, outermost last: request id, tracing span, cookie
/// size check, the cross-site check, then the session (which loads nothing until asked).
fn with_layers(
    router: Router,
    sessions: SessionManagerLayer<Store>,
    origin: PublicOrigin,
    proxies: TrustedProxies,
) -> Router {
    let https = Https(origin.0.scheme() == "https");
    let cookie_name = cookie_policy::cookie_name(&origin.0);
    router
        .layer(sessions)
        .layer(middleware::from_fn(crate::session_store::failed_save_is_unavailable))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn_with_state(origin, forgery::refuse_cross_site))
        .layer(middleware::from_fn(cookie_policy::complete_removal_cookie))
        .layer(middleware::from_fn_with_state(cookie_name, cookie_policy::check_request_cookies))
        .layer(middleware::from_fn_with_state(proxies, client_ip::determine))
        .layer(middleware::from_fn_with_state(https, headers::secure))
        .layer(middleware::from_fn(telemetry::remember_span))
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::RequestSpan))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::map_request(telemetry::drop_client_request_id))
}

/// 200 when the server can serve requests; 503, naming what fails, when its database or
/// its session store cannot be used. Both are asked at once, each within its timeout.
async fn healthz(State(state): State<ServerState>) -> (StatusCode, String) {
    let (database, sessions) = tokio::join!(db::is_usable(&state.app.db), state.store.is_usable());
    let word = |usable: bool| if usable { "ok" } else { "unavailable" };
    let status =
        if database && sessions { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = format!(
        "database: {}\nsessions ({}): {}\n",
        word(database),
        state.store.kind(),
        word(sessions)
    );
    (status, body)
}
