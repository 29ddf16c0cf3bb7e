//! How a call's body arrives: plain JSON (bare request, or `{request, metadata}`), or a compact
//! JWT whose `data` claim holds `{request, metadata}`, signed RS256 by Wix.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::contract::Finding;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvelopeKind {
    /// The method request itself as JSON, as in the reference page's curl example.
    PlainJson,
    /// `{"request": …, "metadata": …}` as JSON.
    PlainEnvelope,
    /// A JWT whose signature, issuer, audience and times were checked.
    JwtVerified,
    /// A JWT checked like that but for its audience: no app ID was given.
    JwtVerifiedNoAudience,
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
            EnvelopeKind::JwtVerifiedNoAudience => "JWT ok, aud?",
            EnvelopeKind::JwtUnverified => "JWT ?",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EnvelopeKind::PlainJson => "JSON",
            EnvelopeKind::PlainEnvelope => "JSON envelope",
            EnvelopeKind::JwtVerified => "JWT verified",
            EnvelopeKind::JwtVerifiedNoAudience => "JWT verified except its audience (no --app-id)",
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
    /// What the SDK accepts but Wix itself would never send (another algorithm, a token
    /// without `exp`…), and what was not checked (the audience without an app ID).
    pub warnings: Vec<Finding>,
}

/// Why a body could not be taken. `status()` is the HTTP status to answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvelopeError {
    Empty,
    InvalidJson(String),
    /// Nested deeper than the JSON parser's limit ([`MAX_JSON_DEPTH`]).
    TooDeep(&'static str),
    NotAnObject(&'static str),
    MalformedJwt(String),
    AlgNone,
    WrongAlgorithm(String),
    BadSignature,
    WrongIssuer(String),
    WrongAudience {
        got: String,
        expected: String,
    },
    Expired {
        exp: i64,
        now: i64,
    },
    NotYetValid {
        nbf: i64,
        now: i64,
    },
    ClaimNotNumber(&'static str),
    MissingClaim(&'static str),
    BadData(String),
    MissingAppExtensionType,
    WrongAppExtensionType(String),
}

/// How deep serde_json lets a document nest (arrays and objects inside each other, the
/// outermost counted): one more level passes its recursion limit and is refused.
pub const MAX_JSON_DEPTH: usize = 127;

/// A JSON parse error, with nesting past the parser's limit told apart from bad syntax.
pub fn json_error(e: &serde_json::Error, what: &'static str) -> EnvelopeError {
    if e.to_string().starts_with("recursion limit exceeded") {
        EnvelopeError::TooDeep(what)
    } else {
        EnvelopeError::InvalidJson(e.to_string())
    }
}

impl EnvelopeError {
    pub fn status(&self) -> u16 {
        match self {
            EnvelopeError::Empty
            | EnvelopeError::InvalidJson(_)
            | EnvelopeError::TooDeep(_)
            | EnvelopeError::NotAnObject(_)
            | EnvelopeError::MalformedJwt(_) => 400,
            // Everything the SDK refuses about a token that was read.
            _ => 401,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            EnvelopeError::Empty => "EMPTY_BODY",
            EnvelopeError::InvalidJson(_) => "INVALID_JSON",
            EnvelopeError::TooDeep(_) => "TOO_DEEP",
            EnvelopeError::NotAnObject(_) => "NOT_AN_OBJECT",
            EnvelopeError::MalformedJwt(_) => "MALFORMED_JWT",
            EnvelopeError::AlgNone => "JWT_ALG_NONE",
            EnvelopeError::WrongAlgorithm(_) => "JWT_WRONG_ALGORITHM",
            EnvelopeError::BadSignature => "JWT_BAD_SIGNATURE",
            EnvelopeError::WrongIssuer(_) => "JWT_WRONG_ISSUER",
            EnvelopeError::WrongAudience { .. } => "JWT_WRONG_AUDIENCE",
            EnvelopeError::Expired { .. } => "JWT_EXPIRED",
            EnvelopeError::NotYetValid { .. } => "JWT_NOT_YET_VALID",
            EnvelopeError::ClaimNotNumber(_) => "JWT_CLAIM_NOT_A_NUMBER",
            EnvelopeError::MissingClaim(_) => "JWT_MISSING_CLAIM",
            EnvelopeError::BadData(_) => "JWT_BAD_DATA",
            EnvelopeError::MissingAppExtensionType => "JWT_MISSING_APP_EXTENSION_TYPE",
            EnvelopeError::WrongAppExtensionType(_) => "JWT_WRONG_APP_EXTENSION_TYPE",
        }
    }
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvelopeError::Empty => write!(f, "the body is empty: expected JSON or a compact JWT"),
            EnvelopeError::InvalidJson(e) => write!(f, "the body is not valid JSON: {e}"),
            EnvelopeError::TooDeep(what) => write!(
                f,
                "{what} is nested deeper than {MAX_JSON_DEPTH} levels, the JSON parser's limit"
            ),
            EnvelopeError::NotAnObject(what) => write!(f, "{what} must be a JSON object"),
            EnvelopeError::MalformedJwt(e) => {
                write!(f, "the body is neither JSON nor a compact JWT: {e}")
            }
            EnvelopeError::AlgNone => {
                write!(f, "the JWT says alg \"none\": unsigned tokens are refused")
            }
            EnvelopeError::WrongAlgorithm(a) => write!(
                f,
                "the JWT is signed with {a}, which an RSA public key cannot verify (Wix signs with RS256)"
            ),
            EnvelopeError::BadSignature => write!(
                f,
                "the JWT signature does not match the configured public key"
            ),
            EnvelopeError::WrongIssuer(iss) => {
                write!(f, "the JWT issuer is {iss}, expected \"wix.com\"")
            }
            EnvelopeError::WrongAudience { got, expected } => write!(
                f,
                "the JWT audience is {got}, expected the app ID {expected:?}"
            ),
            EnvelopeError::Expired { exp, now } => {
                write!(f, "the JWT expired: exp {exp} is not after now ({now})")
            }
            EnvelopeError::NotYetValid { nbf, now } => write!(
                f,
                "the JWT is not valid yet: nbf {nbf} is after now ({now})"
            ),
            EnvelopeError::ClaimNotNumber(c) => {
                write!(f, "the JWT {c} claim must be a number (seconds since 1970)")
            }
            EnvelopeError::MissingClaim(c) => write!(
                f,
                "the JWT has no {c} claim (the SDK requires it{})",
                match *c {
                    "iss" => ": it must be \"wix.com\"",
                    "aud" => ": it must be the app ID",
                    _ => "",
                }
            ),
            EnvelopeError::BadData(e) => write!(f, "the JWT data claim is wrong: {e}"),
            EnvelopeError::MissingAppExtensionType => write!(
                f,
                "the JWT data.metadata.appExtensionType is missing or not a string (the SDK refuses such tokens; expected \"AUTOMATIONS_ACTION_PROVIDER\")"
            ),
            EnvelopeError::WrongAppExtensionType(t) => write!(
                f,
                "the JWT data.metadata.appExtensionType is {t:?}: the SDK hands only \"AUTOMATIONS_ACTION_PROVIDER\" to an action provider"
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
            app_id: app_id.filter(|a| !a.is_empty()),
        })
    }

    /// One line on what a JWT's verification covers, for the window and `serve`'s first line.
    pub fn describe(&self) -> String {
        match (&self.public_key, &self.app_id) {
            (None, _) => "JWTs are decoded, not verified (no --public-key)".into(),
            (Some(_), Some(app)) => format!(
                "JWTs are verified as the SDK verifies them: signature, iss \"wix.com\", aud {app:?}, exp and nbf"
            ),
            (Some(_), None) => {
                "JWTs are verified except the audience: no --app-id, so aud is not checked".into()
            }
        }
    }
}

fn b64_json(part: &str, what: &'static str) -> Result<Value, EnvelopeError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| EnvelopeError::MalformedJwt(format!("the {what} is not base64url: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| match json_error(&e, what) {
        EnvelopeError::InvalidJson(e) => {
            EnvelopeError::MalformedJwt(format!("the {what} is not JSON: {e}"))
        }
        other => other,
    })
}

/// Decodes a body. `now` is the time a token's `exp` and `nbf` are checked against.
pub fn decode(body: &[u8], jwt: &JwtConfig, now: DateTime<Utc>) -> Result<Decoded, EnvelopeError> {
    let bytes = body.trim_ascii();
    if bytes.is_empty() {
        return Err(EnvelopeError::Empty);
    }
    if matches!(bytes[0], b'{' | b'[' | b'"') {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| json_error(&e, "the body"))?;
        return plain(v);
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.as_ref();
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3 {
        // Not a token: report it as the JSON error it most likely is.
        return match serde_json::from_str::<Value>(text) {
            Ok(v) => plain(v),
            Err(e) => Err(json_error(&e, "the body")),
        };
    }
    let header = b64_json(parts[0], "the JWT header")?;
    let claims = b64_json(parts[1], "the JWT payload")?;
    if !header.is_object() {
        return Err(EnvelopeError::MalformedJwt(
            "the JWT header is not a JSON object".into(),
        ));
    }
    if !claims.is_object() {
        return Err(EnvelopeError::MalformedJwt(
            "the JWT payload (claims set) is not a JSON object".into(),
        ));
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg.eq_ignore_ascii_case("none") {
        return Err(EnvelopeError::AlgNone);
    }
    let mut warnings = vec![];
    let kind = match &jwt.public_key {
        Some(key) => {
            verify(text, key, jwt.app_id.as_deref(), &claims, alg, now)?;
            warnings.extend(unlike_wix(&claims, alg, jwt.app_id.as_deref(), now));
            if jwt.app_id.is_some() {
                EnvelopeKind::JwtVerified
            } else {
                EnvelopeKind::JwtVerifiedNoAudience
            }
        }
        None => EnvelopeKind::JwtUnverified,
    };
    // As the SDK's parseJWT: data must be an object whose metadata.appExtensionType is a string;
    // and, as Wix always sends one, a request object.
    let data = match claims.get("data") {
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(EnvelopeError::BadData(format!(
                "data must be an object {{request, metadata}}, not {}",
                super::wire::json_type(other)
            )));
        }
        None => return Err(EnvelopeError::MissingClaim("data")),
    };
    let metadata = match data.get("metadata") {
        Some(m @ Value::Object(_)) => m.clone(),
        Some(other) => {
            return Err(EnvelopeError::BadData(format!(
                "data.metadata must be an object, not {}",
                super::wire::json_type(other)
            )));
        }
        None => return Err(EnvelopeError::BadData("data.metadata is missing".into())),
    };
    match metadata.get("appExtensionType") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case(super::wire::APP_EXTENSION_TYPE) => {}
        // The trigger provider's: the intake routes it to the trigger provider's methods.
        Some(Value::String(t))
            if super::trigger::provider::is_trigger_extension(Some(t.as_str())) => {}
        Some(Value::String(t)) => return Err(EnvelopeError::WrongAppExtensionType(t.clone())),
        _ => return Err(EnvelopeError::MissingAppExtensionType),
    }
    let request = match data.get("request") {
        Some(r @ Value::Object(_)) => r.clone(),
        Some(other) => {
            return Err(EnvelopeError::BadData(format!(
                "data.request must be an object, not {}",
                super::wire::json_type(other)
            )));
        }
        None => return Err(EnvelopeError::BadData("data.request is missing".into())),
    };
    Ok(Decoded {
        kind,
        request,
        metadata: Some(metadata),
        jwt: Some((header, claims)),
        warnings,
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
            warnings: vec![],
        })
    } else {
        Ok(Decoded {
            kind: EnvelopeKind::PlainJson,
            request: v,
            metadata: None,
            jwt: None,
            warnings: vec![],
        })
    }
}

/// The RSA algorithms a key imported as the SDK imports it verifies (jose with a node
/// KeyObject accepts each of them; HMAC and `none` are refused).
const RSA_ALGORITHMS: [jsonwebtoken::Algorithm; 6] = [
    jsonwebtoken::Algorithm::RS256,
    jsonwebtoken::Algorithm::RS384,
    jsonwebtoken::Algorithm::RS512,
    jsonwebtoken::Algorithm::PS256,
    jsonwebtoken::Algorithm::PS384,
    jsonwebtoken::Algorithm::PS512,
];

/// Verifies as the SDK does: jose's `jwtVerify(token, key, {issuer: 'wix.com', audience: appId})`
/// with no clock tolerance. The signature first, then the claims in jose's order.
fn verify(
    token: &str,
    key: &jsonwebtoken::DecodingKey,
    app_id: Option<&str>,
    claims: &Value,
    alg: &str,
    now: DateTime<Utc>,
) -> Result<(), EnvelopeError> {
    use jsonwebtoken::errors::ErrorKind;
    let algorithm = alg
        .parse::<jsonwebtoken::Algorithm>()
        .ok()
        .filter(|a| RSA_ALGORITHMS.contains(a))
        .ok_or_else(|| {
            EnvelopeError::WrongAlgorithm(if alg.is_empty() {
                "no algorithm".into()
            } else {
                alg.into()
            })
        })?;
    // Only the signature here: every claim is checked below, on the workbench's clock.
    let mut v = jsonwebtoken::Validation::new(algorithm);
    v.algorithms = RSA_ALGORITHMS.to_vec();
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    if let Err(e) = jsonwebtoken::decode::<Value>(token, key, &v) {
        return Err(match e.kind() {
            ErrorKind::InvalidSignature | ErrorKind::InvalidRsaKey(_) => {
                EnvelopeError::BadSignature
            }
            ErrorKind::InvalidAlgorithm => EnvelopeError::WrongAlgorithm(alg.into()),
            other => EnvelopeError::MalformedJwt(format!("{other:?}")),
        });
    }
    // Presence first (jose checks iss before aud), then values.
    if claims.get("iss").is_none() {
        return Err(EnvelopeError::MissingClaim("iss"));
    }
    if app_id.is_some() && claims.get("aud").is_none() {
        return Err(EnvelopeError::MissingClaim("aud"));
    }
    if claims.get("iss") != Some(&Value::String("wix.com".into())) {
        return Err(EnvelopeError::WrongIssuer(
            claims.get("iss").map(Value::to_string).unwrap_or_default(),
        ));
    }
    if let Some(app) = app_id {
        let ok = match claims.get("aud") {
            Some(Value::String(a)) => a == app,
            Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(app)),
            _ => false,
        };
        if !ok {
            return Err(EnvelopeError::WrongAudience {
                got: claims.get("aud").map(Value::to_string).unwrap_or_default(),
                expected: app.into(),
            });
        }
    }
    let now_s = now.timestamp();
    let number = |c: &'static str| -> Result<Option<f64>, EnvelopeError> {
        match claims.get(c) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(_) => Err(EnvelopeError::ClaimNotNumber(c)),
        }
    };
    number("iat")?;
    if let Some(nbf) = number("nbf")?
        && nbf > now_s as f64
    {
        return Err(EnvelopeError::NotYetValid {
            nbf: nbf as i64,
            now: now_s,
        });
    }
    if let Some(exp) = number("exp")?
        && exp <= now_s as f64
    {
        return Err(EnvelopeError::Expired {
            exp: exp as i64,
            now: now_s,
        });
    }
    Ok(())
}

/// Where an accepted token differs from what Wix sends (RS256, `iat` and `exp`, one audience).
fn unlike_wix(claims: &Value, alg: &str, app_id: Option<&str>, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = vec![];
    let unlike = |code, what: String| {
        Finding::warning(
            code,
            format!("{what}: the SDK accepts it, but Wix itself never sends such a token"),
        )
    };
    if alg != "RS256" {
        out.push(unlike(
            "jwt-not-rs256",
            format!("the JWT is signed {alg}, not RS256"),
        ));
    }
    for claim in ["iat", "exp"] {
        if claims.get(claim).is_none() {
            out.push(unlike(
                "jwt-claim-missing",
                format!("the JWT has no {claim} claim"),
            ));
        }
    }
    if let Some(iat) = claims.get("iat").and_then(Value::as_f64)
        && iat > now.timestamp() as f64
    {
        out.push(unlike(
            "jwt-iat-future",
            format!(
                "the JWT's iat {iat} is in the future (the SDK does not compare iat with the clock)"
            ),
        ));
    }
    if claims.get("aud").is_some_and(Value::is_array) {
        out.push(unlike("jwt-aud-array", "the JWT's aud is a list".into()));
    }
    if app_id.is_none() {
        out.push(Finding::warning(
            "jwt-audience-unchecked",
            "the audience was not checked: start with --app-id to check aud as the SDK does",
        ));
    }
    out
}

/// A body's parts as far as they can be decoded, for display. Never fails, never verifies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inspected {
    pub request: Option<Value>,
    pub metadata: Option<Value>,
    pub jwt_header: Option<Value>,
    pub jwt_claims: Option<Value>,
}

impl Inspected {
    /// The action key the request names, when it names one that could be a key (a string of
    /// 1 to 100 characters): said for a call refused before it was judged.
    pub fn action_key(&self) -> Option<&str> {
        self.request
            .as_ref()?
            .get("actionKey")?
            .as_str()
            .filter(|k| (1..=100).contains(&k.chars().count()))
    }
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
    let header = b64_json(parts[0], "the JWT header").ok();
    let claims = b64_json(parts[1], "the JWT payload").ok();
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
