//! The command reader on each engine's spellings.

use super::*;
use expect_test::{expect, Expect};

fn check(text: &str, expected: Expect) {
    let p = parse_command(text);
    let defaults = Request::default();
    let mut out = format!("{:?}", p.tool);
    for field in Request::FIELDS {
        let v = p.request.get(field).unwrap_or_default();
        if v != defaults.get(field).unwrap_or_default() {
            out.push_str(&format!("\n{field}={v}"));
        }
    }
    for i in &p.ignored {
        out.push_str(&format!("\nignored: {i}"));
    }
    expected.assert_eq(&out);
}

#[test]
fn llama_server_flags_become_request_fields() {
    check(
        "llama-server -m Qwen3-8B-Q5_K_M.gguf -c 32768 -np 4 -ngl 99 -fa on -ctk q8_0 -ctv q8_0 -ts 3,1 -ub 1024 --port 8080",
        expect![[r#"
            LlamaServer
            model=Qwen3-8B-Q5_K_M.gguf
            weights=
            kv=q8_0
            batch=4
            images=0
            ubatch=1024
            ngl=all
            tensor_split=3,1
            ignored: --port 8080"#]],
    );
}

#[test]
fn llama_bench_lists_take_the_first_value() {
    check(
        "./llama-bench -m models/llama-2-7b.Q4_0.gguf -p 512 -n 128 -ngl 99,0 -fa 1",
        expect![[r#"
            LlamaBench
            model=models/llama-2-7b.Q4_0.gguf
            weights=
            ctx=640
            images=0
            ngl=all"#]],
    );
}

#[test]
fn ollama_tags_modelfiles_and_environment() {
    check(
        "OLLAMA_NUM_PARALLEL=2 OLLAMA_FLASH_ATTENTION=1 OLLAMA_KV_CACHE_TYPE=q8_0 ollama serve\nollama run qwen2.5:7b-instruct-q8_0",
        expect![[r#"
            Ollama
            model=qwen2.5-7b-instruct
            engine=ollama
            weights=q8_0
            kv=q8_0
            ctx=4096
            batch=2"#]],
    );
    check(
        "FROM llama3.1:8b\nPARAMETER num_ctx 16384\nPARAMETER num_gpu 20",
        expect![[r#"
            Ollama
            model=llama3.1-8b
            engine=ollama
            ctx=16384
            flash_attn=off
            ngl=20"#]],
    );
}

#[test]
fn vllm_serve_and_python_calls() {
    check(
        "vllm serve Qwen/Qwen2.5-7B-Instruct-AWQ --max-model-len 28k --max-num-seqs 8 -tp 2 --kv-cache-dtype fp8 --gpu_memory_utilization 0.85 --enforce-eager --trust-remote-code",
        expect![[r#"
            Vllm
            model=Qwen/Qwen2.5-7B-Instruct-AWQ
            engine=vllm
            weights=
            kv=fp8
            ctx=28000
            batch=8
            util=0.85
            eager=on
            tp=2
            ignored: --trust-remote-code"#]],
    );
    check(
        "llm = LLM(model=\"Qwen/Qwen2.5-VL-7B-Instruct\", tensor_parallel_size=4, max_model_len=4096*2, limit_mm_per_prompt={\"image\": 10, \"video\": 1}, kv_cache_dtype=\"fp8_e5m2\")",
        expect![[r#"
            Vllm
            model=Qwen/Qwen2.5-VL-7B-Instruct
            gpus=4x24GB
            engine=vllm
            weights=
            kv=fp8
            images=10
            tp=4"#]],
    );
}

#[test]
fn transformers_calls_read_dtype_quantization_and_max_memory() {
    check(
        "model = AutoModelForCausalLM.from_pretrained(\n  \"meta-llama/Llama-3.1-70B-Instruct\",\n  device_map=\"auto\",\n  max_memory={0: \"20GiB\", 1: \"24GiB\", \"cpu\": \"64GiB\"},\n  quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_use_double_quant=True),\n)",
        expect![[r#"
            Transformers
            model=meta-llama/Llama-3.1-70B-Instruct
            gpus=20GiB, 24GiB
            engine=transformers
            weights=nf4-dq
            host_ram=64GiB
            offload=on
            ignored: device_map="auto""#]],
    );
}

#[test]
fn comments_in_a_python_call_are_not_arguments() {
    check(
        "model = AutoModelForCausalLM.from_pretrained(\n  \"meta-llama/Llama-3.1-8B-Instruct\",  # the 8B, 'instruct'\n  # torch_dtype=torch.float32,\n  torch_dtype=torch.bfloat16,  # halves it\n)",
        expect![[r#"
            Transformers
            model=meta-llama/Llama-3.1-8B-Instruct
            engine=transformers
            weights=bf16"#]],
    );
}

#[test]
fn exllama_splits_and_tabby_configs() {
    check(
        "python examples/chat.py -m /models/Llama-3.1-70B-Instruct-4.65bpw-h6-exl2 -gs 20,24 -l 8192 -cq4",
        expect![[r#"
            ExLlamaV2
            model=Llama-3.1-70B-Instruct
            engine=exllamav2
            weights=exl2-4.65bpw
            kv=q4"#]],
    );
}

#[test]
fn any_text_gives_a_result() {
    for text in [
        "",
        "-",
        "\\",
        "'",
        "\"",
        "llama-server -m",
        "vllm serve",
        "ollama",
        "from_pretrained(",
        "LLM(",
        "docker run",
        "python -m",
        "gpu_split:",
        "é\u{0}ß",
    ] {
        let _ = parse_command(text);
    }
    let p = parse_command("hello world");
    assert_eq!(p.tool, Tool::Unknown);
    assert_eq!(p.ignored, ["hello world"]);
}
