//! The shared pages' markup, written with askama's compile-time templates
//! (`assets/share/*.html`): a flow run told beat by beat as presenter mode tells it (from the
//! domain's [`Story`]), or a session's log. The style and script are ActionBench's own
//! (`assets/share/share.css`, `share.js`), inline and named by their SHA-256 in the page's
//! Content-Security-Policy, which forbids everything else.

use super::{Exchange, REDACTED, STANDARD, Utc, embed, journal_lines};
use crate::domain::clock::spoken_duration;
use crate::domain::flow::{Lit, Story};
use crate::domain::invocation::ExchangeId;
use askama::Template;
use base64::Engine as _;
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../../../assets/share/share.css");
const JS: &str = include_str!("../../../assets/share/share.js");

/// What every page has.
struct Common {
    kind: &'static str,
    title: String,
    subtitle: String,
    redaction: String,
    csp: String,
    css: String,
    js: &'static str,
    data: String,
    version: &'static str,
    made: String,
    file: String,
}

impl Common {
    fn new(
        kind: &'static str,
        title: String,
        subtitle: String,
        exchanges: &[Exchange],
        redact: bool,
        css: String,
        file: &str,
    ) -> Common {
        let (lines, redacted) = journal_lines(exchanges, redact);
        let redaction = match (redact, redacted.sentence()) {
            (false, _) => "Shared with its secrets: tokens, access headers and instance IDs are as they were sent.".to_string(),
            (true, Some(what)) => format!(
                "Secrets stayed home: {what} replaced by \"{REDACTED}\" (to keep them: the window's Export, HTML page with secrets; or export --no-redact)."
            ),
            (true, None) => "No JWT signature, access header or instanceId was in these calls.".to_string(),
        };
        let hash = |s: &str| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(s.as_bytes())));
        Common {
            kind,
            title,
            subtitle,
            redaction,
            csp: format!(
                "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
                hash(JS),
                hash(&css)
            ),
            css,
            js: JS,
            data: embed(&lines),
            version: env!("CARGO_PKG_VERSION"),
            made: Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            file: file.to_string(),
        }
    }
}

/// The style: ActionBench's, the states' colours from the palette, and the lanes' grid for
/// `columns` columns of steps and `rows` lanes.
fn css(columns: usize, rows: usize) -> String {
    use crate::domain::palette;
    let mut out = format!(
        ":root{{--ok:{};--error:{};--running:{};--waiting:{};--muted:{}}}\n{CSS}",
        palette::css(palette::OK),
        palette::css(palette::ERROR),
        palette::css(palette::WARNING),
        palette::css(palette::WAITING),
        palette::css(palette::MUTED)
    );
    if columns > 0 {
        out.push_str(&format!(
            ".lanes{{grid-template-columns:minmax(6rem,10rem) repeat({columns},minmax(0,1fr))}}\n"
        ));
        for c in 1..=columns + 1 {
            out.push_str(&format!(".c{c}{{grid-column:{c}}}"));
        }
        for r in 1..=rows {
            out.push_str(&format!(".r{r}{{grid-row:{r}}}"));
        }
        out.push('\n');
    }
    out
}

struct StepView {
    label: String,
    /// In a tree: the side of its parent it is on ("true", "false", a path's name).
    side: Option<String>,
    col: usize,
    row: usize,
    state: &'static str,
    word: &'static str,
    focus: bool,
    /// The beat a click on it shows (its last), 1-based.
    goto: Option<usize>,
}

struct CardView {
    label: String,
    value: String,
    new: bool,
}

struct BeatView {
    n: usize,
    at: Option<String>,
    caption: String,
    later: Option<String>,
    wait: Option<String>,
    trigger_state: &'static str,
    trigger_word: &'static str,
    trigger_focus: bool,
    steps: Vec<StepView>,
    cards: Vec<CardView>,
    call: Option<u64>,
}

#[derive(Template)]
#[template(path = "flow.html")]
struct FlowPage {
    /// What every page has (the base template's).
    common: Common,
    lanes: Vec<String>,
    /// Wix's tree rather than a flow file's lanes.
    tree: bool,
    trigger: String,
    beats: Vec<BeatView>,
}

/// A flow run as one page: `story` told beat by beat, each action step's call
/// (`step_calls[i]`, an exchange among `exchanges`) one click away. `file`: the page's own
/// name, said in it.
pub fn flow_page(
    story: &Story,
    step_calls: &[Option<ExchangeId>],
    exchanges: &[Exchange],
    redact: bool,
    file: &str,
) -> Result<String, String> {
    let beats: Vec<BeatView> = story
        .beats
        .iter()
        .enumerate()
        .map(|(i, b)| BeatView {
            n: i + 1,
            at: Some(b.at.format("%a %H:%M").to_string()),
            caption: b.caption.clone(),
            later: b.later.clone(),
            wait: b.wait.map(|(deadline, wait)| {
                format!(
                    "Wix waits up to {}, until {}",
                    spoken_duration(wait),
                    deadline.format("%a %H:%M")
                )
            }),
            trigger_state: if b.started { Lit::Done } else { Lit::Pending }.name(),
            trigger_word: if b.started { Lit::Done.word() } else { "" },
            trigger_focus: b.step.is_none() && i == 0,
            steps: story
                .steps
                .iter()
                .enumerate()
                .map(|(s, step)| {
                    let lit = b.states.get(s).copied().unwrap_or(Lit::Pending);
                    StepView {
                        label: step.label.clone(),
                        side: step.side.clone(),
                        col: step.col + 2,
                        row: step.lane + 1,
                        state: lit.name(),
                        word: lit.word(),
                        focus: b.step == Some(s),
                        goto: story.last_beat_of(s).map(|g| g + 1),
                    }
                })
                .collect(),
            cards: b
                .cards
                .iter()
                .map(|c| CardView {
                    label: c.label.clone(),
                    value: c.value.clone(),
                    new: c.new,
                })
                .collect(),
            call: b.step.and_then(|s| step_calls.get(s).copied().flatten()),
        })
        .collect();
    let common = Common::new(
        "flow",
        story.title.clone(),
        // What the pager counts (its parts: the trigger, each step's moments, the end), then
        // the steps they tell.
        format!(
            "{} · {} {} to step through ({} {})",
            story.badge,
            beats.len(),
            if beats.len() == 1 { "part" } else { "parts" },
            story.steps.len(),
            if story.steps.len() == 1 {
                "step"
            } else {
                "steps"
            }
        ),
        exchanges,
        redact,
        css(story.columns, story.lanes.len()),
        file,
    );
    FlowPage {
        common,
        lanes: story.lanes.clone(),
        tree: story.tree,
        trigger: story.trigger.clone(),
        beats,
    }
    .render()
    .map_err(|e| format!("the page could not be written: {e}"))
}

struct RowView {
    id: u64,
    time: String,
    when: String,
    status: String,
    tone: &'static str,
    method: String,
    key: String,
    envelope: &'static str,
    flagged: bool,
}

#[derive(Template)]
#[template(path = "session.html")]
struct SessionPage {
    /// What every page has (the base template's).
    common: Common,
    /// The rows in chunks a browser lays out only when they are in view.
    chunks: Vec<Vec<RowView>>,
}

/// `rows` in chunks of `n`.
fn chunks<T>(rows: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = vec![];
    for r in rows {
        match out.last_mut() {
            Some(c) if c.len() < n => c.push(r),
            _ => out.push(vec![r]),
        }
    }
    out
}

/// A session's exchanges as one page: their log, and each call one click away. `title` says
/// what it is (a session's file, an activation).
pub fn session_page(
    title: &str,
    exchanges: &[Exchange],
    redact: bool,
    file: &str,
) -> Result<String, String> {
    let rows: Vec<RowView> = exchanges
        .iter()
        .map(|ex| RowView {
            id: ex.id,
            time: ex.at.format("%H:%M:%S").to_string(),
            when: ex.at.to_rfc3339(),
            status: ex.status_label(),
            tone: ex.phase.tone().name(),
            method: ex.method_label(),
            key: ex.action_key.clone().unwrap_or_else(|| "—".into()),
            envelope: ex.envelope_label(),
            flagged: ex.is_flagged(),
        })
        .collect();
    let n = exchanges.len();
    let common = Common::new(
        "session",
        title.to_string(),
        format!("{n} {}", if n == 1 { "call" } else { "calls" }),
        exchanges,
        redact,
        css(0, 0),
        file,
    );
    SessionPage {
        common,
        chunks: chunks(rows, 200),
    }
    .render()
    .map_err(|e| format!("the page could not be written: {e}"))
}
