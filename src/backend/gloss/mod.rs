//! The offline `gloss` backend: a deterministic word-by-word English draft built from
//! CC-CEDICT (vendored in `data/cedict/`, CC BY-SA 4.0, © MDBG) and jieba-rs segmentation.
//! No network, no key. Glossary terms are written with the target the pipeline passes;
//! numbers, dates, percentages and amounts are converted; punctuation is made English.
//!
//! It is a draft: word order stays Chinese and senses are picked by rule, not by context.

pub mod engine;
pub mod lexicon;
pub mod numbers;
pub mod render;

pub use engine::gloss_text;
pub use lexicon::Lexicon;
pub use numbers::{convert_numbers, scan_numbers};

use super::{Backend, BackendError, BackendInfo, Batch, Output, Translation, Usage};
use async_trait::async_trait;

/// Version of the gloss rules; part of the cache key (bump when the output changes).
pub const GLOSS_PROTOCOL_VERSION: u32 = 1;

/// The offline word-by-word backend (the default when nothing else is configured).
#[derive(Debug, Clone, Copy, Default)]
pub struct GlossBackend;

impl GlossBackend {
    pub fn new() -> GlossBackend {
        GlossBackend
    }

    /// Glosses one text with its terms (the same as one item of a batch).
    pub fn gloss(&self, text: &str, terms: &[super::TermPair]) -> String {
        gloss_text(Lexicon::global(), text, terms)
    }
}

#[async_trait]
impl Backend for GlossBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "gloss".into(),
            kind: "gloss".into(),
            model: Some("cc-cedict-2023-11-07+jieba".into()),
            endpoint: None,
            max_items: 1000,
            max_chars: 1_000_000,
            native_terms: true,
            default_concurrency: 1,
            protocol_version: GLOSS_PROTOCOL_VERSION,
        }
    }

    async fn translate(&self, batch: &Batch) -> Result<Translation, BackendError> {
        let lex = Lexicon::global();
        let outputs = batch
            .items
            .iter()
            .map(|item| Output {
                id: item.id.clone(),
                text: gloss_text(lex, &item.text, &item.terms),
            })
            .collect();
        Ok(Translation {
            outputs,
            usage: Usage::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Item, TermPair};

    #[test]
    fn info_describes_the_offline_backend() {
        let info = GlossBackend::new().info();
        assert_eq!((info.name.as_str(), info.kind.as_str()), ("gloss", "gloss"));
        assert!(info.native_terms);
        assert_eq!(info.protocol_version, 1);
        assert!(info.max_items >= 100 && info.max_chars >= 100_000);
        assert_eq!(info.endpoint, None);
    }

    #[tokio::test]
    async fn translates_a_batch_in_order() {
        let batch = Batch {
            items: vec![
                Item {
                    id: "b1.s1".into(),
                    text: "两江新区发展。".into(),
                    terms: vec![TermPair {
                        source: "两江新区".into(),
                        target: "Liangjiang New Area".into(),
                    }],
                },
                Item {
                    id: "b1.s2".into(),
                    text: "8月23日".into(),
                    terms: vec![],
                },
            ],
            ..Batch::default()
        };
        let out = GlossBackend::new().translate(&batch).await.unwrap();
        assert_eq!(out.outputs.len(), 2);
        assert_eq!(out.outputs[0].id, "b1.s1");
        assert_eq!(out.outputs[0].text, "Liangjiang New Area development.");
        assert_eq!(out.outputs[1].text, "August 23");
        assert_eq!(out.usage, Usage::default());
    }
}
