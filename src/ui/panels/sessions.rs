//! The sessions window: this window's journal, a new session, and the recent ones (which are
//! open elsewhere). A row is one target: a click anywhere on it selects it, ↑/↓ move, and the
//! selected one opens in a new window (its button, Enter, or a double click).

use super::{
    Column, Command, DateTime, Duration, Instant, ListFocus, RichText, TableBuilder, Ui, Utc,
    ViewCtx, Window, arrow_move,
};
use crate::ui::theme;

/// A recent session as last looked at.
pub struct Listed {
    pub path: std::path::PathBuf,
    pub size: u64,
    pub modified: std::time::SystemTime,
    /// Who else has it open, when someone has.
    pub elsewhere: Option<String>,
}

/// The recent sessions as last looked at: listing them reads the sessions folder and tries
/// each file's lock, so it is done at most every [`LOOK_EVERY`], not every frame.
#[derive(Default)]
pub struct SessionsWindow {
    listed: Vec<Listed>,
    looked: Option<Instant>,
    /// The session selected in the list.
    selected: Option<std::path::PathBuf>,
}

const LOOK_EVERY: Duration = Duration::from_secs(2);

impl SessionsWindow {
    fn refresh(&mut self, dir: Option<&std::path::Path>, current: Option<&std::path::Path>) {
        if self.looked.is_some_and(|at| at.elapsed() < LOOK_EVERY) {
            return;
        }
        self.looked = Some(Instant::now());
        let found = dir.map_or(vec![], |d| crate::journal::recent_sessions(d, 12));
        self.listed = found
            .into_iter()
            .map(|(path, size, modified)| {
                // This window's own session is locked by this window.
                let elsewhere = (Some(path.as_path()) != current)
                    .then(|| crate::journal::open_elsewhere(&path))
                    .flatten();
                Listed {
                    path,
                    size,
                    modified,
                    elsewhere,
                }
            })
            .collect();
    }
}

impl SessionsWindow {
    pub fn show(&mut self, ui: &mut Ui, cx: &ViewCtx) {
        if cx.open.sessions {
            show(ui, cx, self);
        }
    }
}

/// The session journal, and the recent ones: each opens in a new window (this one keeps
/// its own session and port).
fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut SessionsWindow) {
    let current = cx.core.session.as_ref().map(|s| s.path.as_path());
    st.refresh(cx.core.folders.sessions.as_deref(), current);
    let mut open = true;
    let mut spawn: Option<Vec<String>> = None;
    let mut keys = false;
    let area = crate::ui::widgets::work_area(ui.ctx());
    egui::Window::new("Sessions")
        .open(&mut open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(24.0, 8.0))
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
                return;
            }
            let (choice, opened) = list(ui, cx, st);
            keys = choice.is_some() || opened;
            if choice.is_some() {
                st.selected = choice;
            }
            let chosen = st
                .selected
                .as_ref()
                .and_then(|p| st.listed.iter().find(|l| &l.path == p));
            let Some(l) = chosen else {
                ui.label(RichText::new("Select a session to open it in a new window").weak());
                return;
            };
            ui.label(RichText::new(l.path.display().to_string()).monospace().small());
            let openable = Some(l.path.as_path()) != current && l.elsewhere.is_none();
            let enter = keys_here(cx)
                && ui.memory(|m| m.focused().is_none())
                && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui
                .add_enabled(openable, egui::Button::new("Open in a new window"))
                .on_disabled_hover_text(match &l.elsewhere {
                    Some(who) => format!("Open in {who}: one ActionBench writes a session at a time"),
                    None => "This window records to it".into(),
                })
                .clicked()
                || (openable && (opened || enter))
            {
                spawn = Some(vec![
                    "--session".into(),
                    l.path.display().to_string(),
                    "--port".into(),
                    "0".into(),
                ]);
            }
        });
    // Starting a process is not drawing's business: the dispatcher does it.
    if let Some(args) = spawn {
        cx.tx.send(Command::OpenNewWindow(args));
    }
    if keys {
        cx.tx.send(Command::KeysTo(ListFocus::Sessions));
    }
    if !open {
        cx.tx.send(Command::ShowWindow(Window::Sessions, false));
    }
}

fn keys_here(cx: &ViewCtx) -> bool {
    cx.keys_to == ListFocus::Sessions
}

/// The recent sessions as a table of rows: the row clicked or moved to with ↑/↓, and whether
/// one was double-clicked (open it).
fn list(ui: &mut Ui, cx: &ViewCtx, st: &SessionsWindow) -> (Option<std::path::PathBuf>, bool) {
    let current = cx.core.session.as_ref().map(|s| s.path.as_path());
    let at = st
        .selected
        .as_ref()
        .and_then(|p| st.listed.iter().position(|l| &l.path == p));
    let moved = keys_here(cx)
        .then(|| arrow_move(ui, st.listed.len(), at, 5))
        .flatten();
    let mut chosen = moved.map(|i| st.listed[i].path.clone());
    let mut opened = false;
    ui.push_id("recent-sessions", |ui| {
        ui.style_mut().interaction.selectable_labels = false;
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut table = TableBuilder::new(ui)
            .striped(true)
            .sense(egui::Sense::click())
            .max_scroll_height(row_h * 8.0)
            .column(Column::auto().at_least(220.0).clip(true))
            .column(Column::auto().at_least(70.0))
            .column(Column::auto().at_least(120.0))
            .column(Column::remainder().at_least(100.0));
        if let Some(to) = moved {
            table = table.scroll_to_row(to, None);
        }
        table.body(|body| {
            body.rows(row_h, st.listed.len(), |mut row| {
                let l = &st.listed[row.index()];
                row.set_selected(st.selected.as_ref() == Some(&l.path));
                let when: DateTime<Utc> = l.modified.into();
                row.col(|ui| {
                    let name = l
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    ui.label(RichText::new(name).monospace());
                });
                row.col(|ui| {
                    ui.label(format!("{} KiB", l.size.div_ceil(1024)));
                });
                row.col(|ui| {
                    ui.label(when.format("%Y-%m-%d %H:%M").to_string());
                });
                row.col(|ui| {
                    if current == Some(l.path.as_path()) {
                        ui.label(RichText::new("this window").weak());
                    } else if let Some(who) = &l.elsewhere {
                        ui.label(
                            RichText::new("open elsewhere").color(theme::ink(ui, theme::WARNING)),
                        )
                        .on_hover_text(format!(
                            "Open in {who}: one ActionBench writes a session at a time"
                        ));
                    }
                });
                let r = row.response();
                if r.clicked() || r.double_clicked() {
                    chosen = Some(l.path.clone());
                }
                opened |= r.double_clicked();
            });
        });
    });
    (chosen, opened)
}
