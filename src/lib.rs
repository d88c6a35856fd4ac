//! bitext: turn a Chinese article into a faithful, terminology-consistent English translation
//! and an aligned bilingual document.
//!
//! The pipeline's stages are one module each (see `ARCHITECTURE.md`):
//! [`document`] reads files into blocks, [`split`] cuts blocks into sentences, [`glossary`]
//! loads, matches and checks terms, [`backend`] translates batches, [`pipeline`] runs a
//! translation job, [`cache`] is the translation memory, [`align`] pairs an article with an
//! existing translation, and [`export`] writes a [`Bitext`] in every format. [`text`] is the
//! ground floor: the character classes and text helpers every stage shares.
//!
//! The library never prints: it returns values and typed errors; the `bitext` binary prints.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod align;
pub mod backend;
pub mod batch;
pub mod cache;
pub mod config;
pub mod document;
pub mod export;
pub mod formats;
pub mod glossary;
pub mod inline;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod revision;
pub mod sanitize;
pub mod split;
pub mod terms;
pub mod text;
pub mod util;

pub use model::{
    Bitext, BlockKind, Flag, FlagCode, Meta, Origin, Pair, Segment, SegmentId, Severity, Span,
    TermHit,
};
