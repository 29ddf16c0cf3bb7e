//! Invocation tokens: which invocations carried each, and which one a completion report
//! reaches.

use super::*;
use std::hash::{Hash, Hasher};

pub(super) fn short_id(id: ExchangeId) -> u32 {
    u32::try_from(id).unwrap_or(u32::MAX)
}

/// A token's 128-bit hash (two SipHash runs with different keys), as two halves: what the
/// token map is keyed by. Two tokens meeting by chance is a 1-in-2^64 event at four billion
/// calls. Two u64s rather than a u128, whose 16-byte alignment would pad every entry.
pub(super) fn token_key(token: &str) -> TokenKey {
    let half = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        salt.hash(&mut h);
        token.hash(&mut h);
        h.finish()
    };
    [half(1), half(2)]
}

pub(super) type TokenKey = [u64; 2];

/// Who carried one invocation token: how many, and the latest. 8 bytes: with its key an entry
/// takes 24 (ids past four billion are not expected).
#[derive(Default, Clone, Copy)]
pub(super) struct TokenUses {
    pub(super) last: u32,
    pub(super) count: u32,
}

/// One shard of the token map: every token's uses, and apart, the few tokens that live
/// invocations (held or waiting) carry, oldest first. Ended ones leave `live` when the token is
/// next used, so a token reused a million times costs no more per call than a fresh one.
#[derive(Default)]
pub(super) struct TokenShard {
    uses: HashMap<TokenKey, TokenUses>,
    live: HashMap<TokenKey, Vec<ExchangeId>>,
}

/// The token map, in shards by the token's hash: calls with different tokens never wait for
/// one another.
pub(super) struct Tokens {
    shards: Box<[Mutex<TokenShard>]>,
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
    pub(super) fn shard(&self, key: TokenKey) -> MutexGuard<'_, TokenShard> {
        self.shards[(key[0] as usize) % TOKEN_SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Files exchange `id` (restored from a session) under `token`.
    pub(super) fn file(&self, token: &str, id: ExchangeId, live: bool) {
        let key = token_key(token);
        let mut shard = self.shard(key);
        let uses = shard.uses.entry(key).or_default();
        uses.count = uses.count.saturating_add(1);
        uses.last = short_id(id);
        if live {
            shard.live.entry(key).or_default().push(id);
        }
    }

    /// Bytes of the shards' tables: each table has a power of two of buckets, seven eighths
    /// of which it fills, and a control byte per bucket.
    pub(super) fn bytes(&self) -> usize {
        fn table<V>(m: &HashMap<TokenKey, V>) -> usize {
            let buckets = match m.capacity() {
                0 => 0,
                c if c < 8 => (c + 1).next_power_of_two(),
                c => (c * 8 / 7).next_power_of_two(),
            };
            buckets * (std::mem::size_of::<(TokenKey, V)>() + 1)
        }
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(|e| e.into_inner());
                let lists: usize = s.live.values().map(|v| v.capacity() * 8).sum();
                table(&s.uses) + table(&s.live) + lists
            })
            .sum()
    }

    /// How many invocations carried `token`.
    pub(super) fn count(&self, token: &str) -> usize {
        let key = token_key(token);
        self.shard(key)
            .uses
            .get(&key)
            .map_or(0, |u| u.count as usize)
    }
}

impl Engine {
    /// Files new exchange `id`, just appended, under its token's hash `key`. A token that a
    /// live invocation already carries is a finding on both (each invocation gets its own
    /// token from Wix); reports for it then complete the oldest waiting one first, so none is
    /// left unreachable. `is_live`: whether the new invocation is held or waiting (only those
    /// can be reported to; an answered one is only counted, which keeps the common case free
    /// of allocation).
    pub(super) fn register_token(&self, id: ExchangeId, key: TokenKey, is_live: bool) {
        let (last, live) = {
            let mut shard = self.tokens.shard(key);
            let uses = shard.uses.entry(key).or_default();
            let before = (uses.count > 0).then_some(uses.last as ExchangeId);
            uses.count = uses.count.saturating_add(1);
            uses.last = short_id(id);
            let live = match shard.live.get_mut(&key) {
                Some(ids) => {
                    ids.retain(|e| self.log.is_live(*e));
                    ids.clone()
                }
                None => vec![],
            };
            if is_live {
                shard.live.entry(key).or_default().push(id);
            } else if live.is_empty() {
                shard.live.remove(&key);
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
            let uses = shard.uses.get(&key)?;
            shard
                .live
                .get(&key)
                .into_iter()
                .flatten()
                .copied()
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
