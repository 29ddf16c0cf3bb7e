//! The egui window. It owns no server: it gets handles to the engine and the runtime.

pub mod app;
pub mod composer;
pub mod context;
pub mod filter;
pub mod json_tree;
pub mod list;
pub mod panels;
pub mod presenter;
pub mod settings;
pub mod theme;
pub mod widgets;

pub use app::{App, Core, Folders, RfdPicker, SamplePicker, Session, TargetForm};
pub use panels::left::SourceChoice;

use crate::startup::{self, InboxArgs, Listen, Plan, Started};
use std::sync::Arc;
use std::time::Duration;

/// What the window runs on, set up: the core it is given, and what started (the inbox it keeps
/// listening until it closes).
pub struct Prepared {
    pub core: Core,
    pub inbox_url: String,
    pub started: Started,
}

/// Opens the window with the inbox listening; when the window closes, held calls are answered
/// 503 and the server stops within 2 s.
pub fn run(inbox: &InboxArgs) -> Result<(), String> {
    let Prepared {
        core,
        inbox_url,
        mut started,
    } = prepare(inbox)?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(format!("ActionBench: {inbox_url}"))
            .with_icon(icon())
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([900.0, 560.0]),
        ..Default::default()
    };
    let rt = started.rt.handle().clone();
    let result = eframe::run_native(
        settings::APP_ID,
        options,
        Box::new(move |cc| {
            close_on_stop_signal(&rt, cc.egui_ctx.clone());
            let mut app = App::new(core, &cc.egui_ctx);
            let saved = cc.storage.and_then(|s| s.get_string(settings::KEY));
            app.load_settings(saved.as_deref());
            Ok(Box::new(app))
        }),
    );
    started.stop(Duration::from_secs(2));
    result.map_err(|e| format!("the window failed: {e}"))
}

/// Everything the window sets up before it draws, on the one start-up path: the engine in hold
/// mode, the session journal (a new one, or a shared page read-only), samples, flows and
/// definitions, the inbox listening (on --port, else its saved port), the signing key and the
/// relay of forward mode. The benches run the window's engine through this.
pub fn prepare(inbox: &InboxArgs) -> Result<Prepared, String> {
    // The port: --port, else the one the window was last given (kept in its settings).
    let (port, saved_port) = settings::choose_port(
        inbox.port,
        settings::stored_before_start().and_then(|s| s.port),
    );
    let started = startup::start(
        inbox,
        Plan {
            // Agents reach the window's session at /mcp.
            mount: Some(crate::mcp::mounting().0),
            ..Plan::window(Listen::Port {
                port,
                fallback: saved_port,
            })
        },
    )?;
    for w in &started.notes {
        eprintln!("warning: {w}");
    }
    let inbox_url = started.url().unwrap_or_default();
    println!("ActionBench inbox listening on {inbox_url}");
    let core = Core::new(&started, inbox, Arc::new(RfdPicker), port);
    Ok(Prepared {
        core,
        inbox_url,
        started,
    })
}

/// Ctrl-C in the terminal or SIGTERM does what closing the window does: the window closes
/// (settings saved, every recorded change written), then held calls are answered 503 and the
/// inbox stops, and the process exits 0. Another one while that takes long exits at once; one
/// within two seconds of the first is the same stop (Ctrl-C in a terminal reaches both the npm
/// launcher and the window, and the launcher passes its own on).
fn close_on_stop_signal(rt: &tokio::runtime::Handle, ctx: egui::Context) {
    rt.spawn(async move {
        crate::platform::stop_signal().await;
        let first = std::time::Instant::now();
        eprintln!("actionbench: stopping: closing the window as if it were closed");
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        ctx.request_repaint();
        loop {
            crate::platform::stop_signal().await;
            if first.elapsed() >= Duration::from_secs(2) {
                break;
            }
        }
        eprintln!("actionbench: stopped at once (a second stop signal)");
        std::process::exit(1);
    });
}

/// The window's icon (a bench with an action on it), from `assets/icon.png`.
pub fn icon() -> Arc<egui::IconData> {
    Arc::new(
        eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png"))
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_icon_decodes() {
        let icon = super::icon();
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    }
}
