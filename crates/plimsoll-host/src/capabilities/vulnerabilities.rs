//! `vulnerabilities`: the local OSV database.

use super::host_error;
use crate::Capability;
use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::bindings::plimsoll::plugin::vulnerabilities as wvul;
use crate::store::StoreState;

impl wvul::Host for StoreState {
    fn query(
        &mut self,
        ecosystem: String,
        package: String,
    ) -> Result<Vec<wvul::Vulnerability>, wtypes::HostError> {
        let found = self.host_call(Capability::Vulnerabilities, 1, |s| {
            if ecosystem.len() > 256 || package.len() > 1024 {
                return Err(wtypes::HostError::InvalidInput(
                    "ecosystem or package name too long".into(),
                ));
            }
            s.services()
                .vulnerabilities()
                .and_then(|v| v.vulnerabilities(&ecosystem, &package))
                .map_err(host_error)
        })?;
        Ok(found
            .into_iter()
            .map(|v| wvul::Vulnerability {
                id: v.id,
                aliases: v.aliases,
                summary: v.summary,
                score: v.score,
                vector: v.vector,
                severity: v.severity,
                ranges: v
                    .ranges
                    .into_iter()
                    .map(|r| wvul::AffectedRange {
                        kind: r.kind,
                        events: r
                            .events
                            .into_iter()
                            .map(|e| wvul::RangeEvent {
                                introduced: e.introduced,
                                fixed: e.fixed,
                                last_affected: e.last_affected,
                                limit: e.limit,
                            })
                            .collect(),
                    })
                    .collect(),
                versions: v.versions,
                references: v.references,
            })
            .collect())
    }
}
