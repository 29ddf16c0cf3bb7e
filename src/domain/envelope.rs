//! How a call's body arrives: plain JSON (bare request, or `{request, metadata}`), or a compact
//! JWT whose `data` claim holds `{request, metadata}`, signed RS256 by Wix.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvelopeKind {
    /// The method request itself as JSON, as in the reference page's curl example.
    PlainJson,
    /// `{"request": …, "metadata": …}` as JSON.
    PlainEnvelope,
    /// A JWT whose signature, issuer, audience and times were checked.
    JwtVerified,
    /// A JWT decoded without a key: nothing about it was checked.
    JwtUnverified,
}

impl EnvelopeKind {
    /// For narrow places: the log's column.
    pub fn short_label(self) -> &'static str {
        match self {
            EnvelopeKind::PlainJson => "JSON",
            EnvelopeKind::PlainEnvelope => "envelope",
            EnvelopeKind::JwtVerified => "JWT ok",
            EnvelopeKind::JwtUnverified => "JWT ?",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EnvelopeKind::PlainJson => "JSON",
            EnvelopeKind::PlainEnvelope => "JSON envelope",
            EnvelopeKind::JwtVerified => "JWT verified",
            EnvelopeKind::JwtUnverified => "JWT unverified",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub kind: EnvelopeKind,
    pub request: Value,
    pub metadata: Option<Value>,
    /// Header and claims, for a JWT.
    pub jwt: Option<(Value, Value)>,
}

/// Why a body could not be taken. `status()` is the HTTP status to answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvelopeError {
    Empty,
    InvalidJson(String),
    NotAnObject(&'static str),
    MalformedJwt(String),
    AlgNone,
    WrongAlgorithm(String),
    BadSignature,
    WrongIssuer(String),
    WrongAudience { got: String, expected: String },
    Expired { exp: i64, now: i64 },
    IssuedInFuture { iat: i64, now: i64 },
    MissingClaim(&'static str),
    BadData(String),
    MissingAppExtensionType,
}

impl EnvelopeError {
    pub fn status(&self) -> u16 {
        match self {
            EnvelopeError::AlgNone
            | EnvelopeError::WrongAlgorithm(_)
            | EnvelopeError::BadSignature
            | EnvelopeError::WrongIssuer(_)
            | EnvelopeError::WrongAudience { .. }
            | EnvelopeError::Expired { .. }
            | EnvelopeError::IssuedInFuture { .. }
            | EnvelopeError::MissingClaim(_) => 401,
            _ => 400,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            EnvelopeError::Empty => "EMPTY_BODY",
            EnvelopeError::InvalidJson(_) => "INVALID_JSON",
            EnvelopeError::NotAnObject(_) => "NOT_AN_OBJECT",
            EnvelopeError::MalformedJwt(_) => "MALFORMED_JWT",
            EnvelopeError::AlgNone => "JWT_ALG_NONE",
            EnvelopeError::WrongAlgorithm(_) => "JWT_WRONG_ALGORITHM",
            EnvelopeError::BadSignature => "JWT_BAD_SIGNATURE",
            EnvelopeError::WrongIssuer(_) => "JWT_WRONG_ISSUER",
            EnvelopeError::WrongAudience { .. } => "JWT_WRONG_AUDIENCE",
            EnvelopeError::Expired { .. } => "JWT_EXPIRED",
            EnvelopeError::IssuedInFuture { .. } => "JWT_NOT_YET_VALID",
            EnvelopeError::MissingClaim(_) => "JWT_MISSING_CLAIM",
            EnvelopeError::BadData(_) => "JWT_BAD_DATA",
            EnvelopeError::MissingAppExtensionType => "JWT_MISSING_APP_EXTENSION_TYPE",
        }
    }
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvelopeError::Empty => write!(f, "the body is empty: expected JSON or a compact JWT"),
            EnvelopeError::InvalidJson(e) => write!(f, "the body is not valid JSON: {e}"),
            EnvelopeError::NotAnObject(what) => write!(f, "{what} must be a JSON object"),
            EnvelopeError::MalformedJwt(e) => {
                write!(f, "the body is neither JSON nor a compact JWT: {e}")
            }
            EnvelopeError::AlgNone => {
                write!(f, "the JWT says alg \"none\": unsigned tokens are refused")
            }
            EnvelopeError::WrongAlgorithm(a) => {
                write!(f, "the JWT is signed with {a}; Wix signs with RS256")
            }
            EnvelopeError::BadSignature => {
                write!(
                    f,
                    "the JWT signature does not match the configured public key"
                )
            }
            EnvelopeError::WrongIssuer(iss) => {
                write!(f, "the JWT issuer is {iss:?}, expected \"wix.com\"")
            }
            EnvelopeError::WrongAudience { got, expected } => {
                write!(
                    f,
                    "the JWT audience is {got}, expected the app ID {expected:?}"
                )
            }
            EnvelopeError::Expired { exp, now } => {
                write!(f, "the JWT expired: exp {exp} is not after now ({now})")
            }
            EnvelopeError::IssuedInFuture { iat, now } => {
                write!(
                    f,
                    "the JWT is issued in the future: iat {iat} is after now ({now})"
                )
            }
            EnvelopeError::MissingClaim(c) => write!(f, "the JWT has no {c} claim"),
            EnvelopeError::BadData(e) => write!(f, "the JWT data claim is wrong: {e}"),
            EnvelopeError::MissingAppExtensionType => write!(
                f,
                "the JWT data.metadata.appExtensionType is missing (the SDK refuses such tokens; expected \"AUTOMATIONS_ACTION_PROVIDER\")"
            ),
        }
    }
}

/// How JWTs are checked: with a public key they are verified, without one only decoded.
#[derive(Clone, Default)]
pub struct JwtConfig {
    pub public_key: Option<jsonwebtoken::DecodingKey>,
    pub app_id: Option<String>,
}

impl JwtConfig {
    pub fn from_pem(pem: &[u8], app_id: Option<String>) -> Result<JwtConfig, String> {
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(pem)
            .map_err(|e| format!("the public key is not an RSA PEM key: {e}"))?;
        Ok(JwtConfig {
            public_key: Some(key),
            app_id,
        })
    }
}

fn b64_json(part: &str, what: &str) -> Result<Value, EnvelopeError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| EnvelopeError::MalformedJwt(format!("the {what} is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| EnvelopeError::MalformedJwt(format!("the {what} is not JSON: {e}")))
}

/// Decodes a body. `now` is the time the token's `iat` and `exp` are checked against.
pub fn decode(body: &[u8], jwt: &JwtConfig, now: DateTime<Utc>) -> Result<Decoded, EnvelopeError> {
    let bytes = body.trim_ascii();
    if bytes.is_empty() {
        return Err(EnvelopeError::Empty);
    }
    if matches!(bytes[0], b'{' | b'[' | b'"') {
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| EnvelopeError::InvalidJson(e.to_string()))?;
        return plain(v);
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.as_ref();
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3 {
        // Not a token: report it as the JSON error it most likely is.
        return match serde_json::from_str::<Value>(text) {
            Ok(v) => plain(v),
            Err(e) => Err(EnvelopeError::InvalidJson(e.to_string())),
        };
    }
    let header = b64_json(parts[0], "JWT header")?;
    let claims = b64_json(parts[1], "JWT payload")?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg.eq_ignore_ascii_case("none") {
        return Err(EnvelopeError::AlgNone);
    }
    let kind = match &jwt.public_key {
        Some(key) => {
            verify(text, key, jwt.app_id.as_deref(), &claims, alg, now)?;
            EnvelopeKind::JwtVerified
        }
        None => EnvelopeKind::JwtUnverified,
    };
    let data = match claims.get("data") {
        Some(Value::Object(o)) => Value::Object(o.clone()),
        // Older senders put the data claim in as a JSON string.
        Some(Value::String(s)) => serde_json::from_str(s).map_err(|e| {
            EnvelopeError::BadData(format!("data is a string that is not JSON: {e}"))
        })?,
        Some(_) => return Err(EnvelopeError::BadData("data must be an object".into())),
        None => return Err(EnvelopeError::MissingClaim("data")),
    };
    let request = match data.get("request") {
        Some(r @ Value::Object(_)) => r.clone(),
        Some(_) => {
            return Err(EnvelopeError::BadData(
                "data.request must be an object".into(),
            ));
        }
        None => return Err(EnvelopeError::BadData("data.request is missing".into())),
    };
    let metadata = data.get("metadata").cloned();
    if !metadata
        .as_ref()
        .and_then(|m| m.get("appExtensionType"))
        .is_some_and(Value::is_string)
    {
        return Err(EnvelopeError::MissingAppExtensionType);
    }
    Ok(Decoded {
        kind,
        request,
        metadata,
        jwt: Some((header, claims)),
    })
}

fn plain(v: Value) -> Result<Decoded, EnvelopeError> {
    if !v.is_object() {
        return Err(EnvelopeError::NotAnObject("the body"));
    }
    let is_envelope =
        v.get("request").is_some_and(Value::is_object) && v.get("actionKey").is_none();
    if is_envelope {
        let metadata = v.get("metadata").cloned();
        if metadata
            .as_ref()
            .is_some_and(|m| !m.is_object() && !m.is_null())
        {
            return Err(EnvelopeError::NotAnObject("metadata"));
        }
        let request = v.get("request").cloned().unwrap_or(Value::Null);
        Ok(Decoded {
            kind: EnvelopeKind::PlainEnvelope,
            request,
            metadata,
            jwt: None,
        })
    } else {
        Ok(Decoded {
            kind: EnvelopeKind::PlainJson,
            request: v,
            metadata: None,
            jwt: None,
        })
    }
}

fn verify(
    token: &str,
    key: &jsonwebtoken::DecodingKey,
    app_id: Option<&str>,
    claims: &Value,
    alg: &str,
    now: DateTime<Utc>,
) -> Result<(), EnvelopeError> {
    use jsonwebtoken::errors::ErrorKind;
    if alg != "RS256" {
        return Err(EnvelopeError::WrongAlgorithm(if alg.is_empty() {
            "no algorithm".into()
        } else {
            alg.into()
        }));
    }
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    // Times are checked below against the workbench clock, so tests can move it.
    v.validate_exp = false;
    v.required_spec_claims.clear();
    v.set_issuer(&["wix.com"]);
    match app_id {
        Some(a) => v.set_audience(&[a]),
        None => v.validate_aud = false,
    }
    if let Err(e) = jsonwebtoken::decode::<Value>(token, key, &v) {
        return Err(match e.kind() {
            ErrorKind::InvalidSignature | ErrorKind::InvalidRsaKey(_) => {
                EnvelopeError::BadSignature
            }
            ErrorKind::InvalidAlgorithm => EnvelopeError::WrongAlgorithm(alg.into()),
            ErrorKind::InvalidIssuer | ErrorKind::MissingRequiredClaim(_)
                if claims.get("iss").is_none() =>
            {
                EnvelopeError::MissingClaim("iss")
            }
            ErrorKind::InvalidIssuer => EnvelopeError::WrongIssuer(
                claims.get("iss").map(Value::to_string).unwrap_or_default(),
            ),
            ErrorKind::InvalidAudience => EnvelopeError::WrongAudience {
                got: claims
                    .get("aud")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "missing".into()),
                expected: app_id.unwrap_or_default().into(),
            },
            ErrorKind::MissingRequiredClaim(c) if c == "aud" => EnvelopeError::MissingClaim("aud"),
            ErrorKind::MissingRequiredClaim(c) if c == "iss" => EnvelopeError::MissingClaim("iss"),
            other => EnvelopeError::MalformedJwt(format!("{other:?}")),
        });
    }
    let now_s = now.timestamp();
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(EnvelopeError::MissingClaim("exp"))?;
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(EnvelopeError::MissingClaim("iat"))?;
    if iat > now_s {
        return Err(EnvelopeError::IssuedInFuture { iat, now: now_s });
    }
    if now_s >= exp {
        return Err(EnvelopeError::Expired { exp, now: now_s });
    }
    Ok(())
}

/// A body's parts as far as they can be decoded, for display. Never fails, never verifies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inspected {
    pub request: Option<Value>,
    pub metadata: Option<Value>,
    pub jwt_header: Option<Value>,
    pub jwt_claims: Option<Value>,
}

pub fn inspect(body: &[u8]) -> Inspected {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return match plain(v.clone()) {
            Ok(d) => Inspected {
                request: Some(d.request),
                metadata: d.metadata,
                ..Default::default()
            },
            Err(_) => Inspected {
                request: Some(v),
                ..Default::default()
            },
        };
    }
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3 {
        return Inspected::default();
    }
    let header = b64_json(parts[0], "JWT header").ok();
    let claims = b64_json(parts[1], "JWT payload").ok();
    let data = claims.as_ref().and_then(|c| match c.get("data") {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        other => other.cloned(),
    });
    Inspected {
        request: data.as_ref().and_then(|d| d.get("request").cloned()),
        metadata: data.as_ref().and_then(|d| d.get("metadata").cloned()),
        jwt_header: header,
        jwt_claims: claims,
    }
}
