//! The Flows tab: flow files with Run and Present, and the runs so far with their steps.

use super::super::plural;
use super::{Command, FileAsk, RichText, Ui, ViewCtx};
use crate::ui::theme;

/// How many runs the tab lists, the newest.
const RUNS_SHOWN: usize = 100;

/// Flow files, with Run and Present, and the runs so far, each a group: its steps (with
/// their invocations in the log) and its timeline.
/// `runs_seen`: how many runs were shown before; a new one started here is scrolled to.
pub fn show(ui: &mut Ui, cx: &ViewCtx, runs_seen: &mut usize) {
    if cx.core.flows.is_empty() {
        ui.label(
            RichText::new("No flow files (samples/flows, or --flows DIR)")
                .small()
                .weak(),
        );
    }
    for e in &cx.core.flow_errors {
        ui.label(RichText::new(e).small().color(theme::ink(ui, theme::ERROR)));
    }
    if let Some(name) = cx.awaiting {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("Waiting for your app's event… (\"{name}\")"))
                    .color(theme::ink(ui, theme::WAITING)),
            );
            if ui.small_button("Stop waiting").clicked() {
                cx.tx.send(Command::AwaitEvent(None));
            }
        });
    }
    for (i, f) in cx.core.flows.iter().enumerate() {
        ui.push_id(("flow", i), |ui| {
            ui.label(RichText::new(&f.flow.name).strong());
            if f.flow.is_wix() {
                wix_summary(ui, f);
            }
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
    runs(ui, cx, runs_seen);
}

/// The runs so far, newest first: each one's state, its steps and its timeline.
fn runs(ui: &mut Ui, cx: &ViewCtx, runs_seen: &mut usize) {
    // A run started here (not by your app's events, which may come by the thousand) is
    // scrolled into view once, open.
    let reveal =
        cx.runs.len() > *runs_seen && cx.runs.last().is_some_and(|r| r.reported_in.is_none());
    *runs_seen = cx.runs.len();
    if cx.runs.is_empty() {
        return;
    }
    ui.separator();
    ui.label(RichText::new("Runs").strong());
    // A frame draws the newest runs, not every run so far (a load test starts thousands).
    let older = cx.runs.len().saturating_sub(RUNS_SHOWN);
    for (r, run) in cx.runs.iter().enumerate().skip(older).rev() {
        let state = match (run.finished(), run.handle.is_done(), run.cut_short()) {
            (Some(true), ..) => ("as expected", theme::ink(ui, theme::OK)),
            (Some(false), ..) => ("not as expected", theme::ink(ui, theme::ERROR)),
            (None, true, Some(why)) => (why, theme::ink(ui, theme::WARNING)),
            (None, true, None) => ("stopped", ui.visuals().weak_text_color()),
            (None, false, _) if run.waiting_for_next() => {
                ("waits for Space", theme::ink(ui, theme::WARNING))
            }
            (None, false, _) => ("running", theme::ink(ui, theme::WAITING)),
        };
        let from = run
            .reported_in
            .map(|id| format!(" · your app's event #{id}"))
            .unwrap_or_default();
        let title = RichText::new(format!("#{} {}{from}", r + 1, run.flow.flow.name));
        let newest = r + 1 == cx.runs.len();
        let shown = egui::CollapsingHeader::new(title)
            .id_salt(("run", r))
            .default_open(newest)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(state.0).color(state.1));
                    let story = run.has_story();
                    let why = "An older run keeps its steps and their calls, not its story: the newest 500 finished runs keep theirs";
                    if ui
                        .add_enabled(story, egui::Button::new("Present").small())
                        .on_disabled_hover_text(why)
                        .clicked()
                    {
                        cx.tx.send(Command::Present(r));
                    }
                    if !run.handle.is_done() && ui.small_button("Stop").clicked() {
                        cx.tx.send(Command::StopRun(r));
                    }
                    if ui
                        .add_enabled(story, egui::Button::new("Share as HTML…").small())
                        .on_hover_text("The run as one HTML file that replays as presenter mode tells it, offline, in any browser")
                        .on_disabled_hover_text(why)
                        .clicked()
                    {
                        let ask = FileAsk::share_run(r, &run.flow);
                        cx.tx.send(Command::AskFile(ask));
                    }
                });
                let snap = run.handle.snapshot();
                let tree = &run.flow.flow.tree;
                let indent = !tree.is_line();
                for i in steps_in_order(tree, snap.steps.len()) {
                    let rec = &snap.steps[i];
                    let name = run.flow.flow.steps[i].name();
                    let status = match &rec.status {
                        crate::domain::flow::StepStatus::Pending => "pending".into(),
                        crate::domain::flow::StepStatus::Running => "running".into(),
                        crate::domain::flow::StepStatus::Waiting { .. } => "waiting".into(),
                        crate::domain::flow::StepStatus::Delaying { .. } => "delaying".into(),
                        crate::domain::flow::StepStatus::Ended(e) => e.label().to_string(),
                    };
                    let not_taken = matches!(
                        rec.status,
                        crate::domain::flow::StepStatus::Ended(
                            crate::domain::flow::StepEnd::NotTaken { .. }
                        )
                    );
                    ui.horizontal_wrapped(|ui| {
                        if indent {
                            ui.add_space(12.0 * tree.depth(i) as f32);
                        }
                        let side = match tree.side(i) {
                            Some(crate::domain::flow::Side::Yes) => "if true: ".to_string(),
                            Some(crate::domain::flow::Side::No) => "if false: ".to_string(),
                            Some(crate::domain::flow::Side::Path(p)) => format!("{p}: "),
                            None => String::new(),
                        };
                        let line = RichText::new(format!("{}. {side}{name}: {status}", i + 1)).small();
                        ui.label(if not_taken { line.weak() } else { line });
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
                                .color(theme::ink(ui, theme::WARNING)),
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
                                    crate::ui::widgets::clock_text(ev.at, cx.real_now),
                                    ev.caption
                                ))
                                .small(),
                            );
                        }
                    });
            });
        if reveal && newest {
            shown.header_response.scroll_to_me(Some(egui::Align::TOP));
        }
    }
    if older > 0 {
        ui.label(
            RichText::new(format!(
                "{older} older {} not listed: the newest {RUNS_SHOWN} are; each run's calls stay in the log", plural(older, "run", "runs")
            ))
            .small()
            .weak(),
        );
    }
}

/// The steps in the order the tree reads (depth first from its roots), then any no root leads
/// to: a flow file's in its own order.
fn steps_in_order(tree: &crate::domain::flow::Tree, n: usize) -> Vec<usize> {
    let mut order = tree.reached();
    order.retain(|i| *i < n);
    let rest: Vec<usize> = (0..n).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    order
}

/// A Wix automation's line under its name: what it is, and whether it meets the builder's
/// rules (its findings one click away).
fn wix_summary(ui: &mut Ui, f: &crate::domain::flow::LoadedFlow) {
    use crate::domain::definition::Level;
    let errors = f
        .findings
        .iter()
        .filter(|x| x.level == Level::Error)
        .count();
    let warnings = f.findings.len() - errors;
    let simulated = f
        .flow
        .steps
        .iter()
        .filter(|s| matches!(s, crate::domain::flow::Step::Action(a) if a.wix.as_ref().is_some_and(|w| w.simulated.is_some())))
        .count();
    let mut what = format!(
        "Wix automation · {} step{}",
        f.flow.steps.len(),
        if f.flow.steps.len() == 1 { "" } else { "s" }
    );
    if simulated > 0 {
        what.push_str(&format!(" · {simulated} not yours (stood in for)"));
    }
    ui.label(RichText::new(what).small());
    if f.findings.is_empty() {
        ui.label(
            RichText::new("Meets the builder's rules")
                .small()
                .color(theme::ink(ui, theme::OK)),
        );
        return;
    }
    let color = if errors > 0 {
        theme::ink(ui, theme::ERROR)
    } else {
        theme::ink(ui, theme::WARNING)
    };
    let title = RichText::new(format!(
        "{errors} error{}, {warnings} warning{} before it runs",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    ))
    .small()
    .color(color);
    egui::CollapsingHeader::new(title)
        .id_salt(("wix-findings", &f.flow.name))
        .show(ui, |ui| {
            for x in &f.findings {
                let c = if x.level == Level::Error {
                    theme::ink(ui, theme::ERROR)
                } else {
                    theme::ink(ui, theme::WARNING)
                };
                ui.label(
                    RichText::new(format!("{} {}: {}", x.level.label(), x.path, x.message))
                        .small()
                        .color(c),
                )
                .on_hover_text(format!("{} · {}", x.rule, x.source));
            }
        });
}
