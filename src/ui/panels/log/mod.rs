//! The log: the filter bar (Ctrl+F, flagged, more filters, HAR export) and the table, filtered
//! a slice of the log per frame so that a million rows never hold up a frame.

pub mod first;

use super::{
    Column, Command, Direction, Duration, Exchange, ExchangeId, FileAsk, Filter, Instant,
    ListFocus, Method, PanelCmd, RichText, StatusFilter, TableBuilder, Ui, ViewCtx, arrow_move,
    here_stamped, phase_color, plural, shared, write_creating,
};

/// The log: its filter and the rows it shows.
pub struct LogPanel {
    filter: Filter,
    /// The log rows the filter shows (indices), when it is not empty; and what they were
    /// computed for (the filter, the log's length and version), and when.
    rows: Option<Vec<u32>>,
    rows_for: Option<(Filter, usize, u64)>,
    rows_at: Instant,
    /// The filter being applied a slice of the log per frame.
    scan: Option<Scan>,
    /// Whether the filter bar shows its second row (direction, method, answer…).
    show_filters: bool,
    focus_filter: bool,
    /// What the empty log shows: the ways in.
    first: first::FirstScreen,
}

pub use crate::ui::context::panel_commands::LogCmd;

impl Default for LogPanel {
    fn default() -> Self {
        LogPanel {
            filter: Filter::default(),
            rows: None,
            rows_for: None,
            rows_at: Instant::now(),
            scan: None,
            show_filters: false,
            focus_filter: false,
            first: Default::default(),
        }
    }
}

impl LogPanel {
    /// The filter bar and the table, the rows the filter shows brought up to date first (a
    /// slice of the log per frame); Ctrl+F reaches the filter.
    pub fn show(&mut self, ui: &mut Ui, cx: &ViewCtx) {
        if ui.input(|i| i.modifiers.command && i.key_pressed(egui::Key::F)) {
            self.focus_filter = true;
        }
        refresh(cx, self, ui.ctx());
        filter_bar(ui, cx, self);
        if cx.mirror.log.is_empty() {
            egui::ScrollArea::vertical()
                .id_salt("first-screen")
                .show(ui, |ui| first::show(ui, cx, &mut self.first));
        } else {
            table(ui, cx, self);
        }
    }

    pub fn handle(&mut self, cmd: LogCmd, cx: &ViewCtx) {
        match cmd {
            LogCmd::FilterActivation(a) => self.filter.activation = a,
            LogCmd::ExportHar(path) => {
                let exchanges = self.rows_shown(cx);
                let inbox = cx.core.inbox_url.clone();
                cx.spawn_blocking(move || {
                    let n = exchanges.len();
                    Command::Saved(
                        crate::journal::export::har_json(&exchanges, &inbox)
                            .and_then(|json| write_creating(&path, json.as_bytes()))
                            .map(|()| {
                                format!(
                                    "Exported {n} {} to {}",
                                    plural(n, "exchange", "exchanges"),
                                    path.display()
                                )
                            })
                            .map_err(|e| format!("{}: {e}", path.display())),
                    )
                });
            }
            LogCmd::Share(path, redact) => {
                let exchanges = self.rows_shown(cx);
                let title = match &cx.core.session {
                    Some(s) => format!("From {}", crate::journal::share::file_name(&s.path)),
                    None => "From ActionBench's log".into(),
                };
                cx.spawn_blocking(move || {
                    let n = exchanges.len();
                    let name = crate::journal::share::file_name(&path);
                    Command::Saved(
                        crate::journal::share::session_page(&title, &exchanges, redact, &name)
                            .and_then(|page| {
                                write_creating(&path, page.as_bytes()).map(|()| page.len())
                            })
                            .map(|len| {
                                shared(&path, &format!("{n} {}", plural(n, "call", "calls")), len)
                            })
                            .map_err(|e| format!("{}: {e}", path.display())),
                    )
                });
            }
        }
    }

    /// The rows the log shows, whole (those on disk read back).
    fn rows_shown(&self, cx: &ViewCtx) -> Vec<Exchange> {
        match &self.rows {
            Some(rows) => rows
                .iter()
                .filter_map(|i| cx.whole(*i as ExchangeId + 1))
                .collect(),
            None => (1..=cx.mirror.log.len() as ExchangeId)
                .filter_map(|id| cx.whole(id))
                .collect(),
        }
    }
}

/// A filter being applied to the log a slice per frame.
struct Scan {
    /// The filter, and the log's length and version it is applied to.
    key: (Filter, usize, u64),
    /// How far it has looked.
    at: usize,
    /// Rows found, when they replace the rows shown only at the end (the log changed under
    /// the same filter); `None`: they join the rows shown as they are found.
    found: Option<Vec<u32>>,
}

/// Time per frame for applying a filter to the log.
const SCAN_BUDGET: Duration = Duration::from_millis(5);

/// Recomputes the rows the filter shows when the filter or the log changed (at most
/// every 300 ms while calls stream in; at once when the filter itself changed). A slice of
/// the log per frame, within [`SCAN_BUDGET`]: a million rows never hold up a frame; the
/// rows found so far show meanwhile.
fn refresh(cx: &ViewCtx, st: &mut LogPanel, egui: &egui::Context) {
    if st.filter.is_empty() {
        st.rows = None;
        st.rows_for = None;
        st.scan = None;
        return;
    }
    let now = (
        st.filter.clone(),
        cx.mirror.log.len(),
        cx.mirror.log_version,
    );
    let start = match (&st.scan, &st.rows_for) {
        (Some(scan), _) => scan.key.0 != now.0,
        (None, None) => true,
        (None, Some(was)) if *was == now => return,
        (None, Some(was)) => {
            if was.0 != now.0 || st.rows_at.elapsed() >= Duration::from_millis(300) {
                true
            } else {
                egui.request_repaint_after(Duration::from_millis(300));
                return;
            }
        }
    };
    if start {
        st.scan = Some(match &st.rows_for {
            // Same filter, same rows, more of them: only the new ones are looked at.
            Some(was) if was.0 == now.0 && was.2 == now.2 && was.1 <= now.1 => Scan {
                at: was.1,
                key: now,
                found: None,
            },
            // Same filter, rows changed: the rows shown stay until the new ones are found.
            Some(was) if was.0 == now.0 => Scan {
                key: now,
                at: 0,
                found: Some(vec![]),
            },
            // A new filter: its rows show as they are found.
            _ => {
                st.rows = Some(vec![]);
                Scan {
                    key: now,
                    at: 0,
                    found: None,
                }
            }
        });
    }
    continue_scan(cx, st, egui);
}

/// Looks through the next slice of the log for the filter being applied.
fn continue_scan(cx: &ViewCtx, st: &mut LogPanel, egui: &egui::Context) {
    let Some(mut scan) = st.scan.take() else {
        return;
    };
    let started = Instant::now();
    let matcher = scan.key.0.matcher();
    let end = scan.key.1.min(cx.mirror.log.len());
    let rows = match &mut scan.found {
        Some(found) => found,
        None => st.rows.get_or_insert_with(Vec::new),
    };
    let engine = &cx.core.engine;
    let log = &cx.mirror.log;
    // A stand-in for an exchange on disk has no body: when the filter looks inside, the
    // exchange is read back from the journal (tens of microseconds each).
    let matches = |i: usize| {
        let Some(ex) = log.get(i) else {
            return false;
        };
        if ex.is_summary() && matcher.looks_inside() {
            matcher.matches_fields(&ex)
                && engine
                    .exchange(i as ExchangeId + 1)
                    .is_some_and(|whole| matcher.matches_inside(&whole))
        } else {
            matcher.matches(&ex)
        }
    };
    while scan.at < end {
        let stop = (scan.at + 64).min(end);
        rows.extend((scan.at..stop).filter(|i| matches(*i)).map(|i| i as u32));
        scan.at = stop;
        if started.elapsed() >= SCAN_BUDGET {
            break;
        }
    }
    if scan.at < end {
        st.scan = Some(scan);
        egui.request_repaint();
    } else {
        if let Some(found) = scan.found {
            st.rows = Some(found);
        }
        st.rows_for = Some(scan.key);
        st.rows_at = Instant::now();
    }
}

/// How far the filter being applied has looked, when it has not finished.
fn scanning(st: &LogPanel) -> Option<f32> {
    st.scan
        .as_ref()
        .map(|s| s.at as f32 / s.key.1.max(1) as f32)
}

/// Find things: the filter over the log, Ctrl+F to reach it, and the HAR export of what
/// it shows.
/// Export: the rows shown as HAR, or as one HTML page with its secrets left out or kept (the
/// window asks here what `export --no-redact` says on the command line).
fn export_menu(ui: &mut Ui, cx: &ViewCtx) -> egui::Response {
    ui.menu_button("Export", |ui| {
        if ui
            .button("HAR…")
            .on_hover_text("The rows shown, as an HTTP Archive (HAR 1.2)")
            .clicked()
        {
            cx.tx.send(Command::AskFile(FileAsk::save(
                "Export HAR",
                here_stamped("actionbench", "har"),
                |p| Command::Panel(PanelCmd::new(LogCmd::ExportHar(p))),
            )));
        }
        for (label, redact, hover) in [
            ("HTML page, secrets left out…", true, "The rows shown as one HTML file that opens offline in any browser; tokens, access headers and instance IDs replaced"),
            ("HTML page with secrets…", false, "The same page with tokens, access headers and instance IDs as they were sent: only for someone who may see them"),
        ] {
            if ui.button(label).on_hover_text(hover).clicked() {
                cx.tx.send(Command::AskFile(FileAsk::save(
                    "Share as HTML",
                    here_stamped("actionbench", "html"),
                    move |p| Command::Panel(PanelCmd::new(LogCmd::Share(p, redact))),
                )));
            }
        }
    })
    .response
}

fn filter_bar(ui: &mut Ui, cx: &ViewCtx, st: &mut LogPanel) {
    let scanning = scanning(st);
    let shown = st.rows.as_ref().map_or(cx.mirror.log.len(), Vec::len);
    let f = &mut st.filter;
    ui.horizontal_wrapped(|ui| {
        // A narrow log moves a button to the next row whole: wrapping its text stood "Export"
        // up as a column of letters.
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        let find = ui.label("Find").on_hover_text("Ctrl+F");
        let text = ui
            .add(
                egui::TextEdit::singleline(&mut f.text)
                    .hint_text("e.g. a path, a key, a token")
                    .desired_width(170.0),
            )
            .labelled_by(find.id);
        if std::mem::take(&mut st.focus_filter) {
            text.request_focus();
        }
        ui.checkbox(&mut f.flagged, "flagged");
        let more = if st.show_filters {
            "Fewer filters"
        } else {
            "More filters"
        };
        if ui.button(more).clicked() {
            st.show_filters = !st.show_filters;
        }
        if !f.is_empty()
            && ui
                .button("Clear")
                .on_hover_text("Clear the filter")
                .clicked()
        {
            *f = Filter::default();
        }
        let shown = st.rows.as_ref().map_or(cx.mirror.log.len(), Vec::len);
        // Last in the row, so disabling the row from here disables it alone; added straight
        // to the row (not in a scope of its own) so that it wraps to the next row whole.
        if shown == 0 {
            ui.disable();
        }
        export_menu(ui, cx).on_disabled_hover_text("Nothing to export: no rows are shown");
    });
    // What the filter found, on a line of its own: the toolbar stays one row at 1024 px.
    if st.rows.is_some() || scanning.is_some() {
        ui.horizontal(|ui| {
            if st.rows.is_some() {
                ui.label(
                    RichText::new(format!("{shown} of {} shown", cx.mirror.log.len())).small(),
                );
            }
            if let Some(done) = scanning {
                ui.spinner();
                ui.label(RichText::new(format!("looking… {:.0}%", done * 100.0)).weak());
            }
        });
    }
    if !st.show_filters {
        return;
    }
    let f = &mut st.filter;
    ui.horizontal_wrapped(|ui| {
        let dir = match f.direction {
            None => "in & out",
            Some(Direction::Inbound) => "inbound",
            Some(Direction::Outbound) => "outbound",
        };
        egui::ComboBox::new("f-dir", "Direction")
            .selected_text(dir)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.direction, None, "in & out");
                ui.selectable_value(&mut f.direction, Some(Direction::Inbound), "inbound");
                ui.selectable_value(&mut f.direction, Some(Direction::Outbound), "outbound");
            });
        egui::ComboBox::new("f-method", "Method")
            .selected_text(f.method.map_or("any method", |m| m.label()))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.method, None, "any method");
                for m in Method::ALL {
                    ui.selectable_value(&mut f.method, Some(m), m.label());
                }
            });
        egui::ComboBox::new("f-status", "Answer")
            .selected_text(f.status.label())
            .show_ui(ui, |ui| {
                for s in StatusFilter::ALL {
                    ui.selectable_value(&mut f.status, s, s.label());
                }
            });
        egui::ComboBox::new("f-key", "Key")
            .selected_text(f.action_key.as_deref().unwrap_or("any key"))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.action_key, None, "any key");
                for k in &cx.mirror.seen_keys {
                    ui.selectable_value(&mut f.action_key, Some(k.clone()), k);
                }
            });
        egui::ComboBox::new("f-envelope", "Envelope")
            .selected_text(f.envelope.as_deref().unwrap_or("any envelope"))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.envelope, None, "any envelope");
                for e in [
                    "JSON",
                    "envelope",
                    "JWT ok",
                    "JWT ok, aud?",
                    "JWT ?",
                    "JSON sent",
                    "JWT sent",
                ] {
                    ui.selectable_value(&mut f.envelope, Some(e.to_string()), e);
                }
            });
        let act = ui.label("Activation");
        ui.add(
            egui::TextEdit::singleline(&mut f.activation)
                .hint_text("e.g. an activationId")
                .desired_width(110.0),
        )
        .labelled_by(act.id);
    });
}

fn table(ui: &mut Ui, cx: &ViewCtx, st: &mut LogPanel) {
    let n = st.rows.as_ref().map_or(cx.mirror.log.len(), Vec::len);
    // The largest id, whatever the filter shows.
    let digits = cx.mirror.log.len().max(1).ilog10() as f32 + 2.0; // "#" and the digits
    let id_width = (digits * 8.5 + 12.0).max(40.0);
    let selected = cx.selected;
    // The selected row's place among the rows shown (it may be filtered out).
    let shown_at = selected.and_then(|id| {
        let i = (id as usize).checked_sub(1)?;
        match &st.rows {
            Some(rows) => rows.binary_search(&(i as u32)).ok(),
            None => (i < n).then_some(i),
        }
    });
    let row_h = 20.0;
    let page = (ui.available_height() / row_h) as usize;
    // ↑/↓ move the selection while the log has the keys, and the row moved to is kept in view.
    let moved = (cx.keys_to == ListFocus::Log)
        .then(|| arrow_move(ui, n, shown_at, page.saturating_sub(1)))
        .flatten();
    let row_id = |shown: usize| -> ExchangeId {
        match &st.rows {
            Some(rows) => rows[shown] as ExchangeId + 1,
            None => shown as ExchangeId + 1,
        }
    };
    let mut clicked = moved.map(row_id);
    // Every column is in view: the text ones share the width there is (text that does not
    // fit is clipped); narrower than their minimums, the table scrolls sideways instead of
    // hiding the last ones.
    let gaps = ui.spacing().item_spacing.x * 6.0;
    let text = (ui.available_width() - id_width - 62.0 - gaps).max(160.0);
    egui::ScrollArea::horizontal()
        .id_salt("log-sideways")
        .show(ui, |ui| {
            // A row is one target: its text is not selectable, so a click anywhere on it
            // (on a cell's text too) is the row's.
            ui.style_mut().interaction.selectable_labels = false;
            let mut table = TableBuilder::new(ui)
                .id_salt("log")
                .striped(true)
                .stick_to_bottom(moved.is_none())
                .sense(egui::Sense::click())
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
            if let Some(to) = moved {
                table = table.scroll_to_row(to, None);
            }
            table
                // Wide enough for the largest id; Status early, so a narrow window keeps it.
                .column(Column::exact(id_width))
                .column(Column::exact(62.0))
                .column(Column::exact((text * 0.34).max(56.0)).clip(true))
                .column(Column::exact((text * 0.2).max(40.0)).clip(true))
                .column(Column::exact((text * 0.26).max(40.0)).clip(true))
                .column(Column::remainder().at_least(36.0).clip(true))
                .header(20.0, |mut h| {
                    for title in ["#", "Time", "Status", "Method", "Action key", "Envelope"] {
                        h.col(|ui| {
                            // A narrow column truncates its title (whole on hover).
                            ui.add(egui::Label::new(RichText::new(title).strong()).truncate());
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_h, n, |mut row| {
                        let at = match &st.rows {
                            Some(rows) => rows[row.index()] as usize,
                            None => row.index(),
                        };
                        let Some(ex) = cx.mirror.log.get(at) else {
                            return;
                        };
                        row.set_selected(selected == Some(ex.id));
                        row.col(|ui| {
                            ui.label(format!("#{}", ex.id));
                        });
                        row.col(|ui| {
                            // The whole time on hover: its date when not today, `sim` when
                            // past the real now.
                            ui.label(
                                RichText::new(ex.at.format("%H:%M:%S").to_string()).monospace(),
                            )
                            .on_hover_text(format!(
                                "{} UTC",
                                crate::ui::widgets::clock_text(ex.at, cx.real_now)
                            ));
                        });
                        row.col(|ui| {
                            let label = ui.label(
                                RichText::new(ex.status_label()).color(phase_color(ui, &ex.phase)),
                            );
                            if ex.is_flagged() {
                                label.on_hover_text(
                                    "Flagged: refused, or with a finding to look at",
                                );
                            }
                        });
                        row.col(|ui| {
                            ui.label(ex.method_label());
                        });
                        row.col(|ui| {
                            ui.label(
                                RichText::new(ex.action_key.as_deref().unwrap_or("—")).monospace(),
                            );
                        });
                        row.col(|ui| {
                            // Calls ActionBench made say how they were sent, not verified.
                            let text = ex.envelope_label();
                            let label = ui.label(text);
                            if let Some(e) = ex.envelope {
                                label.on_hover_text(e.label());
                            }
                        });
                        if row.response().clicked() {
                            clicked = Some(ex.id);
                        }
                    });
                });
        });
    if let Some(id) = clicked {
        cx.tx.send(Command::Select(id));
        cx.tx.send(Command::KeysTo(ListFocus::Log));
    }
}
