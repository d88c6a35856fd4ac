//! Glossary enforcement: which terms go to the backend with each segment, whether an answer
//! renders them, the repair instruction, and the flags for what still misses.
//!
//! The pipeline sees the glossary only through [`Terms`], so that it can run without one
//! ([`NoTerms`]) and be tested with a stand-in.

use crate::backend::TermPair;
use crate::{Bitext, Flag, FlagCode, Severity};

/// A glossary as the pipeline uses it.
pub trait Terms: Send + Sync {
    /// The terms of each segment of one article (`sources` in document order), with the
    /// rendering to ask for at that occurrence (the `first` form at a term's first mention in
    /// the article).
    fn plan(&self, sources: &[&str]) -> Vec<Vec<TermPair>>;

    /// The terms of `terms` (as planned for `source`) that `target` does not render.
    fn missing(&self, source: &str, target: &str, terms: &[TermPair]) -> Vec<TermPair>;

    /// Fills term hits (and the glossary's own flags) of a finished bitext.
    fn annotate(&self, _bitext: &mut Bitext) {}

    /// A digest of the glossary, for `Meta::glossary_digest`.
    fn digest(&self) -> Option<String> {
        None
    }
}

/// No glossary: no terms, nothing to check.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTerms;

impl Terms for NoTerms {
    fn plan(&self, sources: &[&str]) -> Vec<Vec<TermPair>> {
        vec![Vec::new(); sources.len()]
    }

    fn missing(&self, _: &str, _: &str, _: &[TermPair]) -> Vec<TermPair> {
        Vec::new()
    }
}

/// The instruction of a repair request: the previous answer missed these renderings.
pub fn repair_instruction(missing: &[TermPair]) -> String {
    let list: Vec<String> = missing
        .iter()
        .map(|t| format!("{} → \"{}\"", t.source, t.target))
        .collect();
    format!(
        "The previous translation of this segment did not use the required glossary \
         rendering{}: {}. Translate it again and use exactly {}.",
        if missing.len() == 1 { "" } else { "s" },
        list.join("; "),
        if missing.len() == 1 {
            "this rendering"
        } else {
            "these renderings"
        }
    )
}

/// The flag of a term still missing after enforcement.
pub fn missing_flag(term: &TermPair) -> Flag {
    Flag {
        code: FlagCode::MissingTerm,
        severity: Severity::Error,
        message: format!("missing \"{}\" for {}", term.target, term.source),
        term: Some(term.source.clone()),
        expected: Some(term.target.clone()),
    }
}

/// Whether a flag is a glossary violation (counted apart from QA flags).
pub fn is_violation(flag: &Flag) -> bool {
    matches!(flag.code, FlagCode::MissingTerm | FlagCode::FirstMention)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_names_every_missing_rendering() {
        let one = repair_instruction(&[TermPair {
            source: "上合组织".into(),
            target: "SCO".into(),
        }]);
        assert!(one.contains("上合组织 → \"SCO\""), "{one}");
        assert!(one.contains("this rendering"));
        let two = repair_instruction(&[
            TermPair {
                source: "两江新区".into(),
                target: "Liangjiang New Area".into(),
            },
            TermPair {
                source: "智博会".into(),
                target: "Smart China Expo".into(),
            },
        ]);
        assert!(two.contains("renderings: 两江新区"), "{two}");
        assert!(two.contains("; 智博会 → \"Smart China Expo\""));
    }

    #[test]
    fn no_terms_plans_empty_lists() {
        assert_eq!(NoTerms.plan(&["a", "b"]), vec![vec![], vec![]]);
        assert!(NoTerms.missing("a", "b", &[]).is_empty());
    }
}
