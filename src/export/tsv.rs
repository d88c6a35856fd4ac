//! TSV: a header row `id block kind source target flags`, then one row per pair.
//!
//! Every field is escaped with [`escape_tsv`]: backslash, tab, line feed and carriage return
//! become `\\`, `\t`, `\n` and `\r`, so a row is always one line with exactly six fields.
//! The flags field lists the pair's flags separated by line feeds (so `\n` in the file),
//! each written `SEVERITY CODE: MESSAGE`, or `SEVERITY CODE TERM EXPECTED: MESSAGE` for glossary
//! flags, where TERM and EXPECTED are JSON strings (`null` when absent). Line breaks in a
//! message become spaces (messages are one line).
//!
//! The plain form ([`render_plain`]) is only `source<TAB>target` per pair, no header, with
//! the same escaping.

use super::ExportError;
use crate::model::{Bitext, BlockKind, Flag, FlagCode, Meta, Origin, Pair, SegmentId, Severity};
use crate::util::{escape_tsv, unescape_tsv};

/// The header row's fields.
pub const HEADER: [&str; 6] = ["id", "block", "kind", "source", "target", "flags"];

/// Writes the full TSV (header and one row per pair).
pub fn render(bitext: &Bitext) -> String {
    let mut out = String::with_capacity(64 + bitext.pairs.len() * 256);
    out.push_str(&HEADER.join("\t"));
    out.push('\n');
    for pair in &bitext.pairs {
        out.push_str(&escape_tsv(&pair.id));
        out.push('\t');
        out.push_str(&pair.block.to_string());
        out.push('\t');
        out.push_str(pair.kind.as_str());
        out.push('\t');
        out.push_str(&escape_tsv(&pair.source));
        out.push('\t');
        out.push_str(&escape_tsv(&pair.target));
        out.push('\t');
        let flags: Vec<String> = pair.flags.iter().map(flag_to_text).collect();
        out.push_str(&escape_tsv(&flags.join("\n")));
        out.push('\n');
    }
    out
}

/// Writes `source<TAB>target` per pair, no header.
pub fn render_plain(bitext: &Bitext) -> String {
    let mut out = String::with_capacity(bitext.pairs.len() * 200);
    for pair in &bitext.pairs {
        out.push_str(&escape_tsv(&pair.source));
        out.push('\t');
        out.push_str(&escape_tsv(&pair.target));
        out.push('\n');
    }
    out
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn json_string(value: Option<&String>) -> String {
    serde_json::to_string(&value).expect("strings serialise")
}

/// One flag as text: `error missing_term "两江新区" "Liangjiang New Area": missing …`.
pub fn flag_to_text(flag: &Flag) -> String {
    let mut text = format!("{} {}", severity_name(flag.severity), flag.code);
    if flag.term.is_some() || flag.expected.is_some() {
        text.push(' ');
        text.push_str(&json_string(flag.term.as_ref()));
        text.push(' ');
        text.push_str(&json_string(flag.expected.as_ref()));
    }
    text.push_str(": ");
    text.push_str(&flag.message.replace(['\r', '\n'], " "));
    text
}

/// Parses [`flag_to_text`]'s form back; the error is a message without place.
pub fn flag_from_text(text: &str) -> Result<Flag, String> {
    let (severity, rest) = text
        .split_once(' ')
        .ok_or_else(|| format!("bad flag {text:?}: expected `SEVERITY CODE: MESSAGE`"))?;
    let severity = match severity {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        other => return Err(format!("bad flag severity {other:?} (error or warning)")),
    };
    let code_end = rest
        .find([' ', ':'])
        .ok_or_else(|| format!("bad flag {text:?}: expected `SEVERITY CODE: MESSAGE`"))?;
    let code = FlagCode::parse(&rest[..code_end])
        .ok_or_else(|| format!("unknown flag code {:?}", &rest[..code_end]))?;
    let mut rest = &rest[code_end..];
    let (mut term, mut expected) = (None, None);
    if let Some(after) = rest.strip_prefix(' ') {
        let mut values = serde_json::Deserializer::from_str(after).into_iter::<Option<String>>();
        term = values
            .next()
            .ok_or("missing term")?
            .map_err(|e| format!("bad flag term: {e}"))?;
        let used = values.byte_offset();
        let after = after[used..]
            .strip_prefix(' ')
            .ok_or_else(|| format!("bad flag {text:?}: expected TERM EXPECTED"))?;
        let mut values = serde_json::Deserializer::from_str(after).into_iter::<Option<String>>();
        expected = values
            .next()
            .ok_or("missing expected rendering")?
            .map_err(|e| format!("bad flag expected rendering: {e}"))?;
        rest = &after[values.byte_offset()..];
    }
    let message = rest
        .strip_prefix(": ")
        .or_else(|| rest.strip_prefix(':'))
        .ok_or_else(|| format!("bad flag {text:?}: expected `: MESSAGE`"))?;
    Ok(Flag {
        code,
        severity,
        message: message.to_string(),
        term,
        expected,
    })
}

/// Whether a TSV's first line is a header bitext reads: one that names `source` and `target`
/// columns (bitext's own `id block kind source target flags`, or any order with other
/// columns, as spreadsheets and other tools write them).
pub fn is_header(line: &str) -> bool {
    let columns = header_columns(line);
    columns.iter().any(|c| c == "source") && columns.iter().any(|c| c == "target")
}

fn header_columns(line: &str) -> Vec<String> {
    line.trim_end_matches('\r')
        .split('\t')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect()
}

/// Reads a TSV with a header row back into a bitext: bitext's full form, or any TSV whose
/// header names `source` and `target` columns (`id`, `block`, `kind` and `flags` are used when
/// present, other columns ignored). What TSV does not carry gets defaults: the languages are
/// `zh-CN` and `en`, the metadata is empty, pairs have no term hits and a `manual` origin; a
/// missing id is `L` and the line number, a missing block the one of a `bN.sM` id (else 0), a
/// missing kind `paragraph`. `name` is used in error messages.
pub fn read(text: &str, name: &str) -> Result<Bitext, ExportError> {
    let err = |line: usize, message: String| ExportError::Parse {
        name: name.to_string(),
        line,
        message,
    };
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = text.split('\n').enumerate();
    let header = lines.next().map(|(_, l)| l).unwrap_or("");
    let columns = header_columns(header);
    let column = |want: &str| columns.iter().position(|c| c == want);
    let (Some(source), Some(target)) = (column("source"), column("target")) else {
        return Err(err(
            1,
            format!(
                "the TSV header must name source and target columns, as bitext's `{}` does (found {:?})",
                HEADER.join("\\t"),
                header.trim_end_matches('\r')
            ),
        ));
    };
    let (id, block, kind, flags) = (
        column("id"),
        column("block"),
        column("kind"),
        column("flags"),
    );
    let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
    for (index, line) in lines {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        // Spreadsheets may drop an empty last field (no flags).
        let short_ok = flags == Some(columns.len() - 1) && fields.len() == columns.len() - 1;
        if fields.len() != columns.len() && !short_ok {
            return Err(err(
                number,
                format!("expected {} fields, found {}", columns.len(), fields.len()),
            ));
        }
        let field = |c: Option<usize>| c.and_then(|c| fields.get(c)).copied();
        let pair_id = field(id).map_or_else(|| format!("L{number}"), unescape_tsv);
        let block = match field(block) {
            Some(text) => text
                .parse::<u32>()
                .map_err(|_| err(number, format!("bad block number {text:?}")))?,
            None => {
                SegmentId::parse(pair_id.split('+').next().unwrap_or("")).map_or(0, |s| s.block)
            }
        };
        let kind = match field(kind) {
            Some(text) => BlockKind::parse(text)
                .ok_or_else(|| err(number, format!("unknown block kind {text:?}")))?,
            None => BlockKind::Paragraph,
        };
        let mut pair_flags = Vec::new();
        if let Some(text) = field(flags).filter(|f| !f.is_empty()) {
            for part in unescape_tsv(text).split('\n') {
                pair_flags.push(flag_from_text(part).map_err(|m| err(number, m))?);
            }
        }
        bitext.pairs.push(Pair {
            id: pair_id,
            block,
            kind,
            source: unescape_tsv(fields[source]),
            target: unescape_tsv(fields[target]),
            terms: Vec::new(),
            flags: pair_flags,
            origin: Origin::Manual,
        });
    }
    Ok(bitext)
}

/// Reads the plain form ([`render_plain`], and what corpus tools write): `source<TAB>target`
/// per line, no header. Pairs get ids `L` + the line number, block 0, kind `paragraph`; the
/// languages are `zh-CN` and `en`. A line with another number of fields is an error.
pub fn read_plain(text: &str, name: &str) -> Result<Bitext, ExportError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Some((source, target)) = line.split_once('\t').filter(|(_, t)| !t.contains('\t'))
        else {
            return Err(ExportError::Parse {
                name: name.to_string(),
                line: number,
                message: format!(
                    "expected 2 tab-separated fields (source, target), found {}",
                    line.split('\t').count()
                ),
            });
        };
        bitext.pairs.push(Pair {
            id: format!("L{number}"),
            block: 0,
            kind: BlockKind::Paragraph,
            source: unescape_tsv(source),
            target: unescape_tsv(target),
            terms: Vec::new(),
            flags: Vec::new(),
            origin: Origin::Manual,
        });
    }
    Ok(bitext)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(term: Option<&str>, expected: Option<&str>, message: &str) -> Flag {
        Flag {
            code: FlagCode::MissingTerm,
            severity: Severity::Error,
            message: message.into(),
            term: term.map(Into::into),
            expected: expected.map(Into::into),
        }
    }

    #[test]
    fn flags_round_trip() {
        for f in [
            flag(None, None, "plain: with colon"),
            flag(
                Some("两江\"新区"),
                Some("Liangjiang: New Area"),
                "missing \"x\"",
            ),
            flag(Some("t"), None, ""),
            flag(None, Some("e"), "m"),
        ] {
            let text = flag_to_text(&f);
            assert_eq!(flag_from_text(&text).unwrap(), f, "{text}");
        }
        assert_eq!(
            flag_to_text(&flag(
                Some("两江新区"),
                Some("Liangjiang New Area"),
                "missing it"
            )),
            "error missing_term \"两江新区\" \"Liangjiang New Area\": missing it"
        );
        assert!(flag_from_text("fatal missing_term: x").is_err());
        assert!(flag_from_text("error nonsense: x").is_err());
    }

    #[test]
    fn bad_rows_name_the_line() {
        let text = "id\tblock\tkind\tsource\ttarget\tflags\nb1.s1\t1\theading\ta\tb\t\nb1.s2\tx\theading\ta\tb\t\n";
        let e = read(text, "a.tsv").unwrap_err().to_string();
        assert_eq!(e, "a.tsv:3: bad block number \"x\"");
        let e = read("id\tsource\n", "a.tsv").unwrap_err().to_string();
        assert!(
            e.starts_with("a.tsv:1: the TSV header must name source and target"),
            "{e}"
        );
        let e = read("id\tblock\tkind\tsource\ttarget\nb1.s1\t1\n", "a.tsv")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "a.tsv:2: expected 5 fields, found 2");
        let e = read(
            "id\tblock\tkind\tsource\ttarget\tflags\nb1.s1\t1\n",
            "a.tsv",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "a.tsv:2: expected 6 fields, found 2");
        let e = read(
            "id\tblock\tkind\tsource\ttarget\tflags\nb1.s1\t1\theading\ta\tb\terror what: x\n",
            "a.tsv",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "a.tsv:2: unknown flag code \"what\"");
    }

    #[test]
    fn crlf_bom_and_a_dropped_empty_flags_field_are_accepted() {
        let text =
            "\u{FEFF}id\tblock\tkind\tsource\ttarget\tflags\r\nb1.s1\t1\theading\ta\\tb\tc\r\n";
        let b = read(text, "a.tsv").unwrap();
        assert_eq!(b.pairs.len(), 1);
        assert_eq!(b.pairs[0].source, "a\tb");
        assert_eq!(b.pairs[0].target, "c");
        assert!(b.pairs[0].flags.is_empty());
    }
}
