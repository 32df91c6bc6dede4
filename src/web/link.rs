//! The whole setup in a link: a compact, versioned query string.
//!
//! `?v=1&m=qwen3-8b&g=2x24GB&e=vllm&…` — only fields that differ from the
//! defaults are written, under short keys. A pasted `config.json` travels
//! too: as base64url JSON (`cfg=j…`), or raw-deflated first (`cfg=z…`) when
//! that is shorter. Decoding restores what it can and lists what it dropped
//! (unknown keys, an unreadable config, a newer version's keys), so a bad or
//! old link still opens. Pure functions: tested natively.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::report::Request;

/// The link format's version, written as `v=1`.
pub const VERSION: &str = "1";

/// Request field → query key.
const KEYS: [(&str, &str); 32] = [
    ("model", "m"),
    ("config", "cfg"),
    ("gpus", "g"),
    ("engine", "e"),
    ("weights", "w"),
    ("kv", "kv"),
    ("ctx", "c"),
    ("batch", "b"),
    ("overhead", "ov"),
    ("reserve", "r"),
    ("host_ram", "h"),
    ("host_bw", "hb"),
    ("offload", "off"),
    ("objective", "obj"),
    ("images", "im"),
    ("util", "u"),
    ("vllm_version", "vv"),
    ("batched_tokens", "bt"),
    ("block_size", "bs"),
    ("eager", "eg"),
    ("swa_full", "sf"),
    ("llama_cpp_build", "lb"),
    ("tp", "tp"),
    ("pp", "pp"),
    ("ubatch", "ub"),
    ("flash_attn", "fa"),
    ("ngl", "ngl"),
    ("tensor_split", "ts"),
    ("split_mode", "sm"),
    ("main_gpu", "mg"),
    ("n_cpu_moe", "ncm"),
    ("backend", "be"),
];

/// Largest config accepted from a link, after decompression.
const MAX_CONFIG: usize = 1 << 20;

fn pack_config(text: &str) -> String {
    let plain = format!("j{}", URL_SAFE_NO_PAD.encode(text));
    let deflated = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
    let packed = format!("z{}", URL_SAFE_NO_PAD.encode(deflated));
    if packed.len() < plain.len() {
        packed
    } else {
        plain
    }
}

fn unpack_config(value: &str) -> Option<String> {
    let (kind, data) = value.split_at_checked(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(data).ok()?;
    let bytes = match kind {
        "j" => bytes,
        "z" => miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_CONFIG).ok()?,
        _ => return None,
    };
    String::from_utf8(bytes).ok()
}

/// The query string (without `?`) for `request`, plus `extra` pairs.
pub fn encode(request: &Request, extra: &[(&str, &str)]) -> String {
    let defaults = Request::default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("v", VERSION);
    for (field, key) in KEYS {
        let value = request.get(field).unwrap_or_default();
        if value == defaults.get(field).unwrap_or_default() {
            continue;
        }
        if field == "config" {
            query.append_pair(key, &pack_config(value));
        } else {
            query.append_pair(key, value);
        }
    }
    for (key, value) in extra {
        query.append_pair(key, value);
    }
    query.finish()
}

/// What a link restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub request: Request,
    /// Human-readable notes on what could not be restored.
    pub dropped: Vec<String>,
    /// `embed=1`: the compact layout for iframes.
    pub embed: bool,
    /// Whether the query carried any setup at all.
    pub any: bool,
}

/// Restores a request from a query string (with or without `?`).
pub fn decode(query: &str) -> Decoded {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut request = Request::default();
    let mut dropped = Vec::new();
    let mut embed = false;
    let mut any = false;
    let mut version = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "v" => version = Some(value.to_string()),
            "embed" => embed = value == "1" || value == "true",
            "cfg" => match unpack_config(&value) {
                Some(text) => {
                    request.config = text;
                    any = true;
                }
                None => {
                    dropped.push("the pasted config.json (the link's copy is damaged)".to_string())
                }
            },
            key => match KEYS.iter().find(|(_, k)| *k == key) {
                Some((field, _)) => {
                    request.set(field, value.to_string());
                    any = true;
                }
                None => dropped.push(format!("unknown setting '{key}'")),
            },
        }
    }
    match version.as_deref() {
        Some(VERSION) => {}
        None if any => dropped.push("the link has no version; read as version 1".to_string()),
        None => {}
        Some(v) => dropped.push(format!(
            "the link is version {v}; this page reads version {VERSION}"
        )),
    }
    Decoded {
        request,
        dropped,
        embed,
        any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn defaults_make_a_short_link_and_changes_round_trip() {
        assert_eq!(encode(&Request::default(), &[]), "v=1");
        let mut r = Request::default();
        r.set("gpus", "2xrtx-4090; 80GB".into());
        r.set("engine", "vllm".into());
        r.set("weights", "fp8".into());
        r.set("ctx", "32768".into());
        let link = encode(&r, &[]);
        expect!["v=1&g=2xrtx-4090%3B+80GB&e=vllm&w=fp8&c=32768"].assert_eq(&link);
        let back = decode(&link);
        assert_eq!(back.request, r);
        assert!(back.dropped.is_empty());
    }

    #[test]
    fn llama_cpps_placement_flags_round_trip() {
        let mut r = Request::default();
        r.set("ngl", "20".into());
        r.set("tensor_split", "3,1".into());
        r.set("split_mode", "row".into());
        r.set("main_gpu", "1".into());
        r.set("backend", "vulkan".into());
        let link = encode(&r, &[]);
        expect!["v=1&ngl=20&ts=3%2C1&sm=row&mg=1&be=vulkan"].assert_eq(&link);
        let back = decode(&link);
        assert_eq!(back.request, r);
        assert!(back.dropped.is_empty());
    }

    #[test]
    fn pasted_configs_travel_compressed_when_that_is_shorter() {
        let config = crate::estimate::catalog::find("gpt-oss-20b")
            .unwrap()
            .config;
        let r = Request {
            config: config.to_string(),
            ..Request::default()
        };
        let link = encode(&r, &[("embed", "1")]);
        assert!(link.contains("cfg=z"), "{link}");
        assert!(
            link.len() < config.len(),
            "{} vs {}",
            link.len(),
            config.len()
        );
        let back = decode(&format!("?{link}"));
        assert_eq!(back.request.config, config);
        assert!(back.embed);
        let small = Request {
            config: "{}".into(),
            ..Request::default()
        };
        assert!(encode(&small, &[]).contains("cfg=j"));
    }

    #[test]
    fn bad_links_restore_what_they_can_and_say_what_they_dropped() {
        let d = decode("v=2&m=qwen3-8b&zz=1&cfg=zdamaged!!&c=oops");
        assert_eq!(d.request.model, "qwen3-8b");
        assert_eq!(d.request.ctx, "oops");
        expect![[r#"
            [
                "unknown setting 'zz'",
                "the pasted config.json (the link's copy is damaged)",
                "the link is version 2; this page reads version 1",
            ]
        "#]]
        .assert_debug_eq(&d.dropped);
        assert!(!decode("").any);
    }
}
