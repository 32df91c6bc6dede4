//! The whole setup in a link: a compact, versioned query string.
//!
//! `?v=1&m=qwen3-8b&g=2x24GB&e=vllm&…` — only fields that differ from the
//! defaults are written, under short keys. Fine-tune mode adds `mode=train`
//! and its own fields' keys (the model, config and GPUs are the run's). A pasted `config.json` travels
//! too: as base64url JSON (`cfg=j…`), or raw-deflated first (`cfg=z…`) when
//! that is shorter. Decoding restores what it can and lists what it dropped
//! (unknown keys, an unreadable config, a newer version's keys), so a bad or
//! old link still opens. A field a link leaves out takes the default of the
//! link's engine ([`baseline`]), so `?m=…&e=vllm`, written by hand, plans
//! vLLM's default weights rather than llama.cpp's GGUF. Pure functions:
//! tested natively.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::report::train::TrainRequest;
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

/// Training field → query key; none repeats a run key. The model, config
/// and GPUs are not here: they travel under the run's keys.
const TRAIN_KEYS: [(&str, &str); 23] = [
    ("method", "tm"),
    ("lora_rank", "lr"),
    ("lora_alpha", "la"),
    ("lora_targets", "lt"),
    ("lora_dropout", "ldo"),
    ("lora_dtype", "ld"),
    ("optimizer", "op"),
    ("precision", "pr"),
    ("micro_batch", "mb"),
    ("seq", "sq"),
    ("grad_checkpointing", "gc"),
    ("attn", "at"),
    ("loss_chunks", "lc"),
    ("activation_offload", "ao"),
    ("freeze_embeddings", "fe"),
    ("freeze_vision", "fv"),
    ("double_quant", "dq"),
    ("kbit_prepare", "kp"),
    ("bitsandbytes", "bnb"),
    ("zero", "z"),
    ("fsdp", "fs"),
    ("offload", "to"),
    ("overhead", "tov"),
];

/// "What runs here" filters (`search::fit::FILTERS`) → query key.
pub const FIT_KEYS: [(&str, &str); 5] = [
    ("family", "ff"),
    ("moe", "fm"),
    ("min_ctx", "fc"),
    ("formats", "fo"),
    ("min_tps", "fts"),
];

/// "What to buy" fields of its own (`search::buy::BuyRequest`) → query key.
/// The model and how it runs travel under the run's keys.
pub const BUY_KEYS: [(&str, &str); 9] = [
    ("max_gpus", "bg"),
    ("machines", "bn"),
    ("mode", "bw"),
    ("same_vendor", "bv"),
    ("prices", "bp"),
    ("cards", "bc"),
    ("top", "btop"),
    ("min_tps", "bms"),
    ("rank", "brk"),
];

/// A search mode's pairs for [`encode`]'s `extra`: `mode=…` and its fields
/// under their keys (`fields` holds only what differs from the defaults).
pub fn search_pairs<'a>(
    mode: Mode,
    keys: &'static [(&'static str, &'static str)],
    fields: &'a [(String, String)],
) -> Vec<(&'static str, &'a str)> {
    let named = keys.iter().filter_map(|(field, key)| {
        fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, value)| (*key, value.as_str()))
    });
    mode.id()
        .map(|id| ("mode", id))
        .into_iter()
        .chain(named)
        .collect()
}

/// Which question the page answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// "Will it run?": the inference plan.
    #[default]
    Run,
    /// "Can I fine-tune it?"
    Train,
    /// "What runs on my GPUs?": the catalog search (`search::fit`).
    Fit,
    /// "What should I buy or rent?": the GPU search (`search::buy`).
    Buy,
    /// Setups side by side (`report::compare`).
    Compare,
}

impl Mode {
    /// The `mode=` value; `None` for Run, the default, which is not written.
    pub fn id(self) -> Option<&'static str> {
        match self {
            Mode::Run => None,
            Mode::Train => Some("train"),
            Mode::Fit => Some("fit"),
            Mode::Buy => Some("buy"),
            Mode::Compare => Some("compare"),
        }
    }

    fn parse(text: &str) -> Option<Mode> {
        [Mode::Run, Mode::Train, Mode::Fit, Mode::Buy, Mode::Compare]
            .into_iter()
            .find(|m| m.id().unwrap_or("run") == text)
    }
}

/// A compare link's keys, one per setup: `?v=1&a=<A's query>&b=<B's query>`.
/// Inside such a link only these (and `v`, `embed`) are read, so `b` and `c`
/// are setups there, never the batch or the context.
pub const SIDES: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

/// The compare link (without `?`) of `setups`, each side a whole link.
pub fn encode_compare(setups: &[Request], embed: bool) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("v", VERSION);
    for (key, setup) in SIDES.iter().zip(setups) {
        query.append_pair(key, &encode(setup, &[]));
    }
    if embed {
        query.append_pair("embed", "1");
    }
    query.finish()
}

/// Reads a compare link: its setups, and what it dropped.
fn decode_compare(query: &str) -> Decoded {
    let mut compared = Vec::new();
    let mut dropped = Vec::new();
    let mut embed = false;
    let mut version = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "v" => version = Some(value.to_string()),
            "embed" => embed = value == "1" || value == "true",
            "mode" => {}
            key if SIDES.contains(&key) => {
                let side = decode(&value);
                dropped.extend(
                    side.dropped
                        .into_iter()
                        .filter(|d| !d.contains("no version"))
                        .map(|d| format!("setup {}: {d}", key.to_ascii_uppercase())),
                );
                compared.push(side.request);
            }
            key => dropped.push(format!("unknown setting '{key}'")),
        }
    }
    if let Some(v) = version.filter(|v| v != VERSION) {
        dropped.push(format!(
            "the link is version {v}; this page reads version {VERSION}"
        ));
    }
    Decoded {
        request: compared.first().cloned().unwrap_or_default(),
        mode: Mode::Compare,
        train: TrainRequest::default(),
        compared,
        fit: Vec::new(),
        buy: Vec::new(),
        dropped,
        embed,
        any: true,
    }
}

/// Fine-tune mode's pairs for [`encode`]'s `extra`: `mode=train` and the
/// training fields that differ from their defaults, under short keys.
pub fn train_pairs(train: &TrainRequest) -> Vec<(&'static str, &str)> {
    let changed = train.changed();
    let fields = TRAIN_KEYS.iter().filter_map(|(field, key)| {
        changed
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, value)| (*key, *value))
    });
    std::iter::once(("mode", "train")).chain(fields).collect()
}

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

/// What a link leaves unsaid on `engine`: the defaults, switched to that
/// engine as the engine picker switches it ([`Request::set_engine`]), so its
/// default weights and KV type. Both [`encode`] and [`decode`] start here.
fn baseline(engine: Option<&str>) -> Request {
    let mut request = Request::default();
    if let Some(engine) = engine {
        request.set_engine(engine);
    }
    request
}

/// The query string (without `?`) for `request`, plus `extra` pairs.
pub fn encode(request: &Request, extra: &[(&str, &str)]) -> String {
    let mut defaults = baseline(Some(&request.engine));
    // The engine itself is written whenever it is not the page's default.
    defaults.engine = Request::default().engine;
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
    /// `mode=train` opens Fine-tune mode, `a=…&b=…` the compare view.
    pub mode: Mode,
    /// A compare link's setups, in order (empty otherwise).
    pub compared: Vec<Request>,
    /// "What runs here" filters the link set, `(field, value)`.
    pub fit: Vec<(String, String)>,
    /// "What to buy" fields the link set, `(field, value)`.
    pub buy: Vec<(String, String)>,
    /// The training fields the link set (the rest at their defaults).
    pub train: TrainRequest,
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
    if form_urlencoded::parse(query.as_bytes()).any(|(key, _)| key == "a") {
        return decode_compare(query);
    }
    // The engine first, whatever its place in the query: the other fields'
    // defaults depend on it.
    let engine = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "e")
        .last()
        .map(|(_, value)| value.into_owned());
    let mut request = baseline(engine.as_deref());
    let mut mode = Mode::Run;
    let mut train = TrainRequest::default();
    let mut fit = Vec::new();
    let mut buy = Vec::new();
    let mut dropped = Vec::new();
    let mut embed = false;
    let mut any = false;
    let mut version = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "v" => version = Some(value.to_string()),
            "embed" => embed = value == "1" || value == "true",
            "mode" => match Mode::parse(&value) {
                Some(m) => {
                    mode = m;
                    any |= m != Mode::Run;
                }
                None => dropped.push(format!("unknown mode '{value}'")),
            },
            "cfg" => match unpack_config(&value) {
                Some(text) => {
                    request.config = text;
                    any = true;
                }
                None => {
                    dropped.push("the pasted config.json (the link's copy is damaged)".to_string())
                }
            },
            "e" => any = true,
            key => {
                if let Some((field, _)) = KEYS.iter().find(|(_, k)| *k == key) {
                    request.set(field, value.to_string());
                } else if let Some((field, _)) = TRAIN_KEYS.iter().find(|(_, k)| *k == key) {
                    train.set(field, value.to_string());
                } else if let Some((field, _)) = FIT_KEYS.iter().find(|(_, k)| *k == key) {
                    fit.push((field.to_string(), value.to_string()));
                } else if let Some((field, _)) = BUY_KEYS.iter().find(|(_, k)| *k == key) {
                    buy.push((field.to_string(), value.to_string()));
                } else {
                    dropped.push(format!("unknown setting '{key}'"));
                    continue;
                }
                any = true;
            }
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
        mode,
        train,
        compared: Vec::new(),
        fit,
        buy,
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
    fn a_hand_written_link_takes_its_engines_defaults_for_what_it_leaves_out() {
        let d = decode("v=1&m=llama-3.1-70b&g=1x24GB&e=vllm");
        assert_eq!(
            (d.request.engine.as_str(), d.request.weights.as_str()),
            ("vllm", "bf16")
        );
        assert!(d.dropped.is_empty());
        assert!(crate::report::report(&d.request).is_ok());
        // The engine counts wherever it stands in the query.
        let d = decode("v=1&w=awq&kv=fp8&e=vllm");
        assert_eq!(d.request.weights, "awq");
        assert_eq!(d.request.kv, "fp8");
        assert!(crate::report::report(&d.request).is_ok());
        // Links the page writes leave the engine's defaults out, and read back.
        let mut r = Request::default();
        r.set_engine("vllm");
        expect!["v=1&e=vllm"].assert_eq(&encode(&r, &[]));
        r.set("weights", "q4_k_m".into());
        r.set("kv", "q8_0".into());
        let link = encode(&r, &[]);
        expect!["v=1&e=vllm&w=q4_k_m&kv=q8_0"].assert_eq(&link);
        assert_eq!(decode(&link).request, r);
        // An engine vramfit does not know is still written and read back.
        r.set_engine("tgi");
        assert_eq!(decode(&encode(&r, &[])).request, r);
        // An empty weights field (the name's format) travels as `w=`.
        let mut r = Request::default();
        r.set("weights", String::new());
        expect!["v=1&w="].assert_eq(&encode(&r, &[]));
        assert_eq!(decode("v=1&w=").request, r);
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
    fn fine_tune_links_carry_the_mode_and_the_changed_training_fields() {
        let mut r = Request::default();
        r.set("gpus", "rtx-4090".into());
        let mut t = TrainRequest::default();
        t.set("method", "qlora".into());
        t.set("micro_batch", "4".into());
        t.set("offload", "optimizer".into());
        t.set("overhead", "1GiB".into());
        let link = encode(&r, &train_pairs(&t));
        expect!["v=1&g=rtx-4090&mode=train&tm=qlora&mb=4&to=optimizer&tov=1GiB"].assert_eq(&link);
        let back = decode(&link);
        assert_eq!(back.mode, Mode::Train);
        assert_eq!(back.train, t);
        assert_eq!(back.request, r);
        assert!(back.dropped.is_empty());
        assert_eq!(
            encode(&r, &train_pairs(&TrainRequest::default())),
            "v=1&g=rtx-4090&mode=train"
        );
    }

    #[test]
    fn run_links_open_in_run_mode_and_keys_never_collide() {
        let d = decode("v=1&m=qwen3-8b");
        assert_eq!(d.mode, Mode::Run);
        assert_eq!(d.train, TrainRequest::default());
        assert!(decode("v=1").dropped.is_empty());
        let mut keys: Vec<&str> = KEYS
            .iter()
            .chain(&TRAIN_KEYS)
            .chain(&FIT_KEYS)
            .chain(&BUY_KEYS)
            .map(|(_, k)| *k)
            .collect();
        keys.extend(["v", "embed", "mode"]);
        let count = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), count, "a query key is used twice");
        // Every training field but the run's model, config and GPUs has a key.
        for (field, _, _) in crate::report::train::FIELDS {
            let shared = matches!(*field, "model" | "config" | "gpus");
            assert_eq!(
                TRAIN_KEYS.iter().any(|(f, _)| f == field),
                !shared,
                "{field}"
            );
        }
        expect![[r#"
            [
                "unknown mode 'dance'",
            ]
        "#]]
        .assert_debug_eq(&decode("v=1&mode=dance").dropped);
    }

    #[test]
    fn compare_links_carry_whole_setups_under_letters() {
        let a = Request::default();
        let mut b = Request::default();
        b.set_engine("vllm");
        b.set("gpus", "2xrtx-4090".into());
        b.set("batch", "8".into());
        let link = encode_compare(&[a.clone(), b.clone()], false);
        expect!["v=1&a=v%3D1&b=v%3D1%26g%3D2xrtx-4090%26e%3Dvllm%26b%3D8"].assert_eq(&link);
        let back = decode(&link);
        assert_eq!(back.mode, Mode::Compare);
        assert_eq!(back.compared, vec![a.clone(), b.clone()]);
        assert_eq!(back.request, a);
        assert!(back.dropped.is_empty(), "{:?}", back.dropped);
        // Hand-written sides without a version, and a bad key, still open.
        let d = decode("v=1&a=m%3Dqwen3-8b&b=m%3Dqwen3-8b%26w%3Dq8_0&zz=1");
        assert_eq!(d.compared.len(), 2);
        assert_eq!(d.compared[1].weights, "q8_0");
        expect![[r#"
            [
                "unknown setting 'zz'",
            ]
        "#]]
        .assert_debug_eq(&d.dropped);
        // A search's fields travel under their keys.
        let fields = vec![("family".to_string(), "Qwen".to_string())];
        let link = encode(&a, &search_pairs(Mode::Fit, &FIT_KEYS, &fields));
        expect!["v=1&mode=fit&ff=Qwen"].assert_eq(&link);
        assert_eq!(decode(&link).fit, fields);
        let fields = vec![("max_gpus".to_string(), "4".to_string())];
        let link = encode(&a, &search_pairs(Mode::Buy, &BUY_KEYS, &fields));
        expect!["v=1&mode=buy&bg=4"].assert_eq(&link);
        assert_eq!(decode(&link).buy, fields);
        // Every mode but Run is written and read back.
        for mode in [Mode::Train, Mode::Fit, Mode::Buy] {
            let link = encode(&a, &[("mode", mode.id().unwrap())]);
            assert_eq!(decode(&link).mode, mode);
        }
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

    #[test]
    fn a_link_without_weights_plans_the_model_s_own_and_keeps_a_chosen_one() {
        assert_eq!(decode("v=1&m=gpt-oss-120b").request.weights, "mxfp4_moe");
        assert_eq!(decode("v=1&m=gpt-oss-120b&e=vllm").request.weights, "mxfp4");
        assert_eq!(decode("v=1&w=q8_0&m=gpt-oss-120b").request.weights, "q8_0");
        // The model's own format travels in the link, and back.
        let r = decode("v=1&m=gpt-oss-120b").request;
        assert_eq!(decode(&encode(&r, &[])).request, r);
    }
}
