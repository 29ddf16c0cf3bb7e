//! Shared pages, opened as someone else opens them: from file://, in headless Chromium
//! (Debian's, driven by Playwright's core) with the network cut off. A flow run replays beat
//! by beat (#step=N, the keys, a click on a step, a call by #call=ID) and tells its story with
//! scripts off; a session page finds, filters and shows calls, runs nothing planted in them and
//! keeps secrets home; both read back through --session.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

fn actionbench(args: &[&str]) -> String {
    let (code, out) = run_actionbench(args, Duration::from_secs(120));
    assert_eq!(code, Some(0), "actionbench {args:?}: {out}");
    out
}

fn text(p: &Path) -> String {
    std::fs::read_to_string(p).expect("the page")
}

/// The captions the page holds in its markup, in order.
fn captions_in(page: &str) -> Vec<String> {
    page.split("class=\"caption\"")
        .skip(1)
        .filter_map(|s| {
            let s = s.split_once('>')?.1;
            Some(s.split_once("</h2>")?.0.to_string())
        })
        .map(|c| {
            c.replace("&#39;", "'")
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn a_shared_flow_run_replays_offline_in_chromium_and_reads_back() {
    let dir = TempDir::new("share-flow");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let page = dir.path().join("run.html");
    let flow = root().join("samples/flows/02-trainer-approval-no-answer.json");
    let out = actionbench(&[
        "flow",
        "run",
        flow.to_str().expect("path"),
        "--warp",
        "3600",
        "--port",
        "0",
        "--share",
        page.to_str().expect("path"),
    ]);
    assert!(out.contains("shared: "), "{out}");
    let html = text(&page);
    // One file: a policy that forbids every request, nothing fetched, the data embedded once.
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    for fetches in [
        "src=\"http",
        "href=\"http",
        "<link",
        "@import",
        "serviceWorker",
    ] {
        assert!(
            !html.contains(fetches),
            "the page fetches nothing: {fetches}"
        );
    }
    assert_eq!(html.matches("id=\"actionbench-journal\"").count(), 1);
    let captions = captions_in(&html);
    assert!(captions.len() >= 6, "{captions:?}");
    // A skipped step is told as not run.
    assert!(html.contains(">not run</small>"), "a step shown as not run");
    assert!(
        captions
            .iter()
            .any(|c| c.starts_with("Wix does not run this step"))
    );

    // Read back: as a session (read-only) and as HAR.
    let har = dir.path().join("run.har");
    actionbench(&[
        "export",
        "--session",
        page.to_str().expect("path"),
        "--har",
        har.to_str().expect("path"),
    ]);
    let har: Value = serde_json::from_str(&text(&har)).expect("HAR");
    let entries = har["log"]["entries"].as_array().expect("entries");
    assert!(!entries.is_empty());
    let read = actionbench::journal::read(&page).expect("the page reads back");
    assert_eq!(read.exchanges.len(), entries.len());
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert!(
        read.exchanges
            .iter()
            .any(|e| e.action_key.as_deref() == Some("trainer-approval"))
    );

    let Some(seen) = drive_page("flow", &page, Some("1")) else {
        return;
    };
    assert_eq!(seen["requests"], json!([]), "no request left the page");
    assert_eq!(seen["errors"], json!([]), "no script error");
    let by_hash: Vec<String> = serde_json::from_value(seen["byHash"].clone()).expect("captions");
    assert_eq!(by_hash, captions, "#step=N shows caption N in #caption");
    assert_eq!(seen["afterKeys"]["caption"], captions[1]);
    assert_eq!(seen["afterKeys"]["hash"], "#step=2");
    assert!(
        seen["afterClick"]["hash"]
            .as_str()
            .is_some_and(|h| h.starts_with("#step="))
    );
    assert_eq!(seen["callOpen"], true);
    let call = seen["call"].as_str().expect("the call");
    assert!(
        call.starts_with("#1 invoke")
            && call.contains("activationContext")
            && call.contains("Timeline"),
        "{call}"
    );
    let off: Vec<Value> = serde_json::from_value(seen["scriptsOff"].clone()).expect("list");
    assert_eq!(off.len(), captions.len());
    assert!(
        off.iter().all(|c| c["shown"] == true),
        "with scripts off every step's caption shows: {off:?}"
    );
}

/// A session holding secrets and calls planted to run in the reader's browser.
fn planted_session(dir: &Path) -> std::path::PathBuf {
    use actionbench::engine::{Incoming, Mode};
    let session = dir.join("s.jsonl");
    let (engine, _) = engine_with(Mode::Auto, verifying);
    actionbench::journal::attach(&engine, &session).expect("journal");
    let mut signed = claims(invoke_request("send-email", "tok-signed"));
    signed["data"]["metadata"]["instanceId"] = json!("inst-SECRET-4242");
    let jwt = sign(&signed, "test-wix-private.pem");
    let _ = engine.intake(Incoming::post("/v1/invoke", jwt).expect("route"));
    let mut planted = invoke_request(
        "</script><script>document.body.dataset.pwned=1</script>",
        "tok-planted",
    );
    planted["activationContext"]["activationId"] = json!("act-planted");
    planted["actionParams"] = json!({
        "html": "<img src=x onerror=\"document.body.dataset.pwned=2\">",
        "link": "javascript:document.body.dataset.pwned=3",
        "note": "needle-in-a-body"
    });
    let _ = engine.intake(Incoming::post("/v1/invoke", planted.to_string()).expect("route"));
    let _ = engine.intake(Incoming::post("/v1/invoke", "{oops").expect("route"));
    let mut report = Incoming::post(
        "/automations_runtime/v1/report-action-invocation-completed",
        json!({"invocationToken": "tok-nobody", "status": "SUCCESS", "successInfo": {"result": {}}})
            .to_string(),
    )
    .expect("route");
    report.headers = "authorization: Bearer app-token-SECRET\ncookie: sid=COOKIE-SECRET\n".into();
    report.authorized = true;
    let _ = engine.intake(report);
    session
}

#[test]
fn a_shared_session_keeps_secrets_home_runs_nothing_and_finds_calls() {
    let dir = TempDir::new("share-session");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let session = planted_session(dir.path());
    let s = session.to_str().expect("path");
    let page = dir.path().join("s.html");
    let p = page.to_str().expect("path");
    actionbench(&["export", "--session", s, "--html", p]);
    let html = text(&page);
    let jwt = actionbench::journal::read(&session)
        .expect("read")
        .exchanges[0]
        .arrival
        .text()
        .into_owned();
    let signature = jwt.rsplit('.').next().expect("a signature").to_string();
    for secret in [
        signature.as_str(),
        "inst-SECRET-4242",
        "app-token-SECRET",
        "COOKIE-SECRET",
    ] {
        assert!(!html.contains(secret), "{secret} stays home");
    }
    assert!(
        html.contains(
            "Secrets stayed home: 1 JWT signature, 2 Authorization and cookie headers, 1 instanceId"
        ),
        "the page says what was redacted"
    );
    // Nothing in the data can end its element or be read as markup.
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "only the page's own two scripts end"
    );
    assert!(!html.contains("<img"));
    // Kept on request.
    let kept = dir.path().join("kept.html");
    actionbench(&[
        "export",
        "--session",
        s,
        "--html",
        kept.to_str().expect("path"),
        "--no-redact",
    ]);
    let kept_html = text(&kept);
    assert!(
        kept_html.contains(&signature) && kept_html.contains("app-token-SECRET"),
        "--no-redact keeps them"
    );
    // One activation's calls only.
    let one = dir.path().join("one.html");
    actionbench(&[
        "export",
        "--session",
        s,
        "--html",
        one.to_str().expect("path"),
        "--activation",
        "act-planted",
    ]);
    assert!(text(&one).contains("1 call"));

    let Some(seen) = drive_page("session", &page, Some("2")) else {
        return;
    };
    assert_eq!(seen["requests"], json!([]));
    assert_eq!(seen["rows"], 4);
    assert_eq!(seen["pwned"], Value::Null, "nothing planted ran");
    assert_eq!(seen["scripts"], 2);
    assert_eq!(seen["images"], 0);
    assert_eq!(seen["links"], json!([]));
    let detail = seen["detail"].as_str().expect("the call by its hash");
    assert!(
        detail.contains("</script><script>document.body.dataset.pwned=1</script>")
            && detail.contains("javascript:document.body.dataset.pwned=3"),
        "what was planted is shown as text: {detail}"
    );
    assert_eq!(seen["selected"], json!(["2"]));
    assert_eq!(
        seen["flaggedShown"],
        json!(["3", "4"]),
        "flagged only: the bad body and the report for no one"
    );
    assert_eq!(seen["found"], json!(["2"]), "find looks inside bodies");
    assert_eq!(seen["shown"], "1 of 4");
    assert_eq!(
        seen["afterArrow"],
        json!(["2"]),
        "a click on a row's text, then ↓"
    );
    assert_eq!(seen["hash"], "#call=2");
}

#[test]
fn a_shared_page_is_read_never_recorded_to() {
    let dir = TempDir::new("share-read-only");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let session = planted_session(dir.path());
    let page = dir.path().join("s.html");
    actionbench(&[
        "export",
        "--session",
        session.to_str().expect("path"),
        "--html",
        page.to_str().expect("path"),
    ]);
    let before = std::fs::read(&page).expect("page");
    let (engine, _) = engine(actionbench::engine::Mode::Auto);
    let refused = actionbench::journal::attach(&engine, &page).expect_err("not recorded to");
    assert!(refused.contains("read-only"), "{refused}");
    let (n, warnings) = actionbench::journal::open_read_only(&engine, &page).expect("read");
    assert_eq!((n, warnings.len()), (4, 0));
    assert_eq!(engine.len(), 4);
    let (code, out) = run_actionbench(
        &[
            "serve",
            "--port",
            "0",
            "--session",
            page.to_str().expect("path"),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(code, Some(2), "serve records, so it refuses a page: {out}");
    assert_eq!(
        std::fs::read(&page).expect("page"),
        before,
        "the page is as it was"
    );
}
