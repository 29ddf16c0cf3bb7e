//! The HTTP side: axum in front of the engine. It turns requests into plain data, lets the
//! engine decide, and turns the engine's reply back into a response. No egui here.

use crate::domain::wire::Method;
use crate::engine::{
    CallOptions, Engine, Incoming, Intake, MAX_BODY_BYTES, NO_TARGET, Refused, Reply, TargetAnswer,
};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every request goes to one handler: the engine routes, so that unknown paths and wrong
/// methods are logged like any other call.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new().fallback(handle).with_state(engine)
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body.to_string(),
        )
            .into_response();
        for (k, v) in self.headers {
            if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                res.headers_mut().insert(k, v);
            }
        }
        res
    }
}

/// Marks a held call "caller gone" if its handler is dropped before the answer arrives.
struct HoldGuard {
    engine: Arc<Engine>,
    id: u64,
    armed: bool,
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        if self.armed {
            self.engine.caller_gone(self.id);
        }
    }
}

async fn handle(State(engine): State<Arc<Engine>>, req: Request) -> Response {
    let (id, reply) = answer(engine.clone(), req).await;
    // Every line recorded so far is written before the response leaves: a process killed
    // after the caller got its answer loses nothing of it. An answer that could not be
    // recorded does not leave: the call is refused instead, saying why.
    match engine.durable() {
        Ok(()) => reply.into_response(),
        Err(why) => engine.unrecorded(id, &why, reply).into_response(),
    }
}

/// The call logged as exchange `id`, and the reply it gets (before it is made durable).
async fn answer(engine: Arc<Engine>, req: Request) -> (u64, Reply) {
    let (parts, body) = req.into_parts();
    let mut headers = String::with_capacity(256);
    for (k, v) in &parts.headers {
        headers.push_str(k.as_str());
        headers.push_str(": ");
        headers.push_str(&String::from_utf8_lossy(v.as_bytes()));
        headers.push('\n');
    }
    let authorized = parts.headers.contains_key(header::AUTHORIZATION);
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = match declared {
        Some(n) if n > MAX_BODY_BYTES as u64 => ReadBody::TooLarge { declared: Some(n) },
        _ => match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            // Copied: the log keeps the body, and a slice would pin hyper's whole read buffer.
            Ok(b) => ReadBody::Read(axum::body::Bytes::copy_from_slice(&b)),
            Err(e) if is_length_limit(&e) => ReadBody::TooLarge { declared },
            Err(e) => ReadBody::Unreadable(e.to_string()),
        },
    };
    // A web page may not reach the inbox (its Origin, or a Host that is not this machine's
    // name): refused before anything else, and logged flagged like any refusal.
    let origin = parts
        .headers
        .get(header::ORIGIN)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let host = parts
        .headers
        .get(header::HOST)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    if let Err(reply) = engine.admit(origin.as_deref(), host.as_deref()) {
        let (body, unread) = match body {
            ReadBody::Read(b) => (b, None),
            ReadBody::TooLarge { .. } => (
                bytes::Bytes::new(),
                Some("(not read: over the limit)".into()),
            ),
            ReadBody::Unreadable(e) => (bytes::Bytes::new(), Some(format!("(not read: {e})"))),
        };
        return engine.refused_as(Refused {
            http_method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            headers,
            body,
            unread,
            reply,
        });
    }
    // A call the session cannot record is refused before anything is done with it.
    let unwritable = engine.unwritable();
    let incoming = match route(
        parts.method.as_str(),
        parts.uri.path(),
        headers,
        authorized,
        body,
    ) {
        Ok(incoming) => incoming,
        Err(refused) => return engine.refused_as(*refused),
    };
    if let Some(why) = unwritable {
        return engine.refused_as(Refused {
            http_method: "POST".into(),
            path: incoming.path,
            headers: incoming.headers,
            body: incoming.body,
            unread: None,
            reply: Engine::unwritable_reply(&why),
        });
    }
    let (id, intake) = engine.intake_as(incoming, &CallOptions::default());
    let reply = settle(engine, intake).await;
    (id, reply)
}

/// The reply to a call the engine took: at once, when a held call is answered, or when the
/// action forward mode relays it to has answered (and the answer was checked). A caller that
/// leaves meanwhile is noted. The server's calls and those the workbench makes to itself (an
/// agent's `send_sample`) go the same way.
pub async fn settle(engine: Arc<Engine>, intake: Intake) -> Reply {
    match intake {
        Intake::Now(reply) => reply,
        Intake::Held { id, reply } => wait_for(engine, id, reply).await,
        Intake::Forward {
            id,
            reply,
            method,
            content_type,
            body,
        } => {
            // Armed before the relay: a caller that leaves while the action thinks is noted.
            let mut guard = HoldGuard {
                engine: engine.clone(),
                id,
                armed: true,
            };
            match engine.relay() {
                Some(relay) => {
                    let (url, answer) = relay.relay(method, content_type, body).await;
                    engine.forwarded(id, &url, answer);
                }
                None => engine.forwarded(
                    id,
                    "(no target)",
                    TargetAnswer::Failed {
                        code: "no-target",
                        reason: NO_TARGET.into(),
                    },
                ),
            }
            guard.armed = false;
            wait_for(engine, id, reply).await
        }
    }
}

/// Waits for the answer to a held (or forwarded) call; a caller that leaves is noted.
async fn wait_for(engine: Arc<Engine>, id: u64, reply: oneshot::Receiver<Reply>) -> Reply {
    let mut guard = HoldGuard {
        engine: engine.clone(),
        id,
        armed: true,
    };
    let reply = reply.await;
    guard.armed = false;
    match reply {
        Ok(r) => r,
        Err(_) => Reply::error(
            503,
            "SHUTTING_DOWN",
            "the workbench stopped before answering",
        ),
    }
}

/// The body as the server read it.
#[derive(Clone, Debug)]
pub enum ReadBody {
    Read(bytes::Bytes),
    TooLarge { declared: Option<u64> },
    Unreadable(String),
}

/// The HTTP decisions made before the engine judges a call: which method the path reaches
/// (under any prefix, as the SDK dispatches), that it is a POST, and that its body was read.
/// A refusal names the problem (404, 405 with `Allow`, 413, 400) and is still logged.
pub fn route(
    http_method: &str,
    path: &str,
    headers: String,
    authorized: bool,
    body: ReadBody,
) -> Result<Incoming, Box<Refused>> {
    let refuse = |reply: Reply, body: bytes::Bytes, unread: Option<String>| {
        Box::new(Refused {
            http_method: http_method.to_string(),
            path: path.to_string(),
            headers: headers.clone(),
            body,
            unread,
            reply,
        })
    };
    // A body that was not read: why, for the log, and the reply that says so.
    let (body, unread) = match body {
        ReadBody::Read(b) => (b, None),
        ReadBody::TooLarge { declared } => {
            let why = match declared {
                Some(n) => format!("(not read: {n} bytes, over the {MAX_BODY_BYTES}-byte limit)"),
                None => format!("(not read: over the {MAX_BODY_BYTES}-byte limit)"),
            };
            let reply = Reply::error(
                413,
                "BODY_TOO_LARGE",
                &format!("the body is over the {MAX_BODY_BYTES}-byte (1 MiB) limit"),
            );
            (bytes::Bytes::new(), Some((why, reply)))
        }
        ReadBody::Unreadable(e) => {
            let reply = Reply::error(
                400,
                "BODY_UNREADABLE",
                &format!("the body could not be read: {e}"),
            );
            (
                bytes::Bytes::new(),
                Some((format!("(not read: {e})"), reply)),
            )
        }
    };
    let why = unread.as_ref().map(|(w, _)| w.clone());
    let Some(method) = Method::from_path(path) else {
        let known: Vec<String> = Method::ALL
            .iter()
            .map(|m| format!("POST {}", m.path()))
            .collect();
        let msg = format!(
            "no route for {http_method} {path}: the workbench serves {} (under any prefix, as a provider's baseUri puts them)",
            known.join(", ")
        );
        return Err(refuse(Reply::error(404, "UNKNOWN_ROUTE", &msg), body, why));
    };
    if !http_method.eq_ignore_ascii_case("POST") {
        let msg = format!("{http_method} is not allowed on {path}: use POST");
        let mut r = Reply::error(405, "METHOD_NOT_ALLOWED", &msg);
        r.headers.push(("allow".into(), "POST".into()));
        return Err(refuse(r, body, why));
    }
    if let Some((why, reply)) = unread {
        return Err(refuse(reply, body, Some(why)));
    }
    Ok(Incoming {
        method,
        path: path.to_string(),
        headers,
        authorized,
        body,
    })
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        src = s.source();
    }
    false
}

/// Why the server could not start, in words a person can act on.
#[derive(Debug)]
pub enum StartError {
    NotLoopback(SocketAddr),
    InUse(SocketAddr),
    Bind(SocketAddr, std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::NotLoopback(a) => write!(
                f,
                "{a} is not a loopback address: other machines could call the inbox. Pass --allow-remote to do it anyway"
            ),
            StartError::InUse(a) => write!(
                f,
                "port {} on {} is already in use: stop the other program, or pick another port with --port (--port 0 picks a free one)",
                a.port(),
                a.ip()
            ),
            StartError::Bind(a, e) => write!(f, "cannot listen on {a}: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A running server: its address, and how to stop it.
pub struct ServerHandle {
    pub addr: SocketAddr,
    engine: Arc<Engine>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    ticker: JoinHandle<()>,
}

/// How often holds and waits are checked against the clock.
pub const TICK: Duration = Duration::from_millis(100);

pub fn check_bind(ip: IpAddr, port: u16, allow_remote: bool) -> Result<SocketAddr, StartError> {
    let addr = SocketAddr::new(ip, port);
    if !ip.is_loopback() && !allow_remote {
        return Err(StartError::NotLoopback(addr));
    }
    Ok(addr)
}

/// Binds and serves on the current tokio runtime; ticks the engine's clock in the background.
pub async fn start(engine: Arc<Engine>, addr: SocketAddr) -> Result<ServerHandle, StartError> {
    start_with(engine, addr, None).await
}

/// [`start`], with `mount`'s routes beside the inbox's (the MCP server's `/mcp`). Each request
/// carries its peer's address (`ConnectInfo`), for routes that answer only this machine.
pub async fn start_with(
    engine: Arc<Engine>,
    addr: SocketAddr,
    mount: Option<Router>,
) -> Result<ServerHandle, StartError> {
    let listener = TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => StartError::InUse(addr),
        _ => StartError::Bind(addr, e),
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(addr, e))?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = match mount {
        Some(m) => m.merge(router(engine.clone())),
        None => router(engine.clone()),
    };
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!("server stopped: {e}");
        }
    });
    let ticking = engine.clone();
    let ticker = tokio::spawn(async move {
        let mut every = tokio::time::interval(TICK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            every.tick().await;
            ticking.tick();
        }
    });
    tracing::info!("inbox listening on http://{addr}");
    Ok(ServerHandle {
        addr,
        engine,
        shutdown: Some(tx),
        task: Some(task),
        ticker,
    })
}

impl ServerHandle {
    /// Answers every held call 503, then stops, waiting at most `deadline` for open requests.
    pub async fn stop(mut self, deadline: Duration) {
        self.engine.close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.ticker.abort();
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(deadline, task).await.is_err() {
                tracing::warn!(
                    "server did not stop within {deadline:?}; aborting open connections"
                );
                abort.abort();
            }
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.ticker.abort();
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}
