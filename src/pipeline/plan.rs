//! Batching: pack the segments to translate into requests by character budget and the
//! backend's item limit, keeping neighbours together and preferring block boundaries.

use serde::Serialize;
use std::ops::Range;

/// What the packer needs to know of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackItem {
    /// Characters of source text.
    pub chars: usize,
    /// Block number: a batch prefers to end where a block ends.
    pub block: u32,
}

/// Packs `items` (in document order) into consecutive ranges. Each range holds at most
/// `max_items` items and at most `budget` characters (a single longer item gets a range of its
/// own). Ranges are balanced: with `n` the fewest batches the limits allow, but at least
/// `wanted` (and never more than the items), each aims at `total / n` characters, ending at a
/// block boundary when one is near.
pub fn pack(
    items: &[PackItem],
    budget: usize,
    max_items: usize,
    wanted: usize,
) -> Vec<Range<usize>> {
    let budget = budget.max(1);
    let max_items = max_items.max(1);
    if items.is_empty() {
        return Vec::new();
    }
    let total: usize = items.iter().map(|i| i.chars).sum();
    let mut n = total
        .div_ceil(budget)
        .max(items.len().div_ceil(max_items))
        .max(wanted.min(items.len()))
        .max(1);
    // Balancing by characters can leave a short tail when the item limit cuts a batch of
    // short items first: then balance over one more batch instead.
    loop {
        let ranges = pack_into(items, budget, max_items, n, total);
        if ranges.len() <= n || n >= items.len() {
            return ranges;
        }
        n = ranges.len();
    }
}

/// [`pack`] aiming at `n` balanced ranges.
fn pack_into(
    items: &[PackItem],
    budget: usize,
    max_items: usize,
    n: usize,
    total: usize,
) -> Vec<Range<usize>> {
    let target = total.div_ceil(n).max(1);
    let mut ranges = Vec::new();
    // `done`: characters in closed ranges; batch k aims to end near k·total/n overall, so
    // early or late cuts do not drift into an extra small batch.
    let (mut start, mut chars, mut done) = (0, 0, 0);
    for (i, item) in items.iter().enumerate() {
        let count = i - start;
        if count > 0 {
            let hard = chars + item.chars > budget || count >= max_items;
            let last = ranges.len() + 1 >= n;
            let goal = (ranges.len() + 1) * total / n;
            let at = done + chars;
            // Also close a batch at its share of the items, so that a run of short items
            // does not reach the item limit and leave a tail.
            let item_goal = ((ranges.len() + 1) * items.len()).div_ceil(n);
            let full = !last && (at >= goal || (i >= item_goal && max_items < items.len()));
            let new_block = item.block != items[i - 1].block;
            let near_boundary =
                !last && new_block && at + item.chars > goal && (at + target * 2 / 5) >= goal;
            if hard || full || near_boundary {
                ranges.push(start..i);
                start = i;
                done += chars;
                chars = 0;
            }
        }
        chars += item.chars;
    }
    ranges.push(start..items.len());
    ranges
}

/// A request the plan would send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedBatch {
    /// The article's file name.
    pub article: String,
    /// Segment ids, in order.
    pub ids: Vec<String>,
    pub chars: usize,
}

/// The plan of a job (what `--dry-run` prints): nothing is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub segments: usize,
    pub cached: usize,
    /// Cached answers that still miss a glossary term and were never repaired.
    pub repairs: usize,
    pub batches: Vec<PlannedBatch>,
    /// Estimated tokens of the requests (prompt overhead included).
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Plan {
    /// Requests the plan would send (batches, and repairs of cached answers).
    pub fn requests(&self) -> usize {
        self.batches.len() + self.repairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(spec: &[(usize, u32)]) -> Vec<PackItem> {
        spec.iter()
            .map(|&(chars, block)| PackItem { chars, block })
            .collect()
    }

    fn check_cover(ranges: &[Range<usize>], len: usize) {
        let mut next = 0;
        for r in ranges {
            assert_eq!(r.start, next);
            assert!(r.end > r.start);
            next = r.end;
        }
        assert_eq!(next, len);
    }

    #[test]
    fn respects_budget_and_item_limit() {
        let list = items(&[(40, 1); 25]);
        let ranges = pack(&list, 100, 50, 1);
        check_cover(&ranges, 25);
        for r in &ranges {
            let chars: usize = list[r.clone()].iter().map(|i| i.chars).sum();
            assert!(chars <= 100, "{r:?}");
        }
        let ranges = pack(&list, 10_000, 7, 1);
        check_cover(&ranges, 25);
        assert!(ranges.iter().all(|r| r.len() <= 7));
        assert_eq!(ranges.len(), 4);
    }

    #[test]
    fn oversized_item_is_alone() {
        let list = items(&[(10, 1), (500, 1), (10, 1)]);
        let ranges = pack(&list, 100, 50, 1);
        assert_eq!(ranges, vec![0..1, 1..2, 2..3]);
    }

    #[test]
    fn batches_are_balanced_and_prefer_block_ends() {
        // Four blocks of 3 × 100 chars; budget 700 → 2 batches of about 600.
        let mut spec = Vec::new();
        for block in 1..=4 {
            spec.extend([(100, block); 3]);
        }
        let list = items(&spec);
        let ranges = pack(&list, 700, 50, 1);
        assert_eq!(ranges, vec![0..6, 6..12]);
        // Uneven blocks: the cut moves to the block boundary near the target.
        let list = items(&[(120, 1), (120, 1), (120, 2), (120, 2), (120, 2)]);
        let ranges = pack(&list, 500, 50, 1);
        assert_eq!(ranges, vec![0..2, 2..5]);
    }

    #[test]
    fn wanted_batches_are_balanced_without_tiny_leftovers() {
        // 20 segments of 60 chars (1,200): four permits want four batches of about 300.
        let list = items(&[(60, 1); 20]);
        let ranges = pack(&list, 4000, 50, 4);
        check_cover(&ranges, 20);
        assert_eq!(ranges.len(), 4);
        assert!(ranges.iter().all(|r| r.len() == 5), "{ranges:?}");
        // Never more batches than items.
        assert_eq!(pack(&list[..2], 4000, 50, 4).len(), 2);
        // The budget still bounds every batch.
        let ranges = pack(&list, 250, 50, 2);
        assert!(ranges.iter().all(|r| r.len() * 60 <= 250), "{ranges:?}");
    }

    #[test]
    fn empty_input_has_no_batches() {
        assert!(pack(&[], 100, 10, 4).is_empty());
    }
}
