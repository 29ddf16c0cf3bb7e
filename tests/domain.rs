//! Domain tests: samples round-trip, every contract finding fires, envelopes decode and refuse.

mod common;
#[path = "common/envelopes.rs"]
mod envelopes;

use actionbench::domain::contract::*;
use actionbench::domain::envelope::{self, EnvelopeError, EnvelopeKind, JwtConfig};
use actionbench::domain::sample::Sample;
use actionbench::domain::schema::Schema;
use actionbench::domain::wire::*;
use common::*;
use envelopes::*;
use serde_json::{Value, json};

#[test]
fn every_sample_round_trips_through_the_wire_types() {
    let all = samples();
    assert!(all.len() >= 6, "at least six samples ship");
    for s in all {
        let path = s.path.clone().expect("path");
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let back = serde_json::to_value(&s.sample).expect("serialises");
        let mut expected = original.clone();
        // The method is written out even when the file leaves the default.
        if expected.get("method").is_none() {
            expected["method"] = json!("invoke");
        }
        assert_eq!(back, expected, "{} does not round-trip", path.display());
        let meta_back = serde_json::to_value(&s.sample.metadata).expect("metadata");
        assert_eq!(
            meta_back,
            original["metadata"],
            "{}: metadata",
            path.display()
        );
        if s.sample.method == Method::Invoke {
            let typed = s.sample.invoke_request().expect("typed invoke request");
            assert_eq!(
                serde_json::to_value(&typed).expect("ser"),
                original["request"],
                "{}",
                path.display()
            );
            assert!(
                s.params_findings.is_empty(),
                "{}: params fail the input schema",
                path.display()
            );
        }
        assert!(!s.sample.description.is_empty() && !s.sample.description.contains('\n'));
    }
}

#[test]
fn unknown_fields_are_kept_not_dropped() {
    let s = sample("03-");
    let typed = s.sample.invoke_request().expect("typed");
    let ctx = typed.activation_context.expect("context");
    assert_eq!(
        ctx.extra.get("esbConfigurationId"),
        Some(&json!("esb-cfg-77"))
    );
    let src = ctx.activation_source_info.expect("source info");
    assert!(src.preinstalled_info.is_some());
}

#[test]
fn samples_cover_the_flows_the_issue_names() {
    let all = samples();
    let sources: Vec<String> = all
        .iter()
        .filter_map(|s| {
            s.sample
                .request
                .pointer("/activationContext/activationSourceInfo/activationInitiationSource")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    for needed in ACTIVATION_SOURCES {
        assert!(
            sources.iter().any(|s| s == needed),
            "no sample with {needed}"
        );
    }
    let test_mode = sample("04-");
    assert_eq!(
        test_mode
            .sample
            .request
            .pointer("/activationContext/activationSourceInfo/manualActivationInfo/testMode"),
        Some(&json!(true))
    );
    // The approval sample's typical answer waits a day and meets the contract.
    let approval = sample("02-");
    let answer = approval.sample.example_answer.clone().expect("example");
    let body = serde_json::to_vec(&answer).expect("bytes");
    assert!(check_invoke_answer(200, &body, approval.output.as_ref(), t0()).is_empty());
    // The shipping sample's typical answer breaks its output schema.
    let shipping = sample("06-");
    let answer = serde_json::to_vec(&shipping.sample.example_answer.clone().expect("example"))
        .expect("bytes");
    let codes: Vec<&str> = check_invoke_answer(200, &answer, shipping.output.as_ref(), t0())
        .iter()
        .map(|f| f.code)
        .collect();
    assert_eq!(
        codes,
        vec!["result-schema", "result-schema"],
        "amount is a string and currency is missing"
    );
}

#[test]
fn a_sample_that_is_not_one_says_why() {
    assert!(
        Sample::parse("{")
            .expect_err("refused")
            .contains("not JSON")
    );
    let e = Sample::parse(
        r#"{"name":"x","description":"y","request":{"actionKey":3,"actionParams":{}}}"#,
    )
    .expect_err("refused");
    assert!(e.contains("actionKey"), "{e}");
    // Only what the protocol needs is required: no description is fine, an empty request is not.
    let e = Sample::parse(r#"{"name":"x","request":{}}"#).expect_err("refused");
    assert!(e.contains("actionKey"), "{e}");
    let s = Sample::parse(r#"{"request":{"actionKey":"k","actionParams":{}}}"#).expect("loads");
    assert_eq!((s.name.as_str(), s.description.as_str()), ("k", ""));
}

fn codes(status: u16, body: Value, output: Option<&Schema>) -> Vec<&'static str> {
    let bytes = serde_json::to_vec(&body).expect("bytes");
    check_invoke_answer(status, &bytes, output, t0())
        .into_iter()
        .map(|f| f.code)
        .collect()
}

#[test]
fn each_invoke_answer_finding_fires_and_good_answers_pass() {
    let future = (t0() + chrono::Duration::days(3)).to_rfc3339();
    assert!(
        codes(
            200,
            json!({"invokeTimeoutType": "IMMEDIATE", "result": {}}),
            None
        )
        .is_empty()
    );
    assert!(
        codes(200, json!({"result": {}}), None).is_empty(),
        "IMMEDIATE is the default"
    );
    assert!(codes(200, json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutLengthOptions": {"timeoutInMinutes": 1440}}), None).is_empty());
    assert!(codes(200, json!({"invokeTimeoutType": "TIMEOUT_DATE", "timeoutDateOptions": {"timeoutDate": future}}), None).is_empty());

    let cases: Vec<(u16, Value, &str)> = vec![
        (
            500,
            json!({"applicationError": {"code": "X", "data": {}}}),
            "non-2xx-status",
        ),
        (
            200,
            json!({"invokeTimeoutType": "IMMEDIATE", "timeoutLengthOptions": {"timeoutInMinutes": 5}}),
            "options-contradict-type",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutDateOptions": {"timeoutDate": future}}),
            "options-contradict-type",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutLengthOptions": {"timeoutInMinutes": 5}, "timeoutDateOptions": {"timeoutDate": future}}),
            "both-timeout-options",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_LENGTH"}),
            "missing-timeout-options",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_DATE"}),
            "missing-timeout-options",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutLengthOptions": {"timeoutInMinutes": 1441}}),
            "timeout-too-long",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutLengthOptions": {"timeoutInMinutes": 0}}),
            "timeout-minutes-invalid",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutLengthOptions": {"timeoutInMinutes": "10"}}),
            "timeout-minutes-invalid",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_DATE", "timeoutDateOptions": {"timeoutDate": "2020-01-01T00:00:00Z"}}),
            "timeout-date-past",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_DATE", "timeoutDateOptions": {"timeoutDate": (t0() + chrono::Duration::days(366)).to_rfc3339()}}),
            "timeout-date-too-far",
        ),
        (
            200,
            json!({"invokeTimeoutType": "TIMEOUT_DATE", "timeoutDateOptions": {"timeoutDate": "tomorrow"}}),
            "timeout-date-invalid",
        ),
        (
            200,
            json!({"invokeTimeoutType": "SOON"}),
            "timeout-type-invalid",
        ),
        (
            200,
            json!({"invokeTimeoutType": "UNKNOWN_INVOKE_TIMEOUT_TYPE"}),
            "timeout-type-invalid",
        ),
        (200, json!({"invokeTimeoutType": 3}), "timeout-type-invalid"),
        (200, json!({"result": [1]}), "result-not-object"),
        (200, json!([]), "not-object"),
    ];
    for (status, body, code) in cases {
        let got = codes(status, body.clone(), None);
        assert!(
            got.contains(&code),
            "{body} should give {code}, got {got:?}"
        );
    }
    assert_eq!(
        check_invoke_answer(200, b"<html>ok</html>", None, t0())[0].code,
        "not-json"
    );
    let app_err = codes(502, json!({"oops": true}), None);
    assert_eq!(app_err, vec!["non-2xx-status", "application-error-shape"]);
}

#[test]
fn results_are_checked_against_the_output_schema() {
    let out = sample("01-").output.expect("output schema");
    assert!(
        codes(
            200,
            json!({"invokeTimeoutType": "IMMEDIATE", "result": {"messageId": "m-1"}}),
            Some(&out)
        )
        .is_empty()
    );
    assert_eq!(
        codes(
            200,
            json!({"invokeTimeoutType": "IMMEDIATE", "result": {}}),
            Some(&out)
        ),
        vec!["result-schema"]
    );
    assert_eq!(
        codes(200, json!({"invokeTimeoutType": "IMMEDIATE"}), Some(&out)),
        vec!["result-missing"]
    );
}

#[test]
fn outcomes_follow_the_answer() {
    let body = |v: Value| v;
    let wait = body(
        json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutLengthOptions": {"timeoutInMinutes": 90}}),
    );
    assert_eq!(
        invoke_outcome(200, &wait, &[], t0()),
        InvokeOutcome::Wait {
            deadline: t0() + chrono::Duration::minutes(90)
        }
    );
    let imm = body(json!({"result": {}}));
    assert_eq!(
        invoke_outcome(200, &imm, &[], t0()),
        InvokeOutcome::Immediate
    );
    assert!(matches!(
        invoke_outcome(503, &imm, &[], t0()),
        InvokeOutcome::Failed { .. }
    ));
    let broken = body(json!({"invokeTimeoutType": "TIMEOUT_LENGTH"}));
    let f = check_invoke_json(200, &broken, None, t0());
    assert!(
        matches!(invoke_outcome(200, &broken, &f, t0()), InvokeOutcome::Failed { reason } if reason.contains("timeoutInMinutes"))
    );
}

#[test]
fn each_completion_report_finding_fires() {
    let out = sample("02-").output.expect("schema");
    let ok = json!({"invocationToken": "t", "status": "SUCCESS", "successInfo": {"result": {"decision": "APPROVED"}}});
    assert!(check_completion_report(&ok, Some(&out)).is_empty());
    let fail = json!({"invocationToken": "t", "status": "FAILURE", "failureInfo": {"errorDescription": "no"}});
    assert!(check_completion_report(&fail, Some(&out)).is_empty());
    let cases = vec![
        (
            json!({"status": "SUCCESS", "successInfo": {"result": {}}}),
            "token-missing",
        ),
        (
            json!({"invocationToken": "x".repeat(501), "status": "FAILURE", "failureInfo": {"errorDescription": "e"}}),
            "token-too-long",
        ),
        (
            json!({"invocationToken": "t", "status": "DONE"}),
            "status-invalid",
        ),
        (json!({"invocationToken": "t"}), "status-invalid"),
        (
            json!({"invocationToken": "t", "status": "SUCCESS"}),
            "missing-info",
        ),
        (
            json!({"invocationToken": "t", "status": "FAILURE"}),
            "missing-info",
        ),
        (
            json!({"invocationToken": "t", "status": "SUCCESS", "successInfo": {"result": {"decision": "MAYBE"}}}),
            "result-schema",
        ),
        (
            json!({"invocationToken": "t", "status": "SUCCESS", "successInfo": {"result": 5}}),
            "result-not-object",
        ),
        (
            json!({"invocationToken": "t", "status": "SUCCESS", "successInfo": {"result": {"decision": "APPROVED"}}, "failureInfo": {"errorDescription": "x"}}),
            "both-infos",
        ),
        (
            json!({"invocationToken": "t", "status": "FAILURE", "successInfo": {"result": {}}}),
            "info-contradicts-status",
        ),
        (
            json!({"invocationToken": "t", "status": "FAILURE", "failureInfo": {"errorDescription": "d".repeat(1001)}}),
            "description-too-long",
        ),
        (json!([1, 2]), "not-object"),
    ];
    for (body, code) in cases {
        let got: Vec<&str> = check_completion_report(&body, Some(&out))
            .iter()
            .map(|f| f.code)
            .collect();
        assert!(
            got.contains(&code),
            "{body} should give {code}, got {got:?}"
        );
    }
}

#[test]
fn validate_and_quota_answers_are_checked() {
    let v = |b: Value| serde_json::to_vec(&b).expect("bytes");
    assert!(check_validate_answer(200, &v(valid_configuration())).is_empty());
    let c: Vec<_> =
        check_validate_answer(200, &v(json!({"configurationErrors": [{"message": 1}]})))
            .iter()
            .map(|f| f.code)
            .collect();
    assert_eq!(
        c,
        vec![
            "valid-missing",
            "configuration-error-shape",
            "configuration-error-shape"
        ]
    );
    assert!(check_quota_answer(200, &v(unenforced_quota())).is_empty());
    assert_eq!(
        check_quota_answer(200, &v(json!({"enforced": true})))[0].code,
        "quota-shape"
    );
}

fn decode_at(body: &[u8], jwt: &JwtConfig) -> Result<envelope::Decoded, EnvelopeError> {
    envelope::decode(body, jwt, t0())
}

fn verifier() -> JwtConfig {
    JwtConfig::from_pem(&fixture("test-wix-public.pem"), Some(APP_ID.into())).expect("key")
}

#[test]
fn plain_bodies_decode_in_both_forms() {
    let bare = decode_at(
        br#"{"actionKey":"k","actionParams":{}}"#,
        &JwtConfig::default(),
    )
    .expect("bare");
    assert_eq!(bare.kind, EnvelopeKind::PlainJson);
    let env = decode_at(
        br#"{"request":{"actionKey":"k","actionParams":{}},"metadata":{"requestId":"r"}}"#,
        &JwtConfig::default(),
    )
    .expect("envelope");
    assert_eq!(env.kind, EnvelopeKind::PlainEnvelope);
    assert_eq!(env.metadata, Some(json!({"requestId": "r"})));
    assert!(matches!(
        decode_at(b"", &JwtConfig::default()),
        Err(EnvelopeError::Empty)
    ));
    assert!(matches!(
        decode_at(b"{\"a\":", &JwtConfig::default()),
        Err(EnvelopeError::InvalidJson(_))
    ));
    assert!(matches!(
        decode_at(b"[1]", &JwtConfig::default()),
        Err(EnvelopeError::NotAnObject(_))
    ));
    assert!(matches!(
        decode_at(b"hello world", &JwtConfig::default()),
        Err(EnvelopeError::InvalidJson(_))
    ));
}

#[test]
fn signed_tokens_verify_and_every_bad_one_is_refused_with_its_reason() {
    let req = invoke_request("send-email", "tok-1");
    let good = sign(&claims(req.clone()), "test-wix-private.pem");
    let d = decode_at(good.as_bytes(), &verifier()).expect("verifies");
    assert_eq!(d.kind, EnvelopeKind::JwtVerified);
    assert_eq!(d.request, req);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let (header, claims_back) = d.jwt.expect("parts");
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims_back["iss"], "wix.com");
    // Without a key the same token is only decoded.
    let d = decode_at(good.as_bytes(), &JwtConfig::default()).expect("decodes");
    assert_eq!(d.kind, EnvelopeKind::JwtUnverified);
}

/// The catalogue's verdicts are the SDK's (tests/interop.rs holds them to the real SDK); here
/// each refusal must carry its reason and status, and each accepted oddity its warning.
#[test]
fn every_envelope_of_the_catalogue_gets_the_sdks_verdict_and_a_reason() {
    for case in envelope_catalogue(t0()) {
        match decode_at(case.body.as_bytes(), &verifier()) {
            Ok(d) => {
                assert!(
                    case.sdk_accepts,
                    "{}: accepted, the SDK refuses it",
                    case.label
                );
                let codes: Vec<&str> = d.warnings.iter().map(|f| f.code).collect();
                match case.code {
                    Some(code) => assert!(
                        codes.contains(&code),
                        "{}: no {code} in {codes:?}",
                        case.label
                    ),
                    None => assert!(codes.is_empty(), "{}: unexpected {codes:?}", case.label),
                }
            }
            Err(e) => {
                assert!(
                    !case.sdk_accepts,
                    "{}: refused ({e}), the SDK accepts it",
                    case.label
                );
                assert_eq!(Some(e.code()), case.code, "{}: {e}", case.label);
                let want = if e.code() == "MALFORMED_JWT" {
                    400
                } else {
                    401
                };
                assert_eq!(e.status(), want, "{}", case.label);
            }
        }
    }
    // A missing claim names itself.
    let mut c = claims(invoke_request("k", "t"));
    c.as_object_mut().expect("claims").remove("aud");
    let e =
        decode_at(sign(&c, "test-wix-private.pem").as_bytes(), &verifier()).expect_err("refused");
    assert!(e.to_string().contains("no aud claim"), "{e}");
    // alg none is refused without a key too.
    let none = envelope_catalogue(t0())
        .into_iter()
        .find(|c| c.label == "alg none")
        .expect("case");
    let e = decode_at(none.body.as_bytes(), &JwtConfig::default()).expect_err("refused");
    assert_eq!(e.code(), "JWT_ALG_NONE");
}

#[test]
fn without_an_app_id_the_audience_is_not_checked_and_that_is_said() {
    let cfg = JwtConfig::from_pem(&fixture("test-wix-public.pem"), None).expect("key");
    assert!(
        cfg.describe().contains("aud is not checked"),
        "{}",
        cfg.describe()
    );
    let mut c = claims(invoke_request("k", "t"));
    c["aud"] = json!("anything");
    let d = decode_at(sign(&c, "test-wix-private.pem").as_bytes(), &cfg).expect("accepted");
    assert!(
        d.warnings
            .iter()
            .any(|f| f.code == "jwt-audience-unchecked")
    );
    assert!(verifier().describe().contains(APP_ID));
}

#[test]
fn the_field_type_table_agrees_with_the_typed_request() {
    let base = sample("01-").sample.request.clone();
    let mut with_all = base.clone();
    // Make every optional object in the table present, so each field can be set.
    for (pointer, ty) in INVOKE_FIELD_TYPES {
        if *ty == JsonType::Object && with_all.pointer(pointer).is_none() {
            let (parent, key) = pointer.rsplit_once('/').expect("pointer");
            with_all
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .expect("parent")
                .insert(key.into(), json!({}));
        }
    }
    assert!(check_field_types(&with_all, INVOKE_FIELD_TYPES).is_ok());
    assert!(from_value_at::<InvokeRequest>(&with_all).is_ok());
    for (pointer, _) in INVOKE_FIELD_TYPES {
        let mut bad = with_all.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        bad.pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("parent")
            .insert(key.into(), json!(12345));
        let table = check_field_types(&bad, INVOKE_FIELD_TYPES).expect_err(pointer);
        assert!(
            table.starts_with(&pointer[1..].replace('/', ".")),
            "{table}"
        );
        assert!(
            from_value_at::<InvokeRequest>(&bad).is_err(),
            "the typed request takes a number at {pointer}"
        );
    }
}

/// The hot path either agrees with the full decode or steps aside.
fn assert_quick_agrees(body: &[u8]) -> bool {
    use actionbench::domain::quick::quick_invoke;
    let Some(q) = quick_invoke(body) else {
        return false;
    };
    let full = envelope::decode(body, &JwtConfig::default(), t0()).unwrap_or_else(|e| {
        panic!(
            "quick took what the full decode refuses ({e}): {}",
            String::from_utf8_lossy(body)
        )
    });
    assert_eq!(q.kind, full.kind);
    let req = &full.request;
    assert_eq!(req["actionKey"].as_str(), Some(q.action_key.as_ref()));
    assert!(!q.action_key.is_empty());
    assert!(req["actionParams"].is_object());
    assert_eq!(
        serde_json::from_str::<Value>(q.action_params.get()).expect("params"),
        req["actionParams"]
    );
    assert_eq!(
        req.pointer("/activationContext/invocationToken")
            .and_then(Value::as_str),
        q.invocation_token.as_deref()
    );
    assert!(
        check_field_types(req, INVOKE_FIELD_TYPES).is_ok(),
        "quick took a wrongly typed field: {req}"
    );
    true
}

#[test]
fn the_quick_reading_agrees_with_the_full_decode() {
    let mut taken = 0;
    for s in samples()
        .into_iter()
        .filter(|s| s.sample.method == Method::Invoke)
    {
        let envelope = s.sample.envelope(true).to_string();
        assert!(
            assert_quick_agrees(envelope.as_bytes()),
            "the hot path must take every sample"
        );
        assert!(
            assert_quick_agrees(s.sample.request.to_string().as_bytes()),
            "and its bare request"
        );
        taken += 2;
        // Every wrongly typed field makes it step aside.
        for (pointer, _) in INVOKE_FIELD_TYPES {
            let mut bad = s.sample.request.clone();
            let (parent, key) = pointer.rsplit_once('/').expect("pointer");
            if let Some(obj) = bad.pointer_mut(parent).and_then(Value::as_object_mut) {
                obj.insert(key.into(), json!(7));
                assert!(
                    !assert_quick_agrees(bad.to_string().as_bytes()),
                    "{pointer} as a number"
                );
            }
        }
    }
    assert!(taken >= 12);
    let odd: Vec<&[u8]> = vec![
        b"",
        b"{",
        b"[]",
        br#"{"actionKey": "", "actionParams": {}}"#,
        br#"{"actionKey": 5, "actionParams": {}}"#,
        br#"{"actionKey": "k", "actionParams": []}"#,
        br#"{"actionKey": "k"}"#,
        br#"{"actionKey": "k", "actionParams": {}, "actionKey": "j"}"#,
        br#"{"request": {"actionKey": "k", "actionParams": {}}, "metadata": 3}"#,
        br#"{"request": {"actionKey": "k", "actionParams": {}}, "actionKey": "x"}"#,
        br#"{"request": 5, "actionKey": "k", "actionParams": {}}"#,
        br#"{"actionKey": "k\u00e9", "actionParams": {"a": "\n"}, "activationContext": {"invocationToken": "t\"q"}}"#,
        br#"{"actionKey": "k", "actionParams": {}, "activationContext": null}"#,
        br#"{"actionKey": "k", "actionParams": {}, "activationContext": {"payload": []}}"#,
    ];
    for body in odd {
        assert_quick_agrees(body);
    }
    assert!(assert_quick_agrees(br#"{"actionKey": "k\u00e9", "actionParams": {}, "activationContext": {"invocationToken": "t\"q"}}"#));
}

/// Timeout limits at their boundaries, counted from when the request arrived.
#[test]
fn timeout_limits_hold_at_their_boundaries_from_the_request() {
    let requested = t0();
    // The developer answers ten minutes after the call arrived.
    let times = AnswerTimes {
        requested,
        answered: requested + chrono::Duration::minutes(10),
    };
    let check = |body: Value| -> Vec<&'static str> {
        check_invoke_json(200, &body, None, times)
            .into_iter()
            .map(|f| f.code)
            .collect()
    };
    let minutes = |m: i64| json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutLengthOptions": {"timeoutInMinutes": m}});
    let date = |d: chrono::DateTime<chrono::Utc>| json!({"invokeTimeoutType": "TIMEOUT_DATE", "timeoutDateOptions": {"timeoutDate": d.to_rfc3339()}});
    assert!(check(minutes(1440)).is_empty());
    assert_eq!(check(minutes(1441)), vec!["timeout-too-long"]);
    assert_eq!(check(minutes(0)), vec!["timeout-minutes-invalid"]);
    // One calendar year from the request, not 365 days and not from the answer.
    let year = DateTimeExt::parse("2027-11-27T10:00:00Z");
    assert_eq!(latest_timeout_date(requested), year);
    assert!(check(date(year - chrono::Duration::seconds(1))).is_empty());
    assert!(check(date(year)).is_empty());
    assert_eq!(
        check(date(year + chrono::Duration::seconds(1))),
        vec!["timeout-date-too-far"]
    );
    // 29 February: a year on is 28 February.
    let leap = DateTimeExt::parse("2028-02-29T12:00:00Z");
    assert_eq!(
        latest_timeout_date(leap),
        DateTimeExt::parse("2029-02-28T12:00:00Z")
    );
    // In the past: before the answer goes, even if after the request.
    assert_eq!(
        check(date(requested + chrono::Duration::minutes(5))),
        vec!["timeout-date-past"]
    );
    assert_eq!(
        check(date(requested - chrono::Duration::days(1))),
        vec!["timeout-date-past"]
    );
    // Both options, and neither.
    let mut both = minutes(60);
    both["timeoutDateOptions"] = json!({"timeoutDate": year.to_rfc3339()});
    assert!(check(both).contains(&"both-timeout-options"));
    assert_eq!(
        check(json!({"invokeTimeoutType": "TIMEOUT_LENGTH"})),
        vec!["missing-timeout-options"]
    );
    assert_eq!(
        check(json!({"invokeTimeoutType": "TIMEOUT_DATE"})),
        vec!["missing-timeout-options"]
    );
    // The wait of a TIMEOUT_LENGTH answer is counted from the request too.
    assert_eq!(
        invoke_outcome(200, &minutes(60), &[], times),
        InvokeOutcome::Wait {
            deadline: requested + chrono::Duration::minutes(60)
        }
    );
}

struct DateTimeExt;
impl DateTimeExt {
    fn parse(s: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("date")
            .to_utc()
    }
}

/// The samples that wait have a typical answer; a relative timeout date resolves at the
/// moment of answering, so the shipped one never passes into the past.
#[test]
fn example_answers_exist_and_relative_dates_resolve_when_answering() {
    for prefix in ["02-", "03-"] {
        assert!(sample(prefix).sample.example_answer.is_some(), "{prefix}");
    }
    let report = sample("03-").sample.example_answer.expect("example");
    let resolved = resolve_answer(&report, t0()).expect("relative");
    assert_eq!(
        resolved["timeoutDateOptions"]["timeoutDate"],
        json!("2026-11-28T00:00:00Z")
    );
    assert!(check_invoke_json(200, &resolved, None, t0()).is_empty());
    assert_eq!(
        relative_date("+90m", t0()),
        Some(t0() + chrono::Duration::minutes(90))
    );
    assert_eq!(
        relative_date("+2d", t0()),
        Some(t0() + chrono::Duration::days(2))
    );
    for bad in ["14h", "+h", "+14y", "+", "+99999999999999999999d"] {
        assert_eq!(relative_date(bad, t0()), None, "{bad}");
    }
    assert!(resolve_answer(&json!({"invokeTimeoutType": "IMMEDIATE"}), t0()).is_none());
}

/// A request as Wix makes it: the sample's context with fresh IDs and the chosen source, the
/// app's instance in the metadata; everything else the sample says is kept.
#[test]
fn wix_envelopes_carry_fresh_ids_the_source_and_the_app() {
    use actionbench::domain::as_wix::{App, Ids, Source, wix_envelope};
    let s = sample("02-").sample;
    let app = App {
        app_id: APP_ID.into(),
        instance_id: "inst-9".into(),
    };
    let (a, b) = (Ids::fresh(), Ids::fresh());
    assert_ne!(a, b, "every run gets new IDs");
    let env = wix_envelope(
        &s,
        &Source::Rerun {
            original_activation_id: "act-old".into(),
            skip_delays: true,
        },
        &a,
        &app,
    );
    let ctx = &env["request"]["activationContext"];
    assert_eq!(ctx["activationId"], json!(a.activation_id));
    assert_eq!(ctx["invocationToken"], json!(a.invocation_token));
    assert_eq!(ctx["actionId"], json!(a.action_id));
    assert_eq!(ctx["actionAppId"], json!(APP_ID));
    assert_eq!(
        ctx["activationSourceInfo"],
        json!({"activationInitiationSource": "RERUN_ACTIVATION",
               "rerunActivationInfo": {"originalActivationId": "act-old", "skipDelays": true}})
    );
    // The sample's own context (payload, trigger) and params are kept.
    assert_eq!(ctx["payload"], s.request["activationContext"]["payload"]);
    assert_eq!(env["request"]["actionParams"], s.request["actionParams"]);
    let m = &env["metadata"];
    assert_eq!(
        (
            m["requestId"].clone(),
            m["instanceId"].clone(),
            m["appExtensionType"].clone()
        ),
        (
            json!(a.request_id),
            json!("inst-9"),
            json!("AUTOMATIONS_ACTION_PROVIDER")
        )
    );
    assert_eq!(m["currency"], json!("EUR"), "the sample's metadata is kept");
    // A manual test-mode run says so.
    let env = wix_envelope(&s, &Source::Manual { test_mode: true }, &b, &app);
    assert_eq!(
        env["request"]["activationContext"]["activationSourceInfo"]["manualActivationInfo"]["testMode"],
        json!(true)
    );
    // Other methods have no activation context.
    let quota = wix_envelope(&sample("08-").sample, &Source::Trigger, &b, &app);
    assert!(quota["request"].get("activationContext").is_none());
}
