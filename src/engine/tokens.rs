//! Invocation tokens: which invocations carried each, and which one a completion report
//! reaches.
//!
//! For the other rooms `register_token`, `report_target`.

use super::{Engine, EventKind, ExchangeId, Finding, HashMap, Mutex, MutexGuard, Phase};
use std::hash::{Hash, Hasher};

pub(super) fn short_id(id: ExchangeId) -> u32 {
    u32::try_from(id).unwrap_or(u32::MAX)
}

/// A token's 128-bit hash (two SipHash runs with different keys), as two halves: what the
/// token map is keyed by. Two tokens meeting by chance is a 1-in-2^64 event at four billion
/// calls. Two u64s rather than a u128, whose 16-byte alignment would pad every entry.
pub fn token_key(token: &str) -> TokenKey {
    let half = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        salt.hash(&mut h);
        token.hash(&mut h);
        h.finish()
    };
    [half(1), half(2)]
}

pub type TokenKey = [u64; 2];

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
/// The tokens a reopened session filed are kept apart, sorted (`frozen`): 24 bytes each, where
/// a hash table's room took twice that (a million tokens: 24 MB rather than about 52).
#[derive(Default)]
pub(super) struct TokenShard {
    uses: HashMap<TokenKey, TokenUses>,
    frozen: Vec<(TokenKey, TokenUses)>,
    live: HashMap<TokenKey, Vec<ExchangeId>>,
}

impl TokenShard {
    /// `key`'s uses, if it was carried before.
    fn get(&self, key: &TokenKey) -> Option<&TokenUses> {
        match self.frozen.binary_search_by(|e| e.0.cmp(key)) {
            Ok(i) => Some(&self.frozen[i].1),
            Err(_) => self.uses.get(key),
        }
    }

    /// `key`'s uses, made if new.
    fn entry(&mut self, key: TokenKey) -> &mut TokenUses {
        match self.frozen.binary_search_by(|e| e.0.cmp(&key)) {
            Ok(i) => &mut self.frozen[i].1,
            Err(_) => self.uses.entry(key).or_default(),
        }
    }

    /// Sorts the tokens filed while restoring, one entry a token (the latest use, every use
    /// counted).
    fn freeze(&mut self) {
        let mut all = std::mem::take(&mut self.frozen);
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.last.cmp(&b.1.last)));
        let mut merged: Vec<(TokenKey, TokenUses)> = Vec::with_capacity(all.len());
        for (key, uses) in all {
            match merged.last_mut() {
                Some(last) if last.0 == key => {
                    last.1.count = last.1.count.saturating_add(uses.count);
                    last.1.last = uses.last;
                }
                _ => merged.push((key, uses)),
            }
        }
        merged.shrink_to_fit();
        self.frozen = merged;
    }
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

    /// Files exchange `id` (restored from a session) under `token`; [`Tokens::freeze`] sorts
    /// them once every one is filed.
    pub(super) fn file(&self, token: &str, id: ExchangeId, live: bool) {
        self.file_key(token_key(token), id, live);
    }

    /// [`Tokens::file`], by the token's hash.
    pub(super) fn file_key(&self, key: TokenKey, id: ExchangeId, live: bool) {
        let mut shard = self.shard(key);
        let uses = TokenUses {
            last: short_id(id),
            count: 1,
        };
        shard.frozen.push((key, uses));
        if live {
            shard.live.entry(key).or_default().push(id);
        }
    }

    /// Sorts the tokens a restore filed (see [`TokenShard`]).
    pub(super) fn freeze(&self) {
        for s in self.shards.iter() {
            s.lock().unwrap_or_else(|e| e.into_inner()).freeze();
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
                let frozen = s.frozen.capacity() * std::mem::size_of::<(TokenKey, TokenUses)>();
                table(&s.uses) + table(&s.live) + lists + frozen
            })
            .sum()
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
    pub(super) fn register_token(&self, id: ExchangeId, key: TokenKey, is_live: bool) {
        let (last, live) = {
            let mut shard = self.tokens.shard(key);
            let uses = shard.entry(key);
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
            let uses = *shard.get(&key)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_filed_on_restore_are_sorted_once_and_counted_with_their_latest_use() {
        let tokens = Tokens::default();
        for (t, id) in [("tok-a", 1), ("tok-b", 2), ("tok-a", 3), ("tok-c", 4)] {
            tokens.file(t, id, false);
        }
        tokens.freeze();
        assert_eq!(tokens.count("tok-a"), 2);
        assert_eq!(tokens.count("tok-b"), 1);
        assert_eq!(tokens.count("tok-d"), 0);
        let key = token_key("tok-a");
        let mut shard = tokens.shard(key);
        assert_eq!(shard.get(&key).map(|u| u.last), Some(3));
        // A later use updates the frozen entry in place, not a second one in the table.
        let uses = shard.entry(key);
        uses.count += 1;
        uses.last = 9;
        assert!(shard.uses.is_empty());
        assert_eq!(shard.get(&key).map(|u| (u.count, u.last)), Some((3, 9)));
    }
}
