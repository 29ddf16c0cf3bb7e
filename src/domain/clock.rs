//! Time, injectable: the real clock, a manual one for tests, and the time warp that lets a
//! day-long wait pass in half a minute.

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The speeds the window offers.
pub const WARP_FACTORS: [u32; 3] = [1, 60, 3600];

/// Simulated time: it runs `factor` times faster than the clock it is read from, and never
/// jumps when the factor changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeWarp {
    anchor_real: DateTime<Utc>,
    anchor_sim: DateTime<Utc>,
    factor: u32,
}

impl TimeWarp {
    pub fn new(real_now: DateTime<Utc>) -> Self {
        TimeWarp {
            anchor_real: real_now,
            anchor_sim: real_now,
            factor: 1,
        }
    }

    pub fn factor(&self) -> u32 {
        self.factor
    }

    pub fn simulated(&self, real_now: DateTime<Utc>) -> DateTime<Utc> {
        let elapsed = real_now - self.anchor_real;
        self.anchor_sim + elapsed * self.factor as i32
    }

    /// Real time left until simulated time reaches `sim_deadline`.
    pub fn real_until(&self, real_now: DateTime<Utc>, sim_deadline: DateTime<Utc>) -> Duration {
        (sim_deadline - self.simulated(real_now)) / self.factor.max(1) as i32
    }

    /// How far simulated time is ahead of real time (zero when they agree).
    pub fn offset(&self, real_now: DateTime<Utc>) -> Duration {
        self.simulated(real_now) - real_now
    }

    /// Simulated time `offset` ahead of real time, at ×1: a reopened session carries on from
    /// where its clock was.
    pub fn resume(real_now: DateTime<Utc>, offset: Duration) -> Self {
        TimeWarp {
            anchor_real: real_now,
            anchor_sim: real_now + offset,
            factor: 1,
        }
    }

    /// Simulated time back to real time, at ×1.
    pub fn back_to_now(&mut self, real_now: DateTime<Utc>) {
        *self = TimeWarp::new(real_now);
    }

    pub fn set_factor(&mut self, real_now: DateTime<Utc>, factor: u32) {
        self.anchor_sim = self.simulated(real_now);
        self.anchor_real = real_now;
        self.factor = factor.max(1);
    }
}

/// "1 h 02 min", "3 min 05 s", "12 s": how long, for people.
pub fn human_duration(d: Duration) -> String {
    let total = d.num_seconds();
    let sign = if total < 0 { "-" } else { "" };
    let s = total.abs();
    let (days, hours, mins, secs) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if days > 0 {
        format!("{sign}{days} d {hours:02} h {mins:02} min")
    } else if hours > 0 {
        format!("{sign}{hours} h {mins:02} min {secs:02} s")
    } else if mins > 0 {
        format!("{sign}{mins} min {secs:02} s")
    } else {
        format!("{sign}{secs} s")
    }
}

/// A duration as one says it to an audience: "1 day", "3 hours 20 minutes", "45 seconds".
pub fn spoken_duration(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    let units = [
        (s / 86_400, "day"),
        ((s / 3600) % 24, "hour"),
        ((s / 60) % 60, "minute"),
    ];
    let parts: Vec<String> = units
        .iter()
        .filter(|(n, _)| *n > 0)
        .take(2)
        .map(|(n, u)| format!("{n} {u}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if parts.is_empty() {
        format!("{s} second{}", if s == 1 { "" } else { "s" })
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warp_runs_faster_and_does_not_jump_when_changed() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").map(|t| t.to_utc());
        let t0 = t0.expect("date");
        let mut warp = TimeWarp::new(t0);
        warp.set_factor(t0, 3600);
        let t1 = t0 + Duration::seconds(10);
        assert_eq!(warp.simulated(t1), t0 + Duration::hours(10));
        warp.set_factor(t1, 1);
        assert_eq!(warp.simulated(t1), t0 + Duration::hours(10));
        assert_eq!(
            warp.simulated(t1 + Duration::seconds(5)),
            t0 + Duration::hours(10) + Duration::seconds(5)
        );
    }

    #[test]
    fn after_a_warp_time_stays_ahead_at_x1_until_back_to_now() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|t| t.to_utc())
            .expect("date");
        let mut warp = TimeWarp::new(t0);
        assert_eq!(warp.offset(t0), Duration::zero());
        warp.set_factor(t0, 60);
        let t1 = t0 + Duration::seconds(10);
        warp.set_factor(t1, 1);
        assert_eq!(warp.offset(t1 + Duration::hours(1)), Duration::seconds(590));
        warp.back_to_now(t1);
        assert_eq!(warp.offset(t1 + Duration::hours(1)), Duration::zero());
        assert_eq!(warp.factor(), 1);
    }

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(human_duration(Duration::seconds(12)), "12 s");
        assert_eq!(human_duration(Duration::seconds(185)), "3 min 05 s");
        assert_eq!(human_duration(Duration::minutes(62)), "1 h 02 min 00 s");
        assert_eq!(human_duration(Duration::hours(25)), "1 d 01 h 00 min");
        assert_eq!(human_duration(Duration::seconds(-5)), "-5 s");
        assert_eq!(spoken_duration(Duration::days(1)), "1 day");
        assert_eq!(
            spoken_duration(Duration::minutes(200)),
            "3 hours 20 minutes"
        );
        assert_eq!(spoken_duration(Duration::seconds(45)), "45 seconds");
    }
}
