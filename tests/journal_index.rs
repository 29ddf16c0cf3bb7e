//! The index beside a session journal: written as the session goes, replayed on reopening (the
//! journal read only after its last checkpoint), and never trusted blindly: each reopen here
//! is checked against the same journal reopened without its index (read whole, as sessions
//! without one are): every row's summary, every warning, and tokens filed (a token used before
//! the reopen is found reused after it). A crash (`serve` killed with SIGKILL under load), an
//! index cut short, damaged, of another journal, or of a journal cut short since, and a time
//! when the journal could not be written.

mod common;

use actionbench::domain::invocation::Summary;
use actionbench::engine::{Engine, Incoming, Intake, Mode};
use actionbench::journal;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn call(engine: &Engine, token: &str) -> Value {
    let body = invoke_request("send-email", token).to_string();
    match engine.intake(Incoming::post("/v1/invoke", body).expect("a route")) {
        Intake::Now(r) => (*r.body).clone(),
        _ => panic!("auto mode answers at once"),
    }
}

/// An engine keeping nothing whole beyond the newest few, recording to `path`.
fn open(path: &Path) -> (Arc<Engine>, journal::Opened) {
    let (engine, _clock) = engine_with(Mode::Auto, |c| c.memory_budget = 0);
    let opened = journal::attach(&engine, path).expect("the journal opens");
    (engine, opened)
}

/// What a reopen gives: every row's summary, the warnings, and whether the first call's
/// token is known (a call carrying it again is told it was used before).
#[derive(Debug, PartialEq)]
struct Reopened {
    rows: Vec<Summary>,
    warnings: Vec<String>,
    token_known: bool,
}

fn reopen(path: &Path, token: &str) -> Reopened {
    let (engine, opened) = open(path);
    let rows: Vec<Summary> = (1..=engine.len() as u64)
        .map(|id| {
            let row = &engine.rows()[id as usize - 1];
            row.exchange(id).summary()
        })
        .collect();
    // Each row's key tag (read without its lock, as list_calls skips rows by it) is its key's,
    // on disk or whole.
    for r in &rows {
        assert_eq!(
            engine.key_tag_of(r.id),
            Some(actionbench::engine::key_tag(r.action_key.as_deref())),
            "#{}",
            r.id
        );
    }
    let answer = call(&engine, token);
    let last = engine.exchange(engine.len() as u64).expect("the new call");
    let token_known = last.findings.iter().any(|f| f.code == "token-reused");
    let _ = answer;
    let warnings = opened
        .warnings
        .iter()
        .map(|w| w.replace(path.to_str().unwrap_or("?"), "S"))
        .collect();
    drop(opened);
    drop(engine);
    Reopened {
        rows,
        warnings,
        token_known,
    }
}

/// Reopens `path` with its index (as it stands) and a copy of its journal without one, read
/// whole; returns both. The index is written as the reopen goes on, so a second reopen of
/// `path` replays it.
fn both(dir: &Path, path: &Path, n: usize) -> (Reopened, Reopened) {
    let plain = dir.join(format!("plain-{n}.jsonl"));
    std::fs::copy(path, &plain).expect("copy");
    let with = reopen(path, "tok-0");
    let mut without = reopen(&plain, "tok-0");
    for w in &mut without.warnings {
        *w = w.replace(&format!("plain-{n}.jsonl"), "s.jsonl");
    }
    (with, without)
}

/// A session of `batches` × `per` calls, its index caught up after each batch (its tokens
/// `tok-0`…), closed.
fn session(dir: &Path, batches: usize, per: usize) -> PathBuf {
    let path = dir.join("s.jsonl");
    let (engine, opened) = open(&path);
    for b in 0..batches {
        for i in 0..per {
            call(&engine, &format!("tok-{}", b * per + i));
        }
        opened.journal.index_now().expect("indexed");
    }
    drop(opened);
    drop(engine);
    path
}

fn idx(path: &Path) -> PathBuf {
    journal::index_path(path)
}

#[test]
fn a_reopen_replays_the_index_and_gives_what_reading_the_whole_journal_gives() {
    let dir = TempDir::new("index-replay");
    let path = session(dir.path(), 3, 100);
    let (journal_len, index_len) = (
        std::fs::metadata(&path).expect("journal").len(),
        std::fs::metadata(idx(&path))
            .expect("an index beside it")
            .len(),
    );
    assert!(
        index_len * 5 < journal_len,
        "the index is small beside the journal: {index_len} bytes against {journal_len}"
    );
    let (with, without) = both(dir.path(), &path, 0);
    assert_eq!(with.rows.len(), 300);
    assert!(with.token_known, "tokens are filed from the index");
    assert!(with.warnings.is_empty(), "{:?}", with.warnings);
    assert_eq!(with, without);
    // Reopened again: the calls made since are indexed too.
    let (again, plain) = both(dir.path(), &path, 1);
    assert_eq!(again.rows.len(), 301);
    assert_eq!(again, plain);
}

#[test]
fn an_index_cut_short_is_caught_up_from_the_journal_silently() {
    let dir = TempDir::new("index-cut");
    let path = session(dir.path(), 3, 40);
    let whole = std::fs::read(idx(&path)).expect("index");
    for (n, cut) in [16, whole.len() / 3, whole.len() / 2, whole.len() - 1]
        .into_iter()
        .enumerate()
    {
        let path = dir.path().join(format!("cut-{n}.jsonl"));
        std::fs::copy(dir.path().join("s.jsonl"), &path).expect("copy");
        std::fs::write(idx(&path), &whole[..cut]).expect("cut");
        let (with, mut without) = both(dir.path(), &path, 10 + n);
        for w in &mut without.warnings {
            *w = w.replace("s.jsonl", &format!("cut-{n}.jsonl"));
        }
        assert!(
            with.warnings.is_empty(),
            "cut at {cut}: {:?}",
            with.warnings
        );
        assert_eq!(with, without, "cut at {cut}");
    }
}

/// Reopens `path` (with its index made bad by `spoil`), expecting a line with `says`, and
/// what reading the journal whole gives; then again, the index rewritten, without the line.
fn rebuilt(dir: &Path, name: &str, spoil: impl FnOnce(&Path), says: &str) {
    let path = dir.join(format!("{name}.jsonl"));
    std::fs::copy(dir.join("s.jsonl"), &path).expect("copy");
    std::fs::copy(idx(&dir.join("s.jsonl")), idx(&path)).expect("copy");
    spoil(&path);
    let plain = dir.join(format!("{name}-plain.jsonl"));
    std::fs::copy(&path, &plain).expect("copy");
    let with = reopen(&path, "tok-0");
    let said: Vec<&String> = with.warnings.iter().filter(|w| w.contains(says)).collect();
    assert_eq!(
        said.len(),
        1,
        "{name}: one line says {says:?}: {:?}",
        with.warnings
    );
    assert!(said[0].contains("index"), "{}", said[0]);
    let without = reopen(&plain, "tok-0");
    assert_eq!(with.rows, without.rows, "{name}");
    assert!(with.token_known, "{name}");
    // Again: the index was rewritten, and says what reading the journal whole says.
    let plain = dir.join(format!("{name}-plain-again.jsonl"));
    std::fs::copy(&path, &plain).expect("copy");
    let again = reopen(&path, "tok-0");
    assert!(
        !again.warnings.iter().any(|w| w.contains("index")),
        "{name}: the index was rewritten: {:?}",
        again.warnings
    );
    assert_eq!(again.rows, reopen(&plain, "tok-0").rows, "{name}");
}

#[test]
fn a_damaged_or_stale_index_is_rebuilt_from_the_journal_with_a_line_saying_so() {
    let dir = TempDir::new("index-bad");
    session(dir.path(), 3, 40);
    let flip = |at: fn(usize) -> usize| {
        move |p: &Path| {
            let mut b = std::fs::read(idx(p)).expect("index");
            let i = at(b.len());
            b[i] ^= 0x5a;
            std::fs::write(idx(p), b).expect("write");
        }
    };
    rebuilt(dir.path(), "damaged", flip(|len| len / 2), "damaged");
    rebuilt(dir.path(), "header", flip(|_| 3), "not an index");
    // Another session's index beside this journal.
    let other = TempDir::new("index-other");
    let other_path = session(other.path(), 1, 5);
    rebuilt(
        dir.path(),
        "other",
        |p| {
            std::fs::copy(idx(&other_path), idx(p)).expect("copy");
        },
        "another journal",
    );
    // The journal cut short after its index was written (to its first 20 calls' lines).
    rebuilt(
        dir.path(),
        "shorter",
        |p| {
            let text = std::fs::read(p).expect("journal");
            let ends: Vec<usize> = text
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1)
                .collect();
            std::fs::write(p, &text[..ends[20]]).expect("cut");
        },
        "does not match the journal",
    );
}

#[test]
fn lines_kept_while_the_journal_could_not_be_written_are_indexed_once_written() {
    let dir = TempDir::new("index-full");
    let path = dir.path().join("s.jsonl");
    let (engine, opened) = open(&path);
    for i in 0..30 {
        call(&engine, &format!("tok-{i}"));
    }
    opened.journal.index_now().expect("indexed");
    opened
        .journal
        .fail_writes(Some(std::io::ErrorKind::StorageFull));
    for i in 30..40 {
        call(&engine, &format!("tok-{i}"));
    }
    assert!(opened.journal.flush().is_err(), "the disk is full");
    assert!(
        opened.journal.index_now().is_err(),
        "nothing is indexed while the journal cannot be written"
    );
    opened.journal.fail_writes(None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while opened.journal.trouble(true).is_some() {
        assert!(Instant::now() < deadline, "writing never resumed");
        std::thread::sleep(Duration::from_millis(50));
    }
    opened.journal.index_now().expect("indexed");
    drop(opened);
    drop(engine);
    let (with, without) = both(dir.path(), &path, 0);
    assert_eq!(with.rows.len(), 40);
    assert_eq!(with, without);
}

#[cfg(unix)]
#[test]
fn a_sigkill_mid_load_leaves_an_index_that_a_reopen_catches_up() {
    let dir = TempDir::new("index-crash");
    let path = dir.path().join("crash.jsonl");
    let args = [
        "--answer",
        "immediate",
        "--session",
        path.to_str().expect("path"),
    ];
    let (mut child, rx) = serve_lines(&args);
    let listening = std::iter::from_fn(|| rx.recv_timeout(Duration::from_secs(20)).ok())
        .find(|v| v["event"] == "listening")
        .expect("a listening line within 20 s");
    let url = listening["url"].as_str().expect("url").to_string();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let send = |i: usize| {
        let body = invoke_request("send-email", &format!("tok-{i}")).to_string();
        let res = client.post(format!("{url}/v1/invoke")).body(body).send();
        assert_eq!(res.expect("answered").status().as_u16(), 200);
    };
    // Calls until the journal's thread has written an index, then more while it is killed.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut i = 0;
    while std::fs::metadata(idx(&path)).map_or(0, |m| m.len()) < 1_000 {
        assert!(Instant::now() < deadline, "no index within 30 s");
        send(i);
        i += 1;
    }
    let more = i + 2_000;
    let killer = {
        let pid = child.id().to_string();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
        })
    };
    while i < more {
        let body = invoke_request("send-email", &format!("tok-{i}")).to_string();
        if client
            .post(format!("{url}/v1/invoke"))
            .body(body)
            .send()
            .is_err()
        {
            break;
        }
        i += 1;
    }
    let _ = killer.join();
    let _ = child.wait();
    let (with, without) = both(dir.path(), &path, 0);
    assert!(
        with.rows.len() >= i.min(more) - 1,
        "{} rows",
        with.rows.len()
    );
    assert_eq!(with, without);
}

/// An id with no line (a call refused while the journal could not be written, a line lost) is
/// listed as not recorded, and every other exchange keeps its number, across reopens: closing
/// the gap up gave the calls after a reopen the numbers of exchanges already in the file. A
/// line naming an id far past the others is damage: skipped, said, nothing allocated for it.
#[test]
fn a_gap_in_the_ids_keeps_every_other_exchange_its_number_across_reopens() {
    let dir = TempDir::new("journal-gap");
    let path = session(dir.path(), 1, 5);
    let whole = dir.path().join("whole.jsonl");
    std::fs::copy(&path, &whole).expect("copy");
    let before = reopen(&whole, "tok-9");
    let text = std::fs::read_to_string(&path).expect("the journal");
    let mut kept = String::new();
    let mut far = None;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        // An exchange's line: {"v": 2, "ex": {"id": …, …}}.
        if v["ex"]["id"] == 3 {
            continue;
        }
        if v["ex"]["id"] == 5 && far.is_none() {
            let mut f = v.clone();
            f["ex"]["id"] = serde_json::json!(1_000_000_000_000u64);
            far = Some(f.to_string());
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept.push_str(&far.expect("a line of #5"));
    kept.push('\n');
    std::fs::write(&path, kept).expect("write");
    let _ = std::fs::remove_file(idx(&path));

    let first = reopen(&path, "tok-9");
    assert_eq!(first.rows.len(), 5, "{:?}", first.warnings);
    let gap = &first.rows[2];
    assert_eq!(
        (gap.id, gap.tag.as_deref(), gap.flagged),
        (3, Some("not recorded"), true)
    );
    for i in [0, 1, 3, 4] {
        assert_eq!(first.rows[i], before.rows[i], "#{} kept its number", i + 1);
    }
    let says = |w: &[String], what: &str| w.iter().filter(|l| l.contains(what)).count();
    assert_eq!(
        says(&first.warnings, "no line in the journal"),
        1,
        "{:?}",
        first.warnings
    );
    assert_eq!(
        says(&first.warnings, "far past the others"),
        1,
        "{:?}",
        first.warnings
    );

    // The call the first reopen took is #6; the next reopen finds #4 and #5 as they were.
    let second = reopen(&path, "tok-8");
    assert_eq!(second.rows.len(), 6, "{:?}", second.warnings);
    for i in [0, 1, 3, 4] {
        assert_eq!(second.rows[i], before.rows[i], "#{} kept its number", i + 1);
    }
    assert_eq!(second.rows[5].id, 6);
    assert_eq!(second.rows[5].action_key.as_deref(), Some("send-email"));
}
