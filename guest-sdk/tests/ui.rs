//! Compile-time behaviour of `#[export]`: right signatures build, wrong
//! ones fail with an error on the wrong token (see `ui/fail/*.stderr`).

/// Every case under `ui/pass` compiles and every case under `ui/fail`
/// fails with exactly the recorded message.
#[test]
fn export_signatures() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
