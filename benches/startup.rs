//! `cargo bench --bench startup`: how long `parkbench serve` (every service) takes from exec
//! to its ready line, and its resident memory once ready. Targets: 50 ms and 20 MB.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 30;

fn main() {
    let binary = env!("CARGO_BIN_EXE_parkbench");
    let mut ready_ms = Vec::with_capacity(RUNS);
    let mut rss_kb = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["serve", "--port-base", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn parkbench");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        let elapsed = started.elapsed();
        assert!(
            line.contains(r#""event":"ready""#),
            "unexpected first line: {line}"
        );
        ready_ms.push(elapsed.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(20));
        rss_kb.push(resident_kb(child.id()));
        let _ = child.kill();
        let _ = child.wait();
    }
    ready_ms.sort_by(f64::total_cmp);
    rss_kb.sort_unstable();
    let median = |v: &[f64]| v[v.len() / 2];
    println!(
        "startup: exec -> ready line over {RUNS} runs: median {:.1} ms, p90 {:.1} ms, max {:.1} ms (target 50 ms)",
        median(&ready_ms),
        ready_ms[RUNS * 9 / 10],
        ready_ms[RUNS - 1]
    );
    println!(
        "memory: resident once ready: median {:.1} MB, max {:.1} MB (target 20 MB)",
        rss_kb[RUNS / 2] as f64 / 1024.0,
        rss_kb[RUNS - 1] as f64 / 1024.0
    );
}

/// VmRSS of a process, from /proc (Linux).
fn resident_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
