//! Local automations end to end, with the official SDK: an app on `@wix/sdk` (AppStrategy) and
//! `@wix/automations` (activations), run with ActionBench's preload, reports and cancels events
//! against `actionbench serve --flows --triggers --target`; the flows' steps call the app's
//! own action, which reports completion through the client's `fetchWithAuth`. What the app got
//! back, the runs serve printed, the Invoke requests the action received and the journal are
//! all read. Needs node and npm (`npm ci` in tests/sdk-provider when its packages are missing).

mod common;

use common::{TempDir, root, sdk_provider_dir, serve_lines};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const APP_ID: &str = "7d3e1f0a-2b4c-4d5e-8f6a-9b0c1d2e3f4a";
const INSTANCE_ID: &str = "11111111-2222-4333-8444-555555555555";
const ENTITY: &str = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
const OTHER: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

fn write(dir: &std::path::Path, name: &str, v: Value) {
    std::fs::create_dir_all(dir).expect("folder");
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(&v).expect("json")).expect("writes");
}

/// A real-time trigger whose flow waits for the action's completion report, then welcomes;
/// a scheduled one whose flow reminds an hour before the lesson.
fn fixtures(dir: &std::path::Path) {
    let triggers = dir.join("triggers");
    write(
        &triggers,
        "enrolment.json",
        json!({ "triggerKey": "course-enrolment", "displayName": "Course enrolment",
            "payloadSchema": { "type": "object", "properties": {
                "studentName": { "type": "string", "title": "Student", "examples": ["Dana"] },
                "email": { "type": "string", "format": "email", "title": "Email", "examples": ["dana@example.com"] },
                "course": { "type": "string", "title": "Course", "examples": ["Pottery"] } },
              "required": ["studentName", "email", "course"] } }),
    );
    write(
        &triggers,
        "lesson.json",
        json!({ "triggerKey": "lesson-starting", "displayName": "Lesson starting",
            "payloadSchema": { "type": "object", "properties": {
                "email": { "type": "string", "format": "email", "title": "Email", "examples": ["dana@example.com"] },
                "startsAt": { "type": "string", "format": "date-time", "title": "Starts", "futureDate": true,
                              "examples": ["2027-01-01T10:00:00Z"] } },
              "required": ["email", "startsAt"] } }),
    );
    let flows = dir.join("flows");
    write(
        &flows,
        "enrolment.json",
        json!({ "name": "Enrolment approval", "trigger": { "name": "A student enrols", "key": "course-enrolment", "appId": APP_ID },
            "steps": [
              { "type": "action", "id": "approve", "name": "Approve", "actionKey": "await-approval", "expect": "completed",
                "params": { "student": "{{payload.studentName}}", "course": "{{payload.course}}" } },
              { "type": "action", "id": "welcome", "name": "Welcome", "actionKey": "send-welcome",
                "params": { "to": "{{payload.email}}", "decision": "{{steps.approve.result.decision}}" } } ] }),
    );
    write(
        &flows,
        "reminder.json",
        json!({ "name": "Lesson reminder", "trigger": { "name": "A lesson is near", "key": "lesson-starting", "appId": APP_ID, "before": "1h" },
            "steps": [ { "type": "action", "id": "remind", "name": "Remind", "actionKey": "send-reminder",
                         "params": { "to": "{{payload.email}}" } } ] }),
    );
}

/// The SDK app: its stdin for commands, and its stdout lines as JSON.
struct App {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Value>,
    seen: Vec<Value>,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl App {
    /// The app, whose action trusts the public key in `public_key` (a PEM file).
    fn start(public_key: &std::path::Path) -> App {
        let dir = sdk_provider_dir();
        let preload = root().join("npm/actionbench/preload.cjs");
        let mut child = Command::new("node")
            .arg("--require")
            .arg(&preload)
            .args(["app.js", APP_ID, INSTANCE_ID])
            .arg(public_key)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs (install node to run this test)");
        let stdin = child.stdin.take().expect("stdin");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        App {
            child,
            stdin,
            lines,
            seen: vec![],
        }
    }

    /// The next line that `pick` accepts, within 30 s; every line read is kept in `seen`.
    fn next(&mut self, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let left = Duration::from_secs(30).saturating_sub(start.elapsed());
            let v = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "the SDK app said no {what} within 30 s; it said {:#?}",
                    self.seen
                )
            });
            self.seen.push(v.clone());
            if pick(&v) {
                return v;
            }
        }
    }

    fn send(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").expect("the SDK app reads");
        let op = command["op"].clone();
        self.next(&format!("answer to {op}"), |v| v["op"] == op)
    }
}

/// Serve's lines until `pick` accepts one, within 30 s (all kept in `seen`).
fn serve_next(
    rx: &Receiver<Value>,
    seen: &mut Vec<Value>,
    what: &str,
    pick: impl Fn(&Value) -> bool,
) -> Value {
    common::next_line(rx, seen, what, Duration::from_secs(30), pick)
}

/// ActionBench's own signing key, made in `dir/keys`: its folder, and its public half written
/// to `dir/actionbench.pem` for the SDK app to trust.
fn key(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let keys = dir.join("keys");
    let keys = keys.to_str().expect("path").to_string();
    let (code, pem) = common::run_actionbench(
        &["key", "--public", "--key-dir", &keys],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{pem}");
    let pem = &pem[pem
        .find("-----BEGIN")
        .unwrap_or_else(|| panic!("a PEM: {pem}"))..];
    let file = dir.join("actionbench.pem");
    std::fs::write(&file, pem).expect("writes");
    (keys, file)
}

fn run_line<'a>(what: &'a str, activation: &'a str) -> impl Fn(&Value) -> bool + 'a {
    move |v: &Value| v["event"] == "run" && v["what"] == what && v["activationId"] == activation
}

#[test]
fn an_app_on_the_official_sdk_reports_events_and_its_automations_run_locally() {
    let tmp = TempDir::new("automations-sdk");
    fixtures(tmp.path());
    let session = tmp.path().join("session.jsonl");
    let (keys, public_key) = key(tmp.path());
    let mut app = App::start(&public_key);
    let port = app.next("listening line", |v| v["listening"].is_u64())["listening"].clone();
    let target = format!("http://127.0.0.1:{port}");
    let flows = tmp.path().join("flows");
    let triggers = tmp.path().join("triggers");
    let (mut serve, rx) = serve_lines(&[
        "--session",
        session.to_str().expect("path"),
        "--flows",
        flows.to_str().expect("path"),
        "--triggers",
        triggers.to_str().expect("path"),
        "--target",
        &target,
        // An app ID and no --plain: what goes to the action is signed, as Wix signs it.
        "--app-id",
        APP_ID,
        "--key-dir",
        &keys,
    ]);
    let mut seen = vec![];
    let listening = serve_next(&rx, &mut seen, "listening line", |v| {
        v["event"] == "listening"
    });
    assert!(
        listening["signing"]
            .as_str()
            .is_some_and(|s| s.contains("RS256") && s.contains(APP_ID)),
        "{listening}"
    );
    assert_eq!(listening["automations"], 2, "{listening}");
    assert_eq!(listening["triggers"], 2, "{listening}");
    let url = listening["url"].as_str().expect("url").to_string();
    app.send(json!({ "op": "connect", "url": url }));

    // A good report: one activation, which calls the app's action with the reported payload.
    let payload = json!({ "studentName": "Noa", "email": "noa@example.com", "course": "Glazing" });
    let first = app.send(
        json!({ "op": "report", "triggerKey": "course-enrolment", "payload": payload,
        "externalEntityId": ENTITY, "idempotency": { "key": "enrol-17" } }),
    );
    let ids = first["result"]["activationIds"]
        .as_array()
        .unwrap_or_else(|| panic!("{first}"))
        .clone();
    assert_eq!(ids.len(), 1, "{first}");
    let activation = ids[0].as_str().expect("id").to_string();
    let invoked = app.next("Invoke of the first step", |v| {
        v["invoked"]["actionKey"] == "await-approval"
    });
    // The SDK verified the signature and the claims before its handler saw the call.
    assert_eq!(
        invoked["metadata"]["appExtensionType"]
            .as_str()
            .map(str::to_ascii_uppercase)
            .as_deref(),
        Some("AUTOMATIONS_ACTION_PROVIDER"),
        "{invoked}"
    );
    let cx = &invoked["invoked"]["activationContext"];
    assert_eq!(cx["activationId"], activation.as_str());
    assert_eq!(cx["triggerKey"], "course-enrolment");
    assert_eq!(cx["triggerAppId"], APP_ID);
    assert_eq!(cx["payload"], payload);
    assert_eq!(
        cx["activationSourceInfo"]["activationInitiationSource"],
        "TRIGGER_PROVIDER_EVENT"
    );
    assert_eq!(
        invoked["invoked"]["actionParams"],
        json!({ "student": "Noa", "course": "Glazing" })
    );
    // The action's completion report, through fetchWithAuth with the token the SDK fetched,
    // completes the waiting step; the next step gets the decision.
    let reported = app.next("completion report", |v| v.get("reported").is_some());
    assert_eq!(reported["reported"]["status"], 200, "{reported}");
    let welcome = app.next("Invoke of the second step", |v| {
        v["invoked"]["actionKey"] == "send-welcome"
    });
    assert_eq!(
        welcome["invoked"]["actionParams"],
        json!({ "to": "noa@example.com", "decision": "APPROVED" })
    );
    serve_next(
        &rx,
        &mut seen,
        "completed step",
        run_line("completed", &activation),
    );
    let finished = serve_next(
        &rx,
        &mut seen,
        "finished run",
        run_line("finished", &activation),
    );
    assert!(
        finished["caption"]
            .as_str()
            .is_some_and(|c| c.contains("every step")),
        "{finished}"
    );

    // The same idempotency key again starts nothing.
    let again = app.send(
        json!({ "op": "report", "triggerKey": "course-enrolment", "payload": payload,
        "idempotency": { "key": "enrol-17" } }),
    );
    assert_eq!(again["result"]["activationIds"], json!([]), "{again}");

    // A payload missing a required field: taken, no automation runs, flagged in the log.
    let missing = app.send(json!({ "op": "report", "triggerKey": "course-enrolment",
        "payload": { "studentName": "Ari", "email": "ari@example.com" } }));
    assert_eq!(missing["result"]["activationIds"], json!([]), "{missing}");
    let flagged = serve_next(&rx, &mut seen, "flagged report", |v| {
        v["method"] == "report event" && v["event"] == "accepted" && v["flagged"] == true
    });
    assert!(
        flagged["findings"].to_string().contains("payload.course"),
        "{flagged}"
    );

    // An unknown trigger is refused (428, assumed), and the SDK says so.
    let unknown =
        app.send(json!({ "op": "report", "triggerKey": "no-such-trigger", "payload": {} }));
    assert!(
        unknown["error"]
            .as_str()
            .is_some_and(|e| e.contains("FAILED_PRECONDITION")),
        "{unknown}"
    );

    // A scheduled event waits for its date (less the flow's hour before); a cancel stops it.
    let later = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let scheduled = app.send(json!({ "op": "report", "triggerKey": "lesson-starting",
        "payload": { "email": "noa@example.com", "startsAt": later }, "externalEntityId": OTHER }));
    let lesson = scheduled["result"]["activationIds"][0]
        .as_str()
        .unwrap_or_else(|| panic!("{scheduled}"))
        .to_string();
    serve_next(
        &rx,
        &mut seen,
        "scheduled run",
        run_line("scheduled", &lesson),
    );
    let cancelled = app.send(
        json!({ "op": "cancel", "triggerKey": "lesson-starting", "externalEntityId": OTHER }),
    );
    assert!(cancelled.get("error").is_none(), "{cancelled}");
    let dropped = serve_next(&rx, &mut seen, "dropped step", run_line("dropped", &lesson));
    assert!(
        dropped["caption"]
            .as_str()
            .is_some_and(|c| c.contains("cancelled by your app")),
        "{dropped}"
    );
    serve_next(
        &rx,
        &mut seen,
        "cancelled run",
        run_line("cancelled", &lesson),
    );

    // A date already past: the run is skipped as expired, and the action is never asked.
    let past = app.send(json!({ "op": "report", "triggerKey": "lesson-starting",
        "payload": { "email": "noa@example.com", "startsAt": "2020-01-01T10:00:00Z" } }));
    let expired = past["result"]["activationIds"][0]
        .as_str()
        .unwrap_or_else(|| panic!("{past}"))
        .to_string();
    serve_next(&rx, &mut seen, "expired run", run_line("expired", &expired));
    assert!(
        !app.seen
            .iter()
            .any(|v| v["invoked"]["actionKey"] == "send-reminder"),
        "a cancelled or expired reminder was sent: {:#?}",
        app.seen
    );

    assert!(
        !app.seen.iter().any(|v| v.get("refused").is_some()),
        "the SDK refused a signed run's call: {:#?}",
        app.seen
    );

    // The token the SDK fetched, the reports and the cancel are exchanges in the journal.
    let _ = serve.kill();
    let _ = serve.wait();
    let har = tmp.path().join("session.har");
    let (code, said) = common::run_actionbench(
        &[
            "export",
            "--session",
            session.to_str().expect("path"),
            "--har",
            har.to_str().expect("path"),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(code, Some(0), "{said}");
    let journal = std::fs::read_to_string(&har).expect("the HAR");
    for path in [
        "/oauth2/token",
        "/automations/v1/events/report",
        "/automations/v1/events/cancel",
        "/automations_runtime/v1/report-action-invocation-completed",
    ] {
        assert!(journal.contains(path), "the journal (as HAR) has no {path}");
    }
}

#[test]
fn a_plain_run_is_refused_by_an_action_on_the_sdk_and_warp_shortens_its_delay() {
    let tmp = TempDir::new("automations-plain");
    fixtures(tmp.path());
    // One flow: two hours' delay, then the welcome.
    let flows = tmp.path().join("slow-flows");
    write(
        &flows,
        "slow.json",
        json!({ "name": "Slow welcome", "trigger": { "name": "A student enrols", "key": "course-enrolment", "appId": APP_ID },
            "steps": [
              { "type": "delay", "id": "wait", "duration": "2h" },
              { "type": "action", "id": "welcome", "name": "Welcome", "actionKey": "send-welcome",
                "params": { "to": "{{payload.email}}" } } ] }),
    );
    let (_, public_key) = key(tmp.path());
    let mut app = App::start(&public_key);
    let port = app.next("listening line", |v| v["listening"].is_u64())["listening"].clone();
    let target = format!("http://127.0.0.1:{port}");
    let (mut serve, rx) = serve_lines(&[
        "--flows",
        flows.to_str().expect("path"),
        "--triggers",
        tmp.path().join("triggers").to_str().expect("path"),
        "--target",
        &target,
        "--app-id",
        APP_ID,
        "--plain",
        "--warp",
        "3600",
    ]);
    let mut seen = vec![];
    let listening = serve_next(&rx, &mut seen, "listening line", |v| {
        v["event"] == "listening"
    });
    assert_eq!(listening["signing"], "plain JSON", "{listening}");
    assert_eq!(listening["warp"], 3600, "{listening}");
    let url = listening["url"].as_str().expect("url").to_string();
    app.send(json!({ "op": "connect", "url": url }));
    let reported = app.send(json!({ "op": "report", "triggerKey": "course-enrolment",
        "payload": { "studentName": "Ari", "email": "ari@example.com", "course": "Glazing" } }));
    let activation = reported["result"]["activationIds"][0]
        .as_str()
        .unwrap_or_else(|| panic!("{reported}"))
        .to_string();
    // Two simulated hours pass in two seconds; then the plain call is refused by the SDK.
    serve_next(
        &rx,
        &mut seen,
        "the delay's end",
        run_line("delay-done", &activation),
    );
    let failed = serve_next(
        &rx,
        &mut seen,
        "failed step",
        run_line("failed", &activation),
    );
    let refused = app.next("the SDK's refusal", |v| v.get("refused").is_some());
    assert!(
        refused["refused"]
            .as_str()
            .is_some_and(|r| r.contains("JWS")),
        "{refused}"
    );
    assert!(
        failed["caption"]
            .as_str()
            .is_some_and(|c| c.contains("401")),
        "{failed}"
    );
    let _ = serve.kill();
    let _ = serve.wait();

    // --jwt needs the app ID its tokens are addressed to.
    let (code, said) =
        common::run_actionbench(&["serve", "--port", "0", "--jwt"], Duration::from_secs(30));
    assert_ne!(code, Some(0), "{said}");
    assert!(said.contains("--jwt needs --app-id"), "{said}");
}

/// An automation of our own in Wix's JSON on the enrolment trigger: a rate limit (once per
/// email a day), a condition on the course; if Glazing, a SPLIT: the approval (which waits for
/// its completion report) then a welcome reading its decision, and beside it a variable, an
/// hour's delay and a note reading the variable; otherwise a delay until the payload's date and
/// a later note. Its side file claims every action as the app's.
fn wix_fixture(dir: &std::path::Path) {
    let app = |id: &str, ns: &str, key: &str, mapping: Value, next: &[&str]| {
        json!({ "id": id, "type": "APP_DEFINED", "namespace": ns,
            "appDefinedInfo": { "appId": APP_ID, "actionKey": key, "inputMapping": mapping, "postActionIds": next } })
    };
    let flows = dir.join("wix-flows");
    write(
        &flows,
        "enrolment.json",
        json!({ "automation": { "id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", "name": "Enrolment, as Wix stores it", "origin": "USER",
            "configuration": { "status": "ACTIVE",
                "trigger": { "appId": APP_ID, "triggerKey": "course-enrolment", "filters": [] },
                "rootActionIds": ["limit"],
                "actions": {
                    "limit": { "id": "limit", "type": "RATE_LIMIT", "namespace": "RATE_LIMIT-1",
                        "rateLimitInfo": { "maxActivationsExpression": "{{1}}", "rateLimitDurationExpression": "{{24}}",
                            "rateLimitDurationTimeUnit": "HOURS", "uniqueIdentifierExpression": "{{var(\"email\")}}",
                            "postActionIds": ["glazing"] } },
                    "glazing": { "id": "glazing", "type": "CONDITION", "namespace": "CONDITION-2",
                        "conditionInfo": { "orExpressionGroups": [ { "operator": "OR",
                            "booleanExpressions": ["{{stringEq(var(\"course\");\"glazing\")}}"] } ],
                            "truePostActionIds": ["both"], "falsePostActionIds": ["until"] } },
                    "both": { "id": "both", "type": "SPLIT", "namespace": "SPLIT-3",
                        "splitInfo": { "paths": [
                            { "id": "p1", "name": "Approve", "postActionId": "approve" },
                            { "id": "p2", "name": "Note", "postActionId": "vars" } ] } },
                    "approve": app("approve", "await-approval-4", "await-approval",
                        json!({ "student": "{{var(\"studentName\")}}", "course": "{{var(\"course\")}}" }), &["welcome"]),
                    "welcome": app("welcome", "send-welcome-5", "send-welcome",
                        json!({ "to": "{{var(\"email\")}}", "decision": "{{var(\"await-approval-4.decision\")}}",
                                "subject": "Welcome to {{upper(var(\"course\"))}}, {{var(\"studentName\")}}" }), &[]),
                    "vars": { "id": "vars", "type": "SET_VARIABLES", "namespace": "setVariable",
                        "setVariablesInfo": { "outputMapping": { "greeting": "Hello {{var(\"studentName\")}}" },
                            "outputSchema": { "type": "object", "properties": { "greeting": { "type": "string", "title": "Greeting" } } },
                            "postActionIds": ["hour"] } },
                    "hour": { "id": "hour", "type": "DELAY", "namespace": "DELAY-6",
                        "delayInfo": { "offsetExpression": "{{1}}", "offsetTimeUnit": "HOURS", "postActionIds": ["note"] } },
                    "note": app("note", "send-note-7", "send-note",
                        json!({ "text": "{{var(\"setVariable.greeting\")}}", "approved": "{{var(\"await-approval-4.decision\")}}" }), &[]),
                    "until": { "id": "until", "type": "DELAY", "namespace": "DELAY-8",
                        "delayInfo": { "dueDateExpression": "{{var(\"remindAt\")}}", "offsetTimeUnit": "UNKNOWN_TIME_UNIT",
                            "postActionIds": ["later"] } },
                    "later": app("later", "send-later-9", "send-later", json!({ "to": "{{var(\"email\")}}" }), &[])
                } } } }),
    );
    let mine = json!({ "yours": true });
    write(
        &flows,
        "enrolment.bench.json",
        json!({ "actions": { "approve": mine, "welcome": mine, "note": mine, "later": mine } }),
    );
}

#[test]
fn wixs_own_automation_runs_signed_against_an_action_on_the_sdk() {
    let tmp = TempDir::new("automations-wix");
    fixtures(tmp.path());
    wix_fixture(tmp.path());
    let (keys, public_key) = key(tmp.path());
    let mut app = App::start(&public_key);
    let port = app.next("listening line", |v| v["listening"].is_u64())["listening"].clone();
    let (mut serve, rx) = serve_lines(&[
        "--flows",
        tmp.path().join("wix-flows").to_str().expect("path"),
        "--triggers",
        tmp.path().join("triggers").to_str().expect("path"),
        "--target",
        &format!("http://127.0.0.1:{port}"),
        "--app-id",
        APP_ID,
        "--key-dir",
        &keys,
        "--warp",
        "3600",
    ]);
    let mut seen = vec![];
    let listening = serve_next(&rx, &mut seen, "listening line", |v| {
        v["event"] == "listening"
    });
    assert_eq!(listening["automations"], 1, "{listening}");
    app.send(json!({ "op": "connect", "url": listening["url"] }));
    let report = |app: &mut App, email: &str, course: &str, extra: Value| {
        let mut payload = json!({ "studentName": "Noa", "email": email, "course": course });
        if let (Some(p), Some(e)) = (payload.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        let r = app
            .send(json!({ "op": "report", "triggerKey": "course-enrolment", "payload": payload }));
        r["result"]["activationIds"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_string()
    };
    let invoked = |app: &mut App, key: &str, activation: &str| {
        app.next(&format!("Invoke of {key}"), |v| {
            v["invoked"]["actionKey"] == key
                && v["invoked"]["activationContext"]["activationId"] == activation
        })["invoked"]
            .clone()
    };

    // Glazing (the condition is case-insensitive, as Wix's stringEq): both paths of the SPLIT.
    let first = report(&mut app, "noa@example.com", "Glazing", json!({}));
    let approve = invoked(&mut app, "await-approval", &first);
    assert_eq!(
        approve["actionParams"],
        json!({ "student": "Noa", "course": "Glazing" })
    );
    assert_eq!(approve["activationContext"]["actionId"], "approve");
    let welcome = invoked(&mut app, "send-welcome", &first);
    assert_eq!(
        welcome["actionParams"],
        json!({ "to": "noa@example.com", "decision": "APPROVED", "subject": "Welcome to GLAZING, Noa" })
    );
    assert_eq!(
        welcome["activationContext"]["payload"]["await-approval-4"],
        json!({ "decision": "APPROVED" }),
        "the approval's output under its namespace"
    );
    let note = invoked(&mut app, "send-note", &first);
    assert_eq!(
        note["actionParams"],
        json!({ "text": "Hello Noa" }),
        "the other path's output is never seen"
    );
    let cx = &note["activationContext"]["payload"];
    assert_eq!(cx["setVariable"]["greeting"], "Hello Noa");
    assert!(cx.get("await-approval-4").is_none(), "{cx}");
    serve_next(
        &rx,
        &mut seen,
        "the first run's end",
        run_line("finished", &first),
    );

    // The same email again within the day: the rate limit stops the run before any action.
    let second = report(&mut app, "noa@example.com", "Glazing", json!({}));
    let limited = serve_next(
        &rx,
        &mut seen,
        "rate limit",
        run_line("rate-limit", &second),
    );
    assert!(
        limited["caption"]
            .as_str()
            .is_some_and(|c| c.contains("RATE_LIMIT_EXCEEDED")),
        "{limited}"
    );
    serve_next(
        &rx,
        &mut seen,
        "the second run's end",
        run_line("finished", &second),
    );

    // Another course: the false path waits until the payload's date (two simulated hours).
    let remind_at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let third = report(
        &mut app,
        "ari@example.com",
        "Pottery",
        json!({ "remindAt": remind_at }),
    );
    let waits = serve_next(
        &rx,
        &mut seen,
        "the absolute delay",
        run_line("delay-started", &third),
    );
    assert!(
        waits["caption"]
            .as_str()
            .is_some_and(|c| c.contains("waits until")),
        "{waits}"
    );
    let later = invoked(&mut app, "send-later", &third);
    assert_eq!(later["actionParams"], json!({ "to": "ari@example.com" }));
    serve_next(
        &rx,
        &mut seen,
        "the third run's end",
        run_line("finished", &third),
    );
    assert!(
        !app.seen.iter().any(|v| v.get("refused").is_some()),
        "the SDK refused a signed run's call: {:#?}",
        app.seen
    );
    assert!(
        !app.seen
            .iter()
            .any(|v| v["invoked"]["activationContext"]["activationId"] == second.as_str()),
        "a rate-limited run called the action"
    );
    let _ = serve.kill();
    let _ = serve.wait();
}

/// The engine with the shipped triggers and the shipped shop-order flow as its automation,
/// on a manual clock.
fn local() -> (
    std::sync::Arc<actionbench::engine::Engine>,
    tokio::runtime::Runtime,
    std::sync::Arc<actionbench::play::automations::LocalAutomations>,
    std::sync::Arc<actionbench::domain::clock::ManualClock>,
) {
    local_with("03-shop-order.json")
}

/// The engine with the shipped triggers and the shipped flow `file` as its automation, on a
/// manual clock.
fn local_with(
    file: &str,
) -> (
    std::sync::Arc<actionbench::engine::Engine>,
    tokio::runtime::Runtime,
    std::sync::Arc<actionbench::play::automations::LocalAutomations>,
    std::sync::Arc<actionbench::domain::clock::ManualClock>,
) {
    use actionbench::domain::flow::LoadedFlow;
    let (engine, clock) = common::engine(actionbench::engine::Mode::Auto);
    engine.set_triggers(actionbench::domain::trigger::Triggers::load_dir(
        &root().join("samples/triggers"),
    ));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let flow = LoadedFlow::load(&root().join("samples/flows").join(file)).expect("flow");
    let player = actionbench::play::Player::new(engine.clone(), None);
    let auto = actionbench::play::automations::LocalAutomations::install(
        rt.handle().clone(),
        engine.clone(),
        player,
        std::sync::Arc::new(std::sync::RwLock::new(None)),
        false,
        &[flow],
    );
    (engine, rt, auto, clock)
}

fn call(engine: &actionbench::engine::Engine, path: &str, body: Value) -> (u16, Value) {
    let incoming = actionbench::engine::Incoming::post(path, body.to_string()).expect("a route");
    match engine.intake(incoming) {
        actionbench::engine::Intake::Now(r) => (r.status, (*r.body).clone()),
        _ => panic!("{path} was not answered at once"),
    }
}

fn order(id: &str) -> Value {
    json!({ "orderId": id, "customerEmail": "lukas@example.com", "country": "DE",
            "postalCode": "10115", "weightKg": 2.4, "total": 86.0 })
}

#[test]
fn bulk_reports_and_cancels_answer_item_by_item_as_wix_documents() {
    let (engine, _rt, auto, _clock) = local();
    let (status, body) = call(
        &engine,
        "/automations/v1/events/bulk-report",
        json!({ "triggerKey": "order-placed", "eventsInfo": [
            { "payload": order("1"), "externalEntityId": ENTITY },
            { "payload": order("2"), "externalEntityId": "order-2" },
            { "payload": { "orderId": "3" } } ] }),
    );
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(body["triggerKey"], "order-placed");
    assert_eq!(results[0]["itemMetadata"]["success"], true);
    assert_eq!(
        results[0]["activationIds"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(results[0]["eventInfo"]["payload"]["orderId"], "1");
    assert_eq!(results[1]["itemMetadata"]["success"], false);
    assert_eq!(results[1]["itemMetadata"]["originalIndex"], 1);
    assert!(
        results[1]["itemMetadata"]["error"]["description"]
            .to_string()
            .contains("GUID")
    );
    // A payload that breaks the schema is taken with no run, as assumed by default.
    assert_eq!(results[2]["itemMetadata"]["success"], true);
    assert_eq!(results[2]["activationIds"], json!([]));
    assert_eq!(
        body["bulkActionMetadata"],
        json!({ "totalSuccesses": 2, "totalFailures": 1, "undetailedFailures": 0 })
    );
    let ex = engine.exchange(1).expect("logged");
    assert!(
        ex.is_flagged(),
        "a bulk report with broken items is flagged"
    );

    // Switched to refuse, the broken payload fails its item; a single report gets a 400.
    let mut a = engine.assumptions();
    a.refuse_bad_payload = true;
    engine.set_assumptions(a);
    let (_, body) = call(
        &engine,
        "/automations/v1/events/bulk-report",
        json!({ "triggerKey": "order-placed", "eventsInfo": [{ "payload": { "orderId": "3" } }] }),
    );
    assert_eq!(
        body["results"][0]["itemMetadata"]["success"], false,
        "{body}"
    );
    let (status, body) = call(
        &engine,
        "/automations/v1/events/report",
        json!({ "triggerKey": "order-placed", "payload": { "orderId": "3" } }),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("payload.customerEmail"), "{body}");

    // Limits: 1 to 100 items.
    let many: Vec<Value> = (0..101).map(|_| json!({})).collect();
    let (status, _) = call(
        &engine,
        "/automations/v1/events/bulk-report",
        json!({ "triggerKey": "order-placed", "eventsInfo": many }),
    );
    assert_eq!(status, 400);

    // Bulk cancel: each id on its own; an id nothing waits for is still a success.
    let (status, body) = call(
        &engine,
        "/automations/v1/events/bulk-cancel",
        json!({ "triggerKey": "order-placed", "externalEntityIds": [ENTITY, "nope"] }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["itemMetadata"]["success"], true);
    assert_eq!(body["results"][0]["externalEntityId"], ENTITY);
    assert_eq!(body["results"][1]["itemMetadata"]["success"], false);

    // Switched off, the flow answers nothing; a trigger nobody knows is 428 unless taken.
    auto.set_on("Order placed: shipping quote, coupon, email", false);
    let (status, body) = call(
        &engine,
        "/automations/v1/events/report",
        json!({ "triggerKey": "order-placed", "payload": order("9") }),
    );
    assert_eq!((status, body["activationIds"].clone()), (200, json!([])));
    let (status, _) = call(
        &engine,
        "/automations/v1/events/report",
        json!({ "triggerKey": "nobody" }),
    );
    assert_eq!(status, 428);
    let mut a = engine.assumptions();
    a.accept_unknown_trigger = true;
    engine.set_assumptions(a);
    let (status, body) = call(
        &engine,
        "/automations/v1/events/report",
        json!({ "triggerKey": "nobody" }),
    );
    assert_eq!((status, body), (200, json!({ "activationIds": [] })));
}

#[test]
fn a_repeated_idempotency_key_starts_nothing_until_it_expires() {
    let (engine, _rt, _auto, clock) = local();
    let report = json!({ "triggerKey": "order-placed", "payload": order("1"),
                         "idempotency": { "key": "order-1", "ttlInMilliseconds": "60000" } });
    let (_, first) = call(&engine, "/automations/v1/events/report", report.clone());
    assert_eq!(
        first["activationIds"].as_array().map(Vec::len),
        Some(1),
        "{first}"
    );
    let (_, again) = call(&engine, "/automations/v1/events/report", report.clone());
    assert_eq!(again, json!({ "activationIds": [] }));
    // Switched: the first report's IDs.
    let mut a = engine.assumptions();
    a.duplicate_returns_first_ids = true;
    engine.set_assumptions(a);
    let (_, again) = call(&engine, "/automations/v1/events/report", report.clone());
    assert_eq!(again, first);
    // A minute later the key has expired: a new run.
    clock.advance(chrono::Duration::seconds(61));
    let (_, later) = call(&engine, "/automations/v1/events/report", report);
    assert_eq!(
        later["activationIds"].as_array().map(Vec::len),
        Some(1),
        "{later}"
    );
    assert_ne!(later, first);
}

/// How many activations a Report Event answer names.
fn started(answer: &Value) -> usize {
    answer["activationIds"].as_array().map_or(0, Vec::len)
}

#[test]
fn an_idempotency_key_expires_on_the_warped_clock_and_then_starts_a_run_again() {
    let (engine, _rt, _auto, clock) = local();
    let report = |key: &str, ttl: &str| {
        json!({ "triggerKey": "order-placed", "payload": order("1"),
                "idempotency": { "key": key, "ttlInMilliseconds": ttl } })
    };
    let path = "/automations/v1/events/report";
    let (_, first) = call(&engine, path, report("order-1", "3600000"));
    assert_eq!(started(&first), 1, "{first}");
    // Time runs 3,600 times faster: half a real second is half an hour, within the hour.
    engine.set_warp(3600);
    clock.advance(chrono::Duration::milliseconds(500));
    let (_, again) = call(&engine, path, report("order-1", "3600000"));
    assert_eq!(
        again,
        json!({ "activationIds": [] }),
        "a duplicate within the hour"
    );
    // Another half second: the hour has passed on the simulated clock, and the key with it.
    clock.advance(chrono::Duration::milliseconds(500));
    let (_, later) = call(&engine, path, report("order-1", "3600000"));
    assert_eq!(started(&later), 1, "the key expired: {later}");
    assert_ne!(later, first);
    // Now it lives again, from this report on.
    let (_, again) = call(&engine, path, report("order-1", "3600000"));
    assert_eq!(again, json!({ "activationIds": [] }));
    // A time to live past the end of time is taken (it lives until then), not a crash.
    let (status, forever) = call(&engine, path, report("order-2", &i64::MAX.to_string()));
    assert_eq!((status, started(&forever)), (200, 1), "{forever}");
    let (_, again) = call(&engine, path, report("order-2", "1"));
    assert_eq!(again, json!({ "activationIds": [] }));
}

#[test]
fn many_idempotency_keys_alive_do_not_change_the_answer() {
    let (engine, _rt, auto, _clock) = local();
    let path = "/automations/v1/events/report";
    let report = |key: String| {
        json!({ "triggerKey": "order-placed", "payload": order("1"),
                "idempotency": { "key": key, "ttlInMilliseconds": "60000" } })
    };
    let (_, first) = call(&engine, path, report("first".into()));
    assert_eq!(started(&first), 1, "{first}");
    // 20,000 more keys, all alive, with the flow switched off (no runs to wait for).
    let flow = "Order placed: shipping quote, coupon, email";
    auto.set_on(flow, false);
    for i in 0..20_000 {
        let (status, body) = call(&engine, path, report(format!("key-{i}")));
        assert_eq!((status, started(&body)), (200, 0), "{body}");
    }
    auto.set_on(flow, true);
    let (_, again) = call(&engine, path, report("first".into()));
    assert_eq!(
        again,
        json!({ "activationIds": [] }),
        "the first key still lives"
    );
    let (_, again) = call(&engine, path, report("key-19999".into()));
    assert_eq!(again, json!({ "activationIds": [] }), "the last key lives");
    let (_, fresh) = call(&engine, path, report("fresh".into()));
    assert_eq!(started(&fresh), 1, "a new key starts a run: {fresh}");
    let mut a = engine.assumptions();
    a.duplicate_returns_first_ids = true;
    engine.set_assumptions(a);
    let (_, again) = call(&engine, path, report("first".into()));
    assert_eq!(again, first, "the first report's IDs, as switched");
}

/// Waits until `ready` says yes, up to 30 s; else fails saying `what`.
fn wait_for(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn cancel_event_among_many_live_runs_stops_only_its_entity_s_runs() {
    use actionbench::engine::Automations;
    let (engine, _rt, auto, _clock) = local_with("05-class-reminder.json");
    let runs = auto.subscribe();
    let path = "/automations/v1/events/report";
    let class = |entity: &str| {
        json!({ "triggerKey": "class-starting", "externalEntityId": entity,
                "payload": { "contactId": ENTITY, "email": "dana@example.com",
                             "className": "Morning Vinyasa", "startsAt": "2030-01-01T07:00:00Z" } })
    };
    // 2,000 runs waiting for their class's date, each about its own entity; three about ENTITY.
    let mut ids = std::collections::HashSet::new();
    for i in 0..2_000u32 {
        let entity = format!("{i:08x}-0000-4000-8000-000000000000");
        let (status, body) = call(&engine, path, class(&entity));
        assert_eq!((status, started(&body)), (200, 1), "{body}");
    }
    for _ in 0..3 {
        let (_, body) = call(&engine, path, class(ENTITY));
        ids.insert(
            body["activationIds"][0]
                .as_str()
                .expect("an id")
                .to_string(),
        );
    }
    let handles: Vec<_> = runs.try_iter().collect();
    assert_eq!(handles.len(), 2_003);
    assert!(
        handles.iter().all(|r| !r.handle.is_done()),
        "every run waits"
    );

    let cancelled: std::collections::HashSet<String> =
        auto.cancel("class-starting", ENTITY).into_iter().collect();
    assert_eq!(cancelled, ids, "the entity's three runs, and only those");
    let (ours, others): (Vec<_>, Vec<_>) = handles
        .iter()
        .partition(|r| ids.contains(&r.handle.snapshot().activation_id));
    wait_for("the cancelled runs end", || {
        ours.iter().all(|r| r.handle.is_done())
    });
    assert!(
        others.iter().all(|r| !r.handle.is_done()),
        "a run about another entity stopped"
    );
    // The same entity of another trigger key is not the same entity.
    assert!(auto.cancel("order-placed", ENTITY).is_empty());
    // Cancelled again: nothing of it waits any more.
    assert!(auto.cancel("class-starting", ENTITY).is_empty());
    for r in &handles {
        r.handle.stop();
    }
}
