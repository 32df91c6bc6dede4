// Shared by tests/llama_cpp_quant.rs and the accuracy bench (tests/bench/accuracy.rs):
// the files llama.cpp's quantizer wrote (data/measured/llama_cpp_quant.json,
// from tests/bench/llama_cpp_quant.py), each tensor's type, against the type
// vramfit gives it.

#[allow(dead_code)]
mod quant_runs {
    use std::collections::BTreeMap;

    use serde_json::Value;
    use vramfit::estimate::format::GgufFtype;
    use vramfit::estimate::weights::gguf_tensor_types_with_imatrix;
    use vramfit::import::parse_config;

    pub const MEASURED: &str = include_str!("measured/llama_cpp_quant.json");

    /// One file llama-quantize wrote (or, for a `--dry-run`, would have).
    pub struct Run {
        pub model: String,
        pub config: String,
        pub ftype: GgufFtype,
        pub imatrix: bool,
        /// The file's tensor bytes (none for a `--dry-run`).
        pub tensor_bytes: Option<u64>,
        /// Tensor name → ggml type name.
        pub types: BTreeMap<String, String>,
    }

    impl Run {
        pub fn label(&self) -> String {
            format!(
                "{} {}{}",
                self.model,
                self.ftype.name(),
                if self.imatrix { " +imatrix" } else { "" }
            )
        }
    }

    /// A run replayed through vramfit.
    pub struct Replayed {
        /// Tensors vramfit types as the file does.
        pub same: usize,
        /// Every difference: a tensor's type, a tensor only one side has.
        pub wrong: Vec<String>,
        /// vramfit's tensor bytes.
        pub bytes: u64,
    }

    pub fn ftype(id: &str) -> GgufFtype {
        *GgufFtype::ALL
            .iter()
            .find(|f| f.name().eq_ignore_ascii_case(id))
            .unwrap_or_else(|| panic!("{id} is not a GGUF ftype vramfit offers"))
    }

    /// `0-2,5` → 0, 1, 2, 5.
    fn layers(ranges: &str) -> Vec<usize> {
        ranges
            .split(',')
            .flat_map(|r| match r.split_once('-') {
                Some((a, b)) => a.parse().unwrap()..=b.parse().unwrap(),
                None => r.parse().unwrap()..=r.parse().unwrap(),
            })
            .collect()
    }

    /// `{type: ["blk.0-2,5.ffn_down.weight", "output.weight"]}` → name → type.
    fn types(grouped: &Value) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (ty, names) in grouped.as_object().unwrap() {
            for name in names.as_array().unwrap() {
                let name = name.as_str().unwrap();
                match name.strip_prefix("blk.").and_then(|r| r.split_once('.')) {
                    Some((ranges, rest)) => {
                        for i in layers(ranges) {
                            out.insert(format!("blk.{i}.{rest}"), ty.clone());
                        }
                    }
                    None => {
                        out.insert(name.to_string(), ty.clone());
                    }
                }
            }
        }
        out
    }

    /// Every recorded run: without an importance matrix, `--dry-run`s of
    /// the ftypes that need one, and with one.
    pub fn runs() -> Vec<Run> {
        let doc: Value = serde_json::from_str(MEASURED).unwrap();
        let mut out = Vec::new();
        for m in doc["models"].as_array().unwrap() {
            let mut add = |id: &str, run: &Value, imatrix: bool| {
                out.push(Run {
                    model: m["name"].as_str().unwrap().to_string(),
                    config: m["config"].to_string(),
                    ftype: ftype(id),
                    imatrix,
                    tensor_bytes: run["tensor_bytes"].as_u64(),
                    types: types(&run["types"]),
                })
            };
            for (id, run) in m["runs"].as_object().unwrap() {
                add(id, run, false);
            }
            for (id, run) in m["dry_runs"].as_object().unwrap() {
                add(id, run, false);
            }
            for (id, run) in m["imatrix_runs"].as_object().unwrap() {
                add(id, run, true);
            }
            for id in m["imatrix_same"].as_array().unwrap() {
                let id = id.as_str().unwrap();
                add(id, &m["runs"][id], true);
            }
        }
        out
    }

    /// `run` through vramfit's import and mix rules.
    pub fn replay(run: &Run) -> Replayed {
        let spec = parse_config(&run.config).unwrap().spec;
        let ours = gguf_tensor_types_with_imatrix(&spec, run.ftype, run.imatrix);
        let label = run.label();
        let (mut same, mut wrong, mut bytes) = (0, Vec::new(), 0);
        for (name, ne, ty) in &ours {
            bytes += ty.bytes(ne[0], ne[1] * ne[2]).unwrap();
            match run.types.get(name) {
                Some(theirs) if theirs == ty.name() => same += 1,
                Some(theirs) => wrong.push(format!(
                    "{label}: {name} is {theirs}, vramfit says {}",
                    ty.name()
                )),
                None => wrong.push(format!("{label}: vramfit has {name}, the file does not")),
            }
        }
        for name in run.types.keys() {
            if !ours.iter().any(|(n, _, _)| n == name) {
                wrong.push(format!("{label}: the file has {name}, vramfit does not"));
            }
        }
        Replayed { same, wrong, bytes }
    }
}
