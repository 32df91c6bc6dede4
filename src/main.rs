//! WebAssembly entry: installs the panic hook and the JS API, then mounts
//! the app — unless a docs site loaded it for the API alone.

fn main() {
    console_error_panic_hook::set_once();
    vramfit::web::api::install();
    if !vramfit::web::state::api_only() {
        vramfit::web::state::register_service_worker();
        leptos::mount::mount_to_body(vramfit::ui::App);
    }
}
