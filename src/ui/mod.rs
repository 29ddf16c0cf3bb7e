//! The egui window. It owns no server: it gets handles to the engine and the runtime.

pub mod app;
pub mod composer;
pub mod filter;
pub mod json_tree;
pub mod list;
pub mod panels;
pub mod presenter;
pub mod settings;
pub mod theme;
pub mod widgets;

pub use app::{App, Core, Folders, RfdPicker, SamplePicker, Session, SourceChoice, TargetForm};

use crate::domain::flow::LoadedFlow;
use crate::engine::Mode;
use crate::play::{Forwarder, Player, Signer};
use crate::server;
use crate::startup::Inbox;
use crate::startup::InboxArgs;
use std::sync::Arc;
use std::time::Duration;

/// What the window runs on, set up: the core it is given, and the inbox it keeps listening
/// until it closes.
pub struct Prepared {
    pub core: Core,
    pub inbox_url: String,
    started: Inbox,
    handle: server::ServerHandle,
}

/// Opens the window with the inbox listening; when the window closes, held calls are answered
/// 503 and the server stops within 2 s.
pub fn run(inbox: &InboxArgs) -> Result<(), String> {
    let Prepared {
        core,
        inbox_url,
        started,
        handle,
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
    started.rt.block_on(handle.stop(Duration::from_secs(2)));
    result.map_err(|e| format!("the window failed: {e}"))
}

/// Everything the window sets up before it draws: the engine in hold mode, the session journal,
/// samples, flows and definitions, the inbox listening, the signing key and the forwarder.
/// The benches run the window's engine through this, as the window runs it.
pub fn prepare(inbox: &InboxArgs) -> Result<Prepared, String> {
    // The port: --port, else the one the window was last given (kept in its settings).
    let (port, saved_port) = settings::choose_port(
        inbox.port,
        settings::stored_before_start().and_then(|s| s.port),
    );
    // A refused address is said before any session file is opened.
    server::check_bind(inbox.bind, port, inbox.allow_remote).map_err(|e| e.to_string())?;
    let started = Inbox::new(inbox, Mode::Hold, |_| {})?;
    let engine = started.engine.clone();
    // The session journal: --session, else a new one in the data folder.
    let session = inbox
        .session
        .clone()
        .or_else(crate::journal::new_session_path);
    // A shared page opens read-only: its calls are shown, and nothing is recorded to it.
    let opened = match &session {
        Some(path) if crate::journal::is_shared_page(path) => {
            let (restored, warnings) = crate::journal::open_read_only(&engine, path)?;
            Some(Session {
                path: path.clone(),
                restored,
                warnings,
                read_only: true,
            })
        }
        Some(path) => {
            let o = crate::journal::attach(&engine, path)?;
            Some(Session {
                path: o.journal.path().to_path_buf(),
                restored: o.restored,
                warnings: o.warnings,
                read_only: false,
            })
        }
        None => None,
    };
    let (samples, sample_errors) = inbox.load_samples();
    let (mut flows, flow_errors) = match inbox.flows_dir() {
        d if d.is_dir() => LoadedFlow::load_dir(&d),
        _ => (vec![], vec![]),
    };
    let defs = inbox.definitions();
    for f in &mut flows {
        f.take_schemas_from(&defs);
    }
    let mut present = inbox.present.as_deref().map(LoadedFlow::load).transpose()?;
    if let Some(f) = &mut present {
        f.take_schemas_from(&defs);
    }
    engine.add_samples(&samples);
    let rt = &started.rt;
    let mut port_note = None;
    let handle = match started.listen(inbox, port) {
        Ok(h) => h,
        // A saved port that is taken now: the default one, else any free one, saying so.
        Err(e) if saved_port => {
            let h = match started.listen(inbox, crate::startup::DEFAULT_PORT) {
                Ok(h) => h,
                Err(_) => started.listen(inbox, 0).map_err(|e| e.to_string())?,
            };
            port_note = Some(format!(
                "the saved port {port} could not be used ({e}): listening on {} instead",
                h.addr.port()
            ));
            h
        }
        Err(e) => return Err(e.to_string()),
    };
    let remote_warning = (!handle.addr.ip().is_loopback())
        .then(|| {
            format!(
                "listening on {}: other machines can call the inbox",
                handle.addr.ip()
            )
        })
        .into_iter()
        .chain(port_note)
        .reduce(|a, b| format!("{a}; {b}"));
    if let Some(w) = &remote_warning {
        eprintln!("warning: {w}");
    }
    let inbox_url = format!("http://{}", handle.addr);
    println!("ActionBench inbox listening on {inbox_url}");
    // Made on first use; a refused key file (readable by others) is shown, not fatal.
    let key = inbox
        .key_dir()
        .and_then(|dir| crate::play::keys::load_or_create(&dir));
    let public_key = key
        .as_ref()
        .map(|k| k.public_pem.clone())
        .map_err(Clone::clone);
    let signer = key
        .ok()
        .and_then(|k| Signer::from_key(&k).ok())
        .map(Arc::new);
    let player = Player::new(engine.clone(), signer);
    let target = Arc::new(std::sync::RwLock::new(None));
    engine.set_relay(Some(Arc::new(Forwarder::new(
        player.clone(),
        target.clone(),
    ))));
    let core = Core {
        definitions: defs,
        player,
        target,
        target_form: TargetForm::new(
            inbox.target.as_deref(),
            inbox.app_id.as_deref(),
            inbox.instance_id.as_deref(),
        ),
        flows,
        flow_errors,
        present,
        public_key,
        engine,
        runtime: rt.handle().clone(),
        inbox_url: inbox_url.clone(),
        remote_warning,
        samples,
        sample_errors,
        session: opened,
        picker: Arc::new(RfdPicker),
        // Whole paths: the path field shows where a file goes, whatever the current folder.
        folders: Folders {
            samples: absolute(inbox.samples_dir()),
            flows: absolute(inbox.flows_dir()),
            actions: absolute(inbox.actions_dir()),
            sessions: crate::journal::sessions_dir(),
        },
        port,
    };
    Ok(Prepared {
        core,
        inbox_url,
        started,
        handle,
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

fn absolute(p: std::path::PathBuf) -> std::path::PathBuf {
    std::path::absolute(&p).unwrap_or(p)
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
