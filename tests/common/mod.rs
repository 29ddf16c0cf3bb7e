//! Helpers shared by the integration tests.
#![allow(dead_code)]

use actionbench::domain::clock::ManualClock;
use actionbench::domain::envelope::JwtConfig;
use actionbench::domain::sample::LoadedSample;
use actionbench::engine::{Engine, EngineConfig, Mode};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

pub const APP_ID: &str = "5f2e4b7a-0c1d-4e3f-9a8b-7c6d5e4f3a2b";

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .map(|d| d.to_utc())
        .expect("date")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples() -> Vec<LoadedSample> {
    let (ok, errs) = LoadedSample::load_dir(&root().join("samples"));
    assert!(errs.is_empty(), "samples failed to load: {errs:?}");
    ok
}

pub fn sample(prefix: &str) -> LoadedSample {
    samples()
        .into_iter()
        .find(|s| {
            s.path.as_ref().is_some_and(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
        })
        .unwrap_or_else(|| panic!("no sample {prefix}"))
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures").join(name)).expect("fixture")
}

/// An engine on a manual clock at [`t0`], with the shipped samples' schemas.
pub fn engine_with(
    mode: Mode,
    configure: impl FnOnce(&mut EngineConfig),
) -> (Arc<Engine>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t0()));
    let mut config = EngineConfig {
        default_mode: mode,
        ..EngineConfig::default()
    };
    configure(&mut config);
    let engine = Engine::new(config, clock.clone());
    engine.add_samples(&samples());
    (engine, clock)
}

pub fn engine(mode: Mode) -> (Arc<Engine>, Arc<ManualClock>) {
    engine_with(mode, |_| {})
}

pub fn verifying(config: &mut EngineConfig) {
    config.jwt = JwtConfig::from_pem(&fixture("test-wix-public.pem"), Some(APP_ID.into()))
        .expect("public key");
}

/// A Wix-style token: RS256 with `claims`, signed with the key in fixture `key`.
pub fn sign(claims: &Value, key: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&fixture(key)).expect("private key");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        claims,
        &key,
    )
    .expect("signs")
}

/// Claims as Wix sends them, valid at [`t0`], carrying `request`.
pub fn claims(request: Value) -> Value {
    let iat = t0().timestamp() - 10;
    json!({
        "iss": "wix.com",
        "aud": APP_ID,
        "iat": iat,
        "exp": iat + 300,
        "data": {
            "request": request,
            "metadata": { "requestId": "r-1", "instanceId": "i-1", "appExtensionType": "AUTOMATIONS_ACTION_PROVIDER",
                          "identity": { "identityType": "APP", "appId": APP_ID } }
        }
    })
}

pub fn invoke_request(key: &str, token: &str) -> Value {
    json!({
        "actionKey": key,
        "actionParams": { "to": "a@example.com", "subject": "s", "body": "b" },
        "activationContext": { "activationId": "act-1", "invocationToken": token }
    })
}
