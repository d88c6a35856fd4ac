//! QA checks on a translated pair, reported as [`Flag`]s: numbers of the source missing in the
//! target, Han characters left, empty target, length-ratio outliers, a repeated sentence or
//! phrase (a known NMT failure), and a target identical to the source.
//!
//! Severities: `error` for what is surely wrong (missing number, untranslated, empty,
//! identical), `warning` for what is merely suspicious (length ratio, repetition).

use crate::text::{fold_width, is_han, truncate};
use crate::{Flag, FlagCode, Severity};
use regex::Regex;
use std::sync::LazyLock;

/// Runs every check on one pair. `source_lang`/`target_lang` are BCP-47 tags.
pub fn check(source: &str, target: &str, source_lang: &str, target_lang: &str) -> Vec<Flag> {
    let mut flags = Vec::new();
    let src = source.trim();
    let tgt = target.trim();
    if src.is_empty() {
        return flags;
    }
    if tgt.is_empty() {
        flags.push(flag(
            FlagCode::EmptyTarget,
            Severity::Error,
            "empty target".into(),
        ));
        return flags;
    }
    let target_is_han_language = target_lang.starts_with("zh")
        || target_lang.starts_with("ja")
        || target_lang.starts_with("ko");
    if tgt == src && src.chars().any(|c| is_han(c) || c.is_alphabetic()) {
        flags.push(flag(
            FlagCode::IdenticalToSource,
            Severity::Error,
            "target identical to source".into(),
        ));
        return flags;
    }
    if !target_is_han_language {
        let han: Vec<char> = tgt.chars().filter(|&c| is_han(c)).collect();
        if !han.is_empty() {
            let shown: String = han.iter().take(12).collect();
            flags.push(flag(
                FlagCode::Untranslated,
                Severity::Error,
                format!(
                    "{} Han character{} left in target: {shown}",
                    han.len(),
                    plural(han.len())
                ),
            ));
        }
    }
    let missing = missing_numbers(src, tgt);
    if !missing.is_empty() {
        flags.push(flag(
            FlagCode::NumberMismatch,
            Severity::Error,
            format!(
                "number{} of the source missing in target: {}",
                plural(missing.len()),
                missing.join(", ")
            ),
        ));
    }
    if let Some(message) = length_ratio(src, tgt, source_lang, target_lang) {
        flags.push(flag(FlagCode::LengthRatio, Severity::Warning, message));
    }
    if let Some(message) = repetition(tgt) {
        flags.push(flag(FlagCode::Repetition, Severity::Warning, message));
    }
    flags
}

fn flag(code: FlagCode, severity: Severity, message: String) -> Flag {
    Flag {
        code,
        severity,
        message,
        term: None,
        expected: None,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

static SOURCE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d+(?:[.,]\d+)*)\s*(%|％|万|亿|月|余万|多万)?").unwrap());
static TARGET_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+(?:,\d{3})*(?:\.\d+)?").unwrap());
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{L}\p{N}'’-]+").unwrap());

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const SMALL: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];
const ORDINALS: [&str; 21] = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
];

/// The numbers written in digits in `source` that `target` renders in none of the accepted
/// ways: the same value (thousands separators ignored), the value scaled by 万/亿 into
/// thousand/million/billion, a month name for `N月`, or a small number spelled out.
pub fn missing_numbers(source: &str, target: &str) -> Vec<String> {
    let source = fold_width(source);
    let target_lower = target.to_lowercase();
    let values: Vec<f64> = TARGET_NUMBER
        .find_iter(target)
        .filter_map(|m| m.as_str().replace(',', "").parse().ok())
        .collect();
    let words: Vec<&str> = WORD.find_iter(&target_lower).map(|m| m.as_str()).collect();
    let mut missing = Vec::new();
    for cap in SOURCE_NUMBER.captures_iter(&source) {
        let digits = &cap[1];
        let unit = cap.get(2).map(|m| m.as_str());
        // `1,200` is a thousands separator; `3,5` in Chinese text is a list.
        let cleaned = if digits.contains(',') && is_grouped(digits) {
            digits.replace(',', "")
        } else {
            digits.split(',').next().unwrap_or(digits).to_string()
        };
        let Ok(value) = cleaned.parse::<f64>() else {
            continue;
        };
        let mut accepted = vec![value];
        match unit {
            Some(u) if u.ends_with('万') => {
                accepted.extend([value * 1e4, value * 10.0, value / 100.0, value / 1e5])
            }
            Some("亿") => accepted.extend([value * 1e8, value * 1e5, value * 100.0, value / 10.0]),
            _ => {}
        }
        let found_value = values.iter().any(|v| {
            accepted
                .iter()
                .any(|a| (v - a).abs() <= 1e-9 * a.abs().max(1.0))
        });
        let integer = (value.fract() == 0.0 && value >= 0.0).then_some(value as usize);
        let found_word = integer.is_some_and(|n| {
            let month = unit == Some("月") && (1..=12).contains(&n) && {
                let name = MONTHS[n - 1];
                words
                    .iter()
                    .any(|w| *w == name || (name.len() > 3 && *w == &name[..3]))
            };
            let spelled =
                n < SMALL.len() && words.iter().any(|w| *w == SMALL[n] || *w == ORDINALS[n]);
            month || spelled
        });
        if !found_value && !found_word {
            let shown = format!("{digits}{}", unit.unwrap_or(""));
            if !missing.contains(&shown) {
                missing.push(shown);
            }
        }
    }
    missing
}

fn is_grouped(digits: &str) -> bool {
    let mut parts = digits.split('.').next().unwrap_or("").split(',');
    let first = parts.next().unwrap_or("");
    !first.is_empty() && first.len() <= 3 && parts.all(|p| p.len() == 3)
}

/// Target characters per source character outside the usual range.
fn length_ratio(
    source: &str,
    target: &str,
    source_lang: &str,
    target_lang: &str,
) -> Option<String> {
    let src = source.chars().filter(|c| !c.is_whitespace()).count();
    let tgt = target.chars().count();
    let han_source = source.chars().filter(|&c| is_han(c)).count() * 2 >= src;
    let (low, high, min_len) =
        if han_source && !target_lang.starts_with("zh") && source_lang.starts_with("zh") {
            // English runs 2-5 characters per Chinese character.
            (1.2, 9.0, 10)
        } else {
            (0.4, 2.5, 20)
        };
    if src < min_len {
        return None;
    }
    let ratio = tgt as f64 / src as f64;
    (ratio < low || ratio > high).then(|| {
        format!(
            "length ratio {ratio:.2} (target {tgt} / source {src} characters) outside {low}-{high}"
        )
    })
}

/// A sentence of four words or more given twice, or a phrase of up to five words repeated
/// four times in a row (three for phrases of three words or more).
fn repetition(target: &str) -> Option<String> {
    let lower = target.to_lowercase();
    let mut seen: Vec<String> = Vec::new();
    for sentence in lower.split(['.', '!', '?', ';']) {
        let words: Vec<&str> = WORD.find_iter(sentence).map(|m| m.as_str()).collect();
        if words.len() < 4 {
            continue;
        }
        let norm = words.join(" ");
        if seen.contains(&norm) {
            return Some(format!("sentence repeated: \"{}\"", truncate(&norm, 60)));
        }
        seen.push(norm);
    }
    let words: Vec<&str> = WORD.find_iter(&lower).map(|m| m.as_str()).collect();
    for n in 1..=5 {
        let needed = if n >= 3 { 3 } else { 4 };
        let mut i = 0;
        while i + n <= words.len() {
            let mut count = 1;
            while i + (count + 1) * n <= words.len()
                && words[i + count * n..i + (count + 1) * n] == words[i..i + n]
            {
                count += 1;
            }
            if count >= needed {
                let phrase = words[i..i + n].join(" ");
                return Some(format!(
                    "\"{}\" repeated {count} times",
                    truncate(&phrase, 60)
                ));
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(source: &str, target: &str) -> Vec<FlagCode> {
        check(source, target, "zh-CN", "en")
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn faithful_translation_has_no_flags() {
        assert_eq!(
            codes(
                "如今,重庆数字经济连续三年保持两位数增长,占GDP比重达到24%。",
                "Today, Chongqing's digital economy has grown by double digits for three years in a row, reaching 24% of GDP."
            ),
            vec![]
        );
        assert_eq!(
            codes(
                "8月23日,2021中国国际智能产业博览会在重庆开幕。",
                "On August 23, the 2021 Smart China Expo opened in Chongqing."
            ),
            vec![]
        );
    }

    #[test]
    fn numbers_accept_separators_scales_months_and_words() {
        assert!(missing_numbers("加快培育5000家以上企业", "at least 5,000 companies").is_empty());
        assert!(missing_numbers("投资1.2万元", "12,000 yuan").is_empty());
        assert!(missing_numbers("投资1.2万元", "12 thousand yuan").is_empty());
        assert!(missing_numbers("总额3.5亿元", "350 million yuan").is_empty());
        assert!(missing_numbers("2020年2月", "In February 2020").is_empty());
        assert!(missing_numbers("培育5家企业", "five companies").is_empty());
        assert!(missing_numbers("第3次", "the third time").is_empty());
        assert!(missing_numbers("占比２４％", "24 percent").is_empty());
        assert_eq!(
            missing_numbers("占比24%,新建100个", "a share of 42%, 100 new"),
            vec!["24%"]
        );
        assert_eq!(missing_numbers("2月", "in March"), vec!["2月"]);
    }

    #[test]
    fn missing_number_is_an_error() {
        let flags = check(
            "新建智能化工厂100个",
            "build smart factories",
            "zh-CN",
            "en",
        );
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].code, FlagCode::NumberMismatch);
        assert_eq!(flags[0].severity, Severity::Error);
        assert!(flags[0].message.contains("100"), "{}", flags[0].message);
    }

    #[test]
    fn han_left_empty_and_identical() {
        let flags = check("推动重庆发展", "promote 重庆 development", "zh-CN", "en");
        assert_eq!(flags[0].code, FlagCode::Untranslated);
        assert!(
            flags[0]
                .message
                .starts_with("2 Han characters left in target: 重庆")
        );
        assert_eq!(codes("推动发展", "  "), vec![FlagCode::EmptyTarget]);
        assert_eq!(
            codes("推动发展", "推动发展"),
            vec![FlagCode::IdenticalToSource]
        );
        // Only digits: identical is fine.
        assert_eq!(codes("2021", "2021"), vec![]);
        // A Chinese target may hold Han characters.
        assert!(check("hello world", "你好世界", "en", "zh-CN").is_empty());
    }

    #[test]
    fn length_ratio_outliers_are_warnings() {
        let flags = check(
            "全市广大干部群众将认真贯彻贺信精神坚定不移",
            "Yes.",
            "zh-CN",
            "en",
        );
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].code, FlagCode::LengthRatio);
        assert_eq!(flags[0].severity, Severity::Warning);
        // Short sources are not judged.
        assert_eq!(
            codes(
                "贺信",
                "Congratulatory letter of the president of the country"
            ),
            vec![]
        );
    }

    #[test]
    fn repetitions_are_found() {
        let flags = codes(
            "重庆推动数字经济发展。",
            "Chongqing promotes the digital economy. Chongqing promotes the digital economy.",
        );
        assert_eq!(flags, vec![FlagCode::Repetition]);
        let flags = codes(
            "重庆推动数字经济发展。",
            "Chongqing promotes the digital digital digital digital economy.",
        );
        assert_eq!(flags, vec![FlagCode::Repetition]);
        assert_eq!(
            codes(
                "重庆推动数字经济发展。",
                "Chongqing promotes the digital economy very, very well."
            ),
            vec![]
        );
    }
}
