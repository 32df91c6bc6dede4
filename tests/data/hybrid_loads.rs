// Shared by tests/llama_cpp_hybrid.rs and the accuracy bench (`include!`d):
// llama.cpp's measured hybrid loads, each with vramfit's estimate.

const MEASURED: &str = include_str!("measured/llama_cpp_hybrid.json");

fn meta(v: &Value) -> Meta {
    match v {
        Value::Bool(b) => Meta::Bool(*b),
        Value::Number(n) if n.is_u64() => Meta::Uint(n.as_u64().unwrap()),
        Value::Number(n) if n.is_i64() => Meta::Int(n.as_i64().unwrap()),
        Value::Number(n) => Meta::Float(n.as_f64().unwrap()),
        Value::String(s) => Meta::Str(s.clone()),
        Value::Array(items) => Meta::Array {
            len: items.len() as u64,
            items: items.iter().map(meta).collect(),
        },
        Value::Null | Value::Object(_) => Meta::Str(String::new()),
    }
}

/// The GGUF header the measured file had.
fn header(model: &Value) -> GgufHeader {
    let metadata = model["metadata"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), meta(v)))
        .collect();
    let mut offset = 0;
    let tensors = model["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let dims: Vec<u64> = t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .collect();
            let ty = match t["type"].as_str().unwrap() {
                "F32" => GgmlType::F32,
                _ => GgmlType::F16,
            };
            let bytes = ty.bytes(dims.iter().product(), 1).unwrap();
            let info = TensorInfo {
                name: t["name"].as_str().unwrap().into(),
                dims,
                ty,
                offset,
                bytes,
            };
            offset += bytes.div_ceil(32) * 32;
            info
        })
        .collect();
    GgufHeader {
        version: 3,
        metadata,
        tensors,
        alignment: 32,
        header_bytes: 0,
        data_start: 0,
    }
}

fn kv_type(name: &str) -> KvType {
    match name {
        "q8_0" => KvType::Ggml(GgmlType::Q8_0),
        "q4_0" => KvType::Ggml(GgmlType::Q4_0),
        _ => KvType::F16,
    }
}

/// One measured load: llama.cpp's KV + recurrent-state bytes (exact, from
/// the formula the log confirms, and as logged) and vramfit's estimate.
pub struct HybridLoad {
    pub label: String,
    pub arch: String,
    pub exact: u64,
    pub logged: u64,
    pub ours: u64,
}

/// Every plain load (no unified KV, no full-size SWA cache, no rollback
/// slots) of an architecture vramfit reads.
pub fn hybrid_loads() -> Vec<HybridLoad> {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    let mut out = Vec::new();
    for model in all["models"].as_array().unwrap() {
        let name = format!("{}.gguf", model["name"].as_str().unwrap());
        let Ok(doc) = gguf_import(&[(name.clone(), header(model))]) else {
            continue; // an architecture vramfit has no reader for (RWKV, PLaMo 2)
        };
        let spec = parse_config(&doc).unwrap().spec;
        for load in model["loads"].as_array().unwrap() {
            let plain = load["swa_full"] == false
                && load["kv_unified"] == false
                && load["n_rs_seq"].as_u64() == Some(0)
                && load.get("error").is_none_or(Value::is_null)
                && load["buffers"].is_object();
            if !plain {
                continue;
            }
            let n_seq = load["n_seq_max"].as_u64().unwrap();
            let settings = RunSettings {
                engine: Engine::LlamaCpp,
                weights: vramfit::estimate::WeightFormat::Gguf {
                    ftype: vramfit::estimate::format::GgufFtype::F16,
                },
                type_k: kv_type(load["type_k"].as_str().unwrap()),
                type_v: kv_type(load["type_v"].as_str().unwrap()),
                n_ctx: load["n_ctx"].as_u64().unwrap() / n_seq,
                n_seq,
                n_ubatch: load["n_ubatch"].as_u64().unwrap(),
                flash_attn: load["flash_attn"] == true,
                ..RunSettings::default()
            };
            let formula = &load["formula"];
            out.push(HybridLoad {
                label: format!(
                    "{name} n_ctx {} × {n_seq} fa {} {}/{}",
                    load["n_ctx"], load["flash_attn"], load["type_k"], load["type_v"]
                ),
                arch: model["arch"].as_str().unwrap().to_string(),
                exact: formula["kv_bytes"].as_u64().unwrap() + formula["rs_bytes"].as_u64().unwrap(),
                logged: load["buffers"]["kv"].as_u64().unwrap_or(0)
                    + load["buffers"]["rs"].as_u64().unwrap_or(0),
                ours: estimate(&spec, &settings).kv_total(),
            });
        }
    }
    out
}
