//! The rule registry: one entry per rule, one file per rule, in id order.
//!
//! Ids: PL1xxx base images and stages, PL2xxx what RUN runs, PL3xxx other
//! instructions, PL4xxx security, PL5xxx size and build speed, PL9xxx syntax and
//! BuildKit semantics. (PL0001, a Dockerfile that does not parse, is the host's.)

use plimsoll_plugin_sdk::Rule;

use crate::Ctx;

pub mod image_ref;

mod eol_data;
mod from_helpers;
mod labels;
mod multiple_instructions;
mod pkg_unpinned;
pub mod secrets;
mod shell_analysis;
mod toolchains;

mod add_instead_of_copy;
mod add_url_without_checksum;
mod apk_no_cache;
mod apk_pin_versions;
mod apt_lists_not_removed;
mod apt_missing_yes;
mod apt_no_install_recommends;
mod apt_pin_versions;
mod backtick_substitution;
mod bash_syntax_in_sh;
mod cache_order;
mod cd_instead_of_workdir;
mod cd_without_exit;
mod chpasswd_used;
mod consecutive_run;
mod copy_entire_filesystem;
mod copy_from_own_stage;
mod copy_from_unknown_stage;
mod copy_multi_source_dest;
mod copy_relative_dest;
mod copy_secret_file;
mod copy_then_extract;
mod declare_masks_status;
mod deprecated_grep;
mod dist_upgrade;
mod duplicate_stage_name;
mod empty_continuation;
mod env_self_reference;
mod eol_base_image;
mod expose_port_range;
mod expose_ssh;
mod find_without_path;
mod from_as_casing;
mod from_platform_constant;
mod gem_pin_versions;
mod go_install_pin;
pub mod image_size_budget;
pub mod image_wasted_space;
mod indirect_exit_status;
mod instruction_casing;
mod instruction_order;
mod invalid_flag;
mod js_cache_left;
mod json_args;
mod label_empty;
mod label_format;
mod label_key_invalid;
mod label_required;
mod label_superfluous;
mod latest_base_image;
mod legacy_key_value;
mod ln_without_destination;
mod loop_runs_once;
mod maintainer_deprecated;
mod malformed_instruction;
pub mod missing_healthcheck;
pub mod missing_user;
mod multiple_cmd;
mod multiple_entrypoint;
mod multiple_healthcheck;
mod non_numeric_user;
mod npm_pin_versions;
mod onbuild_forbidden;
mod pip_no_cache_dir;
mod pip_pin_versions;
mod pipe_to_non_reader;
mod pipefail;
mod pointless_command;
mod redundant_target_platform;
mod relative_workdir;
mod remote_script_to_shell;
mod reserved_stage_name;
mod rm_unguarded_variable;
mod root_user;
mod rpm_cache_not_cleaned;
mod rpm_missing_yes;
mod rpm_pin_versions;
mod secret_in_arg_env;
pub mod secret_in_layer;
pub mod secret_value;
mod shell_syntax_error;
mod shell_via_symlink;
mod signature_verification_disabled;
mod single_quoted_expansion;
mod single_stage_toolchain;
mod smaller_variant;
mod space_after_assignment;
mod stage_name_casing;
mod sudo_used;
mod tls_verification_disabled;
mod too_many_layers;
mod tools_left_in_image;
mod undefined_arg_in_from;
mod undefined_variable;
mod unknown_instruction;
mod unquoted_command_substitution;
mod unquoted_expansion;
mod untagged_base_image;
mod untrusted_registry;
mod unused_arg;
mod unused_shell_variable;
mod update_alone;
mod use_apt_get;
mod useradd_no_log_init;
mod wget_and_curl;
mod wget_progress;
mod workdir_system_dir;

pub struct RuleEntry {
    pub rule: &'static Rule,
    pub check: fn(&mut Ctx),
}

macro_rules! registry {
    ($($m:ident),* $(,)?) => {
        /// Every rule, in id order.
        pub static RULES: &[RuleEntry] = &[$(RuleEntry { rule: &$m::RULE, check: $m::check }),*];
    };
}

registry![
    untagged_base_image,             // PL1001
    latest_base_image,               // PL1002
    untrusted_registry,              // PL1003
    from_platform_constant,          // PL1004
    redundant_target_platform,       // PL1005
    duplicate_stage_name,            // PL1006
    copy_from_own_stage,             // PL1007
    copy_from_unknown_stage,         // PL1008
    eol_base_image,                  // PL1009
    smaller_variant,                 // PL1010
    stage_name_casing,               // PL1011
    from_as_casing,                  // PL1012
    undefined_arg_in_from,           // PL1013
    copy_entire_filesystem,          // PL1015
    reserved_stage_name,             // PL1016
    apt_pin_versions,                // PL2001
    apt_lists_not_removed,           // PL2002
    apt_missing_yes,                 // PL2003
    apt_no_install_recommends,       // PL2004
    use_apt_get,                     // PL2005
    dist_upgrade,                    // PL2006
    update_alone,                    // PL2007
    apk_pin_versions,                // PL2008
    apk_no_cache,                    // PL2009
    rpm_missing_yes,                 // PL2010
    rpm_cache_not_cleaned,           // PL2011
    rpm_pin_versions,                // PL2012
    pip_pin_versions,                // PL2013
    pip_no_cache_dir,                // PL2014
    npm_pin_versions,                // PL2015
    gem_pin_versions,                // PL2016
    go_install_pin,                  // PL2017
    js_cache_left,                   // PL2018
    cd_instead_of_workdir,           // PL2020
    sudo_used,                       // PL2021
    pointless_command,               // PL2022
    pipefail,                        // PL2023
    wget_and_curl,                   // PL2024
    wget_progress,                   // PL2025
    useradd_no_log_init,             // PL2026
    consecutive_run,                 // PL2027
    shell_via_symlink,               // PL2028
    shell_syntax_error,              // PL2101
    unquoted_expansion,              // PL2102
    unquoted_command_substitution,   // PL2103
    cd_without_exit,                 // PL2104
    declare_masks_status,            // PL2105
    single_quoted_expansion,         // PL2106
    backtick_substitution,           // PL2107
    rm_unguarded_variable,           // PL2108
    indirect_exit_status,            // PL2109
    ln_without_destination,          // PL2110
    find_without_path,               // PL2111
    loop_runs_once,                  // PL2112
    pipe_to_non_reader,              // PL2113
    deprecated_grep,                 // PL2114
    space_after_assignment,          // PL2115
    unused_shell_variable,           // PL2116
    bash_syntax_in_sh,               // PL2117
    missing_user,                    // PL3001
    root_user,                       // PL3002
    maintainer_deprecated,           // PL3003
    relative_workdir,                // PL3004
    workdir_system_dir,              // PL3005
    add_instead_of_copy,             // PL3006
    copy_then_extract,               // PL3007
    copy_multi_source_dest,          // PL3008
    copy_relative_dest,              // PL3009
    json_args,                       // PL3010
    multiple_cmd,                    // PL3011
    multiple_entrypoint,             // PL3012
    multiple_healthcheck,            // PL3013
    missing_healthcheck,             // PL3014
    expose_port_range,               // PL3015
    expose_ssh,                      // PL3016
    onbuild_forbidden,               // PL3017
    env_self_reference,              // PL3018
    instruction_order,               // PL3019
    non_numeric_user,                // PL3020
    label_key_invalid,               // PL3021
    label_required,                  // PL3022
    label_superfluous,               // PL3023
    label_empty,                     // PL3024
    label_format,                    // PL3025
    legacy_key_value,                // PL3026
    instruction_casing,              // PL3027
    secret_in_arg_env,               // PL4001
    secret_value,                    // PL4002
    tls_verification_disabled,       // PL4003
    signature_verification_disabled, // PL4004
    chpasswd_used,                   // PL4005
    remote_script_to_shell,          // PL4006
    add_url_without_checksum,        // PL4007
    copy_secret_file,                // PL4008
    secret_in_layer,                 // PL4009
    too_many_layers,                 // PL5001
    cache_order,                     // PL5002
    single_stage_toolchain,          // PL5003
    tools_left_in_image,             // PL5004
    image_wasted_space,              // PL5005
    image_size_budget,               // PL5006
    unknown_instruction,             // PL9001
    invalid_flag,                    // PL9002
    malformed_instruction,           // PL9003
    undefined_variable,              // PL9004
    unused_arg,                      // PL9005
    empty_continuation,              // PL9006
];
