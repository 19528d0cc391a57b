//! `airssys_wasm::testing`: a built plugin under the real runtime, its
//! targets stood in for, everything it sent and reported readable after
//! `settle`.

use airssys_test_fixtures::CLIENT;
use airssys_wasm::testing::PluginTest;
use airssys_wasm::{ComponentError, ComponentSpec, RequestError, SystemError};

fn client() -> PluginTest {
    PluginTest::new(ComponentSpec::from_bytes("client", CLIENT))
}

#[tokio::test]
async fn stand_ins_answer_record_and_drive_the_plugins_callbacks() {
    let plugin = client()
        .stand_in("pricing", |call| async move {
            match call.payload.as_bytes() {
                b"tea" => Ok("3.50".into()),
                _ => Err(ComponentError::InvalidInput(format!(
                    "no price for {}",
                    call.payload.text()
                ))),
            }
        })
        .record("audit")
        .start()
        .await
        .unwrap();

    let first = plugin
        .request("request pricing 1000 tea")
        .unwrap()
        .await
        .unwrap();
    let second = plugin
        .request("request pricing 1000 gold")
        .unwrap()
        .await
        .unwrap();
    assert!(first.text().starts_with("requested "), "{first:?}");
    assert_eq!(
        plugin
            .request("send audit sold-tea")
            .unwrap()
            .await
            .unwrap(),
        "sent"
    );
    plugin.settle().await;

    let pricing = plugin.calls_to("pricing");
    assert_eq!(pricing.len(), 2);
    assert!(
        pricing
            .iter()
            .all(|call| call.request && call.sender.as_str() == "client")
    );
    assert_eq!(
        (&pricing[0].payload, &pricing[1].payload),
        (&"tea".into(), &"gold".into())
    );
    let audit = plugin.calls_to("audit");
    assert_eq!(audit.len(), 1);
    assert!(!audit[0].request);
    assert_eq!(audit[0].payload, "sold-tea");

    // Each request's outcome reached the plugin's handle_callback, which
    // reported it to the host.
    let first_id = first.text().trim_start_matches("requested ").to_owned();
    let second_id = second.text().trim_start_matches("requested ").to_owned();
    let reports: Vec<String> = plugin
        .reports()
        .iter()
        .map(|report| report.payload.text().into_owned())
        .collect();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(
        reports.contains(&format!("callback {first_id} ok 3.50")),
        "{reports:?}"
    );
    assert!(
        reports.iter().any(
            |report| report.starts_with(&format!("callback {second_id} err "))
                && report.contains("no price for gold")
        ),
        "{reports:?}"
    );
    assert!(plugin.reports().is_empty(), "reports are taken once");
    let report = plugin.shutdown().await;
    assert_eq!((report.failed_requests, report.unhandled), (0, 0));
}

#[tokio::test]
async fn the_plugin_reaches_only_its_stand_ins_and_the_host() {
    let plugin = client().record("audit").start().await.unwrap();
    let ungranted = plugin
        .request("send billing invoice")
        .unwrap()
        .await
        .unwrap();
    assert!(
        ungranted.text().contains("CapabilityDenied"),
        "{ungranted:?}"
    );
    let answer = plugin.request("send host hello").unwrap().await.unwrap();
    assert_eq!(answer, "sent");
    plugin.settle().await;
    let reports = plugin.reports();
    assert_eq!(
        (reports.len(), reports[0].payload.text()),
        (1, "hello".into())
    );
    assert!(plugin.calls().is_empty());
}

#[tokio::test]
async fn a_plugin_that_does_not_load_fails_start_and_a_trap_is_the_requests_outcome() {
    let broken = PluginTest::new(ComponentSpec::from_bytes("broken", b"not wasm".as_slice()))
        .start()
        .await;
    assert!(
        matches!(broken, Err(SystemError::Wasm(_))),
        "{:?}",
        broken.err()
    );

    let plugin = client().start().await.unwrap();
    let trapped = plugin.request("panic").unwrap().await;
    assert!(
        matches!(trapped, Err(RequestError::Trapped { .. })),
        "{trapped:?}"
    );
}
