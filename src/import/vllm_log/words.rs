//! Shell words and Python call arguments, as pasted: the two small
//! tokenisers the vLLM log and command readers share.
//!
//! Both are lenient where a shell or Python would refuse: an unterminated
//! quote runs to the end of the text, an unmatched closing bracket is kept
//! as text. Both are bounded: at most [`MAX_WORDS`] words or items.

/// The most words one command yields; the rest are dropped.
pub const MAX_WORDS: usize = 4096;

/// Splits one command the way a POSIX shell does: blanks separate words,
/// `'…'` is literal, `"…"` honours `\"` `\\` `\$` `` \` ``, a backslash
/// before a newline continues the line (trailing blanks between the two
/// are forgiven — pasted commands often have them), `#` at a word's start
/// comments out the rest of the line. An unquoted newline, `;`, `&`, `|`,
/// `<` or `>` ends the command.
pub fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if words.len() >= MAX_WORDS {
            return words;
        }
        match c {
            '\\' => {
                // Continuation: backslash, optional blanks, newline.
                let mut look = chars.clone();
                while matches!(look.peek(), Some(' ' | '\t' | '\r')) {
                    look.next();
                }
                if matches!(look.peek(), Some('\n')) {
                    look.next();
                    chars = look;
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                    continue;
                }
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&e @ ('"' | '\\' | '$' | '`')) => {
                                word.push(e);
                                chars.next();
                            }
                            Some('\n') => {
                                chars.next();
                            }
                            _ => word.push('\\'),
                        },
                        _ => word.push(q),
                    }
                }
            }
            '#' if !in_word => {
                for q in chars.by_ref() {
                    if q == '\n' {
                        break;
                    }
                }
                break;
            }
            '\n' | ';' | '&' | '|' | '<' | '>' => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word && words.len() < MAX_WORDS {
        words.push(word);
    }
    words
}

/// One item of a Python argument list or dict display: `key=value`,
/// `'key': value`, or a bare positional value. Values are the raw text,
/// trimmed; [`unquote`] reads a string literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    Pair(&'a str, &'a str),
    Positional(&'a str),
}

/// Splits the inside of `f(…)`, `Namespace(…)`, `{…}` or vLLM's
/// `with config: k=v, …` line at its top-level commas, keeping brackets
/// and quoted strings whole.
pub fn python_items(text: &str) -> Vec<Item<'_>> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                push_item(&mut items, &text[start..i]);
                start = i + 1;
                if items.len() >= MAX_WORDS {
                    return items;
                }
            }
            _ => {}
        }
    }
    push_item(&mut items, &text[start..]);
    items
}

fn push_item<'a>(items: &mut Vec<Item<'a>>, piece: &'a str) {
    let piece = piece.trim();
    if piece.is_empty() {
        return;
    }
    // `'key': value` (a dict display).
    if let Some(q @ ('\'' | '"')) = piece.chars().next() {
        if let Some(end) = piece[1..].find(q) {
            let key = &piece[1..1 + end];
            let rest = piece[1 + end + 1..].trim_start();
            if let Some(value) = rest.strip_prefix(':') {
                items.push(Item::Pair(key, value.trim()));
                return;
            }
        }
        items.push(Item::Positional(piece));
        return;
    }
    // `key=value` with an identifier key.
    if let Some(eq) = piece.find('=') {
        let key = piece[..eq].trim();
        if !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            items.push(Item::Pair(key, piece[eq + 1..].trim()));
            return;
        }
    }
    items.push(Item::Positional(piece));
}

/// The text between the brackets that open at `open` (a byte offset of
/// `(`, `[` or `{` in `text`) — or to the end when they never close.
pub fn bracketed(text: &str, open: usize) -> &str {
    let body = &text[open + 1..];
    let mut depth = 1usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return &body[..i];
                }
            }
            _ => {}
        }
    }
    body
}

/// A Python or shell value without its quotes: `'x'` → `x`, `"x"` → `x`;
/// anything else is returned trimmed.
pub fn unquote(raw: &str) -> &str {
    let raw = raw.trim();
    for q in ['\'', '"'] {
        if raw.len() >= 2 && raw.starts_with(q) && raw.ends_with(q) {
            return &raw[1..raw.len() - 1];
        }
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check_words(text: &str, expected: Expect) {
        expected.assert_debug_eq(&shell_words(text));
    }

    #[test]
    fn shell_words_follow_quotes_escapes_and_continuations() {
        check_words(
            "A=1 vllm serve 'my model' --x=\"a \\\"b\\\"\" \\   \n  --y 2 # comment\n--z",
            expect![[r#"
                [
                    "A=1",
                    "vllm",
                    "serve",
                    "my model",
                    "--x=a \"b\"",
                    "--y",
                    "2",
                ]
            "#]],
        );
    }

    #[test]
    fn an_unterminated_quote_runs_to_the_end_and_a_pipe_ends_the_command() {
        check_words(
            "vllm serve m --a 'x y",
            expect![[r#"
                [
                    "vllm",
                    "serve",
                    "m",
                    "--a",
                    "x y",
                ]
            "#]],
        );
        check_words(
            "vllm serve m 2>&1 | tee log",
            expect![[r#"
                [
                    "vllm",
                    "serve",
                    "m",
                    "2",
                ]
            "#]],
        );
    }

    #[test]
    fn python_items_keep_nested_brackets_and_strings_whole() {
        let text = "model='a, b', speculative_config={'method': 'mtp', 'n': 3}, dtype=torch.bfloat16, \"k\": [1, 2], pos";
        expect![[r#"
            [
                Pair(
                    "model",
                    "'a, b'",
                ),
                Pair(
                    "speculative_config",
                    "{'method': 'mtp', 'n': 3}",
                ),
                Pair(
                    "dtype",
                    "torch.bfloat16",
                ),
                Pair(
                    "k",
                    "[1, 2]",
                ),
                Positional(
                    "pos",
                ),
            ]
        "#]]
        .assert_debug_eq(&python_items(text));
        assert_eq!(bracketed("f(a=(1, 2), b=')') tail", 1), "a=(1, 2), b=')'");
        assert_eq!(bracketed("{'a': 1", 0), "'a': 1");
    }
}
