//! The idempotency keys the Report Event stand-in remembers: per trigger key, what the first
//! report with each key did, until its time to live runs out on the simulated clock.
//!
//! A report costs the same with ten keys alive or ten million: a key is found by hash, and the
//! keys that have expired are found in the order they expire (a min-heap on their end), so
//! each look pops only what has expired since the last one. Simulated time may jump forward
//! (the warp) or back (*Back to now*): a key counts as alive while its end is after now, and
//! leaves memory the first time a report sees it expired, as it did when every report swept
//! every key.

use crate::domain::invocation::ExchangeId;
use chrono::{DateTime, Duration, Utc};
use std::cmp::Reverse;
use std::collections::hash_map::RandomState;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasher;

/// What the first report with a key did, while the key lives.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Seen {
    pub until: DateTime<Utc>,
    /// The exchange that reported it first.
    pub exchange: ExchangeId,
    /// The activations it started (empty until they have started).
    pub ids: Vec<String>,
}

/// A trigger key and an idempotency key, as the map and the heap know them: 128 bits of two
/// hashes seeded at random. Two of n keys alive share one with a chance of about n² / 2¹²⁹
/// (10⁻²⁵ for ten million keys: never, in practice), and the keys themselves, up to 80
/// characters each, are not kept: a million keys take about 150 MB rather than 300.
type KeyHash = [u64; 2];

/// A key as remembered (48 bytes, besides the map's own room).
struct Entry {
    until: DateTime<Utc>,
    /// The exchange that took it: with the hash, which of the heap's entries is its own (a key
    /// that expired and was reported again has a newer one).
    exchange: ExchangeId,
    ids: FirstIds,
}

/// The activation IDs a first report started, kept small: the usual one UUID inline.
enum FirstIds {
    None,
    One(uuid::Uuid),
    Other(Box<[String]>),
}

impl FirstIds {
    fn of(ids: Vec<String>) -> FirstIds {
        let one = match ids.as_slice() {
            [] => return FirstIds::None,
            [id] => uuid::Uuid::try_parse(id)
                .ok()
                .filter(|u| u.hyphenated().to_string() == *id),
            _ => None,
        };
        match one {
            Some(u) => FirstIds::One(u),
            None => FirstIds::Other(ids.into_boxed_slice()),
        }
    }

    fn to_vec(&self) -> Vec<String> {
        match self {
            FirstIds::None => vec![],
            FirstIds::One(u) => vec![u.hyphenated().to_string()],
            FirstIds::Other(ids) => ids.to_vec(),
        }
    }
}

/// When a key expires, in the heap: ordered by its end.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Expiry {
    until: DateTime<Utc>,
    exchange: ExchangeId,
    key: KeyHash,
}

/// A key this report took: the first with it while it lives.
#[derive(Debug)]
pub(super) struct Claim {
    key: KeyHash,
    exchange: ExchangeId,
}

#[derive(Default)]
pub(super) struct IdempotencyKeys {
    seen: HashMap<KeyHash, Entry>,
    expiry: BinaryHeap<Reverse<Expiry>>,
    seeds: [RandomState; 2],
}

/// Below this many keys, a map is not shrunk after keys leave (shrinking would cost more than
/// it gives back).
const SHRINK_FROM: usize = 1024;

impl IdempotencyKeys {
    /// The end of a key taken at `now` that lives `ttl_ms`: the latest time there is, for a
    /// time to live that reaches past it.
    pub fn until(now: DateTime<Utc>, ttl_ms: i64) -> DateTime<Utc> {
        now.checked_add_signed(Duration::milliseconds(
            ttl_ms.clamp(i64::MIN / 2, i64::MAX / 2),
        ))
        .unwrap_or(if ttl_ms > 0 {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
    }

    fn hash(&self, trigger: &str, key: &str) -> KeyHash {
        // The trigger key's length first: ("ab", "c") and ("a", "bc") differ.
        let one = |seed: &RandomState| seed.hash_one((trigger.len(), trigger, key));
        [one(&self.seeds[0]), one(&self.seeds[1])]
    }

    /// Key `key` of trigger `trigger`, reported in `exchange` at `now` with a time to live of
    /// `ttl_ms`: what the first report with it did, while it lives (the report then starts
    /// nothing); else taken by this report, which says what it started with
    /// [`IdempotencyKeys::started`]. A second report with the key meanwhile finds it taken.
    pub fn claim(
        &mut self,
        trigger: &str,
        key: &str,
        exchange: ExchangeId,
        now: DateTime<Utc>,
        ttl_ms: i64,
    ) -> Result<Claim, Seen> {
        self.expire(now);
        let hash = self.hash(trigger, key);
        if let Some(e) = self.seen.get(&hash) {
            return Err(Seen {
                until: e.until,
                exchange: e.exchange,
                ids: e.ids.to_vec(),
            });
        }
        let until = IdempotencyKeys::until(now, ttl_ms);
        self.seen.insert(
            hash,
            Entry {
                until,
                exchange,
                ids: FirstIds::None,
            },
        );
        self.expiry.push(Reverse(Expiry {
            until,
            exchange,
            key: hash,
        }));
        Ok(Claim {
            key: hash,
            exchange,
        })
    }

    /// What the report that took `claim` started.
    pub fn started(&mut self, claim: Claim, ids: Vec<String>) {
        if let Some(e) = self
            .seen
            .get_mut(&claim.key)
            .filter(|e| e.exchange == claim.exchange)
        {
            e.ids = FirstIds::of(ids);
        }
    }

    /// Forgets the keys whose end is not after `now`: only those are looked at, the earliest
    /// first. How many left.
    pub fn expire(&mut self, now: DateTime<Utc>) -> usize {
        let mut gone = 0;
        while let Some(Reverse(top)) = self.expiry.peek() {
            if top.until > now {
                break;
            }
            let Some(Reverse(e)) = self.expiry.pop() else {
                break;
            };
            if self
                .seen
                .get(&e.key)
                .is_some_and(|k| k.exchange == e.exchange)
            {
                self.seen.remove(&e.key);
                gone += 1;
            }
        }
        if gone > 0 {
            if self.seen.capacity() >= SHRINK_FROM && self.seen.len() * 4 < self.seen.capacity() {
                self.seen.shrink_to(self.seen.len() * 2);
            }
            if self.expiry.capacity() >= SHRINK_FROM
                && self.expiry.len() * 4 < self.expiry.capacity()
            {
                self.expiry.shrink_to(self.expiry.len() * 2);
            }
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl IdempotencyKeys {
        fn len(&self) -> usize {
            self.seen.len()
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z")
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_key_lives_until_its_end_and_is_then_forgotten() {
        let mut keys = IdempotencyKeys::default();
        let claim = keys.claim("t", "k", 1, t0(), 60_000).expect("first");
        keys.started(claim, vec!["a".into()]);
        let seen = keys
            .claim("t", "k", 2, t0() + Duration::seconds(59), 60_000)
            .expect_err("a duplicate");
        assert_eq!(seen.exchange, 1);
        assert_eq!(seen.ids, vec!["a".to_string()]);
        // Another trigger's key of the same name is its own.
        assert!(keys.claim("u", "k", 3, t0(), 120_000).is_ok());
        // At its end it has expired: taken again, by the new report.
        let again = keys.claim("t", "k", 4, t0() + Duration::seconds(60), 60_000);
        assert!(again.is_ok(), "{again:?}");
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn expiring_looks_only_at_what_expired_and_frees_it() {
        let mut keys = IdempotencyKeys::default();
        // Ends out of the order they were taken in.
        for (i, ttl) in [(0, 3_000), (1, 1_000), (2, 2_000)] {
            assert!(keys.claim("t", &format!("k{i}"), i, t0(), ttl).is_ok());
        }
        assert_eq!(keys.expire(t0() + Duration::milliseconds(1_500)), 1);
        assert_eq!(keys.expire(t0() + Duration::milliseconds(2_500)), 1);
        assert!(keys.claim("t", "k1", 9, t0(), 1).is_ok(), "k1 expired");
        // Simulated time back (Back to now): k0 still lives.
        assert!(keys.claim("t", "k0", 10, t0(), 1).is_err());
        assert_eq!(keys.expire(t0() + Duration::days(1)), 2);
        assert_eq!(keys.len(), 0);
        assert!(keys.seen.is_empty() && keys.expiry.is_empty());
    }

    #[test]
    fn many_keys_leave_and_give_their_room_back() {
        let mut keys = IdempotencyKeys::default();
        for i in 0..100_000u64 {
            assert!(keys.claim("t", &i.to_string(), i, t0(), 1_000).is_ok());
        }
        assert!(keys.claim("t", "last", 0, t0(), 1_000_000).is_ok());
        assert_eq!(keys.expire(t0() + Duration::seconds(1)), 100_000);
        assert_eq!(keys.len(), 1);
        assert!(keys.expiry.capacity() < SHRINK_FROM * 4, "the heap shrank");
        assert!(keys.seen.capacity() < SHRINK_FROM * 4, "the map shrank");
    }

    #[test]
    fn the_first_ids_come_back_as_they_were_given() {
        let uuid = "9d24c1a0-5f3e-4b7a-8c2d-1e0f9a8b7c6d".to_string();
        for ids in [
            vec![],
            vec![uuid.clone()],
            vec![uuid.to_uppercase()],
            vec!["not-a-uuid".into()],
            vec![uuid.clone(), uuid.clone()],
        ] {
            assert_eq!(FirstIds::of(ids.clone()).to_vec(), ids);
        }
        assert!(matches!(FirstIds::of(vec![uuid]), FirstIds::One(_)));
    }

    #[test]
    fn a_time_to_live_past_the_end_of_time_lasts_until_then() {
        assert_eq!(
            IdempotencyKeys::until(t0(), i64::MAX),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            IdempotencyKeys::until(t0(), 1),
            t0() + Duration::milliseconds(1)
        );
    }
}
