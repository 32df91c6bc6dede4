//! Each line format of every era, and hostile input.

use super::*;
use expect_test::{expect, Expect};

/// The parsed log as compact JSON, without the empty parts.
fn check(text: &str, expected: Expect) {
    let log = parse(text);
    let mut v = serde_json::to_value(&log).unwrap();
    let map = v.as_object_mut().unwrap();
    map.retain(|_, x| {
        !(x.is_null()
            || x == &json!([])
            || x == &json!({})
            || x == &json!({"count": 0, "samples": []})
            || x == &json!(false)
            || x == &json!("llama_cpp"))
    });
    if let Some(s) = map.get_mut("settings").and_then(Json::as_object_mut) {
        s.retain(|_, x| !(x.is_null() || x == &json!([]) || x == &json!(false)));
        if s.is_empty() {
            map.remove("settings");
        }
    }
    expected.assert_eq(&v.to_string());
}

#[test]
fn buffer_lines_of_every_era_give_kind_device_and_bytes() {
    check(
        "llm_load_tensors:        CPU buffer size =  1640.62 MiB\n\
         load_tensors: RPC[10.0.2.242:50052] model buffer size = 97323.94 MiB\n\
         llama_kv_cache_init:  CUDA_Host KV buffer size =  1536.00 MiB\n\
         llama_new_context_with_model:  ROCm_Host input buffer size   =    40.38 MiB\n\
         llama_context:  CUDA_Host  output buffer size =     0.58 MiB\n\
         0.00.618.526 I sched_reserve:       MTL0 compute buffer size =  2161.01 MiB\n\
         Sep 26 10:35:59 ollama[6664]: llama_memory_recurrent:      CUDA0 RS buffer size =    62.34 MiB\n\
         llama_context:      ROCm0 compute buffer size =  1276,07 MiB",
        expect![[r#"{"buffers":[{"bytes":1720314757,"device":"CPU","kind":"model","swa":false},{"bytes":102051547709,"device":"RPC[10.0.2.242:50052]","kind":"model","swa":false},{"bytes":1610612736,"device":"CUDA_Host","kind":"kv","swa":false},{"bytes":42341499,"device":"ROCm_Host","kind":"input","swa":false},{"bytes":608174,"device":"CUDA_Host","kind":"output","swa":false},{"bytes":2265983222,"device":"MTL0","kind":"compute","swa":false},{"bytes":65368228,"device":"CUDA0","kind":"rs","swa":false},{"bytes":1338056376,"device":"ROCm0","kind":"compute","swa":false}]}"#]],
    );
}

#[test]
fn buffers_quoted_in_prose_are_read_too() {
    check(
        "larger than `ROCm0 model buffer size = 17827.35 MiB` + `ROCm0 KV buffer size =  3280.00 MiB`.",
        expect![[r#"{"buffers":[{"bytes":18693331354,"device":"ROCm0","kind":"model","swa":false},{"bytes":3439329280,"device":"ROCm0","kind":"kv","swa":false}]}"#]],
    );
}

#[test]
fn the_sliding_window_cache_of_iswa_models_is_marked() {
    check(
        "llama_kv_cache_iswa: creating non-SWA KV cache, size = 4096 cells\n\
         llama_kv_cache:      Metal KV buffer size =    96.00 MiB\n\
         llama_kv_cache: size =   96.00 MiB (  4096 cells,  12 layers,  1/1 seqs), K (f16):   48.00 MiB, V (f16):   48.00 MiB\n\
         llama_kv_cache_iswa: creating     SWA KV cache, size = 768 cells\n\
         llama_kv_cache:      Metal KV buffer size =    18.00 MiB\n\
         llama_kv_cache: size =   18.00 MiB (   768 cells,  12 layers,  1/1 seqs), K (q8_0):    9.00 MiB, V (f16):    9.00 MiB",
        expect![[r#"{"buffers":[{"bytes":100663296,"device":"Metal","kind":"kv","swa":false},{"bytes":18874368,"device":"Metal","kind":"kv","swa":true}],"caches":[{"bytes":100663296,"cells":4096,"k_bytes":50331648,"layers":12,"swa":false,"type_k":"f16","type_v":"f16","v_bytes":50331648},{"bytes":18874368,"cells":768,"k_bytes":9437184,"layers":12,"swa":true,"type_k":"q8_0","type_v":"f16","v_bytes":9437184}],"settings":{"n_ctx":4096,"type_k":"f16","type_v":"f16"}}"#]],
    );
}

#[test]
fn context_lines_give_the_settings() {
    check(
        "llama_context: n_seq_max     = 4\n\
         llama_context: n_ctx         = 65536\n\
         llama_context: n_ctx_seq     = 16384\n\
         llama_context: n_batch       = 2048\n\
         llama_context: n_ubatch      = 512\n\
         llama_context: causal_attn   = 1\n\
         llama_context: flash_attn    = auto\n\
         llama_context: kv_unified    = false\n\
         llama_context: freq_base     = 1000000.0\n\
         llama_kv_cache_init: kv_size = 65536, offload = 1, type_k = 'q8_0', type_v = 'q8_0', n_layer = 64, can_shift = 1\n\
         llama_context: Flash Attention was auto, set to enabled\n\
         load_tensors: offloaded 30/49 layers to GPU\n\
         llama_new_context_with_model: pipeline parallelism enabled (n_copies=4)\n\
         llama_context: graph nodes  = 1606\n\
         llama_context: graph splits = 524 (with bs=512), 121 (with bs=1)\n\
         Tensor blk.82.ffn_gate_exps.weight buffer type overriden to CPU\n\
         load_tensors: tensor blk.3.ffn_up_exps.weight (134 MiB q4_K) buffer type overridden to CUDA_Host",
        expect![[r#"{"settings":{"causal_attn":true,"flash_attn":true,"flash_attn_auto":true,"graph_nodes":1606,"graph_splits":524,"n_batch":2048,"n_copies":4,"n_ctx":65536,"n_ctx_per_seq":16384,"n_seq_max":4,"n_ubatch":512,"offload":[30,49],"other":[["freq_base","1000000.0"],["offload","1"],["n_layer","64"],["can_shift","1"]],"tensor_overrides":[["blk.82.ffn_gate_exps.weight","CPU"],["blk.3.ffn_up_exps.weight","CUDA_Host"]],"type_k":"q8_0","type_v":"q8_0"}}"#]],
    );
}

#[test]
fn the_loader_metadata_keeps_values_and_array_lengths() {
    check(
        "llama_model_loader: - kv   0:                       general.architecture str              = gpt-oss\n\
         llama_model_loader: - kv  22:         gpt-oss.expert_feed_forward_length u32              = 2880\n\
         llama_model_loader: - kv   9:     llama.attention.layer_norm_rms_epsilon f32              = 0.000010\n\
         llama_model_loader: - kv  15:    mllama.attention.cross_attention_layers arr[i32,8]       = [3, 8, 13, 18, 23, 28, 33, 38]\n\
         llama_model_loader: - kv  13:                      tokenizer.ggml.tokens arr[str,151936]  = [\"!\", \"\\\"\", \"#\", ...\n\
         llama_model_loader: - kv  22:               tokenizer.ggml.add_bos_token bool             = true\n\
         llama_model_loader: - type  f32:   65 tensors\n\
         llama_model_loader: - type q4_K:  193 tensors\n\
         build: 6688 (898acba6) with cc (GCC) 11.2.0 for x86_64-slackware-linux",
        expect![[r#"{"build":{"commit":"898acba6","number":6688},"metadata":{"general.architecture":"gpt-oss","gpt-oss.expert_feed_forward_length":2880,"llama.attention.layer_norm_rms_epsilon":0.00001,"mllama.attention.cross_attention_layers":{"items":[3,8,13,18,23,28,33,38],"len":8},"tokenizer.ggml.add_bos_token":true,"tokenizer.ggml.tokens":{"items":[],"len":151936}},"tensor_types":[["f32",65],["q4_K",193]]}"#]],
    );
}

#[test]
fn devices_of_each_backend_are_read() {
    check(
        "ggml_cuda_init: found 2 CUDA devices:\n\
         \x20 Device 0: NVIDIA GeForce RTX 3090, compute capability 8.6, VMM: yes\n\
         \x20 Device 1: AMD Radeon RX 7900 XTX, gfx1100 (0x1100), VMM: no, Wave Size: 32\n\
         llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 3090) - 23040 MiB free\n\
         ggml_metal_init: found device: Apple M1 Max\n\
         ggml_metal_init: recommendedMaxWorkingSetSize  = 51539.61 MB\n\
         ggml_vulkan: 0 = AMD Radeon Graphics (RADV VEGA20) (radv) | uma: 0 | fp16: 1 | warp size: 64",
        expect![[r#"{"devices":[{"backend":"CUDA","free_bytes":24159191040,"index":0,"name":"NVIDIA GeForce RTX 3090","total_bytes":null},{"backend":"ROCm","free_bytes":null,"index":1,"name":"AMD Radeon RX 7900 XTX","total_bytes":null},{"backend":"Metal","free_bytes":null,"index":0,"name":"Apple M1 Max","total_bytes":51539610000},{"backend":"Vulkan","free_bytes":null,"index":0,"name":"AMD Radeon Graphics (RADV VEGA20) (radv)","total_bytes":null}]}"#]],
    );
}

#[test]
fn allocation_failures_are_kept_verbatim() {
    check(
        "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8192.00 MiB on device 0: cudaMalloc failed: out of memory\n\
         ggml_gallocr_reserve_n: failed to allocate CUDA0 buffer of size 8589934592\n\
         llama_init_from_model: failed to initialize the context: failed to allocate compute pp buffers\n\
         llama_context: something new = printed here and there",
        expect![[r#"{"errors":["ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8192.00 MiB on device 0: cudaMalloc failed: out of memory","ggml_gallocr_reserve_n: failed to allocate CUDA0 buffer of size 8589934592","llama_init_from_model: failed to initialize the context: failed to allocate compute pp buffers"],"unrecognised":{"count":1,"samples":["llama_context: something new = printed here and there"]}}"#]],
    );
}

#[test]
fn ollama_lines_give_its_estimate_its_command_and_its_buffers() {
    check(
        r#"time=2025-02-08T00:53:31.135Z level=INFO source=memory.go:356 msg="offload to cuda" layers.requested=-1 layers.model=81 layers.offload=81 layers.split=27,27,27 memory.available="[23.5 GiB 23.5 GiB 23.5 GiB]" memory.required.full="47.8 GiB" memory.required.kv="2.5 GiB"
time=2025-02-08T00:53:31.135Z level=INFO source=server.go:376 msg="starting llama server" cmd="/usr/lib/ollama/runners/cuda_v11_avx/ollama_llama_server runner --model /root/.ollama/models/blobs/sha256-4cd5 --ctx-size 8192 --batch-size 512 --n-gpu-layers 81 --threads 24 --flash-attn --kv-cache-type q8_0 --parallel 4 --tensor-split 27,27,27 --port 34895"
time=2025-07-18T14:50:57.066Z level=INFO source=ggml.go:365 msg="model weights" buffer=CUDA0 size="11.5 GiB""#,
        expect![[
            r#"{"buffers":[{"bytes":12348030976,"device":"CUDA0","kind":"model","swa":false}],"command":{"flags":[["--model","/root/.ollama/models/blobs/sha256-4cd5"],["--ctx-size","8192"],["--batch-size","512"],["--n-gpu-layers","81"],["--threads","24"],["--flash-attn",null],["--kv-cache-type","q8_0"],["--parallel","4"],["--tensor-split","27,27,27"],["--port","34895"]],"program":"/usr/lib/ollama/runners/cuda_v11_avx/ollama_llama_server"},"ollama":{"layers_model":81,"layers_offload":81,"layers_requested":-1,"layers_split":[27,27,27],"library":"cuda","memory":[["memory.available",[25232932864,25232932864,25232932864]],["memory.required.full",[51324859187]],["memory.required.kv",[2684354560]]]},"settings":{"flash_attn":true,"model_path":"/root/.ollama/models/blobs/sha256-4cd5","n_batch":512,"n_ctx":8192,"n_gpu_layers":81,"n_seq_max":4,"offload":[81,81],"tensor_split":[27.0,27.0,27.0],"type_k":"q8_0","type_v":"q8_0"},"tool":"ollama"}"#
        ]],
    );
}

#[test]
fn a_command_line_is_read_from_its_chain_and_keeps_windows_paths() {
    check(
        r#"cd ~/llama.cpp && ./build/bin/llama-server -m "models/my model.gguf" -c 8192 -ngl 99 2>&1 | tee server.log"#,
        expect![[
            r#"{"command":{"flags":[["-m","models/my model.gguf"],["-c","8192"],["-ngl","99"]],"program":"./build/bin/llama-server"},"settings":{"model_path":"models/my model.gguf","n_ctx":8192,"n_gpu_layers":99}}"#
        ]],
    );
    check(
        r#"C:\AI>vulkan\llama-server.exe -m C:\models\x.gguf -c 4096"#,
        expect![[
            r#"{"command":{"flags":[["-m","C:\\models\\x.gguf"],["-c","4096"]],"program":"C:\\AI>vulkan\\llama-server.exe"},"settings":{"model_path":"C:\\models\\x.gguf","n_ctx":4096}}"#
        ]],
    );
}

#[test]
fn hostile_input_gives_a_result() {
    let long = "llama_context: ".to_string() + &"é".repeat(10_000);
    assert!(parse(&long).unrecognised.count <= 1);
    let many = "load_tensors: CUDA0 model buffer size = 1 MiB\n".repeat(30_000);
    let log = parse(&many);
    assert!(log.truncated);
    assert_eq!(log.buffers.len(), MAX_KEPT);
    for text in [
        "buffer size =",
        "buffer size = 1e999 MiB",
        ": : :",
        "Device 9999999999:",
        "size = 1 MiB (",
        "KV self size = 1 MiB, K (",
        "x buffer size = 99999999999999999999999 MiB",
    ] {
        let log = parse(text);
        let _ = model_document(&log);
    }
}

#[test]
fn per_layer_cache_widths_and_the_new_engine_s_model_line_are_kept() {
    // Old builds' debug lines give each cached layer's K/V width; Ollama's
    // new engine names the architecture and file type on one logfmt line.
    check(
        "[llama Debug]: llama_kv_cache_init: layer 35: n_embd_k_gqa = 256, n_embd_v_gqa = 256\n\
         llama_kv_cache_init: layer 3: n_embd_k_gqa = x, n_embd_v_gqa = 1",
        expect![[r#"{"kv_widths":[[35,256,256]]}"#]],
    );
    check(
        r#"time=2025-07-18T14:50:56.874Z level=INFO source=ggml.go:116 msg="" architecture=mistral3 file_type=Q8_0 name="" description="" num_tensors=585 num_key_values=43"#,
        expect![[
            r#"{"hparams":[["file type","Q8_0"]],"metadata":{"general.architecture":"mistral3"},"tool":"ollama"}"#
        ]],
    );
}
