//! The accept loop: HTTP/1.1 over hyper with the limits `axum::serve` lacks.
//!
//! A client has [`Config::header_timeout`] to send a request's headers, which also closes a
//! kept-alive connection idle that long (hyper starts the clock when it waits for a request);
//! [`Config::body_idle_timeout`] between body chunks and [`Config::body_timeout`] for the whole
//! body; and at most [`Config::max_connections`] connections are served at once (the next
//! waits in the kernel's backlog until one closes). A `Content-Length` over the largest body
//! any route accepts is refused with 413 before the body is read (`router::refuse_oversized`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::{DeadlineBody, TimeoutBody};

use crate::{AppState, Config, router};

/// How long open connections get to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves the application on `listener` until Ctrl-C / SIGTERM.
///
/// # Errors
/// I/O errors from the listener other than a failed accept.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let _checkpoints = state.app.start_background();
    let config = Arc::clone(&state.config);
    let app = router(state);
    serve_router(listener, app, &config, shutdown_signal()).await
}

/// Serves `app` on `listener` under `config`'s limits until `stop` completes.
///
/// # Errors
/// None in practice: a failed accept (too many open files, a reset) is waited out.
pub async fn serve_router(
    listener: TcpListener,
    app: Router,
    config: &Config,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(config.header_timeout).keep_alive(true);
    let (idle, deadline) = (config.body_idle_timeout, config.body_timeout);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&connections).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait, go on.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = tower::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let req = req.map(|body| Body::new(DeadlineBody::new(deadline, TimeoutBody::new(idle, body))));
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.oneshot(req).await.unwrap_or_else(|e| match e {})) }
        });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {}
    }
    Ok(())
}

/// The client's address, when the request came through [`serve`] (`None` otherwise, as in a
/// router called directly). Throttling counts by it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

/// A wait in whole seconds (at least one, for `Retry-After`) and in whole minutes (for people).
#[must_use]
pub fn retry_after(wait: Duration) -> (u64, u64) {
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    (secs, secs.div_ceil(60))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
