//! The Triggers tab: each trigger definition, what breaks Wix's rules in it, Report event… to
//! try it by hand (a payload from the definition's examples, editable, with an
//! `externalEntityId` and an idempotency key, reported to the inbox as your app would), and Try
//! your provider: the Trigger Provider methods the definition implements, sent to your trigger
//! provider (Your action's target, or a URL of its own) as Wix sends them, each answer judged.

use super::super::{PanelCmd, plural};
use super::{Command, RichText, Ui, ViewCtx};
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
    /// Your trigger provider's base URL, when it is not Your action's.
    provider_url: String,
    /// Each trigger's last Try your provider, by key: running (None) or its rows.
    tried: std::collections::HashMap<String, Option<Result<Vec<Tried>, String>>>,
}

pub use crate::ui::context::panel_commands::Tried;

pub use crate::ui::context::panel_commands::TriggersCmd;

impl TriggersTab {
    pub(super) fn handle(&mut self, cmd: TriggersCmd, cx: &ViewCtx) {
        match cmd {
            TriggersCmd::Tried(key, result) => {
                match &result {
                    Ok(rows) => {
                        let bad = rows.iter().filter(|r| !r.errors.is_empty()).count();
                        cx.say(
                            format!(
                                "Your provider for {key}: {} of {} answers meet the contract",
                                rows.len() - bad,
                                rows.len()
                            ),
                            bad > 0,
                        );
                    }
                    Err(e) => cx.say(format!("Your provider for {key}: {e}"), true),
                }
                self.tried.insert(key, Some(result));
            }
        }
    }
}

pub fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut TriggersTab) {
    let triggers = cx.core.engine.triggers();
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Your trigger provider").small());
        ui.add(
            egui::TextEdit::singleline(&mut st.provider_url)
                .hint_text("e.g. http://localhost:3000; empty: Your action's")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id)
        .on_hover_text("Where Try your provider sends Validate Configuration, Get Dynamic Schema and Refresh Payload; empty: Your action's target (app ID and JWT from Your action)");
    });
    if triggers.list.is_empty() {
        ui.label(
            RichText::new("No trigger definitions (samples/triggers, or --triggers DIR)")
                .small()
                .weak(),
        );
    }
    for e in &triggers.errors {
        ui.label(RichText::new(e).small().color(theme::ink(ui, theme::ERROR)));
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
        1 => " · 1 flow uses it".to_string(),
        n => format!(" · {n} flows use it"),
    });
    if crate::domain::trigger::provider::implemented(t).is_empty() {
        about.push_str(" · no provider method (Wix calls nothing)");
    }
    ui.label(RichText::new(about).small().weak());
    findings(ui, t);
    try_provider(ui, cx, st, t);
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
                .hint_text("e.g. order-1001; empty: none")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    });
    if let Some(e) = &st.error {
        ui.label(RichText::new(e).small().color(theme::ink(ui, theme::ERROR)));
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
                    format!(
                        "Reported {key}: {} {} started",
                        ids.len(),
                        plural(ids.len(), "run", "runs")
                    )
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
                .color(theme::ink(ui, theme::OK)),
        );
        return;
    }
    let errors = t.errors().count();
    let warnings = t.findings.len() - errors;
    let color = if errors > 0 {
        theme::ink(ui, theme::ERROR)
    } else {
        theme::ink(ui, theme::WARNING)
    };
    egui::CollapsingHeader::new(
        RichText::new(format!(
            "{errors} {}, {warnings} {} by Wix's rules",
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings")
        ))
        .color(color),
    )
    .id_salt(("lint", t.key()))
    .show(ui, |ui| {
        for f in &t.findings {
            let color = match f.level {
                Level::Error => theme::ink(ui, theme::ERROR),
                Level::Warning => theme::ink(ui, theme::WARNING),
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

/// Try your provider: a button when the definition implements a method, then each call's
/// verdict (click one to select it in the log).
fn try_provider(
    ui: &mut Ui,
    cx: &ViewCtx,
    st: &mut TriggersTab,
    t: &crate::domain::trigger::LoadedTrigger,
) {
    use crate::domain::trigger::provider;
    let methods = provider::implemented(t);
    if methods.is_empty() {
        return;
    }
    let running = matches!(st.tried.get(t.key()), Some(None));
    ui.horizontal(|ui| {
        let names: Vec<&str> = methods.iter().map(|m| m.path()).collect();
        if ui
            .add_enabled(!running, egui::Button::new("Try your provider"))
            .on_hover_text(format!(
                "Send {} to your trigger provider as Wix does, and check each answer",
                names.join(", ")
            ))
            .clicked()
        {
            match provider_target(cx, &st.provider_url) {
                Ok(target) => {
                    st.tried.insert(t.key().to_string(), None);
                    start_try(cx, target, t.clone(), methods.clone());
                }
                Err(e) => cx.say(format!("Try your provider: {e}"), true),
            }
        }
        if running {
            ui.spinner();
        }
    });
    match st.tried.get(t.key()) {
        Some(Some(Ok(rows))) => {
            for r in rows {
                let (mark, color) = if r.errors.is_empty() {
                    ("meets the contract", theme::ink(ui, theme::OK))
                } else {
                    ("breaks the contract", theme::ink(ui, theme::ERROR))
                };
                let status = r
                    .status
                    .map_or("no answer".to_string(), |s| format!("HTTP {s}"));
                let line = ui.add(
                    egui::Label::new(
                        RichText::new(format!("{} · {status} · {mark}", r.method))
                            .small()
                            .color(color),
                    )
                    .sense(egui::Sense::click()),
                );
                if line.clicked()
                    && let Some(id) = r.exchange
                {
                    cx.tx.send(Command::Select(id));
                }
                for e in r.errors.iter().chain(&r.notes) {
                    ui.label(RichText::new(format!("  {e}")).small());
                }
            }
        }
        Some(Some(Err(e))) => {
            ui.label(RichText::new(e).small().color(theme::ink(ui, theme::ERROR)));
        }
        _ => {}
    }
}

/// Your trigger provider: Your action's target (its app ID and JWT choice), at `url` when one
/// is typed; with no Your action, `url` alone, plain JSON.
fn provider_target(cx: &ViewCtx, url: &str) -> Result<crate::play::Target, String> {
    let url = url.trim();
    let target = match cx.target() {
        Ok(t) => t,
        Err(_) if !url.is_empty() => {
            return crate::play::Target::new(
                url,
                None,
                None,
                false,
                crate::play::caller::DEFAULT_TIMEOUT,
            );
        }
        Err(e) => {
            return Err(format!(
                "give Your action's URL, or your trigger provider's above: {e}"
            ));
        }
    };
    if url.is_empty() {
        return Ok(target);
    }
    let other =
        crate::play::Target::new(url, Some(&target.app.app_id), None, false, target.timeout)?;
    Ok(crate::play::Target {
        base: other.base,
        ..target
    })
}

/// Sends each method to `target` in turn, and says what came back.
fn start_try(
    cx: &ViewCtx,
    target: crate::play::Target,
    t: crate::domain::trigger::LoadedTrigger,
    methods: Vec<crate::domain::wire::Method>,
) {
    use crate::domain::contract::Severity;
    let player = cx.core.player.clone();
    cx.spawn(async move {
        let mut rows = vec![];
        for method in methods {
            let tag = Some(format!("Try your provider: {}", t.key()));
            let mut row = Tried {
                method: method.path(),
                status: None,
                errors: vec![],
                notes: vec![],
                exchange: None,
            };
            match player.try_trigger(&target, &t, method, tag).await {
                Err(not) => row.errors.push(not.reason),
                Ok((sent, ex)) => {
                    row.exchange = Some(sent.id);
                    for f in ex.iter().flat_map(|ex| ex.all_findings()) {
                        let line = format!(
                            "{}{}",
                            f.field
                                .as_deref()
                                .map_or(String::new(), |p| format!("{p}: ")),
                            f.message
                        );
                        match f.severity {
                            Severity::Error => row.errors.push(line),
                            Severity::Warning => row.notes.push(line),
                        }
                    }
                    row.status = ex.and_then(|ex| ex.response).map(|r| r.status);
                    if let Some(why) = sent.unreachable {
                        return Command::Panel(PanelCmd::new(TriggersCmd::Tried(
                            t.key().to_string(),
                            Err(format!("your trigger provider could not be reached: {why}")),
                        )));
                    }
                }
            }
            rows.push(row);
        }
        Command::Panel(PanelCmd::new(TriggersCmd::Tried(
            t.key().to_string(),
            Ok(rows),
        )))
    });
}
