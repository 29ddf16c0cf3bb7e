//! The Flows tab: flow files with Run and Present, and the runs so far with their steps.

use super::*;
use crate::ui::theme;

/// Flow files, with Run and Present, and the runs so far, each a group: its steps (with
/// their invocations in the log) and its timeline.
pub fn show(ui: &mut Ui, cx: &ViewCtx) {
    if cx.core.flows.is_empty() {
        ui.label(
            RichText::new("No flow files (samples/flows, or --flows DIR)")
                .small()
                .weak(),
        );
    }
    if let Some(name) = cx.awaiting {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("Waiting for your app's event… (\"{name}\")"))
                    .color(theme::WAITING),
            );
            if ui.small_button("Stop waiting").clicked() {
                cx.tx.send(Command::AwaitEvent(None));
            }
        });
    }
    for (i, f) in cx.core.flows.iter().enumerate() {
        ui.push_id(("flow", i), |ui| {
            ui.label(RichText::new(&f.flow.name).strong());
            // Whether the flow answers its trigger's events (None: nothing runs automations).
            let published = f.flow.source == crate::domain::flow::FlowSource::Trigger;
            let automations = cx.core.automations.as_ref();
            let answers = automations
                .and_then(|a| a.is_on(&f.flow.name))
                .map(|on| on && published);
            if let (Some(a), Some(mut on)) = (automations, answers) {
                let key = &f.flow.trigger.key;
                ui.add_enabled_ui(published, |ui| {
                    if ui
                        .checkbox(&mut on, RichText::new(format!("answers {key}")).small())
                        .on_hover_text("On: an event your app reports for this trigger starts a run of this flow, with the reported payload")
                        .on_disabled_hover_text("A test run, manual run or rerun is started by hand, not by your app's events")
                        .changed()
                    {
                        a.set_on(&f.flow.name, on);
                    }
                });
            }
            ui.horizontal(|ui| {
                if ui
                    .button("Run")
                    .on_hover_text(&f.flow.description)
                    .clicked()
                {
                    cx.tx.send(Command::RunFlow(i, false));
                }
                if ui
                    .button("Present")
                    .on_hover_text("Full window, step by step with Space: for an audience")
                    .clicked()
                {
                    cx.tx.send(Command::RunFlow(i, true));
                }
                if answers == Some(true)
                    && ui
                        .button("Wait for your app")
                        .on_hover_text("Presenter mode opens when your app reports this trigger's event, and follows the run live")
                        .clicked()
                {
                    cx.tx.send(Command::AwaitEvent(Some(i)));
                }
            });
        });
    }
    runs(ui, cx);
}

/// The runs so far, newest first: each one's state, its steps and its timeline.
fn runs(ui: &mut Ui, cx: &ViewCtx) {
    if cx.runs.is_empty() {
        return;
    }
    ui.separator();
    ui.label(RichText::new("Runs").strong());
    for (r, run) in cx.runs.iter().enumerate().rev() {
        let state = match (run.finished(), run.handle.is_done(), run.cut_short()) {
            (Some(true), ..) => ("as expected", theme::OK),
            (Some(false), ..) => ("not as expected", theme::ERROR),
            (None, true, Some(why)) => (why, theme::WARNING),
            (None, true, None) => ("stopped", Color32::GRAY),
            (None, false, _) if run.waiting_for_next() => ("waits for Space", theme::WARNING),
            (None, false, _) => ("running", theme::WAITING),
        };
        let from = run
            .reported_in
            .map(|id| format!(" · your app's event #{id}"))
            .unwrap_or_default();
        let title = RichText::new(format!("#{} {}{from}", r + 1, run.flow.flow.name));
        egui::CollapsingHeader::new(title)
            .id_salt(("run", r))
            .default_open(r + 1 == cx.runs.len())
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(state.0).color(state.1));
                    if ui.small_button("Present").clicked() {
                        cx.tx.send(Command::Present(r));
                    }
                    if !run.handle.is_done() && ui.small_button("Stop").clicked() {
                        cx.tx.send(Command::StopRun(r));
                    }
                    if ui
                        .small_button("Share as HTML…")
                        .on_hover_text("The run as one HTML file that replays as presenter mode tells it, offline, in any browser")
                        .clicked()
                    {
                        let ask = FileAsk::share_run(r, &run.flow);
                        cx.tx.send(Command::AskFile(ask));
                    }
                });
                let snap = run.handle.snapshot();
                for (i, rec) in snap.steps.iter().enumerate() {
                    let name = run.flow.flow.steps[i].name();
                    let status = match &rec.status {
                        crate::domain::flow::StepStatus::Pending => "pending".into(),
                        crate::domain::flow::StepStatus::Running => "running".into(),
                        crate::domain::flow::StepStatus::Waiting { .. } => "waiting".into(),
                        crate::domain::flow::StepStatus::Delaying { .. } => "delaying".into(),
                        crate::domain::flow::StepStatus::Ended(e) => e.label().to_string(),
                    };
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(format!("{}. {name}: {status}", i + 1)).small());
                        if let Some(id) = rec.exchange
                            && ui.small_button(format!("#{id}")).clicked()
                        {
                            cx.tx.send(Command::Select(id));
                        }
                    });
                    for m in &rec.missing {
                        ui.label(
                            RichText::new(format!("   missing {{{{{m}}}}}"))
                                .small()
                                .color(theme::WARNING),
                        );
                    }
                }
                egui::CollapsingHeader::new("Timeline")
                    .id_salt(("run-timeline", r))
                    .show(ui, |ui| {
                        for ev in &run.events {
                            ui.label(
                                RichText::new(format!(
                                    "{}  {}",
                                    ev.at.format("%H:%M:%S"),
                                    ev.caption
                                ))
                                .small(),
                            );
                        }
                    });
            });
    }
}
