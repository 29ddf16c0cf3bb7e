//! Rate limits' counts: the runs each limit let through, per identifier, on the simulated
//! clock. The engine keeps one set for every run (the window's, `serve`'s, `flow run`'s).

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};

/// The runs counted per limit and identifier.
#[derive(Debug, Default)]
pub struct RateCounts {
    counted: HashMap<String, VecDeque<DateTime<Utc>>>,
}

/// What a rate limit said of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateSaid {
    pub passed: bool,
    /// Runs counted in the window before this one.
    pub before: usize,
}

impl RateCounts {
    /// Whether a run at `now` passes the limit `key` names (the automation, its node and the
    /// identifier): fewer than `max` runs counted in `window` (None: ever). A run that passes is
    /// counted; one that is stopped is not. The window slides back from `now`, or with `fixed`
    /// is a fixed one opened by the first counted run.
    pub fn take(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
        max: u64,
        window: Option<Duration>,
        fixed: bool,
    ) -> RateSaid {
        let times = self.counted.entry(key.to_string()).or_default();
        if let Some(w) = window {
            if fixed {
                if times.front().is_some_and(|start| now >= *start + w) {
                    times.clear();
                }
            } else {
                while times.front().is_some_and(|t| *t + w <= now) {
                    times.pop_front();
                }
            }
        }
        let before = times.len();
        let passed = (before as u64) < max;
        if passed {
            times.push_back(now);
        }
        if times.is_empty() {
            self.counted.remove(key);
        }
        RateSaid { passed, before }
    }
}

#[cfg(test)]
mod tests {
    use super::{RateCounts, RateSaid};
    use chrono::{DateTime, Duration, Utc};

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).expect("a time")
    }

    #[test]
    fn once_per_contact_per_day_slides_and_counts_only_what_passed() {
        let mut c = RateCounts::default();
        let day = Some(Duration::hours(24));
        let take = |c: &mut RateCounts, who: &str, h: i64| c.take(who, at(h), 1, day, false);
        assert!(take(&mut c, "dana", 0).passed);
        assert_eq!(
            take(&mut c, "dana", 5),
            RateSaid {
                passed: false,
                before: 1
            }
        );
        assert!(
            take(&mut c, "noa", 5).passed,
            "another contact is counted apart"
        );
        assert!(!take(&mut c, "dana", 23).passed);
        assert!(take(&mut c, "dana", 24).passed, "a day after the first");
        assert!(
            !take(&mut c, "dana", 30).passed,
            "the stopped runs did not count, the last one did"
        );
    }

    #[test]
    fn fixed_windows_and_forever() {
        let mut c = RateCounts::default();
        let w = Some(Duration::hours(10));
        assert!(c.take("k", at(0), 2, w, true).passed);
        assert!(c.take("k", at(9), 2, w, true).passed);
        assert!(!c.take("k", at(9), 2, w, true).passed);
        assert!(
            c.take("k", at(10), 2, w, true).passed,
            "a new window opens at 10"
        );
        let mut ever = RateCounts::default();
        assert!(ever.take("k", at(0), 1, None, false).passed);
        assert!(
            !ever.take("k", at(10_000), 1, None, false).passed,
            "only ever once"
        );
        assert!(
            !RateCounts::default()
                .take("k", at(0), 0, None, false)
                .passed,
            "a cap of 0"
        );
    }
}
