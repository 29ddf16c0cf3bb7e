//! Files: asking where one is (the system dialog, or where none can open a path field in the
//! window, so no button that needs a file is a dead end), and the window's lists of samples
//! and flows, which files opened, dropped or saved join.

use super::{
    App, Arc, Command, Duration, FileAsk, Instant, LeftTab, LoadedFlow, LoadedSample, PathBuf,
    PathPrompt, view, write_creating,
};

/// How soon a dialog that gives no file counts as one that never opened: nobody cancels a
/// dialog this fast, while a desktop without a dialog service answers at once.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(400);

impl App {
    /// Asks where `ask`'s file is: the system dialog (starting where the ask says), or the
    /// path field when none can open. The ask's own command does the rest.
    pub(super) fn ask_file(&mut self, ask: FileAsk) {
        let asked = if ask.saves {
            let dir = ask.start.parent().map(PathBuf::from).unwrap_or_default();
            let name = ask
                .start
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.core.picker.save(ask.title, &dir, &name)
        } else {
            self.core.picker.pick(ask.title, &ask.start)
        };
        self.status = Some((
            format!("{}: choose the file in the dialog…", ask.title),
            false,
        ));
        let since = Instant::now();
        view!(self).spawn(async move {
            match asked.await {
                Ok(Some(path)) => (ask.then)(path),
                Ok(None) if since.elapsed() < NO_DIALOG_WITHIN => Command::PathField(
                    ask,
                    "the file dialog closed at once without a file: this desktop may have no file-dialog service (a desktop portal or zenity)".into(),
                ),
                Ok(None) => Command::Status(format!("{}: no file chosen", ask.title), false),
                Err(why) => Command::PathField(ask, why),
            }
        });
    }

    /// Opens the path field for `ask`, prefilled where its dialog would start.
    pub(super) fn path_field(&mut self, ask: FileAsk, why: String) {
        let mut text = ask.start.display().to_string();
        if !ask.saves && !text.ends_with(std::path::MAIN_SEPARATOR) {
            text.push(std::path::MAIN_SEPARATOR);
        }
        self.status = Some((
            format!(
                "{}: {why}. Type the file's path in the field that opened instead",
                ask.title
            ),
            false,
        ));
        self.path_prompt = Some(PathPrompt {
            ask: Some(ask),
            why,
            text,
            error: None,
            replace: false,
        });
    }

    pub(super) fn close_path_field(&mut self) {
        if let Some(ask) = self.path_prompt.take().and_then(|p| p.ask) {
            self.status = Some((format!("{}: cancelled", ask.title), false));
        }
    }

    pub(super) fn load_sample(&mut self, path: PathBuf) {
        self.spawn_blocking(move || Command::SampleOpened(Box::new(LoadedSample::load(&path))));
    }

    pub(super) fn load_flow(&mut self, path: PathBuf) {
        self.spawn_blocking(move || Command::FlowOpened(Box::new(LoadedFlow::load(&path))));
    }

    /// Asks where to save `sample` (as `name`, in the samples folder, where a sample is listed
    /// again after a restart).
    pub(super) fn save_sample(&mut self, name: &str, sample: Arc<serde_json::Value>) {
        let start = self.core.folders.samples.join(name);
        self.ask_file(FileAsk::save("Save as sample", start, move |path| {
            Command::WriteSample(path, sample)
        }));
    }

    /// Writes `sample` to `path` and reads it back as any sample is, so the list picks it up.
    pub(super) fn write_sample(&mut self, path: PathBuf, sample: Arc<serde_json::Value>) {
        self.spawn_blocking(move || {
            let written = serde_json::to_string_pretty(&*sample)
                .map_err(|e| e.to_string())
                .and_then(|text| write_creating(&path, text.as_bytes()));
            match written {
                Ok(()) => Command::SampleSaved(path.clone(), Box::new(LoadedSample::load(&path))),
                Err(e) => Command::Saved(Err(format!(
                    "The sample could not be written to {}: {e}",
                    path.display()
                ))),
            }
        });
    }

    pub(super) fn sample_opened(&mut self, read: Result<LoadedSample, String>) {
        match read {
            Ok(sample) => {
                self.status = Some((format!("Opened \"{}\"", sample.sample.name), false));
                self.take_sample(sample);
            }
            Err(e) => self.status = Some((format!("The sample could not be opened: {e}"), true)),
        }
    }

    pub(super) fn sample_saved(&mut self, path: PathBuf, read: Result<LoadedSample, String>) {
        match read {
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
        }
    }

    /// A sample read from a file joins the list (the same file again replaces itself), its key
    /// the keys listed, and its schemas the engine's.
    fn take_sample(&mut self, sample: LoadedSample) {
        self.core.engine.add_samples(std::slice::from_ref(&sample));
        if let Some(p) = &sample.path {
            self.commands
                .panel(crate::ui::panels::left::LeftCmd::RevealSample(p.clone()));
        }
        if let Some(k) = sample.sample.action_key() {
            self.mirror.keys.insert(k.to_string());
        }
        replace_or_push(&mut self.core.samples, sample, |s| s.path.as_deref());
    }

    pub(super) fn flow_opened(&mut self, read: Result<LoadedFlow, String>) {
        match read {
            Ok(mut flow) => {
                flow.fill_from(&self.core.definitions, &self.core.engine.triggers());
                self.status = Some((format!("Opened flow \"{}\"", flow.flow.name), false));
                self.commands
                    .panel(crate::ui::panels::left::LeftCmd::ShowTab(LeftTab::Flows));
                // An opened flow answers its trigger's events too, as a loaded one does.
                if let Some(a) = &self.core.automations {
                    a.add(flow.clone());
                }
                replace_or_push(&mut self.core.flows, flow, |f| f.path.as_deref());
            }
            Err(e) => self.status = Some((format!("The flow could not be opened: {e}"), true)),
        }
    }
}

impl App {
    /// What the watched folders hold after a change: the samples, flows and definitions the
    /// tabs list (those opened from elsewhere stay), the keys listed, and a line saying what
    /// was read again, or the first file that no longer reads.
    pub(super) fn take_reloads(&mut self) {
        let Some(rx) = &self.reloads else { return };
        let mut last = None;
        while let Ok(r) = rx.try_recv() {
            last = Some(r);
        }
        let Some(r) = last else { return };
        let from = |folder: &std::path::Path, p: Option<&std::path::Path>| {
            p.and_then(std::path::Path::parent)
                .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()))
                .is_some_and(|d| d == folder)
        };
        let folders = &self.core.folders;
        self.core
            .samples
            .retain(|s| !from(&folders.samples, s.path.as_deref()));
        self.core.samples.splice(0..0, r.samples.iter().cloned());
        self.core
            .flows
            .retain(|f| !from(&folders.flows, f.path.as_deref()));
        self.core.flows.splice(0..0, r.flows.iter().cloned());
        self.core.sample_errors.clone_from(&r.sample_errors);
        self.core.flow_errors.clone_from(&r.flow_errors);
        self.core.definitions = r.definitions.clone();
        for s in &r.samples {
            if let Some(k) = s.sample.action_key() {
                self.mirror.keys.insert(k.to_string());
            }
        }
        self.left.files_changed();
        let names: Vec<String> = r
            .changed
            .iter()
            .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .collect();
        self.status = Some(match r.errors().next() {
            Some((kind, e)) => (
                format!("Reloaded {}: a {kind} does not read: {e}", names.join(", ")),
                true,
            ),
            None => (format!("Reloaded {} from disk", names.join(", ")), false),
        });
    }
}

/// `item` into `list`: in place of the one read from the same file (opened or dropped twice),
/// else at the end. Samples and flows are reloaded alike.
fn replace_or_push<T>(list: &mut Vec<T>, item: T, path: impl Fn(&T) -> Option<&std::path::Path>) {
    let same = path(&item).and_then(|p| list.iter().position(|x| path(x) == Some(p)));
    match same {
        Some(i) => list[i] = item,
        None => list.push(item),
    }
}
