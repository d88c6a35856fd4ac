//! Hostile bytes: the one place that decides what a control character becomes on a terminal
//! and in text files, and that removes secrets (API keys, URL credentials) from anything
//! printed or stored.
//!
//! Servers, input files and error bodies are untrusted: an ESC/OSC/BEL sequence printed raw
//! can retitle, recolour or hijack a terminal, and a key echoed back in an error must not
//! reach a log.

use std::borrow::Cow;

/// A control character that must not reach a terminal or a text format raw: C0 controls other
/// than tab and newline (ESC, BEL, CR, backspace, …), DEL, and the C1 controls (U+0080–U+009F,
/// among them the 8-bit CSI and OSC).
pub fn is_hostile_control(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        // Bidirectional overrides and isolates can make text read differently from its bytes.
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `text` has a hostile control character (see [`is_hostile_control`]).
pub fn has_controls(text: &str) -> bool {
    text.chars().any(is_hostile_control)
}

/// Text safe for a terminal: each hostile control character shown escaped (`\x1b`, `\x07`,
/// `\u{9b}`, `\u{202e}`), everything else unchanged. Borrowed when nothing needs escaping.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !has_controls(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hostile_control(c) {
            out.push_str(&escape_char(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn escape_char(c: char) -> String {
    let code = c as u32;
    if code < 0x80 {
        format!("\\x{code:02x}")
    } else {
        format!("\\u{{{code:x}}}")
    }
}

/// Text for a file format: hostile control characters removed (tab and newline stay; each
/// format escapes those its own way). Borrowed when nothing needs removing.
pub fn strip_controls(text: &str) -> Cow<'_, str> {
    if !has_controls(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|&c| !is_hostile_control(c)).collect())
}

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Removes `key` from `text`: the whole key and any run of 8 or more of its characters
/// (servers echo keys whole, truncated or partly masked), also where the text carries the key
/// JSON-escaped (`\u0073\u006b…`), percent-encoded or base64-encoded. Without a key (or an
/// empty one) returns `text`.
pub fn redact_key(text: &str, key: Option<&str>) -> String {
    const MIN: usize = 8;
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return text.to_string();
    };
    // Decode the encodings a server may echo the key in, so the plain search finds it.
    let mut out = decode_json_escapes(text);
    if out.contains('%') {
        out = replace_percent_encoded(&out, key);
    }
    out = replace_base64(&out, key);
    let key: Vec<char> = key.chars().collect();
    if key.len() < MIN {
        return out.replace(&key.iter().collect::<String>(), REDACTED);
    }
    // Longest windows first, so the whole key goes before its pieces.
    let mut len = key.len();
    while len >= MIN {
        for start in 0..=key.len() - len {
            let window: String = key[start..start + len].iter().collect();
            if out.contains(&window) {
                out = out.replace(&window, REDACTED);
            }
        }
        len -= 1;
    }
    out
}

/// `\uXXXX` escapes of printable ASCII decoded (that is how a JSON encoder may spell a key);
/// other escapes stay as they are.
fn decode_json_escapes(text: &str) -> String {
    if !text.contains("\\u") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 2..at + 6);
        match hex
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
            .filter(|c| c.is_ascii_graphic())
        {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Replaces percent-encoded spellings of `key` (every byte encoded, or only the reserved
/// ones, in either hex case).
fn replace_percent_encoded(text: &str, key: &str) -> String {
    let all_upper: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
    let all_lower: String = key.bytes().map(|b| format!("%{b:02x}")).collect();
    let reserved = |upper: bool| -> String {
        key.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else if upper {
                    format!("%{b:02X}")
                } else {
                    format!("%{b:02x}")
                }
            })
            .collect()
    };
    let mut out = text.to_string();
    for form in [all_upper, all_lower, reserved(true), reserved(false)] {
        if form != key {
            out = out.replace(&form, REDACTED);
        }
    }
    out
}

/// Replaces base64 spellings of `key` (standard and URL-safe alphabets, at each of the three
/// alignments the key can have inside a longer encoded text).
fn replace_base64(text: &str, key: &str) -> String {
    let mut out = text.to_string();
    for offset in 0..3 {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(key.as_bytes());
        let encoded = base64_encode(&bytes);
        // Drop the characters that depend on the padding bytes before and after the key.
        let lead = (offset * 4).div_ceil(3);
        let full = ((offset + key.len()) / 3) * 4;
        if full <= lead + 8 {
            continue;
        }
        let core = &encoded[lead..full];
        let url_safe: String = core
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        for form in [core.to_string(), url_safe] {
            out = out.replace(&form, REDACTED);
        }
    }
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Query parameters whose value is a secret.
const SECRET_PARAMS: &[&str] = &[
    "key",
    "api_key",
    "apikey",
    "api-key",
    "access_token",
    "token",
    "auth",
    "auth_key",
    "secret",
    "password",
    "sig",
    "signature",
];

/// A URL without its secrets: the userinfo (`user:KEY@`) becomes `<redacted>@` and the value
/// of a secret-looking query parameter (`?key=…`, `api_key`, `token`, …) becomes `<redacted>`.
/// Text that is not a URL is returned unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let (scheme, rest) = url.split_at(scheme_end + 3);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("{REDACTED}@{}", &authority[at + 1..]),
        None => authority.to_string(),
    };
    format!("{scheme}{authority}{}", redact_query(tail))
}

fn redact_query(tail: &str) -> String {
    let Some(q) = tail.find('?') else {
        return tail.to_string();
    };
    let (path, query) = tail.split_at(q + 1);
    let (query, fragment) = match query.find('#') {
        Some(h) => query.split_at(h),
        None => (query, ""),
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((name, value))
                if !value.is_empty()
                    && SECRET_PARAMS.contains(&name.to_ascii_lowercase().as_str()) =>
            {
                format!("{name}={REDACTED}")
            }
            _ => param.to_string(),
        })
        .collect();
    format!("{path}{}{fragment}", params.join("&"))
}

/// Every `http://` or `https://` URL inside `text` passed through [`redact_url`] (for error
/// messages that quote a URL).
pub fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("http") {
        let candidate = &rest[at..];
        if !(candidate.starts_with("http://") || candidate.starts_with("https://")) {
            out.push_str(&rest[..at + 4]);
            rest = &rest[at + 4..];
            continue;
        }
        out.push_str(&rest[..at]);
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | '`'))
            .unwrap_or(candidate.len());
        out.push_str(&redact_url(&candidate[..end]));
        rest = &candidate[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_shows_controls_escaped() {
        assert_eq!(
            for_terminal("bad\u{1b}]0;pwned\u{7}\u{1b}[31m red\tok\n"),
            "bad\\x1b]0;pwned\\x07\\x1b[31m red\tok\n"
        );
        assert_eq!(
            for_terminal("a\u{9b}2Jb\rc\u{7f}"),
            "a\\u{9b}2Jb\\x0dc\\x7f"
        );
        assert_eq!(for_terminal("中\u{202e}文"), "中\\u{202e}文");
        assert!(matches!(for_terminal("plain 中文\t\n"), Cow::Borrowed(_)));
        assert_eq!(strip_controls("a\u{1b}[2Jb\u{7}\tc\n"), "a[2Jb\tc\n");
    }

    #[test]
    fn keys_are_redacted_in_every_encoding() {
        let key = "sk-test-ABCDEFGH12345678/+=";
        let json: String = key
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let cases = [
            format!("bad key {key}"),
            format!("{{\"error\":\"bad key {json}\"}}"),
            "bad key sk-test-ABCDEFGH12345678%2F%2B%3D".to_string(),
            key.bytes().map(|b| format!("%{b:02X}")).collect::<String>(),
            format!("basic {}", base64_encode(format!("user:{key}").as_bytes())),
            format!("b64 {}", base64_encode(key.as_bytes())),
            format!("b64 {}", base64_encode(format!("xx{key}").as_bytes())),
        ];
        for text in cases {
            let out = redact_key(&text, Some(key));
            assert!(out.contains(REDACTED), "{text} -> {out}");
            assert!(!out.contains("ABCDEFGH"), "{text} -> {out}");
            assert!(!out.contains("QUJDREVGR0gx"), "{text} -> {out}");
        }
        assert_eq!(redact_key("nothing here", Some(key)), "nothing here");
        assert_eq!(redact_key("no key", None), "no key");
    }

    #[test]
    fn urls_lose_userinfo_and_secret_parameters() {
        assert_eq!(
            redact_url("http://user:sk-KEY@127.0.0.1:8080/v1?key=sk-KEY&model=x#frag"),
            "http://<redacted>@127.0.0.1:8080/v1?key=<redacted>&model=x#frag"
        );
        assert_eq!(
            redact_url("https://api.example.com/v1?api_key=abc"),
            "https://api.example.com/v1?api_key=<redacted>"
        );
        assert_eq!(
            redact_url("https://api.openai.com/v1"),
            "https://api.openai.com/v1"
        );
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(
            redact_urls_in("error sending request for url (http://u:p@h/x?token=t): refused"),
            "error sending request for url (http://<redacted>@h/x?token=<redacted>): refused"
        );
    }
}
