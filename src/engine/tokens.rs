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

impl Engine {
    /// Files the new exchange `ex` under its token. A token that a live invocation already
    /// carries is a finding on both (each invocation gets its own token from Wix); reports for
    /// it then complete the oldest waiting one first, so none is left unreachable.
    /// `is_live`: whether the new invocation is held or waiting (only those can be reported
    /// to; an answered one is only counted, which keeps the common case free of allocation).
    pub(super) fn register_token(
        st: &mut State,
        ex: &mut Exchange,
        token: &str,
        is_live: bool,
        sim: DateTime<Utc>,
    ) {
        let id = ex.id;
        let (last, live) = {
            let State {
                tokens, exchanges, ..
            } = st;
            let uses = tokens.entry(token_key(token)).or_default();
            let live = match &mut uses.live {
                Some(ids) => {
                    ids.retain(|e| exchanges.get(index(*e)).is_some_and(|x| x.phase.is_live()));
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
        let field = "activationContext.invocationToken";
        if live.is_empty() {
            ex.findings.push(
                Finding::warning(
                    "token-reused",
                    format!("invocationToken {token:?} was used before by invocation #{last}, which has ended: Wix gives every invocation its own token"),
                )
                .at(field),
            );
            return;
        }
        let list = live
            .iter()
            .map(|e| format!("#{e}"))
            .collect::<Vec<_>>()
            .join(", ");
        ex.findings.push(
            Finding::warning(
                "token-reused",
                format!("invocationToken {token:?} is also carried by live invocation {list}: Wix gives every invocation its own token. Completion reports for it complete the oldest waiting invocation first"),
            )
            .at(field),
        );
        for other in live {
            let old = &mut st.exchanges[index(other)];
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
            Engine::emit(st, EventKind::Flagged, other);
        }
    }

    /// The invocation a completion report for `token` completes: the oldest one still waiting,
    /// else the newest (whose phase then explains the refusal).
    /// The one it names is brought back into memory if it was on disk.
    pub(super) fn report_target(st: &mut State, token: &str) -> Option<ExchangeId> {
        let uses = st.tokens.get(&token_key(token))?;
        let target = uses
            .live
            .iter()
            .flat_map(|ids| ids.iter().copied())
            .find(|e| {
                st.exchanges
                    .get(index(*e))
                    .is_some_and(|x| matches!(x.phase, Phase::Waiting { .. }))
            })
            .unwrap_or(uses.last as ExchangeId);
        Engine::load(st, target).then_some(target)
    }
}
