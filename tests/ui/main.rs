//! The window, driven with egui_kittest (no GPU, no display): calls arrive over a real socket,
//! answers are crafted in the composer, completion and deadlines move the timeline. One module
//! per panel; this file holds the bench, the window builder and the helpers they share.

#[path = "../common/mod.rs"]
mod common;

mod actions;
mod detail;
mod files;
mod held;
mod left;
mod log;
mod presenter;
mod top_bar;
mod whole;
mod windows;

use actionbench::domain::clock::ManualClock;
use actionbench::domain::flow::LoadedFlow;
use actionbench::domain::invocation::Phase;
use actionbench::engine::Mode;
use actionbench::startup::Started;
use actionbench::ui::app::Asked;
use actionbench::ui::{App, Core, Folders, SamplePicker};
use chrono::Duration;
use clap::Parser;
use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// What the window starts with, started on the window's own start-up path (`startup::start`,
/// as `ui::prepare` does) but on a manual clock and a free port, without a journal or a key.
struct Bench {
    started: Started,
    /// The options it started with.
    args: actionbench::startup::InboxArgs,
    url: String,
    /// The engine's clock, moved by the test (unless the bench runs on the system's).
    clock: Arc<ManualClock>,
    /// The developer's action, for "Send to your action" and forward mode.
    target: Option<String>,
    /// A flow to present at once, as --present does.
    present: Option<LoadedFlow>,
}

impl std::ops::Deref for Bench {
    type Target = Started;
    fn deref(&self) -> &Started {
        &self.started
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        self.started.stop(std::time::Duration::from_secs(2));
    }
}

/// A file dialog that answers at once: a file, or why no dialog can open; or a file, noting
/// where the dialog was asked to start (the folder and, to save, the name).
enum FixedPicker {
    File(PathBuf),
    NoService(&'static str),
    Noted(PathBuf, Arc<std::sync::Mutex<Vec<(PathBuf, String)>>>),
}

impl SamplePicker for FixedPicker {
    fn save(&self, title: &str, dir: &std::path::Path, name: &str) -> Asked {
        if let FixedPicker::Noted(_, noted) = self {
            noted
                .lock()
                .expect("not poisoned")
                .push((dir.to_path_buf(), name.to_string()));
        }
        self.answer(title)
    }

    fn pick(&self, title: &str, dir: &std::path::Path) -> Asked {
        if let FixedPicker::Noted(_, noted) = self {
            noted
                .lock()
                .expect("not poisoned")
                .push((dir.to_path_buf(), String::new()));
        }
        self.answer(title)
    }
}

impl FixedPicker {
    fn answer(&self, _title: &str) -> Asked {
        let picked = match self {
            FixedPicker::File(p) | FixedPicker::Noted(p, _) => Ok(Some(p.clone())),
            FixedPicker::NoService(why) => Err(why.to_string()),
        };
        Box::pin(std::future::ready(picked))
    }
}

fn bench() -> Bench {
    bench_with(|_| {})
}

fn bench_with(configure: impl FnOnce(&mut actionbench::engine::EngineConfig) + 'static) -> Bench {
    let clock = Arc::new(ManualClock::new(t0()));
    bench_on(clock.clone(), clock, configure)
}

/// A bench whose engine runs on `clock` (`manual` is what the test moves).
fn bench_on(
    clock: Arc<dyn actionbench::domain::clock::Clock>,
    manual: Arc<ManualClock>,
    configure: impl FnOnce(&mut actionbench::engine::EngineConfig) + 'static,
) -> Bench {
    bench_args(clock, manual, configure, &[])
}

/// [`bench_on`] with these options besides the bench's own (`--samples DIR`…).
fn bench_args(
    clock: Arc<dyn actionbench::domain::clock::Clock>,
    manual: Arc<ManualClock>,
    configure: impl FnOnce(&mut actionbench::engine::EngineConfig) + 'static,
    more: &[&str],
) -> Bench {
    use actionbench::startup::{Journaling, KeyUse, Listen, Plan};
    let args = actionbench::cli::Cli::parse_from(
        ["actionbench", "--instance-id", "inst-ui"]
            .iter()
            .chain(more),
    )
    .inbox;
    let started = actionbench::startup::start(
        &args,
        // The window's plan, on the test's clock, with no journal and no key of the user's.
        Plan {
            clock,
            configure: Box::new(configure),
            journal: Journaling::Off,
            key: KeyUse::Off,
            mount: Some(actionbench::mcp::mounting().0),
            ..Plan::window(Listen::Port {
                port: 0,
                fallback: false,
            })
        },
    )
    .expect("the window's start");
    Bench {
        url: started.url().expect("listening"),
        started,
        args,
        clock: manual,
        target: None,
        present: None,
    }
}

/// The window over bench `b`, built with defaults (1280×800, a file dialog that opens the
/// fixture sample) that a test may change.
fn window(b: &Bench) -> WindowBuilder<'_> {
    WindowBuilder {
        b,
        picker: FixedPicker::File(root().join("tests/fixtures/opened-sample.json")),
        size: egui::vec2(1280.0, 800.0),
        folders: Folders {
            samples: root().join("samples"),
            flows: root().join("samples/flows"),
            actions: root().join("samples/actions"),
            sessions: None,
        },
    }
}

struct WindowBuilder<'a> {
    b: &'a Bench,
    picker: FixedPicker,
    size: egui::Vec2,
    pub folders: Folders,
}

impl WindowBuilder<'_> {
    fn picker(mut self, picker: FixedPicker) -> Self {
        self.picker = picker;
        self
    }

    fn size(mut self, size: egui::Vec2) -> Self {
        self.size = size;
        self
    }

    fn folders(mut self, folders: Folders) -> Self {
        self.folders = folders;
        self
    }

    fn build(self) -> Harness<'static, App> {
        let WindowBuilder {
            b,
            picker,
            size,
            folders,
        } = self;
        let mut args = b.args.clone();
        args.target = b.target.clone();
        let mut core = Core::new(b, &args, Arc::new(picker), 0);
        core.present = b.present.clone();
        core.folders = folders;
        // A key of the test's own: making a real one takes seconds.
        core.public_key = Ok("-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n".into());
        // New content (a held call, an opened sample) can take a few sizing passes to settle; a
        // window that never settles still fails.
        Harness::builder()
            .with_max_steps(8)
            .with_size(size)
            .build_eframe(move |cc| App::new(core, &cc.egui_ctx))
    }
}

/// How long a test waits for something that arrives from another thread.
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Steps the window until `done` holds, for at most `timeout` of real time (then fails,
/// saying what it waited for); one run once it holds, so the frame settles (and a repaint
/// storm still fails the test). Every wait in these tests is this one.
fn step_until(
    h: &mut Harness<'static, App>,
    what: &str,
    timeout: std::time::Duration,
    mut done: impl FnMut(&Harness<'static, App>) -> bool,
) {
    let start = std::time::Instant::now();
    loop {
        // A step, not a run: what is waited for arrives from another thread at any moment.
        h.step();
        if done(h) {
            h.run();
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "gave up after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A `step_until` predicate: a label containing `text` shows.
fn shows(text: &str) -> impl FnMut(&Harness<'static, App>) -> bool + '_ {
    move |h| h.query_all_by_label_contains(text).next().is_some()
}

/// Clicks the widget labelled `label` and runs the frame that follows.
fn click(h: &mut Harness<'static, App>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).click();
    h.run();
}

/// Waits (bounded) until the engine holds `n` calls: the HTTP request is in flight on another
/// thread.
fn wait_held(b: &Bench, n: usize) {
    wait_until(&format!("{n} held calls"), || {
        b.engine
            .snapshot()
            .iter()
            .filter(|e| e.phase.is_held())
            .count()
            >= n
    });
}

/// Posts a sample to the inbox over HTTP; the answer comes back through the join handle.
fn post_sample(b: &Bench, prefix: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let body = sample(prefix).sample.envelope(false).to_string();
    let url = format!("{}/v1/invoke", b.url);
    b.rt.spawn(async move {
        let res = reqwest::Client::new()
            .post(url)
            .body(body)
            .send()
            .await
            .expect("sent");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json answer"))
    })
}

#[derive(Debug)]
struct TestDrop(PathBuf);

impl egui::DroppedFile for TestDrop {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Clicks the `nth` button labelled exactly `label` (one per sample).
fn click_nth(h: &mut Harness<'static, App>, label: &str, nth: usize) {
    // Scrolled to first, as a user would: a list scrolls under its pinned tab row.
    h.get_all_by_label(label)
        .nth(nth)
        .unwrap_or_else(|| panic!("no button {nth} labelled {label:?}"))
        .scroll_to_me();
    h.run();
    h.get_all_by_label(label)
        .nth(nth)
        .unwrap_or_else(|| panic!("no button {nth} labelled {label:?}"))
        .click();
}

/// Index of the sample whose file starts with `prefix`, among those with valid params.
fn sample_index(prefix: &str) -> usize {
    samples()
        .iter()
        .filter(|s| s.params_findings.is_empty())
        .position(|s| {
            s.path.as_ref().is_some_and(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
        })
        .unwrap_or_else(|| panic!("no valid sample {prefix}"))
}

/// The caption of the latest event of the presented run.
fn shown_caption(app: &App) -> String {
    let p = app.presenter().expect("presenting");
    let events = &app.runs()[p.run].events;
    let i = p.cursor.unwrap_or(events.len().saturating_sub(1));
    events.get(i).map(|e| e.caption.clone()).unwrap_or_default()
}

/// Posts a raw body to the inbox and waits for its answer.
fn post_raw(b: &Bench, path: &str, body: &str) -> u16 {
    let url = format!("{}{path}", b.url);
    let body = body.to_string();
    b.rt.block_on(async move {
        reqwest::Client::new()
            .post(url)
            .body(body)
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16()
    })
}

/// The answer to a call in flight, within 10 s.
fn answered(b: &Bench, call: tokio::task::JoinHandle<(u16, Value)>) -> (u16, Value) {
    b.rt.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(10), call).await })
        .expect("answered within 10 s")
        .expect("the call did not panic")
}

/// A node's text: its label, else its value (a label's text is its value).
fn text_of(n: &egui_kittest::Node<'_>) -> Option<String> {
    let a = n.accesskit_node();
    a.label().or_else(|| a.value())
}
