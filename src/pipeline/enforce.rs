//! Glossary enforcement: which terms go to the backend with each segment, whether an answer
//! renders them, the repair instruction, and the flags for what still misses.
//!
//! The pipeline sees the glossary only through [`Terms`], so that it can run without one
//! ([`NoTerms`]) and be tested with a stand-in.

use crate::glossary::{self, Glossary, Matcher, RenderingCache};
use crate::model::TermPair;
use crate::{Bitext, Flag, FlagCode, Severity};

/// A glossary term planned for one segment: what the request asks for, and what enforcement
/// checks (the entry and whether this is its first mention, so the check never has to find
/// the term again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTerm {
    /// The source form as it occurs in the segment and the rendering to use there.
    pub pair: TermPair,
    /// The entry, as an index the [`Terms`] implementation understands.
    pub entry: usize,
    /// The document's first mention of the entry.
    pub first_mention: bool,
    /// Whether the request states the term. A term rendered as its own source in Latin
    /// script (`5G`) is not sent unless the entry says `keep`: every translator keeps it, and
    /// it is still checked.
    pub send: bool,
}

impl PlannedTerm {
    /// A planned term; `keep` is the entry's `keep` setting (see [`PlannedTerm::send`]).
    pub fn new(pair: TermPair, entry: usize, first_mention: bool, keep: bool) -> PlannedTerm {
        let identity = pair.source == pair.target;
        let latin = !pair.source.chars().any(crate::text::is_han);
        let send = !identity || (keep && !latin);
        PlannedTerm {
            pair,
            entry,
            first_mention,
            send,
        }
    }
}

/// A glossary as the pipeline uses it.
pub trait Terms: Send + Sync {
    /// The terms of each segment of one article (`sources` in document order), with the
    /// rendering to ask for at that occurrence (the `first` form at a term's first mention in
    /// the article).
    fn plan(&self, sources: &[&str]) -> Vec<Vec<PlannedTerm>>;

    /// The terms of `terms` (as planned for a segment) that `target` does not render.
    fn missing(&self, target: &str, terms: &[PlannedTerm]) -> Vec<PlannedTerm>;

    /// Fills term hits (and the glossary's own flags) of a finished bitext.
    fn annotate(&self, _bitext: &mut Bitext) {}

    /// Whether [`Terms::annotate`] sets the glossary flags itself; otherwise the pipeline
    /// flags what [`Terms::missing`] reports.
    fn annotates_flags(&self) -> bool {
        false
    }

    /// A digest of the glossary, for `Meta::glossary_digest`.
    fn digest(&self) -> Option<String> {
        None
    }
}

/// No glossary: no terms, nothing to check.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTerms;

impl Terms for NoTerms {
    fn plan(&self, sources: &[&str]) -> Vec<Vec<PlannedTerm>> {
        vec![Vec::new(); sources.len()]
    }

    fn missing(&self, _: &str, _: &[PlannedTerm]) -> Vec<PlannedTerm> {
        Vec::new()
    }
}

/// The glossary module's term base as the pipeline's [`Terms`]: terms planned with
/// [`glossary::plan_term_uses`] (first mentions decided per document), checked with the
/// entry's compiled renderings (alternates, word boundaries, case rules), and the finished
/// bitext annotated with [`glossary::annotate_with`].
pub struct GlossaryTerms {
    glossary: Glossary,
    matcher: Matcher,
    /// Each term's renderings compiled once for the whole run.
    compiled: RenderingCache,
}

impl GlossaryTerms {
    pub fn new(glossary: Glossary) -> GlossaryTerms {
        let matcher = glossary.matcher();
        GlossaryTerms {
            glossary,
            matcher,
            compiled: RenderingCache::default(),
        }
    }

    pub fn glossary(&self) -> &Glossary {
        &self.glossary
    }
}

impl Terms for GlossaryTerms {
    fn plan(&self, sources: &[&str]) -> Vec<Vec<PlannedTerm>> {
        glossary::plan_term_uses(&self.glossary, &self.matcher, sources)
            .into_iter()
            .map(|uses| {
                uses.into_iter()
                    .map(|u| {
                        let term = &self.glossary.terms[u.entry];
                        let pair = TermPair {
                            target: term.rendering(u.first_mention).to_string(),
                            source: u.surface,
                        };
                        // Only an entry with a `first` form renders differently at its first
                        // mention; the others share one compiled check.
                        let first = u.first_mention && term.first.is_some();
                        PlannedTerm::new(pair, u.entry, first, term.keep)
                    })
                    .collect()
            })
            .collect()
    }

    fn missing(&self, target: &str, terms: &[PlannedTerm]) -> Vec<PlannedTerm> {
        terms
            .iter()
            .filter(|planned| {
                let Some(term) = self.glossary.terms.get(planned.entry) else {
                    // Not a term of this glossary: nothing to check.
                    return false;
                };
                self.compiled
                    .find(planned.entry, term, target, planned.first_mention)
                    .is_none()
            })
            .cloned()
            .collect()
    }

    fn annotate(&self, bitext: &mut Bitext) {
        glossary::annotate_with(bitext, &self.glossary, &self.matcher, &self.compiled);
    }

    fn annotates_flags(&self) -> bool {
        true
    }

    fn digest(&self) -> Option<String> {
        Some(self.glossary.digest())
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
    fn glossary_terms_plan_check_and_annotate() {
        let toml = r#"
name = "t"
source_lang = "zh-CN"
target_lang = "en"

[[term]]
source = "上合组织"
target = "SCO"
first = "Shanghai Cooperation Organization (SCO)"

[[term]]
source = "两江新区"
target = "Liangjiang New Area"
"#;
        let g = Glossary::parse(toml, std::path::Path::new("t.toml")).unwrap();
        let terms = GlossaryTerms::new(g);
        let plan = terms.plan(&["上合组织国家", "两江新区与上合组织"]);
        assert_eq!(
            plan[0][0].pair.target,
            "Shanghai Cooperation Organization (SCO)"
        );
        assert!(plan[0][0].first_mention && plan[0][0].send);
        assert_eq!(plan[1].len(), 2);
        let sco = plan[1]
            .iter()
            .find(|t| t.pair.source == "上合组织")
            .unwrap();
        assert_eq!(
            (sco.pair.target.as_str(), sco.first_mention),
            ("SCO", false)
        );
        assert_eq!(sco.entry, plan[0][0].entry);
        // First mention needs the first form; the short form alone is a miss there.
        let missing = terms.missing("SCO countries", &plan[0]);
        assert_eq!(missing, plan[0]);
        let ok = "Shanghai Cooperation Organization (SCO) countries";
        assert!(terms.missing(ok, &plan[0]).is_empty());
        let missing = terms.missing("Liangjiang and the SCO", &plan[1]);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].pair.target, "Liangjiang New Area");
        assert!(terms.digest().is_some());
    }

    #[test]
    fn no_terms_plans_empty_lists() {
        assert_eq!(NoTerms.plan(&["a", "b"]), vec![vec![], vec![]]);
        assert!(NoTerms.missing("b", &[]).is_empty());
    }

    #[test]
    fn identity_terms_are_checked_but_not_sent_unless_kept() {
        let pair = |s: &str, t: &str| TermPair {
            source: s.into(),
            target: t.into(),
        };
        assert!(!PlannedTerm::new(pair("5G", "5G"), 0, true, true).send);
        assert!(!PlannedTerm::new(pair("5G", "5G"), 0, true, false).send);
        assert!(PlannedTerm::new(pair("新华社", "新华社"), 0, true, true).send);
        assert!(PlannedTerm::new(pair("智博会", "Smart China Expo"), 0, true, false).send);
    }
}
