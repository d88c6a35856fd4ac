//! Glossary enforcement: which terms go to the backend with each segment, whether an answer
//! renders them, the repair instruction, and the flags for what still misses.
//!
//! The pipeline sees the glossary only through [`Terms`], so that it can run without one
//! ([`NoTerms`]) and be tested with a stand-in.

use crate::glossary::{self, Glossary, Matcher, RenderingCache};
use crate::model::TermPair;
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
    fn plan(&self, sources: &[&str]) -> Vec<Vec<TermPair>> {
        vec![Vec::new(); sources.len()]
    }

    fn missing(&self, _: &str, _: &str, _: &[TermPair]) -> Vec<TermPair> {
        Vec::new()
    }
}

/// The glossary module's term base as the pipeline's [`Terms`]: terms planned with
/// [`glossary::plan_terms`] (first mentions decided per document), checked with
/// [`glossary::find_rendering`] (alternates, word boundaries, case rules), and the finished
/// bitext annotated with [`glossary::annotate`].
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
    fn plan(&self, sources: &[&str]) -> Vec<Vec<TermPair>> {
        glossary::plan_terms(&self.glossary, &self.matcher, sources)
    }

    fn missing(&self, source: &str, target: &str, terms: &[TermPair]) -> Vec<TermPair> {
        let matches = self.matcher.find(source);
        terms
            .iter()
            .filter(|pair| {
                let found = matches
                    .iter()
                    .find(|m| source.get(m.span.start..m.span.end) == Some(pair.source.as_str()))
                    .and_then(|m| Some((m.term, self.glossary.terms.get(m.term)?)));
                let Some((index, term)) = found else {
                    // Not a term of this glossary any more: nothing to check.
                    return false;
                };
                let first_mention = term.first.is_some() && pair.target == term.rendering(true);
                self.compiled
                    .find(index, term, target, first_mention)
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
        assert_eq!(plan[0][0].target, "Shanghai Cooperation Organization (SCO)");
        assert_eq!(plan[1].len(), 2);
        let sco = plan[1].iter().find(|t| t.source == "上合组织").unwrap();
        assert_eq!(sco.target, "SCO");
        // First mention needs the first form; the short form alone is a miss there.
        let missing = terms.missing("上合组织国家", "SCO countries", &plan[0]);
        assert_eq!(missing, plan[0]);
        let ok = "Shanghai Cooperation Organization (SCO) countries";
        assert!(terms.missing("上合组织国家", ok, &plan[0]).is_empty());
        let missing = terms.missing("两江新区与上合组织", "Liangjiang and the SCO", &plan[1]);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].target, "Liangjiang New Area");
        assert!(terms.digest().is_some());
    }

    #[test]
    fn no_terms_plans_empty_lists() {
        assert_eq!(NoTerms.plan(&["a", "b"]), vec![vec![], vec![]]);
        assert!(NoTerms.missing("a", "b", &[]).is_empty());
    }
}
