use airssys_wasm_guest::export;

#[export]
struct Plugin;

fn main() {}
