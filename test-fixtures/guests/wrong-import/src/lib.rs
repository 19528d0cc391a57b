//! Test fixture: a component that imports an interface the host lacks.

wit_bindgen::generate!({ world: "needs-missing", path: "wit" });

struct Component;

impl Guest for Component {
    fn run() {
        fixture::wrong_import::missing::ping();
    }
}

export!(Component);
