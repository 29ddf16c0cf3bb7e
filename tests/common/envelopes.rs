//! The envelope catalogue: JWT envelopes whose verdicts the inbox must share with the official
//! SDK. Only the test binaries that use it include it (`#[path]`), so the others do not
//! compile it.
#![allow(dead_code)]

use crate::common::*;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// A token signed with `alg` (an RSA algorithm) by the key in fixture `key`.
pub fn sign_alg(claims: &Value, key: &str, alg: jsonwebtoken::Algorithm) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&fixture(key)).expect("private key");
    jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), claims, &key).expect("signs")
}

fn b64(v: &Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

/// One envelope of the catalogue, with the verdict of an action on the official SDK.
pub struct EnvelopeCase {
    pub label: &'static str,
    pub body: String,
    /// Whether the SDK accepts it (checked against the real SDK by tests/interop.rs).
    pub sdk_accepts: bool,
    /// The inbox's refusal code, or for an accepted token a warning finding it must carry.
    pub code: Option<&'static str>,
}

/// The JWT envelopes whose verdicts the inbox must share with the SDK: each claim present,
/// absent and wrong; each algorithm family; the data claim's shapes. Valid at `now`.
pub fn envelope_catalogue(now: DateTime<Utc>) -> Vec<EnvelopeCase> {
    use jsonwebtoken::Algorithm::*;
    let key = "test-wix-private.pem";
    let base = || {
        let mut c = claims(invoke_request("send-email", "tok-env"));
        c["iat"] = json!(now.timestamp() - 10);
        c["exp"] = json!(now.timestamp() + 290);
        c
    };
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = base();
        f(&mut c);
        sign(&c, key)
    };
    let case = |label, body, sdk_accepts, code| EnvelopeCase {
        label,
        body,
        sdk_accepts,
        code,
    };
    let obj = |c: &mut Value, k: &str| {
        c.as_object_mut().expect("claims").remove(k);
    };
    let good = sign(&base(), key);
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        let mut c = base();
        c["data"]["request"]["actionKey"] = json!("someone-elses-action");
        format!("{}.{}.{}", parts[0], b64(&c), parts[2])
    };
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(HS256),
        &base(),
        &jsonwebtoken::EncodingKey::from_secret(&fixture("test-wix-public.pem")),
    )
    .expect("hs256");
    vec![
        case("as Wix sends it", good, true, None),
        case(
            "no exp",
            with(&|c| obj(c, "exp")),
            true,
            Some("jwt-claim-missing"),
        ),
        case(
            "no iat",
            with(&|c| obj(c, "iat")),
            true,
            Some("jwt-claim-missing"),
        ),
        case(
            "iat in the future",
            with(&|c| c["iat"] = json!(now.timestamp() + 3600)),
            true,
            Some("jwt-iat-future"),
        ),
        case(
            "nbf in the past",
            with(&|c| c["nbf"] = json!(now.timestamp() - 5)),
            true,
            None,
        ),
        case(
            "aud as a list",
            with(&|c| c["aud"] = json!(["other", APP_ID])),
            true,
            Some("jwt-aud-array"),
        ),
        case(
            "RS384",
            sign_alg(&base(), key, RS384),
            true,
            Some("jwt-not-rs256"),
        ),
        case(
            "PS256",
            sign_alg(&base(), key, PS256),
            true,
            Some("jwt-not-rs256"),
        ),
        case(
            "appExtensionType in lower case",
            with(&|c| {
                c["data"]["metadata"]["appExtensionType"] = json!("automations_action_provider")
            }),
            true,
            None,
        ),
        case(
            "no iss",
            with(&|c| obj(c, "iss")),
            false,
            Some("JWT_MISSING_CLAIM"),
        ),
        case(
            "wrong iss",
            with(&|c| c["iss"] = json!("evil.example")),
            false,
            Some("JWT_WRONG_ISSUER"),
        ),
        case(
            "no aud",
            with(&|c| obj(c, "aud")),
            false,
            Some("JWT_MISSING_CLAIM"),
        ),
        case(
            "wrong aud",
            with(&|c| c["aud"] = json!("someone-else")),
            false,
            Some("JWT_WRONG_AUDIENCE"),
        ),
        case(
            "expired a second ago",
            with(&|c| c["exp"] = json!(now.timestamp() - 1)),
            false,
            Some("JWT_EXPIRED"),
        ),
        case(
            "nbf in the future",
            with(&|c| c["nbf"] = json!(now.timestamp() + 600)),
            false,
            Some("JWT_NOT_YET_VALID"),
        ),
        case(
            "iat is a string",
            with(&|c| c["iat"] = json!("yesterday")),
            false,
            Some("JWT_CLAIM_NOT_A_NUMBER"),
        ),
        case(
            "exp is a string",
            with(&|c| c["exp"] = json!("tomorrow")),
            false,
            Some("JWT_CLAIM_NOT_A_NUMBER"),
        ),
        case(
            "signed by another key",
            sign(&base(), "other-private.pem"),
            false,
            Some("JWT_BAD_SIGNATURE"),
        ),
        case(
            "tampered payload",
            tampered,
            false,
            Some("JWT_BAD_SIGNATURE"),
        ),
        case(
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&base())
            ),
            false,
            Some("JWT_ALG_NONE"),
        ),
        case(
            "HS256 with the public key as secret",
            hs256,
            false,
            Some("JWT_WRONG_ALGORITHM"),
        ),
        case(
            "data is a JSON string",
            with(&|c| c["data"] = json!(c["data"].to_string())),
            false,
            Some("JWT_BAD_DATA"),
        ),
        case(
            "no appExtensionType",
            with(&|c| {
                c["data"]["metadata"]
                    .as_object_mut()
                    .expect("metadata")
                    .remove("appExtensionType");
            }),
            false,
            Some("JWT_MISSING_APP_EXTENSION_TYPE"),
        ),
        case(
            "another appExtensionType",
            with(&|c| c["data"]["metadata"]["appExtensionType"] = json!("ECOM_SHIPPING_RATES")),
            false,
            Some("JWT_WRONG_APP_EXTENSION_TYPE"),
        ),
        case(
            "not a JWT",
            "abc.def.ghi".into(),
            false,
            Some("MALFORMED_JWT"),
        ),
    ]
}
