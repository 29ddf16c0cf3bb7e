//! Commands applied after the pass: every click's effect on the engine and the window.

use super::*;

impl App {
    pub(super) fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::Select(id) => {
                self.selected = Some(id);
                if let Some(a) = self.windows.diff.compare_from.take()
                    && a != id
                {
                    self.windows.diff.pair = Some((a, id));
                    self.status = Some((format!("Comparing #{a} with #{id}"), false));
                }
            }
            Command::SelectIfNone(id) => {
                if self.selected.is_none() {
                    self.apply(Command::Select(id));
                }
            }
            Command::CompareFrom(id) => {
                self.windows.diff.compare_from = Some(id);
                self.status = Some((
                    format!("Select another exchange in the log to compare with #{id}"),
                    false,
                ));
            }
            Command::Answer(id, reply) => {
                if let Err(e) = self.core.engine.answer(id, reply) {
                    self.status = Some((e, true));
                }
            }
            Command::Report(id, report) => match self.core.engine.report_completion(id, &report) {
                Ok(()) => {
                    self.status = Some((format!("Completion report for #{id} accepted"), false))
                }
                Err(r) => {
                    let msg = r
                        .body
                        .get("message")
                        .and_then(|m| m.as_str())
                        .unwrap_or("refused")
                        .to_string();
                    self.status = Some((
                        format!(
                            "Completion report for #{id} refused (HTTP {}): {msg}",
                            r.status
                        ),
                        true,
                    ));
                }
            },
            Command::SetPolicy(key, policy) => {
                self.core.engine.set_policy(&key, policy.clone());
                self.mirror.keys.insert(key, policy);
            }
            Command::SetWarp(f) => {
                self.core.engine.set_warp(f);
                self.warp = f;
            }
            Command::SetAssumptions(a) => {
                self.core.engine.set_assumptions(a);
                self.assumptions = a;
            }
            Command::SetAllowedHosts(hosts) => {
                self.left.hosts.text = hosts.join(", ");
                self.left.hosts.error = None;
                if let Some(now) = &self.left.hosts.applied {
                    self.status = Some((now.clone(), false));
                }
                self.core.engine.set_allowed_hosts(hosts);
            }
            Command::BackToNow => {
                self.core.engine.back_to_now();
                self.warp = 1;
                self.now = self.core.engine.now();
            }
            Command::SendSample(i) => {
                let Some(s) = self.core.samples.get(i) else {
                    return;
                };
                let sample = s.sample.clone();
                let (client, url) = (self.client.clone(), self.core.inbox_url.clone());
                self.status = Some((format!("Sent \"{}\" to the inbox", sample.name), false));
                self.spawn(async move {
                    let result = send_sample(&client, &url, &sample).await;
                    Command::SampleSent {
                        name: sample.name.clone(),
                        result,
                    }
                });
            }
            Command::SendToTarget(i, anyway) => {
                let Some(s) = self.core.samples.get(i).cloned() else {
                    return;
                };
                let target = match &self.left.action.target {
                    Ok(t) => t.clone(),
                    Err(e) => {
                        self.status = Some((format!("Not sent: {e}"), true));
                        return;
                    }
                };
                let source = match self.source_now() {
                    Ok(s) => s,
                    Err(e) => {
                        self.status = Some((format!("Not sent: {e}"), true));
                        return;
                    }
                };
                let player = self.core.player.clone();
                self.status = Some((
                    format!("Sending \"{}\" to {}…", s.sample.name, target.base),
                    false,
                ));
                self.spawn(async move {
                    let result = player.send(&target, &s, &source, anyway).await;
                    Command::TargetSent {
                        name: s.sample.name.clone(),
                        result,
                    }
                });
            }
            Command::RunLab(i) => {
                let Some(s) = self.core.samples.get(i).cloned() else {
                    return;
                };
                let Ok(target) = self.left.action.target.clone() else {
                    return;
                };
                let player = self.core.player.clone();
                self.windows.lab.running = true;
                self.windows.open.lab = true;
                self.status = Some((
                    format!(
                        "Envelope lab: sending 12 wrong envelopes to {}…",
                        target.url(Method::Invoke)
                    ),
                    false,
                ));
                self.spawn(async move { Command::LabDone(player.lab(&target, &s).await) });
            }
            Command::RunFlow(i, present) => {
                if let Some(flow) = self.core.flows.get(i).cloned() {
                    self.start_run(flow, present);
                }
            }
            Command::Present(i) => {
                if i < self.runs.len() {
                    self.enter_presenter(i);
                }
            }
            Command::StopRun(i) => {
                if let Some(r) = self.runs.get(i) {
                    r.handle.stop();
                    self.status = Some((format!("Stopped \"{}\"", r.flow.flow.name), false));
                }
            }
            Command::Presenter(a) => self.presenter_action(a),
            Command::CopyCurl(id) => {
                if let Some(ex) = self.whole(id) {
                    self.ctx
                        .copy_text(crate::journal::export::curl(&ex, &self.core.inbox_url));
                    self.status = Some((format!("Copied #{id} as a curl command"), false));
                }
            }
            Command::SaveAsSample(id) => {
                let Some(ex) = self.whole(id) else {
                    return;
                };
                let ex = &ex;
                let schemas = self.schemas_for(ex);
                let sample = match crate::journal::export::as_sample(ex, &schemas) {
                    Ok(s) => s,
                    Err(e) => {
                        self.status = Some((format!("#{id} makes no sample: {e}"), true));
                        return;
                    }
                };
                let name = format!("{}-{id}.json", ex.action_key.as_deref().unwrap_or("saved"));
                self.save_sample(&name, sample);
            }
            Command::AskFile(task) => self.ask_file(task),
            Command::FileChosen(task, path) => self.do_file(task, path),
            Command::PathField(task, why) => self.path_field(task, why),
            Command::ClosePathField => {
                if let Some(p) = self.windows.path_prompt.take() {
                    self.status = Some((format!("{}: cancelled", p.task.title()), false));
                }
            }
            result @ (Command::SampleSent { .. }
            | Command::SampleOpened(_)
            | Command::SampleSaved(..)
            | Command::FlowOpened(_)
            | Command::Saved(_)
            | Command::TargetSent { .. }
            | Command::LabDone(_)
            | Command::Status(..)) => self.take_result(result),
            Command::SetTargetForm(form) => {
                self.left.action.form = form;
                self.left.action.target = self.left.action.form.target();
                self.apply(Command::SetTarget(self.left.action.target.clone().ok()));
            }
            Command::SetDark(dark) => self.ctx.set_theme(if dark {
                egui::Theme::Dark
            } else {
                egui::Theme::Light
            }),
            Command::ShowTab(tab) => self.left.tab = tab,
            Command::SetTarget(t) => {
                *self.core.target.write().unwrap_or_else(|e| e.into_inner()) = t;
            }
            Command::PublishedLoaded(i, result) => {
                self.left.actions.published.insert(i, result);
            }
            Command::GenerateCalls { action, n, seed } => {
                let sample = self
                    .core
                    .definitions
                    .loaded
                    .get(action)
                    .map(|(p, d)| d.to_sample(Some(p)));
                let (Some(Ok(sample)), Ok(target)) = (sample, self.left.action.target.clone())
                else {
                    self.left.actions.running = None;
                    self.status = Some((
                        "Generated calls need your action's base URL and a definition with an input schema".into(),
                        true,
                    ));
                    return;
                };
                self.core.engine.add_samples(std::slice::from_ref(&sample));
                let (engine, player, rt) = (
                    self.core.engine.clone(),
                    self.core.player.clone(),
                    self.core.runtime.clone(),
                );
                self.status = Some((
                    format!(
                        "Generating {n} calls of {} (seed {seed})…",
                        sample.sample.name
                    ),
                    false,
                ));
                self.spawn_blocking(move || {
                    Command::GeneratedDone(Box::new(crate::play::generate::generated_calls(
                        &rt, &engine, &player, &target, &sample, n, seed,
                    )))
                });
            }
            Command::GeneratedDone(report) => {
                self.left.actions.report_for = self.left.actions.running.take();
                self.status = Some(match report.as_ref() {
                    Ok(r) => (
                        format!(
                            "Generated calls of {}: {} of {} met the contract, {} failure {}",
                            r.action,
                            r.passed,
                            r.calls,
                            r.groups.len(),
                            plural(r.groups.len(), "group", "groups")
                        ),
                        !r.groups.is_empty(),
                    ),
                    Err(e) => (format!("Generated calls could not run: {e}"), true),
                });
                self.left.actions.report = Some(*report);
            }
            Command::SaveGenerated(g) => {
                let (Some(Ok(report)), Some(i)) = (
                    self.left.actions.report.as_ref(),
                    self.left.actions.report_for,
                ) else {
                    return;
                };
                let Some(group) = report.groups.get(g).cloned() else {
                    return;
                };
                let Some((path, def)) = self.core.definitions.loaded.get(i) else {
                    return;
                };
                let Ok(base) = def.to_sample(Some(path)) else {
                    return;
                };
                let sample =
                    crate::play::generate::failure_sample(&base, g + 1, &group, report.seed);
                let name = format!(
                    "{}-failure-{}.json",
                    def.action_key().unwrap_or("action"),
                    g + 1
                );
                self.save_sample(&name, sample);
            }
            Command::FilterActivation(a) => self.log_panel.filter.activation = a,
            Command::ToggleWindow(w) => {
                let open = self.windows.open.get(w);
                self.apply(Command::ShowWindow(w, !open));
            }
            Command::ShowWindow(w, open) => {
                self.windows.open.set(w, open);
                // A closed window's list gives the keys back to the log.
                if !open && w == Window::Sessions && self.keys_to == ListFocus::Sessions {
                    self.keys_to = ListFocus::Log;
                }
            }
            Command::KeysTo(list) => self.keys_to = list,
            Command::OpenNewWindow(args) => {
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
        }
    }

    /// Applies every queued command, and those they queue, until none is left.
    pub(super) fn run_commands(&mut self) {
        while let Ok(cmd) = self.command_rx.try_recv() {
            self.apply(cmd);
        }
    }

    /// Runs `job` on the runtime; the command it ends with is applied when it is done.
    pub(super) fn spawn(&self, job: impl std::future::Future<Output = Command> + Send + 'static) {
        let tx = self.commands.clone();
        self.core
            .runtime
            .spawn(async move { tx.send_and_wake(job.await) });
    }

    /// Runs `job` on the runtime's blocking pool; likewise.
    pub(super) fn spawn_blocking(&self, job: impl FnOnce() -> Command + Send + 'static) {
        let tx = self.commands.clone();
        self.core
            .runtime
            .spawn_blocking(move || tx.send_and_wake(job()));
    }

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

    /// Asks where to save `sample` (as `name`, in the samples folder), writes it, and reads it
    /// back as any sample is, so the list picks it up at once.
    pub(super) fn save_sample(&mut self, name: &str, sample: impl serde::Serialize) {
        match serde_json::to_value(sample) {
            Ok(sample) => self.ask_file(FileTask::SaveSample {
                name: name.to_string(),
                sample: Arc::new(sample),
            }),
            Err(e) => self.status = Some((format!("The sample could not be made: {e}"), true)),
        }
    }
}
