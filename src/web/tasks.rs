//! The worker's side of the page ⇄ worker protocol, as a pure function of
//! text: `{"id": 7, "task": "fit", "request": {…}}` in, `{"id": 7, "ok":
//! {…}}` or `{"id": 7, "error": "…"}` out. For the searches and `check`
//! the request and the result are the JS API's and the CLI's `--json`
//! objects, so one schema serves all three; `read` is the app's "Check my
//! setup" box (a [`crate::report::check::Check`] back). No browser API
//! here: tested natively.

use serde::Serialize;
use serde_json::{json, Value};

use crate::report::check;
use crate::search::{buy, fit};

/// The tasks the worker runs.
pub const TASKS: [&str; 4] = ["fit", "buy", "check", "read"];

fn run<T: Serialize>(result: Result<T, String>) -> Result<Value, String> {
    result.and_then(|r| serde_json::to_value(r).map_err(|e| e.to_string()))
}

/// Runs one task message and returns the reply message. Never panics on
/// any text: a message that is not a task gets an error reply.
pub fn answer(message: &str) -> String {
    let parsed: Result<Value, _> = serde_json::from_str(message);
    let (id, outcome) = match parsed {
        Ok(value) => {
            let id = value.get("id").cloned().unwrap_or(Value::Null);
            let request = value.get("request").cloned().unwrap_or(Value::Null);
            let outcome = match value.get("task").and_then(Value::as_str) {
                Some("fit") => run(fit::FitRequest::from_json(&request)
                    .and_then(|r| fit::fit(&r).map_err(|e| format!("{}: {e}", e.field())))),
                Some("buy") => run(buy::BuyRequest::from_json(&request)
                    .and_then(|r| buy::buy(&r).map_err(|e| format!("{}: {e}", e.field())))),
                Some("check") => check::check_input(&request),
                Some("read") => check::read_input(&request),
                Some(other) => Err(format!(
                    "unknown task '{other}'; tasks: {}",
                    TASKS.join(", ")
                )),
                None => Err("a task message needs a \"task\"".to_string()),
            };
            (id, outcome)
        }
        Err(e) => (Value::Null, Err(format!("not a task message: {e}"))),
    };
    match outcome {
        Ok(result) => json!({"id": id, "ok": result}),
        Err(error) => json!({"id": id, "error": error}),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_messages_get_error_replies_with_their_id() {
        let reply: Value = serde_json::from_str(&answer("not json")).unwrap();
        assert!(reply["error"].as_str().unwrap().contains("not a task"));
        let reply: Value = serde_json::from_str(&answer(r#"{"id":3,"task":"dance"}"#)).unwrap();
        assert_eq!(reply["id"], 3);
        assert!(reply["error"].as_str().unwrap().contains("unknown task"));
        let reply: Value = serde_json::from_str(&answer(r#"{"id":4}"#)).unwrap();
        assert_eq!(reply["id"], 4);
        assert!(reply["error"].is_string());
    }

    #[test]
    fn searches_answer_with_the_clis_json_or_name_the_bad_field() {
        let reply: Value = serde_json::from_str(&answer(
            r#"{"id":1,"task":"fit","request":{"gpus":"rtx-4090","family":"Llama"}}"#,
        ))
        .unwrap();
        assert_eq!(reply["id"], 1);
        let entries = reply["ok"]["entries"].as_array().unwrap();
        assert!(entries.iter().any(|e| e["model"] == "llama-3.1-8b"));
        let reply: Value = serde_json::from_str(&answer(
            r#"{"id":2,"task":"buy","request":{"model":"llama-3.1-8b","max_gpus":2}}"#,
        ))
        .unwrap();
        assert!(reply["ok"]["options"][0]["price"].as_f64().unwrap() > 0.0);
        let reply: Value = serde_json::from_str(&answer(
            r#"{"id":3,"task":"fit","request":{"gpus":"-8GB"}}"#,
        ))
        .unwrap();
        assert!(reply["error"].as_str().unwrap().starts_with("gpus: "));
    }

    /// The app's pasted text comes back as the `Check` it reads into, and
    /// that JSON reads back into the same check (its rows aside: the page
    /// compares the log with the plan as edited).
    #[test]
    fn a_pasted_text_comes_back_as_its_check() {
        use crate::report::check::{check as read, Check};
        use crate::report::Request;
        let base = Request {
            gpus: "2xrtx-3090".into(),
            ..Request::default()
        };
        let texts = [
            include_str!("../../tests/data/logs/llama/llama.cpp-13729-qwen3-30b-a3b-4080s.log"),
            include_str!("../../tests/data/logs/vllm/v0-tp-3090s-pr14447.log"),
            "llama-server -m Qwen3-30B-A3B-Q4_K_M.gguf -c 32768 -np 2 -ngl 99",
            "no reader knows this",
        ];
        for text in texts {
            let message = json!({"id": 1, "task": "read",
                "request": {"text": text, "base": base, "model_given": false}});
            let reply: Value = serde_json::from_str(&answer(&message.to_string())).unwrap();
            let back: Check = serde_json::from_value(reply["ok"].clone()).unwrap();
            let want = read(text, &base, false);
            assert_eq!(back.kind, want.kind, "{text}");
            assert_eq!(back.request, want.request, "{text}");
            assert_eq!(back.logged, want.logged, "{text}");
            assert_eq!(back.what_if, want.what_if, "{text}");
            assert_eq!(
                (back.model_known, &back.notes),
                (want.model_known, &want.notes)
            );
            assert!(back.rows.is_empty());
        }
        let reply: Value = serde_json::from_str(&answer(
            r#"{"id":2,"task":"read","request":{"text":"x","base":{"nope":"1"}}}"#,
        ))
        .unwrap();
        assert!(reply["error"].as_str().unwrap().contains("nope"), "{reply}");
    }

    /// The JS API's `check` is the CLI's `check --json` object.
    #[test]
    fn check_answers_the_clis_json() {
        let reply: Value = serde_json::from_str(&answer(
            r#"{"id":5,"task":"check","request":{"text":"llama-server -m Qwen3-30B-A3B-Q4_K_M.gguf -c 32768 -ngl 99","gpus":"rtx-4090"}}"#,
        ))
        .unwrap();
        assert_eq!(reply["ok"]["kind"], "command");
        assert_eq!(reply["ok"]["model"], "Qwen3 30B-A3B");
        assert_eq!(reply["ok"]["n_ctx"], 32768);
        assert!(reply["ok"]["fits"].is_boolean());
        let reply: Value = serde_json::from_str(&answer(
            r#"{"id":6,"task":"check","request":{"gpus":"rtx-4090"}}"#,
        ))
        .unwrap();
        assert!(reply["error"]
            .as_str()
            .unwrap()
            .starts_with("check: give {text}"));
    }
}
