//! What a message must be before the SDK sees it: JSON, and a JSON-RPC 2.0 message. Both ways
//! in judge with this: `/mcp` answers a malformed body with the error in a 400, stdio writes it
//! as a line of its own (the SDK's stdio transport would end the session on such a line).

use serde_json::{Value, json};

/// JSON-RPC's codes for a message that is not JSON, and one that is not a JSON-RPC message.
pub const PARSE_ERROR: i32 = -32700;
pub const INVALID_REQUEST: i32 = -32600;

/// Why a message is refused: JSON-RPC's code, the request's id if it could be read, and what
/// is wrong with it.
#[derive(Debug)]
pub struct Malformed {
    pub code: i32,
    pub id: Value,
    pub message: String,
}

impl Malformed {
    /// The JSON-RPC error that answers it.
    pub fn answer(&self) -> Value {
        json!({ "jsonrpc": "2.0", "id": self.id,
            "error": { "code": self.code, "message": self.message } })
    }
}

fn invalid(id: Value, message: &str) -> Option<Malformed> {
    Some(Malformed {
        code: INVALID_REQUEST,
        id,
        message: message.into(),
    })
}

/// Why `bytes` is not a JSON-RPC 2.0 message, if it is not. (A batch goes on to the transport,
/// which says what it makes of it.)
pub fn malformed(bytes: &[u8]) -> Option<Malformed> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Some(Malformed {
                code: PARSE_ERROR,
                id: Value::Null,
                message: format!("parse error: the message is not JSON ({e})"),
            });
        }
    };
    let Value::Object(o) = &value else {
        return match value {
            Value::Array(_) => None,
            _ => invalid(
                Value::Null,
                "invalid request: a JSON-RPC message is an object",
            ),
        };
    };
    let id = o.get("id").cloned().unwrap_or(Value::Null);
    if o.get("jsonrpc").and_then(|v| v.as_str()) != Some("2.0") {
        return invalid(id, "invalid request: \"jsonrpc\" must be \"2.0\"");
    }
    let method = o.get("method").map(|m| m.is_string());
    let answer = o.contains_key("result") || o.contains_key("error");
    match method {
        Some(true) => None,
        Some(false) => invalid(id, "invalid request: \"method\" must be a string"),
        None if answer => None,
        None => invalid(
            id,
            "invalid request: a JSON-RPC message has a method (a request or notification) or a result or error (a response)",
        ),
    }
}
