//! Invocation tokens: which invocations carried each, and which one a completion report
//! reaches.

use super::*;
use std::hash::{Hash, Hasher};

pub(super) fn short_id(id: ExchangeId) -> u32 {
    u32::try_from(id).unwrap_or(u32::MAX)
}

/// A token's 128-bit hash (two SipHash runs with different keys): what the token map is keyed
/// by. Two tokens meeting by chance is a 1-in-2^64 event at four billion calls.
pub(super) fn token_key(token: &str) -> u128 {
    let half = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        salt.hash(&mut h);
        token.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// Who carried one invocation token: how many, the latest, and those still live (held or
/// waiting), oldest first. Ended ones leave `live` when the next use looks, so a token reused
/// a million times costs no more per call than a fresh one.
#[derive(Default)]
pub(super) struct TokenUses {
    /// 32 bits, so that an entry takes 16 bytes (ids past four billion are not expected).
    pub(super) last: u32,
    pub(super) count: u32,
    /// Boxed: almost every token has none, and the map holds one entry per invocation, so
    /// 8 bytes instead of a Vec's 24 (measured: the map's growth under the lock showed in
    /// `cargo bench --bench throughput`).
    #[allow(clippy::box_collection)]
    pub(super) live: Option<Box<Vec<ExchangeId>>>,
}

/// The token map, in shards by the token's hash: calls with different tokens never wait for
/// one another.
pub(super) struct Tokens {
    shards: Box<[Mutex<HashMap<u128, TokenUses>>]>,
}

const TOKEN_SHARDS: usize = 64;

impl Default for Tokens {
    fn default() -> Self {
        Tokens {
            shards: (0..TOKEN_SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl Tokens {
    /// The shard holding `key`, locked. Take it with no exchange locked: a shard's holder
    /// may lock exchanges.
    pub(super) fn shard(&self, key: u128) -> MutexGuard<'_, HashMap<u128, TokenUses>> {
        self.shards[(key as usize) % TOKEN_SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Files exchange `id` (restored from a session) under `token`.
    pub(super) fn file(&self, token: &str, id: ExchangeId, live: bool) {
        let key = token_key(token);
        let mut shard = self.shard(key);
        let uses = shard.entry(key).or_default();
        uses.count = uses.count.saturating_add(1);
        uses.last = short_id(id);
        if live {
            uses.live.get_or_insert_default().push(id);
        }
    }

    /// How many invocations carried `token`.
    pub(super) fn count(&self, token: &str) -> usize {
        let key = token_key(token);
        self.shard(key).get(&key).map_or(0, |u| u.count as usize)
    }
}

impl Engine {
    /// Files new exchange `id`, just appended, under its token's hash `key`. A token that a
    /// live invocation already carries is a finding on both (each invocation gets its own
    /// token from Wix); reports for it then complete the oldest waiting one first, so none is
    /// left unreachable. `is_live`: whether the new invocation is held or waiting (only those
    /// can be reported to; an answered one is only counted, which keeps the common case free
    /// of allocation).
    pub(super) fn register_token(&self, id: ExchangeId, key: u128, is_live: bool) {
        let (last, live) = {
            let mut shard = self.tokens.shard(key);
            let uses = shard.entry(key).or_default();
            let live = match &mut uses.live {
                Some(ids) => {
                    ids.retain(|e| *e == id || self.log.is_live(*e));
                    ids.to_vec()
                }
                None => vec![],
            };
            let before = (uses.count > 0).then_some(uses.last as ExchangeId);
            uses.count = uses.count.saturating_add(1);
            uses.last = short_id(id);
            if is_live {
                uses.live.get_or_insert_default().push(id);
            }
            (before, live)
        };
        let Some(last) = last else {
            return;
        };
        let sim = self.now();
        let field = "activationContext.invocationToken";
        let token = {
            let Some(mut ex) = self.log.lock(id) else {
                return;
            };
            let token = ex.invocation_token.clone().unwrap_or_default();
            let finding = if live.is_empty() {
                format!(
                    "invocationToken {token:?} was used before by invocation #{last}, which has ended: Wix gives every invocation its own token"
                )
            } else {
                let list = live
                    .iter()
                    .map(|e| format!("#{e}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "invocationToken {token:?} is also carried by live invocation {list}: Wix gives every invocation its own token. Completion reports for it complete the oldest waiting invocation first"
                )
            };
            ex.findings
                .push(Finding::warning("token-reused", finding).at(field));
            token
        };
        for other in live {
            let Some(mut old) = self.log.lock(other) else {
                continue;
            };
            old.findings.push(
                Finding::warning(
                    "token-reused",
                    format!("invocationToken {token:?} was reused by invocation #{id} while this one is live: completion reports for it complete the oldest waiting invocation first"),
                )
                .at(field),
            );
            old.note(
                sim,
                format!("invocation #{id} arrived with the same invocationToken"),
            );
            self.emit(EventKind::Flagged, old);
        }
    }

    /// The invocation a completion report for `token` completes: the oldest one still waiting,
    /// else the newest (whose phase then explains the refusal).
    /// The one it names is brought back into memory if it was on disk.
    pub(super) fn report_target(&self, token: &str) -> Option<ExchangeId> {
        let key = token_key(token);
        let target = {
            let shard = self.tokens.shard(key);
            let uses = shard.get(&key)?;
            uses.live
                .iter()
                .flat_map(|ids| ids.iter().copied())
                .find(|e| {
                    self.log
                        .lock(*e)
                        .is_some_and(|x| matches!(x.phase, Phase::Waiting { .. }))
                })
                .unwrap_or(uses.last as ExchangeId)
        };
        self.load(target).map(|_| target)
    }
}
