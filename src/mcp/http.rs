//! `/mcp` on the inbox: the MCP server over Streamable HTTP, behind its own safety rules.
//!
//! The tools send requests and write files, so `/mcp` answers only a caller on this machine: a
//! loopback peer, a loopback `Host` and no `Origin` but a loopback one. `--allow-host` does not
//! widen it: a tunnel carries Wix's calls to the inbox, never the tools. A body over the inbox's
//! limit, malformed JSON-RPC, an unknown or stale `Mcp-Session-Id`: the SDK's transport answers
//! each with the protocol's error.

use super::Bench;
use crate::engine::{MAX_BODY_BYTES, host_name, is_loopback_name};

/// The largest body over the limit that is still read (and dropped) before it is refused.
const DRAIN_AT_MOST: usize = 16 * MAX_BODY_BYTES;
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

/// How long a completed response is kept for a client that resumes its stream.
const COMPLETED_KEPT: std::time::Duration = std::time::Duration::from_secs(5);

/// The `/mcp` route for `bench`'s inbox (merged into the inbox's router: every other path is
/// the inbox's).
pub fn router(bench: Arc<Bench>) -> Router {
    let config = StreamableHttpServerConfig::default().with_max_request_body_bytes(MAX_BODY_BYTES);
    let stop = config.cancellation_token.clone();
    bench.on_stop(Box::new(move || stop.cancel()));
    let agents = bench.clone();
    // The SDK keeps each completed response for a client that resumes its stream; 60 s of an
    // agent's reads (pages of 200 calls) took megabytes of the window's memory. Five seconds
    // still cover a reconnect.
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.completed_cache_ttl = COMPLETED_KEPT;
    let service =
        StreamableHttpService::new(move || Ok(agents.agent()), Arc::new(sessions), config);
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::from_fn(guard))
}

use super::gate::INVALID_REQUEST;

/// A refusal in JSON-RPC's shape (no request id: it was not read).
fn refuse(status: StatusCode, message: &str) -> Response {
    refuse_with(status, INVALID_REQUEST, serde_json::Value::Null, message)
}

fn refuse_with(status: StatusCode, code: i32, id: serde_json::Value, message: &str) -> Response {
    let body = json!({ "jsonrpc": "2.0", "id": id,
        "error": { "code": code, "message": message } });
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
        // Read and dropped when it is not huge, so that the client, still sending, gets the
        // answer below rather than a broken pipe.
        if n <= DRAIN_AT_MOST as u64 {
            let _ = axum::body::to_bytes(request.into_body(), DRAIN_AT_MOST).await;
        }
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is {n} bytes, over the {MAX_BODY_BYTES}-byte (1 MiB) limit"),
        );
    }
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    // The body is read here (within the limit) so that one that is not JSON-RPC gets
    // JSON-RPC's own error, not the transport's plain-text one.
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the body is over the {MAX_BODY_BYTES}-byte (1 MiB) limit, or could not be read"
                ),
            );
        }
    };
    if let Some(response) = malformed(&bytes) {
        return response;
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// The JSON-RPC error for a body that is not JSON-RPC, in a 400, if it is not.
fn malformed(bytes: &[u8]) -> Option<Response> {
    let m = super::gate::malformed(bytes)?;
    Some(refuse_with(
        StatusCode::BAD_REQUEST,
        m.code,
        m.id,
        &m.message,
    ))
}
