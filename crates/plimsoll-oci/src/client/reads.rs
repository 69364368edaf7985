//! Reads: manifests (verified against their digest), blobs in memory or
//! into the layer cache, referrers, tag lists, and references resolved
//! once per run.

use super::*;

impl Inner {
    /// A manifest by tag or digest, verified; from the cache when it may be.
    pub(super) async fn manifest(&self, r: &ImageRef) -> Result<Fetched, RegistryError> {
        let cache = self.cache.as_ref();
        let by_tag = r.without_digest().to_string();
        if let Some(c) = cache {
            let found = match &r.digest {
                Some(d) => c.manifest(d).map(|m| (d.clone(), m)),
                None => c
                    .tagged_manifest(&by_tag, (!self.opts.offline).then_some(self.opts.tag_ttl))
                    .map(|(t, m)| (t.digest, m)),
            };
            if let Some((d, (media_type, body))) = found {
                self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Fetched {
                    digest: d,
                    media_type,
                    body,
                });
            }
        }
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let what = r.manifest_reference();
        let path = format!("/v2/{}/manifests/{}", r.repository, what);
        let resp = self
            .get(
                &r.registry,
                &r.repository,
                &path,
                Some(manifest::ACCEPT),
                &self.stats.manifests,
                manifest::MAX_MANIFEST_BYTES,
            )
            .await?;
        expect_success(&resp, r, "manifest")?;
        let announced = resp
            .headers
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let digest = match (&r.digest, announced) {
            (Some(d), _) => {
                manifest::verify(&resp.body, d, &r.to_string())?;
                d.clone()
            }
            (None, Some(a)) => {
                manifest::verify(&resp.body, &a, &format!("{r} (Docker-Content-Digest)"))?;
                a
            }
            (None, None) => manifest::digest_of(&resp.body, "sha256:"),
        };
        let content_type = resp.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let facts = manifest::facts(&resp.body, content_type)
            .map_err(|m| RegistryError::new(ErrorKind::Protocol, format!("{r}: {m}")))?;
        if let Some(c) = cache {
            c.put_manifest(&digest, &facts.media_type, &resp.body);
            if r.digest.is_none() {
                c.put_tag(&by_tag, &digest, &facts.media_type);
            }
        }
        Ok(Fetched {
            digest,
            media_type: facts.media_type,
            body: resp.body,
        })
    }

    pub(super) async fn blob(&self, r: &ImageRef, limit: usize) -> Result<Vec<u8>, RegistryError> {
        let digest = r.digest.clone().ok_or_else(|| {
            RegistryError::new(
                ErrorKind::InvalidReference,
                format!("{r}: a blob needs a digest"),
            )
        })?;
        if let Some(body) = self.cache.as_ref().and_then(|c| c.blob(&digest)) {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(body);
        }
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let path = format!("/v2/{}/blobs/{}", r.repository, digest);
        let resp = self
            .get(
                &r.registry,
                &r.repository,
                &path,
                None,
                &self.stats.blobs,
                limit,
            )
            .await?;
        expect_success(&resp, r, "blob")?;
        manifest::verify(&resp.body, &digest, &format!("blob {r}"))?;
        if let Some(c) = self.cache.as_ref() {
            c.put_blob(&digest, &resp.body);
        }
        Ok(resp.body)
    }

    /// The blob's copy in the cache directory, downloaded first when it is
    /// not there: streamed to a temporary file beside it (never whole in
    /// memory), verified against the digest, then moved into place.
    pub(super) async fn blob_to_cache(
        &self,
        r: &ImageRef,
        limit: usize,
    ) -> Result<std::path::PathBuf, RegistryError> {
        let digest = r.digest.clone().unwrap_or_default();
        manifest::check_algorithm(&digest, &r.to_string())?;
        let dest = self
            .cache
            .as_ref()
            .and_then(|c| c.blob_path(&digest))
            .ok_or_else(|| {
                RegistryError::new(
                    ErrorKind::InvalidReference,
                    format!("{r}: `{digest}` is not a digest"),
                )
            })?;
        if dest.is_file() {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(dest);
        }
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let dir = dest.parent().unwrap_or(std::path::Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| {
            RegistryError::new(
                ErrorKind::Unavailable,
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
        let target = format!("/v2/{}/blobs/{}", r.repository, digest);
        let req = Call {
            method: Method::GET,
            target: &target,
            accept: None,
            body: None,
            spool: Some(dir),
        };
        let resp = self
            .call(&r.registry, &r.repository, req, &self.stats.blobs, limit)
            .await?;
        expect_success(&resp, r, "blob")?;
        let file = resp
            .file
            .ok_or_else(|| RegistryError::new(ErrorKind::Protocol, format!("{r}: no blob body")))?;
        let actual = std::fs::File::open(file.path())
            .and_then(|f| manifest::digest_of_reader(std::io::BufReader::new(f), &digest))
            .map_err(|e| {
                RegistryError::new(
                    ErrorKind::Unavailable,
                    format!("{r}: cannot hash the download: {e}"),
                )
            })?;
        if actual != digest {
            return Err(RegistryError::new(
                ErrorKind::DigestMismatch,
                format!(
                    "blob {r}: the registry sent content that hashes to {actual}, not {digest}; refusing it"
                ),
            ));
        }
        file.persist(&dest).map_err(|e| {
            RegistryError::new(
                ErrorKind::Unavailable,
                format!(
                    "cannot keep the download as {}: {}",
                    dest.display(),
                    e.error
                ),
            )
        })?;
        Ok(dest)
    }

    pub(super) async fn referrers(&self, r: &ImageRef) -> Result<Option<Vec<u8>>, RegistryError> {
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let digest = r.digest.as_deref().unwrap_or_default();
        let path = format!("/v2/{}/referrers/{}", r.repository, digest);
        let resp = self
            .get(
                &r.registry,
                &r.repository,
                &path,
                Some("application/vnd.oci.image.index.v1+json"),
                &self.stats.manifests,
                manifest::MAX_MANIFEST_BYTES,
            )
            .await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        expect_success(&resp, r, "referrers index")?;
        Ok(Some(resp.body))
    }

    pub(super) async fn resolve(&self, reference: &str) -> Result<Resolved, RegistryError> {
        let r = ImageRef::parse(reference)?;
        let key = r.to_string();
        let cell = slot(&self.resolved, key.clone());
        cell.get_or_init(|| async {
            let f = self.manifest(&r).await?;
            let facts = manifest::facts(&f.body, Some(&f.media_type))
                .map_err(|m| RegistryError::new(ErrorKind::Protocol, format!("{r}: {m}")))?;
            Ok(Resolved {
                canonical: key.clone(),
                digest: f.digest,
                media_type: facts.media_type,
                platforms: facts.platforms,
            })
        })
        .await
        .clone()
    }

    pub(super) async fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        let r = ImageRef::parse(repository)?;
        if self.opts.offline {
            return Err(RegistryError::new(
                ErrorKind::Offline,
                format!("{}: offline; tags are never cached", r.repository_name()),
            ));
        }
        let mut tags = Vec::new();
        let mut next = Some(format!("/v2/{}/tags/list?n=1000", r.repository));
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            if pages > 100 {
                return Err(RegistryError::new(
                    ErrorKind::Protocol,
                    format!("{}: more than 100 pages of tags", r.repository_name()),
                ));
            }
            let resp = self
                .get(
                    &r.registry,
                    &r.repository,
                    &path,
                    None,
                    &self.stats.tag_lists,
                    8 << 20,
                )
                .await?;
            if resp.status == StatusCode::NOT_FOUND {
                return Err(RegistryError::new(
                    ErrorKind::NotFound,
                    format!("{}: repository not found", r.repository_name()),
                ));
            }
            if !resp.status.is_success() {
                return Err(RegistryError::new(
                    ErrorKind::Protocol,
                    format!(
                        "{}: unexpected HTTP {} listing tags",
                        r.repository_name(),
                        resp.status
                    ),
                ));
            }
            #[derive(serde::Deserialize)]
            struct TagList {
                tags: Option<Vec<String>>,
            }
            let page: TagList = serde_json::from_slice(&resp.body).map_err(|e| {
                RegistryError::new(
                    ErrorKind::Protocol,
                    format!("{}: tag list is not valid JSON: {e}", r.repository_name()),
                )
            })?;
            tags.extend(page.tags.unwrap_or_default());
            next = resp
                .headers
                .get("link")
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
        }
        Ok(tags)
    }
}

/// The path of a `Link: </v2/...>; rel="next"` header.
pub(super) fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            let t = target.trim().trim_start_matches('<').trim_end_matches('>');
            // Absolute URLs keep only their path and query.
            match reqwest::Url::parse(t) {
                Ok(u) => format!(
                    "{}{}",
                    u.path(),
                    u.query().map(|q| format!("?{q}")).unwrap_or_default()
                ),
                Err(_) => t.to_string(),
            }
        })
    })
}

/// 404 is "not found"; any other non-2xx answer is a protocol error.
pub(super) fn expect_success(
    resp: &Response,
    r: &ImageRef,
    what: &str,
) -> Result<(), RegistryError> {
    if resp.status == StatusCode::NOT_FOUND {
        return Err(RegistryError::new(
            ErrorKind::NotFound,
            format!(
                "{r}: {what} not found in the registry{}",
                detail_suffix(&resp.body)
            ),
        ));
    }
    if !resp.status.is_success() {
        return Err(RegistryError::new(
            ErrorKind::Protocol,
            format!(
                "{r}: unexpected HTTP {} for a {what}{}",
                resp.status,
                detail_suffix(&resp.body)
            ),
        ));
    }
    Ok(())
}

pub(super) fn offline_miss(r: &ImageRef) -> RegistryError {
    RegistryError::new(
        ErrorKind::Offline,
        format!("{r}: offline and not in the registry cache"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        assert_eq!(
            next_link(r#"</v2/a/tags/list?last=x&n=2>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?last=x&n=2")
        );
        assert_eq!(
            next_link(r#"<https://r.example/v2/a/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?n=2&last=b")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
    }
}
