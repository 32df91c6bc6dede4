//! WebAssembly entry: installs the panic hook and mounts the app — nothing else.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(vramfit::ui::App);
}
