//! The middle: the held calls' strip, the filter bar, and the log table (filtered a slice
//! of the log per frame).

use super::*;

impl App {
    /// The held calls as one compact strip: how many, the next to run out, and on demand a
    /// virtualized list of them all, so the log stays in view whatever the queue holds.
    pub(super) fn held_queue(&mut self, ui: &mut Ui) {
        let Some(&next) = self.mirror.held.first() else {
            ui.label(RichText::new("No call is held. Send a sample, or POST to the inbox.").weak());
            return;
        };
        let left = |ex: &Exchange, real_now: DateTime<Utc>| match ex.phase {
            Phase::Held { hold_until } => human_duration(hold_until - real_now),
            _ => String::new(),
        };
        ui.horizontal_wrapped(|ui| {
            let n = self.mirror.held.len();
            ui.label(
                RichText::new(format!("{n} held {}", plural(n, "call", "calls")))
                    .strong()
                    .color(Color32::from_rgb(230, 160, 40)),
            );
            if let Some(ex) = self.mirror.log.get(next as usize - 1) {
                ui.label(format!(
                    "next runs out in {} (#{next} {})",
                    left(&ex, self.real_now),
                    ex.action_key.as_deref().unwrap_or("?")
                ));
            }
            if ui
                .button("Answer next")
                .on_hover_text("Select the held call that runs out first")
                .clicked()
            {
                self.commands.send(Command::Select(next));
            }
            let toggle = if self.held_strip.show_all {
                "Hide list"
            } else {
                "Show all"
            };
            if ui.button(toggle).clicked() {
                self.held_strip.show_all = !self.held_strip.show_all;
            }
        });
        if !self.held_strip.show_all {
            return;
        }
        let ids: Vec<ExchangeId> = self.mirror.held.iter().copied().collect();
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        egui::ScrollArea::vertical()
            .id_salt("held")
            .max_height(row_h * 6.0)
            .auto_shrink([false, true])
            .show_rows(ui, row_h, ids.len(), |ui, range| {
                for &id in &ids[range] {
                    let Some(ex) = self.mirror.log.get(id as usize - 1) else {
                        continue;
                    };
                    let text = format!(
                        "#{id} {} · {} left",
                        ex.action_key.as_deref().unwrap_or("?"),
                        left(&ex, self.real_now)
                    );
                    if ui
                        .selectable_label(
                            self.selected == Some(id),
                            RichText::new(text).color(phase_color(&ex.phase)),
                        )
                        .clicked()
                    {
                        self.commands.send(Command::Select(id));
                    }
                }
            });
    }

    /// Recomputes the rows the filter shows when the filter or the log changed (at most
    /// every 300 ms while calls stream in; at once when the filter itself changed). A slice of
    /// the log per frame, within [`SCAN_BUDGET`]: a million rows never hold up a frame; the
    /// rows found so far show meanwhile.
    pub(super) fn refresh_rows(&mut self) {
        if self.log_panel.filter.is_empty() {
            self.log_panel.rows = None;
            self.log_panel.rows_for = None;
            self.log_panel.scan = None;
            return;
        }
        let now = (
            self.log_panel.filter.clone(),
            self.mirror.log.len(),
            self.mirror.log_version,
        );
        let start = match (&self.log_panel.scan, &self.log_panel.rows_for) {
            (Some(scan), _) => scan.key.0 != now.0,
            (None, None) => true,
            (None, Some(was)) if *was == now => return,
            (None, Some(was)) => {
                if was.0 != now.0 || self.log_panel.rows_at.elapsed() >= Duration::from_millis(300)
                {
                    true
                } else {
                    self.ctx.request_repaint_after(Duration::from_millis(300));
                    return;
                }
            }
        };
        if start {
            self.log_panel.scan = Some(match &self.log_panel.rows_for {
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
                    self.log_panel.rows = Some(vec![]);
                    Scan {
                        key: now,
                        at: 0,
                        found: None,
                    }
                }
            });
        }
        self.continue_scan();
    }

    /// Looks through the next slice of the log for the filter being applied.
    pub(super) fn continue_scan(&mut self) {
        let Some(mut scan) = self.log_panel.scan.take() else {
            return;
        };
        let started = Instant::now();
        let matcher = scan.key.0.matcher();
        let end = scan.key.1.min(self.mirror.log.len());
        let rows = match &mut scan.found {
            Some(found) => found,
            None => self.log_panel.rows.get_or_insert_with(Vec::new),
        };
        let engine = &self.core.engine;
        let log = &self.mirror.log;
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
            self.log_panel.scan = Some(scan);
            self.ctx.request_repaint();
        } else {
            if let Some(found) = scan.found {
                self.log_panel.rows = Some(found);
            }
            self.log_panel.rows_for = Some(scan.key);
            self.log_panel.rows_at = Instant::now();
        }
    }

    /// How far the filter being applied has looked, when it has not finished.
    pub(super) fn scanning(&self) -> Option<f32> {
        self.log_panel
            .scan
            .as_ref()
            .map(|s| s.at as f32 / s.key.1.max(1) as f32)
    }

    /// Find things: the filter over the log, Ctrl+F to reach it, and the HAR export of what
    /// it shows.
    pub(super) fn filter_bar(&mut self, ui: &mut Ui) {
        let scanning = self.scanning();
        let f = &mut self.log_panel.filter;
        ui.horizontal_wrapped(|ui| {
            let find = ui.label("Find").on_hover_text("Ctrl+F");
            let text = ui
                .add(
                    egui::TextEdit::singleline(&mut f.text)
                        .hint_text("text in paths, keys, bodies (Ctrl+F)")
                        .desired_width(220.0),
                )
                .labelled_by(find.id);
            if std::mem::take(&mut self.log_panel.focus_filter) {
                text.request_focus();
            }
            ui.checkbox(&mut f.flagged, "flagged");
            let more = if self.log_panel.show_filters {
                "Fewer filters"
            } else {
                "More filters"
            };
            if ui.button(more).clicked() {
                self.log_panel.show_filters = !self.log_panel.show_filters;
            }
            if !f.is_empty() && ui.button("Clear filter").clicked() {
                *f = Filter::default();
            }
            let shown = self
                .log_panel
                .rows
                .as_ref()
                .map_or(self.mirror.log.len(), Vec::len);
            if self.log_panel.rows.is_some() {
                ui.label(format!("{shown} of {}", self.mirror.log.len()));
            }
            if let Some(done) = scanning {
                ui.spinner();
                ui.label(RichText::new(format!("looking… {:.0}%", done * 100.0)).weak());
            }
            if ui
                .add_enabled(shown > 0, egui::Button::new("Export HAR…"))
                .on_hover_text("The rows shown, as an HTTP Archive (HAR 1.2)")
                .clicked()
            {
                self.commands.send(Command::ExportHar);
            }
        });
        if !self.log_panel.show_filters {
            return;
        }
        let f = &mut self.log_panel.filter;
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
                    for k in &self.mirror.seen_keys {
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
                    .hint_text("ID")
                    .desired_width(110.0),
            )
            .labelled_by(act.id);
        });
    }

    pub(super) fn log_table(&mut self, ui: &mut Ui) {
        let n = self
            .log_panel
            .rows
            .as_ref()
            .map_or(self.mirror.log.len(), Vec::len);
        // The largest id, whatever the filter shows.
        let digits = self.mirror.log.len().max(1).ilog10() as f32 + 2.0; // "#" and the digits
        let id_width = (digits * 8.5 + 12.0).max(40.0);
        let selected = self.selected;
        let mut clicked = None;
        TableBuilder::new(ui)
            .id_salt("log")
            .striped(true)
            .stick_to_bottom(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            // Wide enough for the largest id; Status early, so a narrow window keeps it.
            .column(Column::exact(id_width))
            .column(Column::exact(62.0))
            .column(Column::initial(150.0).at_least(90.0).clip(true))
            .column(Column::initial(110.0).at_least(60.0).clip(true))
            .column(Column::initial(120.0).at_least(60.0).clip(true))
            .column(Column::remainder().at_least(50.0).clip(true))
            .header(20.0, |mut h| {
                for title in ["#", "Time", "Status", "Method", "Action key", "Envelope"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, n, |mut row| {
                    let at = match &self.log_panel.rows {
                        Some(rows) => rows[row.index()] as usize,
                        None => row.index(),
                    };
                    let Some(ex) = self.mirror.log.get(at) else {
                        return;
                    };
                    row.set_selected(selected == Some(ex.id));
                    row.col(|ui| {
                        if ui
                            .selectable_label(selected == Some(ex.id), format!("#{}", ex.id))
                            .clicked()
                        {
                            clicked = Some(ex.id);
                        }
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(ex.at.format("%H:%M:%S").to_string()).monospace());
                    });
                    row.col(|ui| {
                        let status = ex
                            .response
                            .as_ref()
                            .map(|r| format!(" {}", r.status))
                            .unwrap_or_default();
                        let flag = if ex.is_flagged() { "FLAGGED " } else { "" };
                        ui.label(
                            RichText::new(format!("{flag}{}{status}", ex.phase.label()))
                                .color(phase_color(&ex.phase)),
                        );
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
                        let text = Filter::envelope_label(&ex);
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
        if let Some(id) = clicked {
            self.commands.send(Command::Select(id));
        }
    }
}
