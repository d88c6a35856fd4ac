//! The offline `gloss` backend: a deterministic word-by-word English draft built from
//! CC-CEDICT (vendored, CC BY-SA 4.0, © MDBG) and jieba-rs segmentation. No network, no key.

pub mod lexicon;

pub use lexicon::Lexicon;
