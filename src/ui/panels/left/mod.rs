//! The left panel: your action, the Samples and Flows tabs, the action keys, the protocol
//! assumptions and the allowed hosts.

pub mod action;
pub mod actions;
pub mod flows;
pub mod hosts;
pub mod keys;

use super::*;
pub(super) use crate::domain::assumptions::{EXPLAINED, ExtraReport};
pub(super) use crate::engine::{Mode, Policy};
pub(super) use crate::play::Target;
use crate::ui::widgets::finding_list;

/// The left panel: its tab, your action's form, and the allowed hosts being typed.
pub struct LeftPanel {
    pub tab: LeftTab,
    pub action: YourAction,
    pub hosts: HostsField,
    pub actions: actions::ActionsTab,
}

/// The form for your action, and where a sent sample says it came from.
pub struct YourAction {
    pub form: TargetForm,
    /// The form as a target, or what to fix; recomputed when the form changes.
    pub target: Result<Target, String>,
    pub source: SourceChoice,
    pub skip_delays: bool,
}

/// The allowed hosts as typed (comma-separated), and why they were not taken.
#[derive(Default)]
pub struct HostsField {
    pub text: String,
    pub error: Option<String>,
    /// What the last Apply allowed, said until the field changes.
    pub applied: Option<String>,
}

/// The left panel is one scroll: on a short window its lower sections (action keys, protocol
/// assumptions, allowed hosts) are scrolled to, never squeezed into a strip.
pub fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut LeftPanel) {
    // The list takes a good half of what the panel shows; what follows it is scrolled to.
    let list_height = (ui.available_height() * 0.55).max(200.0);
    egui::ScrollArea::vertical()
        .id_salt("left-panel")
        .auto_shrink([false, false])
        .show(ui, |ui| panel(ui, cx, st, list_height));
}

fn panel(ui: &mut Ui, cx: &ViewCtx, st: &mut LeftPanel, list_height: f32) {
    action::show(ui, cx, &mut st.action);
    ui.separator();
    // Samples, flows and actions share one place: a tab each (the row wraps rather than
    // widening the panel).
    ui.horizontal_wrapped(|ui| {
        for (tab, title) in [
            (LeftTab::Samples, "Samples"),
            (LeftTab::Flows, "Flows"),
            (LeftTab::Actions, "Actions"),
        ] {
            let text = RichText::new(title).heading();
            if ui.selectable_label(st.tab == tab, text).clicked() {
                st.tab = tab;
            }
        }
        if st.tab == LeftTab::Samples && ui.button("Open sample…").clicked() {
            cx.tx.send(Command::AskFile(FileTask::OpenSample));
        }
        if st.tab == LeftTab::Flows && ui.button("Open flow…").clicked() {
            cx.tx.send(Command::AskFile(FileTask::OpenFlow));
        }
    });
    ui.separator();
    if st.tab == LeftTab::Actions {
        let target_ok = st.action.target.is_ok();
        egui::ScrollArea::vertical()
            .id_salt("actions")
            .max_height(list_height)
            .show(ui, |ui| actions::show(ui, cx, &mut st.actions, target_ok));
    }
    if st.tab == LeftTab::Flows {
        egui::ScrollArea::vertical()
            .id_salt("flows")
            .max_height(list_height)
            .show(ui, |ui| flows::show(ui, cx));
    }
    egui::ScrollArea::vertical()
        .id_salt("samples")
        .max_height(list_height)
        .show(ui, |ui| {
            if st.tab != LeftTab::Samples {
                return;
            }
            for (i, s) in cx.core.samples.iter().enumerate() {
                ui.push_id(i, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(&s.sample.name).strong());
                        ui.label(RichText::new(s.sample.method.label()).small().monospace());
                    });
                    ui.label(RichText::new(&s.sample.description).small().weak());
                    if let Some(from) = &s.schemas_from {
                        let file = from
                            .file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        ui.label(
                            RichText::new(format!("schemas from the definition {file}"))
                                .small()
                                .weak(),
                        )
                        .on_hover_text(from.display().to_string());
                    }
                    let invalid = &s.params_findings;
                    let anyway = !invalid.is_empty();
                    ui.horizontal_wrapped(|ui| {
                        let (inbox, action) = if anyway {
                            ("Send anyway to inbox", "Send anyway to your action")
                        } else {
                            ("Send to inbox", "Send to your action")
                        };
                        if ui.button(inbox).clicked() {
                            cx.tx.send(Command::SendSample(i));
                        }
                        let why = st.action.target.as_ref().err().cloned().unwrap_or_default();
                        if ui
                            .add_enabled(st.action.target.is_ok(), egui::Button::new(action))
                            .on_hover_text(if anyway {
                                "Wix never sends params that fail the input schema: the exchange is marked"
                            } else {
                                "Send it to your action as Wix would, from the chosen source"
                            })
                            .on_disabled_hover_text(why)
                            .clicked()
                        {
                            cx.tx.send(Command::SendToTarget(i, anyway));
                        }
                    });
                    finding_list(ui, invalid);
                    ui.add_space(6.0);
                });
            }
        });
    ui.separator();
    keys::show(ui, cx, st);
}
