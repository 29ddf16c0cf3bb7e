//! The logic step: the engine's events taken into the window's copy of the log, background
//! results, flow runs and presenter mode.

use super::*;

impl App {
    /// Starts a run of `flow`; step by step runs open in presenter mode.
    pub(super) fn start_run(&mut self, flow: LoadedFlow, present: bool) {
        let ctx = self.ctx.clone();
        let target = self
            .core
            .target
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let handle = automation::start(
            &self.core.runtime,
            self.core.engine.clone(),
            self.core.player.clone(),
            flow.clone(),
            RunOptions {
                all_to: None,
                target,
                step_by_step: present,
                wake: Some(Arc::new(move || ctx.request_repaint())),
            },
        );
        self.status = Some((format!("Running \"{}\"", flow.flow.name), false));
        self.runs.push(RunView {
            handle,
            events: vec![],
            story: crate::domain::flow::Story::of(&flow.flow, &[]),
            flow,
            step_by_step: present,
        });
        if present {
            self.enter_presenter(self.runs.len() - 1);
        }
    }

    pub(super) fn enter_presenter(&mut self, run: usize) {
        let theme = self.ctx.theme();
        let dark = theme == egui::Theme::Dark;
        self.saved_theme.get_or_insert(theme);
        self.presenting = Some(Presenter {
            run,
            dark,
            ..Presenter::default()
        });
    }

    pub(super) fn leave_presenter(&mut self) {
        self.left.tab = LeftTab::Flows;
        if let Some(p) = self.presenting.take()
            && p.fullscreen
        {
            self.ctx
                .send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
        }
        if let Some(t) = self.saved_theme.take() {
            self.ctx.set_theme(t);
        }
    }

    pub(super) fn presenter_action(&mut self, action: presenter::Action) {
        use presenter::Action as A;
        let Some(p) = self.presenting.as_mut() else {
            return;
        };
        let Some(run) = self.runs.get(p.run) else {
            return;
        };
        let last = run.events.len().saturating_sub(1);
        match action {
            A::Next => match p.cursor {
                Some(c) if c + 1 < last => p.cursor = Some(c + 1),
                Some(_) => p.cursor = None,
                None if run.waiting_for_next() => run.handle.advance(),
                None => {}
            },
            A::Back => p.cursor = Some(p.cursor.unwrap_or(last).saturating_sub(1)),
            A::Leave => self.leave_presenter(),
            A::ToggleFullscreen => {
                p.fullscreen = !p.fullscreen;
                self.ctx
                    .send_viewport_cmd(egui::ViewportCommand::Fullscreen(p.fullscreen));
            }
            A::ToggleTheme => {
                p.dark = !p.dark;
                self.ctx.set_theme(if p.dark {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
            A::ToggleJson => p.show_json = !p.show_json,
            A::Share => self
                .commands
                .send(Command::AskFile(crate::ui::app::FileTask::ShareRun(p.run))),
            A::AnswerSaved => {
                // The step held for the presenter, if the latest event is its turn.
                let held = run.events.last().and_then(|e| match e.kind {
                    crate::domain::flow::FlowEventKind::YourTurn => e.step,
                    _ => None,
                });
                if let Some(i) = held {
                    let snap = run.handle.snapshot();
                    let answer = run.flow.saved_answer(i);
                    let answer =
                        crate::domain::wire::resolve_answer(&answer, self.now).unwrap_or(answer);
                    if let Some(id) = snap.steps.get(i).and_then(|s| s.exchange) {
                        self.commands
                            .send(Command::Answer(id, Reply::json(200, answer)));
                    }
                }
            }
            A::Faster | A::Slower => {
                let at = WARP_FACTORS
                    .iter()
                    .position(|f| *f == self.warp)
                    .unwrap_or(0);
                let next = match action {
                    A::Faster => (at + 1).min(WARP_FACTORS.len() - 1),
                    _ => at.saturating_sub(1),
                };
                self.commands.send(Command::SetWarp(WARP_FACTORS[next]));
            }
        }
    }

    /// Takes row `i` of the engine's log (on opening, or after falling behind): a packed one
    /// (ended, on disk) goes in as it is.
    pub(super) fn take_row(&mut self, i: usize, row: Row) {
        match row {
            Row::Whole(ex) => self.take(ex),
            Row::Packed(p) if i == self.mirror.log.len() => {
                self.mirror.log_version += 1;
                self.mirror.log.push(Row::Packed(p));
            }
            Row::Packed(p) => {
                self.mirror.log_version += 1;
                self.mirror.log.set(i, Row::Packed(p));
            }
        }
    }

    /// Takes one exchange's new state into the window's copy of the log.
    pub(super) fn take(&mut self, ex: Arc<Exchange>) {
        let id = ex.id;
        self.mirror.log_version += 1;
        if let Some(k) = &ex.action_key
            && !self.mirror.seen_keys.contains(k)
        {
            self.mirror.seen_keys.insert(k.clone());
        }
        // A flow's steps answer by their own policy: their keys are not the window's to set.
        let from_flow = ex.tag.as_deref().is_some_and(|t| t.starts_with("flow:"));
        if let Some(key) = &ex.action_key
            && !from_flow
            && !self.mirror.keys.contains_key(key)
        {
            let policy = self.core.engine.policy(key);
            self.mirror.keys.insert(key.clone(), policy);
        }
        match &ex.phase {
            Phase::Held { .. } => {
                self.mirror.held.insert(id);
                // A new arrival never takes the focus from an answer being written.
                self.commands.send(Command::SelectIfNone(id));
            }
            _ => {
                self.mirror.held.remove(&id);
            }
        }
        if matches!(ex.phase, Phase::Waiting { .. }) {
            self.mirror.waiting.insert(id);
        } else {
            self.mirror.waiting.remove(&id);
        }
        // The detail pane keeps a draft answer for each held call and a report for each wait.
        let core = &self.core;
        self.detail.observe(&ex, || core.schemas_for(&ex));
        let i = (id as usize).saturating_sub(1);
        if i < self.mirror.log.len() {
            self.mirror.log.set(i, Row::Whole(ex));
        } else {
            // Ids are dense, but calls are appended in parallel, so their events may come out
            // of order (and a lagged stream leaves gaps): fill the gap from the engine, with
            // a stand-in for a call still on its way in, until its own event comes.
            while self.mirror.log.len() < i {
                let missing = self.mirror.log.len() as ExchangeId + 1;
                let e = self.core.engine.exchange(missing).unwrap_or_else(|| {
                    let mut s = ex.summary();
                    s.id = missing;
                    s.phase = "received";
                    s.status = None;
                    s.flagged = false;
                    Exchange::from_summary(&s)
                });
                self.mirror.log.push(Row::Whole(Arc::new(e)));
            }
            self.mirror.log.push(Row::Whole(ex));
            // The list keeps the newest exchanges whole and older ended ones packed (bodies,
            // answers and timelines are read back from the journal when selected).
            if let Some(old) = self.mirror.log.len().checked_sub(WHOLE_IN_LIST + 1)
                && self.core.session.is_some()
                && Some(old as ExchangeId + 1) != self.selected
            {
                self.mirror.log.pack(old);
            }
        }
    }

    pub(super) fn drain(&mut self) {
        let started = Instant::now();
        if self.events.take_lagged() {
            while self.events.rx.try_recv().is_ok() {}
            for (i, row) in self.core.engine.rows().into_iter().enumerate() {
                self.take_row(i, row);
            }
        }
        while started.elapsed() < DRAIN_BUDGET {
            match self.events.rx.try_recv() {
                Ok(ev) => self.take(ev.exchange),
                Err(_) => return,
            }
        }
        // More left than the budget allowed: carry on next frame.
        self.ctx.request_repaint();
    }

    /// A sample read from a file joins the list (the same file again replaces itself) and the
    /// engine's schemas.
    fn take_sample(&mut self, sample: LoadedSample) {
        self.core.engine.add_samples(std::slice::from_ref(&sample));
        if let Some(k) = sample.sample.action_key() {
            let policy = self.core.engine.policy(k);
            self.mirror.keys.entry(k.to_string()).or_insert(policy);
        }
        match self
            .core
            .samples
            .iter_mut()
            .find(|s| s.path.is_some() && s.path == sample.path)
        {
            Some(same) => *same = sample,
            None => self.core.samples.push(sample),
        }
    }

    /// What a background job reported back (a [`Command`] the dispatcher hands here).
    pub(super) fn take_result(&mut self, result: Command) {
        {
            match result {
                Command::SampleSent { name, result } => {
                    self.status = Some(match result {
                        Ok(out) => (
                            format!(
                                "\"{name}\" was answered HTTP {}: {}",
                                out.status,
                                clip(&out.body, 160)
                            ),
                            out.status >= 400,
                        ),
                        Err(e) => (format!("\"{name}\" could not be sent: {e}"), true),
                    });
                }
                Command::SampleOpened(picked) => match *picked {
                    Ok(sample) => {
                        self.status = Some((format!("Opened \"{}\"", sample.sample.name), false));
                        self.take_sample(sample);
                    }
                    Err(e) => {
                        self.status = Some((format!("The sample could not be opened: {e}"), true))
                    }
                },
                Command::SampleSaved(path, read) => match *read {
                    Ok(sample) => {
                        let listed = if path.parent() == Some(self.core.folders.samples.as_path()) {
                            "in the samples folder, listed after a restart too"
                        } else {
                            "outside the samples folder: listed until the window closes"
                        };
                        self.status = Some((
                            format!(
                                "Saved \"{}\" to {} ({listed})",
                                sample.sample.name,
                                path.display()
                            ),
                            false,
                        ));
                        self.take_sample(sample);
                    }
                    Err(e) => {
                        self.status = Some((
                            format!("{} was written but reads back wrong: {e}", path.display()),
                            true,
                        ))
                    }
                },
                Command::Status(why, error) => self.status = Some((why, error)),
                Command::Saved(result) => {
                    self.status = Some(match result {
                        Ok(what) => (what, false),
                        Err(e) => (e, true),
                    })
                }
                Command::FlowOpened(picked) => match *picked {
                    Ok(flow) => {
                        self.status = Some((format!("Opened flow \"{}\"", flow.flow.name), false));
                        self.left.tab = LeftTab::Flows;
                        // The same file again replaces itself.
                        match self
                            .core
                            .flows
                            .iter_mut()
                            .find(|f| f.path.is_some() && f.path == flow.path)
                        {
                            Some(same) => *same = flow,
                            None => self.core.flows.push(flow),
                        }
                    }
                    Err(e) => {
                        self.status = Some((format!("The flow could not be opened: {e}"), true))
                    }
                },
                Command::TargetSent { name, result } => match result {
                    Ok(sent) => {
                        // Selected as a click would select it.
                        self.commands.send(Command::Select(sent.id));
                        let summary = self
                            .core
                            .engine
                            .exchange(sent.id)
                            .map(|ex| {
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
                                (
                                    format!(
                                        "\"{name}\" sent to your action (#{}): {status}, {}, {errors} {}",
                                        sent.id,
                                        ex.phase.label(),
                                        plural(errors, "problem", "problems")
                                    ),
                                    errors > 0,
                                )
                            })
                            .unwrap_or_else(|| (format!("\"{name}\" sent (#{})", sent.id), false));
                        self.status = Some(summary);
                    }
                    Err(not) => {
                        self.status = Some((format!("\"{name}\" {}", not.reason), true));
                    }
                },
                Command::LabDone(result) => {
                    self.windows.lab.running = false;
                    self.status = Some(match &result {
                        Ok(rows) => {
                            let bad = rows.iter().filter(|r| !r.verdict.passed()).count();
                            (
                                format!(
                                    "Envelope lab: {} of {} wrong envelopes refused",
                                    rows.len() - bad,
                                    rows.len()
                                ),
                                bad > 0,
                            )
                        }
                        Err(e) => (format!("The envelope lab could not run: {e}"), true),
                    });
                    self.windows.lab.result = Some(result);
                    self.windows.open.lab = true;
                }
                // Anything else is the dispatcher's.
                other => self.apply(other),
            }
        }
    }
}
