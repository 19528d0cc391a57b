//! What a plugin gets beyond messaging, each closed until granted:
//! configuration (`wasi:config`), durable key-value state
//! (`wasi:keyvalue`) and outbound HTTP (`wasi:http`).

use airssys_test_fixtures::{ASSISTANT, HOSTILE};
use airssys_wasm::{ComponentSpec, SystemBuilder, SystemError};

use crate::common::http_server::HttpServer;
use crate::common::system::{command, outcome};

fn assistant(name: &str) -> ComponentSpec {
    ComponentSpec::from_bytes(name, ASSISTANT)
}

/// Each component reads its own configuration and nobody else's; a value
/// can come from the host's environment.
#[tokio::test]
async fn config_is_per_component_and_closed_by_default() {
    let path = std::env::var("PATH").expect("tests run with a PATH");
    let system = SystemBuilder::new()
        .component(assistant("configured").config("greeting", "hello, configured"))
        .component(assistant("from-env").config_from_env("greeting", "PATH"))
        .component(assistant("bare"))
        .start()
        .await
        .unwrap();
    assert_eq!(
        command(&system, "configured", "greeting").await,
        "hello, configured"
    );
    assert_eq!(command(&system, "from-env", "greeting").await, path);
    assert_eq!(
        command(&system, "bare", "greeting").await,
        "(no greeting configured)"
    );
}

/// A configuration value from an environment variable that is not set
/// stops the start, naming the component, the key and the variable.
#[tokio::test]
async fn missing_config_variable_fails_the_start() {
    let error = SystemBuilder::new()
        .component(assistant("a").config_from_env("api-key", "AIRSSYS_TEST_SURELY_UNSET"))
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SystemError::MissingConfigEnv { component, key, var }
            if component == "a" && key == "api-key" && var == "AIRSSYS_TEST_SURELY_UNSET"),
        "{error:?}"
    );
}

/// A counter kept in key-value outlives the system that wrote it; two
/// components' buckets of the same name are separate; a component without
/// the grant is refused.
#[tokio::test]
async fn keyvalue_is_durable_private_and_granted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.redb");
    let builder = || {
        SystemBuilder::new()
            .keyvalue_path(&db)
            .component(assistant("a").keyvalue_bucket("state"))
            .component(assistant("b").keyvalue_bucket("state"))
            .component(assistant("ungranted"))
    };

    let system = builder().start().await.unwrap();
    for expected in ["1", "2", "3"] {
        assert_eq!(command(&system, "a", "count").await, expected);
    }
    assert_eq!(
        command(&system, "b", "count").await,
        "1",
        "b has its own bucket"
    );
    let refused = outcome(&system, "ungranted", "count").await.unwrap_err();
    assert!(refused.to_string().contains("not granted"), "{refused}");
    system.shutdown(std::time::Duration::from_secs(5)).await;

    let system = builder().start().await.unwrap();
    assert_eq!(command(&system, "a", "visits").await, "3");
    assert_eq!(command(&system, "a", "count").await, "4");
    assert_eq!(command(&system, "b", "visits").await, "1");
}

/// Keys, values and buckets have limits; a write past one is an error
/// naming it, and writes nothing.
#[tokio::test]
async fn keyvalue_limits_refuse_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let system = SystemBuilder::new()
        .keyvalue_path(dir.path().join("state.redb"))
        .component(
            ComponentSpec::from_bytes("hostile", HOSTILE)
                .keyvalue_bucket("b")
                .keyvalue_quota(10_000),
        )
        .start()
        .await
        .unwrap();
    let refused = |answer: Result<_, airssys_wasm::RequestError>| answer.unwrap_err().to_string();

    let long_key = refused(outcome(&system, "hostile", "kv-set b 5000 1").await);
    assert!(
        long_key.contains("longer than the limit of 4096 bytes"),
        "{long_key}"
    );
    let big_value = refused(outcome(&system, "hostile", "kv-set b 10 2000000").await);
    assert!(big_value.contains("limit of 1048576 bytes"), "{big_value}");
    let other = refused(outcome(&system, "hostile", "kv-open someone-elses").await);
    assert!(other.contains("not granted"), "{other}");

    assert_eq!(
        command(&system, "hostile", "kv-set b 10 4000").await,
        "stored"
    );
    assert_eq!(
        command(&system, "hostile", "kv-set b 10 4000").await,
        "stored"
    );
    let full = refused(outcome(&system, "hostile", "kv-set b 10 4000").await);
    assert!(full.contains("past its quota of 10000 bytes"), "{full}");
    // The refused write took no room: a smaller one still fits.
    assert_eq!(
        command(&system, "hostile", "kv-set b 10 1000").await,
        "stored"
    );
}

/// Bucket names are checked before anything starts, and one database
/// file serves one system at a time.
#[tokio::test]
async fn keyvalue_misconfiguration_is_a_start_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = SystemBuilder::new()
        .keyvalue_path(dir.path().join("state.redb"))
        .component(assistant("a").keyvalue_bucket("../other"))
        .check()
        .unwrap_err();
    assert!(
        matches!(error, SystemError::InvalidBucket { .. }),
        "{error:?}"
    );

    let db = dir.path().join("shared.redb");
    let first = SystemBuilder::new()
        .keyvalue_path(&db)
        .component(assistant("a").keyvalue_bucket("state"))
        .start()
        .await
        .unwrap();
    let second = SystemBuilder::new()
        .keyvalue_path(&db)
        .component(assistant("a").keyvalue_bucket("state"))
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(second, SystemError::KeyValueStore { .. }),
        "{second:?}"
    );
    drop(first);
}

/// A component reaches the origins it was granted and no other: the
/// refused request never leaves the host, and the guest is told why.
#[tokio::test]
async fn http_reaches_only_granted_origins() {
    let granted = HttpServer::start().await;
    let other = HttpServer::start().await;
    let system = SystemBuilder::new()
        .component(assistant("a").http_allow(granted.origin()))
        .component(assistant("closed"))
        .start()
        .await
        .unwrap();

    let fetch = |server: &HttpServer| format!("fetch {}/today", server.origin());
    assert_eq!(command(&system, "a", &fetch(&granted)).await, "200 hello");
    for (component, server) in [("a", &other), ("closed", &granted)] {
        let refused = outcome(&system, component, fetch(server))
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("HTTP request denied"),
            "{refused}"
        );
    }
    assert_eq!(granted.requests(), 1, "only the granted request was sent");
    assert_eq!(other.requests(), 0);
}

/// A response body past the component's limit fails the read with an
/// error naming the limit.
#[tokio::test]
async fn http_response_size_is_limited() {
    let server = HttpServer::start().await;
    let system = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("hostile", HOSTILE)
                .http_allow(server.origin())
                .max_http_response_bytes(1000),
        )
        .start()
        .await
        .unwrap();
    let origin = server.origin();
    assert_eq!(
        command(&system, "hostile", &format!("fetch {origin}/bytes/1000")).await,
        "1000"
    );
    let refused = outcome(&system, "hostile", format!("fetch {origin}/bytes/1001"))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("limit of 1000 bytes"),
        "{refused}"
    );
}

/// An HTTP grant that is not an origin is a configuration error.
#[test]
fn http_grants_must_be_origins() {
    let error = SystemBuilder::new()
        .component(assistant("a").http_allow("example.com/api"))
        .check()
        .unwrap_err();
    assert!(
        matches!(&error, SystemError::InvalidHttpGrant { origin, .. } if origin == "example.com/api"),
        "{error:?}"
    );
}
