//! The envelope lab: a labelled series of deliberately wrong Invoke envelopes. A provider that
//! verifies requests as the official SDK does refuses every one (any 4xx); one that accepts a
//! case is open to whatever that case lets a stranger do, said in [`LabCase::danger`].

use super::as_wix::TOKEN_LIFETIME;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// What one lab case tests, in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// A short stable name (`expired`, `alg-none`…), for JUnit and tests.
    pub name: &'static str,
    /// What is wrong with the envelope.
    pub what: &'static str,
    /// Why accepting it is dangerous.
    pub danger: &'static str,
}

/// One wrong envelope, ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct LabCase {
    pub probe: Probe,
    pub content_type: &'static str,
    pub body: String,
}

/// What a provider did with a lab case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabVerdict {
    /// Any 4xx: refused, as a correct provider does.
    Refused(u16),
    /// A 2xx: it ran the request. Dangerous.
    Accepted(u16),
    /// Neither refused nor accepted (a 5xx…): it should say 4xx, the request's fault.
    Other(u16),
    /// No answer at all (refused connection, timeout…).
    NoAnswer(String),
}

impl LabVerdict {
    pub fn of_status(status: u16) -> LabVerdict {
        match status {
            400..=499 => LabVerdict::Refused(status),
            200..=299 => LabVerdict::Accepted(status),
            _ => LabVerdict::Other(status),
        }
    }

    pub fn passed(&self) -> bool {
        matches!(self, LabVerdict::Refused(_))
    }

    /// What this verdict means, for `probe`, in a sentence.
    pub fn explain(&self, probe: &Probe) -> String {
        match self {
            LabVerdict::Refused(s) => format!("refused with {s}, as it should"),
            LabVerdict::Accepted(s) => format!(
                "DANGEROUS: accepted it ({s}) and ran the request. Why it matters: {}. Verify every request as the SDK's AppStrategy does (RS256, your app's public key, iss wix.com, aud your app ID, exp)",
                probe.danger
            ),
            LabVerdict::Other(s) => format!(
                "answered {s} instead of refusing with a 4xx: a bad request is the caller's fault, and a 5xx reads as your action failing"
            ),
            LabVerdict::NoAnswer(why) => format!("gave no answer: {why}"),
        }
    }
}

/// What the lab signs with: ActionBench's key (the one the provider trusts), a stranger's key,
/// and the public key PEM (the HS256 key-confusion case uses it as the HMAC secret).
pub struct LabKeys<'a> {
    pub trusted: &'a EncodingKey,
    pub stranger: &'a EncodingKey,
    pub public_pem: &'a str,
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn rs256(claims: &Value, key: &EncodingKey) -> Result<String, String> {
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, key)
        .map_err(|e| format!("cannot sign a lab envelope: {e}"))
}

/// The lab's cases for `envelope` (a correct `{request, metadata}`), addressed to `app_id`.
pub fn cases(
    envelope: &Value,
    app_id: &str,
    keys: &LabKeys<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<LabCase>, String> {
    let good = json!({
        "iss": "wix.com",
        "aud": app_id,
        "iat": now.timestamp(),
        "exp": (now + TOKEN_LIFETIME).timestamp(),
        "data": envelope,
    });
    let with = |changes: &[(&str, Option<Value>)]| {
        let mut c = good.clone();
        for (k, v) in changes {
            match v {
                Some(v) => c[*k] = v.clone(),
                None => {
                    if let Some(o) = c.as_object_mut() {
                        o.remove(*k);
                    }
                }
            }
        }
        c
    };
    let jwt = "text/plain; charset=utf-8";
    let signed = |name, what, danger, claims: Value| -> Result<LabCase, String> {
        Ok(LabCase {
            probe: Probe { name, what, danger },
            content_type: jwt,
            body: rs256(&claims, keys.trusted)?,
        })
    };
    let mut out = vec![
        signed(
            "expired",
            "expired: exp was 5 minutes ago",
            "a request captured once (a log, a proxy) can be replayed for ever",
            with(&[
                (
                    "iat",
                    Some(json!((now - Duration::minutes(10)).timestamp())),
                ),
                ("exp", Some(json!((now - Duration::minutes(5)).timestamp()))),
            ]),
        )?,
        signed(
            "not-yet-valid",
            "not yet valid: nbf is 10 minutes ahead",
            "a token minted for later is honoured now, so time limits mean nothing",
            with(&[(
                "nbf",
                Some(json!((now + Duration::minutes(10)).timestamp())),
            )]),
        )?,
        LabCase {
            probe: Probe {
                name: "other-key",
                what: "signed by another key (not the one your app trusts)",
                danger: "anyone can make their own key and run your action as Wix: the signature is not checked",
            },
            content_type: jwt,
            body: rs256(&good, keys.stranger)?,
        },
        signed(
            "wrong-audience",
            "wrong audience: aud is another app's ID",
            "a token Wix made for another app (any app developer can get one) runs your action",
            with(&[("aud", Some(json!("00000000-0000-4000-8000-0000000000aa")))]),
        )?,
        signed(
            "missing-audience",
            "no audience: aud is missing",
            "a token addressed to no app at all is taken as addressed to yours",
            with(&[("aud", None)]),
        )?,
        signed(
            "wrong-issuer",
            "wrong issuer: iss is not wix.com",
            "tokens issued by someone other than Wix are trusted as Wix's",
            with(&[("iss", Some(json!("evil.example")))]),
        )?,
        signed(
            "missing-issuer",
            "no issuer: iss is missing",
            "a token that does not say who issued it is trusted as Wix's",
            with(&[("iss", None)]),
        )?,
        LabCase {
            probe: Probe {
                name: "alg-none",
                what: "alg none: no signature at all",
                danger: "anyone can write any request without a key: the most common JWT hole",
            },
            content_type: jwt,
            body: format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&good)
            ),
        },
        LabCase {
            probe: Probe {
                name: "hs256-public-key",
                what: "HS256 signed with your public key as the HMAC secret",
                danger: "your public key is public: anyone can sign any request with it (algorithm confusion)",
            },
            content_type: jwt,
            body: jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &good,
                &EncodingKey::from_secret(keys.public_pem.as_bytes()),
            )
            .map_err(|e| format!("cannot sign a lab envelope: {e}"))?,
        },
    ];
    // Tampered: a good token whose payload was changed after signing (the signature kept).
    let token = rs256(&good, keys.trusted)?;
    let mut tampered_claims = good.clone();
    tampered_claims["data"]["request"]["actionParams"]["tampered"] = json!(true);
    let parts: Vec<&str> = token.split('.').collect();
    out.push(LabCase {
        probe: Probe {
            name: "tampered",
            what: "tampered: the payload was changed after signing",
            danger: "anyone on the way can change what your action is asked to do",
        },
        content_type: jwt,
        body: format!("{}.{}.{}", parts[0], b64(&tampered_claims), parts[2]),
    });
    out.push(LabCase {
        probe: Probe {
            name: "plain-json",
            what: "plain JSON where a signed JWT is expected",
            danger: "anyone who finds your URL can call your action with any request, no key needed",
        },
        content_type: "application/json",
        body: envelope.to_string(),
    });
    out.push(signed(
        "data-not-object",
        "data is a string, not {request, metadata}",
        "your action runs on a request it could not read, with whatever defaults it fills in",
        with(&[("data", Some(json!("not an object")))]),
    )?);
    Ok(out)
}
