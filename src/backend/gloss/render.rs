//! Joining glossed pieces into English text: punctuation mapping (full-width and ASCII),
//! spacing, and sentence-initial capitals.

/// A piece of glossed output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// English produced by the engine (may be capitalised at a sentence start).
    Word(String),
    /// A glossary rendering: written verbatim, never re-cased.
    Term(String),
    /// Punctuation.
    Punct(Punct),
    /// An inline placeholder (`<x1>`, `</x1>`, `<x2/>`), passed through in order: an opening
    /// one attaches to the word after it, the others to the word before.
    Tag(crate::inline::Tag),
}

/// Punctuation marks, whatever their source form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punct {
    Comma,
    Period,
    Semicolon,
    Colon,
    Exclamation,
    Question,
    OpenQuote,
    CloseQuote,
    OpenSingle,
    CloseSingle,
    OpenParen,
    CloseParen,
    /// `——`: an em dash with spaces.
    Dash,
    /// A single `—`/`-`/`－` between words: a hyphen without spaces (`China-SCO`).
    Hyphen,
    /// `……`
    Ellipsis,
    Slash,
}

/// Reads the punctuation mark at the start of `s` (after full-width folding): its length in
/// bytes and kind. ASCII `"` is returned as an opening quote; [`render`] pairs them.
pub fn punct_at(s: &str) -> Option<(usize, Punct)> {
    for (pat, p) in [
        ("——", Punct::Dash),
        ("……", Punct::Ellipsis),
        ("...", Punct::Ellipsis),
        ("--", Punct::Dash),
    ] {
        if s.starts_with(pat) {
            return Some((pat.len(), p));
        }
    }
    let c = s.chars().next()?;
    let p = match c {
        '，' | ',' | '、' | '､' => Punct::Comma,
        '。' | '.' | '｡' => Punct::Period,
        '；' | ';' => Punct::Semicolon,
        '：' | ':' => Punct::Colon,
        '！' | '!' => Punct::Exclamation,
        '？' | '?' => Punct::Question,
        '“' | '《' | '「' | '〈' | '"' => Punct::OpenQuote,
        '”' | '》' | '」' | '〉' => Punct::CloseQuote,
        '‘' | '『' => Punct::OpenSingle,
        '’' | '』' => Punct::CloseSingle,
        '（' | '(' | '【' | '[' | '〔' => Punct::OpenParen,
        '）' | ')' | '】' | ']' | '〕' => Punct::CloseParen,
        '—' | '－' | '-' | '–' | '～' | '~' => Punct::Hyphen,
        '…' => Punct::Ellipsis,
        '/' | '／' => Punct::Slash,
        _ => return None,
    };
    Some((c.len_utf8(), p))
}

/// Capitalises the first letter of `s`.
fn capitalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut done = false;
    for c in s.chars() {
        if !done && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            done = true;
        } else {
            if c.is_ascii_digit() {
                done = true;
            }
            out.push(c);
        }
    }
    out
}

/// Joins pieces into English: one space between words, none before `, . ; : ! ? ) "`(closing)
/// and none after `( "`(opening); `——` → ` — `; a capital at each sentence start (glossary
/// renderings are left as given); no double spaces, no dangling punctuation at the start.
pub fn render(pieces: &[Piece]) -> String {
    let mut out = String::new();
    // The next word attaches without a space (after an opening quote, paren, hyphen).
    let mut glue = true;
    let mut cap = true;
    let mut quote_open = false;
    for piece in pieces {
        match piece {
            Piece::Word(w) | Piece::Term(w) => {
                let w = w.trim();
                if w.is_empty() {
                    continue;
                }
                if !glue && !out.is_empty() {
                    out.push(' ');
                }
                match piece {
                    Piece::Word(_) if cap => out.push_str(&capitalise(w)),
                    _ => out.push_str(w),
                }
                cap = false;
                glue = false;
            }
            Piece::Tag(tag) => {
                match tag {
                    crate::inline::Tag::Open(_) => {
                        if !glue && !out.is_empty() {
                            out.push(' ');
                        }
                        glue = true;
                    }
                    _ => {
                        trim_end_spaces(&mut out);
                        glue = false;
                    }
                }
                out.push_str(&tag.to_string());
            }
            Piece::Punct(p) => {
                let p = match p {
                    // ASCII `"` is read as opening; inside an open quote it closes it
                    // (Chinese text nests with ‘’, so “ inside “ does not occur).
                    Punct::OpenQuote if quote_open => Punct::CloseQuote,
                    other => *other,
                };
                match p {
                    Punct::OpenQuote | Punct::OpenSingle | Punct::OpenParen => {
                        if !glue && !out.is_empty() {
                            out.push(' ');
                        }
                        out.push(match p {
                            Punct::OpenQuote => '"',
                            Punct::OpenSingle => '\'',
                            _ => '(',
                        });
                        if p == Punct::OpenQuote {
                            quote_open = true;
                        }
                        glue = true;
                    }
                    Punct::CloseQuote | Punct::CloseSingle | Punct::CloseParen => {
                        trim_end_spaces(&mut out);
                        out.push(match p {
                            Punct::CloseQuote => '"',
                            Punct::CloseSingle => '\'',
                            _ => ')',
                        });
                        if p == Punct::CloseQuote {
                            quote_open = false;
                        }
                        glue = false;
                    }
                    Punct::Dash => {
                        trim_end_spaces(&mut out);
                        if !out.is_empty() {
                            out.push_str(" — ");
                            glue = true;
                        }
                    }
                    Punct::Hyphen | Punct::Slash => {
                        trim_end_spaces(&mut out);
                        if !out.is_empty() {
                            out.push(if p == Punct::Hyphen { '-' } else { '/' });
                            glue = true;
                        }
                    }
                    _ => {
                        // Sentence and clause punctuation: attaches to the left.
                        trim_end_spaces(&mut out);
                        let mark = match p {
                            Punct::Comma => ",",
                            Punct::Period => ".",
                            Punct::Semicolon => ";",
                            Punct::Colon => ":",
                            Punct::Exclamation => "!",
                            Punct::Question => "?",
                            _ => "...",
                        };
                        let last = out.chars().last();
                        let dangling = out.is_empty()
                            || out.ends_with(['(', '"', '\'', '-', '/'])
                                && matches!(p, Punct::Comma | Punct::Semicolon | Punct::Colon)
                                && glue;
                        if dangling {
                            continue;
                        }
                        match last {
                            // ", ," or ", ." → keep the stronger mark once.
                            Some(',' | ';' | ':') if mark != "..." => {
                                if mark != "," {
                                    out.pop();
                                    out.push_str(mark);
                                }
                            }
                            Some('.' | '!' | '?') if mark != "..." && !out.ends_with("...") => {}
                            _ => out.push_str(mark),
                        }
                        if matches!(p, Punct::Period | Punct::Exclamation | Punct::Question) {
                            cap = true;
                        }
                        glue = false;
                    }
                }
            }
        }
    }
    let out = out.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>();
    out.join(" ")
}

fn trim_end_spaces(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Piece {
        Piece::Word(s.into())
    }

    fn p(s: &str) -> Piece {
        Piece::Punct(punct_at(s).unwrap().1)
    }

    #[test]
    fn punctuation_spacing() {
        let pieces = [
            w("on August 23"),
            p("，"),
            w("forum"),
            p("、"),
            w("expo"),
            p("；"),
            w("open"),
            p("。"),
            w("they said"),
            p("“"),
            w("great"),
            p("”"),
            w("and"),
            p("（"),
            w("Chongqing"),
            p("）"),
            w("city"),
            p("——"),
            w("a hub"),
            p("……"),
            p("："),
            w("China"),
            p("—"),
            w("SCO"),
            p("！"),
        ];
        assert_eq!(
            render(&pieces),
            "On August 23, forum, expo; open. They said \"great\" and (Chongqing) city — a hub...: China-SCO!"
        );
    }

    #[test]
    fn capitals_and_terms() {
        let pieces = [
            p("“"),
            w("the letter"),
            p("。"),
            p("”"),
            Piece::Term("iPhone".into()),
            w("sells"),
            p("？"),
            w("yes"),
        ];
        assert_eq!(render(&pieces), "\"The letter.\" iPhone sells? Yes");
    }

    #[test]
    fn no_double_spaces_or_dangling_marks() {
        let pieces = [
            p("，"),
            w(" one "),
            w(""),
            p("，"),
            p("，"),
            w("two"),
            p("，"),
            p("。"),
            w("three"),
            p("("),
            p(","),
            w("x"),
            p(")"),
        ];
        assert_eq!(render(&pieces), "One, two. Three (x)");
    }

    #[test]
    fn ascii_quotes_pair_up() {
        let pieces = [w("say"), p("\""), w("hi"), p("\""), w("now")];
        assert_eq!(render(&pieces), "Say \"hi\" now");
    }
}
