//! What a shared page leaves out unless asked to keep it: JWT signatures (a signed token could
//! be replayed against the app), `Authorization`, `Cookie`, `Set-Cookie` and
//! `Proxy-Authorization` headers (access tokens), and the app's `instanceId` (which names the
//! site it is installed on), in bodies, answers and tokens' claims alike.

use super::super::{Arc, Arrival};
use super::{Exchange, URL_SAFE_NO_PAD, Value, jwt_part};
use base64::Engine as _;

/// What stands where a secret was.
pub const REDACTED: &str = "[redacted]";

/// Headers whose values are secrets.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// How many secrets of each kind were replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Redacted {
    pub jwt_signatures: usize,
    pub headers: usize,
    pub instance_ids: usize,
}

impl Redacted {
    /// `ex` with its secrets replaced, counted.
    pub fn apply(&mut self, ex: &Exchange) -> Exchange {
        let mut out = ex.clone();
        let headers = self.headers(&ex.arrival.headers);
        let body = self.body(&ex.arrival.body);
        out.arrival = Arc::new(Arrival {
            headers,
            body,
            unread: ex.arrival.unread.clone(),
        });
        for r in out.response.iter_mut().chain(out.target_answer.iter_mut()) {
            let mut b = (*r.body).clone();
            if self.instance_ids(&mut b) {
                r.body = Arc::new(b);
            }
        }
        out
    }

    /// What the page says was redacted, or None when nothing was.
    pub fn sentence(&self) -> Option<String> {
        let mut parts = vec![];
        let n =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        if self.jwt_signatures > 0 {
            parts.push(n(self.jwt_signatures, "JWT signature", "JWT signatures"));
        }
        if self.headers > 0 {
            parts.push(n(
                self.headers,
                "Authorization or cookie header",
                "Authorization and cookie headers",
            ));
        }
        if self.instance_ids > 0 {
            parts.push(n(self.instance_ids, "instanceId", "instanceIds"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    fn headers(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let name = line
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if line.contains(':') && SECRET_HEADERS.contains(&name.as_str()) {
                let (k, _) = line.split_once(':').unwrap_or((line, ""));
                out.push_str(&format!("{k}: {REDACTED}"));
                if line.ends_with('\n') {
                    out.push('\n');
                }
                self.headers += 1;
            } else {
                out.push_str(line);
            }
        }
        out
    }

    /// A body with its instanceIds (JSON) or its signature and claims' instanceIds (a JWT)
    /// replaced; any other body as it is.
    fn body(&mut self, body: &bytes::Bytes) -> bytes::Bytes {
        let Ok(text) = std::str::from_utf8(body) else {
            return body.clone();
        };
        let trimmed = text.trim();
        if let Ok(mut v) = serde_json::from_str::<Value>(trimmed) {
            return if self.instance_ids(&mut v) {
                bytes::Bytes::from(v.to_string())
            } else {
                body.clone()
            };
        }
        let parts: Vec<&str> = trimmed.split('.').collect();
        if parts.len() == 3 && jwt_part(parts[0]).is_some() {
            let claims = jwt_part(parts[1]).map(|mut c| {
                self.instance_ids(&mut c);
                URL_SAFE_NO_PAD.encode(c.to_string())
            });
            self.jwt_signatures += 1;
            let claims = claims.unwrap_or_else(|| parts[1].to_string());
            return bytes::Bytes::from(format!("{}.{claims}.{REDACTED}", parts[0]));
        }
        body.clone()
    }

    /// Replaces every `instanceId` string in `v` (a JWT's `data` may hold its request as a
    /// JSON string: looked into too); whether any was.
    fn instance_ids(&mut self, v: &mut Value) -> bool {
        let mut any = false;
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    if k == "instanceId" && x.as_str().is_some_and(|s| s != REDACTED) {
                        *x = Value::String(REDACTED.into());
                        self.instance_ids += 1;
                        any = true;
                    } else if let Value::String(s) = x
                        && s.contains("instanceId")
                        && let Ok(mut inner) = serde_json::from_str::<Value>(s)
                        && self.instance_ids(&mut inner)
                    {
                        *s = inner.to_string();
                        any = true;
                    } else {
                        any |= self.instance_ids(x);
                    }
                }
            }
            Value::Array(a) => {
                for x in a {
                    any |= self.instance_ids(x);
                }
            }
            _ => {}
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signatures_secret_headers_and_instance_ids_are_replaced_and_counted() {
        let mut r = Redacted::default();
        assert_eq!(
            r.headers("host: x\nAuthorization: Bearer abc\ncookie: s=1\ncontent-type: a\n"),
            "host: x\nAuthorization: [redacted]\ncookie: [redacted]\ncontent-type: a\n"
        );
        let claims = json!({"iss": "wix.com", "data": {"request": {}, "metadata": {"instanceId": "inst-9"}}});
        let jwt = format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let out = r.body(&bytes::Bytes::from(jwt));
        let text = String::from_utf8(out.to_vec()).expect("text");
        assert!(
            text.ends_with(".[redacted]") && !text.contains("c2lnbmF0dXJl"),
            "{text}"
        );
        let back = jwt_part(text.split('.').nth(1).expect("claims")).expect("json");
        assert_eq!(back["data"]["metadata"]["instanceId"], REDACTED);
        let plain = r.body(&bytes::Bytes::from(
            json!({"metadata": {"instanceId": "inst-9"}, "request": {}}).to_string(),
        ));
        assert!(!String::from_utf8_lossy(&plain).contains("inst-9"));
        assert_eq!(
            r,
            Redacted {
                jwt_signatures: 1,
                headers: 2,
                instance_ids: 2
            }
        );
        assert_eq!(
            r.sentence().as_deref(),
            Some("1 JWT signature, 2 Authorization and cookie headers, 2 instanceIds")
        );
    }
}
