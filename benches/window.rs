//! The window with a session of 1,000,000 exchanges (BENCH_ROWS), headless (egui_kittest, no
//! GPU): how long reopening the session takes, the process's resident memory, and the time of
//! each frame while a user scrolls the log, jumps to its end and back, selects rows (an old one
//! is read back from the journal), types a filter and clears it. Prints p50, p95 and the worst
//! frame (target: p95 ≤ 16 ms), and the same figures for an empty log measured in the same
//! run as the baseline.
//!
//! The session is written as the journal's own lines, copied from one real exchange with its id
//! and token changed, so that a million of them take seconds to make rather than minutes.

use actionbench::startup::{Journaling, KeyUse, Listen, Plan, Started};
use actionbench::ui::app::RfdPicker;
use actionbench::ui::{App, Core};
use clap::Parser;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{env, rss_kib, session};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Figures {
    frames: Vec<Duration>,
    /// What each frame did, for the slowest few.
    what: Vec<&'static str>,
}

impl Figures {
    fn pct(&self, p: f64) -> f64 {
        let mut v: Vec<f64> = self
            .frames
            .iter()
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * p).round() as usize]
    }
}

/// Drives the window through what a user does with a long log, timing every frame.
fn drive(h: &mut Harness<'static, App>) -> Figures {
    let mut frames = vec![];
    let mut what = vec![];
    let doing = std::cell::Cell::new("idle");
    let mut frame = |h: &mut Harness<'static, App>, ev: Option<egui::Event>| {
        if let Some(ev) = ev {
            h.event(ev);
        }
        let t = Instant::now();
        h.step();
        frames.push(t.elapsed());
        what.push(doing.get());
    };
    // Settle, then idle frames.
    h.run();
    for _ in 0..30 {
        frame(h, None);
    }
    doing.set("scroll");
    // Scroll down through the log and back.
    let over_log = egui::pos2(300.0, 400.0);
    frame(h, Some(egui::Event::PointerMoved(over_log)));
    for dir in [-1.0f32, 1.0] {
        for _ in 0..60 {
            frame(
                h,
                Some(egui::Event::MouseWheel {
                    unit: egui::MouseWheelUnit::Page,
                    delta: egui::vec2(0.0, dir),
                    modifiers: egui::Modifiers::NONE,
                    phase: egui::TouchPhase::Move,
                    source: egui::MouseWheelSource::Unknown,
                }),
            );
        }
    }
    doing.set("select");
    // Select rows: the top one (whole in memory or read back), then more.
    for y in [120.0f32, 200.0, 300.0, 400.0] {
        let at = egui::pos2(200.0, y);
        frame(h, Some(egui::Event::PointerMoved(at)));
        frame(
            h,
            Some(egui::Event::PointerButton {
                pos: at,
                button: egui::PointerButton::Primary,
                pressed: true,
                modifiers: egui::Modifiers::NONE,
            }),
        );
        frame(
            h,
            Some(egui::Event::PointerButton {
                pos: at,
                button: egui::PointerButton::Primary,
                pressed: false,
                modifiers: egui::Modifiers::NONE,
            }),
        );
        for _ in 0..5 {
            frame(h, None);
        }
    }
    doing.set("filter");
    // Ctrl+F, type a filter a key at a time, then clear it. A text no row holds: every row is
    // looked through on every keystroke.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    frame(h, None);
    frame(h, None);
    let needle = "no-such-text";
    for c in needle.chars() {
        h.get_by_label("Find").type_text(&c.to_string());
        frame(h, None);
    }
    for _ in 0..20 {
        frame(h, None);
    }
    let rows = h.state().log().len();
    assert!(
        rows == 0 || h.query_by_label(&format!("0 of {rows}")).is_some(),
        "the filter ran over every row"
    );
    for _ in 0..needle.len() {
        frame(
            h,
            Some(egui::Event::Key {
                key: egui::Key::Backspace,
                physical_key: None,
                pressed: true,
                repeat: false,
                modifiers: egui::Modifiers::NONE,
            }),
        );
    }
    for _ in 0..20 {
        frame(h, None);
    }
    Figures { frames, what }
}

/// The window's core started as the window starts it (startup::start, as `ui::prepare`
/// does), over the shipped samples, flows and definitions, on a free loopback port; with
/// `session`, that journal reopened.
fn start(session: Option<&std::path::Path>) -> Started {
    let r = root();
    let mut argv: Vec<std::ffi::OsString> = vec!["actionbench".into()];
    for (flag, value) in [
        ("--instance-id", "inst-bench".into()),
        ("--samples", r.join("samples")),
        ("--flows", r.join("samples/flows")),
        ("--actions", r.join("samples/actions")),
    ] {
        argv.extend([flag.into(), value.into()]);
    }
    if let Some(p) = session {
        argv.extend(["--session".into(), p.into()]);
    }
    let args = actionbench::cli::Cli::parse_from(argv).inbox;
    let plan = Plan {
        journal: if session.is_some() {
            Journaling::GivenOrNew
        } else {
            Journaling::Off
        },
        key: KeyUse::Off,
        ..Plan::window(Listen::Port {
            port: 0,
            fallback: false,
        })
    };
    actionbench::startup::start(&args, plan).expect("the window's start")
}

fn window(s: &Started) -> Harness<'static, App> {
    let args = actionbench::cli::Cli::parse_from(["actionbench", "--instance-id", "inst-bench"]);
    let core = Core::new(s, &args.inbox, Arc::new(RfdPicker), 0);
    Harness::builder()
        .with_max_steps(8)
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| App::new(core, &cc.egui_ctx))
}

fn report(label: &str, f: &Figures) {
    if std::env::var("BENCH_SLOWEST").is_ok() {
        let mut by: Vec<(Duration, &str)> = f
            .frames
            .iter()
            .copied()
            .zip(f.what.iter().copied())
            .collect();
        by.sort_by_key(|b| std::cmp::Reverse(b.0));
        for (d, w) in by.iter().take(12) {
            println!("  slow frame: {:>7.2} ms  {w}", d.as_secs_f64() * 1000.0);
        }
    }
    println!(
        "{label:<28} {} frames: p50 {:>6.2} ms   p95 {:>6.2} ms   worst {:>7.2} ms",
        f.frames.len(),
        f.pct(0.5),
        f.pct(0.95),
        f.pct(1.0)
    );
}

fn main() {
    let rows = env("BENCH_ROWS", 1_000_000);
    let dir = std::env::temp_dir().join(format!("actionbench-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // The baseline: an empty log.
    let empty = start(None);
    let mut h = window(&empty);
    let base = drive(&mut h);
    drop(h);
    let mut empty = empty;
    empty.stop(Duration::from_secs(2));

    let made = Instant::now();
    let path = session(&dir, rows);
    println!(
        "window bench: a session of {rows} exchanges ({} MiB) written in {:.1} s",
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) >> 20,
        made.elapsed().as_secs_f64()
    );
    let rss_before = rss_kib("self");
    let opened_at = Instant::now();
    let started = start(Some(&path));
    let reopened = opened_at.elapsed();
    let restored = started.session.as_ref().map_or(0, |s| s.restored);
    let shown_at = Instant::now();
    let mut h = window(&started);
    h.run();
    let shown = shown_at.elapsed();
    println!(
        "reopened {restored} exchanges in {:.2} s ({} whole in memory); the window's first frames took {:.2} s; RSS +{} MiB",
        reopened.as_secs_f64(),
        started.engine.in_memory(),
        shown.as_secs_f64(),
        rss_kib("self").saturating_sub(rss_before) / 1024
    );
    assert_eq!(h.state().log().len(), rows, "every row is in the list");
    let big = drive(&mut h);
    report("empty log (baseline)", &base);
    report(&format!("{rows} rows"), &big);
    println!(
        "p95 with {rows} rows: {:.2} ms (target ≤ 16 ms); RSS {} MiB",
        big.pct(0.95),
        rss_kib("self") / 1024
    );
    drop(h);
    let mut started = started;
    started.stop(Duration::from_secs(2));
    let _ = std::fs::remove_dir_all(&dir);
}
