//! The window at rest: the CPU a real window takes while nobody touches it, on a virtual
//! display (Xvfb; Mesa's software renderer draws every frame on the CPU). The window redraws
//! once a second while it shows a clock, and otherwise sleeps; this measures what that costs.
//!
//! Four windows in the same run, each in its own process, each left alone to settle and then
//! measured over IDLE_SECONDS (20) from the kernel's accounting of its CPU time (/proc):
//! - a bare eframe window that never asks to be redrawn (the floor);
//! - the same window asking for a frame once a second, as a clock does (the floor for a clock);
//! - ActionBench with an empty log;
//! - ActionBench reopening a session of IDLE_ROWS (100,000) exchanges.
//!
//! Needs Xvfb (`apt-get install xvfb`); without it, it says so and measures nothing.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{env, session};

/// The bench run as a child window (`IDLE_BARE=still` or `IDLE_BARE=tick`).
fn bare_window(tick: bool) {
    struct Bare {
        tick: bool,
    }
    impl eframe::App for Bare {
        fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.heading("A bare eframe window");
                ui.label(chrono::Utc::now().format("%H:%M:%S").to_string());
            });
            if self.tick {
                ui.ctx().request_repaint_after(Duration::from_secs(1));
            }
        }
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    let _ = eframe::run_native(
        "idle-bench",
        options,
        Box::new(move |_| Ok(Box::new(Bare { tick }))),
    );
}

/// CPU time (user + system) of process `pid` so far.
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    let ticks: u64 = f.iter().sum();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

struct Xvfb(Child, String);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn xvfb() -> Option<Xvfb> {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    Some(Xvfb(child, format!(":{}", line.trim())))
}

/// Starts `cmd` on display `x` with a home of its own; measures its idle CPU after `settle`.
fn measure(label: &str, mut cmd: Command, x: &Xvfb, home: &Path, settle: Duration) -> f64 {
    let runtime = home.join("run");
    let _ = std::fs::create_dir_all(&runtime);
    let mut child = cmd
        .env("DISPLAY", &x.1)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    std::thread::sleep(settle);
    let secs = env("IDLE_SECONDS", 20) as u64;
    let (c0, t0) = (cpu(child.id()), Instant::now());
    std::thread::sleep(Duration::from_secs(secs));
    let (c1, t1) = (cpu(child.id()), Instant::now());
    let _ = child.kill();
    let _ = child.wait();
    let share = (c1 - c0).as_secs_f64() / (t1 - t0).as_secs_f64() * 100.0;
    println!(
        "{label:<44} {:>6.2} % of a core ({} ms of CPU in {secs} s)",
        share,
        (c1 - c0).as_millis()
    );
    share
}

fn main() {
    match std::env::var("IDLE_BARE").as_deref() {
        Ok("still") => return bare_window(false),
        Ok("tick") => return bare_window(true),
        _ => {}
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some(x) = xvfb() else {
        println!("idle: needs Xvfb (apt-get install xvfb) to open real windows; nothing measured");
        return;
    };
    let dir = std::env::temp_dir().join(format!("actionbench-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let rows = env("IDLE_ROWS", 100_000);
    let big = session(&dir, rows);
    let me = std::env::current_exe().expect("the bench");
    let app = env!("CARGO_BIN_EXE_actionbench");
    println!("idle CPU of a window nobody touches, on Xvfb 1280x800 (software rendering):");
    let settle = Duration::from_secs(5);
    let mut still = Command::new(&me);
    still.env("IDLE_BARE", "still");
    let floor = measure(
        "bare eframe window, never redrawn",
        still,
        &x,
        &dir.join("h1"),
        settle,
    );
    let mut tick = Command::new(&me);
    tick.env("IDLE_BARE", "tick");
    let clock = measure(
        "bare eframe window, redrawn once a second",
        tick,
        &x,
        &dir.join("h2"),
        settle,
    );
    let mut empty = Command::new(app);
    empty
        .args(["--port", "0", "--session"])
        .arg(dir.join("empty.jsonl"));
    let ours = measure("ActionBench, empty log", empty, &x, &dir.join("h3"), settle);
    let mut full = Command::new(app);
    full.args(["--port", "0", "--session"]).arg(&big);
    let with_rows = measure(
        &format!("ActionBench, {rows} rows reopened"),
        full,
        &x,
        &dir.join("h4"),
        settle + Duration::from_secs(5),
    );
    println!(
        "ActionBench idle against the once-a-second floor: {:.2}x empty, {:.2}x with {rows} rows (the still floor: {floor:.2} %)",
        ours / clock.max(0.01),
        with_rows / clock.max(0.01)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
