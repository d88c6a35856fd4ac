//! Assembling the bitexts of a run: pairs in document order, glossary flags, QA flags.

use super::enforce;
use super::prepare::Prepared;
use super::run::Slot;
use super::{Article, Job, qa};
use crate::{Bitext, Flag, FlagCode, Meta, Origin, Pair, Severity};

/// Builds one bitext per source from the units' slots (indexed like `prepared.units`).
pub fn assemble(
    job: &Job<'_>,
    sources: &[Article],
    prepared: &Prepared,
    slots: &[Slot],
) -> Vec<Bitext> {
    let info = &prepared.info;
    let mut bitexts = Vec::with_capacity(sources.len());
    for (doc, source) in sources.iter().enumerate() {
        let meta = Meta {
            title: source.title.clone(),
            source_file: Some(source.name.clone()),
            backend: Some(info.name.clone()),
            model: info.model.clone(),
            glossary_digest: job.terms.digest(),
            created: crate::model::now_rfc3339(),
            tool: format!("bitext {}", env!("CARGO_PKG_VERSION")),
            ..Meta::default()
        };
        let mut bitext = Bitext::new(&job.options.source_lang, &job.options.target_lang, meta);
        for &u in &prepared.docs[doc] {
            let unit = &prepared.units[u];
            let segment = &source.segments[unit.index];
            let (target, cached, mut flags) = match &slots[u] {
                Slot::Done(answer) => {
                    let mut flags: Vec<Flag> = if job.terms.annotates_flags() {
                        Vec::new()
                    } else {
                        job.terms
                            .missing(&answer.target, &unit.terms)
                            .iter()
                            .map(|t| enforce::missing_flag(&t.pair))
                            .collect()
                    };
                    flags.extend(qa::check(
                        &unit.text,
                        &answer.target,
                        &job.options.source_lang,
                        &job.options.target_lang,
                    ));
                    (answer.target.clone(), answer.cached, flags)
                }
                Slot::Failed(message) => (
                    String::new(),
                    false,
                    vec![failed_flag(message.replace('\n', " "))],
                ),
                Slot::Pending => (
                    String::new(),
                    false,
                    vec![failed_flag("not translated".into())],
                ),
            };
            flags.dedup();
            bitext.pairs.push(Pair {
                id: unit.id.to_string(),
                block: segment.block,
                kind: segment.kind,
                source: unit.text.clone(),
                target,
                terms: Vec::new(),
                flags,
                origin: Origin::Translated {
                    backend: info.name.clone(),
                    model: info.model.clone(),
                    cached,
                },
            });
        }
        job.terms.annotate(&mut bitext);
        dedup_flags(&mut bitext);
        bitexts.push(bitext);
    }
    bitexts
}

fn failed_flag(message: String) -> Flag {
    Flag {
        code: FlagCode::Failed,
        severity: Severity::Error,
        message,
        term: None,
        expected: None,
    }
}

/// Drops a flag that repeats an earlier one of the same pair (same code and term), e.g. when
/// the glossary's own annotation flags a missing term the pipeline already flagged.
fn dedup_flags(bitext: &mut Bitext) {
    for pair in &mut bitext.pairs {
        let mut seen: Vec<(FlagCode, Option<String>)> = Vec::new();
        pair.flags.retain(|f| {
            let key = (f.code, f.term.clone());
            if seen.contains(&key) {
                false
            } else {
                seen.push(key);
                true
            }
        });
    }
}
