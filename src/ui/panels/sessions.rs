//! The sessions window: this window's journal, a new session, and the recent ones (which are
//! open elsewhere).

use super::*;
use crate::ui::theme;

/// The recent sessions as last looked at: listing them reads the sessions folder and tries
/// each file's lock, so it is done at most every [`LOOK_EVERY`], not every frame.
#[derive(Default)]
pub struct SessionsWindow {
    /// Path, size, last change, and who else has it open.
    listed: Vec<(
        std::path::PathBuf,
        u64,
        std::time::SystemTime,
        Option<String>,
    )>,
    looked: Option<Instant>,
}

const LOOK_EVERY: Duration = Duration::from_secs(2);

impl SessionsWindow {
    fn refresh(&mut self, current: Option<&std::path::Path>) {
        if self.looked.is_some_and(|at| at.elapsed() < LOOK_EVERY) {
            return;
        }
        self.looked = Some(Instant::now());
        self.listed = crate::journal::recent_sessions(12)
            .into_iter()
            .map(|(path, size, modified)| {
                // This window's own session is locked by this window.
                let elsewhere = (Some(path.as_path()) != current)
                    .then(|| crate::journal::open_elsewhere(&path))
                    .flatten();
                (path, size, modified, elsewhere)
            })
            .collect();
    }
}

/// The session journal, and the recent ones: each opens in a new window (this one keeps
/// its own session and port).
pub fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut SessionsWindow) {
    st.refresh(cx.core.session.as_ref().map(|s| s.path.as_path()));
    let mut open = true;
    let mut spawn: Option<Vec<String>> = None;
    egui::Window::new("Sessions")
        .open(&mut open)
        .default_width(560.0)
        .show(ui.ctx(), |ui| {
            match &cx.core.session {
                Some(s) => {
                    ui.label(format!("This window records to {}", s.path.display()));
                    ui.label(
                        RichText::new(
                            "Each exchange is written before its answer leaves and synced to disk within a second.",
                        )
                        .small()
                        .weak(),
                    );
                }
                None => {
                    ui.label("This window keeps no journal.");
                }
            }
            if ui
                .button("New session in a new window")
                .on_hover_text("A new window with an empty log and a new journal (on a free port)")
                .clicked()
            {
                spawn = Some(vec!["--port".into(), "0".into()]);
            }
            ui.separator();
            ui.label(RichText::new("Recent sessions").strong());
            if st.listed.is_empty() {
                ui.label(RichText::new("None yet").weak());
            }
            egui::Grid::new("recent-sessions").striped(true).show(ui, |ui| {
                for (path, size, modified, elsewhere) in &st.listed {
                    let when: DateTime<Utc> = (*modified).into();
                    ui.label(
                        RichText::new(
                            path.file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                        )
                        .monospace(),
                    )
                    .on_hover_text(path.display().to_string());
                    ui.label(format!("{} KiB", size.div_ceil(1024)));
                    ui.label(when.format("%Y-%m-%d %H:%M").to_string());
                    let current = cx.core.session.as_ref().is_some_and(|s| &s.path == path);
                    if current {
                        ui.label(RichText::new("this window").weak());
                    } else if let Some(who) = elsewhere {
                        ui.label(
                            RichText::new("open elsewhere")
                                .color(theme::WARNING),
                        )
                        .on_hover_text(format!(
                            "Open in {who}: one ActionBench writes a session at a time"
                        ));
                    } else if ui.small_button("Open in a new window").clicked() {
                        spawn = Some(vec![
                            "--session".into(),
                            path.display().to_string(),
                            "--port".into(),
                            "0".into(),
                        ]);
                    }
                    ui.end_row();
                }
            });
        });
    // Starting a process is not drawing's business: the dispatcher does it.
    if let Some(args) = spawn {
        cx.tx.send(Command::OpenNewWindow(args));
    }
    if !open {
        cx.tx.send(Command::ShowWindow(Window::Sessions, false));
    }
}
