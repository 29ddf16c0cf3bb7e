//! `/mcp` on the inbox: the MCP server over Streamable HTTP, behind its own safety rules.
//!
//! The tools send requests and write files, so `/mcp` answers only a caller on this machine: a
//! loopback peer, a loopback `Host` and no `Origin` but a loopback one. `--allow-host` does not
//! widen it: a tunnel carries Wix's calls to the inbox, never the tools. A body over the inbox's
//! limit, malformed JSON-RPC, an unknown or stale `Mcp-Session-Id`: the SDK's transport answers
//! each with the protocol's error.

use super::Bench;
use crate::engine::{MAX_BODY_BYTES, host_name, is_loopback_name};
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

/// Where the MCP server answers on an inbox.
pub const PATH: &str = "/mcp";

/// The `/mcp` route for `bench`'s inbox (merged into the inbox's router: every other path is
/// the inbox's).
pub fn router(bench: Arc<Bench>) -> Router {
    let config = StreamableHttpServerConfig::default().with_max_request_body_bytes(MAX_BODY_BYTES);
    let stop = config.cancellation_token.clone();
    bench.on_stop(Box::new(move || stop.cancel()));
    let agents = bench.clone();
    let service = StreamableHttpService::new(
        move || Ok(agents.agent()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::from_fn(guard))
}

/// A refusal in JSON-RPC's shape (no request id: it was not read).
fn refuse(status: StatusCode, message: &str) -> Response {
    let body = json!({ "jsonrpc": "2.0", "id": null,
        "error": { "code": -32600, "message": message } });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Why a request may not reach the tools, if it may not: see the module's rules.
pub fn refusal(peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<String> {
    match peer {
        Some(p) if p.ip().is_loopback() => {}
        Some(p) => {
            return Some(format!(
                "the MCP server answers only this machine: {} is not a loopback address",
                p.ip()
            ));
        }
        None => return Some("the MCP server answers only this machine's callers".into()),
    }
    let host = headers
        .get(header::HOST)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    match host {
        Some(h) if is_loopback_name(&host_name(&h)) => {}
        Some(h) => {
            return Some(format!(
                "the MCP server answers only a loopback Host (localhost, 127.0.0.1, [::1]), not {h:?}: a tunnel or --allow-host reaches the inbox, never the tools"
            ));
        }
        None => return Some("a request to the MCP server needs a Host header".into()),
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        let name = origin
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        if !is_loopback_name(&host_name(name)) {
            return Some(format!(
                "the MCP server answers no web page but this machine's: Origin {origin:?} is refused"
            ));
        }
    }
    None
}

async fn guard(request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    if let Some(why) = refusal(peer, request.headers()) {
        tracing::warn!("/mcp refused: {why}");
        return refuse(StatusCode::FORBIDDEN, &why);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared
        && n > MAX_BODY_BYTES as u64
    {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is {n} bytes, over the {MAX_BODY_BYTES}-byte (1 MiB) limit"),
        );
    }
    next.run(request).await
}
