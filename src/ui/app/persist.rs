//! What the window remembers between runs: saved settings applied at start, and what it
//! would save now.

use super::*;

impl App {
    /// Applies saved settings (see [`settings`](super::settings)); flags given on the command
    /// line win over them. Settings that do not decode leave the defaults, with a warning.
    pub fn load_settings(&mut self, raw: Option<&str>) {
        let (saved, warning) = crate::ui::settings::decode(raw);
        if let Some(w) = warning {
            self.status = Some((w, true));
        }
        let t = &saved.target;
        if self.core.target_form.base.is_empty() && !t.base.is_empty() {
            self.left.action.form = TargetForm {
                base: t.base.clone(),
                app_id: t.app_id.clone(),
                instance_id: if t.instance_id.is_empty() {
                    self.left.action.form.instance_id.clone()
                } else {
                    t.instance_id.clone()
                },
                jwt: t.jwt,
                timeout_secs: if t.timeout_secs > 0.0 {
                    t.timeout_secs
                } else {
                    self.left.action.form.timeout_secs
                },
            };
            self.left.action.target = self.left.action.form.target();
            *self.core.target.write().unwrap_or_else(|e| e.into_inner()) =
                self.left.action.target.clone().ok();
        }
        for (key, k) in &saved.keys {
            let policy = k.policy(&self.core.engine.policy(key));
            self.core.engine.set_policy(key, policy.clone());
            self.mirror.keys.insert(key.clone(), policy);
        }
        if let Some(a) = saved.assumptions {
            self.core.engine.set_assumptions(a);
            self.assumptions = a;
        }
        // Hosts given with --allow-host stay; the saved ones join them.
        let mut hosts = (*self.core.engine.allowed_hosts()).clone();
        for h in &saved.allowed_hosts {
            if !hosts.contains(h) {
                hosts.push(h.clone());
            }
        }
        self.left.hosts.text = hosts.join(", ");
        self.core.engine.set_allowed_hosts(hosts);
        if let Some(dark) = saved.dark {
            self.ctx.set_theme(if dark {
                egui::Theme::Dark
            } else {
                egui::Theme::Light
            });
        }
        if WARP_FACTORS.contains(&saved.warp) && saved.warp != self.warp {
            self.core.engine.set_warp(saved.warp);
            self.warp = saved.warp;
        }
        if saved.panel == "flows" {
            self.left.tab = LeftTab::Flows;
        }
    }

    /// What the window would save now.
    pub fn settings(&self) -> crate::ui::settings::Settings {
        use crate::ui::settings::{KeySettings, Settings, TargetSettings};
        let f = &self.left.action.form;
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
                .map(|(k, p)| (k.clone(), KeySettings::from(p)))
                .collect(),
            assumptions: Some(self.assumptions),
            allowed_hosts: (*self.core.engine.allowed_hosts()).clone(),
            dark: Some(self.ctx.theme() == egui::Theme::Dark),
            warp: self.warp,
            panel: match self.left.tab {
                LeftTab::Samples => "samples".into(),
                LeftTab::Flows => "flows".into(),
            },
            port: Some(self.core.port),
        }
    }
}
