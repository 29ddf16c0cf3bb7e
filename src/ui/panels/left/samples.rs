//! The Samples tab: each sample with Send to inbox and Send to your action, and what those
//! sends came back with.

use super::super::{PanelCmd, clip, plural};
use super::{Command, LeftCmd, LeftPanel, NotSent, RichText, SendOutcome, Sent, Ui, ViewCtx};
use crate::domain::contract::Severity;
use crate::play::Target;
use crate::ui::theme;
use crate::ui::widgets::finding_list;

/// Each sample: its name, method, description, where its schemas came from, and its buttons;
/// `target`: your action, or what to fix in the form.
/// `reveal`: a sample's file to scroll into view once, marked.
pub(super) fn show(
    ui: &mut Ui,
    cx: &ViewCtx,
    target: &Result<Target, String>,
    reveal: &mut Option<std::path::PathBuf>,
) {
    // Why Send to your action is off, said once beside the list, not only on each button's
    // hover.
    if let Err(why) = target {
        ui.label(
            RichText::new(format!("Send to your action is off: {why}"))
                .small()
                .weak(),
        );
    }
    for e in &cx.core.sample_errors {
        ui.label(RichText::new(e).small().color(theme::ink(ui, theme::ERROR)));
    }
    for (i, s) in cx.core.samples.iter().enumerate() {
        let this = reveal.is_some() && s.path.as_ref() == reveal.as_ref();
        ui.push_id(i, |ui| {
            let head = ui.horizontal_wrapped(|ui| {
                let name = RichText::new(&s.sample.name).strong();
                if this {
                    ui.label(name.background_color(ui.visuals().selection.bg_fill));
                } else {
                    ui.label(name);
                }
                ui.label(RichText::new(s.sample.method.label()).small().monospace());
            });
            if this {
                head.response.scroll_to_me(Some(egui::Align::Center));
                *reveal = None;
            }
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
                    cx.tx.panel(LeftCmd::SendSample(i));
                }
                let why = target.as_ref().err().cloned().unwrap_or_default();
                if ui
                    .add_enabled(target.is_ok(), egui::Button::new(action))
                    .on_hover_text(if anyway {
                        "Wix never sends params that fail the input schema: the exchange is marked"
                    } else {
                        "Send it to your action as Wix would, from the chosen source"
                    })
                    .on_disabled_hover_text(why)
                    .clicked()
                {
                    cx.tx.panel(LeftCmd::SendToTarget(i, anyway));
                }
            });
            finding_list(ui, invalid);
            ui.add_space(6.0);
        });
    }
}

/// Posts sample `i` to the inbox over HTTP, as any caller would.
pub(super) fn send_to_inbox(cx: &ViewCtx, i: usize) {
    let Some(s) = cx.core.samples.get(i) else {
        return;
    };
    let sample = s.sample.clone();
    let url = cx.core.inbox_url.clone();
    cx.say(format!("Sent \"{}\" to the inbox", sample.name), false);
    cx.spawn(async move {
        let result = crate::play::sender::send_sample(&reqwest::Client::new(), &url, &sample).await;
        Command::Panel(PanelCmd::new(LeftCmd::SampleSent {
            name: sample.name.clone(),
            result,
        }))
    });
}

/// Sends sample `i` to your action, from the source the form chose.
pub(super) fn send_to_target(cx: &ViewCtx, st: &LeftPanel, i: usize, anyway: bool) {
    let Some(s) = cx.core.samples.get(i).cloned() else {
        return;
    };
    let target = match st.action.form.target() {
        Ok(t) => t,
        Err(e) => return cx.say(format!("Not sent: {e}"), true),
    };
    let source = match st.source_now(cx) {
        Ok(s) => s,
        Err(e) => return cx.say(format!("Not sent: {e}"), true),
    };
    let player = cx.core.player.clone();
    cx.say(
        format!("Sending \"{}\" to {}…", s.sample.name, target.base),
        false,
    );
    cx.spawn(async move {
        let result = player.send(&target, &s, &source, anyway).await;
        Command::Panel(PanelCmd::new(LeftCmd::TargetSent {
            name: s.sample.name.clone(),
            result,
        }))
    });
}

/// What the inbox answered a sample posted to it.
pub(super) fn sample_sent(cx: &ViewCtx, name: &str, result: Result<SendOutcome, String>) {
    match result {
        Ok(out) => cx.say(
            format!(
                "\"{name}\" was answered HTTP {}: {}",
                out.status,
                clip(&out.body, 160)
            ),
            out.status >= 400,
        ),
        Err(e) => cx.say(format!("\"{name}\" could not be sent: {e}"), true),
    }
}

/// What your action answered a sample: selected as a click would select it, and summed up.
pub(super) fn target_sent(cx: &ViewCtx, name: &str, result: Result<Sent, NotSent>) {
    let sent = match result {
        Ok(sent) => sent,
        Err(not) => return cx.say(format!("\"{name}\" {}", not.reason), true),
    };
    cx.tx.send(Command::Select(sent.id));
    let Some(ex) = cx.core.engine.exchange(sent.id) else {
        return cx.say(format!("\"{name}\" sent (#{})", sent.id), false);
    };
    let errors = ex
        .findings
        .iter()
        .chain(ex.response.iter().flat_map(|r| r.findings.iter()))
        .filter(|f| f.severity == Severity::Error)
        .count();
    let status = ex
        .response
        .as_ref()
        .map_or("no answer".to_string(), |r| format!("HTTP {}", r.status));
    cx.say(
        format!(
            "\"{name}\" sent to your action (#{}): {status}, {}, {errors} {}",
            sent.id,
            ex.phase.label(),
            plural(errors, "problem", "problems")
        ),
        errors > 0,
    );
}
