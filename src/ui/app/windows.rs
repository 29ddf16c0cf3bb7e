//! The windows over the log: the envelope lab, sessions, the diff of two exchanges, and
//! ActionBench's public key.

use super::*;

impl App {
    /// The envelope lab's results: what a correct action does, and what this one did.
    pub(super) fn lab_window(&mut self, ui: &mut Ui) {
        let mut open = true;
        let mut select = None;
        egui::Window::new("Envelope lab")
            .open(&mut open)
            .default_width(640.0)
            .default_height(420.0)
            .show(ui.ctx(), |ui| {
                ui.label(
                    "Each envelope is wrong on purpose. A correct action refuses every one (any 4xx), \
                     as the SDK's AppStrategy does.",
                );
                match &self.windows.lab.result {
                    None if self.windows.lab.running => {
                        ui.spinner();
                    }
                    None => {}
                    Some(Err(e)) => {
                        ui.label(RichText::new(e).color(Color32::from_rgb(220, 70, 60)));
                    }
                    Some(Ok(rows)) => {
                        if self.windows.lab.running {
                            ui.label(RichText::new("Running again…").weak());
                        }
                        egui::ScrollArea::vertical()
                            .auto_shrink([false, true])
                            .show(ui, |ui| {
                            egui::Grid::new("lab-rows")
                                .striped(true)
                                .num_columns(3)
                                .show(ui, |ui| {
                                    for r in rows {
                                        let (mark, color) = match &r.verdict {
                                            crate::domain::lab::LabVerdict::Refused(_) => {
                                                ("refused", Color32::from_rgb(60, 170, 90))
                                            }
                                            crate::domain::lab::LabVerdict::Accepted(_) => {
                                                ("ACCEPTED", Color32::from_rgb(220, 70, 60))
                                            }
                                            _ => ("wrong", Color32::from_rgb(230, 160, 40)),
                                        };
                                        if ui.link(format!("#{}", r.id)).clicked() {
                                            select = Some(r.id);
                                        }
                                        ui.label(RichText::new(mark).strong().color(color));
                                        ui.vertical(|ui| {
                                            ui.label(RichText::new(r.probe.what).strong());
                                            ui.label(
                                                RichText::new(r.verdict.explain(&r.probe)).small(),
                                            );
                                        });
                                        ui.end_row();
                                    }
                                });
                        });
                    }
                }
            });
        if let Some(id) = select {
            self.commands.send(Command::Select(id));
        }
        self.windows.open.lab &= open;
    }

    /// The session journal, and the recent ones: each opens in a new window (this one keeps
    /// its own session and port).
    pub(super) fn sessions_window(&mut self, ui: &mut Ui) {
        let mut open = true;
        let mut spawn: Option<Vec<String>> = None;
        egui::Window::new("Sessions")
            .open(&mut open)
            .default_width(560.0)
            .show(ui.ctx(), |ui| {
                match &self.core.session {
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
                let recent = crate::journal::recent_sessions(12);
                if recent.is_empty() {
                    ui.label(RichText::new("None yet").weak());
                }
                egui::Grid::new("recent-sessions").striped(true).show(ui, |ui| {
                    for (path, size, modified) in recent {
                        let when: DateTime<Utc> = modified.into();
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
                        let current = self.core.session.as_ref().is_some_and(|s| s.path == path);
                        if current {
                            ui.label(RichText::new("this window").weak());
                        } else if let Some(who) = crate::journal::open_elsewhere(&path) {
                            ui.label(
                                RichText::new("open elsewhere")
                                    .color(Color32::from_rgb(230, 160, 40)),
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
        if let Some(args) = spawn {
            let started = std::env::current_exe()
                .map_err(|e| e.to_string())
                .and_then(|exe| {
                    std::process::Command::new(exe)
                        .args(&args)
                        .spawn()
                        .map_err(|e| e.to_string())
                });
            self.status = Some(match started {
                Ok(_) => ("Opening a new window…".into(), false),
                Err(e) => (format!("Could not open a new window: {e}"), true),
            });
        }
        self.windows.open.sessions &= open;
    }

    /// Two exchanges field by field; ids, tokens and times hidden unless asked for.
    pub(super) fn diff_window(&mut self, ui: &mut Ui) {
        let Some((a, b)) = self.windows.diff.pair else {
            return;
        };
        let (Some(left), Some(right)) = (self.whole(a), self.whole(b)) else {
            self.windows.diff.pair = None;
            return;
        };
        let all = crate::domain::diff::diff(&left, &right);
        let hidden = all.iter().filter(|d| d.volatile).count();
        let mut open = true;
        let mut show_volatile = self.windows.diff.volatile;
        egui::Window::new(format!("#{a} and #{b}"))
            .id(egui::Id::unique("diff-window"))
            .open(&mut open)
            .default_width(720.0)
            .default_height(460.0)
            .show(ui.ctx(), |ui| {
                ui.checkbox(
                    &mut show_volatile,
                    format!("Show ids, tokens and times ({hidden})"),
                );
                let shown: Vec<_> = all
                    .iter()
                    .filter(|d| show_volatile || !d.volatile)
                    .collect();
                if shown.is_empty() {
                    ui.label(
                        RichText::new("The same, but for ids, tokens and times")
                            .color(Color32::from_rgb(60, 170, 90)),
                    );
                }
                let value = |v: &Option<serde_json::Value>| match v {
                    Some(v) => clip(&v.to_string(), 300),
                    None => "(absent)".to_string(),
                };
                egui::ScrollArea::vertical().show(ui, |ui| {
                    egui::Grid::new("diff-grid")
                        .striped(true)
                        .num_columns(3)
                        .min_col_width(120.0)
                        .show(ui, |ui| {
                            ui.strong("Field");
                            ui.strong(format!("#{a}"));
                            ui.strong(format!("#{b}"));
                            ui.end_row();
                            for d in shown {
                                let color = if d.volatile {
                                    ui.visuals().weak_text_color()
                                } else {
                                    ui.visuals().text_color()
                                };
                                ui.label(RichText::new(&d.path).monospace().color(color));
                                ui.label(
                                    RichText::new(value(&d.left))
                                        .monospace()
                                        .color(Color32::from_rgb(220, 110, 90)),
                                );
                                ui.label(
                                    RichText::new(value(&d.right))
                                        .monospace()
                                        .color(Color32::from_rgb(90, 180, 110)),
                                );
                                ui.end_row();
                            }
                        });
                });
            });
        self.windows.diff.volatile = show_volatile;
        if !open {
            self.windows.diff.pair = None;
        }
    }

    /// ActionBench's public key, with a copy button.
    pub(super) fn key_window(&mut self, ui: &mut Ui) {
        let mut open = true;
        egui::Window::new("ActionBench's public key")
            .open(&mut open)
            .default_width(620.0)
            .show(ui.ctx(), |ui| match &self.core.public_key {
                Ok(pem) => {
                    ui.label(
                        "ActionBench signs the requests it sends to your action with its own key. \
                         Paste this where your app's public key goes, e.g. \
                         AppStrategy({ appId, publicKey }), so your action accepts them.",
                    );
                    if ui.button("Copy").clicked() {
                        ui.ctx().copy_text(pem.clone());
                        self.status = Some(("Public key copied".into(), false));
                    }
                    ui.add(
                        egui::TextEdit::multiline(&mut pem.as_str())
                            .code_editor()
                            .desired_width(f32::INFINITY),
                    );
                }
                Err(e) => {
                    ui.label(
                        RichText::new(format!("No signing key: {e}"))
                            .color(Color32::from_rgb(220, 70, 60)),
                    );
                }
            });
        self.windows.open.key &= open;
    }
}
