//! Assembling the bitexts of a run: pairs in document order, glossary flags, QA flags.

use super::enforce;
use super::prepare::Prepared;
use super::run::{Answer, IMPORTED_BACKEND, Provenance, Slot};
use super::{Article, Job, qa};
use crate::backend::BackendInfo;
use crate::cache::PairOrigin;
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
            let (target, origin, mut flags) = match &slots[u] {
                Slot::Done(answer) => {
                    // Broken inline placeholders: the text is kept without them, flagged.
                    let (target, tag_flag) = match crate::inline::check(&unit.text, &answer.target)
                    {
                        Ok(()) => (answer.target.clone(), None),
                        Err(error) => (
                            crate::inline::strip(&answer.target),
                            Some(Flag {
                                code: FlagCode::InlineTags,
                                severity: Severity::Error,
                                message: format!(
                                    "inline markup lost ({error}); the translation is kept without it"
                                ),
                                term: None,
                                expected: None,
                            }),
                        ),
                    };
                    let mut flags: Vec<Flag> = if job.terms.annotates_flags() {
                        Vec::new()
                    } else {
                        job.terms
                            .missing(&target, &unit.terms)
                            .iter()
                            .map(|t| enforce::missing_flag(&t.pair))
                            .collect()
                    };
                    flags.extend(tag_flag);
                    flags.extend(qa::check(
                        &crate::inline::strip(&unit.text),
                        &crate::inline::strip(&target),
                        &job.options.source_lang,
                        &job.options.target_lang,
                    ));
                    (target, origin_of(answer, info), flags)
                }
                Slot::Failed(message) => (
                    String::new(),
                    fresh_origin(info),
                    vec![failed_flag(message.replace('\n', " "))],
                ),
                Slot::Pending => (
                    String::new(),
                    fresh_origin(info),
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
                origin,
            });
        }
        job.terms.annotate(&mut bitext);
        dedup_flags(&mut bitext);
        bitexts.push(bitext);
    }
    bitexts
}

fn fresh_origin(info: &BackendInfo) -> Origin {
    Origin::Translated {
        backend: info.name.clone(),
        model: info.model.clone(),
        cached: false,
    }
}

/// A pair's origin from its answer's provenance.
fn origin_of(answer: &Answer, info: &BackendInfo) -> Origin {
    match &answer.from {
        Provenance::Fresh | Provenance::Memory => Origin::Translated {
            backend: info.name.clone(),
            model: info.model.clone(),
            cached: answer.cached,
        },
        Provenance::Fuzzy(similarity) => Origin::Fuzzy {
            backend: info.name.clone(),
            model: info.model.clone(),
            similarity: *similarity,
        },
        Provenance::Pair(pair) if pair.origin == PairOrigin::Human => Origin::Human {
            file: pair.file.clone(),
            author: pair.author.clone(),
            note: pair.note.clone(),
            time: Some(pair.time.clone()).filter(|t| !t.is_empty()),
        },
        Provenance::Pair(pair) => Origin::Translated {
            backend: IMPORTED_BACKEND.to_string(),
            model: pair.file.clone(),
            cached: true,
        },
    }
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
