//! Numbers, dates, percentages and amounts in Chinese text, rendered in English:
//! `8月23日` → `August 23`, `2020年2月` → `February 2020`, `1.2万亿元` → `1.2 trillion yuan`,
//! `5000家以上` → `at least 5,000`, `10余个` → `more than 10`, `三组` → `three groups`.
//!
//! The scanner expects text whose full-width ASCII (`０-９`, `％`, `．`) is already folded to
//! ASCII (the gloss engine does that first); [`convert_numbers`] folds it itself.

use crate::text::{fold_width, is_han};
use std::ops::Range;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const SMALL: [&str; 11] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

const ORDINALS: [&str; 11] = [
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth",
];

/// Counters after a number: the Chinese, and the English (singular, plural); an empty
/// English means the counter is dropped (`5000家` → `5,000`).
const COUNTERS: &[(&str, &str, &str)] = &[
    ("个", "", ""),
    ("家", "", ""),
    ("项", "", ""),
    ("条", "", ""),
    ("名", "", ""),
    ("位", "", ""),
    ("座", "", ""),
    ("所", "", ""),
    ("台", "", ""),
    ("只", "", ""),
    ("件", "", ""),
    ("款", "", ""),
    ("场", "", ""),
    ("届", "", ""),
    ("种", "kind of", "kinds of"),
    ("批", "batch of", "batches of"),
    ("组", "group", "groups"),
    ("年", "year", "years"),
    ("月", "month", "months"),
    ("天", "day", "days"),
    ("周", "week", "weeks"),
    ("小时", "hour", "hours"),
    ("分钟", "minute", "minutes"),
    ("次", "time", "times"),
    ("倍", "time", "times"),
    ("岁", "year old", "years old"),
    ("人", "person", "people"),
    ("元", "yuan", "yuan"),
    ("美元", "US dollar", "US dollars"),
    ("欧元", "euro", "euros"),
    ("吨", "tonne", "tonnes"),
    ("公里", "km", "km"),
    ("千米", "km", "km"),
    ("米", "metre", "metres"),
    ("平方米", "square metre", "square metres"),
    ("平方公里", "square kilometre", "square kilometres"),
    ("亩", "mu", "mu"),
    ("吋", "-inch", "-inch"),
    ("英寸", "-inch", "-inch"),
    ("方面", "aspect", "aspects"),
    ("点", "o'clock", "o'clock"),
];

/// One number expression found in a text: its byte range and its English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberMatch {
    pub range: Range<usize>,
    pub english: String,
}

/// Replaces every number expression of `text` with its English, keeping the rest; converted
/// pieces are separated from neighbouring text by one space.
pub fn convert_numbers(text: &str) -> String {
    let text = fold_width(text);
    let mut out = String::new();
    let mut last = 0;
    for m in scan_numbers(&text) {
        push_spaced(&mut out, &text[last..m.range.start]);
        push_spaced(&mut out, &m.english);
        last = m.range.end;
    }
    push_spaced(&mut out, &text[last..]);
    out.trim().to_string()
}

fn push_spaced(out: &mut String, piece: &str) {
    if piece.is_empty() {
        return;
    }
    if !out.is_empty() && !out.ends_with(' ') && !piece.starts_with(' ') {
        out.push(' ');
    }
    out.push_str(piece);
}

/// Finds the number expressions of `text` (left to right, non-overlapping).
pub fn scan_numbers(text: &str) -> Vec<NumberMatch> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if let Some((len, english)) = number_at(text, i) {
            out.push(NumberMatch {
                range: i..i + len,
                english,
            });
            i += len;
        } else {
            // Skip a whole numeral run that is no number (十四五), not just its first char.
            let run: usize = text[i..]
                .chars()
                .take_while(|&c| is_cn_digit(c))
                .map(char::len_utf8)
                .sum();
            i += run.max(text[i..].chars().next().map_or(1, char::len_utf8));
        }
    }
    out
}

fn is_cn_digit(c: char) -> bool {
    "零〇一二两三四五六七八九十百千万亿".contains(c)
}

/// A run of ASCII digits with `.`/`,` inside: (byte length, digits without commas).
fn arabic_at(s: &str) -> Option<(usize, String)> {
    let b = s.as_bytes();
    if b.first().is_none_or(|c| !c.is_ascii_digit()) {
        return None;
    }
    let mut n = 0;
    let mut seen_dot = false;
    while n < b.len() {
        let c = b[n];
        if c.is_ascii_digit() {
            n += 1;
        } else if (c == b'.' && !seen_dot || c == b',')
            && b.get(n + 1).is_some_and(u8::is_ascii_digit)
        {
            seen_dot |= c == b'.';
            n += 1;
        } else {
            break;
        }
    }
    Some((n, s[..n].replace(',', "")))
}

/// A run of Chinese numerals: (byte length, value). `二〇二一` reads digit by digit.
fn chinese_at(s: &str) -> Option<(usize, u64)> {
    let len: usize = s
        .chars()
        .take_while(|&c| is_cn_digit(c))
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    Some((len, chinese_value(&s[..len])?))
}

fn cn_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// The value of a Chinese numeral (`二十三` = 23, `一百零五` = 105, `三万` = 30000,
/// `二〇二一` = 2021).
pub fn chinese_value(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let n = s.chars().count();
    if n > 1 && s.chars().all(|c| cn_digit(c).is_some()) {
        // Only codes and years (二〇二一) read digit by digit; 四五 is not 45.
        if n != 4 && !s.contains(['〇', '零']) {
            return None;
        }
        // Digit by digit (years, codes).
        return s.chars().try_fold(0u64, |acc, c| {
            acc.checked_mul(10)?.checked_add(cn_digit(c)?)
        });
    }
    // A numeral starts with a digit or 十 (万难, 千万 are words, not numbers).
    let first = s.chars().next()?;
    if cn_digit(first).is_none() && first != '十' {
        return None;
    }
    let (mut total, mut mid, mut section, mut digit) = (0u64, 0u64, 0u64, None::<u64>);
    // The last unit below 万 inside the current section: units must decrease (十四五 and
    // 五十百千 are names, not numbers).
    let mut last_small = u64::MAX;
    for c in s.chars() {
        if let Some(d) = cn_digit(c) {
            if d == 0 {
                // 零 only marks a gap (一百零五).
                continue;
            }
            if digit.is_some() {
                return None;
            }
            digit = Some(d);
            continue;
        }
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => 10_000,
            '亿' => 100_000_000,
            _ => return None,
        };
        if unit == 10_000 {
            let n = section + digit.take().unwrap_or(0);
            mid += if n == 0 { 1 } else { n } * unit;
            section = 0;
            last_small = u64::MAX;
        } else if unit == 100_000_000 {
            let n = mid + section + digit.take().unwrap_or(0);
            total += if n == 0 { 1 } else { n }.checked_mul(unit)?;
            mid = 0;
            section = 0;
            last_small = u64::MAX;
        } else {
            if unit >= last_small {
                return None;
            }
            last_small = unit;
            section += digit.take().unwrap_or(1) * unit;
        }
    }
    Some(total + mid + section + digit.unwrap_or(0))
}

/// Groups an integer string with commas: `5000` → `5,000`.
fn with_commas(int: &str) -> String {
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a decimal `digits` (no point) whose point sits after `point` digits (may be
/// negative or beyond the end), with commas in the integer part.
fn format_decimal(digits: &str, point: isize) -> String {
    let (int, frac) = if point <= 0 {
        (
            "0".to_string(),
            format!("{}{}", "0".repeat((-point) as usize), digits),
        )
    } else if point as usize >= digits.len() {
        (
            format!("{}{}", digits, "0".repeat(point as usize - digits.len())),
            String::new(),
        )
    } else {
        (
            digits[..point as usize].to_string(),
            digits[point as usize..].to_string(),
        )
    };
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        with_commas(int)
    } else {
        format!("{}.{}", with_commas(int), frac)
    }
}

/// English for `number` (ASCII digits, optional `.`) times 10^`magnitude`: `86.4`, 8 →
/// `8.64 billion`; `5000`, 0 → `5,000`; `3`, 4 → `30,000`.
pub fn english_amount(number: &str, magnitude: u32) -> String {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = format!("{int}{frac}");
    let point = int.len() as isize + magnitude as isize;
    // Integer digits of the value, ignoring leading zeros.
    let lead = digits.len() - digits.trim_start_matches('0').len();
    let int_digits = point - lead as isize;
    if magnitude > 0 {
        for (exp, word) in [(12, "trillion"), (9, "billion"), (6, "million")] {
            if int_digits > exp {
                return format!("{} {word}", format_decimal(&digits, point - exp));
            }
        }
    }
    format_decimal(&digits, point)
}

/// English for a small count: words up to ten, digits (with commas) above.
fn count_english(value: u64) -> String {
    match SMALL.get(value as usize) {
        Some(word) => (*word).to_string(),
        None => with_commas(&value.to_string()),
    }
}

fn ordinal(value: u64) -> String {
    if let Some(word) = ORDINALS.get(value as usize).filter(|_| value > 0) {
        return (*word).to_string();
    }
    let suffix = match (value % 10, value % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{value}{suffix}")
}

fn month_name(m: u64) -> Option<&'static str> {
    (1..=12).contains(&m).then(|| MONTHS[m as usize - 1])
}

/// A number of either script at the start of `s`: (byte length, ASCII digits, is Chinese).
fn any_number_at(s: &str) -> Option<(usize, String, bool)> {
    if let Some((len, digits)) = arabic_at(s) {
        return Some((len, digits, false));
    }
    chinese_at(s).map(|(len, v)| (len, v.to_string(), true))
}

/// Tries the date forms at the start of `s`.
fn date_at(s: &str) -> Option<(usize, String)> {
    let (n1, v1, cn1) = any_number_at(s)?;
    let rest = &s[n1..];
    // YEAR年[MONTH月[DAY日]]
    if let Some(after_year) = rest.strip_prefix('年') {
        let year_ok = v1.len() == 4 && !v1.contains('.');
        if !year_ok {
            return None;
        }
        let used = n1 + '年'.len_utf8();
        if let Some((n2, v2, _)) = any_number_at(after_year)
            && let Some(after_month) = after_year[n2..].strip_prefix('月')
            && let Some(month) = v2.parse().ok().and_then(month_name)
        {
            let used = used + n2 + '月'.len_utf8();
            if let Some((n3, v3, _)) = any_number_at(after_month)
                && let Some(day) = v3.parse::<u64>().ok().filter(|d| (1..=31).contains(d))
                && after_month[n3..].starts_with(['日', '号'])
            {
                return Some((used + n3 + 3, format!("{month} {day}, {v1}")));
            }
            return Some((used, format!("{month} {v1}")));
        }
        return Some((used, v1));
    }
    // MONTH月[DAY日]
    if let Some(after_month) = rest.strip_prefix('月') {
        let month = v1.parse().ok().and_then(month_name)?;
        let used = n1 + '月'.len_utf8();
        if let Some((n2, v2, _)) = any_number_at(after_month)
            && let Some(day) = v2.parse::<u64>().ok().filter(|d| (1..=31).contains(d))
            && after_month[n2..].starts_with(['日', '号'])
        {
            return Some((used + n2 + 3, format!("{month} {day}")));
        }
        let used = used + if after_month.starts_with('份') { 3 } else { 0 };
        // A bare Chinese numeral + 月 is a month only with 份 or as the whole token.
        if cn1 && !s[..used].ends_with('份') && used != s.len() {
            return None;
        }
        return Some((used, month.to_string()));
    }
    None
}

fn counter_at(s: &str) -> Option<(usize, &'static str, &'static str)> {
    COUNTERS
        .iter()
        .filter(|(cn, _, _)| s.starts_with(cn))
        .max_by_key(|(cn, _, _)| cn.len())
        .map(|&(cn, one, many)| (cn.len(), one, many))
}

/// The number expression starting at byte `i` of `text`, if any.
fn number_at(text: &str, i: usize) -> Option<(usize, String)> {
    let s = &text[i..];
    let first = s.chars().next()?;
    let prev = text[..i].chars().next_back();
    // Digits glued to Latin letters (5G, A380) are a Latin token, not a number.
    if prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
        return None;
    }
    // 第N → ordinal.
    if first == '第' {
        let (n, digits, _) = any_number_at(&s[3..])?;
        let value: u64 = digits.parse().ok()?;
        let mut used = 3 + n;
        let mut english = ordinal(value);
        if s[used..].starts_with('次') {
            used += 3;
            english = format!("for the {english} time");
        } else if let Some((c, _, _)) = counter_at(&s[used..]).filter(|(_, one, _)| one.is_empty())
        {
            used += c;
        }
        return Some((used, english));
    }
    // 百分之N → N%.
    if let Some(rest) = s.strip_prefix("百分之") {
        let (n, digits, _) = any_number_at(rest)?;
        return Some((9 + n, format!("{digits}%")));
    }
    if !first.is_ascii_digit() && !is_cn_digit(first) {
        return None;
    }
    if let Some(date) = date_at(s) {
        return Some(date);
    }
    let (n, digits, chinese) = any_number_at(s)?;
    if !chinese && s[n..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    if chinese {
        // Chinese numerals only as a whole quantity with a counter or a magnitude, and not
        // glued to a preceding word (统一, 这三个: the gloss engine handles those after
        // segmentation); a bare 三 before other Chinese (三菱) is left to the dictionary.
        if prev.is_some_and(is_han) {
            return None;
        }
        return chinese_quantity_at(s);
    }
    let mut used = n;
    if let Some(rest) = s[used..].strip_prefix('%') {
        let _ = rest;
        return Some((used + 1, format!("{digits}%")));
    }
    let mut more_than = false;
    if s[used..].starts_with(['余', '多']) {
        more_than = true;
        used += 3;
    }
    let mut magnitude = 0;
    for (cn, exp) in [("万亿", 12), ("亿", 8), ("万", 4), ("千", 3), ("百", 2)] {
        if s[used..].starts_with(cn) {
            magnitude = exp;
            used += cn.len();
            break;
        }
    }
    if s[used..].starts_with(['余', '多']) {
        more_than = true;
        used += 3;
    }
    let mut number = english_amount(&digits, magnitude);
    let year_like = magnitude == 0
        && digits.len() == 4
        && !digits.contains('.')
        && (1800..=2100).contains(&digits.parse::<u32>().unwrap_or(0));
    let mut unit = String::new();
    if let Some((c, one, many)) = counter_at(&s[used..]) {
        used += c;
        let single = digits == "1" && magnitude == 0 && !more_than;
        unit = if single { one } else { many }.to_string();
    } else if year_like {
        number = digits.clone();
    }
    let mut prefix = if more_than { "more than " } else { "" };
    if s[used..].starts_with("以上") {
        used += 6;
        prefix = if more_than { "more than " } else { "at least " };
    } else if s[used..].starts_with("以下") {
        used += 6;
        prefix = "up to ";
    } else if s[used..].starts_with("左右") {
        used += 6;
        prefix = "about ";
    }
    let english = if unit.starts_with('-') {
        format!("{prefix}{number}{unit}")
    } else if unit.is_empty() {
        format!("{prefix}{number}")
    } else {
        format!("{prefix}{number} {unit}")
    };
    Some((used, english))
}

/// The English of a whole word that is a number expression (`三个` → `three`, `第三次` →
/// `for the third time`, `八月` → `August`), or `None` when the word is more than that.
pub fn quantity_word(word: &str) -> Option<String> {
    let (len, english) = number_at(word, 0)?;
    (len == word.len()).then_some(english)
}

/// A Chinese-numeral quantity at the start of `s`: `三组` → `three groups`, `五项` → `five`,
/// `一批` → `a batch of`, `两万` → `20,000`, `三年` → `three years`. Plain numerals (`三`)
/// only when nothing Chinese follows them in `s`.
pub fn chinese_quantity_at(s: &str) -> Option<(usize, String)> {
    let (n, value) = chinese_at(s)?;
    let numeral = &s[..n];
    // 一/两 alone are too often part of words (一体化, 两江): need a counter after them.
    let rest = &s[n..];
    let mut more_than = false;
    let mut used = n;
    if rest.starts_with(['余', '多']) && !numeral.ends_with(['一', '两', '二', '三']) {
        more_than = true;
        used += 3;
    }
    let big = numeral.contains(['万', '亿']);
    let number = if big {
        english_amount(&value.to_string(), 0)
    } else {
        count_english(value)
    };
    if let Some((c, one, many)) = counter_at(&s[used..]) {
        used += c;
        let english = if value == 1 && !more_than {
            if one.is_empty() {
                "one".to_string()
            } else if one.ends_with(" of") {
                format!("a {one}")
            } else {
                format!("one {one}")
            }
        } else if many.is_empty() {
            number
        } else if many.starts_with('-') {
            format!("{number}{many}")
        } else {
            format!("{number} {many}")
        };
        let english = if more_than {
            format!("more than {english}")
        } else {
            english
        };
        return Some((used, english));
    }
    // A bare numeral: only when it stands alone (a whole token) or is large.
    if used == s.len() || big || numeral.chars().count() > 1 {
        let english = if more_than {
            format!("more than {number}")
        } else {
            number
        };
        return Some((used, english));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(convert_numbers("8月23日"), "August 23");
        assert_eq!(convert_numbers("2021年"), "2021");
        assert_eq!(convert_numbers("2020年2月"), "February 2020");
        assert_eq!(convert_numbers("2021年8月23日"), "August 23, 2021");
        assert_eq!(convert_numbers("八月二十三日"), "August 23");
        assert_eq!(convert_numbers("二〇二一年"), "2021");
        assert_eq!(convert_numbers("12月"), "December");
        assert_eq!(convert_numbers("2月份"), "February");
        assert_eq!(convert_numbers("３月５号"), "March 5");
        // 13月 is no month: left as a number with its counter.
        assert_eq!(convert_numbers("13月"), "13 months");
    }

    #[test]
    fn percentages() {
        assert_eq!(convert_numbers("24%"), "24%");
        assert_eq!(convert_numbers("24％"), "24%");
        assert_eq!(convert_numbers("3.5%"), "3.5%");
        assert_eq!(convert_numbers("百分之二十四"), "24%");
    }

    #[test]
    fn money_and_magnitudes() {
        assert_eq!(convert_numbers("1.2万亿元"), "1.2 trillion yuan");
        assert_eq!(convert_numbers("86.4亿元"), "8.64 billion yuan");
        assert_eq!(convert_numbers("5000万元"), "50 million yuan");
        assert_eq!(convert_numbers("3万"), "30,000");
        assert_eq!(convert_numbers("2.5万人"), "25,000 people");
        assert_eq!(convert_numbers("150万"), "1.5 million");
        assert_eq!(convert_numbers("100亿美元"), "10 billion US dollars");
        assert_eq!(convert_numbers("0.5亿"), "50 million");
        assert_eq!(convert_numbers("30余万"), "more than 300,000");
        assert_eq!(english_amount("1.20", 12), "1.2 trillion");
        assert_eq!(english_amount("1000", 8), "100 billion");
    }

    #[test]
    fn counts_and_approximations() {
        assert_eq!(convert_numbers("5000家"), "5,000");
        assert_eq!(convert_numbers("10余个"), "more than 10");
        assert_eq!(convert_numbers("30余条"), "more than 30");
        assert_eq!(convert_numbers("5家以上"), "at least 5");
        assert_eq!(convert_numbers("100个以上"), "at least 100");
        assert_eq!(convert_numbers("10万左右"), "about 100,000");
        assert_eq!(convert_numbers("12吋"), "12-inch");
        assert_eq!(convert_numbers("1,234,567"), "1,234,567");
        assert_eq!(convert_numbers("123456"), "123,456");
        assert_eq!(convert_numbers("3年"), "3 years");
        assert_eq!(convert_numbers("1个"), "1");
        // Year-like numbers without 年 stay as they are; others get commas.
        assert_eq!(convert_numbers("2021中国"), "2021 中国");
        assert_eq!(convert_numbers("5000"), "5,000");
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(convert_numbers("三组"), "three groups");
        assert_eq!(convert_numbers("五项任务"), "five 任务");
        assert_eq!(convert_numbers("三个方面"), "three 方面");
        assert_eq!(convert_numbers("一批"), "a batch of");
        assert_eq!(convert_numbers("一组"), "one group");
        assert_eq!(convert_numbers("三年"), "three years");
        assert_eq!(convert_numbers("两万"), "20,000");
        assert_eq!(convert_numbers("十余个"), "more than ten");
        assert_eq!(convert_numbers("三"), "three");
        assert_eq!(convert_numbers("二十三"), "23");
        assert_eq!(chinese_value("一百零五"), Some(105));
        assert_eq!(chinese_value("十四"), Some(14));
        assert_eq!(chinese_value("三万五千"), Some(35_000));
        assert_eq!(chinese_value("一亿二千万"), Some(120_000_000));
        assert_eq!(chinese_value("十四五"), None);
        assert_eq!(chinese_value("五十百千"), None);
        assert_eq!(chinese_value("万"), None);
        assert_eq!(convert_numbers("万难"), "万难");
        assert_eq!(convert_numbers("十四五"), "十四五");
        // Numerals inside words are left alone.
        assert_eq!(convert_numbers("统一"), "统一");
        assert_eq!(convert_numbers("三菱"), "三菱");
        assert_eq!(convert_numbers("一体化"), "一体化");
    }

    #[test]
    fn ordinals_and_latin() {
        assert_eq!(convert_numbers("第三次"), "for the third time");
        assert_eq!(convert_numbers("第3届"), "third");
        assert_eq!(convert_numbers("第21"), "21st");
        assert_eq!(convert_numbers("第12"), "12th");
        assert_eq!(convert_numbers("5G基站"), "5G基站");
        assert_eq!(convert_numbers("A380"), "A380");
    }

    #[test]
    fn mixed_text() {
        assert_eq!(
            convert_numbers("8月23日上午,2021中国国际智能产业博览会"),
            "August 23 上午, 2021 中国国际智能产业博览会"
        );
        assert_eq!(convert_numbers("达到24%"), "达到 24%");
    }
}
