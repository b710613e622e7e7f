//! `parkbench serve` as a CI pipeline runs it: one ready line on stdout, clear one-line
//! errors and a non-zero exit on bad input, a clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

fn parkbench(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parkbench"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for the first stdout line, at most ten seconds.
fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send((line, reader));
    });
    let (line, reader) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("no ready line within 10 s");
    // Put the rest of stdout back so the test can check nothing else was printed.
    child.stdout = None;
    std::mem::forget(reader.into_inner());
    line
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("parkbench did not stop within 5 s of SIGTERM");
}

fn failure(args: &[&str]) -> (i32, String) {
    let output = parkbench(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.stdout.is_empty(), "nothing on stdout on failure");
    (output.status.code().unwrap(), stderr)
}

#[test]
fn serve_prints_one_ready_line_with_every_service_and_stops_on_sigterm() {
    let mut child = parkbench(&["serve", "--port-base", "0"]).spawn().unwrap();
    let line = first_line(&mut child);
    let ready: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["event"], "ready");
    let services = ready["services"].as_object().unwrap();
    let names: Vec<_> = services.keys().map(String::as_str).collect();
    assert_eq!(names, ["ofr", "opscom", "parkingplus"]);
    for url in services.values() {
        let url = url.as_str().unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
            "{url}"
        );
        let addr = url.trim_start_matches("http://");
        assert!(
            std::net::TcpStream::connect(addr).is_ok(),
            "{url} accepts connections"
        );
    }
    let status = terminate(&mut child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn only_serves_the_named_apis() {
    let mut child = parkbench(&["serve", "--port-base", "0", "--only", "opscom"])
        .spawn()
        .unwrap();
    let ready: Value = serde_json::from_str(&first_line(&mut child)).unwrap();
    assert_eq!(ready["services"].as_object().unwrap().len(), 1);
    assert!(ready["services"]["opscom"].is_string());
    terminate(&mut child);
}

#[test]
fn a_taken_port_is_a_one_line_error_and_a_failure_exit() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let base = (port - 3).to_string();
    let (code, stderr) = failure(&["serve", "--port-base", &base, "--only", "opscom"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot listen on") && stderr.contains(&port.to_string()),
        "{stderr}"
    );
}

#[test]
fn a_missing_fixtures_folder_is_a_one_line_error() {
    let (code, stderr) = failure(&["serve", "--fixtures", "/nonexistent/parkbench-fixtures"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("/nonexistent/parkbench-fixtures"),
        "{stderr}"
    );
}

#[test]
fn an_invalid_fixtures_folder_is_a_one_line_error_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("parkbench-bad-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("opscom")).unwrap();
    let (code, stderr) = failure(&[
        "serve",
        "--only",
        "opscom",
        "--fixtures",
        dir.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("fixtures") && stderr.contains("opscom"),
        "{stderr}"
    );
}

#[rstest::rstest]
#[case(&["serve", "--bogus"])]
#[case(&["serve", "--only", "nope"])]
#[case(&["serve", "--ofr-rate-limit", "fast"])]
#[case(&["serve", "--port-base", "70000"])]
#[case(&["serve", "--freeze-clock", "tomorrow"])]
#[case(&["serve", "--log-format", "xml"])]
fn bad_flags_are_usage_errors(#[case] args: &[&str]) {
    let output = parkbench(args).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let mut stderr = String::new();
    output
        .stderr
        .as_slice()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("error:"), "{stderr}");
}

#[test]
fn a_frozen_clock_is_what_every_service_reports() {
    let mut child = parkbench(&[
        "serve",
        "--port-base",
        "0",
        "--freeze-clock",
        "2026-05-01T08:00:00Z",
    ])
    .spawn()
    .unwrap();
    let ready: Value = serde_json::from_str(&first_line(&mut child)).unwrap();
    for url in ready["services"].as_object().unwrap().values() {
        let addr = url.as_str().unwrap().trim_start_matches("http://");
        let body = http_get(addr, "/__admin/clock");
        assert!(body.contains(r#""now":"2026-05-01T08:00:00Z""#), "{body}");
    }
    terminate(&mut child);
}

/// A minimal HTTP/1.1 GET, to keep the binary's tests free of an HTTP client.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}
