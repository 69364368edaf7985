//! A plugin that misbehaves on request (`settings.behaviour`), so the host's
//! sandbox can be tested: loop forever, allocate without bound, panic, report an
//! undeclared rule, point outside the file, flood findings, log a line cut
//! inside a character, leak memory across calls, or fail politely.

use plimsoll_plugin_sdk::prelude::*;

declare_rule! {
    /// ## What it does
    /// Reports the first instruction, so a run shows this plugin worked.
    pub static RULE = Rule {
        id: "HOSTILE001",
        name: "hostile-probe",
        summary: "First instruction seen by the hostile test plugin",
        level: Level::Note,
    };
}

struct Hostile;

impl DockerfilePlugin for Hostile {
    fn info() -> PluginInfo {
        PluginInfo::new("hostile", "0.1.0", &[&RULE])
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        match settings.get("behaviour").and_then(|b| b.as_str()) {
            Some("reject-settings") => {
                Err("field `behaviour`: reject-settings was asked for".into())
            }
            _ => Ok(()),
        }
    }

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        let first = doc
            .instructions()
            .first()
            .map(|i| i.span)
            .unwrap_or_default();
        let ok = || Finding::new(&RULE, "hostile plugin saw this file").at(first);
        match settings
            .get("behaviour")
            .and_then(|b| b.as_str())
            .unwrap_or("fine")
        {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
                }
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            // A WASI sleep: time spent in the host, not in the plugin.
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(30));
                Ok(vec![ok()])
            }
            "error" => Err("cannot check this file on purpose".into()),
            "undeclared-rule" => {
                let mut f = ok();
                f.rule_id = "NOT-DECLARED";
                Ok(vec![f])
            }
            "outside-span" => {
                let end = doc.text().len();
                let mut f = ok();
                f.location =
                    Location::File(plimsoll_plugin_sdk::dockerfile::Span::new(end, end + 100));
                Ok(vec![f])
            }
            "flood" => Ok((0..200_000).map(|_| ok()).collect()),
            // Keeps 20 MiB more on every call and says how many calls this
            // instance has answered: instances serve several targets, and
            // one that grew too large is not kept for the next.
            "leak" => {
                static CALLS: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let calls = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                std::mem::forget(std::hint::black_box(vec![1u8; 20 << 20]));
                Ok(vec![
                    Finding::new(&RULE, format!("call {calls} of this instance")).at(first),
                ])
            }
            // Text that tries to drive a GitHub runner and a terminal, in a
            // log line, on stderr and in a finding's message.
            "inject" => {
                let evil = "seen\n::add-mask::s3cret\n::error file=x.py,line=1::pwned\n##[group]g\x1b]52;c;Zm9v\x07\x1b[2J\u{202e}";
                plimsoll_plugin_sdk::log(evil);
                eprintln!("{evil}");
                Ok(vec![Finding::new(&RULE, evil).at(first)])
            }
            // A log line whose 4,096th byte falls inside a character: the
            // host cuts it, and must not split the character.
            "long-log" => {
                let message = "a".repeat(4095) + &"é".repeat(100);
                plimsoll_plugin_sdk::log(&message);
                Ok(vec![ok()])
            }
            _ => Ok(vec![ok()]),
        }
    }
}

dockerfile_plugin!(Hostile);
