//! The left panel: your action, samples and flows, the action keys, the protocol
//! assumptions and the allowed hosts.

use super::*;

impl App {
    /// The activation source a send starts with now; a rerun needs a selected invocation.
    pub(super) fn source_now(&self) -> Result<Source, String> {
        Ok(match self.left.action.source {
            SourceChoice::Trigger => Source::Trigger,
            SourceChoice::TestRun => Source::Manual { test_mode: true },
            SourceChoice::ManualRun => Source::Manual { test_mode: false },
            SourceChoice::Rerun => {
                let id = self
                    .selected
                    .ok_or("a rerun needs an earlier invocation: select one in the log")?;
                let ex = self.whole(id).ok_or("no such exchange")?;
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
                    skip_delays: self.left.action.skip_delays,
                }
            }
        })
    }

    /// "Your action": where the developer's provider listens, who Wix calls it for, how sends
    /// start, and the envelope lab.
    pub(super) fn target_section(&mut self, ui: &mut Ui) {
        let before = self.left.action.form.clone();
        let f = &mut self.left.action.form;
        // Open from the start when a target was given; otherwise one click away.
        let open = !self.core.target_form.base.is_empty();
        egui::CollapsingHeader::new(RichText::new("Your action").heading())
            .id_salt("target")
            .default_open(open)
            .show(ui, |ui| {
                let l = ui.label("Base URL");
                ui.add(
                    egui::TextEdit::singleline(&mut f.base)
                        .hint_text("http://localhost:3000/wix/actions")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id)
                .on_hover_text("Methods are called at {base}/v1/invoke, /v1/validate-configuration, /v1/quota-info");
                let l = ui.label("App ID");
                ui.add(
                    egui::TextEdit::singleline(&mut f.app_id)
                        .hint_text("needed for signed requests")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
                let l = ui.label("Instance ID");
                ui.add(egui::TextEdit::singleline(&mut f.instance_id).desired_width(f32::INFINITY))
                    .labelled_by(l.id);
                ui.horizontal(|ui| {
                    ui.radio_value(&mut f.jwt, false, "Plain JSON");
                    ui.radio_value(&mut f.jwt, true, "Signed JWT");
                });
                egui::ComboBox::new("source", "Source")
                    .selected_text(self.left.action.source.label())
                    .show_ui(ui, |ui| {
                        for s in SourceChoice::ALL {
                            ui.selectable_value(&mut self.left.action.source, s, s.label());
                        }
                    });
                if self.left.action.source == SourceChoice::Rerun {
                    ui.checkbox(&mut self.left.action.skip_delays, "Skip delays");
                }
                match &self.left.action.target {
                    Ok(t) => {
                        ui.label(
                            RichText::new(format!("Invoke: {}", t.url(Method::Invoke)))
                                .small()
                                .monospace(),
                        );
                    }
                    Err(e) => {
                        ui.label(RichText::new(e).small().color(Color32::from_rgb(230, 160, 40)));
                    }
                }
                let lab_sample = self
                    .core
                    .samples
                    .iter()
                    .position(|s| s.sample.method == Method::Invoke);
                let lab_ready = self.left.action.target.is_ok()
                    && !f.app_id.trim().is_empty()
                    && !self.windows.lab.running;
                let lab = ui
                    .add_enabled(
                        lab_ready && lab_sample.is_some(),
                        egui::Button::new("Run envelope lab"),
                    )
                    .on_hover_text(
                        "Send 12 deliberately wrong envelopes (expired, other key, alg none…) to your action's /v1/invoke: a correct action refuses every one with a 4xx",
                    )
                    .on_disabled_hover_text(
                        "Needs your action's base URL and its app ID (the envelopes are addressed to it)",
                    );
                if lab.clicked()
                    && let Some(i) = lab_sample
                {
                    self.commands.send(Command::RunLab(i));
                }
                if self.windows.lab.result.is_some() && ui.button("Show lab results").clicked() {
                    self.windows.open.lab = true;
                }
            });
        if self.left.action.form != before {
            self.left.action.target = self.left.action.form.target();
            *self.core.target.write().unwrap_or_else(|e| e.into_inner()) =
                self.left.action.target.clone().ok();
        }
    }

    /// Flow files, with Run and Present, and the runs so far, each a group: its steps (with
    /// their invocations in the log) and its timeline.
    pub(super) fn flows_section(&mut self, ui: &mut Ui) {
        if self.core.flows.is_empty() {
            ui.label(
                RichText::new("No flow files (samples/flows, or --flows DIR)")
                    .small()
                    .weak(),
            );
        }
        for (i, f) in self.core.flows.iter().enumerate() {
            ui.push_id(("flow", i), |ui| {
                ui.label(RichText::new(&f.flow.name).strong());
                ui.horizontal(|ui| {
                    if ui
                        .button("Run")
                        .on_hover_text(&f.flow.description)
                        .clicked()
                    {
                        self.commands.send(Command::RunFlow(i, false));
                    }
                    if ui
                        .button("Present")
                        .on_hover_text("Full window, step by step with Space: for an audience")
                        .clicked()
                    {
                        self.commands.send(Command::RunFlow(i, true));
                    }
                });
            });
        }
        if self.runs.is_empty() {
            return;
        }
        ui.separator();
        ui.label(RichText::new("Runs").strong());
        for (r, run) in self.runs.iter().enumerate().rev() {
            let state = match (run.finished(), run.handle.is_done()) {
                (Some(true), _) => ("as expected", Color32::from_rgb(60, 170, 90)),
                (Some(false), _) => ("not as expected", Color32::from_rgb(220, 70, 60)),
                (None, true) => ("stopped", Color32::GRAY),
                (None, false) if run.waiting_for_next() => {
                    ("waits for Space", Color32::from_rgb(230, 160, 40))
                }
                (None, false) => ("running", Color32::from_rgb(80, 160, 230)),
            };
            let title = RichText::new(format!("#{} {}", r + 1, run.flow.flow.name));
            egui::CollapsingHeader::new(title)
                .id_salt(("run", r))
                .default_open(r + 1 == self.runs.len())
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(state.0).color(state.1));
                        if ui.small_button("Present").clicked() {
                            self.commands.send(Command::Present(r));
                        }
                        if !run.handle.is_done() && ui.small_button("Stop").clicked() {
                            self.commands.send(Command::StopRun(r));
                        }
                    });
                    let snap = run.handle.snapshot();
                    for (i, rec) in snap.steps.iter().enumerate() {
                        let name = match &run.flow.flow.steps[i] {
                            crate::domain::flow::Step::Action(a) => a.name.clone(),
                            crate::domain::flow::Step::Delay(d) => {
                                d.name.clone().unwrap_or_else(|| "Delay".into())
                            }
                        };
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
                                self.commands.send(Command::Select(id));
                            }
                        });
                        for m in &rec.missing {
                            ui.label(
                                RichText::new(format!("   missing {{{{{m}}}}}"))
                                    .small()
                                    .color(Color32::from_rgb(230, 160, 40)),
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

    pub(super) fn samples_panel(&mut self, ui: &mut Ui) {
        self.target_section(ui);
        ui.separator();
        // Samples and flows share one place: a tab each.
        ui.horizontal(|ui| {
            for (tab, title) in [(LeftTab::Samples, "Samples"), (LeftTab::Flows, "Flows")] {
                let text = RichText::new(title).heading();
                if ui.selectable_label(self.left.tab == tab, text).clicked() {
                    self.left.tab = tab;
                }
            }
            if self.left.tab == LeftTab::Samples && ui.button("Open sample…").clicked() {
                self.commands.send(Command::OpenSample);
            }
            if self.left.tab == LeftTab::Flows && ui.button("Open flow…").clicked() {
                self.commands.send(Command::OpenFlow);
            }
        });
        ui.separator();
        let list_height = ui.available_height() * 0.62;
        if self.left.tab == LeftTab::Flows {
            egui::ScrollArea::vertical()
                .id_salt("flows")
                .max_height(list_height)
                .show(ui, |ui| self.flows_section(ui));
        }
        egui::ScrollArea::vertical()
            .id_salt("samples")
            .max_height(list_height)
            .show(ui, |ui| {
                if self.left.tab != LeftTab::Samples {
                    return;
                }
                for (i, s) in self.core.samples.iter().enumerate() {
                    ui.push_id(i, |ui| {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(&s.sample.name).strong());
                            ui.label(RichText::new(s.sample.method.label()).small().monospace());
                        });
                        ui.label(RichText::new(&s.sample.description).small().weak());
                        let invalid = &s.params_findings;
                        let anyway = !invalid.is_empty();
                        ui.horizontal_wrapped(|ui| {
                            let (inbox, action) = if anyway {
                                ("Send anyway to inbox", "Send anyway to your action")
                            } else {
                                ("Send to inbox", "Send to your action")
                            };
                            if ui.button(inbox).clicked() {
                                self.commands.send(Command::SendSample(i));
                            }
                            let why = self.left.action.target.as_ref().err().cloned().unwrap_or_default();
                            if ui
                                .add_enabled(self.left.action.target.is_ok(), egui::Button::new(action))
                                .on_hover_text(if anyway {
                                    "Wix never sends params that fail the input schema: the exchange is marked"
                                } else {
                                    "Send it to your action as Wix would, from the chosen source"
                                })
                                .on_disabled_hover_text(why)
                                .clicked()
                            {
                                self.commands.send(Command::SendToTarget(i, anyway));
                            }
                        });
                        finding_list(ui, invalid);
                        ui.add_space(6.0);
                    });
                }
            });
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("keys")
            .show(ui, |ui| self.keys_and_assumptions(ui));
    }

    pub(super) fn keys_and_assumptions(&mut self, ui: &mut Ui) {
        ui.heading("Action keys");
        ui.label(
            RichText::new("How each key's calls are answered")
                .small()
                .weak(),
        );
        let keys: Vec<(String, Policy)> = self
            .mirror
            .keys
            .iter()
            .map(|(k, p)| (k.clone(), p.clone()))
            .collect();
        for (key, policy) in keys {
            let mut p = policy.clone();
            egui::ComboBox::new(("mode", &key), RichText::new(&key).monospace())
                .selected_text(p.mode.label())
                .width(60.0)
                .show_ui(ui, |ui| {
                    for m in Mode::ALL {
                        ui.selectable_value(&mut p.mode, m, m.label());
                    }
                });
            if p.mode == Mode::Fail {
                ui.horizontal(|ui| {
                    ui.add_space(12.0);
                    let l = ui.label("HTTP");
                    ui.add(egui::DragValue::new(&mut p.fail_status).range(400..=599))
                        .labelled_by(l.id);
                    let l = ui.label("code");
                    ui.add(egui::TextEdit::singleline(&mut p.fail_code).desired_width(120.0))
                        .labelled_by(l.id);
                });
            }
            if p.mode == Mode::Forward {
                ui.horizontal(|ui| {
                    ui.add_space(12.0);
                    ui.checkbox(&mut p.pause, "Pause answers")
                        .on_hover_text("Your action's answer waits in the composer, to read or edit, before it goes back to the caller");
                });
                if self.left.action.target.is_err() {
                    ui.label(
                        RichText::new(
                            "  Set your action's base URL above: calls are relayed there",
                        )
                        .small()
                        .color(Color32::from_rgb(230, 160, 40)),
                    );
                }
            }
            if p != policy {
                self.commands.send(Command::SetPolicy(key.clone(), p));
            }
        }
        ui.separator();
        self.assumptions_section(ui);
        self.allowed_hosts_section(ui);
    }

    /// Which host names the inbox answers besides loopback ones (a tunnel's name), and why
    /// web pages never reach it.
    pub(super) fn allowed_hosts_section(&mut self, ui: &mut Ui) {
        egui::CollapsingHeader::new("Allowed hosts")
            .id_salt("allowed-hosts")
            .show(ui, |ui| {
                ui.label(
                    RichText::new(
                        "The inbox refuses (403) any request with an Origin header (a web page sent it) and any Host that is not localhost, 127.0.0.0/8 or [::1]. Add a tunnel's name here (.example.com: the domain and its subdomains), comma-separated.",
                    )
                    .small()
                    .weak(),
                );
                let l = ui.label("Hosts");
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.left.hosts.text)
                            .hint_text("abc.trycloudflare.com")
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(l.id);
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button("Apply hosts").clicked() || enter {
                    match crate::engine::parse_allowed_hosts(self.left.hosts.text.split(',')) {
                        Ok(hosts) => self.commands.send(Command::SetAllowedHosts(hosts)),
                        Err(e) => self.left.hosts.error = Some(e),
                    }
                }
                if let Some(e) = &self.left.hosts.error {
                    ui.label(RichText::new(e).color(Color32::from_rgb(220, 70, 60)));
                }
            });
    }

    /// Where the protocol is not documented: each assumption named, with its switch.
    pub(super) fn assumptions_section(&mut self, ui: &mut Ui) {
        let mut a = self.assumptions;
        egui::CollapsingHeader::new("Protocol assumptions")
            .id_salt("assumptions")
            .show(ui, |ui| {
                ui.label(
                    RichText::new(
                        "Wix does not document these; the workbench assumes, and you can choose.",
                    )
                    .small()
                    .weak(),
                );
                for (what, default) in EXPLAINED {
                    ui.label(RichText::new(format!("• {what}: {default}")).small());
                }
                ui.separator();
                for (label, value) in [
                    ("Second report", &mut a.second_report),
                    ("Report after deadline", &mut a.report_after_timeout),
                ] {
                    egui::ComboBox::new(("assume", label), label)
                        .selected_text(value.label())
                        .show_ui(ui, |ui| {
                            for o in ExtraReport::ALL {
                                ui.selectable_value(value, o, o.label());
                            }
                        });
                }
                ui.checkbox(
                    &mut a.require_authorization,
                    "Refuse reports without Authorization (401)",
                );
                ui.checkbox(
                    &mut a.broken_answer_fails_step,
                    "An answer that breaks the contract fails the step",
                );
            });
        if a != self.assumptions {
            self.commands.send(Command::SetAssumptions(a));
        }
    }
}
