//! The window with a session of 1,000,000 exchanges (BENCH_ROWS), headless (egui_kittest, no
//! GPU): how long reopening the session takes, the process's resident memory, and the time of
//! each frame while a user scrolls the log, jumps to its end and back, selects rows (an old one
//! is read back from the journal), types a filter and clears it. Prints p50, p95 and the worst
//! frame (target: p95 ≤ 16 ms), and the same figures for an empty log measured in the same
//! run as the baseline.
//!
//! Where the memory goes: a counting allocator (in front of mimalloc, as the binary ships;
//! BENCH_ALLOCATOR=system for glibc's) gives the bytes live on the heap after each step
//! (reopening, the window's first frames, the drive), and the engine, the journal and the list
//! say what their structures take; the rest of the resident memory is the allocator's slack
//! and the mapped binary. Printed for the empty window and the big one alike.
//!
//! Each case runs in a process of its own (the bench runs itself again), so that each resident
//! figure is its own: the empty window; the session reopened without an index (as older
//! sessions are), then indexed whole, timed; the session reopened with its index (issue 35:
//! reopening ≤ 2 s, p95 ≤ 8 ms, ≤ 200 MB).
//!
//! Knobs: BENCH_ROWS (default 1,000,000), BENCH_DRIVE=0 (memory only, no frames driven),
//! BENCH_ALLOCATOR=system (glibc's allocator instead of mimalloc), BENCH_SMAPS=1 (the large
//! mappings and what of each is resident).
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
use common::counting::{self, Counting};
use common::{env, rss_kib, session};

#[global_allocator]
static GLOBAL: Counting = Counting;

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
        rows == 0 || h.query_by_label(&format!("0 of {rows} shown")).is_some(),
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
        mount: Some(actionbench::mcp::mounting().0),
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

fn mib(bytes: usize) -> String {
    format!("{:>7.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// The heap and the resident memory now, against the heap at `heap0` (before the start).
struct Memory {
    heap: usize,
    rss: usize,
    anon: usize,
    file: usize,
}

fn memory() -> Memory {
    Memory {
        heap: counting::live(),
        rss: rss_kib("self") * 1024,
        anon: counting::status_kib("RssAnon") * 1024,
        file: counting::status_kib("RssFile") * 1024,
    }
}

/// What a started core and its window hold, by owner, from what each structure says and what
/// the allocator counted between the steps.
struct Breakdown {
    label: String,
    /// Heap bytes the start took (engine, samples, flows, runtime; the session restored).
    started: usize,
    /// The most heap bytes live at once while starting, above what was live before.
    start_peak: usize,
    /// Heap bytes the window took in its first frames, and in the drive.
    window: usize,
    drive: usize,
    footprint: actionbench::engine::Footprint,
    index: usize,
    buffers: usize,
    list: usize,
    end: Memory,
}

impl Breakdown {
    fn print(&self, base: Option<&Breakdown>) {
        let f = &self.footprint;
        println!("memory, {} ({}):", self.label, counting::name());
        let b_started = base.map_or(0, |b| b.started);
        let b_window = base.map_or(0, |b| b.window);
        let known = f.cells_bytes + f.tokens_bytes + self.index + self.buffers;
        let rows = |what: &str, bytes: usize, note: String| {
            println!("  {what:<44} {} {note}", mib(bytes));
        };
        rows(
            "heap, start (engine, samples, flows, runtime)",
            self.started,
            String::new(),
        );
        rows(
            "  of which the log's cells",
            f.cells_bytes,
            format!("({} exchanges, {} whole)", f.exchanges, f.whole),
        );
        rows("  of which the token map", f.tokens_bytes, String::new());
        rows("  of which the journal's index", self.index, String::new());
        rows(
            "  of which the journal's buffers",
            self.buffers,
            String::new(),
        );
        rows(
            "  of which whole exchanges and the rest",
            self.started.saturating_sub(known + b_started),
            format!("(reckoned by the budget: {})", mib(f.whole_reckoned).trim()),
        );
        if base.is_some() {
            rows(
                "  of which what an empty start takes",
                b_started,
                String::new(),
            );
        }
        rows(
            "heap, peak while starting (above before)",
            self.start_peak,
            String::new(),
        );
        rows("heap, window's first frames", self.window, String::new());
        rows("  of which the list's rows", self.list, String::new());
        rows(
            "  of which egui, fonts, panels",
            self.window.saturating_sub(self.list),
            if base.is_some() {
                format!("(empty window: {})", mib(b_window).trim())
            } else {
                String::new()
            },
        );
        rows(
            "heap, the drive (read back, filter, egui)",
            self.drive,
            String::new(),
        );
        rows(
            "heap live at the end (whole process)",
            self.end.heap,
            String::new(),
        );
        rows(
            "resident, anonymous minus heap: slack",
            self.end.anon.saturating_sub(self.end.heap),
            "(the allocator's, thread stacks)".into(),
        );
        rows(
            "resident, mapped files (binary, libraries)",
            self.end.file,
            String::new(),
        );
        rows("resident, total (VmRSS)", self.end.rss, String::new());
    }
}

/// Starts the core (with `session` reopened) and its window, drives it, and says where the
/// memory went.
fn measure(
    label: String,
    session: Option<&std::path::Path>,
    drive_it: bool,
) -> (Figures, Breakdown, Started) {
    let heap0 = counting::live();
    counting::reset_peak();
    let opened_at = Instant::now();
    let started = start(session);
    let reopened = opened_at.elapsed();
    let start_peak = counting::peak().saturating_sub(heap0);
    let heap1 = counting::live();
    let footprint = started.engine.footprint();
    let (index, buffers) = started.journal.as_ref().map_or((0, 0), |j| j.footprint());
    let shown_at = Instant::now();
    let mut h = window(&started);
    h.run();
    let shown = shown_at.elapsed();
    let heap2 = counting::live();
    if let Some(s) = &started.session {
        println!(
            "reopened {} exchanges in {:.2} s ({} whole in memory); the window's first frames took {:.2} s",
            s.restored,
            reopened.as_secs_f64(),
            started.engine.in_memory(),
            shown.as_secs_f64(),
        );
        assert_eq!(
            h.state().log().len(),
            s.restored,
            "every row is in the list"
        );
    }
    let list = h.state().log().bytes();
    let figures = if drive_it {
        drive(&mut h)
    } else {
        Figures {
            frames: vec![Duration::ZERO],
            what: vec!["none"],
        }
    };
    let heap3 = counting::live();
    let breakdown = Breakdown {
        label,
        started: heap1.saturating_sub(heap0),
        start_peak,
        window: heap2.saturating_sub(heap1),
        drive: heap3.saturating_sub(heap2),
        footprint,
        index,
        buffers,
        list,
        end: memory(),
    };
    drop(h);
    (figures, breakdown, started)
}

/// One measurement, in a process of its own (its resident memory its own): `empty` (the
/// baseline, driven), or `reopen` of the session at BENCH_SESSION (after an empty start and
/// window in the same process, whose heap the breakdown sets apart), then with BENCH_INDEX
/// the whole journal indexed, timed, as its own thread would have as the session went.
fn child(role: &str) {
    if role == "empty" {
        let (base, memory, mut empty) = measure("empty log (baseline)".into(), None, true);
        report("empty log (baseline)", &base);
        println!("RSS {} MiB", rss_kib("self") / 1024);
        memory.print(None);
        empty.stop(Duration::from_secs(2));
        return;
    }
    let path = PathBuf::from(std::env::var("BENCH_SESSION").expect("BENCH_SESSION"));
    let (_, base, mut empty) = measure("empty".into(), None, false);
    empty.stop(Duration::from_secs(2));
    drop(empty);
    let label = std::env::var("BENCH_LABEL").unwrap_or_default();
    // BENCH_DRIVE=0: memory only (the frames are not driven).
    let (big, breakdown, started) = measure(label.clone(), Some(&path), env("BENCH_DRIVE", 1) != 0);
    report(&label, &big);
    println!(
        "p95 {label}: {:.2} ms (target ≤ 16 ms, issue 35: ≤ 8 ms); RSS {} MiB",
        big.pct(0.95),
        rss_kib("self") / 1024
    );
    breakdown.print(Some(&base));
    if std::env::var("BENCH_SMAPS").is_ok() {
        big_mappings();
    }
    // What of the slack the allocator gives back when asked (mimalloc's mi_collect, forced).
    let before = memory();
    counting::collect();
    let after = memory();
    println!(
        "  after the allocator's collect: resident {}, anonymous minus heap {} (was {} and {})",
        mib(after.rss).trim(),
        mib(after.anon.saturating_sub(after.heap)).trim(),
        mib(before.rss).trim(),
        mib(before.anon.saturating_sub(before.heap)).trim()
    );
    if std::env::var("BENCH_INDEX").is_ok()
        && let Some(j) = &started.journal
    {
        let t = Instant::now();
        j.index_now().expect("indexed");
        println!(
            "indexing the whole journal took {:.2} s ({} MiB of index; as a session goes, its own thread does it a second's lines at a time)",
            t.elapsed().as_secs_f64(),
            std::fs::metadata(actionbench::journal::index_path(&path)).map_or(0, |m| m.len()) >> 20
        );
    }
    let mut started = started;
    started.stop(Duration::from_secs(2));
}

/// Prints the anonymous mappings of 8 MiB or more, with how much of each is resident: a block
/// allocated but never touched (the log's bucket allocated ahead) shows as such.
fn big_mappings() {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let mut size = 0usize;
    let mut name = String::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        match (f.next(), f.next()) {
            (Some("Size:"), Some(v)) => size = v.parse().unwrap_or(0),
            (Some("Rss:"), Some(v)) if size >= 8 << 10 && name.is_empty() => {
                println!(
                    "  mapping of {} MiB: {} MiB resident",
                    size >> 10,
                    v.parse::<usize>().unwrap_or(0) >> 10
                );
            }
            (Some(range), _) if range.contains('-') && !range.ends_with(':') => {
                name = line.split_whitespace().nth(5).unwrap_or("").to_string();
            }
            _ => {}
        }
    }
}

/// Runs this bench again as a child doing `role`, with `envs`; its output comes through.
fn run_child(role: &str, envs: &[(&str, String)]) {
    let status = std::process::Command::new(std::env::current_exe().expect("this bench"))
        .env("BENCH_WINDOW_ROLE", role)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .expect("the bench runs itself");
    assert!(status.success(), "the {role} run failed");
}

fn main() {
    if let Ok(role) = std::env::var("BENCH_WINDOW_ROLE") {
        child(&role);
        return;
    }
    let rows = env("BENCH_ROWS", 1_000_000);
    let dir = std::env::temp_dir().join(format!("actionbench-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // The baseline: an empty log.
    run_child("empty", &[]);
    let made = Instant::now();
    let path = session(&dir, rows);
    println!(
        "window bench: a session of {rows} exchanges ({} MiB) written in {:.1} s, without an index (as older sessions are)",
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) >> 20,
        made.elapsed().as_secs_f64()
    );
    let session = ("BENCH_SESSION", path.display().to_string());
    let _ = std::fs::remove_file(actionbench::journal::index_path(&path));
    run_child(
        "reopen",
        &[
            session.clone(),
            ("BENCH_LABEL", format!("{rows} rows, no index")),
            ("BENCH_INDEX", "1".into()),
        ],
    );
    run_child(
        "reopen",
        &[
            session,
            ("BENCH_LABEL", format!("{rows} rows, with its index")),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
