//! The library entry point as a Rust user's test would use it: start, read the base URLs,
//! talk to the mocks, drop to stop.

use std::io::{Read, Write};
use std::net::SocketAddr;

use parkbench_mocks::parkbench_kit::ClockStart;
use parkbench_mocks::{ApiName, MockServer, Settings};
use serde_json::Value;

async fn get(addr: SocketAddr, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        raw
    })
    .await
    .unwrap()
}

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

#[tokio::test]
async fn every_api_starts_on_its_own_ephemeral_port_and_stops_on_drop() {
    let mocks = MockServer::builder().seed(7).start().await.unwrap();
    let urls = mocks.urls();
    assert_eq!(
        urls.keys().copied().collect::<Vec<_>>(),
        ["ofr", "opscom", "parkingplus"]
    );
    let mut addrs = Vec::new();
    for (name, url) in &urls {
        let addr = addr_of(url);
        let health = get(addr, "/__admin/health").await;
        assert!(health.starts_with("HTTP/1.1 200 OK"), "{name}: {health}");
        assert!(
            health.contains(&format!("x-parkbench-service: {name}")),
            "{health}"
        );
        addrs.push(addr);
    }
    mocks.shutdown().await;
    for addr in addrs {
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "{addr} still listening"
        );
    }
}

#[tokio::test]
async fn only_and_clock_are_honoured() {
    let mocks = MockServer::builder()
        .only([ApiName::Opscom])
        .clock(ClockStart::Frozen("2026-02-03T04:05:06Z".parse().unwrap()))
        .start()
        .await
        .unwrap();
    assert_eq!(mocks.urls().len(), 1);
    let raw = get(addr_of(&mocks.url("opscom").unwrap()), "/__admin/clock").await;
    let body: Value = serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(body["now"], "2026-02-03T04:05:06Z");
}

#[test]
fn api_names_parse_case_insensitively_and_unknown_ones_list_the_known() {
    assert_eq!("OPSCOM".parse::<ApiName>(), Ok(ApiName::Opscom));
    let error = "parkwhiz".parse::<ApiName>().unwrap_err();
    assert!(error.contains("ofr, opscom, parkingplus"), "{error}");
}

#[test]
fn a_missing_fixtures_folder_is_refused_before_anything_starts() {
    let settings = Settings {
        fixtures: parkbench_mocks::parkbench_kit::FixtureRoot::Dir("/nonexistent/fixtures".into()),
        ..Settings::default()
    };
    let error = parkbench_mocks::apis(&settings).err().unwrap().to_string();
    assert!(error.contains("/nonexistent/fixtures"), "{error}");
}
