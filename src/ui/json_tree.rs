//! A JSON value as a collapsible tree: objects and arrays fold, leaves show their JSON text.

use crate::ui::theme;
use egui::{CollapsingHeader, Color32, Id, RichText, Ui};
use serde_json::Value;

/// Children shown per object or array before the rest is summarised.
const MAX_CHILDREN: usize = 500;

pub fn json_tree(ui: &mut Ui, id: Id, label: &str, value: &Value) {
    node(ui, id, label, value, 0);
}

fn leaf_color(v: &Value, dark: bool) -> Color32 {
    match (v, dark) {
        (Value::String(_), true) => theme::JSON_STRING.0,
        (Value::String(_), false) => theme::JSON_STRING.1,
        (Value::Number(_), true) => theme::JSON_NUMBER.0,
        (Value::Number(_), false) => theme::JSON_NUMBER.1,
        (Value::Bool(_) | Value::Null, true) => theme::JSON_LITERAL.0,
        (Value::Bool(_) | Value::Null, false) => theme::JSON_LITERAL.1,
        _ => Color32::GRAY,
    }
}

fn node(ui: &mut Ui, id: Id, key: &str, value: &Value, depth: usize) {
    let (count, kind) = match value {
        Value::Object(o) if !o.is_empty() => {
            (o.len(), super::widgets::plural(o.len(), "field", "fields"))
        }
        Value::Array(a) if !a.is_empty() => {
            (a.len(), super::widgets::plural(a.len(), "item", "items"))
        }
        leaf => {
            let dark = ui.visuals().dark_mode;
            let text = leaf.to_string();
            let value = RichText::new(&text)
                .monospace()
                .color(leaf_color(leaf, dark));
            // A long value goes under its key, wrapped to the pane: beside it, a value with
            // no spaces widened the pane past the window.
            if text.chars().count() > 48 {
                ui.label(RichText::new(format!("{key}:")).monospace().weak());
                ui.label(value);
            } else {
                ui.horizontal_wrapped(|ui| {
                    ui.spacing_mut().item_spacing.x = 4.0;
                    ui.label(RichText::new(format!("{key}:")).monospace().weak());
                    ui.label(value);
                });
            }
            return;
        }
    };
    let id = id.with(key);
    // A header does not wrap: a long key is cut (whole on the leaves' lines) so that a folded
    // object never widens a narrow pane.
    let shown: String = if key.chars().count() > 28 {
        key.chars().take(27).chain(['…']).collect()
    } else {
        key.to_string()
    };
    CollapsingHeader::new(RichText::new(format!("{shown}  ({count} {kind})")))
        .id_salt(id)
        .default_open(depth < 2)
        .show(ui, |ui| match value {
            Value::Object(o) => {
                for (k, v) in o.iter().take(MAX_CHILDREN) {
                    node(ui, id, k, v, depth + 1);
                }
                more(ui, o.len());
            }
            Value::Array(a) => {
                for (i, v) in a.iter().take(MAX_CHILDREN).enumerate() {
                    node(ui, id, &format!("[{i}]"), v, depth + 1);
                }
                more(ui, a.len());
            }
            _ => {}
        });
}

fn more(ui: &mut Ui, len: usize) {
    if len > MAX_CHILDREN {
        ui.label(RichText::new(format!("… {} more (see the raw body)", len - MAX_CHILDREN)).weak());
    }
}
