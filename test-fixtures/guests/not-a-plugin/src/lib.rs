//! Test fixture: a valid component that does not implement the plugin world.

/// A core export that the component does not lift: the component has no
/// `handle-message`.
#[unsafe(no_mangle)]
pub extern "C" fn nothing() {}
