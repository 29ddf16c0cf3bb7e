//! An HTTP request and its answer as plain data: what the server hands the engine and gets
//! back. No axum here.

use super::{Arc, ExchangeId, Finding, Method, Severity, TargetAnswer, Value, json, oneshot};

/// An HTTP answer, as plain data.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// Shared: a saved answer goes out many times without being copied.
    pub body: Arc<Value>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<Arc<Value>>) -> Reply {
        Reply {
            status,
            body: body.into(),
            headers: vec![],
        }
    }

    /// An error in the shape of Wix API errors, naming the problem.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            json!({ "message": message,
                    "details": { "applicationError": { "code": code, "description": message, "data": {} } } }),
        )
    }

    /// What a refusal says (its `message`), or "refused".
    pub fn message(&self) -> &str {
        self.body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("refused")
    }

    /// A validation error listing each field violation.
    pub fn violations(findings: &[Finding]) -> Reply {
        let errors: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        let message = errors
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let violations: Vec<Value> = errors
            .iter()
            .map(|f| {
                json!({ "field": f.field.as_deref().unwrap_or(""),
                        "description": f.message,
                        "violatedRule": f.rule.unwrap_or("OTHER"),
                        "ruleName": f.code })
            })
            .collect();
        Reply::json(
            400,
            json!({ "message": message, "details": { "validationError": { "fieldViolations": violations } } }),
        )
    }
}

/// A routed request, as plain data: the server found its method from the path, checked it is
/// a POST and read its body.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub method: Method,
    /// The full path, as it came (a provider's baseUri may prefix the method's path).
    pub path: String,
    /// The request headers, one `name: value` line each, as the log shows them.
    pub headers: String,
    /// Whether an `Authorization` header came (the completion API wants the app's token).
    pub authorized: bool,
    pub body: bytes::Bytes,
}

impl Incoming {
    /// A POST to `path` with `body`; `None` when no method ends `path`.
    pub fn post(path: &str, body: impl Into<bytes::Bytes>) -> Option<Incoming> {
        Some(Incoming {
            method: Method::from_path(path)?,
            path: path.into(),
            headers: String::new(),
            authorized: false,
            body: body.into(),
        })
    }
}

/// A request the server refused before routing it, to be logged: its reply says why.
#[derive(Clone, Debug)]
pub struct Refused {
    pub http_method: String,
    pub path: String,
    pub headers: String,
    pub body: bytes::Bytes,
    /// Why the body was not read, when it was not.
    pub unread: Option<String>,
    pub reply: Reply,
}

/// What the server does with a call: answer now, or wait for the answer.
#[derive(Debug)]
pub enum Intake {
    Now(Reply),
    Held {
        id: ExchangeId,
        reply: oneshot::Receiver<Reply>,
    },
    /// Forward mode: relay the body, unchanged, to the developer's action with [`Relay`], hand
    /// its answer to [`Engine::forwarded`], then wait for the reply like a held call.
    Forward {
        id: ExchangeId,
        reply: oneshot::Receiver<Reply>,
        method: Method,
        content_type: String,
        body: bytes::Bytes,
    },
}

/// Where forward mode relays calls: the developer's action. The engine does not make HTTP
/// calls; whoever owns an HTTP client (the player) implements this.
pub trait Relay: Send + Sync {
    /// POSTs `body` as is to the action's `method` path; the URL called and what came back.
    fn relay(
        &self,
        method: Method,
        content_type: String,
        body: bytes::Bytes,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = (String, TargetAnswer)> + Send>>;
}
