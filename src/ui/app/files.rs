//! Files the window opens and writes: where each starts, the system dialog or, where none can
//! open, a path field in the window, and what is done with the path chosen. No button that
//! needs a file is a dead end.

use super::*;

/// How soon a dialog that gives no file counts as one that never opened: nobody cancels a
/// dialog this fast, while a desktop without a dialog service answers at once.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(400);

impl App {
    /// Asks where `task`'s file is: the system dialog, or the path field when none can open.
    pub(super) fn ask_file(&mut self, task: FileTask) {
        let start = task.start(
            &self.core.folders,
            &self.core.definitions.loaded,
            &self.runs,
        );
        let (dir, name) = if task.saves() {
            let name = start
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                start.parent().map(Path::to_path_buf).unwrap_or_default(),
                name,
            )
        } else {
            (start.clone(), String::new())
        };
        let asked = if task.saves() {
            self.core.picker.save(task.title(), &dir, &name)
        } else {
            self.core.picker.pick(task.title(), &dir)
        };
        self.status = Some((
            format!("{}: choose the file in the dialog…", task.title()),
            false,
        ));
        let since = Instant::now();
        self.spawn(async move {
            match asked.await {
                Ok(Some(path)) => Command::FileChosen(task, path),
                Ok(None) if since.elapsed() < NO_DIALOG_WITHIN => Command::PathField(
                    task,
                    "the file dialog closed at once without a file: this desktop may have no file-dialog service (a desktop portal or zenity)".into(),
                ),
                Ok(None) => Command::Status(
                    format!("{}: no file chosen", task.title()),
                    false,
                ),
                Err(why) => Command::PathField(task, why),
            }
        });
    }

    /// Opens the path field for `task`, prefilled where its dialog would start.
    pub(super) fn path_field(&mut self, task: FileTask, why: String) {
        let start = task.start(
            &self.core.folders,
            &self.core.definitions.loaded,
            &self.runs,
        );
        let mut text = start.display().to_string();
        if !task.saves() && !text.ends_with(std::path::MAIN_SEPARATOR) {
            text.push(std::path::MAIN_SEPARATOR);
        }
        self.status = Some((
            format!(
                "{}: {why}. Type the file's path in the field that opened instead",
                task.title()
            ),
            false,
        ));
        self.windows.path_prompt = Some(PathPrompt {
            task,
            why,
            text,
            error: None,
            replace: false,
        });
    }

    /// Does `task` with the file at `path`: reads or writes it off the UI thread.
    pub(super) fn do_file(&mut self, task: FileTask, path: PathBuf) {
        self.windows.path_prompt = None;
        match task {
            FileTask::OpenSample => self
                .spawn_blocking(move || Command::SampleOpened(Box::new(LoadedSample::load(&path)))),
            FileTask::OpenFlow => {
                self.spawn_blocking(move || Command::FlowOpened(Box::new(LoadedFlow::load(&path))))
            }
            FileTask::Published(i) => {
                let Some((_, new)) = self.core.definitions.loaded.get(i).cloned() else {
                    return;
                };
                self.spawn_blocking(move || {
                    let result = Definition::load(&path)
                        .map(|old| crate::domain::definition::breaking_changes(&old, &new));
                    Command::PublishedLoaded(i, result)
                });
            }
            FileTask::SaveSample { sample, .. } => self.spawn_blocking(move || {
                let written = serde_json::to_string_pretty(&*sample)
                    .map_err(|e| e.to_string())
                    .and_then(|text| write_creating(&path, text.as_bytes()));
                match written {
                    Ok(()) => {
                        Command::SampleSaved(path.clone(), Box::new(LoadedSample::load(&path)))
                    }
                    Err(e) => Command::Saved(Err(format!(
                        "The sample could not be written to {}: {e}",
                        path.display()
                    ))),
                }
            }),
            FileTask::ShareLog => {
                let exchanges = self.rows_shown();
                let title = match &self.core.session {
                    Some(s) => format!(
                        "From {}",
                        s.path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    ),
                    None => "From ActionBench's log".into(),
                };
                self.spawn_blocking(move || {
                    let name = crate::journal::share::file_name(&path);
                    Command::Saved(
                        crate::journal::share::session_page(&title, &exchanges, true, &name)
                            .and_then(|page| {
                                write_creating(&path, page.as_bytes()).map(|()| page.len())
                            })
                            .map(|len| {
                                shared(
                                    &path,
                                    &format!(
                                        "{} {}",
                                        exchanges.len(),
                                        plural(exchanges.len(), "call", "calls")
                                    ),
                                    len,
                                )
                            })
                            .map_err(|e| format!("{}: {e}", path.display())),
                    )
                });
            }
            FileTask::ShareRun(i) => {
                let Some(run) = self.runs.get(i) else {
                    return;
                };
                let (state, events) = (run.handle.snapshot(), run.events.clone());
                let engine = self.core.engine.clone();
                self.spawn_blocking(move || {
                    // The run's calls are its steps' and those after its first (its
                    // completion reports): read from there on, not the whole log.
                    let first = state.steps.iter().filter_map(|s| s.exchange).min();
                    let exchanges: Vec<Exchange> = first
                        .map(|lo| {
                            (lo..=engine.len() as ExchangeId)
                                .filter_map(|id| engine.exchange(id))
                                .collect()
                        })
                        .unwrap_or_default();
                    let name = crate::journal::share::file_name(&path);
                    Command::Saved(
                        crate::journal::share::run_page(&state, &events, &exchanges, true, &name)
                            .and_then(|page| {
                                write_creating(&path, page.as_bytes()).map(|()| page.len())
                            })
                            .map(|len| {
                                shared(
                                    &path,
                                    &format!("the run of \"{}\"", state.flow.flow.name),
                                    len,
                                )
                            })
                            .map_err(|e| format!("{}: {e}", path.display())),
                    )
                });
            }
            FileTask::ExportHar => {
                let exchanges = self.rows_shown();
                let inbox = self.core.inbox_url.clone();
                self.spawn_blocking(move || {
                    let written = crate::journal::export::har_json(&exchanges, &inbox)
                        .and_then(|json| write_creating(&path, json.as_bytes()))
                        .map(|()| {
                            format!(
                                "Exported {} {} to {}",
                                exchanges.len(),
                                plural(exchanges.len(), "exchange", "exchanges"),
                                path.display()
                            )
                        })
                        .map_err(|e| format!("{}: {e}", path.display()));
                    Command::Saved(written)
                });
            }
        }
    }
}

impl App {
    /// The rows the log shows, whole (those on disk read back).
    fn rows_shown(&self) -> Vec<Exchange> {
        match &self.log_panel.rows {
            Some(rows) => rows
                .iter()
                .filter_map(|i| self.whole(*i as ExchangeId + 1))
                .collect(),
            None => (1..=self.mirror.log.len() as ExchangeId)
                .filter_map(|id| self.whole(id))
                .collect(),
        }
    }
}

/// What the status bar says of a page shared.
fn shared(path: &Path, what: &str, bytes: usize) -> String {
    format!(
        "Shared {what} as {} ({} KB, one file: it opens offline in any browser; secrets left out)",
        path.display(),
        bytes.div_ceil(1024)
    )
}

/// Writes `bytes` to `path`, making its folder first if there is none yet.
fn write_creating(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| e.to_string())
}
