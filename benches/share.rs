//! Shared pages: how big they are, and how soon a session's page is usable in a browser.
//!
//! - Each shipped flow run with `flow run --share` (target: ≤ 150 KB each).
//! - A session of SHARE_CALLS (10,000) calls exported with `--html` (target: ≤ 10 MB), against
//!   the same session as HAR, the usual way to hand calls over, in the same run.
//! - That page opened from file:// in headless Chromium (tests/browser/drive.js timing): the
//!   log drawn, its calls read, and a find over every body answered (target: ≤ 2 s), three
//!   times; against a page of the same rows with no data and no script (the floor a browser
//!   takes to draw that many rows), in the same run.
//!
//! Needs node and Debian's chromium for the timings; without them, the sizes only.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod common;
use common::{env, root, session};

fn actionbench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(args)
        .output()
        .expect("actionbench runs");
    assert!(
        out.status.success(),
        "actionbench {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn kb(p: &Path) -> f64 {
    std::fs::metadata(p)
        .map(|m| m.len() as f64 / 1024.0)
        .unwrap_or(0.0)
}

/// drive.js timing of `page`: (drawn, ready, found) in ms, or None without the tools.
fn timing(page: &Path) -> Option<(f64, f64, f64)> {
    let dir = root().join("tests/browser");
    if !Path::new("/usr/bin/chromium").exists()
        || !dir.join("node_modules/playwright-core").exists()
    {
        return None;
    }
    let out = Command::new("node")
        .arg(dir.join("drive.js"))
        .arg("timing")
        .arg(page)
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((
        v["drawn"].as_f64()?,
        v["ready"].as_f64()?,
        v["found"].as_f64()?,
    ))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("actionbench-share-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    println!("shipped flows, each run shared as one page (target ≤ 150 KB):");
    let mut flows: Vec<_> = std::fs::read_dir(root().join("samples/flows"))
        .expect("flows")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    flows.sort();
    for f in flows {
        let page = dir.join("run.html");
        actionbench(&[
            "flow",
            "run",
            f.to_str().expect("path"),
            "--warp",
            "86400",
            "--port",
            "0",
            "--share",
            page.to_str().expect("path"),
        ]);
        println!(
            "  {:<44} {:>7.1} KB",
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            kb(&page)
        );
    }
    let calls = env("SHARE_CALLS", 10_000);
    let journal = session(&dir, calls);
    let page = dir.join("session.html");
    let har = dir.join("session.har");
    let t = Instant::now();
    actionbench(&[
        "export",
        "--session",
        journal.to_str().expect("path"),
        "--html",
        page.to_str().expect("path"),
    ]);
    let made = t.elapsed();
    actionbench(&[
        "export",
        "--session",
        journal.to_str().expect("path"),
        "--har",
        har.to_str().expect("path"),
    ]);
    println!(
        "a session of {calls} calls: page {:.2} MB (target ≤ 10 MB), written in {:.2} s; as HAR {:.2} MB; journal {:.2} MB",
        kb(&page) / 1024.0,
        made.as_secs_f64(),
        kb(&har) / 1024.0,
        kb(&journal) / 1024.0
    );
    // The floor: the same rows, no data, no script.
    let html = std::fs::read_to_string(&page).expect("page");
    let rows_start = html.find("<div id=\"log\"").expect("rows");
    let rows_end = html.find("<section id=\"detail\"").expect("rows");
    let bare = dir.join("bare.html");
    std::fs::write(
        &bare,
        format!(
            "<!DOCTYPE html><html><body><div id=\"shown\">0 of</div>{}<input id=\"find\"><script>document.body.dataset.ready='yes'</script></body></html>",
            &html[rows_start..rows_end]
        ),
    )
    .expect("bare page");
    let mut ours = vec![];
    let mut floor = vec![];
    for _ in 0..3 {
        match (timing(&page), timing(&bare)) {
            (Some(a), Some(b)) => {
                ours.push(a);
                floor.push(b);
            }
            _ => {
                println!(
                    "(node and Debian's chromium, and npm ci in tests/browser, are needed for the timings)"
                );
                break;
            }
        }
    }
    if !ours.is_empty() {
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let col = |f: fn(&(f64, f64, f64)) -> f64, v: &[(f64, f64, f64)]| {
            median(&mut v.iter().map(f).collect())
        };
        println!(
            "opened from file:// in headless Chromium, median of 3: the log drawn {:.0} ms, its calls read {:.0} ms, a find over every body answered {:.0} ms (target ≤ 2000 ms); the same rows without data or script drawn in {:.0} ms",
            col(|t| t.0, &ours),
            col(|t| t.1, &ours),
            col(|t| t.2, &ours),
            col(|t| t.0, &floor)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
