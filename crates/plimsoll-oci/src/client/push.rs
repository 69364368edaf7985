//! Pushes: a blob (skipped when the registry has it already, else one POST
//! and one PUT of the whole blob to the upload location) and a manifest.

use super::*;

impl Inner {
    pub(super) async fn push_blob(&self, r: &ImageRef, data: &[u8]) -> Result<(), RegistryError> {
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let digest = r.digest.as_deref().unwrap_or_default();
        let count = &self.stats.blobs;
        let head = Call {
            method: Method::HEAD,
            target: &format!("/v2/{}/blobs/{digest}", r.repository),
            accept: None,
            body: None,
            spool: None,
        };
        let exists = self
            .call(&r.registry, &r.repository, head, count, 0)
            .await?;
        if exists.status.is_success() {
            return Ok(());
        }
        let start = Call {
            method: Method::POST,
            target: &format!("/v2/{}/blobs/uploads/", r.repository),
            accept: None,
            body: Some((&[], "application/octet-stream")),
            spool: None,
        };
        let resp = self
            .call(&r.registry, &r.repository, start, count, 1 << 16)
            .await?;
        if resp.status != StatusCode::ACCEPTED {
            return Err(push_error(&resp, r, "starting a blob upload"));
        }
        let location = resp
            .headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                RegistryError::new(
                    ErrorKind::Protocol,
                    format!("{r}: the registry started an upload without a Location"),
                )
            })?;
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={digest}");
        let finish = Call {
            method: Method::PUT,
            target: &put,
            accept: None,
            body: Some((data, "application/octet-stream")),
            spool: None,
        };
        let resp = self
            .call(&r.registry, &r.repository, finish, count, 1 << 16)
            .await?;
        if resp.status != StatusCode::CREATED {
            return Err(push_error(&resp, r, "uploading a blob"));
        }
        Ok(())
    }

    pub(super) async fn push_manifest(
        &self,
        r: &ImageRef,
        body: &[u8],
        media_type: &str,
    ) -> Result<String, RegistryError> {
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let digest = manifest::digest_of(body, "sha256:");
        let put = Call {
            method: Method::PUT,
            target: &format!("/v2/{}/manifests/{}", r.repository, r.manifest_reference()),
            accept: None,
            body: Some((body, media_type)),
            spool: None,
        };
        let resp = self
            .call(&r.registry, &r.repository, put, &self.stats.blobs, 1 << 16)
            .await?;
        if resp.status != StatusCode::CREATED {
            return Err(push_error(&resp, r, "storing the manifest"));
        }
        if let Some(announced) = resp
            .headers
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && announced != digest
        {
            return Err(RegistryError::new(
                ErrorKind::DigestMismatch,
                format!("{r}: the registry stored the manifest as {announced}, not {digest}"),
            ));
        }
        Ok(digest)
    }
}

/// A refused upload, with the registry's own words.
pub(super) fn push_error(resp: &Response, r: &ImageRef, doing: &str) -> RegistryError {
    let kind = match resp.status {
        StatusCode::UNAUTHORIZED => ErrorKind::Unauthorized,
        StatusCode::FORBIDDEN => ErrorKind::Denied,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        _ => ErrorKind::Protocol,
    };
    RegistryError::new(
        kind,
        format!(
            "{r}: {doing} failed (HTTP {}){}",
            resp.status.as_u16(),
            detail_suffix(&resp.body)
        ),
    )
}
