//! One export: the report of a catalog model on some GPUs, as the first
//! render needs it (the verdict, every device, the commands, the ways out).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn plan(model: &str, gpus: &str, engine: &str) -> String {
    let mut request = vramfit::report::Request {
        model: model.into(),
        gpus: gpus.into(),
        ..Default::default()
    };
    request.set_engine(engine);
    match vramfit::report::report(&request) {
        Ok(r) => {
            let mut text = format!("{} {} {}", r.fits, r.n_ctx, r.weights_label);
            for d in &r.devices {
                text.push_str(&d.name);
            }
            for (engine, command) in &r.commands {
                text.push_str(engine);
                text.push_str(command);
            }
            for w in &r.ways_out {
                text.push_str(&w.label);
            }
            text
        }
        Err(e) => e.to_string(),
    }
}

fn main() {}
