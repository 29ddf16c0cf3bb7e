//! What the window remembers between runs: saved settings applied at start, and what it
//! would save now.

use super::{App, Command, LeftTab, TargetForm, WARP_FACTORS};
use crate::ui::panels::left::LeftCmd;

impl App {
    /// Applies saved settings (see [`settings`](super::settings)); flags given on the command
    /// line win over them. Settings that do not decode leave the defaults, with a warning.
    pub fn load_settings(&mut self, raw: Option<&str>) {
        let (saved, warning) = crate::ui::settings::decode(raw);
        if let Some(w) = warning {
            self.commands.send(Command::Status(w, true));
        }
        // Restored through the same commands a click sends: one place writes each setting.
        let t = &saved.target;
        if self.core.target_form.base.is_empty() && !t.base.is_empty() {
            let form = self.left.form();
            self.commands.panel(LeftCmd::SetForm(TargetForm {
                base: t.base.clone(),
                app_id: t.app_id.clone(),
                instance_id: if t.instance_id.is_empty() {
                    form.instance_id.clone()
                } else {
                    t.instance_id.clone()
                },
                jwt: t.jwt,
                timeout_secs: if t.timeout_secs > 0.0 {
                    t.timeout_secs
                } else {
                    form.timeout_secs
                },
            }));
        }
        for (key, k) in &saved.keys {
            let policy = k.policy(&self.core.engine.policy(key));
            self.commands.panel(LeftCmd::SetPolicy(key.clone(), policy));
        }
        if let Some(a) = saved.assumptions {
            self.commands.panel(LeftCmd::SetAssumptions(a));
        }
        // Hosts given with --allow-host stay; the saved ones join them.
        let mut hosts = (*self.core.engine.allowed_hosts()).clone();
        for h in &saved.allowed_hosts {
            if !hosts.contains(h) {
                hosts.push(h.clone());
            }
        }
        self.commands.panel(LeftCmd::SetHosts(hosts));
        if let Some(dark) = saved.dark {
            self.commands.send(Command::SetDark(dark));
        }
        if WARP_FACTORS.contains(&saved.warp) && saved.warp != self.core.engine.warp().factor() {
            self.commands.send(Command::SetWarp(saved.warp));
        }
        match saved.panel.as_str() {
            "flows" => self.commands.panel(LeftCmd::ShowTab(LeftTab::Flows)),
            "actions" => self.commands.panel(LeftCmd::ShowTab(LeftTab::Actions)),
            "triggers" => self.commands.panel(LeftCmd::ShowTab(LeftTab::Triggers)),
            _ => {}
        }
        self.run_commands();
    }

    /// What the window would save now.
    pub fn settings(&self) -> crate::ui::settings::Settings {
        use crate::ui::settings::{KeySettings, Settings, TargetSettings};
        let f = self.left.form();
        Settings {
            target: TargetSettings {
                base: f.base.clone(),
                app_id: f.app_id.clone(),
                instance_id: f.instance_id.clone(),
                jwt: f.jwt,
                timeout_secs: f.timeout_secs,
            },
            keys: self
                .mirror
                .keys
                .iter()
                .map(|k| (k.clone(), KeySettings::from(&self.core.engine.policy(k))))
                .collect(),
            assumptions: Some(self.core.engine.assumptions()),
            allowed_hosts: (*self.core.engine.allowed_hosts()).clone(),
            dark: Some(self.ctx.theme() == egui::Theme::Dark),
            warp: self.core.engine.warp().factor(),
            panel: match self.left.tab() {
                LeftTab::Samples => "samples".into(),
                LeftTab::Flows => "flows".into(),
                LeftTab::Actions => "actions".into(),
                LeftTab::Triggers => "triggers".into(),
            },
            port: Some(self.core.port),
        }
    }
}
