//! Preparing a job: the segments of every source as units (typed ids, planned terms, cache
//! keys), the translation memory's hits, which units share a key, and the batches to send.

use super::enforce::PlannedTerm;
use super::plan::{self, PackItem};
use super::run::{Answer, Provenance};
use super::{Article, Job, Options};
use crate::SegmentId;
use crate::backend::{BackendInfo, Batch, Context, Example, Item, TermPair, Usage};
use crate::cache::{Cache, CacheError, CacheKey, Entry, FuzzyMatch, PairEntry, PairOrigin};
use std::collections::HashMap;

/// One segment of the job.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Index of its source.
    pub doc: usize,
    /// Index in its source's segments.
    pub index: usize,
    pub id: SegmentId,
    pub text: String,
    pub terms: Vec<PlannedTerm>,
    pub key: CacheKey,
    /// Similar memory entries (fuzzy matches) sent as examples, best first.
    pub examples: Vec<FuzzyMatch>,
}

impl Unit {
    /// The term pairs of the unit, as the cache key and repair instructions state them.
    pub fn pairs(&self) -> Vec<TermPair> {
        self.terms.iter().map(|t| t.pair.clone()).collect()
    }

    /// The wire form of the unit: only the terms worth sending.
    pub fn item(&self) -> Item {
        Item {
            id: self.id.to_string(),
            text: self.text.clone(),
            terms: self
                .terms
                .iter()
                .filter(|t| t.send)
                .map(|t| t.pair.clone())
                .collect(),
        }
    }

    /// Characters of source text.
    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }
}

/// A job ready to run: what to send and what the memory already answers.
pub struct Prepared {
    pub units: Vec<Unit>,
    /// Per source, the unit indices of its segments in order.
    pub docs: Vec<Vec<usize>>,
    /// Memory entries found, per unit: an imported pair or this backend's answer.
    pub hits: Vec<Option<Hit>>,
    /// The first unit with the same cache key (itself when it is the first): a run sends each
    /// distinct key once and copies the answer to the others.
    pub leader: Vec<usize>,
    pub info: BackendInfo,
}

impl Prepared {
    /// Units to request: misses that lead their key.
    pub fn to_send(&self) -> Vec<bool> {
        (0..self.units.len())
            .map(|u| self.hits[u].is_none() && self.leader[u] == u)
            .collect()
    }

    /// Units with the same key as an earlier unit, by leader.
    pub fn followers(&self) -> HashMap<usize, Vec<usize>> {
        let mut followers: HashMap<usize, Vec<usize>> = HashMap::new();
        for (u, &l) in self.leader.iter().enumerate() {
            if l != u {
                followers.entry(l).or_default().push(u);
            }
        }
        followers
    }

    /// The batches to send (unit indices, neighbours together), sized from the work.
    pub fn batches(&self, options: &Options) -> Vec<Vec<usize>> {
        pack_units(self, &self.to_send(), options)
    }

    /// The batches for the units marked in `send`, packed as [`Prepared::batches`] packs
    /// (the Batch API leaves out units pending in a batch or planned for another article).
    pub fn batches_for(&self, send: &[bool], options: &Options) -> Vec<Vec<usize>> {
        pack_units(self, send, options)
    }

    /// The request for `units` (consecutive units of one source): their items, with the
    /// article title and the segment before the first one as context.
    pub fn batch(
        &self,
        sources: &[Article],
        options: &Options,
        units: &[usize],
        instruction: Option<String>,
    ) -> Batch {
        let first = &self.units[units[0]];
        let source = &sources[first.doc];
        let previous = first
            .index
            .checked_sub(1)
            .map(|i| source.segments[i].text.clone());
        Batch {
            items: units.iter().map(|&u| self.units[u].item()).collect(),
            context: Context {
                title: source.title.clone(),
                previous,
                instruction,
                examples: examples_of(units.iter().map(|&u| &self.units[u])),
            },
            source_lang: options.source_lang.clone(),
            target_lang: options.target_lang.clone(),
        }
    }
}

/// Splits the sources into units, plans their terms and looks them up in the memory.
pub fn prepare(job: &Job<'_>, sources: &[Article]) -> Result<Prepared, CacheError> {
    let info = job.backend.info();
    let mut units = Vec::new();
    let mut docs = Vec::new();
    for (doc, source) in sources.iter().enumerate() {
        let texts: Vec<&str> = source.segments.iter().map(|s| s.text.as_str()).collect();
        let mut terms = job.terms.plan(&texts);
        terms.resize(texts.len(), Vec::new());
        let mut indices = Vec::with_capacity(texts.len());
        for (index, (segment, terms)) in source.segments.iter().zip(terms).enumerate() {
            let pairs: Vec<TermPair> = terms.iter().map(|t| t.pair.clone()).collect();
            let key = CacheKey::new(
                &info,
                &job.options.source_lang,
                &job.options.target_lang,
                &segment.text,
                &pairs,
            );
            indices.push(units.len());
            units.push(Unit {
                doc,
                index,
                id: segment.id,
                text: segment.text.clone(),
                terms,
                key,
                examples: Vec::new(),
            });
        }
        docs.push(indices);
    }
    let hits = match job.cache {
        Some(cache) => memory_hits(cache, &job.options, &mut units)?,
        None => vec![None; units.len()],
    };
    let mut first: HashMap<CacheKey, usize> = HashMap::new();
    let leader = units
        .iter()
        .enumerate()
        .map(|(u, unit)| *first.entry(unit.key).or_insert(u))
        .collect();
    Ok(Prepared {
        units,
        docs,
        hits,
        leader,
        info,
    })
}

/// What the memory holds for a unit.
#[derive(Debug, Clone)]
pub enum Hit {
    /// An imported pair (human, or machine when this backend has no answer of its own).
    Pair(Box<PairEntry>),
    /// This backend's answer.
    Machine(Entry),
}

impl Hit {
    /// The answer the hit gives.
    pub fn answer(&self) -> Answer {
        match self {
            Hit::Pair(pair) => Answer {
                target: pair.target.clone(),
                usage: Usage::default(),
                cached: true,
                // Imported translations are never re-requested: what they miss is flagged.
                checked: true,
                from: Provenance::Pair(pair.clone()),
            },
            Hit::Machine(entry) => Answer {
                target: entry.target.clone(),
                usage: entry.usage,
                cached: true,
                checked: entry.checked,
                from: Provenance::Memory,
            },
        }
    }

    /// This backend's entry (the only kind that may still get a glossary repair request).
    pub fn entry(&self) -> Option<&Entry> {
        match self {
            Hit::Machine(entry) => Some(entry),
            Hit::Pair(_) => None,
        }
    }
}

/// Fuzzy matches sent with a segment at most.
pub const MAX_EXAMPLES: usize = 3;

/// Looks every unit up in the memory: a human pair first, then this backend's answer, then an
/// imported machine pair. Units left without an answer get their fuzzy matches as examples.
fn memory_hits(
    cache: &Cache,
    options: &Options,
    units: &mut [Unit],
) -> Result<Vec<Option<Hit>>, CacheError> {
    let keys: Vec<CacheKey> = units.iter().map(|u| u.key).collect();
    let machine = cache.get_many(&keys)?;
    let texts: Vec<&str> = units.iter().map(|u| u.text.as_str()).collect();
    let pairs = cache.pairs_many(&options.source_lang, &options.target_lang, &texts)?;
    let hits: Vec<Option<Hit>> = machine
        .into_iter()
        .zip(pairs)
        .map(|(entry, pair)| match (entry, pair) {
            (_, Some(pair)) if pair.origin == PairOrigin::Human => Some(Hit::Pair(Box::new(pair))),
            (Some(entry), _) => Some(Hit::Machine(entry)),
            (None, Some(pair)) => Some(Hit::Pair(Box::new(pair))),
            (None, None) => None,
        })
        .collect();
    let misses: Vec<usize> = (0..units.len()).filter(|&u| hits[u].is_none()).collect();
    if options.fuzzy > 0.0 && !misses.is_empty() {
        let index = cache.fuzzy_index(&options.source_lang, &options.target_lang)?;
        if !index.is_empty() {
            for u in misses {
                units[u].examples = index.lookup(&units[u].text, options.fuzzy, MAX_EXAMPLES);
            }
        }
    }
    Ok(hits)
}

/// The fuzzy matches of a batch's items as protocol examples: per item, human entries first,
/// then machine ones, each best first.
fn examples_of<'u>(units: impl Iterator<Item = &'u Unit>) -> Vec<Example> {
    let mut out = Vec::new();
    for unit in units {
        let mut matches: Vec<&FuzzyMatch> = unit.examples.iter().collect();
        matches.sort_by_key(|m| !m.human); // stable: keeps best first within each kind
        out.extend(matches.into_iter().map(|m| Example {
            id: unit.id.to_string(),
            source: m.source.clone(),
            target: m.target.clone(),
            similarity: m.percent(),
            origin: if m.human { "human" } else { "machine" }.to_string(),
        }));
    }
    out
}

/// The character budget of a batch: `--batch-chars` (or the default), never more than the
/// backend accepts.
pub fn batch_chars(options: &Options, info: &BackendInfo) -> usize {
    let wanted = if options.batch_chars == 0 {
        super::DEFAULT_BATCH_CHARS
    } else {
        options.batch_chars
    };
    if info.max_chars > 0 {
        wanted.min(info.max_chars)
    } else {
        wanted
    }
}

/// Requests in flight at most: `--concurrency`, else the backend's default.
pub fn concurrency(options: &Options, info: &BackendInfo) -> usize {
    match options.concurrency {
        0 => info.default_concurrency.max(1),
        n => n,
    }
}

/// A batch smaller than this is not worth a request of its own when the text could fill
/// fewer, larger ones (the fixed cost of a request dominates).
pub const MIN_BATCH_CHARS: usize = 300;

/// How many batches the whole job should make: a multiple of the permits (every round of
/// requests fills them), as few rounds as the budget allows, and no batch under
/// [`MIN_BATCH_CHARS`] when the text is short.
pub fn wanted_batches(total_chars: usize, permits: usize, budget: usize) -> usize {
    let permits = permits.max(1);
    let rounds = total_chars.div_ceil(permits * budget.max(1)).max(1);
    (rounds * permits).min(total_chars / MIN_BATCH_CHARS).max(1)
}

/// Packs the units to send (per source, in order) into batches of unit indices, sized from
/// the work: the batches of the whole job fill the permits (see [`wanted_batches`]), each
/// source gets its share by length, and `--batch-chars` (or the backend's limit) bounds them.
fn pack_units(prepared: &Prepared, send: &[bool], options: &Options) -> Vec<Vec<usize>> {
    let budget = batch_chars(options, &prepared.info);
    let max_items = if prepared.info.max_items == 0 {
        usize::MAX
    } else {
        prepared.info.max_items
    };
    let todo: Vec<Vec<usize>> = prepared
        .docs
        .iter()
        .map(|doc| doc.iter().copied().filter(|&u| send[u]).collect())
        .collect();
    let chars =
        |units: &[usize]| -> usize { units.iter().map(|&u| prepared.units[u].chars()).sum() };
    let total: usize = todo.iter().map(|t| chars(t)).sum();
    let wanted = wanted_batches(total, concurrency(options, &prepared.info), budget);
    let mut batches = Vec::new();
    for todo in &todo {
        let doc_chars = chars(todo);
        // This source's share of the batches, rounded; a short source gets one.
        let share = (wanted * doc_chars + total / 2) / total.max(1);
        let share = share.min(doc_chars / MIN_BATCH_CHARS).max(1);
        let items: Vec<PackItem> = todo
            .iter()
            .map(|&u| PackItem {
                chars: prepared.units[u].chars(),
                block: prepared.units[u].id.block,
            })
            .collect();
        for range in plan::pack(&items, budget, max_items, share) {
            batches.push(todo[range].to_vec());
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fill_the_permits_in_as_few_rounds_as_the_budget_allows() {
        // One article of 5,600 chars, 4 permits, budget 4,000: one round of 4.
        assert_eq!(wanted_batches(5600, 4, 4000), 4);
        assert_eq!(wanted_batches(5600, 8, 4000), 8);
        // Twenty articles at 8 permits: rounds of 8 batches under the budget.
        assert_eq!(wanted_batches(113_000, 8, 4000), 32);
        // Short text: no batch under the minimum.
        assert_eq!(wanted_batches(700, 8, 4000), 2);
        assert_eq!(wanted_batches(100, 8, 4000), 1);
    }
}
