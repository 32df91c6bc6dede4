//! One test per line format vLLM has printed, each on lines from a real
//! log (the releases named), plus the wrappers around them.

use super::*;
use expect_test::{expect, Expect};

/// The log as `key=value` lines: what was read, nulls left out.
fn summary(log: &VllmLog) -> String {
    fn fields(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        if let serde_json::Value::Object(map) = v {
            for (k, v) in map {
                match v {
                    serde_json::Value::Null => {}
                    serde_json::Value::String(s) => out.push(format!("{k}={s}")),
                    other => out.push(format!("{k}={other}")),
                }
            }
        }
        out.join(" ")
    }
    let mut s = String::new();
    if log.version.is_some() || log.engine.is_some() || log.model.is_some() {
        s += &format!(
            "version={:?} engine={:?} model={:?}\n",
            log.version, log.engine, log.model
        );
    }
    let settings = fields(&serde_json::to_value(&log.settings).unwrap());
    if !settings.is_empty() {
        s += &format!("settings: {settings}\n");
    }
    for r in &log.ranks {
        let mut v = serde_json::to_value(r).unwrap();
        v.as_object_mut().unwrap().remove("process");
        s += &format!("[{}] {}\n", r.process, fields(&v));
    }
    for e in &log.errors {
        s += &format!(
            "error {}: {}\n",
            fields(&serde_json::to_value(&e.kind).unwrap()),
            e.message
        );
    }
    if log.unrecognised.count > 0 {
        s += &format!("unrecognised: {}\n", log.unrecognised.count);
    }
    s
}

fn check(text: &str, expected: Expect) {
    expected.assert_eq(&summary(&parse(text)));
}

#[test]
fn v0_one_line_profile_with_worker_prefixes() {
    // vLLM 0.8.3, V0, TP 4 (vllm-project/vllm#16570).
    check(
        "(VllmWorkerProcess pid=126555) INFO 04-15 00:05:58 [worker.py:267] the current vLLM instance can use total_gpu_memory (39.38GiB) x gpu_memory_utilization (0.95) = 37.41GiB
(VllmWorkerProcess pid=126555) INFO 04-15 00:05:58 [worker.py:267] model weights take 34.43GiB; non_torch_memory takes 0.34GiB; PyTorch activation peak memory takes 2.51GiB; the rest of the memory reserved for KV Cache is 0.13GiB.
INFO 04-15 00:05:58 [worker.py:267] Memory profiling takes 20.84 seconds
INFO 04-15 00:05:58 [worker.py:267] model weights take 34.43GiB; non_torch_memory takes 0.43GiB; PyTorch activation peak memory takes 2.51GiB; the rest of the memory reserved for KV Cache is -0.04GiB.",
        expect![[r#"
            version=None engine=Some(V0) model=None
            settings: gpu_memory_utilization=0.95
            [VllmWorkerProcess pid=126555] activation_bytes=2695091978 gpu_memory_utilization=0.95 kv_cache_bytes=139586437 non_torch_bytes=365072220 pid=126555 requested_bytes=40168681636 total_bytes=42283953029 weights_bytes=36968931000
            [] activation_bytes=2695091978 kv_cache_bytes=-42949673 non_torch_bytes=461708984 weights_bytes=36968931000
        "#]],
    );
}

#[test]
fn v0_tabular_profile_of_0_6_5() {
    // vllm-project/vllm#10511.
    check(
        "$ vllm serve meta-llama/Meta-Llama-3-8B -tp 2
INFO 12-13 19:54:18 worker.py:243] Memory profiling results:
INFO 12-13 19:54:18 worker.py:243] duration     0.75 seconds
INFO 12-13 19:54:18 worker.py:243] total_gpu_memory     79.22GiB
INFO 12-13 19:54:18 worker.py:243] gpu_memory_utilization       0.90
INFO 12-13 19:54:18 worker.py:243] the current vLLM instance can use    71.29GiB
INFO 12-13 19:54:18 worker.py:243] model weights take   14.96GiB
INFO 12-13 19:54:18 worker.py:243] non_torch_memory     1.79GiB
INFO 12-13 19:54:18 worker.py:243] PyTorch activation peak memory       1.26GiB
INFO 12-13 19:54:18 worker.py:243] available_kv_cache_memory    53.29GiB",
        expect![[r#"
            version=None engine=Some(V0) model=Some("meta-llama/Meta-Llama-3-8B")
            settings: gpu_memory_utilization=0.9 tensor_parallel_size=2
            [] activation_bytes=1352914698 gpu_memory_utilization=0.9 kv_cache_bytes=57219701801 non_torch_bytes=1921997865 requested_bytes=76547054633 total_bytes=85061827297 weights_bytes=16063177687
        "#]],
    );
}

#[test]
fn v0_profile_results_of_0_6_4_blocks_and_the_v0_error() {
    check(
        "Loading model weights took 14.9888 GB
Memory profiling results: total_gpu_memory=23.58GiB initial_memory_usage=15.34GiB peak_torch_memory=17.98GiB memory_usage_post_profile=15.35GiB non_torch_memory=0.35GiB kv_cache_size=2.89GiB gpu_memory_utilization=0.90
# GPU blocks: 1478, # CPU blocks: 2048
Maximum concurrency for 29000 tokens per request: 0.82x
[rank0]: ValueError: The model's max seq len (29000) is larger than the maximum number of tokens that can be stored in KV cache (23648). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.",
        expect![[r#"
            settings: gpu_memory_utilization=0.9 max_model_len=29000
            [] gpu_memory_utilization=0.9 kv_cache_bytes=3103113871 max_concurrency={"times":0.82,"tokens_per_request":29000} non_torch_bytes=375809638 num_cpu_blocks=2048 num_gpu_blocks=1478 peak_torch_bytes=19305877996 total_bytes=25318832210 weights_loaded_bytes=16094101452
            error kind=kv_cache_too_small kv_cache_tokens=23648 max_seq_len=29000: ValueError: The model's max seq len (29000) is larger than the maximum number of tokens that can be stored in KV cache (23648). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.
        "#]],
    );
}

#[test]
fn v0_config_line_and_cuda_blocks() {
    // vLLM 0.5.0.post1 (vllm-project/vllm#4650), 0.7 (`# cuda blocks`).
    check(
        "INFO 06-27 21:53:52 llm_engine.py:164] Initializing an LLM engine (v0.5.0.post1) with config: model='deepseek-ai/DeepSeek-V2-Lite', speculative_config=None, tokenizer='deepseek-ai/DeepSeek-V2-Lite', trust_remote_code=True, dtype=torch.bfloat16, max_seq_len=32000, download_dir=None, load_format=LoadFormat.AUTO, tensor_parallel_size=1, quantization=None, enforce_eager=False, kv_cache_dtype=auto, seed=0)
INFO 06-27 21:54:03 model_runner.py:225] Loading model weights took 29.3010 GB
INFO 02-26 09:54:05 executor_base.py:111] # cuda blocks: 0, # CPU blocks: 4681",
        expect![[r#"
            version=Some("0.5.0.post1") engine=Some(V0) model=Some("deepseek-ai/DeepSeek-V2-Lite")
            settings: dtype=bfloat16 enforce_eager=false kv_cache_dtype=auto max_model_len=32000 tensor_parallel_size=1
            [] num_cpu_blocks=4681 num_gpu_blocks=0 weights_loaded_bytes=31461709185
        "#]],
    );
}

#[test]
fn v1_startup_with_banner_non_default_args_and_kv_figures() {
    // vLLM 0.19.0 and 0.11 lines (vllm-project/vllm issues).
    check(
        "(APIServer pid=6539) INFO 04-18 20:22:57 [utils.py:299] ▄▄ ▄█ █ █ █ ▀▄▀ █ version 0.19.0
(APIServer pid=6539) INFO 04-18 20:22:57 [utils.py:233] non-default args: {'model_tag': 'openai/gpt-oss-20b', 'port': 10000, 'model': 'openai/gpt-oss-20b', 'trust_remote_code': True, 'max_model_len': 131072, 'gpu_memory_utilization': 0.65, 'limit_mm_per_prompt': {'image': 2, 'audio': 0}, 'speculative_config': {'method': 'mtp', 'num_speculative_tokens': 3}}
(EngineCore_DP0 pid=90) INFO 10-11 16:19:10 [gpu_model_runner.py:2653] Model loading took 13.7200 GiB and 62.336108 seconds
(EngineCore_DP0 pid=90) INFO 10-11 16:19:14 [gpu_worker.py:298] Available KV cache memory: 36.56 GiB
(EngineCore_DP0 pid=90) INFO 10-11 16:19:14 [kv_cache_utils.py:1199] GPU KV cache size: 90,048 tokens
(EngineCore_DP0 pid=90) INFO 10-11 16:19:14 [kv_cache_utils.py:1204] Maximum concurrency for 215,040 tokens per request: 1.66x
(EngineCore_DP0 pid=90) INFO 10-06 15:58:12 [gpu_model_runner.py:3480] Graph capturing finished in 19 secs, took 1.92 GiB
(APIServer pid=41428) INFO 10-06 15:58:17 [loggers.py:147] Engine 000: vllm cache_config_info with initialization after num_gpu_blocks is: 6297
(EngineCore_DP0 pid=90) INFO 10-11 16:19:14 [monitor.py:34] torch.compile takes 85.33 s in total",
        expect![[r#"
            version=Some("0.19.0") engine=Some(V1) model=Some("openai/gpt-oss-20b")
            settings: gpu_memory_utilization=0.65 limit_mm_per_prompt={'image': 2, 'audio': 0} max_model_len=131072 speculative_config={'method': 'mtp', 'num_speculative_tokens': 3}
            [EngineCore_DP0 pid=90] cuda_graph_bytes=2061584302 kv_cache_bytes=39256001085 kv_cache_tokens=90048 max_concurrency={"times":1.66,"tokens_per_request":215040} pid=90 weights_loaded_bytes=14731737825
            [APIServer pid=41428] num_gpu_blocks=6297 pid=41428
            unrecognised: 1
        "#]],
    );
}

#[test]
fn v1_config_line_names_the_engine_and_version() {
    check(
        "(EngineCore_DP0 pid=929042) INFO 05-13 16:41:31 [core.py:97] Initializing a V1 LLM engine (v0.14.1) with config: model='/root/Meta-Llama-3___1-8B-Instruct', speculative_config=None, tokenizer='/root/Meta-Llama-3___1-8B-Instruct', trust_remote_code=False, dtype=torch.bfloat16, max_seq_len=131072, tensor_parallel_size=2, pipeline_parallel_size=1, data_parallel_size=1, quantization=fp8, enforce_eager=False, kv_cache_dtype=fp8_e4m3, device_config=cuda, structured_outputs_config=StructuredOutputsConfig(backend='auto', reasoning_parser=''), enable_prefix_caching=True, compilation_config={\"level\":3,\"cudagraph_capture_sizes\":[512,504]}
INFO 09-03 16:28:17 [scheduler.py:222] Chunked prefill is enabled with max_num_batched_tokens=2048.",
        expect![[r#"
            version=Some("0.14.1") engine=Some(V1) model=Some("/root/Meta-Llama-3___1-8B-Instruct")
            settings: data_parallel_size=1 dtype=bfloat16 enable_prefix_caching=true enforce_eager=false kv_cache_dtype=fp8_e4m3 max_model_len=131072 max_num_batched_tokens=2048 pipeline_parallel_size=1 quantization=fp8 tensor_parallel_size=2
        "#]],
    );
}

#[test]
fn v1_ranks_from_worker_prefixes_and_cuda_graph_profiling() {
    check(
        "(Worker_TP1 pid=148) INFO 05-14 00:04:16 [gpu_model_runner.py:6143] Estimated CUDA graph memory: 0.17 GiB total
(Worker_TP0 pid=147) INFO 05-14 00:04:17 [gpu_worker.py:460] Available KV cache memory: 15.72 GiB
(Worker_TP0 pid=147) INFO 05-14 00:04:17 [gpu_worker.py:475] CUDA graph memory profiling is enabled (default since v0.21.0). The current --gpu-memory-utilization=0.9200 is equivalent to --gpu-memory-utilization=0.9129 without CUDA graph memory profiling.
(VllmWorker rank=3 pid=19834) INFO 07-09 09:47:45 [gpu_worker.py:233] Available KV cache memory: 11.33 GiB
vllm_gb10_server  | (EngineCore pid=194) INFO 04-29 12:01:06 [gpu_model_runner.py:6042] Estimated CUDA graph memory: -4.74 GiB total
(RayWorkerWrapper pid=6116, ip=172.17.0.3) INFO 01-14 12:36:51 model_runner.py:1099] Loading model weights took 7.9692 GB
\x1b[1;36m(VllmWorker TP1 pid=77)\x1b[0;0m INFO 08-14 09:28:01 [gpu_worker.py:793] CUDA graph pool memory: 1.34 GiB (actual), 1.32 GiB (estimated), difference: 0.02 GiB (1.5%).",
        expect![[r#"
            version=None engine=Some(V1) model=None
            settings: gpu_memory_utilization=0.92
            [Worker_TP1 pid=148] cuda_graph_estimate_bytes=182536110 pid=148 rank=1
            [Worker_TP0 pid=147] gpu_memory_utilization=0.92 kv_cache_bytes=16879221473 pid=147 rank=0
            [VllmWorker rank=3 pid=19834] kv_cache_bytes=12165494866 pid=19834 rank=3
            [EngineCore pid=194] cuda_graph_estimate_bytes=-5089536246 pid=194
            [RayWorkerWrapper pid=6116, ip=172.17.0.3] pid=6116 weights_loaded_bytes=8556863344
            [VllmWorker TP1 pid=77] cuda_graph_bytes=1438814044 cuda_graph_estimate_bytes=1417339208 pid=77 rank=1
        "#]],
    );
}

#[test]
fn newer_breakdown_with_free_memory_and_actual_usage() {
    check(
        "(Worker_TP1 pid=12025) INFO 08-14 09:28:01 [gpu_worker.py:857] Free memory on device (77.78/79.33 GiB) on startup. Desired GPU memory utilization is (0.85, 67.43 GiB). Actual usage is 16.92 GiB for weight, 5.66 GiB for peak activation, 0.13 GiB for non-torch memory, and 1.34 GiB for CUDAGraph memory. Replace gpu_memory_utilization config with `--kv-cache-memory=46421742490` (43.23 GiB) to fit into requested memory. Current kv cache memory in use is 46600000000 bytes.",
        expect![[r#"
            version=None engine=Some(V1) model=None
            settings: gpu_memory_utilization=0.85
            [Worker_TP1 pid=12025] activation_bytes=6077378724 cuda_graph_bytes=1438814044 free_bytes=83515639071 gpu_memory_utilization=0.85 kv_cache_bytes=46600000000 non_torch_bytes=139586437 pid=12025 rank=1 requested_bytes=72402411192 total_bytes=85179938898 weights_bytes=18167711662
        "#]],
    );
}

#[test]
fn encoder_cache_budget_and_gpu_name() {
    check(
        "(EngineCore_DP0 pid=90) INFO 01-03 07:16:26 [gpu_model_runner.py:4669] Encoder cache will be initialized with a budget of 16384 tokens, and profiled with 1 image items of the maximum feature size.
(Worker pid=1939690) WARNING 10-11 10:41:40 [fused_moe.py:727] Using default MoE config. Performance might be sub-optimal! Config file not found at ['/venv/vllm/model_executor/layers/fused_moe/configs/E=128,N=384,device_name=NVIDIA_A800-SXM4-80GB.json']",
        expect![[r#"
            version=None engine=Some(V1) model=None
            [EngineCore_DP0 pid=90] encoder_cache={"budget_tokens":16384,"items":1,"modality":"image"} pid=90
            [Worker pid=1939690] gpu_name=NVIDIA A800-SXM4-80GB pid=1939690
        "#]],
    );
}

#[test]
fn v1_failures_are_kept_verbatim_and_once() {
    check(
        "(EngineCore_DP0 pid=1094) ValueError: To serve at least one request with the models's max seq len (262144), (24.0 GiB KV cache is needed, which is larger than the available KV cache memory (3.18 GiB). Based on the available memory, the estimated maximum model length is 34736. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.
(EngineCore_DP0 pid=1937911) ERROR 10-11 10:42:14 [core.py:708] EngineCore failed to start.
(EngineCore_DP0 pid=1937912) ERROR 10-11 10:42:14 [core.py:708] EngineCore failed to start.
ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.
(VllmWorkerProcess pid=42878) ERROR 08-04 16:54:59 [multiproc_worker_utils.py:238] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.69 GiB. GPU 3 has a total capacity of 31.74 GiB of which 3.56 GiB is free. Process 1865364 has 28.17 GiB memory in use.
torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 23.69 GiB total capacity; 22.50 GiB already allocated; 6.31 MiB free; 22.8 GiB reserved in total by PyTorch)
ValueError: Free memory on device (14.2/79.19 GiB) on startup is less than desired GPU memory utilization (0.9, 71.27 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.
ValueError: max_num_seqs (1024) exceeds available Mamba cache blocks (524)
ValueError: Chunked MM input disabled but max_tokens_per_mm_item (2496) is larger than max_num_batched_tokens (2048). Please increase max_num_batched_tokens.",
        expect![[r#"
            version=None engine=Some(V1) model=None
            settings: max_model_len=262144 max_num_seqs=1024
            [VllmWorkerProcess pid=42878] pid=42878 total_bytes=34080565494
            [] free_bytes=15247133901 total_bytes=85029615043
            error available_bytes=3414499000 estimated_max_model_len=34736 kind=kv_cache_too_small max_seq_len=262144 needed_bytes=25769803776: ValueError: To serve at least one request with the models's max seq len (262144), (24.0 GiB KV cache is needed, which is larger than the available KV cache memory (3.18 GiB). Based on the available memory, the estimated maximum model length is 34736. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.
            error kind=engine_failed_to_start: EngineCore failed to start.
            error kind=no_cache_blocks: ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.
            error device=3 free_bytes=3822520893 kind=out_of_memory total_bytes=34080565494 tried_bytes=5035849155: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.69 GiB. GPU 3 has a total capacity of 31.74 GiB of which 3.56 GiB is free. Process 1865364 has 28.17 GiB memory in use.
            error device=0 free_bytes=6616515 kind=out_of_memory total_bytes=25436943811 tried_bytes=20971520: torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 23.69 GiB total capacity; 22.50 GiB already allocated; 6.31 MiB free; 22.8 GiB reserved in total by PyTorch)
            error free_bytes=15247133901 kind=free_memory_below_utilization requested_bytes=76525579796 total_bytes=85029615043 utilization=0.9: ValueError: Free memory on device (14.2/79.19 GiB) on startup is less than desired GPU memory utilization (0.9, 71.27 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.
            error blocks=524 kind=mamba_cache_blocks max_num_seqs=1024: ValueError: max_num_seqs (1024) exceeds available Mamba cache blocks (524)
            error item_tokens=2496 kind=multimodal_item_too_large max_num_batched_tokens=2048: ValueError: Chunked MM input disabled but max_tokens_per_mm_item (2496) is larger than max_num_batched_tokens (2048). Please increase max_num_batched_tokens.
        "#]],
    );
}

#[test]
fn a_command_pasted_with_the_log_fills_what_the_log_does_not_show() {
    check(
        "VLLM_USE_V1=1 vllm serve neuralmagic/Meta-Llama-3.1-70B-Instruct-quantized.w8a8 --max-model-len 2048 --gpu-memory-utilization 0.98
INFO 01-30 03:18:12 gpu_model_runner.py:848] Loading model weights took 67.7229 GB
INFO 01-30 03:19:14 kv_cache_utils.py:395] # GPU blocks: 1381
INFO 01-30 03:19:14 kv_cache_utils.py:398] Maximum concurrency for 2048 tokens per request: 10.79x",
        expect![[r#"
            version=None engine=Some(V1) model=Some("neuralmagic/Meta-Llama-3.1-70B-Instruct-quantized.w8a8")
            settings: gpu_memory_utilization=0.98 max_model_len=2048
            [] max_concurrency={"times":10.79,"tokens_per_request":2048} num_gpu_blocks=1381 weights_loaded_bytes=72716910173
        "#]],
    );
}

#[test]
fn argparse_namespace_of_older_api_servers() {
    check(
        "INFO 08-12 10:00:00 api_server.py:339] vLLM API server version 0.5.4
INFO 08-12 10:00:00 api_server.py:340] args: Namespace(host=None, port=8000, model='Qwen/Qwen2-7B-Instruct', max_model_len=8192, tensor_parallel_size=2, gpu_memory_utilization=0.85, enforce_eager=True, kv_cache_dtype='fp8', block_size=16, max_num_seqs=64, cpu_offload_gb=4.0, speculative_model=None)",
        expect![[r#"
            version=Some("0.5.4") engine=None model=Some("Qwen/Qwen2-7B-Instruct")
            settings: block_size=16 cpu_offload_gb=4.0 enforce_eager=true gpu_memory_utilization=0.85 kv_cache_dtype=fp8 max_model_len=8192 max_num_seqs=64 tensor_parallel_size=2
        "#]],
    );
}

#[test]
fn unrecognised_vllm_lines_are_counted_and_sampled_and_other_text_ignored() {
    let log = parse(
        "INFO 04-24 16:33:12 [monitor.py:33] torch.compile takes 6.41 s in total
Loading safetensors checkpoint shards: 100% Completed | 1/1
just some text
WARNING 04-29 12:01:03 [kv_cache_utils.py:1140] Add 3 padding layers, may waste at most 10.00% KV cache memory",
    );
    assert_eq!(log.lines, 4);
    expect![[r#"
        Unrecognised {
            count: 2,
            samples: [
                "INFO 04-24 16:33:12 [monitor.py:33] torch.compile takes 6.41 s in total",
                "WARNING 04-29 12:01:03 [kv_cache_utils.py:1140] Add 3 padding layers, may waste at most 10.00% KV cache memory",
            ],
        }
    "#]]
    .assert_debug_eq(&log.unrecognised);
}

#[test]
fn input_is_bounded_and_any_text_is_read_without_panic() {
    let long = "INFO 01-01 00:00:00 [x.py:1] GPU KV cache size: 5 tokens\n".repeat(30_000);
    let log = parse(&long);
    assert!(log.truncated);
    assert!(log.lines <= MAX_LINES);
    for text in [
        "",
        "(",
        "(pid=",
        "Free memory on device (",
        "Maximum concurrency for 9999999999999999999999 tokens per request: 1e308x",
        "GPU KV cache size: -1 tokens",
        "Model loading took 1e400 GiB",
        "model weights take 99999999999999999999999999 GiB",
        "non-default args: {'max_model_len': '",
        "with config: model='é', max_seq_len=18446744073709551616",
        "\u{1b}[",
        "é|ü INFO ",
        "2025-01-01",
        "out of memory. Tried to allocate",
        "max seq len (",
        "LLM(",
        "vllm serve 'unterminated",
    ] {
        let _ = parse(text);
        let _ = parse_command(text);
    }
}

#[test]
fn human_readable_lengths_follow_vllm() {
    assert_eq!(human_int("28k"), Some(28_000));
    assert_eq!(human_int("28K"), Some(28_672));
    assert_eq!(human_int("1M"), Some(1_048_576));
    assert_eq!(human_int("25.6k"), Some(25_600));
    assert_eq!(human_int("30_000"), Some(30_000));
    assert_eq!(human_int("-1"), None);
    assert_eq!(human_int("k"), None);
}

#[test]
fn multibyte_text_near_a_cut_or_a_boundary_is_read_without_panic() {
    // Found by the fuzzer: a `[…]` tag whose 40th byte falls inside a
    // character.
    let mut found = b"[worker.py:292] modhts t".to_vec();
    found.extend([0xb9; 60]);
    found.extend(b"ake 10.11GiB; non_tom   memory takes 0.7ry reserved for KV Cache ms");
    let _ = parse(&String::from_utf8_lossy(&found));
    let _ = parse(&format!("[{}]", "\u{fffd}".repeat(20)));
    let _ = parse(&format!("({} pid=1)", "é".repeat(100)));
    // An ideographic space (3 bytes) before the error phrase.
    let log = parse("x\u{3000}ValueError: No available memory for the cache blocks.");
    assert_eq!(
        log.errors[0].message,
        "ValueError: No available memory for the cache blocks."
    );
}
