//! What a plugin call asked the host and what it was told, so that a cached
//! answer can be trusted again later: a call whose every host call was a
//! registry question can be replayed by asking the same questions; when
//! every answer is the same, the plugin (deterministic, sandboxed, seeing
//! only its input, settings, the day and these answers) would answer as it
//! did. How long an answer stays the same is the registry client's business
//! (its tag TTL, `--offline`), so a cached finding that hangs on a tag lives
//! exactly as long as the tag's answer does.
//!
//! A call that used any other capability (signatures, vulnerability data,
//! packages), or whose host calls were refused for its budget, is not
//! replayable and is never cached. (A call refused because the capability
//! is not granted is: the grants are part of the cache key.)

use serde::{Deserialize, Serialize};

use crate::{HostError, Manifest, RegistryService, Resolved};

/// One question a plugin asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    Resolve(String),
    FetchManifest(String),
    ListTags(String),
}

/// The answer it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    Resolved(Result<Resolved, HostError>),
    Manifest(Result<Manifest, HostError>),
    Tags(Result<Vec<String>, HostError>),
}

/// The host calls of one plugin call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    asked: Vec<(Question, Answer)>,
    /// Every host call was a question that can be asked again.
    replayable: bool,
}

impl Default for Transcript {
    fn default() -> Transcript {
        Transcript {
            asked: Vec::new(),
            replayable: true,
        }
    }
}

impl Transcript {
    /// Whether the call can be replayed (and so its answer cached).
    pub fn replayable(&self) -> bool {
        self.replayable
    }

    pub(crate) fn record(&mut self, question: Question, answer: Answer) {
        self.asked.push((question, answer));
    }

    pub(crate) fn not_replayable(&mut self) {
        self.replayable = false;
        self.asked.clear();
    }

    /// Whether the call asked the host nothing (and so always holds).
    pub fn asked_nothing(&self) -> bool {
        self.replayable && self.asked.is_empty()
    }

    /// Asks every question again; true when the call was replayable and
    /// every answer is what it was. Stops at the first that differs.
    pub fn still_holds(&self, registry: &dyn RegistryService) -> bool {
        self.replayable
            && self.asked.iter().all(|(q, was)| {
                let now = match q {
                    Question::Resolve(r) => Answer::Resolved(registry.resolve(r)),
                    Question::FetchManifest(r) => Answer::Manifest(registry.fetch_manifest(r)),
                    Question::ListTags(r) => Answer::Tags(registry.list_tags(r)),
                };
                &now == was
            })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A registry whose answer for `alpine:3` can be changed.
    struct Moving(Mutex<String>);

    impl RegistryService for Moving {
        fn resolve(&self, reference: &str) -> Result<Resolved, HostError> {
            match reference {
                "alpine:3" => Ok(Resolved {
                    canonical: "docker.io/library/alpine:3".into(),
                    digest: self.0.lock().unwrap().clone(),
                    media_type: "application/vnd.oci.image.index.v1+json".into(),
                    platforms: Vec::new(),
                }),
                _ => Err(HostError::NotFound(format!("{reference}: no such tag"))),
            }
        }
        fn fetch_manifest(&self, reference: &str) -> Result<Manifest, HostError> {
            Err(HostError::Unavailable(format!("{reference}: offline")))
        }
        fn list_tags(&self, _repository: &str) -> Result<Vec<String>, HostError> {
            Ok(vec!["3".into(), "3.20".into()])
        }
    }

    fn asked(registry: &Moving) -> Transcript {
        let mut t = Transcript::default();
        for r in ["alpine:3", "nope:1"] {
            t.record(
                Question::Resolve(r.into()),
                Answer::Resolved(registry.resolve(r)),
            );
        }
        t.record(
            Question::FetchManifest("x@sha256:1".into()),
            Answer::Manifest(registry.fetch_manifest("x@sha256:1")),
        );
        t.record(
            Question::ListTags("alpine".into()),
            Answer::Tags(registry.list_tags("alpine")),
        );
        t
    }

    #[test]
    fn holds_while_every_answer_is_the_same_errors_included() {
        let registry = Moving(Mutex::new("sha256:aaa".into()));
        let t = asked(&registry);
        assert!(t.still_holds(&registry));
        // Through its serialised form, as the result cache keeps it.
        let kept: Transcript = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert!(kept.still_holds(&registry));
        *registry.0.lock().unwrap() = "sha256:bbb".into();
        assert!(!t.still_holds(&registry), "the tag moved");
    }

    #[test]
    fn a_call_that_used_another_capability_never_holds() {
        let registry = Moving(Mutex::new("sha256:aaa".into()));
        let mut t = asked(&registry);
        t.not_replayable();
        assert!(!t.replayable());
        assert!(!t.still_holds(&registry));
        assert!(
            Transcript::default().still_holds(&registry),
            "no questions, nothing moved"
        );
    }
}
