//! The left panel: your action, the Samples, Flows and Actions tabs, the action keys, the
//! protocol assumptions and the allowed hosts. It owns its state and its commands: sending
//! samples (to the inbox, to your action), the form for your action and the target it sets,
//! each key's answer, the assumptions and the hosts, and the Actions tab's own.

pub mod action;
pub mod actions;
pub mod flows;
pub mod hosts;
pub mod keys;
mod samples;
pub mod triggers;

use super::{Command, FileAsk, LeftTab, RichText, TargetForm, Ui, ViewCtx};
pub(super) use crate::domain::assumptions::{EXPLAINED, ExtraReport};
pub(super) use crate::engine::{Mode, Policy};
use crate::play::sender::SendOutcome;
use crate::play::{NotSent, Sent};

/// How a send to the action starts, as `activationSourceInfo` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceChoice {
    Trigger,
    TestRun,
    ManualRun,
    Rerun,
}

impl SourceChoice {
    pub const ALL: [SourceChoice; 4] = [
        SourceChoice::Trigger,
        SourceChoice::TestRun,
        SourceChoice::ManualRun,
        SourceChoice::Rerun,
    ];
    pub fn label(self) -> &'static str {
        match self {
            SourceChoice::Trigger => "Trigger event",
            SourceChoice::TestRun => "Manual run, test mode",
            SourceChoice::ManualRun => "Manual run",
            SourceChoice::Rerun => "Rerun of the selected",
        }
    }
}

/// The left panel: its tab, your action's form, the allowed hosts being typed, the Actions tab.
pub struct LeftPanel {
    tab: LeftTab,
    /// What to scroll into view once: a sample just opened or saved (by its file), the runs
    /// already shown (a new one started in the window is scrolled to).
    reveal: Reveal,
    action: YourAction,
    hosts: HostsField,
    actions: actions::ActionsTab,
    triggers: triggers::TriggersTab,
}

/// What the lists scroll into view once.
#[derive(Default)]
pub(super) struct Reveal {
    pub sample: Option<std::path::PathBuf>,
    pub runs_seen: usize,
}

/// The form for your action, and where a sent sample says it came from.
struct YourAction {
    form: TargetForm,
    source: SourceChoice,
    skip_delays: bool,
}

/// The allowed hosts as typed (comma-separated), and why they were not taken.
#[derive(Default)]
struct HostsField {
    text: String,
    error: Option<String>,
    /// What the last Apply allowed, said until the field changes.
    applied: Option<String>,
}

pub use crate::ui::context::panel_commands::LeftCmd;

impl LeftPanel {
    /// The panel as the window starts: your action's form from the flags, the hosts the engine
    /// answers.
    pub fn new(cx_core: &crate::ui::context::Core) -> LeftPanel {
        LeftPanel {
            tab: LeftTab::Samples,
            reveal: Reveal::default(),
            action: YourAction {
                form: cx_core.target_form.clone(),
                source: SourceChoice::Trigger,
                skip_delays: false,
            },
            hosts: HostsField {
                text: cx_core.engine.allowed_hosts().join(", "),
                ..HostsField::default()
            },
            actions: Default::default(),
            triggers: Default::default(),
        }
    }

    pub fn tab(&self) -> LeftTab {
        self.tab
    }

    /// The files on disk changed: what the tabs worked out from them is worked out again.
    pub fn files_changed(&mut self) {
        self.actions.files_changed();
    }

    /// Your action's form as typed.
    pub fn form(&self) -> &TargetForm {
        &self.action.form
    }

    /// Your action and the tab row stay where they are; the tab's list scrolls under them,
    /// and the lower sections (action keys, protocol assumptions, allowed hosts) scroll on
    /// their own below it. Text wraps within the panel's width rather than widening it.
    pub fn show(&mut self, ui: &mut Ui, cx: &ViewCtx) {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
        action::show(ui, cx, &mut self.action);
        ui.separator();
        tabs(ui, cx, self);
        ui.separator();
        // The list takes a good half of what is left; what follows it scrolls to.
        let list_height = (ui.available_height() * 0.6).max(160.0);
        list(ui, cx, self, list_height);
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("left-lower")
            .auto_shrink([false, false])
            .show(ui, |ui| keys::show(ui, cx, self));
    }

    /// The Actions tab's own commands.
    pub fn handle_actions(&mut self, cmd: actions::ActionsCmd, cx: &ViewCtx) {
        self.actions.handle(cmd, cx);
    }

    /// The Triggers tab's own commands.
    pub fn handle_triggers(&mut self, cmd: triggers::TriggersCmd, cx: &ViewCtx) {
        self.triggers.handle(cmd, cx);
    }

    pub fn handle(&mut self, cmd: LeftCmd, cx: &ViewCtx) {
        match cmd {
            LeftCmd::ShowTab(tab) => self.tab = tab,
            LeftCmd::RevealSample(path) => {
                self.tab = LeftTab::Samples;
                self.reveal.sample = Some(path);
            }
            LeftCmd::SetForm(form) => {
                self.action.form = form;
                self.set_target(cx);
            }
            LeftCmd::FormChanged => self.set_target(cx),
            LeftCmd::SendSample(i) => samples::send_to_inbox(cx, i),
            LeftCmd::SendToTarget(i, anyway) => samples::send_to_target(cx, self, i, anyway),
            LeftCmd::SampleSent { name, result } => samples::sample_sent(cx, &name, result),
            LeftCmd::TargetSent { name, result } => samples::target_sent(cx, &name, result),
            LeftCmd::SetPolicy(key, policy) => cx.core.engine.set_policy(&key, policy),
            LeftCmd::SetAssumptions(a) => cx.core.engine.set_assumptions(a),
            LeftCmd::SetHosts(hosts) => {
                self.hosts.text = hosts.join(", ");
                self.hosts.error = None;
                if let Some(now) = &self.hosts.applied {
                    cx.say(now.clone(), false);
                }
                cx.core.engine.set_allowed_hosts(hosts);
            }
        }
    }

    /// The target forward mode, flows and sends use: the form's, when it makes one. The form
    /// is what is typed; this shared target is the one place the target is kept.
    fn set_target(&self, cx: &ViewCtx) {
        *cx.core.target.write().unwrap_or_else(|e| e.into_inner()) = self.action.form.target().ok();
    }

    /// The activation source a send starts with now; a rerun needs a selected invocation.
    fn source_now(&self, cx: &ViewCtx) -> Result<crate::domain::as_wix::Source, String> {
        use crate::domain::as_wix::Source;
        Ok(match self.action.source {
            SourceChoice::Trigger => Source::Trigger,
            SourceChoice::TestRun => Source::Manual { test_mode: true },
            SourceChoice::ManualRun => Source::Manual { test_mode: false },
            SourceChoice::Rerun => {
                let id = cx
                    .selected
                    .ok_or("a rerun needs an earlier invocation: select one in the log")?;
                let ex = cx.whole(id).ok_or("no such exchange")?;
                let activation = ex
                    .arrival
                    .inspect()
                    .request
                    .and_then(|r| {
                        r.pointer("/activationContext/activationId")
                            .and_then(|a| a.as_str())
                            .map(str::to_string)
                    })
                    .ok_or_else(|| {
                        format!("#{id} has no activationId to rerun: select an Invoke")
                    })?;
                Source::Rerun {
                    original_activation_id: activation,
                    skip_delays: self.action.skip_delays,
                }
            }
        })
    }
}

/// The tab's list, at most `list_height` tall, scrolling under the tab row.
fn list(ui: &mut Ui, cx: &ViewCtx, st: &mut LeftPanel, list_height: f32) {
    let target = st.action.form.target();
    match st.tab {
        LeftTab::Actions => {
            egui::ScrollArea::vertical()
                .id_salt("actions")
                .max_height(list_height)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    actions::show(ui, cx, &mut st.actions, target.is_ok())
                });
        }
        LeftTab::Triggers => {
            egui::ScrollArea::vertical()
                .id_salt("triggers")
                .max_height(list_height)
                .auto_shrink([false, true])
                .show(ui, |ui| triggers::show(ui, cx, &mut st.triggers));
        }
        LeftTab::Flows => {
            egui::ScrollArea::vertical()
                .id_salt("flows")
                .max_height(list_height)
                .auto_shrink([false, true])
                .show(ui, |ui| flows::show(ui, cx, &mut st.reveal.runs_seen));
        }
        LeftTab::Samples => {
            egui::ScrollArea::vertical()
                .id_salt("samples")
                .max_height(list_height)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    samples::show(ui, cx, &target, &mut st.reveal.sample)
                });
        }
    }
}

/// Samples, flows and actions share one place: a tab each (the row wraps rather than widening
/// the panel).
fn tabs(ui: &mut Ui, cx: &ViewCtx, st: &mut LeftPanel) {
    ui.horizontal_wrapped(|ui| {
        for (tab, title) in [
            (LeftTab::Samples, "Samples"),
            (LeftTab::Flows, "Flows"),
            (LeftTab::Actions, "Actions"),
            (LeftTab::Triggers, "Triggers"),
        ] {
            let text = RichText::new(title).heading();
            if ui.selectable_label(st.tab == tab, text).clicked() {
                st.tab = tab;
            }
        }
        if st.tab == LeftTab::Samples && ui.button("Open sample…").clicked() {
            cx.tx.send(Command::AskFile(FileAsk::open(
                "Open sample",
                cx.core.folders.samples.clone(),
                Command::LoadSample,
            )));
        }
        if st.tab == LeftTab::Flows && ui.button("Open flow…").clicked() {
            cx.tx.send(Command::AskFile(FileAsk::open(
                "Open flow",
                cx.core.folders.flows.clone(),
                Command::LoadFlow,
            )));
        }
    });
}
