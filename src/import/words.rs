//! Words of pasted text: shell commands split into words, and Python call
//! arguments split into items — the one tokenizer each that the llama.cpp
//! log, vLLM log and command readers share.
//!
//! [`split_commands`] reads commands the way people paste them, from a
//! POSIX shell, cmd or PowerShell: quotes, backslash escapes (a backslash
//! before an ordinary character is a Windows path separator and kept),
//! line continuations (`\`, `^`, a backtick), command separators, `#`
//! comments, prompts and redirections. [`python_items`] splits the inside
//! of `f(…)`, `Namespace(…)` or `{…}` at its top-level commas.
//!
//! Both are lenient where a shell or Python would refuse — an unterminated
//! quote runs to the end of the text, an unmatched closing bracket is kept
//! as text — total (any text in, words out, never a panic) and bounded: at
//! most [`MAX_COMMANDS`] commands of [`MAX_WORDS`] words, and [`MAX_WORDS`]
//! items.
//!
//! The shell reader is hand-written rather than a crate such as `shlex`:
//! pasted commands mix POSIX quoting with Windows paths and continuations,
//! and a tokenizer that rejects an unbalanced quote would lose the whole
//! command.

use std::borrow::Cow;
use std::iter::Peekable;
use std::str::Chars;

/// The most words one command yields, and the most items one argument
/// list yields; the rest are dropped.
pub const MAX_WORDS: usize = 4096;
/// The most commands one text yields; text past the last is not read.
pub const MAX_COMMANDS: usize = 1 << 16;

/// Characters a backslash escapes outside quotes: those the shell would
/// otherwise read. Before any other character the backslash is kept
/// (`vulkan\llama-server`, `C:\models\x.gguf`).
const ESCAPED: &str = " \t'\"\\$&|;<>()`#";

/// First words that are a prompt, not a program: POSIX, cmd, Python,
/// PowerShell.
const PROMPTS: &[&str] = &["$", ">", "%", ">>>", "PS"];

/// Splits text into commands of words. Blanks separate words; `'…'` is
/// literal; `"…"` honours `\"` `\\` `\$` `` \` `` and a backslash-newline;
/// a backslash, `^` (cmd) or backtick (PowerShell) before a newline
/// continues the line, trailing blanks between the two forgiven; `;`,
/// `&&`, `||`, `|`, `&` and unquoted newlines end a command; `#` at the
/// start of a word comments out the rest of the line. A prompt before the
/// command (`$`, `>`, `PS`, `C:\llama>`) and redirections with their
/// targets (`> log`, `2>&1`, `>>out.txt`) are dropped; empty commands are
/// not returned.
pub fn split_commands(text: &str) -> Vec<Vec<String>> {
    let mut s = Splitter::default();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if s.commands.len() >= MAX_COMMANDS {
            break;
        }
        match c {
            '\\' | '^' | '`' if continues(&mut chars) => s.end_word(),
            '\\' => match chars.next_if(|n| ESCAPED.contains(*n)) {
                Some(n) => s.push(n, true),
                None => s.push('\\', false),
            },
            '\'' => {
                s.open_quote();
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    s.push(q, true);
                }
            }
            '"' => {
                s.open_quote();
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.next_if(|n| matches!(n, '"' | '\\' | '$' | '`' | '\n'))
                        {
                            Some('\n') => {}
                            Some(e) => s.push(e, true),
                            None => s.push('\\', true),
                        },
                        _ => s.push(q, true),
                    }
                }
            }
            '#' if !s.in_word => while chars.next_if(|n| *n != '\n').is_some() {},
            '\n' | ';' => s.end_command(),
            // `2>&1`, `>|`: part of a redirection, not a separator.
            '&' | '|' if s.in_word && s.word.ends_with(['>', '<']) => s.push(c, false),
            '&' | '|' => {
                s.end_command();
                chars.next_if_eq(&c);
            }
            c if c.is_whitespace() => s.end_word(),
            c => s.push(c, false),
        }
    }
    s.end_command();
    s.commands
}

/// After a continuation character: whether blanks and a newline follow,
/// and if so consumes them.
fn continues(chars: &mut Peekable<Chars<'_>>) -> bool {
    let mut look = chars.clone();
    while look.next_if(|c| matches!(c, ' ' | '\t' | '\r')).is_some() {}
    if look.next_if_eq(&'\n').is_some() {
        *chars = look;
        true
    } else {
        false
    }
}

/// The commands read so far and the one being read.
#[derive(Default)]
struct Splitter {
    commands: Vec<Vec<String>>,
    words: Vec<String>,
    word: String,
    /// A word has begun (an empty quote `''` begins one).
    in_word: bool,
    /// The word's first character was quoted or escaped: it is text, never
    /// a prompt or a redirection.
    quoted_lead: bool,
    /// Words of this command seen, dropped ones included.
    seen: usize,
    /// The last word was a redirection whose target is the next word.
    target_next: bool,
}

impl Splitter {
    fn begin(&mut self, quoted: bool) {
        if !self.in_word {
            self.in_word = true;
            self.quoted_lead = quoted;
        }
    }

    fn open_quote(&mut self) {
        self.begin(true);
    }

    fn push(&mut self, c: char, quoted: bool) {
        self.begin(quoted);
        self.word.push(c);
    }

    fn end_word(&mut self) {
        if !self.in_word {
            return;
        }
        self.in_word = false;
        let word = std::mem::take(&mut self.word);
        let first = self.seen == 0;
        self.seen += 1;
        if std::mem::take(&mut self.target_next) {
            return;
        }
        if !self.quoted_lead {
            if first && PROMPTS.contains(&word.as_str()) {
                return;
            }
            if self.words.is_empty() && word.ends_with('>') && word.contains(":\\") {
                return; // `C:\llama>`
            }
            let op = word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
            if op.starts_with(['>', '<']) {
                // `> log.txt` takes the next word; `>log.txt`, `2>&1` do not.
                self.target_next = op.trim_start_matches(['>', '<', '|']).is_empty();
                return;
            }
        }
        if self.words.len() < MAX_WORDS {
            self.words.push(word);
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        self.seen = 0;
        self.target_next = false;
        let words = std::mem::take(&mut self.words);
        if !words.is_empty() && self.commands.len() < MAX_COMMANDS {
            self.commands.push(words);
        }
    }
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
/// and quoted strings whole. Comments are not read: source text goes
/// through [`without_comments`] first.
pub fn python_items(text: &str) -> Vec<Item<'_>> {
    let mut items = Vec::new();
    let mut scan = Scan::default();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if scan.step(c) == Some(Bracket::Comma) && scan.depth == 0 {
            push_item(&mut items, text.get(start..i).unwrap_or_default());
            start = i + 1;
            if items.len() >= MAX_WORDS {
                return items;
            }
        }
    }
    push_item(&mut items, text.get(start..).unwrap_or_default());
    items
}

fn push_item<'a>(items: &mut Vec<Item<'a>>, piece: &'a str) {
    let piece = piece.trim();
    if piece.is_empty() {
        return;
    }
    // `'key': value` (a dict display).
    if let Some(q @ ('\'' | '"')) = piece.chars().next() {
        let pair = piece
            .strip_prefix(q)
            .and_then(|body| body.split_once(q))
            .and_then(|(key, rest)| Some((key, rest.trim_start().strip_prefix(':')?)));
        items.push(match pair {
            Some((key, value)) => Item::Pair(key, value.trim()),
            None => Item::Positional(piece),
        });
        return;
    }
    // `key=value` with an identifier key (dotted in vLLM's config line);
    // `a == b` is a comparison.
    if let Some((key, value)) = piece.split_once('=') {
        let key = key.trim();
        if !key.is_empty()
            && !value.starts_with('=')
            && key
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            items.push(Item::Pair(key, value.trim()));
            return;
        }
    }
    items.push(Item::Positional(piece));
}

/// The text between the brackets that open at `open` (a byte offset of
/// `(`, `[` or `{` in `text`) — or to the end when they never close; empty
/// when `open` is not in `text`.
pub fn bracketed(text: &str, open: usize) -> &str {
    text.get(open.saturating_add(1)..).map_or("", until_closed)
}

/// The text before the bracket that closes one opened just before `body`
/// (`a, (b)` of `a, (b)) + c`) — or all of it when none does.
pub fn until_closed(body: &str) -> &str {
    let mut scan = Scan::default();
    for (i, c) in body.char_indices() {
        if scan.step(c) == Some(Bracket::Close) {
            return body.get(..i).unwrap_or(body);
        }
    }
    body
}

/// Python source without its `#` comments (a quoted `#` is kept); the
/// newline that ends a comment stays.
pub fn without_comments(code: &str) -> Cow<'_, str> {
    if !code.contains('#') {
        return Cow::Borrowed(code);
    }
    let mut out = String::with_capacity(code.len());
    let mut scan = Scan::default();
    let mut comment = false;
    for c in code.chars() {
        if comment && c != '\n' {
            continue;
        }
        comment = false;
        if c == '#' && scan.quote.is_none() {
            comment = true;
            continue;
        }
        scan.step(c);
        out.push(c);
    }
    Cow::Owned(out)
}

/// A Python or shell value without its quotes: `'x'` → `x`, `"x"` → `x`;
/// anything else is returned trimmed.
pub fn unquote(raw: &str) -> &str {
    let raw = raw.trim();
    ['\'', '"']
        .into_iter()
        .find_map(|q| raw.strip_prefix(q)?.strip_suffix(q))
        .unwrap_or(raw)
}

/// What a character is to the bracket structure, outside strings.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bracket {
    Comma,
    Close,
}

/// Python's brackets and string literals, one character at a time.
/// Brackets count from the depth the scan starts at (0); a closing bracket
/// at depth 0 is reported and leaves the depth at 0.
#[derive(Default)]
struct Scan {
    depth: usize,
    quote: Option<char>,
    escaped: bool,
}

impl Scan {
    fn step(&mut self, c: char) -> Option<Bracket> {
        if let Some(q) = self.quote {
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == q {
                self.quote = None;
            }
            return None;
        }
        match c {
            '\'' | '"' => self.quote = Some(c),
            '(' | '[' | '{' => self.depth = self.depth.saturating_add(1),
            ')' | ']' | '}' => {
                let closes_outer = self.depth == 0;
                self.depth = self.depth.saturating_sub(1);
                return closes_outer.then_some(Bracket::Close);
            }
            ',' => return Some(Bracket::Comma),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    /// One command a line, as its words.
    fn check(text: &str, expected: Expect) {
        let commands: Vec<String> = split_commands(text)
            .iter()
            .map(|words| format!("{words:?}"))
            .collect();
        expected.assert_eq(&commands.join("\n"));
    }

    fn check_items(text: &str, expected: Expect) {
        expected.assert_debug_eq(&python_items(text));
    }

    #[test]
    fn quotes_escapes_continuations_and_chains_are_undone() {
        check(
            "CUDA_VISIBLE_DEVICES=0,1 ./llama-server \\\n  -m 'my model.gguf' --alias \"a \\\"b\\\"\" 2>&1 | tee log && echo done # comment",
            expect![[r#"
                ["CUDA_VISIBLE_DEVICES=0,1", "./llama-server", "-m", "my model.gguf", "--alias", "a \"b\""]
                ["tee", "log"]
                ["echo", "done"]"#]],
        );
        check("a ^\r\n b `\n c", expect![[r#"["a", "b", "c"]"#]]);
        check(
            "unterminated 'quote",
            expect![[r#"["unterminated", "quote"]"#]],
        );
    }

    #[test]
    fn a_continuation_forgives_trailing_blanks_and_a_comment_ends_at_the_line() {
        check(
            "A=1 vllm serve 'my model' --x=\"a \\\"b\\\"\" \\   \n  --y 2 # comment\n--z",
            expect![[r#"
                ["A=1", "vllm", "serve", "my model", "--x=a \"b\"", "--y", "2"]
                ["--z"]"#]],
        );
    }

    #[test]
    fn an_unterminated_quote_runs_to_the_end_and_a_pipe_ends_the_command() {
        check(
            "vllm serve m --a 'x y",
            expect![[r#"["vllm", "serve", "m", "--a", "x y"]"#]],
        );
        check(
            "vllm serve m 2>&1 | tee log",
            expect![[r#"
                ["vllm", "serve", "m"]
                ["tee", "log"]"#]],
        );
    }

    #[test]
    fn windows_paths_keep_their_backslashes_and_posix_escapes_are_undone() {
        check(
            r#"C:\AI>vulkan\llama-server.exe -m C:\models\x.gguf --alias my\ model \$HOME "C:\q\""#,
            expect![[
                r#"["C:\\AI>vulkan\\llama-server.exe", "-m", "C:\\models\\x.gguf", "--alias", "my model", "$HOME", "C:\\q\""]"#
            ]],
        );
    }

    #[test]
    fn prompts_and_redirections_are_dropped_but_quoted_operators_are_words() {
        check(
            "$ ./llama-server -m m.gguf > log.txt 2>&1\n\
             PS C:\\llama> .\\llama-server.exe -m x.gguf >>out.txt <in\n\
             > llama-cli -r \">\" --in-prefix '> ' 2> err.txt -c 4096",
            expect![[r#"
                ["./llama-server", "-m", "m.gguf"]
                [".\\llama-server.exe", "-m", "x.gguf"]
                ["llama-cli", "-r", ">", "--in-prefix", "> ", "-c", "4096"]"#]],
        );
        // A command of nothing but a redirection or a prompt is no command.
        check("2> log.txt\n$\n&>log", expect![[""]]);
    }

    #[test]
    fn any_blank_separates_words_and_empty_quotes_are_a_word() {
        check(
            "llama-server\u{a0}-m\u{2003}x.gguf --alias '' ;; && ||",
            expect![[r#"["llama-server", "-m", "x.gguf", "--alias", ""]"#]],
        );
    }

    #[test]
    fn commands_and_their_words_are_bounded() {
        let long = "w ".repeat(MAX_WORDS + 10);
        let commands = split_commands(&format!("{long}\nnext"));
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[0].len(), MAX_WORDS);
        assert_eq!(commands[1], ["next"]);
        let many = "c;".repeat(MAX_COMMANDS + 10);
        assert_eq!(split_commands(&many).len(), MAX_COMMANDS);
    }

    #[test]
    fn every_prefix_of_a_tricky_paste_is_read() {
        let text = "PS C:\\x> $env:A=1; a \"b\\\"c\" 'd ^\r\n`\n2>&1 |& \\é # \u{a0}ü";
        for (end, _) in text.char_indices() {
            let head = &text[..end];
            for words in split_commands(head) {
                assert!(!words.is_empty() && words.len() <= MAX_WORDS, "{head:?}");
            }
            let _ = python_items(head);
            let _ = without_comments(head);
            for open in 0..=head.len() + 1 {
                let _ = bracketed(head, open);
            }
        }
    }

    #[test]
    fn python_items_keep_nested_brackets_and_strings_whole() {
        check_items(
            "model='a, b', speculative_config={'method': 'mtp', 'n': 3}, dtype=torch.bfloat16, \"k\": [1, 2], pos",
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
            "#]],
        );
        assert_eq!(bracketed("f(a=(1, 2), b=')') tail", 1), "a=(1, 2), b=')'");
        assert_eq!(bracketed("{'a': 1", 0), "'a': 1");
    }

    #[test]
    fn a_comparison_is_positional_and_keys_may_be_dotted_or_unicode() {
        check_items(
            "x == 1, cache_config.block_size=16, größe=2, 'q'",
            expect![[r#"
                [
                    Positional(
                        "x == 1",
                    ),
                    Pair(
                        "cache_config.block_size",
                        "16",
                    ),
                    Pair(
                        "größe",
                        "2",
                    ),
                    Positional(
                        "'q'",
                    ),
                ]
            "#]],
        );
    }

    #[test]
    fn python_comments_go_and_the_call_ends_at_its_bracket() {
        let source = "\n    \"m\",  # the model, 'quoted'\n    dtype=\"half#1\",  # why\n    n=max(1, 2)) + rest";
        let code = without_comments(source);
        check_items(
            until_closed(&code),
            expect![[r#"
                [
                    Positional(
                        "\"m\"",
                    ),
                    Pair(
                        "dtype",
                        "\"half#1\"",
                    ),
                    Pair(
                        "n",
                        "max(1, 2)",
                    ),
                ]
            "#]],
        );
        assert!(matches!(without_comments("a(b)"), Cow::Borrowed("a(b)")));
    }

    #[test]
    fn bracketed_is_empty_past_the_text_or_inside_a_character() {
        assert_eq!(bracketed("f(", 1), "");
        assert_eq!(bracketed("f(x", 9), "");
        assert_eq!(bracketed("é(x)", 0), "");
        assert_eq!(bracketed("x", usize::MAX), "");
    }

    #[test]
    fn unquote_strips_one_pair_of_matching_quotes() {
        assert_eq!(unquote(" 'x' "), "x");
        assert_eq!(unquote("\"x\""), "x");
        assert_eq!(unquote("'x\""), "'x\"");
        assert_eq!(unquote("'"), "'");
        assert_eq!(unquote("None"), "None");
    }
}
