//! `registry`: tags to digests, manifests, tag lists.

use super::host_error;
use crate::bindings::plimsoll::plugin::registry as wreg;
use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::store::StoreState;
use crate::transcript::{Answer, Question};
use crate::{Capability, Resolved};

fn wit_resolved(r: Resolved) -> wreg::Resolved {
    wreg::Resolved {
        canonical: r.canonical,
        digest: r.digest,
        media_type: r.media_type,
        platforms: r
            .platforms
            .into_iter()
            .map(|p| wreg::PlatformManifest {
                platform: wreg::Platform {
                    os: p.platform.os,
                    architecture: p.platform.architecture,
                    variant: p.platform.variant,
                },
                digest: p.digest,
                media_type: p.media_type,
            })
            .collect(),
    }
}

/// More references than this in one `resolve-many` is invalid input.
const MAX_RESOLVE_MANY: usize = 1000;

impl wreg::Host for StoreState {
    fn resolve(&mut self, reference: String) -> Result<wreg::Resolved, wtypes::HostError> {
        let answer = self.host_call(Capability::Registry, 1, |s| {
            Ok(s.services().registry().and_then(|r| r.resolve(&reference)))
        })?;
        self.transcript.record(
            Question::Resolve(reference),
            Answer::Resolved(answer.clone()),
        );
        answer.map(wit_resolved).map_err(host_error)
    }

    /// Counts one host call per reference.
    fn resolve_many(
        &mut self,
        references: Vec<String>,
    ) -> Vec<Result<wreg::Resolved, wtypes::HostError>> {
        let every = |e: wtypes::HostError| references.iter().map(|_| Err(e.clone())).collect();
        if references.len() > MAX_RESOLVE_MANY {
            return every(wtypes::HostError::InvalidInput(format!(
                "resolve-many takes at most {MAX_RESOLVE_MANY} references"
            )));
        }
        let calls = references.len().max(1) as u64;
        let found = match self.host_call(Capability::Registry, calls, |s| {
            let registry = s.services().registry().map_err(host_error)?;
            Ok(registry.resolve_many(&references))
        }) {
            Ok(found) => found,
            Err(e) => return every(e),
        };
        // Replayed one reference at a time: the same questions.
        for (r, answer) in references.iter().zip(&found) {
            self.transcript.record(
                Question::Resolve(r.clone()),
                Answer::Resolved(answer.clone()),
            );
        }
        found
            .into_iter()
            .map(|r| r.map(wit_resolved).map_err(host_error))
            .collect()
    }

    fn fetch_manifest(&mut self, reference: String) -> Result<wreg::Manifest, wtypes::HostError> {
        let answer = self.host_call(Capability::Registry, 1, |s| {
            Ok(s.services()
                .registry()
                .and_then(|r| r.fetch_manifest(&reference)))
        })?;
        self.transcript.record(
            Question::FetchManifest(reference),
            Answer::Manifest(answer.clone()),
        );
        answer
            .map(|m| wreg::Manifest {
                digest: m.digest,
                media_type: m.media_type,
                body: m.body,
            })
            .map_err(host_error)
    }

    fn list_tags(&mut self, repository: String) -> Result<Vec<String>, wtypes::HostError> {
        let answer = self.host_call(Capability::Registry, 1, |s| {
            Ok(s.services()
                .registry()
                .and_then(|r| r.list_tags(&repository)))
        })?;
        self.transcript
            .record(Question::ListTags(repository), Answer::Tags(answer.clone()));
        answer.map_err(host_error)
    }
}
