//! Playing Wix against a trigger provider built on the official SDK
//! (tests/sdk-provider/trigger-provider.js: `@wix/automations` triggerProvider.provideHandlers,
//! and an action provider in the same process): `check --trigger` passes the fixed provider,
//! fails each planted bug with its reason, reads cancelActivation; a flow's delay is followed by
//! Refresh Payload, whose payload the next step receives, or whose cancel ends the run; the
//! inbox routes a trigger provider's envelope by its appExtensionType. Needs node and npm
//! (`npm ci` in tests/sdk-provider when its packages are missing).

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

const APP_ID: &str = "11111111-2222-4333-8444-555555555555";

/// The SDK trigger provider (tests/sdk-provider/trigger-provider.js) in one mode (fixed,
/// buggy, cancel), with the lines it printed.
type Provider = NodeApp;

fn start(pem: &std::path::Path, mode: &str) -> Provider {
    use std::ffi::OsStr;
    NodeApp::start(&[
        OsStr::new("trigger-provider.js"),
        pem.as_os_str(),
        OsStr::new(APP_ID),
        OsStr::new(mode),
    ])
}

/// The payloads its Invoke handler saw, by action key, read until `n` came (30 s at most).
fn invoked(p: &Provider, n: usize) -> Vec<(String, Value)> {
    let mut out = vec![];
    while out.len() < n {
        let line = p
            .lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the provider was invoked {} time(s), not {n}", out.len()));
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && let Some(k) = v.get("invoked").and_then(Value::as_str)
        {
            out.push((k.to_string(), v["payload"].clone()));
        }
    }
    out
}

/// A key folder with ActionBench's key, and its public PEM in a file the provider reads.
fn keys() -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new("trigger-provider-key");
    let key = actionbench::play::keys::load_or_create(dir.path()).expect("key");
    let pem = dir.path().join("public.pem");
    std::fs::write(&pem, key.public_pem).expect("pem written");
    (dir, pem)
}

fn actionbench(dir: &TempDir, target: &str, args: &[&str]) -> (Option<i32>, String) {
    let key_dir = dir.path().to_str().expect("path").to_string();
    let triggers = root().join("samples/triggers");
    let mut all = vec![
        "--key-dir",
        &key_dir,
        "--port",
        "0",
        "--target",
        target,
        "--app-id",
        APP_ID,
        "--triggers",
        triggers.to_str().expect("path"),
    ];
    all.extend_from_slice(args);
    run_actionbench(&all, Duration::from_secs(120))
}

fn definition() -> String {
    root()
        .join("samples/triggers/class-booked.json")
        .to_str()
        .expect("path")
        .to_string()
}

#[test]
fn check_trigger_passes_a_correct_provider_and_names_each_planted_bug() {
    let (dir, pem) = keys();
    let def = definition();
    let junit = dir.path().join("trigger.xml");
    let junit_s = junit.to_str().expect("path").to_string();

    let fixed = start(&pem, "fixed");
    let (code, text) = actionbench(
        &dir,
        &fixed.url(),
        &["check", "--trigger", "--jwt", "--junit", &junit_s, &def],
    );
    assert_eq!(code, Some(0), "{text}");
    for path in [
        "/validate-configuration",
        "/dynamic-schema",
        "/refresh-payload",
    ] {
        assert!(
            text.contains(&format!("PASS class-booked: {path}")),
            "{path}: {text}"
        );
    }
    assert!(
        text.contains("the step would run with the refreshed payload"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert_eq!(xml.matches("<testcase").count(), 4, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 0, "{xml}");

    // The envelope lab against the trigger provider: the SDK refuses every wrong envelope,
    // an action provider's envelope included.
    let (code, text) = actionbench(
        &dir,
        &fixed.url(),
        &["check", "--trigger", "--jwt", "--lab", &def],
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(text.matches("[lab] HTTP 404").count(), 13, "{text}");
    assert!(text.contains("an action provider's envelope"), "{text}");

    let buggy = start(&pem, "buggy");
    let (code, text) = actionbench(&dir, &buggy.url(), &["check", "--trigger", "--jwt", &def]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAIL class-booked: /validate-configuration"),
        "{text}"
    );
    assert!(text.contains("valid is missing"), "{text}");
    assert!(
        text.contains("FAIL class-booked: /dynamic-schema"),
        "{text}"
    );
    assert!(
        text.contains("error key-chars at dynamicSchema.properties.room-name")
            && text.contains("examples-required at dynamicSchema.properties.room-name"),
        "{text}"
    );
    assert!(
        text.contains("FAIL class-booked: /refresh-payload"),
        "{text}"
    );
    assert!(
        text.contains("at payload.contactId") && text.contains("at payload.seats"),
        "{text}"
    );

    let cancel = start(&pem, "cancel");
    let (code, text) = actionbench(&dir, &cancel.url(), &["check", "--trigger", "--jwt", &def]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("cancelActivation: Wix cancels the run"),
        "{text}"
    );

    // Plain JSON is not what the SDK takes: every call is refused, and said so.
    let (code, text) = actionbench(&dir, &fixed.url(), &["check", "--trigger", &def]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("HTTP 404"), "{text}");

    // Nothing listens: could not run.
    let (code, text) = actionbench(&dir, "http://127.0.0.1:9", &["check", "--trigger", &def]);
    assert_eq!(code, Some(2), "{text}");
}

#[test]
fn a_delay_is_followed_by_refresh_payload_whose_answer_the_next_step_gets() {
    let (dir, pem) = keys();
    let flow = root().join("samples/flows/06-class-booked-follow-up.json");
    let flow = flow.to_str().expect("path");
    let run = ["flow", "run", "--jwt", "--warp", "100000", flow];

    let fixed = start(&pem, "fixed");
    let (code, text) = actionbench(&dir, &fixed.url(), &run);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Refresh Payload: the steps after run with the refreshed payload"),
        "{text}"
    );
    let seen = invoked(&fixed, 2);
    assert_eq!(seen[0].1["seats"], 1, "{seen:?}");
    // The provider added a seat; the first step's output is still there.
    assert_eq!(seen[1].0, "send-email", "{seen:?}");
    assert_eq!(seen[1].1["seats"], 2, "{seen:?}");
    assert_eq!(seen[1].1["confirm"]["sent"], true, "{seen:?}");

    // A refresh that fails (plain JSON: the SDK refuses it with 404) leaves the payload as it
    // was; with the assumption switched, it cancels the run.
    let plain = ["flow", "run", "--warp", "100000", flow];
    let (_, text) = actionbench(&dir, &fixed.url(), &plain);
    assert!(
        text.contains("Refresh Payload: HTTP 404")
            && text.contains("the steps after run with the payload they had"),
        "{text}"
    );
    let mut cancelling = plain.to_vec();
    cancelling.insert(0, "--refresh-failure-cancels");
    let (_, text) = actionbench(&dir, &fixed.url(), &cancelling);
    assert!(text.contains("a failed refresh cancels the run"), "{text}");

    let cancel = start(&pem, "cancel");
    let (code, text) = actionbench(&dir, &cancel.url(), &run);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("your trigger provider cancelled the run (Refresh Payload answered cancelActivation: true)"),
        "{text}"
    );
    assert_eq!(invoked(&cancel, 1).len(), 1);
    assert!(
        cancel
            .lines
            .recv_timeout(Duration::from_millis(500))
            .is_err(),
        "the step after the cancel was invoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_routes_a_trigger_providers_envelope_by_its_extension_type() {
    use actionbench::domain::clock::SystemClock;
    use actionbench::domain::trigger::{LoadedTrigger, Triggers};
    use actionbench::domain::wire::Method;
    use actionbench::engine::{Engine, EngineConfig, Mode};
    use serde_json::json;
    let engine = Engine::new(
        EngineConfig {
            default_mode: Mode::Auto,
            ..EngineConfig::default()
        },
        std::sync::Arc::new(SystemClock),
    );
    let booked = LoadedTrigger::load(&root().join("samples/triggers/class-booked.json"))
        .expect("the shipped trigger");
    engine.set_triggers(Triggers {
        list: vec![booked],
        errors: vec![],
    });
    let inbox = actionbench::server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("inbox starts");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let post = |path: &str, ext: &str, request: Value| {
        let url = format!("http://{}{path}", inbox.addr);
        let body =
            json!({"request": request, "metadata": {"appExtensionType": ext, "instanceId": "i"}});
        let client = client.clone();
        async move {
            let res = client
                .post(&url)
                .json(&body)
                .send()
                .await
                .expect("answered");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.expect("JSON"))
        }
    };
    let trigger = "AUTOMATIONS_TRIGGER_PROVIDER";
    let payload = json!({"contactId": "c0a8012e-5f1d-4c2b-9e3a-7d6c5b4a3f21", "email": "a@b.co", "className": "Yoga"});

    // The trigger provider's three paths, and the action provider's suffix, by the envelope.
    let (s, b) = post(
        "/validate-configuration",
        trigger,
        json!({"triggerKey": "class-booked"}),
    )
    .await;
    assert_eq!((s, &b["valid"]), (200, &json!(true)), "{b}");
    let (s, b) = post(
        "/v1/validate-configuration",
        "automations_trigger_provider",
        json!({"triggerKey": "class-booked"}),
    )
    .await;
    assert_eq!((s, &b["valid"]), (200, &json!(true)), "{b}");
    let (s, b) = post("/refresh-payload", trigger, json!({"triggerKey": "class-booked", "externalEntityId": "5f1c7d2e-8a3b-4c6d-9e0f-1a2b3c4d5e6f", "payload": payload})).await;
    assert_eq!((s, &b["payload"]), (200, &payload), "{b}");
    let (s, b) = post(
        "/dynamic-schema",
        trigger,
        json!({"triggerKey": "class-booked"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    // What the SDK would not route: a trigger envelope on no trigger path; an action
    // provider's envelope on a trigger path; a request that breaks the types.
    let (s, b) = post(
        "/v1/invoke",
        trigger,
        json!({"triggerKey": "class-booked", "actionKey": "send-email", "actionParams": {},
               "activationContext": {"activationId": "a", "invocationToken": "t"}}),
    )
    .await;
    assert_eq!(s, 404, "{b}");
    assert!(b.to_string().contains("/refresh-payload"), "{b}");
    let (s, b) = post(
        "/dynamic-schema",
        "AUTOMATIONS_ACTION_PROVIDER",
        json!({"actionKey": "x"}),
    )
    .await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = post(
        "/refresh-payload",
        trigger,
        json!({"triggerKey": "class-booked"}),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("payload"), "{b}");

    // Each is in the log, named as the trigger provider's method.
    let methods: Vec<Option<Method>> = engine.snapshot().iter().map(|e| e.method).collect();
    assert_eq!(
        methods,
        vec![
            Some(Method::TriggerValidateConfiguration),
            Some(Method::TriggerValidateConfiguration),
            Some(Method::TriggerRefreshPayload),
            Some(Method::TriggerDynamicSchema),
            Some(Method::Invoke),
            Some(Method::TriggerDynamicSchema),
            Some(Method::TriggerRefreshPayload),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_and_the_sdk_agree_on_trigger_provider_envelopes() {
    use actionbench::domain::clock::SystemClock;
    use actionbench::domain::envelope::JwtConfig;
    use actionbench::engine::{Engine, EngineConfig, Mode};
    use serde_json::json;
    let pem = root().join("tests/fixtures/test-wix-public.pem");
    let provider = tokio::task::spawn_blocking(move || start(&pem, "fixed"))
        .await
        .expect("provider");
    let mut config = EngineConfig {
        default_mode: Mode::Auto,
        ..EngineConfig::default()
    };
    config.jwt = JwtConfig::from_pem(&fixture("test-wix-public.pem"), Some(APP_ID.into()))
        .expect("public key");
    let engine = Engine::new(config, std::sync::Arc::new(SystemClock));
    let inbox = actionbench::server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("inbox starts");
    let now = chrono::Utc::now().timestamp();
    let claims = |ext: &str, aud: &str, exp: i64| {
        json!({"iss": "wix.com", "aud": aud, "iat": now - 10, "exp": exp,
               "data": {"request": {"triggerKey": "class-booked"},
                        "metadata": {"appExtensionType": ext, "instanceId": "i"}}})
    };
    let trigger = "AUTOMATIONS_TRIGGER_PROVIDER";
    let cases = [
        (
            "as Wix sends it",
            sign(&claims(trigger, APP_ID, now + 290), "test-wix-private.pem"),
            true,
        ),
        (
            "lower-case type",
            sign(
                &claims("automations_trigger_provider", APP_ID, now + 290),
                "test-wix-private.pem",
            ),
            true,
        ),
        (
            "expired",
            sign(&claims(trigger, APP_ID, now - 60), "test-wix-private.pem"),
            false,
        ),
        (
            "another app",
            sign(
                &claims(trigger, "00000000-0000-4000-8000-000000000001", now + 290),
                "test-wix-private.pem",
            ),
            false,
        ),
        (
            "another key",
            sign(&claims(trigger, APP_ID, now + 290), "other-private.pem"),
            false,
        ),
        (
            "an action provider's envelope",
            sign(
                &claims("AUTOMATIONS_ACTION_PROVIDER", APP_ID, now + 290),
                "test-wix-private.pem",
            ),
            false,
        ),
    ];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    for (what, body, accepted) in cases {
        for base in [provider.url(), format!("http://{}", inbox.addr)] {
            let url = format!("{base}/validate-configuration");
            let res = client
                .post(&url)
                .header("content-type", "text/plain; charset=utf-8")
                .body(body.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {url}: {e}"));
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            assert_eq!(
                (200..300).contains(&status),
                accepted,
                "{what} at {url}: HTTP {status} {text}"
            );
        }
    }
}
