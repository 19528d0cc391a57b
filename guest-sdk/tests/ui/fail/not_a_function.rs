use airssys_wasm_guest::export;

#[export]
struct Plugin;

fn main() {
    // The struct is still there: the mistake is the attribute, not the item.
    let _ = Plugin;
}
