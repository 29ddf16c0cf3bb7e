//! The detail pane: the selected exchange (its request, metadata, JWT, answer, findings and
//! timeline), the composer that answers a held call, and the completion report form.

use super::{
    Command, DateTime, Direction, Exchange, ExchangeId, Method, Phase, RichText, Ui, Utc, ViewCtx,
    clip, human_duration, phase_color,
};
use crate::domain::contract::{AnswerTimes, Finding, Severity};
use crate::domain::invocation::AnsweredBy;
use crate::domain::wire::COMPLETION_REPORT_PATH;
use crate::engine::ActionSchemas;
use crate::ui::composer::{AnswerDraft, AnswerKind, ReportDraft};
use crate::ui::json_tree::json_tree;
use crate::ui::theme;
use crate::ui::widgets::{clock_is_simulated, clock_text, code_editor, finding_list};
use std::collections::HashMap;

/// The detail pane: the answers and reports being written, and the selected body decoded.
#[derive(Default)]
pub struct DetailPanel {
    drafts: HashMap<ExchangeId, AnswerDraft>,
    /// Drafts the developer was writing when the hold ran out and the saved answer went:
    /// kept, marked as not sent, until dismissed.
    unsent: HashMap<ExchangeId, AnswerDraft>,
    reports: HashMap<ExchangeId, ReportDraft>,
    /// The selected exchange's body, decoded once for display.
    inspected: Option<(
        ExchangeId,
        std::sync::Arc<crate::domain::envelope::Inspected>,
    )>,
}

pub use crate::ui::context::panel_commands::DetailCmd;

/// How much longer Keep holding holds a call, from the moment it is pressed.
pub const KEEP_HOLDING: chrono::Duration = chrono::Duration::seconds(60);

impl DetailPanel {
    /// Exchange `ex` changed: a held call gets a draft answer (from what your action said, in
    /// forward mode with pause), a wait gets a report form; an ended call loses its draft.
    pub fn observe(&mut self, ex: &Exchange, schemas: impl FnOnce() -> ActionSchemas) {
        let id = ex.id;
        // A held call's draft answer is made when it is first shown (see `draft_for`): ten
        // thousand held calls need not ten thousand drafts.
        if !matches!(ex.phase, Phase::Held { .. })
            && let Some(draft) = self.drafts.remove(&id)
            && draft.edited()
            && ex
                .response
                .as_ref()
                .is_some_and(|r| r.by == AnsweredBy::Fallback)
        {
            // The hold ran out while the developer wrote: their answer is not thrown away.
            self.unsent.insert(id, draft);
        }
        if matches!(ex.phase, Phase::Waiting { .. }) {
            self.reports
                .entry(id)
                .or_insert_with(|| ReportDraft::new(&schemas()));
        }
    }

    /// The draft answer to held call `ex`, made from its key's example answer (or what your
    /// action answered, in forward mode) the first time it is asked for.
    pub fn draft_for(
        &mut self,
        ex: &Exchange,
        schemas: impl FnOnce() -> ActionSchemas,
        now: DateTime<Utc>,
    ) -> &mut AnswerDraft {
        self.drafts.entry(ex.id).or_insert_with(|| {
            let schemas = schemas();
            let method = ex.method.unwrap_or(Method::Invoke);
            match &ex.target_answer {
                Some(t) => AnswerDraft::from_target(method, t.status, &t.body, &schemas, now),
                None => AnswerDraft::new(method, &schemas, now),
            }
        })
    }
}

impl DetailPanel {
    /// The selected exchange (its body decoded once), with the composer or the report form.
    pub fn show(&mut self, ui: &mut Ui, cx: &ViewCtx) {
        if let Some(id) = cx.selected
            && self.inspected.as_ref().is_none_or(|(i, _)| *i != id)
            && let Some(ex) = cx.whole(id)
        {
            self.inspected = Some((id, std::sync::Arc::new(ex.arrival.inspect())));
        }
        show(ui, cx, self);
    }

    pub fn handle(&mut self, cmd: DetailCmd, cx: &ViewCtx) {
        match cmd {
            DetailCmd::Answer(id, reply) => {
                if let Err(e) = cx.core.engine.answer(id, reply) {
                    cx.say(e, true);
                }
            }
            DetailCmd::Report(id, report) => match cx.core.engine.report_completion(id, &report) {
                Ok(()) => cx.say(format!("Completion report for #{id} accepted"), false),
                Err(r) => {
                    let msg = r
                        .body
                        .get("message")
                        .and_then(|m| m.as_str())
                        .unwrap_or("refused")
                        .to_string();
                    cx.say(
                        format!(
                            "Completion report for #{id} refused (HTTP {}): {msg}",
                            r.status
                        ),
                        true,
                    );
                }
            },
            DetailCmd::CopyCurl(id) => {
                if let Some(ex) = cx.whole(id) {
                    cx.egui
                        .copy_text(crate::journal::export::curl(&ex, &cx.core.inbox_url));
                    cx.say(format!("Copied #{id} as a curl command"), false);
                }
            }
            DetailCmd::KeepHolding(id) => match cx.core.engine.keep_holding(id, KEEP_HOLDING) {
                Ok(until) => cx.say(
                    format!(
                        "#{id} is held until {} (real time): send your answer before then",
                        until.with_timezone(&chrono::Local).format("%H:%M:%S")
                    ),
                    false,
                ),
                Err(e) => cx.say(e, true),
            },
            DetailCmd::Dismiss(id) => {
                self.unsent.remove(&id);
            }
            DetailCmd::SaveAsSample(id) => {
                let Some(ex) = cx.whole(id) else {
                    return;
                };
                let schemas = cx.core.schemas_for(&ex);
                match crate::journal::export::as_sample(&ex, &schemas) {
                    Ok(sample) => cx.tx.send(Command::SaveSample {
                        name: format!("{}-{id}.json", ex.action_key.as_deref().unwrap_or("saved")),
                        sample: std::sync::Arc::new(sample),
                    }),
                    Err(e) => cx.say(format!("#{id} makes no sample: {e}"), true),
                }
            }
        }
    }
}

fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut DetailPanel) {
    // Text wraps inside the pane, breaking a word longer than a line (a long path, a token)
    // rather than widening the pane past the window's edge.
    let most = (ui.ctx().content_rect().width() * 0.36).max(240.0);
    ui.set_max_width(ui.available_width().min(most));
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
    let Some(id) = cx.selected else {
        ui.add_space(20.0);
        ui.label(RichText::new("Select a call to see it here.").weak());
        return;
    };
    let Some(ex) = cx.whole(id) else {
        return;
    };
    // The title on a line of its own: a heading in a wrapped row was drawn over the status
    // beside it in a narrow pane.
    ui.label(RichText::new(format!("#{} {}", ex.id, ex.method_label())).heading());
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(ex.action_key.as_deref().unwrap_or(""))
                .monospace()
                .strong(),
        );
        ui.label(
            RichText::new(ex.phase.label())
                .strong()
                .color(phase_color(ui, &ex.phase)),
        );
    });
    if let Some(tag) = &ex.tag {
        ui.label(
            RichText::new(tag)
                .strong()
                .color(theme::ink(ui, theme::WARNING)),
        );
    }
    buttons(ui, cx, st, &ex);
    about(ui, cx, &ex);
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt(("detail", id))
        .show(ui, |ui| body(ui, cx, st, &ex));
}

/// What can be done with the exchange: copy it as curl, save it as a sample, compare it, show
/// its activation's calls.
fn buttons(ui: &mut Ui, cx: &ViewCtx, st: &DetailPanel, ex: &Exchange) {
    ui.horizontal_wrapped(|ui| {
        if ui
            .small_button("Copy as curl")
            .on_hover_text("A curl command that sends this request again")
            .clicked()
        {
            cx.tx.panel(DetailCmd::CopyCurl(ex.id));
        }
        let plugin = matches!(ex.method, Some(m) if !m.is_wix_api());
        if ui
            .add_enabled(plugin, egui::Button::new("Save as sample…").small())
            .on_hover_text("A sample file from this call (request, metadata, schemas, a good answer); the list picks it up")
            .clicked()
        {
            cx.tx.panel(DetailCmd::SaveAsSample(ex.id));
        }
        let activation = st
            .inspected
            .as_ref()
            .filter(|(i, _)| *i == ex.id)
            .and_then(|(_, p)| p.request.as_ref())
            .and_then(|r| r.pointer("/activationContext/activationId"))
            .and_then(|a| a.as_str())
            .map(str::to_string);
        if ui
            .small_button("Compare…")
            .on_hover_text("Then select another exchange: the two side by side, field by field")
            .clicked()
        {
            cx.tx.send(Command::CompareFrom(ex.id));
        }
        // A reported event: the runs it started, each one click from its calls.
        let started: Vec<String> = match (&ex.method, &ex.response) {
            (Some(m), Some(r)) if m.is_event() => {
                let mut ids = vec![];
                collect_activation_ids(&r.body, &mut ids);
                ids
            }
            _ => vec![],
        };
        for a in started {
            if ui
                .small_button(format!("Run {}", &a[..a.len().min(8)]))
                .on_hover_text(format!("Show only the calls of activation {a}, which this event started"))
                .clicked()
            {
                cx.tx.send(Command::FilterActivation(a));
            }
        }
        if let Some(a) = activation
            && ui
                .small_button("This activation")
                .on_hover_text("Show only the calls of this activation (one automation run)")
                .clicked()
        {
            cx.tx.send(Command::FilterActivation(a));
        }
    });
}

/// How it came and where it stands: its path and envelope, and what its phase means now.
fn about(ui: &mut Ui, cx: &ViewCtx, ex: &Exchange) {
    ui.label(
        RichText::new(
            format!(
                "{} {} · {} · {}",
                ex.http_method,
                ex.path,
                ex.envelope.map(|e| e.label()).unwrap_or("not decoded"),
                ex.at.format("%Y-%m-%d %H:%M:%S UTC"),
            ) + if clock_is_simulated(cx.now, cx.real_now, cx.warp) {
                " (simulated clock)"
            } else {
                ""
            },
        )
        .small(),
    );
    match &ex.phase {
        Phase::Held { hold_until } => {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "The caller waits {} more (until {}); then the saved answer goes.",
                    human_duration(*hold_until - cx.real_now),
                    hold_until.with_timezone(&chrono::Local).format("%H:%M:%S")
                ));
                if ui
                    .button("Keep holding")
                    .on_hover_text(
                        "Hold the call a minute more from now, while you write its answer",
                    )
                    .clicked()
                {
                    cx.tx.panel(DetailCmd::KeepHolding(ex.id));
                }
            });
        }
        Phase::Waiting { deadline } => {
            ui.label(
                RichText::new(format!(
                    "Deadline in {} (at {}{})",
                    human_duration(*deadline - cx.now),
                    deadline.format("%Y-%m-%d %H:%M:%S UTC"),
                    if clock_is_simulated(cx.now, cx.real_now, cx.warp) {
                        ", simulated clock"
                    } else {
                        ""
                    }
                ))
                .color(phase_color(ui, &ex.phase)),
            );
        }
        Phase::Rejected { message, .. } => {
            ui.label(RichText::new(message).color(theme::ink(ui, theme::ERROR)));
        }
        Phase::Failed { reason } => {
            ui.label(RichText::new(reason).color(theme::ink(ui, theme::ERROR)));
        }
        _ => {}
    }
}

/// The exchange's body: your action's answer (forward mode), the composer or the report form,
/// the timeline, the findings, the request as trees, the answer, the raw request.
fn body(ui: &mut Ui, cx: &ViewCtx, st: &mut DetailPanel, ex: &Exchange) {
    let id = ex.id;
    if let Some(t) = &ex.target_answer {
        ui.label(RichText::new(format!("Your action answered HTTP {}", t.status)).strong());
        finding_list(ui, &t.findings);
        if t.findings.is_empty() {
            ui.label(
                RichText::new("Your action's answer meets the contract")
                    .color(theme::ink(ui, theme::OK)),
            );
        }
        if !ex.phase.is_held() {
            let base = ui.scope_id().with(("target-answer", id));
            json_tree(ui, base, "your action's answer", &t.body);
        }
        ui.separator();
    }
    if ex.phase.is_held() {
        composer(ui, cx, st, id);
        ui.separator();
    }
    if let Some(d) = st.unsent.get(&id) {
        unsent(ui, cx, ex, d);
        ui.separator();
    }
    if matches!(ex.phase, Phase::Waiting { .. }) {
        report_form(ui, cx, st, ex);
        ui.separator();
    }
    timeline(ui, cx, ex);
    ui.separator();
    // A call to your action: what it answered matters most, so it comes first.
    if ex.direction == Direction::Outbound {
        response_block(ui, ui.scope_id().with(("tree", id)), ex);
        ui.separator();
    }
    if !ex.findings.is_empty() {
        ui.label(RichText::new("About the request").strong());
        finding_list(ui, &ex.findings);
    }
    let base = ui.scope_id().with(("tree", id));
    let parts = st
        .inspected
        .as_ref()
        .filter(|(i, _)| *i == id)
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    let req = parts.request.as_ref();
    if let Some(p) = req.and_then(|r| r.get("actionParams")) {
        json_tree(ui, base, "actionParams", p);
    }
    if let Some(c) = req.and_then(|r| r.get("activationContext")) {
        json_tree(ui, base, "activationContext", c);
    }
    if let Some(r) = req {
        if ex.method != Some(Method::Invoke) {
            json_tree(ui, base, "request", r);
        } else if let Some(o) = r.as_object() {
            let others: serde_json::Map<_, _> = o
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "actionParams" | "activationContext"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            json_tree(
                ui,
                base,
                "request (other fields)",
                &serde_json::Value::Object(others),
            );
        }
    }
    if let Some(m) = &parts.metadata {
        json_tree(ui, base, "metadata", m);
    }
    if let Some(h) = &parts.jwt_header {
        json_tree(ui, base, "JWT header", h);
    }
    if let Some(c) = &parts.jwt_claims {
        json_tree(ui, base, "JWT claims", c);
    }
    if ex.direction == Direction::Inbound {
        response_block(ui, base, ex);
    }
    ui.separator();
    egui::CollapsingHeader::new("Raw request")
        .id_salt(("raw", id))
        .show(ui, |ui| {
            ui.label(
                RichText::new(ex.arrival.headers.trim_end())
                    .monospace()
                    .small(),
            );
            // Read-only (a &str buffer): it can be selected and copied, not edited.
            let raw = clip(&ex.arrival.text(), 64 * 1024);
            ui.add(
                egui::TextEdit::multiline(&mut raw.as_ref())
                    .code_editor()
                    .desired_width(f32::INFINITY),
            );
        });
}

fn composer(ui: &mut Ui, cx: &ViewCtx, st: &mut DetailPanel, id: ExchangeId) {
    // Limits count from when the call arrived; "in the past" from now, when it would go.
    let times = AnswerTimes {
        requested: cx
            .mirror
            .log
            .get(id as usize - 1)
            .map_or(cx.now, |ex| ex.at),
        answered: cx.now,
    };
    let Some(ex) = cx.mirror.log.get(id as usize - 1) else {
        return;
    };
    if !matches!(ex.phase, Phase::Held { .. }) {
        return;
    }
    let d = st.draft_for(&ex, || cx.core.schemas_for(&ex), cx.now);
    ui.label(RichText::new("Answer").strong());
    if d.method == Method::Invoke {
        ui.horizontal_wrapped(|ui| {
            for k in AnswerKind::ALL {
                ui.selectable_value(&mut d.kind, k, k.label());
            }
        });
        match d.kind {
            AnswerKind::Immediate => code_editor(ui, "Result (JSON)", &mut d.result, 6),
            AnswerKind::TimeoutLength => {
                ui.horizontal(|ui| {
                    let l = ui.label("Timeout in minutes");
                    ui.add(egui::DragValue::new(&mut d.minutes).range(-10..=100_000))
                        .labelled_by(l.id);
                    ui.label(
                        RichText::new(format!(
                            "= {}",
                            human_duration(chrono::Duration::minutes(d.minutes))
                        ))
                        .weak(),
                    );
                });
            }
            AnswerKind::TimeoutDate => {
                ui.horizontal(|ui| {
                    let l = ui.label("Timeout date (RFC 3339)");
                    ui.text_edit_singleline(&mut d.date).labelled_by(l.id);
                });
            }
            AnswerKind::Error => {
                ui.horizontal(|ui| {
                    let l = ui.label("HTTP status");
                    ui.add(egui::DragValue::new(&mut d.error_status).range(200..=599))
                        .labelled_by(l.id);
                    let l = ui.label("applicationError.code");
                    ui.text_edit_singleline(&mut d.error_code).labelled_by(l.id);
                });
            }
            AnswerKind::Raw => {
                ui.horizontal(|ui| {
                    let l = ui.label("HTTP status");
                    ui.add(egui::DragValue::new(&mut d.status).range(200..=599))
                        .labelled_by(l.id);
                });
                code_editor(ui, "Answer body (JSON)", &mut d.body, 8);
            }
        }
    } else {
        ui.horizontal(|ui| {
            let l = ui.label("HTTP status");
            ui.add(egui::DragValue::new(&mut d.status).range(200..=599))
                .labelled_by(l.id);
        });
        code_editor(ui, "Answer body (JSON)", &mut d.body, 6);
    }
    let (reply, findings) = match d.build() {
        Ok(r) => {
            let f = d.findings(&r, times);
            (Some(r), f)
        }
        Err(e) => (None, vec![Finding::error("not-json", e)]),
    };
    let broken = findings.iter().any(|f| f.severity == Severity::Error);
    // The button before what is found: findings that come and go as the developer types do
    // not move it.
    ui.horizontal(|ui| {
        let text = if broken {
            "Send anyway (breaks the contract)"
        } else {
            "Send answer"
        };
        if ui
            .add_enabled(
                reply.is_some(),
                egui::Button::new(RichText::new(text).strong()),
            )
            .clicked()
            && let Some(r) = reply
        {
            cx.tx.panel(DetailCmd::Answer(id, r));
        }
        if findings.is_empty() {
            ui.label(RichText::new("Meets the contract").color(theme::ink(ui, theme::OK)));
        }
    });
    finding_list(ui, &findings);
}

/// The exchange's timeline. Its times are all on the simulated clock (UTC): the header says so
/// when that is not the real one, a time on another day has its date, a time past the real
/// now says `sim`, and where the clock went back (Back to now) the entry says so.
fn timeline(ui: &mut Ui, cx: &ViewCtx, ex: &Exchange) {
    let simulated = clock_is_simulated(cx.now, cx.real_now, cx.warp);
    ui.label(
        RichText::new(if simulated {
            "Timeline (simulated clock, UTC)"
        } else {
            "Timeline (UTC)"
        })
        .strong(),
    );
    let mut last = None;
    for t in &ex.timeline {
        let back = last.is_some_and(|l| t.at < l);
        last = Some(t.at);
        let text = format!(
            "{}{}  {}",
            if back { "(clock set back) " } else { "" },
            clock_text(t.at, cx.real_now),
            t.note
        );
        let label = ui.label(RichText::new(text).small());
        if back {
            label.on_hover_text("The simulated clock was set back (Back to now) before this");
        }
    }
}

/// A draft the hold ran out on: marked as not sent, with what the contract says of it, to copy
/// or let go.
fn unsent(ui: &mut Ui, cx: &ViewCtx, ex: &Exchange, d: &AnswerDraft) {
    let went = ex
        .response
        .as_ref()
        .map(|r| r.at.format("%H:%M:%S").to_string())
        .unwrap_or_default();
    ui.label(
        RichText::new(format!(
            "Your draft was not sent: the hold ran out at {went} and the saved answer went instead"
        ))
        .strong()
        .color(theme::ink(ui, theme::WARNING)),
    );
    let text = match d.kind {
        AnswerKind::Raw => d.body.clone(),
        _ if d.method != Method::Invoke => d.body.clone(),
        _ => d.build().map_or_else(
            |e| e,
            |r| serde_json::to_string_pretty(&*r.body).unwrap_or_default(),
        ),
    };
    ui.label(RichText::new(&text).monospace());
    let times = AnswerTimes {
        requested: ex.at,
        answered: ex.response.as_ref().map_or(cx.now, |r| r.at),
    };
    match d.build() {
        Ok(r) => finding_list(ui, &d.findings(&r, times)),
        Err(e) => finding_list(ui, &[Finding::error("not-json", e)]),
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Copy draft")
            .on_hover_text("The draft's JSON, to paste into your action's code or a sample")
            .clicked()
        {
            cx.egui.copy_text(text.clone());
            cx.say(format!("Copied the draft for #{}", ex.id), false);
        }
        if ui.button("Dismiss").clicked() {
            cx.tx.panel(DetailCmd::Dismiss(ex.id));
        }
    });
}

fn report_form(ui: &mut Ui, cx: &ViewCtx, st: &mut DetailPanel, ex: &Exchange) {
    let id = ex.id;
    let token = ex.invocation_token.clone().unwrap_or_default();
    let Some(d) = st.reports.get_mut(&id) else {
        return;
    };
    ui.label(
        RichText::new("Report completion (as the action would, with its invocationToken)").strong(),
    );
    code_editor(ui, "Success result (JSON)", &mut d.result, 4);
    let success = d.success(&token);
    let findings = match &success {
        Ok(r) => d.findings(r),
        Err(e) => vec![Finding::error("not-json", e.clone())],
    };
    // The button before what is found: findings that come and go as the developer types do
    // not move it.
    if ui
        .add_enabled(success.is_ok(), egui::Button::new("Report success"))
        .clicked()
        && let Ok(r) = &success
    {
        cx.tx.panel(DetailCmd::Report(id, r.clone()));
    }
    finding_list(ui, &findings);
    ui.horizontal(|ui| {
        let l = ui.label("Error description");
        ui.add(
            egui::TextEdit::singleline(&mut d.description)
                .hint_text("why the action failed, as your code would report it"),
        )
        .labelled_by(l.id);
    });
    if ui.button("Report failure").clicked() {
        cx.tx.panel(DetailCmd::Report(id, d.failure(&token)));
    }
    let url = format!("{}{COMPLETION_REPORT_PATH}", cx.core.inbox_url);
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!("Or from your code: POST {url}"))
                .small()
                .weak(),
        );
        if ui
            .small_button("Copy URL")
            .on_hover_text("The completion API's URL, for your action's report")
            .clicked()
        {
            ui.ctx().copy_text(url.clone());
            cx.tx.send(Command::Status(format!("Copied {url}"), false));
        }
    });
}

/// The answer that went back: who gave it, its findings (what, where, why) and its body.
fn response_block(ui: &mut Ui, base: egui::Id, ex: &Exchange) {
    let Some(r) = &ex.response else {
        return;
    };
    ui.separator();
    let by = match r.by {
        AnsweredBy::Developer => "crafted in the window",
        AnsweredBy::Auto => "saved answer",
        AnsweredBy::FailPolicy => "fail mode",
        AnsweredBy::Fallback => "fallback after the hold deadline",
        // The stand-ins' own answers: a refusal, or a call to Wix's APIs taken.
        AnsweredBy::Workbench if r.status >= 400 => "refused by the workbench",
        AnsweredBy::Workbench => "the workbench's stand-in for Wix",
        AnsweredBy::Shutdown => "the workbench closed",
        AnsweredBy::Target => "your action",
        AnsweredBy::Agent => "answered by the agent",
    };
    ui.label(RichText::new(format!("Response: HTTP {} ({by})", r.status)).strong());
    finding_list(ui, &r.findings);
    if r.findings.is_empty() && r.by == AnsweredBy::Target && ex.target_answer.is_none() {
        ui.label(RichText::new("Meets the contract").color(theme::ink(ui, theme::OK)));
    }
    json_tree(ui, base, "response body", &r.body);
}

/// The `activationIds` in a Report Event (or Bulk Report Event) answer.
fn collect_activation_ids(body: &serde_json::Value, out: &mut Vec<String>) {
    if let Some(ids) = body.get("activationIds").and_then(|a| a.as_array()) {
        out.extend(ids.iter().filter_map(|i| i.as_str()).map(str::to_string));
    }
    for r in body
        .get("results")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
    {
        collect_activation_ids(r, out);
    }
}
