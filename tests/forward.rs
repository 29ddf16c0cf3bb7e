//! Forward mode: calls to the inbox are relayed to the developer's action (a recording provider
//! on loopback), byte for byte, and its answer is checked and returned; with "pause answers"
//! it waits for the developer, who may edit it; both versions are kept.

mod common;

use actionbench::domain::invocation::{AnsweredBy, Phase};
use actionbench::engine::{Mode, Policy, Reply};
use actionbench::play::{Forwarder, Player, Target};
use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, RwLock};
use std::time::Duration;

type Inbox = Served;

/// An inbox whose `send-email` key forwards (pausing or not) to `target`.
fn inbox(target: Option<&str>, pause: bool) -> Inbox {
    let i = served(Mode::Auto, |_| {});
    let mut p = i.engine.policy("send-email");
    p.mode = Mode::Forward;
    p.pause = pause;
    i.engine.set_policy("send-email", p);
    let target = target.map(|base| {
        Target::new(base, None, Some("inst-1"), false, Duration::from_secs(5)).expect("target")
    });
    let player = Player::new(i.engine.clone(), None);
    i.engine.set_relay(Some(Arc::new(Forwarder::new(
        player,
        Arc::new(RwLock::new(target)),
    ))));
    i
}

fn post(
    i: &Inbox,
    path: &str,
    content_type: &str,
    body: String,
) -> tokio::task::JoinHandle<(u16, Value)> {
    let url = format!("{}{path}", i.url);
    let ct = content_type.to_string();
    i.rt.spawn(async move {
        let res = reqwest::Client::new()
            .post(url)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .expect("sent");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json answer"))
    })
}

fn answered(i: &Inbox, call: tokio::task::JoinHandle<(u16, Value)>) -> (u16, Value) {
    i.rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), call).await })
        .expect("the caller got no answer within 10 s")
        .expect("the call task")
}

const GOOD: &str = r#"{"invokeTimeoutType": "IMMEDIATE", "result": {"messageId": "m-1"}}"#;

#[test]
fn a_jwt_is_relayed_byte_for_byte_and_the_actions_answer_comes_back() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (base, received) = recording_provider(&rt, 200, serde_json::from_str(GOOD).expect("json"));
    let i = inbox(Some(&base), false);
    let token = sign(
        &claims(invoke_request("send-email", "tok-fwd")),
        "test-wix-private.pem",
    );
    let call = post(
        &i,
        "/prefix/v1/invoke",
        "text/plain; charset=utf-8",
        token.clone(),
    );
    let (status, body) = answered(&i, call);
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::from_str::<Value>(GOOD).expect("json"));
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "one relayed call");
    assert_eq!(got[0].0, "/wix/actions/v1/invoke", "the same method path");
    assert_eq!(got[0].1, "text/plain; charset=utf-8");
    assert_eq!(got[0].2, token.as_bytes(), "the JWT, byte for byte");
    let ex = i.engine.exchange(1).expect("logged");
    assert_eq!(ex.phase, Phase::Answered);
    let t = ex.target_answer.expect("the action's answer is kept");
    assert_eq!(t.status, 200);
    let r = ex.response.expect("response");
    assert_eq!(r.by, AnsweredBy::Target);
    assert_eq!(*r.body, *t.body);
}

#[test]
fn a_broken_answer_from_the_action_is_checked_and_still_returned() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let broken = json!({"invokeTimeoutType": "TIMEOUT_LENGTH",
                        "timeoutLengthOptions": {"timeoutInMinutes": 2000}});
    let (base, _) = recording_provider(&rt, 200, broken.clone());
    let i = inbox(Some(&base), false);
    let call = post(
        &i,
        "/v1/invoke",
        "application/json",
        sample("01-").sample.envelope(false).to_string(),
    );
    let (status, body) = answered(&i, call);
    assert_eq!((status, body), (200, broken));
    let ex = i.engine.exchange(1).expect("logged");
    assert!(ex.is_flagged(), "the broken answer flags the exchange");
    let t = ex.target_answer.expect("kept");
    assert!(
        t.findings
            .iter()
            .any(|f| f.field.as_deref() == Some("timeoutLengthOptions.timeoutInMinutes")),
        "{:?}",
        t.findings
    );
}

#[test]
fn no_target_or_a_dead_one_answers_502_naming_the_problem() {
    let i = inbox(None, false);
    let body = sample("01-").sample.envelope(false).to_string();
    let (status, answer) = answered(&i, post(&i, "/v1/invoke", "application/json", body.clone()));
    assert_eq!(status, 502);
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("no target is set")),
        "{answer}"
    );
    assert!(i.engine.exchange(1).expect("logged").is_flagged());

    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let a = l.local_addr().expect("addr");
        drop(l);
        format!("http://{a}")
    };
    let i = inbox(Some(&dead), false);
    let (status, answer) = answered(&i, post(&i, "/v1/invoke", "application/json", body));
    assert_eq!(status, 502);
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("connection refused")),
        "{answer}"
    );
}

#[test]
fn paused_answers_wait_for_the_developer_who_may_edit_them() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (base, _) = recording_provider(&rt, 200, serde_json::from_str(GOOD).expect("json"));
    let i = inbox(Some(&base), true);
    let body = sample("01-").sample.envelope(false).to_string();
    let call = post(&i, "/v1/invoke", "application/json", body.clone());
    wait_until("the action's answer to be paused", || {
        i.engine
            .exchange(1)
            .is_some_and(|e| e.phase.is_held() && e.target_answer.is_some())
    });
    assert!(!call.is_finished(), "the caller still waits");
    let edited = json!({"invokeTimeoutType": "IMMEDIATE", "result": {"messageId": "edited"}});
    i.engine
        .answer(1, Reply::json(200, edited.clone()))
        .expect("answered");
    assert_eq!(answered(&i, call), (200, edited.clone()));
    let ex = i.engine.exchange(1).expect("logged");
    assert_eq!(
        *ex.target_answer.expect("kept").body,
        serde_json::from_str::<Value>(GOOD).expect("json"),
        "what the action said"
    );
    assert_eq!(
        *ex.response.expect("sent").body,
        edited,
        "what the caller got"
    );

    // Left alone past the hold deadline, the action's own answer goes.
    let call = post(&i, "/v1/invoke", "application/json", body);
    wait_until("the second answer to be paused", || {
        i.engine.exchange(2).is_some_and(|e| e.phase.is_held())
    });
    i.clock.advance(chrono::Duration::seconds(30));
    let (status, answer) = answered(&i, call);
    assert_eq!(status, 200);
    assert_eq!(answer, serde_json::from_str::<Value>(GOOD).expect("json"));
    let ex = i.engine.exchange(2).expect("logged");
    assert_eq!(ex.response.expect("sent").by, AnsweredBy::Fallback);
}

#[test]
fn keys_not_in_forward_mode_are_answered_by_the_workbench() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (base, received) = recording_provider(&rt, 200, json!({}));
    let i = inbox(Some(&base), false);
    let mut p: Policy = i.engine.policy("send-email");
    p.mode = Mode::Auto;
    i.engine.set_policy("send-email", p);
    let body = sample("01-").sample.envelope(false).to_string();
    let (status, _) = answered(&i, post(&i, "/v1/invoke", "application/json", body));
    assert_eq!(status, 200);
    assert!(received.lock().expect("lock").is_empty(), "nothing relayed");
}
