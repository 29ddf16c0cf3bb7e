//! Property tests: generated and mutated bodies, envelopes and completion reports go to both
//! decode paths and to the router. Never a panic, always a JSON answer; the hot path and the
//! full decode agree on accept/refuse and on the fields.
//!
//! `cargo test` runs a short round (192 cases a property, fewer with PROPTEST_CASES). For a
//! long run, `PROPS_SECONDS=200 cargo test --release --test props -- --nocapture` keeps each
//! of the five properties generating new cases for 200 s: ten minutes on two cores, since
//! the two tests run side by side (three properties in one, two in the other).

mod common;

use actionbench::domain::envelope::{self, MAX_JSON_DEPTH};
use actionbench::domain::quick::quick_invoke;
use actionbench::engine::{Engine, Intake, Mode};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REPORT: &str = "/automations_runtime/v1/report-action-invocation-completed";

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        (-1e9f64..1e9).prop_map(|f| json!(f)),
        "[a-z\"\\\\é\u{1F600} \n]{0,8}".prop_map(Value::String),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value of a field: usually the right type, often not.
fn field(right: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        3 => right.prop_map(Some),
        1 => Just(None),
        1 => leaf().prop_map(Some),
        1 => any_json().prop_map(Some),
    ]
    .boxed()
}

fn string() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("send-email")),
        Just(json!("request-approval")),
        Just(json!("")),
        "[a-z-]{1,10}".prop_map(Value::String),
    ]
}

fn object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-zA-Z]{1,6}", leaf(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn insert(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(k.into(), v);
    }
}

fn activation_context() -> impl Strategy<Value = Value> {
    (
        field(string()),
        field(string()),
        field(object()),
        field(prop_oneof![
            Just(json!("TRIGGER_PROVIDER_EVENT")),
            Just(json!("MANUAL_ACTIVATION")),
            Just(json!("SOMETHING_ELSE"))
        ]),
        field(any::<bool>().prop_map(Value::Bool)),
        field(any::<bool>().prop_map(Value::Bool)),
    )
        .prop_map(|(token, id, payload, source, test_mode, force_sync)| {
            let mut src = Map::new();
            insert(&mut src, "activationInitiationSource", source);
            insert(&mut src, "forceSync", force_sync);
            if let Some(t) = test_mode {
                src.insert("manualActivationInfo".into(), json!({ "testMode": t }));
            }
            let mut c = Map::new();
            insert(&mut c, "invocationToken", token);
            insert(&mut c, "activationId", id);
            insert(&mut c, "payload", payload);
            c.insert("activationSourceInfo".into(), Value::Object(src));
            Value::Object(c)
        })
}

fn invoke_request() -> impl Strategy<Value = Value> {
    (
        field(string()),
        field(object()),
        field(activation_context()),
        field(leaf()),
    )
        .prop_map(|(key, params, ctx, extra)| {
            let mut m = Map::new();
            insert(&mut m, "actionKey", key);
            insert(&mut m, "actionParams", params);
            insert(&mut m, "activationContext", ctx);
            insert(&mut m, "somethingNew", extra);
            Value::Object(m)
        })
}

fn metadata() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"appExtensionType": "AUTOMATIONS_ACTION_PROVIDER", "requestId": "r"})),
        Just(json!({"appExtensionType": "automations_action_provider"})),
        Just(json!({"appExtensionType": "OTHER_EXTENSION"})),
        any_json(),
    ]
}

/// A body: the bare request, the `{request, metadata}` form, or a signed JWT of it.
fn body() -> impl Strategy<Value = String> {
    (invoke_request(), prop::option::of(metadata()), 0..3u8).prop_map(
        |(req, meta, form)| match form {
            0 => req.to_string(),
            1 => {
                let mut env = json!({ "request": req });
                if let Some(m) = meta {
                    env["metadata"] = m;
                }
                env.to_string()
            }
            _ => {
                let mut c = claims(req);
                if let Some(m) = meta {
                    c["data"]["metadata"] = m;
                }
                sign(&c, "test-wix-private.pem")
            }
        },
    )
}

/// Nested `depth` levels deep, as the whole document counts them.
fn nested(depth: usize) -> String {
    // {"actionKey":"k","actionParams":{"a":[[…]]}}: the outer two objects are two levels.
    let inner = depth.saturating_sub(2);
    format!(
        "{{\"actionKey\":\"send-email\",\"actionParams\":{{\"a\":{}{}}}}}",
        "[".repeat(inner),
        "]".repeat(inner)
    )
}

/// JSON text that is easy to skip and hard to read: escapes, surrogates, exponents, huge
/// numbers, control characters.
fn raw_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#""\ud800""#.to_string()),
        Just(r#""\ud83d\ude00""#.to_string()),
        Just(r#""\u00e9\n\t""#.to_string()),
        Just(r#""\x""#.to_string()),
        Just("\"tab\there\"".to_string()),
        Just("1e400".to_string()),
        Just("-0.5E-3".to_string()),
        Just("1".repeat(310)),
        Just("01".to_string()),
        Just("[1,]".to_string()),
        Just("{\"a\":1,}".to_string()),
        Just("nul".to_string()),
        Just("\"ends in an escape\\".to_string()),
        Just("\"\\".to_string()),
        "-?[0-9]{1,3}(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,4})?",
    ]
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        body(),
        0..7u8,
        any::<prop::sample::Index>(),
        any::<u8>(),
        100..140usize,
    )
        .prop_map(|(b, how, at, byte, depth)| {
            let mut bytes = b.into_bytes();
            let i = at.index(bytes.len().max(1));
            match how {
                0 | 1 => {}
                2 => bytes.truncate(i),
                3 if !bytes.is_empty() => {
                    let last = bytes.len() - 1;
                    bytes[i.min(last)] = byte;
                }
                4 => bytes.insert(i.min(bytes.len()), byte),
                5 => return nested(depth).into_bytes(),
                _ => {}
            }
            bytes
        })
}

/// A body with one raw fragment spliced in where a value goes.
fn spliced() -> impl Strategy<Value = Vec<u8>> {
    (raw_fragment(), 0..3u8).prop_map(|(frag, at)| {
        match at {
            0 => format!(r#"{{"actionKey":"k","actionParams":{{"x":{frag}}}}}"#),
            1 => format!(r#"{{"actionKey":"k","actionParams":{{}},"activationContext":{{"payload":{{"p":{frag}}}}}}}"#),
            _ => format!(r#"{{"actionKey":"k","actionParams":{{}},"extra":{frag}}}"#),
        }
        .into_bytes()
    })
}

fn report() -> impl Strategy<Value = Vec<u8>> {
    (
        field(prop_oneof![Just(json!("tok-1")), string()]),
        field(prop_oneof![
            Just(json!("SUCCESS")),
            Just(json!("FAILURE")),
            string()
        ]),
        field(object().prop_map(|r| json!({ "result": r }))),
        field(string().prop_map(|d| json!({ "errorDescription": d }))),
        0..3u8,
        any::<prop::sample::Index>(),
    )
        .prop_map(|(token, status, success, failure, how, at)| {
            let mut m = Map::new();
            insert(&mut m, "invocationToken", token);
            insert(&mut m, "status", status);
            insert(&mut m, "successInfo", success);
            insert(&mut m, "failureInfo", failure);
            let mut bytes = Value::Object(m).to_string().into_bytes();
            if how == 2 {
                bytes.truncate(at.index(bytes.len().max(1)));
            }
            bytes
        })
}

/// The two engines, made anew once their logs hold 20,000 exchanges: a long run (millions of
/// cases) must not grow without bound.
struct Engines(std::cell::RefCell<(Arc<Engine>, Arc<Engine>)>);

impl Engines {
    fn new() -> Engines {
        Engines(std::cell::RefCell::new(engines()))
    }

    fn get(&self) -> (Arc<Engine>, Arc<Engine>) {
        let mut e = self.0.borrow_mut();
        if e.0.len() > 20_000 || e.1.len() > 20_000 {
            *e = engines();
        }
        e.clone()
    }
}

fn engines() -> (Arc<Engine>, Arc<Engine>) {
    let quick = engine_with(Mode::Auto, verifying).0;
    let full = engine_with(Mode::Auto, |c| {
        verifying(c);
        c.quick_path = false;
    })
    .0;
    (quick, full)
}

fn last(engine: &Engine) -> actionbench::domain::invocation::Exchange {
    engine.exchange(engine.len() as u64).expect("logged")
}

fn reply(engine: &Engine, path: &str, body: &[u8]) -> Result<(u16, Value), TestCaseError> {
    // Routed as the server routes; refusals logged as the server logs them.
    let routed = actionbench::server::route(
        "POST",
        path,
        String::new(),
        false,
        actionbench::server::ReadBody::Read(body.to_vec().into()),
    );
    let incoming = match routed {
        Ok(i) => i,
        Err(refused) => {
            let r = engine.refused(*refused);
            return Ok((r.status, (*r.body).clone()));
        }
    };
    match engine.intake(incoming) {
        Intake::Now(r) => Ok((r.status, (*r.body).clone())),
        Intake::Held { .. } | Intake::Forward { .. } => {
            Err(TestCaseError::fail("auto mode held a call"))
        }
    }
}

/// Every call gets a JSON object; a refusal names its problem and is logged, flagged.
fn check_answer(engine: &Engine, status: u16, body: &Value) -> Result<(), TestCaseError> {
    prop_assert!(body.is_object(), "not a JSON object: {body}");
    if status >= 400 {
        prop_assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "a refusal without a message: {body}"
        );
        let ex = last(engine);
        prop_assert!(ex.is_flagged(), "a refusal not flagged: {:?}", ex.phase);
    }
    Ok(())
}

/// The two paths: the same status, body, fields and findings.
fn both_paths_agree(quick: &Engine, full: &Engine, bytes: &[u8]) -> Result<(), TestCaseError> {
    let (qs, qb) = reply(quick, "/v1/invoke", bytes)?;
    let (fs, fb) = reply(full, "/v1/invoke", bytes)?;
    let text = String::from_utf8_lossy(bytes);
    prop_assert_eq!(qs, fs, "status differs for {}", text);
    prop_assert_eq!(&qb, &fb, "answer differs for {}", text);
    check_answer(quick, qs, &qb)?;
    check_answer(full, fs, &fb)?;
    let (q, f) = (last(quick), last(full));
    prop_assert_eq!(&q.action_key, &f.action_key, "{}", text);
    prop_assert_eq!(&q.invocation_token, &f.invocation_token, "{}", text);
    prop_assert_eq!(q.envelope, f.envelope, "{}", text);
    prop_assert_eq!(q.phase.label(), f.phase.label(), "{}", text);
    let codes = |e: &actionbench::domain::invocation::Exchange| {
        let mut c: Vec<(String, Option<String>)> = e
            .findings
            .iter()
            .map(|x| (x.code.to_string(), x.field.clone()))
            .collect();
        c.sort();
        c
    };
    prop_assert_eq!(codes(&q), codes(&f), "findings differ for {}", text);
    // Where the hot path takes a body, the full decode reads the same fields from it.
    if let Some(hot) = quick_invoke(bytes) {
        let d = envelope::decode(bytes, &Default::default(), t0())
            .map_err(|e| TestCaseError::fail(format!("hot path took what decode refuses: {e}")))?;
        prop_assert_eq!(
            d.request["actionKey"].as_str(),
            Some(hot.action_key.as_ref())
        );
        let params: Value = serde_json::from_str(hot.action_params.get()).expect("params");
        prop_assert_eq!(&params, &d.request["actionParams"]);
    }
    Ok(())
}

/// Runs `test` on `strategy` for PROPTEST_CASES cases, and keeps going with fresh cases for
/// PROPS_SECONDS when that is set.
fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let seconds: u64 = std::env::var("PROPS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut rounds = 0u64;
    loop {
        let cases = Config::default()
            .cases
            .min(if seconds > 0 { 4096 } else { 192 });
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("{name}: {e}");
        }
        rounds += cases as u64;
        if Instant::now() >= until {
            break;
        }
    }
    if seconds > 0 {
        let rss = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS"))
                    .map(str::to_string)
            })
            .unwrap_or_default();
        println!("{name}: {rounds} cases ({rss})");
    }
}

#[test]
fn bodies_and_envelopes_get_json_answers_and_both_paths_agree() {
    let engines = Engines::new();
    let agree = |b: &[u8]| {
        let (quick, full) = engines.get();
        both_paths_agree(&quick, &full, b)
    };
    run("bodies", body(), |b| agree(b.as_bytes()));
    run("mutated", mutated(), |b| agree(&b));
    run("spliced", spliced(), |b| agree(&b));
}

#[test]
fn any_path_and_any_report_gets_a_json_answer() {
    let engines = Engines::new();
    let paths = prop_oneof![
        Just("/v1/invoke"),
        Just("/prefix/v1/validate-configuration"),
        Just("/v1/quota-info"),
        Just(REPORT),
        Just("/v1/unknown"),
    ];
    run("router", (paths, mutated()), |(path, b)| {
        let engine = engines.get().0;
        let (s, v) = reply(&engine, path, &b)?;
        check_answer(&engine, s, &v)
    });
    run("reports", report(), |b| {
        let engine = engines.get().0;
        let (s, v) = reply(&engine, REPORT, &b)?;
        check_answer(&engine, s, &v)
    });
}

/// A body nested past the parser's limit is a 400 that says so, whatever its form and path.
#[test]
fn nesting_past_the_limit_is_refused_the_same_on_every_path() {
    let (quick, full) = engines();
    let wrap = |depth: usize, form: u8| -> String {
        // The request nests `depth` levels counted from the document the form puts it in.
        match form {
            0 => nested(depth),
            1 => {
                let req: String = nested(depth - 1);
                format!(
                    "{{\"request\":{req},\"metadata\":{{\"appExtensionType\":\"AUTOMATIONS_ACTION_PROVIDER\"}}}}"
                )
            }
            _ => {
                // The JWT payload: {"data":{"request":…}} adds two levels.
                let req: Value = serde_json::from_str(&nested(depth - 3)).expect("under the limit");
                sign(&claims(req), "test-wix-private.pem")
            }
        }
    };
    for form in 0..3u8 {
        for engine in [&quick, &full] {
            let ok = wrap(MAX_JSON_DEPTH, form);
            let (s, v) = reply(engine, "/v1/invoke", ok.as_bytes()).expect("answer");
            assert_eq!(s, 200, "form {form} at the limit: {v}");
            let deep = if form == 2 {
                // Past the limit inside the signed payload.
                let inner = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
                let payload = format!(
                    "{{\"iss\":\"wix.com\",\"data\":{{\"request\":{{\"actionKey\":\"k\",\"actionParams\":{{\"a\":{inner}}}}}}}}}"
                );
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                format!(
                    "{}.{}.{}",
                    b64.encode(r#"{"alg":"RS256"}"#),
                    b64.encode(payload),
                    b64.encode("sig")
                )
            } else {
                wrap(MAX_JSON_DEPTH + 1, form)
            };
            let (s, v) = reply(engine, "/v1/invoke", deep.as_bytes()).expect("answer");
            assert_eq!(s, 400, "form {form} past the limit: {v}");
            assert_eq!(v["details"]["applicationError"]["code"], "TOO_DEEP", "{v}");
            assert!(
                v["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("nested deeper than 127")),
                "{v}"
            );
        }
    }
    // A completion report too.
    let deep_report = format!(
        "{{\"invocationToken\":\"t\",\"status\":\"SUCCESS\",\"successInfo\":{{\"result\":{{\"a\":{}{}}}}}}}",
        "[".repeat(130),
        "]".repeat(130)
    );
    let (s, v) = reply(&quick, REPORT, deep_report.as_bytes()).expect("answer");
    assert_eq!(
        (s, v["details"]["applicationError"]["code"].clone()),
        (400, json!("TOO_DEEP")),
        "{v}"
    );
}

/// Every prefix of a body full of escapes: a cut may land inside any of them.
#[test]
fn every_cut_of_a_body_with_escapes_agrees() {
    let (quick, full) = engines();
    let body = r#"{"actionKey":"k\"\\","actionParams":{"a":"\u00e9\\\"","b":[1.5,-2,"\ud83d\ude00"]},"activationContext":{"invocationToken":"t\\"}}"#;
    for cut in 0..=body.len() {
        both_paths_agree(&quick, &full, &body.as_bytes()[..cut])
            .unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
    }
}
