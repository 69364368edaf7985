//! Checks of an image itself (`plimsoll check --image`), under the same rule
//! ids as the Dockerfile rules that mean the same: the config (runs as root,
//! no HEALTHCHECK, credentials in ENV) and the layers (credentials in files,
//! deleted or not). Needs the `image` capability, which the built-in has.

use plimsoll_plugin_sdk::image;
use plimsoll_plugin_sdk::prelude::*;

use crate::LintSettings;
use crate::rules::secrets::{credential_shape, is_secret_name, looks_random, mask};
use crate::rules::{
    image_size_budget, image_wasted_space, missing_healthcheck, missing_user, secret_in_layer,
    secret_value,
};

pub fn check(s: &LintSettings, enabled: impl Fn(&Rule) -> bool) -> Result<Vec<Finding>, String> {
    let config = image::config().map_err(|e| format!("cannot read the image config: {e:?}"))?;
    let c = &config["config"];
    let mut out = Vec::new();
    if enabled(&missing_user::RULE) && !s.allow_root_user {
        let user = c["User"].as_str().unwrap_or("").trim();
        let name = user.split(':').next().unwrap_or("");
        if name.is_empty() || name == "root" || name == "0" {
            let shown = if user.is_empty() { "not set" } else { user };
            out.push(Finding::new(
                &missing_user::RULE,
                format!("the image runs as root (config User is {shown}); set a non-root USER in the final stage"),
            ));
        }
    }
    if enabled(&missing_healthcheck::RULE) {
        let test = &c["Healthcheck"]["Test"];
        let none = test.is_null() || test.get(0).and_then(|t| t.as_str()) == Some("NONE");
        if none {
            out.push(Finding::new(
                &missing_healthcheck::RULE,
                "the image has no HEALTHCHECK",
            ));
        }
    }
    if enabled(&secret_value::RULE) {
        for e in c["Env"].as_array().into_iter().flatten() {
            let Some((k, v)) = e.as_str().and_then(|e| e.split_once('=')) else {
                continue;
            };
            let kind = credential_shape(v).map(str::to_string).or_else(|| {
                (is_secret_name(k) && looks_random(v))
                    .then(|| "a random-looking secret".to_string())
            });
            if let Some(kind) = kind {
                out.push(
                    Finding::new(
                        &secret_value::RULE,
                        format!(
                            "config Env `{k}` holds {kind} (`{}`); every `docker inspect` shows it",
                            mask(v)
                        ),
                    )
                    .severity(9.0),
                );
            }
        }
    }
    if enabled(&secret_in_layer::RULE) {
        out.extend(secret_in_layer::check_image()?);
    }
    if enabled(&image_wasted_space::RULE) {
        out.extend(image_wasted_space::check_image(s)?);
    }
    if enabled(&image_size_budget::RULE) {
        out.extend(image_size_budget::check_image(s)?);
    }
    Ok(out)
}
