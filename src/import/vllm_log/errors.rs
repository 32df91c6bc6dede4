//! vLLM's failures, each once: what it says and the figures in it.

use super::*;

pub(super) fn read_errors(log: &mut VllmLog, line: &Line) -> bool {
    let m = line.message;
    let found = if let Some(at) = m.find("max seq len (") {
        let rest = &m[at + "max seq len (".len()..];
        let max_seq_len = read_u64(rest).map(|(v, _)| v);
        if let Some(tokens) = after(rest, "stored in KV cache (") {
            Some((
                at,
                ErrorKind::KvCacheTooSmall {
                    max_seq_len,
                    kv_cache_tokens: read_u64(tokens).map(|(v, _)| v),
                    needed_bytes: None,
                    available_bytes: None,
                    estimated_max_model_len: None,
                },
            ))
        } else if m.contains("To serve at least one request") {
            let needed = after(rest, "),")
                .map(|r| r.trim_start().trim_start_matches('('))
                .and_then(read_size);
            Some((
                at,
                ErrorKind::KvCacheTooSmall {
                    max_seq_len,
                    kv_cache_tokens: None,
                    needed_bytes: needed.map(|(v, _)| v),
                    available_bytes: after(rest, "available KV cache memory (")
                        .and_then(read_size)
                        .map(|(v, _)| v),
                    estimated_max_model_len: after(rest, "estimated maximum model length is ")
                        .and_then(read_u64)
                        .map(|(v, _)| v),
                },
            ))
        } else {
            None
        }
    } else if let Some(at) = m.find("No available memory for the cache blocks") {
        Some((at, ErrorKind::NoCacheBlocks))
    } else if let Some(at) = m.find("out of memory. Tried to allocate") {
        let rest = &m[at..];
        let device = after(rest, "GPU ")
            .and_then(read_u64)
            .and_then(|(v, _)| u32::try_from(v).ok());
        let total = after(rest, "has a total capacity of ")
            .and_then(read_size)
            .or_else(|| {
                rest.find(" total capacity")
                    .and_then(|i| last_size_before(&rest[..i]))
            });
        let free = after(rest, " of which ").and_then(read_size).or_else(|| {
            rest.find(" free;")
                .and_then(|i| last_size_before(&rest[..i]))
        });
        Some((
            at,
            ErrorKind::OutOfMemory {
                tried_bytes: after(rest, "Tried to allocate ")
                    .and_then(read_size)
                    .map(|(v, _)| v),
                device,
                total_bytes: total.map(|(v, _)| v),
                free_bytes: free.map(|(v, _)| v),
            },
        ))
    } else if let Some(at) = m.find("Free memory on device (") {
        after(m, "is less than desired GPU memory utilization").map(|rest| {
            let inside = &m[at + "Free memory on device (".len()..];
            let (free, total) = match read_f64(inside) {
                Some((f, r)) => {
                    let unit = r.strip_prefix('/').unwrap_or("");
                    (
                        Some(size_in_unit_of(f, unit)),
                        read_size(unit).map(|(v, _)| v),
                    )
                }
                None => (None, None),
            };
            let (u, req) = match rest.trim_start().strip_prefix('(').and_then(read_f64) {
                Some((u, r)) => (
                    Some(u),
                    r.strip_prefix(',').and_then(read_size).map(|(v, _)| v),
                ),
                None => (None, None),
            };
            (
                at,
                ErrorKind::FreeMemoryBelowUtilization {
                    free_bytes: free,
                    total_bytes: total,
                    utilization: u,
                    requested_bytes: req,
                },
            )
        })
    } else if let Some(at) = m.find("exceeds available Mamba cache blocks") {
        Some((
            at,
            ErrorKind::MambaCacheBlocks {
                max_num_seqs: after(m, "max_num_seqs (")
                    .and_then(read_u64)
                    .map(|(v, _)| v),
                blocks: read_u64(
                    m[at..]
                        .trim_start_matches("exceeds available Mamba cache blocks")
                        .trim_start()
                        .trim_start_matches('('),
                )
                .map(|(v, _)| v),
            },
        ))
    } else if let Some(at) = m.find("max_tokens_per_mm_item (") {
        after(m, "is larger than max_num_batched_tokens (").map(|rest| {
            (
                at,
                ErrorKind::MultimodalItemTooLarge {
                    item_tokens: read_u64(&m[at + "max_tokens_per_mm_item (".len()..])
                        .map(|(v, _)| v),
                    max_num_batched_tokens: read_u64(rest).map(|(v, _)| v),
                },
            )
        })
    } else {
        m.find("EngineCore failed to start")
            .or_else(|| m.find("EngineCore hit an exception"))
            .map(|at| (at, ErrorKind::EngineFailedToStart))
    };
    let Some((at, kind)) = found else {
        return false;
    };
    // The message from the exception's name when it is printed.
    let start = exception_start(m, at).unwrap_or_else(|| sentence_start(m, at));
    let message: String = m[start..].trim().chars().take(MAX_MESSAGE).collect();
    if log.errors.len() < MAX_ERRORS && !log.errors.iter().any(|e| e.message == message) {
        log.errors.push(LoggedError { kind, message });
    }
    true
}

/// Where `…Error: ` begins before `at`, if the line names an exception.
pub(super) fn exception_start(m: &str, at: usize) -> Option<usize> {
    let head = &m[..at];
    let colon = head.rfind("Error: ")?;
    Some(just_after_last(&head[..colon], |c| {
        c.is_whitespace() || c == '\'' || c == '('
    }))
}

/// The byte offset just after the last character of `s` that `pred`
/// accepts (0 when none): a character boundary whatever its width.
pub(super) fn just_after_last(s: &str, pred: impl Fn(char) -> bool) -> usize {
    s.char_indices()
        .rev()
        .find(|&(_, c)| pred(c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The start of the sentence holding `at`.
pub(super) fn sentence_start(m: &str, at: usize) -> usize {
    m[..at].rfind(". ").map_or(0, |i| i + 2)
}

/// The last size printed in `s` (`… 23.69 GiB`).
pub(super) fn last_size_before(s: &str) -> Option<(i64, &str)> {
    let start = s.trim_end().rfind([';', '(']).map_or(0, |i| i + 1);
    let tail = s[start..].trim_start();
    let tail = tail
        .strip_prefix("GPU ")
        .map_or(tail, |t| t.split_once(' ').map_or(t, |(_, r)| r));
    read_size(tail)
}
