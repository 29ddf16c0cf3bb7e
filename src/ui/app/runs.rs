//! Flow runs the window follows, presenter mode, and a run shared as one page.

use super::{
    App, Arc, Command, Exchange, ExchangeId, FileAsk, LeftTab, LoadedFlow, PathBuf, Presenter,
    Reply, RunOptions, RunView, WARP_FACTORS, automation, presenter, shared, write_creating,
};

/// How many finished runs keep their whole story (every event with its captions and payload,
/// for presenter mode, the timeline and sharing); older ones keep their summary.
pub(super) const RUN_DETAILS_KEPT: usize = 500;

impl App {
    /// Starts a run of `flow`; step by step runs open in presenter mode.
    pub(super) fn start_run(&mut self, flow: LoadedFlow, present: bool) {
        let flow = Arc::new(flow);
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
                event: None,
            },
        );
        self.status = Some((format!("Running \"{}\"", flow.flow.name), false));
        self.follow(RunView::new(flow, handle, present));
        if present {
            self.enter_presenter(self.runs.len() - 1);
        }
    }

    /// Runs your app's events started since the last look: followed like any run; the one
    /// presenter mode waits for is presented.
    pub(super) fn take_event_runs(&mut self) {
        let Some(rx) = &self.event_runs else {
            return;
        };
        let started: Vec<_> = rx.try_iter().collect();
        for s in started {
            let name = s.flow.flow.name.clone();
            self.status = Some((format!("Your app's event started \"{name}\""), false));
            self.follow(RunView::new(s.flow, s.handle, false));
            if self.awaiting.as_deref() == Some(name.as_str()) {
                self.awaiting = None;
                self.enter_presenter(self.runs.len() - 1);
            }
        }
    }

    /// Adds a run to the list, and to the runs whose events each frame takes.
    fn follow(&mut self, run: RunView) {
        self.runs.push(run);
        self.following.push(self.runs.len() - 1);
    }

    /// The new events of the runs still going. A run that has finished has sent all its
    /// events: once they are in, it is not looked at again.
    pub(super) fn follow_runs(&mut self) {
        let runs = &mut self.runs;
        let mut ended = vec![];
        self.following.retain(|&i| {
            let Some(run) = runs.get_mut(i) else {
                return false;
            };
            // Read before draining: a run done by then has sent every event.
            let done = run.handle.is_done();
            let before = run.events.len();
            while let Ok(ev) = run.handle.events.try_recv() {
                run.events.push(ev);
            }
            if run.events.len() != before {
                run.story = crate::domain::flow::Story::of(&run.flow.flow, &run.events);
            }
            if done {
                // Its channel has nothing more to say: let it go.
                run.handle.events = std::sync::mpsc::channel().1;
                ended.push(i);
            }
            !done
        });
        for i in ended {
            self.detailed.push_back(i);
            // The status line said it was running: it now says how it ended.
            if let Some(run) = self.runs.get(i) {
                let name = &run.flow.flow.name;
                let running = format!("Running \"{name}\"");
                if self.status.as_ref().is_some_and(|(s, _)| *s == running) {
                    self.status = Some(match (run.finished(), run.cut_short()) {
                        (Some(true), _) => (format!("\"{name}\" ended as expected"), false),
                        (Some(false), _) => (format!("\"{name}\" did not end as expected"), true),
                        (None, Some(why)) => (format!("\"{name}\": {why}"), true),
                        (None, None) => (format!("\"{name}\" stopped"), false),
                    });
                }
            }
        }
        // Beyond the newest finished runs (RUN_DETAILS_KEPT unless a test says fewer), a run keeps its summary (each
        // step's end and its call, read back from the journal when selected, and how it
        // ended) and lets its story go.
        while self.detailed.len() > self.stories_kept {
            let Some(&i) = self.detailed.front() else {
                break;
            };
            // The run on stage keeps its story while it is shown.
            if self.presenting.as_ref().is_some_and(|p| p.run == i) {
                break;
            }
            self.detailed.pop_front();
            if let Some(run) = self.runs.get_mut(i) {
                run.let_go_of_story();
            }
        }
    }

    /// Waits for the next run of flow `i` your app's event starts, to present it (None: stops
    /// waiting).
    pub(super) fn await_event(&mut self, i: Option<usize>) {
        self.awaiting = i
            .and_then(|i| self.core.flows.get(i))
            .map(|f| f.flow.name.clone());
        self.status = Some(match &self.awaiting {
            Some(name) => (
                format!("Waiting for your app's event… \"{name}\" is presented when it starts"),
                false,
            ),
            None => ("No longer waiting for your app's event".into(), false),
        });
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
        self.commands
            .panel(crate::ui::panels::left::LeftCmd::ShowTab(LeftTab::Flows));
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
            A::Share => {
                let ask = FileAsk::share_run(p.run, &run.flow);
                self.commands.send(Command::AskFile(ask));
            }
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
                            .panel(crate::ui::panels::detail::DetailCmd::Answer(
                                id,
                                Reply::json(200, answer),
                            ));
                    }
                }
            }
            A::Faster | A::Slower => {
                let warp = self.core.engine.warp().factor();
                let at = WARP_FACTORS.iter().position(|f| *f == warp).unwrap_or(0);
                let next = match action {
                    A::Faster => (at + 1).min(WARP_FACTORS.len() - 1),
                    _ => at.saturating_sub(1),
                };
                self.commands.send(Command::SetWarp(WARP_FACTORS[next]));
            }
        }
    }

    pub(super) fn stop_run(&mut self, i: usize) {
        if let Some(r) = self.runs.get(i) {
            r.handle.stop();
            self.status = Some((format!("Stopped \"{}\"", r.flow.flow.name), false));
        }
    }

    /// Run `i` as one HTML page at `path`, written off the UI thread.
    pub(super) fn share_run(&mut self, i: usize, path: PathBuf) {
        let Some(run) = self.runs.get(i) else {
            return;
        };
        let (state, events) = (run.handle.snapshot(), run.events.clone());
        let engine = self.core.engine.clone();
        self.spawn_blocking(move || {
            // The run's calls are its steps' and those after its first (its completion
            // reports): read from there on, not the whole log.
            let first = state.steps.iter().filter_map(|s| s.exchange).min();
            let exchanges: Vec<Exchange> = first
                .map(|lo| {
                    (lo..=engine.len() as ExchangeId)
                        .filter_map(|id| engine.exchange(id))
                        .collect()
                })
                .unwrap_or_default();
            let name = crate::journal::share::file_name(&path);
            let what = format!("the run of \"{}\"", state.flow.flow.name);
            Command::Saved(
                crate::journal::share::run_page(&state, &events, &exchanges, true, &name)
                    .and_then(|page| write_creating(&path, page.as_bytes()).map(|()| page.len()))
                    .map(|len| shared(&path, &what, len))
                    .map_err(|e| format!("{}: {e}", path.display())),
            )
        });
    }
}
