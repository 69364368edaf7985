//! `plimsoll sbom REF --format cyclonedx|spdx`: the packages of an image
//! (the same parsers the scan plugin uses, `plimsoll-packages`) as a
//! CycloneDX 1.5 or SPDX 2.3 JSON document, with licences where the package
//! databases record them. Typed structs, not a crate: the two documents use
//! a few dozen fields, and the output is validated against the official JSON
//! schemas in the tests.

use std::io::Write;
use std::path::Path;

use plimsoll_oci::Image;
use plimsoll_packages::Inventory;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ExitCode;
use crate::cli::{GlobalArgs, SbomFormat};
use crate::registry::open_image_reporting;

fn now_rfc3339() -> String {
    let secs = plimsoll_services::vulnerabilities::now() as i64;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// A UUID derived from the image digest: the same image, the same serial.
fn uuid_of(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

use plimsoll_packages::spdx_expression;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdxBom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: CdxMetadata,
    components: Vec<CdxComponent>,
}

#[derive(Serialize)]
struct CdxMetadata {
    timestamp: String,
    tools: CdxTools,
    component: CdxComponent,
}

#[derive(Serialize)]
struct CdxTools {
    components: Vec<CdxComponent>,
}

#[derive(Serialize, Default)]
struct CdxComponent {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<CdxProperty>,
}

#[derive(Serialize)]
struct CdxProperty {
    name: String,
    value: String,
}

fn cyclonedx(source: &str, image: &Image, inv: &Inventory) -> serde_json::Value {
    let mut components = Vec::new();
    if let Some(os) = &inv.os {
        components.push(CdxComponent {
            kind: "operating-system",
            bom_ref: Some(format!("os:{}-{}", os.id, os.version_id)),
            name: os.id.clone(),
            version: Some(os.version_id.clone()),
            ..Default::default()
        });
    }
    for p in &inv.packages {
        let purl = plimsoll_packages::purl(p, inv.os.as_ref());
        let licenses = match p.license.as_deref() {
            Some(l) => match spdx_expression(l) {
                Some(e) => vec![serde_json::json!({"expression": e})],
                None => vec![serde_json::json!({"license": {"name": l}})],
            },
            None => Vec::new(),
        };
        let mut properties = vec![CdxProperty {
            name: "plimsoll:package:location".into(),
            value: format!("/{}", p.location),
        }];
        if let Some(s) = &p.source {
            properties.push(CdxProperty {
                name: "plimsoll:package:source".into(),
                value: s.clone(),
            });
        }
        components.push(CdxComponent {
            kind: "library",
            bom_ref: Some(purl.clone()),
            name: p.name.clone(),
            version: Some(p.version.clone()),
            purl: Some(purl),
            licenses,
            properties,
        });
    }
    let bom = CdxBom {
        bom_format: "CycloneDX",
        spec_version: "1.5",
        serial_number: format!("urn:uuid:{}", uuid_of(&image.manifest_digest)),
        version: 1,
        metadata: CdxMetadata {
            timestamp: now_rfc3339(),
            tools: CdxTools {
                components: vec![CdxComponent {
                    kind: "application",
                    name: "plimsoll".into(),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                    ..Default::default()
                }],
            },
            component: CdxComponent {
                kind: "container",
                bom_ref: Some(image.manifest_digest.clone()),
                name: source.to_string(),
                version: Some(image.manifest_digest.clone()),
                ..Default::default()
            },
        },
        components,
    };
    serde_json::to_value(bom).expect("serialises")
}

fn spdx(source: &str, image: &Image, inv: &Inventory) -> serde_json::Value {
    let mut packages = vec![serde_json::json!({
        "SPDXID": "SPDXRef-Image",
        "name": source,
        "versionInfo": image.manifest_digest,
        "downloadLocation": "NOASSERTION",
        "primaryPackagePurpose": "CONTAINER",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    })];
    let mut relationships = vec![serde_json::json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    for (i, p) in inv.packages.iter().enumerate() {
        let id = format!("SPDXRef-Package-{}-{}", p.kind, i + 1);
        let declared = p
            .license
            .as_deref()
            .and_then(spdx_expression)
            .unwrap_or_else(|| "NOASSERTION".into());
        packages.push(serde_json::json!({
            "SPDXID": id,
            "name": p.name,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": declared,
            "copyrightText": "NOASSERTION",
            "sourceInfo": format!("read from /{}", p.location),
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": plimsoll_packages::purl(p, inv.os.as_ref()),
            }],
        }));
        relationships.push(serde_json::json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    // Every LicenseRef- used must be described.
    let mut refs: Vec<String> = packages
        .iter()
        .filter_map(|p| p["licenseDeclared"].as_str())
        .flat_map(|e| {
            e.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .filter(|t| t.starts_with("LicenseRef-"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    refs.sort();
    refs.dedup();
    let extracted: Vec<serde_json::Value> = refs
        .iter()
        .map(|r| {
            let name = r.trim_start_matches("LicenseRef-");
            serde_json::json!({
                "licenseId": r,
                "name": name,
                "extractedText": format!("The licence named `{name}` by the package's own metadata (not an SPDX licence id)."),
            })
        })
        .collect();
    serde_json::json!({
        "hasExtractedLicensingInfos": extracted,
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": source,
        "documentNamespace": format!("https://plimsoll.dev/spdx/{}", uuid_of(&image.manifest_digest)),
        "creationInfo": {
            "created": now_rfc3339(),
            "creators": [format!("Tool: plimsoll-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

pub fn run(
    global: &GlobalArgs,
    reference: &str,
    format: SbomFormat,
    output: Option<&Path>,
    platform: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let image = match open_image_reporting(global, reference, platform)? {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let inv = match plimsoll_services::inventory(&image) {
        Ok(inv) => inv,
        Err(e) => {
            crate::diag!("error: unreadable-packages: {reference}: {e}");
            return Ok(ExitCode::CheckFailed);
        }
    };
    for db in &inv.unsupported {
        crate::diag!(
            "plimsoll: warning: /{db}: {}; they are missing from this SBOM",
            plimsoll_packages::unsupported_reason(db)
        );
    }
    let doc = match format {
        SbomFormat::Cyclonedx => cyclonedx(reference, &image, &inv),
        SbomFormat::Spdx => spdx(reference, &image, &inv),
    };
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match output {
        Some(p) if p != Path::new("-") => plimsoll_fs::AtomicWrite::user_file()
            .write(p, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        _ => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    crate::diag!(
        "{} packages{} in {reference}",
        inv.packages.len(),
        inv.os
            .as_ref()
            .map(|o| format!(" ({})", o.pretty_name))
            .unwrap_or_default()
    );
    Ok(ExitCode::Ok)
}
