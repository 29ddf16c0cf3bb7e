//! The Triggers tab: each trigger definition, what breaks Wix's rules in it, and Report
//! event… to try it by hand: a payload from the definition's examples, editable, with an
//! `externalEntityId` and an idempotency key, reported to the inbox as your app would.

use super::*;
use crate::ui::theme;

/// The form of the trigger being reported by hand.
#[derive(Default)]
pub struct TriggersTab {
    /// The trigger whose form is open (by key).
    open: Option<String>,
    payload: String,
    entity: String,
    idempotency: String,
    error: Option<String>,
    /// The form just opened: scrolled into view once, so its Report button shows.
    reveal: bool,
}

pub fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut TriggersTab) {
    let triggers = cx.core.engine.triggers();
    if triggers.list.is_empty() {
        ui.label(
            RichText::new("No trigger definitions (samples/triggers, or --triggers DIR)")
                .small()
                .weak(),
        );
    }
    for e in &triggers.errors {
        ui.label(RichText::new(e).small().color(theme::ERROR));
    }
    for t in &triggers.list {
        ui.push_id(("trigger", t.key()), |ui| trigger(ui, cx, st, t));
    }
}

fn trigger(
    ui: &mut Ui,
    cx: &ViewCtx,
    st: &mut TriggersTab,
    t: &crate::domain::trigger::LoadedTrigger,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(&t.def.display_name).strong());
        ui.label(RichText::new(t.key()).monospace().weak());
    });
    let flows: Vec<&str> = cx
        .core
        .flows
        .iter()
        .filter(|f| f.flow.trigger.key == t.key())
        .map(|f| f.flow.name.as_str())
        .collect();
    let mut about = match &t.future_date {
        Some(p) => format!("scheduled by {p}"),
        None => "real-time".to_string(),
    };
    about.push_str(&match flows.len() {
        0 => " · no flow uses it".to_string(),
        n => format!(" · {n} flow(s) use it"),
    });
    ui.label(RichText::new(about).small().weak());
    findings(ui, t);
    let open = st.open.as_deref() == Some(t.key());
    if !open {
        if ui
            .button("Report event…")
            .on_hover_text("Report this trigger's event to the inbox as your app would: the flows that answer it run")
            .clicked()
        {
            st.open = Some(t.key().to_string());
            st.payload = serde_json::to_string_pretty(&t.example_payload()).unwrap_or_default();
            st.entity = uuid::Uuid::new_v4().to_string();
            st.idempotency.clear();
            st.error = None;
            st.reveal = true;
        }
        ui.separator();
        return;
    }
    // Each field is named by its label (for screen readers, and the window's tests).
    let label = ui.label(RichText::new("Payload").small());
    ui.add(
        egui::TextEdit::multiline(&mut st.payload)
            .code_editor()
            .desired_rows(6)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("externalEntityId").small());
        ui.add(egui::TextEdit::singleline(&mut st.entity).desired_width(f32::INFINITY))
            .labelled_by(label.id);
    });
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Idempotency key").small());
        ui.add(
            egui::TextEdit::singleline(&mut st.idempotency)
                .hint_text("none")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    });
    if let Some(e) = &st.error {
        ui.label(RichText::new(e).small().color(theme::ERROR));
    }
    let buttons = ui.horizontal(|ui| {
        if ui.button("Report").clicked() {
            match report_body(t.key(), st) {
                Ok(body) => {
                    st.error = None;
                    report(cx, body);
                }
                Err(e) => st.error = Some(e),
            }
        }
        if ui.button("Close").clicked() {
            st.open = None;
        }
    });
    if std::mem::take(&mut st.reveal) {
        buttons.response.scroll_to_me(Some(egui::Align::BOTTOM));
    }
    ui.separator();
}

/// Reports the event to the inbox over HTTP, as your app would: a call in the log like any
/// other, and the runs it starts are followed.
fn report(cx: &ViewCtx, body: serde_json::Value) {
    let url = cx.core.inbox_url.clone();
    let key = body["triggerKey"].as_str().unwrap_or("").to_string();
    cx.spawn(async move {
        let sent = crate::play::sender::report_event(&reqwest::Client::new(), &url, &body).await;
        let said = sent.map(|s| {
            let answer = s.json().unwrap_or_default();
            match answer.get("activationIds").and_then(|a| a.as_array()) {
                Some(ids) if s.status == 200 => {
                    format!("Reported {key}: {} run(s) started", ids.len())
                }
                _ => format!(
                    "Reported {key}: HTTP {} {}",
                    s.status,
                    answer.get("message").and_then(|m| m.as_str()).unwrap_or("")
                ),
            }
        });
        match said {
            Ok(s) => Command::Status(s, false),
            Err(e) => Command::Status(format!("Not reported: {e}"), true),
        }
    });
}

/// The Report Event body the form describes, or what to fix.
fn report_body(key: &str, st: &TriggersTab) -> Result<serde_json::Value, String> {
    let payload: serde_json::Value =
        serde_json::from_str(&st.payload).map_err(|e| format!("the payload is not JSON: {e}"))?;
    let mut body = serde_json::json!({ "triggerKey": key, "payload": payload });
    if !st.entity.trim().is_empty() {
        body["externalEntityId"] = st.entity.trim().into();
    }
    if !st.idempotency.trim().is_empty() {
        body["idempotency"] = serde_json::json!({ "key": st.idempotency.trim() });
    }
    Ok(body)
}

/// The definition's lint: a line when it is clean, else its errors and warnings, each with the
/// rule and (on hover) the page that states it.
fn findings(ui: &mut egui::Ui, t: &crate::domain::trigger::LoadedTrigger) {
    use crate::domain::definition::Level;
    if t.findings.is_empty() {
        ui.label(
            RichText::new("Follows Wix's rules for triggers")
                .small()
                .color(theme::OK),
        );
        return;
    }
    let errors = t.errors().count();
    let warnings = t.findings.len() - errors;
    let color = if errors > 0 {
        theme::ERROR
    } else {
        theme::WARNING
    };
    egui::CollapsingHeader::new(
        RichText::new(format!(
            "{errors} error(s), {warnings} warning(s) by Wix's rules"
        ))
        .color(color),
    )
    .id_salt(("lint", t.key()))
    .show(ui, |ui| {
        for f in &t.findings {
            let color = match f.level {
                Level::Error => theme::ERROR,
                Level::Warning => theme::WARNING,
            };
            ui.label(
                RichText::new(format!("{} {} [{}]", f.level.label(), f.path, f.rule))
                    .small()
                    .color(color),
            )
            .on_hover_text(format!("source: {}", f.source));
            ui.label(RichText::new(&f.message).small());
        }
    });
}
