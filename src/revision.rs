//! Revisions of an article: which pairs of a new translation are new or changed since an
//! earlier bitext of the same article (`translate --diff OLD.json`).
//!
//! A pair is unchanged when the earlier version has a sentence with the same source (after the
//! memory's normalisation), wherever it was; otherwise it is **changed** when an earlier
//! sentence that the new version no longer has is at least [`CHANGED_SIMILARITY`] similar
//! (character level), else **new**. Only sources count: a target edited in the meantime does
//! not make a pair changed.

use crate::cache::{fuzzy, normalize_source};
use crate::model::{Bitext, Diff};
use std::collections::HashSet;

/// Least similarity of an edited sentence to its earlier form.
pub const CHANGED_SIMILARITY: f64 = 0.5;

/// Compares `bitext` with `old` and records the result in `bitext.meta.diff`; `against` names
/// the earlier file.
pub fn mark_changes(bitext: &mut Bitext, old: &Bitext, against: &str) {
    let old_sources: HashSet<String> = old
        .pairs
        .iter()
        .map(|p| normalize_source(&p.source))
        .collect();
    let new_sources: HashSet<String> = bitext
        .pairs
        .iter()
        .map(|p| normalize_source(&p.source))
        .collect();
    // Earlier sentences the new version lost: the candidates for an edited sentence.
    let gone: Vec<(String, Vec<char>)> = old
        .pairs
        .iter()
        .map(|p| normalize_source(&p.source))
        .filter(|s| !new_sources.contains(s))
        .map(|s| {
            let chars = s.chars().collect();
            (s, chars)
        })
        .collect();
    let mut diff = Diff {
        against: against.to_string(),
        ..Diff::default()
    };
    for pair in &bitext.pairs {
        let source = normalize_source(&pair.source);
        if old_sources.contains(&source) {
            continue;
        }
        let chars: Vec<char> = source.chars().collect();
        let edited = gone.iter().any(|(_, old)| {
            let longest = chars.len().max(old.len()).max(1);
            let allowed = ((1.0 - CHANGED_SIMILARITY) * longest as f64).floor() as usize;
            fuzzy::bounded_levenshtein(&chars, old, allowed).is_some()
        });
        if edited {
            diff.changed.push(pair.id.clone());
        } else {
            diff.new.push(pair.id.clone());
        }
    }
    bitext.meta.diff = Some(diff);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BlockKind, Change, Meta, Origin, Pair};

    fn bitext(sources: &[&str]) -> Bitext {
        let mut b = Bitext::new("zh-CN", "en", Meta::default());
        for (n, s) in sources.iter().enumerate() {
            b.pairs.push(Pair {
                id: format!("b1.s{}", n + 1),
                block: 1,
                kind: BlockKind::Paragraph,
                source: s.to_string(),
                target: String::new(),
                terms: vec![],
                flags: vec![],
                origin: Origin::Manual,
            });
        }
        b
    }

    #[test]
    fn moved_sentences_are_unchanged_edits_changed_others_new() {
        let old = bitext(&[
            "重庆两江新区今年经济增长百分之八。",
            "会议在北京举行。",
            "天气很好。",
        ]);
        let mut new = bitext(&[
            "会议在北京举行。",                   // moved
            "重庆两江新区今年经济增长百分之九。", // edited
            "这是一段全新的内容，与原文无关。",   // new
        ]);
        mark_changes(&mut new, &old, "old.json");
        assert_eq!(new.change_of("b1.s1"), None);
        assert_eq!(new.change_of("b1.s2"), Some(Change::Changed));
        assert_eq!(new.change_of("b1.s3"), Some(Change::New));
        assert_eq!(new.meta.diff.as_ref().unwrap().against, "old.json");
    }
}
