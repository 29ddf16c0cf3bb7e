//! The server's routes, driven with `oneshot` (no socket): every status the inbox can answer.

mod common;

use actionbench::domain::invocation::{AnsweredBy, Phase};
use actionbench::domain::wire::{InvokeResponse, Method};
use actionbench::engine::{Engine, Intake, Mode, Policy, Reply};
use actionbench::server::router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use common::*;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(
    engine: &Arc<Engine>,
    method: &str,
    path: &str,
    body: impl Into<Body>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(body.into())
        .expect("request");
    let res = router(engine.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)));
    (status, v)
}

async fn post(engine: &Arc<Engine>, path: &str, body: Value) -> (StatusCode, Value) {
    call(engine, "POST", path, body.to_string()).await
}

fn message(v: &Value) -> &str {
    v["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {v}"))
}

/// The last exchange in the log is flagged and refused with `status`.
fn assert_logged_refusal(engine: &Engine, status: u16) {
    let last = engine.snapshot().pop().expect("logged");
    assert!(
        last.is_flagged(),
        "#{} is not flagged: {:?}",
        last.id,
        last.phase
    );
    assert!(matches!(last.phase, Phase::Rejected { .. }));
    assert_eq!(last.response.expect("answered").status, status);
}

#[tokio::test]
async fn auto_mode_answers_all_three_methods() {
    let (engine, _) = engine(Mode::Auto);
    let (s, v) = post(&engine, "/v1/invoke", invoke_request("send-email", "t-1")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["invokeTimeoutType"], "IMMEDIATE");
    assert!(
        v["result"].get("messageId").is_some(),
        "the saved answer starts from the output schema: {v}"
    );
    let (s, v) = post(
        &engine,
        "/v1/validate-configuration",
        json!({"actionKey": "request-approval", "inputMapping": "{}"}),
    )
    .await;
    assert_eq!((s, v["valid"].clone()), (StatusCode::OK, json!(true)));
    let (s, v) = post(
        &engine,
        "/v1/quota-info",
        json!({"actionKey": "send-email"}),
    )
    .await;
    assert_eq!(
        (s, v["actionQuotaInfo"]["enforced"].clone()),
        (StatusCode::OK, json!(false))
    );
    let log = engine.snapshot();
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|e| e.phase == Phase::Answered && !e.is_flagged())
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_a_named_problem_and_logged_flagged() {
    let (engine, _) = engine(Mode::Auto);
    let (s, v) = call(&engine, "POST", "/v1/invoke", "{\"actionKey\": ").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(message(&v).contains("not valid JSON"), "{v}");
    assert_eq!(v["details"]["applicationError"]["code"], "INVALID_JSON");
    assert_logged_refusal(&engine, 400);

    let cases = [
        (json!({"actionParams": {}}), "actionKey is required"),
        (json!({"actionKey": "k"}), "actionParams is required"),
        (
            json!({"actionKey": 12, "actionParams": {}}),
            "actionKey must be a string",
        ),
        (
            json!({"actionKey": "k", "actionParams": []}),
            "actionParams must be an object",
        ),
        (
            json!({"actionKey": "k", "actionParams": {}, "activationContext": {"activationId": 7}}),
            "activationContext.activationId",
        ),
        (
            json!({"actionKey": "k", "actionParams": {}, "activationContext": "now"}),
            "activationContext",
        ),
        (json!(["not", "an", "object"]), "must be a JSON object"),
    ];
    for (body, expected) in cases {
        let (s, v) = post(&engine, "/v1/invoke", body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert!(message(&v).contains(expected), "{body}: {v}");
        assert_logged_refusal(&engine, 400);
    }
    let (s, v) = call(&engine, "POST", "/v1/invoke", "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(message(&v).contains("empty"));
}

#[tokio::test]
async fn oversized_bodies_get_413_whether_declared_or_streamed() {
    let (engine, _) = engine(Mode::Auto);
    let big = format!(
        "{{\"actionKey\":\"k\",\"actionParams\":{{\"x\":\"{}\"}}}}",
        "a".repeat(1024 * 1024)
    );
    let (s, v) = call(&engine, "POST", "/v1/invoke", big.clone()).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(message(&v).contains("1 MiB"), "{v}");
    assert_logged_refusal(&engine, 413);
    // Without a content-length the limit still holds while reading.
    let stream = futures_stream(big);
    let (s, _) = call(&engine, "POST", "/v1/invoke", stream).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_logged_refusal(&engine, 413);
    // Just under the limit is fine.
    let fits = format!(
        "{{\"actionKey\":\"k\",\"actionParams\":{{\"x\":\"{}\"}}}}",
        "a".repeat(1000 * 1000)
    );
    assert_eq!(
        call(&engine, "POST", "/v1/invoke", fits).await.0,
        StatusCode::OK
    );
}

/// A body streamed in chunks, with no content-length.
fn futures_stream(s: String) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = s
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_named() {
    let (engine, _) = engine(Mode::Auto);
    let (s, v) = post(&engine, "/v1/dynamic-input-schema", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for known in ["/v1/invoke", "/v1/validate-configuration", "/v1/quota-info"] {
        assert!(message(&v).contains(known), "{v}");
    }
    assert_logged_refusal(&engine, 404);
    let req = Request::builder()
        .method("GET")
        .uri("/v1/invoke")
        .body(Body::empty())
        .expect("req");
    let res = router(engine.clone()).oneshot(req).await.expect("ok");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        res.headers().get("allow").map(|v| v.as_bytes()),
        Some(&b"POST"[..])
    );
    assert_logged_refusal(&engine, 405);
    let last = engine.snapshot().pop().expect("logged");
    assert!(
        matches!(last.phase, Phase::Rejected { ref message, .. } if message.contains("GET is not allowed"))
    );
}

#[tokio::test]
async fn jwt_bodies_are_verified_and_refusals_are_401() {
    let (engine, _) = engine_with(Mode::Auto, verifying);
    let good = sign(
        &claims(invoke_request("send-email", "t-jwt")),
        "test-wix-private.pem",
    );
    let (s, _) = call(&engine, "POST", "/v1/invoke", good).await;
    assert_eq!(s, StatusCode::OK);
    let ex = engine.snapshot().pop().expect("logged");
    assert_eq!(ex.envelope.map(|e| e.label()), Some("JWT verified"));
    let parts = ex.arrival.inspect();
    assert!(parts.jwt_claims.is_some() && parts.metadata.is_some() && parts.request.is_some());

    let bad = sign(
        &claims(invoke_request("send-email", "t-jwt2")),
        "other-private.pem",
    );
    let (s, v) = call(&engine, "POST", "/v1/invoke", bad).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(message(&v).contains("signature"), "{v}");
    assert_logged_refusal(&engine, 401);

    let mut c = claims(invoke_request("send-email", "t-jwt3"));
    c["exp"] = json!(t0().timestamp() - 1);
    let (s, v) = call(
        &engine,
        "POST",
        "/v1/invoke",
        sign(&c, "test-wix-private.pem"),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(message(&v).contains("expired"), "{v}");
}

#[tokio::test]
async fn an_unverified_jwt_is_taken_and_marked() {
    let (engine, _) = engine(Mode::Auto);
    let token = sign(
        &claims(invoke_request("send-email", "t-u")),
        "other-private.pem",
    );
    assert_eq!(
        call(&engine, "POST", "/v1/invoke", token).await.0,
        StatusCode::OK
    );
    let ex = engine.snapshot().pop().expect("logged");
    assert_eq!(ex.envelope.map(|e| e.label()), Some("JWT unverified"));
    assert!(ex.findings.iter().any(|f| f.code == "jwt-unverified"));
}

#[tokio::test]
async fn fail_mode_answers_the_status_with_an_application_error() {
    let (engine, _) = engine(Mode::Auto);
    let mut p = Policy::new(Mode::Fail, json!({}));
    p.fail_status = 503;
    engine.set_policy("send-email", p);
    let (s, v) = post(&engine, "/v1/invoke", invoke_request("send-email", "t-f")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v["applicationError"]["code"], "ACTION_FAILED");
    let ex = engine.snapshot().pop().expect("logged");
    assert!(matches!(ex.phase, Phase::Failed { .. }));
    assert_eq!(ex.response.expect("r").by, AnsweredBy::FailPolicy);
}

#[tokio::test]
async fn a_held_call_waits_for_the_developers_answer() {
    let (engine, _) = engine(Mode::Hold);
    let e2 = engine.clone();
    let caller = tokio::spawn(async move {
        post(&e2, "/v1/invoke", invoke_request("request-approval", "t-h")).await
    });
    let id = wait_for_held(&engine).await;
    let crafted = InvokeResponse::timeout_length(30).to_value();
    engine
        .answer(id, Reply::json(200, crafted.clone()))
        .expect("answers");
    let (s, v) = caller.await.expect("joined");
    assert_eq!((s, v), (StatusCode::OK, crafted));
    let ex = engine.exchange(id).expect("ex");
    assert_eq!(
        ex.phase,
        Phase::Waiting {
            deadline: t0() + Duration::minutes(30)
        }
    );
    assert!(
        engine
            .answer(id, Reply::json(200, json!({})))
            .expect_err("refused")
            .contains("not held")
    );
}

async fn wait_for_held(engine: &Arc<Engine>) -> u64 {
    for _ in 0..10_000 {
        if let Some(ex) = engine.snapshot().into_iter().find(|e| e.phase.is_held()) {
            return ex.id;
        }
        tokio::task::yield_now().await;
    }
    panic!("no held call arrived");
}

#[tokio::test]
async fn the_hold_deadline_sends_the_saved_answer_and_says_so() {
    let (engine, clock) = engine(Mode::Hold);
    let e2 = engine.clone();
    let caller =
        tokio::spawn(
            async move { post(&e2, "/v1/invoke", invoke_request("send-email", "t-fb")).await },
        );
    let id = wait_for_held(&engine).await;
    engine.tick();
    assert!(
        engine.exchange(id).expect("ex").phase.is_held(),
        "not before the deadline"
    );
    clock.advance(Duration::seconds(25));
    engine.tick();
    let (s, v) = caller.await.expect("joined");
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["invokeTimeoutType"], "IMMEDIATE");
    let ex = engine.exchange(id).expect("ex");
    assert_eq!(ex.response.as_ref().expect("r").by, AnsweredBy::Fallback);
    assert!(
        ex.timeline
            .iter()
            .any(|t| t.text().contains("hold deadline passed"))
    );
}

#[tokio::test]
async fn a_caller_that_hangs_up_is_marked_gone() {
    let (engine, _) = engine(Mode::Hold);
    let e2 = engine.clone();
    let caller =
        tokio::spawn(
            async move { post(&e2, "/v1/invoke", invoke_request("send-email", "t-g")).await },
        );
    let id = wait_for_held(&engine).await;
    caller.abort();
    let _ = caller.await;
    assert_eq!(engine.exchange(id).expect("ex").phase, Phase::CallerGone);
    assert!(engine.answer(id, Reply::json(200, json!({}))).is_err());
}

#[tokio::test]
async fn closing_answers_held_calls_503() {
    let (engine, _) = engine(Mode::Hold);
    let e2 = engine.clone();
    let caller =
        tokio::spawn(
            async move { post(&e2, "/v1/invoke", invoke_request("send-email", "t-c")).await },
        );
    let id = wait_for_held(&engine).await;
    engine.close();
    let (s, v) = caller.await.expect("joined");
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(message(&v).contains("closing"));
    assert_eq!(engine.exchange(id).expect("ex").phase, Phase::ShutDown);
    // New calls are refused too.
    assert_eq!(
        post(&engine, "/v1/invoke", invoke_request("send-email", "t-c2"))
            .await
            .0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

const REPORT: &str = "/automations_runtime/v1/report-action-invocation-completed";

async fn waiting_invocation(engine: &Arc<Engine>, token: &str, minutes: i64) -> u64 {
    engine.set_policy(
        "request-approval",
        Policy::new(
            Mode::Auto,
            InvokeResponse::timeout_length(minutes).to_value(),
        ),
    );
    let (s, _) = post(
        engine,
        "/v1/invoke",
        invoke_request("request-approval", token),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let ex = engine
        .snapshot()
        .into_iter()
        .rev()
        .find(|e| e.invocation_token.as_deref() == Some(token))
        .expect("ex");
    assert!(matches!(ex.phase, Phase::Waiting { .. }));
    ex.id
}

#[tokio::test]
async fn the_mock_completion_api_completes_once_and_refuses_the_rest() {
    let (engine, clock) = engine(Mode::Auto);
    let id = waiting_invocation(&engine, "tok-a", 60).await;
    let ok = json!({"invocationToken": "tok-a", "status": "SUCCESS", "successInfo": {"result": {"decision": "APPROVED"}}});
    let (s, v) = post(&engine, REPORT, ok.clone()).await;
    assert_eq!((s, v), (StatusCode::OK, json!({})));
    assert_eq!(
        engine.exchange(id).expect("ex").phase,
        Phase::Completed {
            result: json!({"decision": "APPROVED"})
        }
    );
    let accepted = engine.snapshot().pop().expect("report logged");
    assert_eq!(accepted.phase, Phase::Accepted);

    let (s, v) = post(&engine, REPORT, ok).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(message(&v).contains("already completed"));
    assert_logged_refusal(&engine, 409);

    let (s, v) = post(&engine, REPORT, json!({"invocationToken": "nobody", "status": "FAILURE", "failureInfo": {"errorDescription": "x"}})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(message(&v).contains("nobody"));
    assert_logged_refusal(&engine, 404);

    let (s, v) = post(
        &engine,
        REPORT,
        json!({"invocationToken": "tok-a", "status": "WHATEVER"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["details"]["validationError"]["fieldViolations"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{v}"
    );
    assert_logged_refusal(&engine, 400);

    let (s, _) = call(&engine, "POST", REPORT, "not json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // A result that breaks the output schema is refused.
    let id2 = waiting_invocation(&engine, "tok-b", 60).await;
    let bad = json!({"invocationToken": "tok-b", "status": "SUCCESS", "successInfo": {"result": {"decision": "MAYBE"}}});
    let (s, v) = post(&engine, REPORT, bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(message(&v).contains("decision"), "{v}");
    assert!(
        matches!(
            engine.exchange(id2).expect("ex").phase,
            Phase::Waiting { .. }
        ),
        "still waiting"
    );

    // After the deadline: timed out, and a late report is a conflict.
    clock.advance(Duration::minutes(61));
    engine.tick();
    assert!(matches!(
        engine.exchange(id2).expect("ex").phase,
        Phase::TimedOut { .. }
    ));
    let late = json!({"invocationToken": "tok-b", "status": "FAILURE", "failureInfo": {"errorDescription": "late"}});
    let (s, v) = post(&engine, REPORT, late).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(message(&v).contains("timed out"));
}

#[tokio::test]
async fn a_report_for_an_immediate_invocation_is_a_conflict() {
    let (engine, _) = engine(Mode::Auto);
    post(
        &engine,
        "/v1/invoke",
        invoke_request("send-email", "tok-imm"),
    )
    .await;
    let (s, v) = post(&engine, REPORT, json!({"invocationToken": "tok-imm", "status": "FAILURE", "failureInfo": {"errorDescription": "x"}})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(message(&v).contains("not waiting"), "{v}");
}

#[tokio::test]
async fn time_warp_makes_a_day_pass_in_seconds() {
    let (engine, clock) = engine(Mode::Auto);
    let id = waiting_invocation(&engine, "tok-w", 1440).await;
    engine.set_warp(3600);
    clock.advance(Duration::seconds(23)); // 23 real seconds = 23 simulated hours
    engine.tick();
    assert!(matches!(
        engine.exchange(id).expect("ex").phase,
        Phase::Waiting { .. }
    ));
    clock.advance(Duration::seconds(1));
    engine.tick();
    assert!(matches!(
        engine.exchange(id).expect("ex").phase,
        Phase::TimedOut { .. }
    ));
}

#[test]
fn intake_never_panics_on_odd_bytes() {
    let (engine, _) = engine(Mode::Auto);
    let odd: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00],
        b"{\"request\": 5}".to_vec(),
        b"{\"request\": {}, \"metadata\": 3}".to_vec(),
        b"a.b.c".to_vec(),
        b"eyJhbGciOiJSUzI1NiJ9.eyJkYXRhIjogM30.sig".to_vec(),
        b"\"just a string\"".to_vec(),
        b"null".to_vec(),
        "{\"actionKey\": \"\u{1F600}\", \"actionParams\": {}}"
            .as_bytes()
            .to_vec(),
    ];
    for body in odd {
        let incoming =
            actionbench::engine::Incoming::post("/v1/invoke", body.clone()).expect("a route");
        match engine.intake(incoming) {
            Intake::Now(r) => assert!(
                r.status == 200 || r.status == 400 || r.status == 401,
                "{}: {}",
                String::from_utf8_lossy(&body),
                r.status
            ),
            Intake::Held { .. } | Intake::Forward { .. } => panic!("auto mode does not hold"),
        }
    }
}

/// A small deterministic generator, so the fuzz cases are the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[tokio::test]
async fn mangled_bodies_always_get_a_json_answer_and_a_log_entry() {
    let (engine, _) = engine(Mode::Auto);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Vec<u8>> = samples()
        .iter()
        .flat_map(|s| {
            [
                s.sample.envelope(false).to_string().into_bytes(),
                s.sample.request.to_string().into_bytes(),
            ]
        })
        .chain([sign(
            &claims(invoke_request("send-email", "t-z")),
            "test-wix-private.pem",
        )
        .into_bytes()])
        .collect();
    let paths = [
        "/v1/invoke",
        "/v1/validate-configuration",
        "/v1/quota-info",
        REPORT,
    ];
    let cases = 1500;
    for i in 0..cases {
        let mut body = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(body.len());
            match rng.below(4) {
                0 => body[at] = rng.next() as u8,
                1 => body.truncate(at),
                2 => body.insert(at, b"{}[],:\"\\0e-"[rng.below(11)]),
                _ => {
                    let end = (at + rng.below(40)).min(body.len());
                    body.drain(at..end);
                }
            }
            if body.is_empty() {
                break;
            }
        }
        let path = paths[rng.below(paths.len())];
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .body(Body::from(body.clone()))
            .expect("request");
        let res = router(engine.clone())
            .oneshot(req)
            .await
            .expect("infallible");
        let status = res.status().as_u16();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body");
        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "case {i}: not JSON ({status}) for {}",
                String::from_utf8_lossy(&body)
            )
        });
        if status >= 400 {
            assert!(
                v["message"].as_str().is_some_and(|m| !m.is_empty()),
                "case {i}: {v}"
            );
        }
        assert_eq!(engine.len(), i + 1, "case {i} was not logged");
    }
}

#[test]
fn a_reader_that_falls_behind_is_told_to_resync() {
    let (engine, _) = engine(Mode::Auto);
    let sub = engine.subscribe(2, None);
    for i in 0..3 {
        let body = invoke_request("send-email", &format!("t-{i}")).to_string();
        engine.intake(actionbench::engine::Incoming::post("/v1/invoke", body).expect("a route"));
    }
    assert!(sub.take_lagged(), "six events into a queue of two");
    assert!(!sub.take_lagged(), "the flag is taken once");
    assert_eq!(engine.snapshot().len(), 3, "the snapshot has everything");
}

/// As the SDK dispatches: by the path's ending, so a provider's baseUri prefix works.
#[tokio::test]
async fn methods_are_routed_by_the_paths_ending_under_any_prefix() {
    let (engine, _) = engine(Mode::Auto);
    let (s, v) = post(
        &engine,
        "/wix/actions/v1/invoke",
        invoke_request("send-email", "t-prefix"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ex = engine.snapshot().pop().expect("logged");
    assert_eq!(ex.method, Some(Method::Invoke));
    assert_eq!(
        ex.path, "/wix/actions/v1/invoke",
        "the log keeps the full path"
    );
    let (s, v) = post(
        &engine,
        "/a/b/v1/validate-configuration/",
        json!({"actionKey": "send-email", "inputMapping": "{}"}),
    )
    .await;
    assert_eq!((s, v["valid"].clone()), (StatusCode::OK, json!(true)));
    let (s, v) = post(
        &engine,
        "/x/v1/quota-info",
        json!({"actionKey": "send-email"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("actionQuotaInfo").is_some(), "{v}");
    // An ending that only looks alike is not a method.
    let (s, v) = post(&engine, "/xv1/invoke", invoke_request("send-email", "t-x")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert!(message(&v).contains("under any prefix"), "{v}");
}

fn violations(v: &Value) -> Vec<(String, String)> {
    v["details"]["validationError"]["fieldViolations"]
        .as_array()
        .unwrap_or_else(|| panic!("no fieldViolations in {v}"))
        .iter()
        .map(|f| {
            assert!(
                f["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{f}"
            );
            (
                f["field"].as_str().unwrap_or("").to_string(),
                f["violatedRule"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// fieldViolations name the offending field as a path, with Wix's rule, for requests and
/// output-schema violations alike.
#[tokio::test]
async fn validation_errors_name_the_field_and_the_rule() {
    let (engine, _) = engine(Mode::Auto);
    let cases = [
        (json!({"actionParams": {}}), ("actionKey", "REQUIRED_FIELD")),
        (
            json!({"actionKey": "k", "actionParams": {}, "activationContext": {"activationSourceInfo": {"manualActivationInfo": {"testMode": "yes"}}}}),
            (
                "activationContext.activationSourceInfo.manualActivationInfo.testMode",
                "VALIDATION",
            ),
        ),
        (
            json!({"actionKey": "k", "actionParams": 3}),
            ("actionParams", "VALIDATION"),
        ),
    ];
    for (body, (field, rule)) in cases {
        let (s, v) = post(&engine, "/v1/invoke", body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(violations(&v), vec![(field.to_string(), rule.to_string())]);
    }
    // A completion report whose result breaks the approval's output schema.
    let config_engine = engine_with(Mode::Auto, |c| {
        actionbench::cli::AutoAnswer::Timeout(60).configure(c)
    })
    .0;
    let (s, _) = post(&config_engine, "/v1/invoke", {
        let mut r = invoke_request("request-approval", "tok-v");
        r["actionParams"] = json!({"approverEmail": "a@example.com", "amount": 3});
        r
    })
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = post(
        &config_engine,
        "/automations_runtime/v1/report-action-invocation-completed",
        json!({"invocationToken": "tok-v", "status": "SUCCESS", "successInfo": {"result": {"decision": "MAYBE"}}}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        violations(&v),
        vec![(
            "successInfo.result.decision".to_string(),
            "INVALID_ENUM_VALUE".to_string()
        )]
    );
    let (s, v) = post(
        &config_engine,
        "/automations_runtime/v1/report-action-invocation-completed",
        json!({"invocationToken": "tok-v", "status": "FAILURE", "failureInfo": {"errorDescription": "x".repeat(1001)}}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        violations(&v),
        vec![(
            "failureInfo.errorDescription".to_string(),
            "MAX_LENGTH".to_string()
        )]
    );
}

/// Two live invocations with one token: a finding on both, an event for the older one, and
/// reports that complete the oldest waiting first, so neither is unreachable.
#[tokio::test]
async fn a_reused_token_is_a_finding_on_both_and_reports_reach_each_in_turn() {
    let (engine, _) = engine_with(Mode::Auto, |c| {
        actionbench::cli::AutoAnswer::Timeout(60).configure(c)
    });
    let sub = engine.subscribe(1024, None);
    let approval = |amount: i64| {
        let mut r = invoke_request("request-approval", "tok-same");
        r["actionParams"] = json!({"approverEmail": "a@example.com", "amount": amount});
        r
    };
    assert_eq!(
        post(&engine, "/v1/invoke", approval(1)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        post(&engine, "/v1/invoke", approval(2)).await.0,
        StatusCode::OK
    );
    let (first, second) = (
        engine.exchange(1).expect("#1"),
        engine.exchange(2).expect("#2"),
    );
    for ex in [&first, &second] {
        let f = ex
            .findings
            .iter()
            .find(|f| f.code == "token-reused")
            .unwrap_or_else(|| panic!("#{} has no token-reused finding: {:?}", ex.id, ex.findings));
        assert_eq!(
            f.field.as_deref(),
            Some("activationContext.invocationToken")
        );
    }
    assert!(second.findings.iter().any(|f| f.message.contains("#1")));
    assert!(first.findings.iter().any(|f| f.message.contains("#2")));
    let flagged: Vec<_> = sub
        .rx
        .try_iter()
        .filter(|e| e.kind == actionbench::engine::EventKind::Flagged)
        .map(|e| e.exchange.id)
        .collect();
    assert_eq!(
        flagged,
        vec![1],
        "the older invocation's new finding is an event"
    );

    let report = json!({"invocationToken": "tok-same", "status": "SUCCESS", "successInfo": {"result": {"decision": "APPROVED"}}});
    assert_eq!(
        post(&engine, REPORT, report.clone()).await.0,
        StatusCode::OK
    );
    assert!(matches!(
        engine.exchange(1).expect("#1").phase,
        Phase::Completed { .. }
    ));
    assert!(matches!(
        engine.exchange(2).expect("#2").phase,
        Phase::Waiting { .. }
    ));
    let r1 = engine.snapshot().pop().expect("report");
    assert!(
        r1.timeline
            .iter()
            .any(|l| l.text().contains("invocation #1")),
        "{:?}",
        r1.timeline
    );
    assert_eq!(
        post(&engine, REPORT, report.clone()).await.0,
        StatusCode::OK
    );
    assert!(matches!(
        engine.exchange(2).expect("#2").phase,
        Phase::Completed { .. }
    ));
    // Both done: a third report is refused, naming the state.
    assert_eq!(post(&engine, REPORT, report).await.0, StatusCode::CONFLICT);
}

/// Each [assumed] behaviour is a setting: the default is the assumption, the switch works.
#[tokio::test]
async fn assumed_behaviours_follow_their_settings() {
    use actionbench::domain::assumptions::{Assumptions, ExtraReport};
    let (engine, clock) = engine_with(Mode::Auto, |c| {
        actionbench::cli::AutoAnswer::Timeout(60).configure(c)
    });
    assert_eq!(engine.assumptions(), Assumptions::default());
    let approval = |token: &str| {
        let mut r = invoke_request("request-approval", token);
        r["actionParams"] = json!({"approverEmail": "a@example.com", "amount": 1});
        r
    };
    let ok = |token: &str| json!({"invocationToken": token, "status": "SUCCESS", "successInfo": {"result": {"decision": "APPROVED"}}});
    post(&engine, "/v1/invoke", approval("t-a")).await;
    assert_eq!(post(&engine, REPORT, ok("t-a")).await.0, StatusCode::OK);
    assert_eq!(
        post(&engine, REPORT, ok("t-a")).await.0,
        StatusCode::CONFLICT
    );
    engine.set_assumptions(Assumptions {
        second_report: ExtraReport::Ignore,
        ..Assumptions::default()
    });
    assert_eq!(post(&engine, REPORT, ok("t-a")).await.0, StatusCode::OK);
    let last = engine.snapshot().pop().expect("report");
    assert!(
        last.timeline.iter().any(|l| l.text().contains("no effect")),
        "{:?}",
        last.timeline
    );

    // After the deadline: 409 by default, 200 with no effect when set to ignore.
    post(&engine, "/v1/invoke", approval("t-b")).await;
    clock.advance(Duration::minutes(61));
    engine.tick();
    assert_eq!(
        post(&engine, REPORT, ok("t-b")).await.0,
        StatusCode::CONFLICT
    );
    engine.set_assumptions(Assumptions {
        report_after_timeout: ExtraReport::Ignore,
        ..Assumptions::default()
    });
    assert_eq!(post(&engine, REPORT, ok("t-b")).await.0, StatusCode::OK);
    let b = engine
        .snapshot()
        .into_iter()
        .find(|e| e.invocation_token.as_deref() == Some("t-b") && e.method == Some(Method::Invoke))
        .expect("t-b");
    assert!(
        matches!(b.phase, Phase::TimedOut { .. }),
        "no effect: {:?}",
        b.phase
    );

    // No Authorization header: a warning by default, 401 when required.
    post(&engine, "/v1/invoke", approval("t-c")).await;
    engine.set_assumptions(Assumptions {
        require_authorization: true,
        ..Assumptions::default()
    });
    let (s, v) = post(&engine, REPORT, ok("t-c")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert!(message(&v).contains("Authorization"), "{v}");

    // A broken answer fails the step by default; with the switch off the run moves on.
    let (engine, _) = common::engine(Mode::Auto);
    let broken = InvokeResponse::immediate(json!({"cost": "free"})).to_value();
    let mut p = engine.policy("quote-shipping");
    p.answer = Arc::new(broken);
    engine.set_policy("quote-shipping", p);
    let quote = || {
        let mut r = invoke_request("quote-shipping", "t-q");
        r["actionParams"] = json!({});
        r
    };
    post(&engine, "/v1/invoke", quote()).await;
    assert!(matches!(
        engine.snapshot().pop().expect("q").phase,
        Phase::Failed { .. }
    ));
    engine.set_assumptions(Assumptions {
        broken_answer_fails_step: false,
        ..Assumptions::default()
    });
    post(&engine, "/v1/invoke", quote()).await;
    let q = engine.snapshot().pop().expect("q");
    assert_eq!(q.phase, Phase::Answered, "{:?}", q.response);
    assert!(q.is_flagged(), "the broken answer is still flagged");
}

#[tokio::test]
async fn the_log_names_a_prefixed_path_in_full() {
    let (engine, _) = engine(Mode::Auto);
    post(
        &engine,
        "/wix/actions/v1/invoke",
        invoke_request("send-email", "t-p"),
    )
    .await;
    post(&engine, "/v1/invoke", invoke_request("send-email", "t-q")).await;
    let log = engine.snapshot();
    assert_eq!(log[0].method_label(), "invoke /wix/actions/v1/invoke");
    assert_eq!(log[1].method_label(), "invoke");
}

/// A saved IMMEDIATE answer is judged once and its judgement reused; a new answer, a new
/// output schema and a waiting answer are each judged anew.
#[test]
fn a_saved_answer_is_judged_anew_when_the_answer_or_the_schema_changes() {
    use actionbench::domain::schema::Schema;
    use actionbench::engine::{ActionSchemas, Incoming};
    let (engine, clock) = engine(Mode::Auto);
    let key = "judged-key";
    let invoke = |tok: &str| {
        let body = invoke_request(key, tok).to_string();
        match engine.intake(Incoming::post("/v1/invoke", body).expect("route")) {
            Intake::Now(r) => r.status,
            _ => panic!("answered at once"),
        }
    };
    let last = |engine: &Engine| engine.exchange(engine.len() as u64).expect("logged");
    let schema = |required: &str| ActionSchemas {
        output: Some(
            Schema::compile(&json!({"type": "object", "required": [required]})).expect("schema"),
        ),
        ..Default::default()
    };
    engine.set_schemas(key, schema("id"));
    engine.set_policy(
        key,
        Policy::new(
            Mode::Auto,
            json!({"invokeTimeoutType": "IMMEDIATE", "result": {}}),
        ),
    );
    for i in 0..3 {
        assert_eq!(invoke(&format!("tok-j{i}")), 200);
        let ex = last(&engine);
        assert!(
            matches!(&ex.phase, Phase::Failed { reason } if reason.contains("\"id\"")),
            "{:?}",
            ex.phase
        );
    }
    // A new output schema: the same answer now misses another field.
    engine.set_schemas(key, schema("code"));
    assert_eq!(invoke("tok-j3"), 200);
    assert!(
        matches!(&last(&engine).phase, Phase::Failed { reason } if reason.contains("\"code\"")),
        "{:?}",
        last(&engine).phase
    );
    // A new answer that fits it: no finding.
    engine.set_policy(
        key,
        Policy::new(
            Mode::Auto,
            json!({"invokeTimeoutType": "IMMEDIATE", "result": {"code": "x"}}),
        ),
    );
    assert_eq!(invoke("tok-j4"), 200);
    let ex = last(&engine);
    assert_eq!(ex.phase, Phase::Answered);
    assert!(ex.response.expect("answered").findings.is_empty());
    // A waiting answer: each call's deadline is its own time plus the wait.
    engine.set_policy(
        key,
        Policy::new(
            Mode::Auto,
            json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "result": {"code": "x"},
                   "timeoutLengthOptions": {"timeoutInMinutes": 5}}),
        ),
    );
    assert_eq!(invoke("tok-j5"), 200);
    let first = last(&engine).phase;
    clock.advance(Duration::minutes(1));
    assert_eq!(invoke("tok-j6"), 200);
    let second = last(&engine).phase;
    match (first, second) {
        (Phase::Waiting { deadline: a }, Phase::Waiting { deadline: b }) => {
            assert_eq!(b - a, Duration::minutes(1))
        }
        other => panic!("{other:?}"),
    }
}

/// A call refused before it was judged still shows the action key its body names: a plain body
/// with wrong params, a JWT whose signature fails, a call to an unknown path.
#[tokio::test]
async fn a_refused_call_keeps_the_action_key_its_body_names() {
    let (engine, _) = engine_with(Mode::Auto, verifying);
    let (s, _) = post(
        &engine,
        "/v1/invoke",
        json!({"actionKey": "send-email", "actionParams": "oops"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let key = |e: &Engine| e.snapshot().pop().expect("logged").action_key;
    assert_eq!(key(&engine).as_deref(), Some("send-email"));
    let forged = sign(
        &json!({"iss": "wix.com", "aud": APP_ID, "data": {
            "request": invoke_request("request-approval", "t-forged"),
            "metadata": {"appExtensionType": "AUTOMATIONS_ACTION_PROVIDER"}}}),
        "other-private.pem",
    );
    let (s, _) = call(&engine, "POST", "/v1/invoke", forged).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(key(&engine).as_deref(), Some("request-approval"));
    assert_logged_refusal(&engine, 401);
    let (s, _) = post(
        &engine,
        "/v1/nowhere",
        invoke_request("create-coupon", "t-x"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(key(&engine).as_deref(), Some("create-coupon"));
    // A body naming no key, or something that is no key, leaves it unsaid.
    let (s, _) = post(&engine, "/v1/invoke", json!({"actionKey": 3})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(key(&engine), None);
}
